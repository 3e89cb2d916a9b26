//! `unsound-contains`: an `if:` that tests membership with `contains('main develop',
//! github.ref)`. With a string as the first argument `contains` is a substring test, so a
//! branch named `mai` passes too. High severity when the tested value is one a pull request
//! or a pusher chooses (a ref, an actor, an input), informational otherwise, as in zizmor.

use crate::expr::ast::{Expr, ExprKind};
use crate::lint::sec::{self, exprs};
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Rule, RuleMeta, Severity};
use crate::workflow::action::Action;
use crate::workflow::model::Workflow;
use crate::workflow::position::value_span;

/// The `unsound-contains` rule: contains('a b', value) in if: is a substring test, not membership.
pub struct UnsoundContains;

static META: RuleMeta = RuleMeta {
    id: "unsound-contains",
    zizmor: Some("unsound-contains"),
    actionlint: None,
    summary: "contains('a b', value) in if: is a substring test, not membership",
    severity: Severity::Warning,
    actionlint_also: &[],
};

/// Values an outsider or a pusher can choose (zizmor's list).
const CONTROLLABLE: &[&str] = &[
    "env",
    "github.actor",
    "github.base_ref",
    "github.head_ref",
    "github.ref",
    "github.ref_name",
    "github.sha",
    "github.triggering_actor",
    "inputs",
];

/// `contains(<string literal>, <context>)` calls in `e`: the context and its path.
fn string_contains<'e>(e: &'e Expr, out: &mut Vec<(&'e Expr, String)>) {
    exprs::visit(e, &mut |n| {
        if let ExprKind::Call { name, args } = &n.kind
            && name.eq_ignore_ascii_case("contains")
            && let [first, second] = args.as_slice()
            && matches!(first.kind, ExprKind::String(_))
            && let Some(path) = sec::context_path(second)
        {
            out.push((second, path));
        }
    });
}

fn check(cx: &mut Ctx<'_>) {
    for site in cx.expressions().iter().filter(|s| s.condition) {
        let value = site.node.as_str().unwrap_or_default();
        for p in &site.exprs {
            let mut found = Vec::new();
            string_contains(&p.ast, &mut found);
            for (ctx, path) in found {
                let controllable = CONTROLLABLE.iter().any(|c| sec::path_under(&path, c));
                let severity = if controllable {
                    AuditSeverity::High
                } else {
                    AuditSeverity::Informational
                };
                let (start, end) = (
                    p.at.inner.start + ctx.span.start,
                    p.at.inner.start + ctx.span.end,
                );
                let text = value.get(start..end).unwrap_or_default();
                cx.audit(
                    Audit::new(severity, Confidence::High),
                    value_span(cx.source, site.node, start, end),
                    format!(
                        "`contains()` with a string tests whether `{text}` is a substring of it, \
                         not whether it is one of the listed values"
                    ),
                    "pass a list: `contains(fromJSON('[\"refs/heads/main\", \"refs/heads/dev\"]'), \
                     github.ref)`, or compare with `==` joined by `||`",
                );
            }
        }
    }
}

impl Rule for UnsoundContains {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn workflow(&self, _wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        check(cx);
    }

    fn action(&self, _action: &Action<'_>, cx: &mut Ctx<'_>) {
        check(cx);
    }
}
