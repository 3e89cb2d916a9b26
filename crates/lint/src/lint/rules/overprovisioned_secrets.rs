//! `overprovisioned-secrets`: `toJSON(secrets)` or `secrets[<computed>]` hands the job every
//! secret the repository has, where naming each (`secrets.NAME`) would give it only those it
//! uses.

use crate::expr::ast::{Expr, ExprKind};
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Rule, RuleMeta, Severity};
use crate::workflow::action::Action;
use crate::workflow::model::Workflow;
use crate::workflow::position::value_span;

/// The `overprovisioned-secrets` rule: toJSON(secrets) or secrets[computed] exposes every secret to
/// the job.
pub struct OverprovisionedSecrets;

static META: RuleMeta = RuleMeta {
    id: "overprovisioned-secrets",
    zizmor: Some("overprovisioned-secrets"),
    actionlint: None,
    summary: "toJSON(secrets) or secrets[computed] exposes every secret to the job",
    severity: Severity::Warning,
    actionlint_also: &[],
};

fn is_secrets(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Variable { name, .. } if name == "secrets")
}

/// Expansions of the whole `secrets` context in `e`.
fn expansions(e: &Expr) -> usize {
    match &e.kind {
        ExprKind::Call { name, args }
            if name.eq_ignore_ascii_case("tojson") && args.iter().any(is_secrets) =>
        {
            1
        }
        ExprKind::Index { receiver, index }
            if is_secrets(receiver)
                && !matches!(
                    index.kind,
                    ExprKind::String(_)
                        | ExprKind::Int(_)
                        | ExprKind::Float(_)
                        | ExprKind::Bool(_)
                        | ExprKind::Null
                ) =>
        {
            1
        }
        _ => e.children().map(expansions).sum(),
    }
}

fn check(cx: &mut Ctx<'_>) {
    for site in cx.expressions() {
        for p in site.exprs.iter().filter(|p| p.fenced) {
            for _ in 0..expansions(&p.ast) {
                cx.audit(
                    Audit::new(AuditSeverity::Medium, Confidence::High),
                    value_span(cx.source, site.node, p.at.whole.start, p.at.whole.end),
                    "this gives the runner every secret of the repository, not only the ones it \
                     uses",
                    "name each secret the step needs: `secrets.NAME`",
                );
            }
        }
    }
}

impl Rule for OverprovisionedSecrets {
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
            ("toJSON(secrets.foo)", 0),
            ("toJSON(secrets)", 1),
            ("tOjSoN(sECrEtS)", 1),
            ("toJSON(secrets) || toJSON(secrets)", 2),
            ("format('{0}', toJSON(secrets))", 1),
            ("secrets[format('GH_PAT_%s', matrix.env)]", 1),
            ("SECRETS['literal']", 0),
        ] {
            assert_eq!(expansions(&parse(e).expect("parse")), n, "{e}");
        }
    }
}
