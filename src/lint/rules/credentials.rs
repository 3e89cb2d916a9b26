//! `credentials`: registry passwords of `container` and `services` must come from secrets, not
//! be written in the workflow.

use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Workflow};
use crate::workflow::yaml::Node;

/// See the module docs.
pub struct Credentials;

static META: RuleMeta = RuleMeta {
    id: "credentials",
    summary: "Hard-coded registry passwords in container and services",
    severity: Severity::Error,
};

fn check(cx: &mut Ctx<'_>, container: &Node, what: &str) {
    let Some(p) = container.get("credentials").and_then(|c| c.get("password")) else {
        return;
    };
    let Some(s) = p.as_str() else { return };
    if !s.is_empty() && !s.contains("${{") {
        cx.report_help(
            p.span,
            format!("\"password\" section in {what} should be specified via secrets. do not put password value directly"),
            "use `password: ${{ secrets.REGISTRY_PASSWORD }}`",
        );
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
