//! `dangerous-triggers`: `pull_request_target`, `workflow_run` and `issue_comment` start a
//! workflow in the base repository, with its secrets and a token that can write, for events
//! anyone can cause (a pull request from a fork, the run it triggers, a comment). Keeping such a workflow safe takes more than
//! not checking out the pull request (argument and environment injection, `GITHUB_ENV`, caches),
//! so the trigger itself is reported, as zizmor does; `pr-target-checkout` reports the worst
//! case on its own. A workflow whose only job is one `actions/labeler` step is the documented
//! use of `pull_request_target` and is left alone.

use crate::lint::sec;
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::Workflow;
use crate::workflow::yaml::Span;

/// The `dangerous-triggers` rule: pull_request_target, workflow_run or issue_comment: privileged
/// runs anyone can start.
pub struct DangerousTriggers;

static META: RuleMeta = RuleMeta {
    id: "dangerous-triggers",
    zizmor: Some("dangerous-triggers"),
    actionlint: None,
    summary: "pull_request_target, workflow_run or issue_comment: privileged runs anyone can start",
    severity: Severity::Warning,
    actionlint_also: &[],
};

const HIGH_MEDIUM: Audit = Audit::new(AuditSeverity::High, Confidence::Medium);

/// The workflow is one job with one `actions/labeler` step.
fn is_labeler_only(wf: &Workflow<'_>) -> bool {
    matches!(wf.jobs.as_slice(), [job] if matches!(job.steps.as_slice(),
        [step] if sec::step_is(step.node, "actions/labeler")))
}

/// The triggers, what they expose, and what to do instead.
const TRIGGERS: &[(&str, &str, &str)] = &[
    (
        "pull_request_target",
        "pull_request_target runs with this repository's secrets and a write token for pull \
         requests from anyone's fork",
        "use `pull_request` unless the workflow must write to the repository; if it must, never \
         run or read the pull request's code, restrict `branches:`, and keep `permissions:` \
         minimal",
    ),
    (
        "workflow_run",
        "workflow_run runs with this repository's secrets and a write token after workflows \
         anyone can start (a fork's pull request)",
        "prefer a reusable workflow (`workflow_call`); if not, treat the triggering run's \
         artifacts, branch names and outputs as untrusted input",
    ),
    (
        "issue_comment",
        "issue_comment runs with this repository's secrets and a write token for a comment \
         anyone can write, on issues and pull requests alike",
        "check who commented (`github.event.comment.author_association`) before doing \
         anything privileged, and never check out or run a pull request's code",
    ),
];

impl Rule for DangerousTriggers {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn workflow(&self, wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        let Some((on_key, on_value)) = wf.on else {
            return;
        };
        // A `# zizmor: ignore[...]` anywhere in `on:` silences it, as in zizmor.
        let scope = Span {
            start: on_key.span.start,
            end: on_value.span.end,
        };
        for trigger in &wf.events {
            let Some((_, message, help)) = TRIGGERS.iter().find(|(t, _, _)| *t == trigger.name)
            else {
                continue;
            };
            if trigger.name == "pull_request_target" && is_labeler_only(wf) {
                continue;
            }
            cx.audit(HIGH_MEDIUM, trigger.name_node.span, *message, *help)
                .scope = Some(scope);
        }
    }
}
