//! `self-hosted-runner`: a job on a self-hosted runner (the `self-hosted` label, a runner
//! `group`, or a matrix value naming `self-hosted`). Such a runner keeps state between jobs and
//! sits inside someone's network; in a public repository a fork's pull request can run code on
//! it. zizmor reports this only to auditors; here it is a note.

use crate::lint::sec::matrix;
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Workflow};
use crate::workflow::yaml::Node;

/// The `self-hosted-runner` rule: Job runs on a self-hosted runner.
pub struct SelfHostedRunner;

static META: RuleMeta = RuleMeta {
    id: "self-hosted-runner",
    zizmor: Some("self-hosted-runner"),
    actionlint: None,
    summary: "Job runs on a self-hosted runner",
    severity: Severity::Note,
    actionlint_also: &[],
};

const HELP: &str = "use self-hosted runners only in private repositories, or make them \
                    ephemeral (just-in-time) and require approval for outside contributors' \
                    workflow runs";

fn names_self_hosted(n: &Node) -> bool {
    match n.as_seq() {
        Some(items) => items.iter().any(names_self_hosted),
        None => n
            .as_str()
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("self-hosted")),
    }
}

impl Rule for SelfHostedRunner {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        let Some((key, runs_on)) = job.node.entry("runs-on") else {
            return;
        };
        let (confidence, message) = if names_self_hosted(runs_on) {
            (Confidence::High, "the job runs on a self-hosted runner")
        } else if runs_on.get("group").is_some() {
            (
                Confidence::Low,
                "a runner group usually means self-hosted runners",
            )
        } else if let Some(path) = runs_on
            .as_str()
            .map(str::trim)
            .and_then(|s| s.strip_prefix("${{"))
            .and_then(|s| s.strip_suffix("}}"))
            .map(str::trim)
            .and_then(|s| s.strip_prefix("matrix."))
        {
            let values = matrix::values(job.node, path).unwrap_or_default();
            if !values.iter().any(|v| names_self_hosted(v)) {
                return;
            }
            (
                Confidence::High,
                "a matrix value runs the job on a self-hosted runner",
            )
        } else {
            return;
        };
        cx.audit(
            Audit::new(AuditSeverity::Low, confidence),
            key.span,
            message,
            HELP,
        )
        .scope = Some(job.node.span);
    }
}
