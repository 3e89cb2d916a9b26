//! `excessive-permissions`: `permissions: write-all`, and deploy jobs that run with the
//! repository's default token permissions because neither the workflow nor the job says
//! which ones it needs (the default may be read-write on every scope).

use crate::lint::deploy::job_deploys;
use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Workflow};
use crate::workflow::yaml::Node;

/// See the module docs.
pub struct ExcessivePermissions;

static META: RuleMeta = RuleMeta {
    id: "excessive-permissions",
    zizmor: Some("excessive-permissions"),
    actionlint: None,
    summary: "write-all permissions, or a deploy job with default token permissions",
    severity: Severity::Warning,
};

const HELP_SCOPES: &str = "list only the scopes the job needs, e.g. `permissions: { contents: \
                           read, id-token: write }` (`id-token: write` for cloud login with OIDC)";

fn check_write_all(cx: &mut Ctx<'_>, value: Option<&Node>, whose: &str) {
    let Some(v) = value else { return };
    if v.as_str().map(str::trim) == Some("write-all") {
        cx.report_help(
            v.span,
            format!("{whose} grants the token write access to every scope"),
            HELP_SCOPES,
        );
    }
}

impl Rule for ExcessivePermissions {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn workflow(&self, wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        check_write_all(cx, wf.root.get("permissions"), "the workflow");
    }

    fn job(&self, wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        check_write_all(cx, job.get("permissions"), &format!("job {:?}", job.id));
        if job.get("permissions").is_some() || wf.root.get("permissions").is_some() {
            return;
        }
        let deploys = job_deploys(job);
        let Some(first) = deploys.first() else {
            return;
        };
        cx.report_help(
            job.id_node.span,
            format!(
                "job {:?} deploys ({} at line {}) with the default token permissions: neither \
                 the workflow nor the job sets `permissions:`",
                job.id, first.what, first.node.span.start.line
            ),
            HELP_SCOPES,
        );
    }
}
