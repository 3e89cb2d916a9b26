//! `unredacted-secrets`: `fromJSON(secrets.X).field` reads one field of a secret that holds
//! JSON. The runner masks each secret's whole value in logs, not the pieces of it, so the
//! field's value can be printed in clear.

use crate::expr::ast::{Expr, ExprKind};
use crate::lint::sec;
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Rule, RuleMeta, Severity};
use crate::workflow::action::Action;
use crate::workflow::model::Workflow;
use crate::workflow::position::value_span;

/// The `unredacted-secrets` rule: fromJSON() of a secret: its fields are not masked in logs.
pub struct UnredactedSecrets;

static META: RuleMeta = RuleMeta {
    id: "unredacted-secrets",
    zizmor: Some("unredacted-secrets"),
    actionlint: None,
    summary: "fromJSON() of a secret: its fields are not masked in logs",
    severity: Severity::Warning,
    actionlint_also: &[],
};

/// `fromJSON()` calls of secrets in `e`.
fn leaks(e: &Expr) -> usize {
    match &e.kind {
        ExprKind::Call { name, args } if name.eq_ignore_ascii_case("fromjson") => {
            let of_secret = args
                .iter()
                .any(|a| sec::context_path(a).is_some_and(|p| sec::path_under(&p, "secrets")));
            if of_secret {
                1
            } else {
                args.iter().map(leaks).sum()
            }
        }
        _ => e.children().map(leaks).sum(),
    }
}

fn check(cx: &mut Ctx<'_>) {
    for site in cx.expressions() {
        for p in site.exprs.iter().filter(|p| p.fenced) {
            for _ in 0..leaks(&p.ast) {
                cx.audit(
                    Audit::new(AuditSeverity::Medium, Confidence::High),
                    value_span(cx.source, site.node, p.at.whole.start, p.at.whole.end),
                    "a field of a JSON secret is not masked in the logs: only whole secret values \
                     are",
                    "store each field as a secret of its own and use `secrets.NAME`",
                );
            }
        }
    }
}

impl Rule for UnredactedSecrets {
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

    #[test]
    fn counts() {
        for (e, n) in [
            ("secrets", 0),
            ("fromJSON(notsecrets)", 0),
            ("fromJSON(secrets)", 1),
            ("fromjson(SECRETS)", 1),
            ("fromJSON(secrets.foo).bar.baz", 1),
            ("fromJSON(secrets.foo) && fromJSON(secrets.bar)", 2),
        ] {
            assert_eq!(leaks(&parse(e).expect("parse")), n, "{e}");
        }
    }
}
