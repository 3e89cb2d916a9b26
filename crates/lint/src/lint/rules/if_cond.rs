//! `if-cond`: `if:` conditions whose value is fixed: `${{ }}` with text around it (a non-empty
//! string, so always true), and constant expressions (`if: false`).

use crate::expr::{go_quote, parse};
use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::action::{Action, Using};
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::yaml::Node;

/// The `if-cond` rule: if: conditions that are always true or constant.
pub struct IfCond;

static META: RuleMeta = RuleMeta {
    id: "if-cond",
    zizmor: Some("unsound-condition"),
    actionlint: Some("if-cond"),
    summary: "if: conditions that are always true or constant",
    severity: Severity::Error,
    actionlint_also: &[],
};

fn check(cx: &mut Ctx<'_>, n: Option<&Node>) {
    let Some(n) = n else { return };
    let Some(value) = n.as_str() else { return };
    let (open, close) = (
        crate::bytes::find_str("${{", value),
        crate::bytes::find_str("}}", value),
    );
    let inner = match (open, close) {
        (Some(s), Some(e)) => {
            if s > 0 || e + 2 < value.len() || value.matches("${{").count() > 1 {
                // GitHub runs it: the step or job always runs. Certainly a bug, but not one
                // GitHub refuses, so a warning.
                cx.report_with(
                    Severity::Warning,
                    n.span,
                    format!(
                        "if: condition {} is always evaluated to true because extra characters \
                         are around ${{{{ }}}}",
                        go_quote(value)
                    ),
                    Some("write the whole condition inside one ${{ }}, or leave ${{ }} out".into()),
                );
                return;
            }
            value.get(s + 3..e).unwrap_or_default()
        }
        _ => value,
    };
    let expr = inner.trim();
    if expr.is_empty() {
        return;
    }
    if constant(cx, n, expr) {
        cx.report_with(
            Severity::Warning,
            n.span,
            format!(
                "constant expression {} in condition. remove the if: section",
                go_quote(expr)
            ),
            None,
        );
    }
}

/// Whether the condition `expr` (the text of `n`, or the inside of its one `${{ }}`) is a
/// constant. The file's expressions were parsed once for all rules: the tree of `n`'s one
/// expression is that of `expr` (white space aside); a value the index leaves out (`if: ~`, an
/// unclosed `${{`) is parsed here.
fn constant(cx: &Ctx<'_>, n: &Node, expr: &str) -> bool {
    let known = cx
        .expressions_of(n)
        .and_then(|site| match site.exprs.as_slice() {
            [one] => Some(&one.ast),
            _ => None,
        });
    match known {
        Some(ast) => ast.is_constant(),
        None => parse(expr).is_ok_and(|ast| ast.is_constant()),
    }
}

impl Rule for IfCond {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        check(cx, job.get("if"));
        check(cx, job.get("snapshot").and_then(|s| s.get("if")));
    }

    fn step(&self, _wf: &Workflow<'_>, _job: &Job<'_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        check(cx, step.node.get("if"));
    }

    fn action(&self, action: &Action<'_>, cx: &mut Ctx<'_>) {
        if action.using != Some(Using::Composite) {
            return;
        }
        let steps = action
            .runs
            .and_then(|r| r.get("steps"))
            .and_then(Node::as_seq);
        for step in steps.unwrap_or_default() {
            check(cx, step.get("if"));
        }
    }
}
