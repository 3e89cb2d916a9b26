//! `credentials`: registry passwords of `container` and `services` must come from secrets, not
//! be written in the workflow, where everyone who can read the repository reads them. GitHub
//! runs such a workflow, so this is a warning (zizmor rates it high); the message is
//! actionlint's.

use crate::expr::has_expr;
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Workflow};
use crate::workflow::yaml::Node;

/// The `credentials` rule: Hard-coded registry passwords in container and services.
pub struct Credentials;

static META: RuleMeta = RuleMeta {
    id: "credentials",
    zizmor: Some("hardcoded-container-credentials"),
    actionlint: Some("credentials"),
    summary: "Hard-coded registry passwords in container and services",
    severity: Severity::Warning,
    actionlint_also: &[],
};

fn check(cx: &mut Ctx<'_>, container: &Node, what: &str) {
    let Some(p) = container.get("credentials").and_then(|c| c.get("password")) else {
        return;
    };
    let Some(s) = p.as_str() else { return };
    if !s.is_empty() && !has_expr(&s) {
        cx.audit(
            Audit::new(AuditSeverity::High, Confidence::High),
            p.span,
            format!("\"password\" section in {what} should be specified via secrets. do not put password value directly"),
            "use `password: ${{ secrets.REGISTRY_PASSWORD }}`",
        )
        .scope = Some(container.span);
    }
}

impl Rule for Credentials {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        if let Some(c) = job.get("container") {
            check(cx, c, "\"container\" section");
        }
        if let Some(services) = job.get("services").and_then(Node::as_map) {
            for (k, s) in services {
                let name = k.as_str().unwrap_or("");
                check(cx, s, &format!("{name:?} service"));
            }
        }
    }
}
