//! `deploy-from-fork`: a job that deploys can run for a pull request (the workflow runs on
//! `pull_request` or `pull_request_target`) and no `if:` keeps it to other events or to
//! branches of this repository, so an unreviewed change gets deployed.
//!
//! An `if:` guards when it looks at the event or the ref (`github.event_name`, `github.ref`,
//! `github.head_ref`, `github.event.pull_request...`, `github.event.action`), on the job, on
//! every deploy step, or on a job it needs (a skipped job skips the jobs that need it, unless
//! their own `if:` says `always()`).

use std::collections::HashSet;

use crate::lint::deploy::job_deploys;
use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Workflow};
use crate::workflow::yaml::Node;

/// The `deploy-from-fork` rule: A deploy job can run for pull requests without an if: guard.
pub struct DeployFromFork;

static META: RuleMeta = RuleMeta {
    id: "deploy-from-fork",
    zizmor: None,
    actionlint: None,
    summary: "A deploy job can run for pull requests without an if: guard",
    severity: Severity::Warning,
    actionlint_also: &[],
};

/// Whether an `if:` condition tells pull requests apart from other runs.
fn guards(cond: Option<&Node>) -> bool {
    let Some(c) = cond.and_then(Node::as_str) else {
        return false;
    };
    let c: String = c.chars().filter(|c| !c.is_whitespace()).collect();
    let c = c.to_ascii_lowercase();
    [
        "github.event_name",
        "github.ref",
        "github.head_ref",
        "github.base_ref",
        "github.event.pull_request",
        "github.event.action",
        "github.event.label",
        "github.event.number",
    ]
    .iter()
    .any(|g| c.contains(g))
}

/// Whether a condition still runs the job when a needed job was skipped.
fn runs_after_skips(cond: Option<&Node>) -> bool {
    cond.and_then(Node::as_str).is_some_and(|c| {
        let c = c.to_ascii_lowercase();
        c.contains("always()") || c.contains("!cancelled()") || c.contains("failure()")
    })
}

/// Whether a job or any job it needs (through skips) is guarded.
fn guarded(wf: &Workflow<'_>, job: &Job<'_>, seen: &mut HashSet<String>) -> bool {
    if !seen.insert(job.id.to_string()) {
        return false;
    }
    let cond = job.get("if");
    if guards(cond) {
        return true;
    }
    if runs_after_skips(cond) {
        return false;
    }
    job.needs
        .iter()
        .filter_map(|n| wf.job(n.as_str()?))
        .any(|j| guarded(wf, j, seen))
}

impl Rule for DeployFromFork {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn job(&self, wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        let Some(event) = ["pull_request_target", "pull_request"]
            .into_iter()
            .find(|e| wf.event(e).is_some())
        else {
            return;
        };
        let deploys = job_deploys(job);
        let Some(first) = deploys.first() else {
            return;
        };
        if deploys.iter().all(|d| guards(d.step_node.get("if"))) {
            return;
        }
        if guarded(wf, job, &mut HashSet::new()) {
            return;
        }
        cx.report_help(
            job.id_node.span,
            format!(
                "job {:?} deploys ({} at line {}) and runs on {event} events: a pull request \
                 deploys its unreviewed change",
                job.id, first.what, first.node.span.start.line
            ),
            "guard the job: `if: github.event_name != 'pull_request'` (or \
             `github.ref == 'refs/heads/main'`); for preview deploys, require \
             `github.event.pull_request.head.repo.full_name == github.repository`",
        );
    }
}
