//! `unsound-ternary`: `cond && value || fallback` used as a ternary when `value` is falsy
//! (`''`, `0`, `false`, `null`): the expression then gives `fallback` even when `cond` holds.
//! `case(cond, value, fallback)` is the ternary GitHub has.

use crate::expr::ast::{Expr, ExprKind, LogicalOp};
use crate::lint::sec::consteval;
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Rule, RuleMeta, Severity};
use crate::workflow::action::Action;
use crate::workflow::model::Workflow;
use crate::workflow::position::value_span;

/// The `unsound-ternary` rule: A pseudo-ternary (cond && value, or else fallback) whose value is
/// falsy.
pub struct UnsoundTernary;

static META: RuleMeta = RuleMeta {
    id: "unsound-ternary",
    zizmor: Some("unsound-ternary"),
    actionlint: None,
    summary: "A pseudo-ternary (cond && value, or else fallback) whose value is falsy",
    severity: Severity::Note,
    actionlint_also: &[],
};

fn is_constant(e: &Expr) -> bool {
    consteval::eval(e).is_some()
}

/// The operands of a chain of `||`.
fn or_operands<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match &e.kind {
        ExprKind::Logical {
            op: LogicalOp::Or,
            left,
            right,
        } if !is_constant(e) => {
            or_operands(left, out);
            or_operands(right, out);
        }
        _ => out.push(e),
    }
}

/// The falsy "true values" of pseudo-ternaries in `e`.
fn unsound<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    if is_constant(e) {
        return;
    }
    if let ExprKind::Logical {
        op: LogicalOp::Or, ..
    } = &e.kind
    {
        let mut ops = Vec::new();
        or_operands(e, &mut ops);
        for op in &ops[..ops.len().saturating_sub(1)] {
            if let ExprKind::Logical {
                op: LogicalOp::And,
                right,
                ..
            } = &op.kind
                && consteval::eval(right).is_some_and(|v| !v.truthy())
            {
                out.push(right);
            }
        }
        for op in ops {
            unsound(op, out);
        }
        return;
    }
    for c in e.children() {
        unsound(c, out);
    }
}

fn check(cx: &mut Ctx<'_>) {
    for site in cx.expressions() {
        let value = site.node.as_str().unwrap_or_default();
        for p in site.exprs.iter().filter(|p| p.fenced) {
            let mut found = Vec::new();
            unsound(&p.ast, &mut found);
            for v in found {
                let (start, end) = (
                    p.at.inner.start + v.span.start,
                    p.at.inner.start + v.span.end,
                );
                let text = value.get(start..end).unwrap_or_default();
                cx.audit(
                    Audit::new(AuditSeverity::Low, Confidence::High),
                    value_span(cx.source, site.node, start, end),
                    format!(
                        "`{text}` is falsy, so this `&& ... ||` gives the fallback even when the \
                         condition holds"
                    ),
                    "use `case(condition, value, fallback)`, which returns the value whatever it is",
                );
            }
        }
    }
}

impl Rule for UnsoundTernary {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    fn values(s: &str) -> Vec<String> {
        let e = parse(s).expect("parse");
        let mut out = Vec::new();
        unsound(&e, &mut out);
        out.iter()
            .map(|v| s[v.span.start..v.span.end].to_string())
            .collect()
    }

    #[test]
    fn falsy_true_values() {
        assert_eq!(values("foo && '' || 'bar'"), ["''"]);
        assert_eq!(values("foo && 0 || 'bar'"), ["0"]);
        assert_eq!(
            values("foo && fromJSON('false') || 'bar'"),
            ["fromJSON('false')"]
        );
        assert_eq!(values("foo || bar && '' || 'baz'"), ["''"]);
        assert_eq!(values("(foo && '' || 'bar') || baz"), ["''"]);
        assert!(values("foo && 'x' || 'bar'").is_empty());
        assert!(values("foo && ''").is_empty());
    }
}
