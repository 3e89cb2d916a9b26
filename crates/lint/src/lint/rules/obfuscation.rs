//! `obfuscation`: GitHub Actions features written so that they hide what they do, which also
//! hides them from other checks: `uses:` paths with empty, `.` or `..` components
//! (`actions/checkout/./@sha`), `${{ }}` expressions whose value is a constant
//! (`format('{0}', 'x')`, `true || false`), and `with:` given as one expression. Low severity,
//! as in zizmor; the `uses:` paths get a fix.

use crate::expr::ast::{Expr, ExprKind};
use crate::expr::has_expr;
use crate::lint::sec::{self, Uses, uses::Repo};
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Edit, Fix, Rule, RuleMeta, Severity};
use crate::workflow::action::Action;
use crate::workflow::model::{Step, Workflow};
use crate::workflow::position::value_span;
use crate::workflow::yaml::Node;

/// The `obfuscation` rule: Obfuscated uses: paths, constant ${{ }} expressions, with: as an
/// expression.
pub struct Obfuscation;

static META: RuleMeta = RuleMeta {
    id: "obfuscation",
    zizmor: Some("obfuscation"),
    actionlint: None,
    summary: "Obfuscated uses: paths, constant ${{ }} expressions, with: as an expression",
    severity: Severity::Note,
    actionlint_also: &[],
};

const LOW: Audit = Audit::new(AuditSeverity::Low, Confidence::High);

/// Functions whose value is constant when their arguments are (zizmor's list).
const PURE: &[&str] = &[
    "contains",
    "startswith",
    "endswith",
    "format",
    "tojson",
    "join",
];

fn is_literal(e: &Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::String(_)
    )
}

/// Whether the expression's value is known without any context.
fn reducible(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Null
        | ExprKind::Bool(_)
        | ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::String(_) => true,
        ExprKind::Compare { left, right, .. } | ExprKind::Logical { left, right, .. } => {
            reducible(left) && reducible(right)
        }
        ExprKind::Not(inner) => reducible(inner),
        ExprKind::Call { name, args } => {
            PURE.contains(&name.to_ascii_lowercase().as_str()) && args.iter().all(reducible)
        }
        _ => false,
    }
}

/// The largest parts of `e` that are constant and not plain literals.
fn reducible_parts<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    if !is_literal(e) && reducible(e) {
        out.push(e);
        return;
    }
    for c in e.children() {
        reducible_parts(c, out);
    }
}

/// What is odd about a `uses:` path, and the path without it when it can be normalised.
fn odd_path(r: &Repo<'_>) -> Option<(&'static str, Option<String>)> {
    let path = r.path?;
    let mut what = None;
    let mut parts: Vec<&str> = Vec::new();
    let mut normal = true;
    for c in path.split('/') {
        match c {
            "" => {
                what.get_or_insert("an empty path component");
            }
            "." => {
                what.get_or_insert("a `.` path component");
            }
            ".." => {
                what.get_or_insert("a `..` path component");
                if parts.pop().is_none() {
                    normal = false;
                }
            }
            other => parts.push(other),
        }
    }
    let what = what?;
    let fixed = normal.then(|| {
        let mut s = format!("{}/{}", r.owner, r.repo);
        for p in &parts {
            s.push('/');
            s.push_str(p);
        }
        format!("{s}@{}", r.git_ref)
    });
    Some((what, fixed))
}

fn check_step(cx: &mut Ctx<'_>, step: &Node) {
    let Some((uses, node)) = sec::step_uses(step) else {
        return;
    };
    if let Uses::Repo(r) = uses
        && let Some((what, fixed)) = odd_path(&r)
    {
        let value = node.as_str().unwrap_or_default();
        let span = value_span(cx.source, node, 0, value.len());
        let fix =
            fixed.filter(|_| cx.source.get(span.start.offset..span.end.offset) == Some(value));
        let fix = fix.map(|to| Fix {
            title: format!("write `{to}`"),
            edits: vec![Edit::replace(span.start.offset, span.end.offset, to)],
        });
        let f = cx.audit(
            LOW,
            node.span,
            format!("`uses: {value}` has {what}, which hides which action runs"),
            "write the plain `owner/repo/path@ref`",
        );
        f.scope = Some(step.span);
        f.fix = fix;
    }
    if let Some((key, with)) = step.entry("with")
        && with.as_str().is_some_and(|s| has_expr(&s))
    {
        cx.audit(
            Audit::new(AuditSeverity::Informational, Confidence::High),
            key.span,
            "`with:` is one expression, so nobody can see which inputs the action gets",
            "list the inputs under `with:`, each with its own expression",
        )
        .scope = Some(step.span);
    }
}

impl Rule for Obfuscation {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn workflow(&self, _wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        check_expressions(cx);
    }

    fn step(
        &self,
        _wf: &Workflow<'_>,
        _job: &crate::workflow::model::Job<'_>,
        step: &Step<'_>,
        cx: &mut Ctx<'_>,
    ) {
        check_step(cx, step.node);
    }

    fn action(&self, _action: &Action<'_>, cx: &mut Ctx<'_>) {
        check_expressions(cx);
    }

    fn composite_step(&self, _action: &Action<'_>, step: &Node, cx: &mut Ctx<'_>) {
        check_step(cx, step);
    }
}

fn check_expressions(cx: &mut Ctx<'_>) {
    for site in cx.expressions() {
        for p in site.exprs.iter().filter(|p| p.fenced) {
            // A whole expression that is a constant, even a plain literal (`${{ true }}`), or
            // else its constant parts that are more than a literal.
            let mut parts = Vec::new();
            if reducible(&p.ast) {
                parts.push(&p.ast);
            } else {
                reducible_parts(&p.ast, &mut parts);
            }
            let value = site.node.as_str().unwrap_or_default();
            for part in parts {
                let (start, end) = (
                    p.at.inner.start + part.span.start,
                    p.at.inner.start + part.span.end,
                );
                let text = value.get(start..end).unwrap_or_default();
                let whole = std::ptr::eq(part, &p.ast);
                let message = if whole {
                    format!("`${{{{ {text} }}}}` is a constant: it can be replaced by its value")
                } else {
                    format!("`{text}` is a constant: it can be replaced by its value")
                };
                cx.audit(
                    LOW,
                    value_span(cx.source, site.node, start, end),
                    message,
                    "write the value itself instead of an expression that computes it",
                );
            }
        }
    }
}
