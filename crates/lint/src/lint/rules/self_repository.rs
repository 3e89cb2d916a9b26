//! `self-repository`: an action or reusable workflow of this repository referenced as
//! `./path`, which resolves against whatever the workspace holds when the step runs (a step
//! before it may have replaced it), instead of GitHub's self-repository syntax `$/path`, which
//! resolves against the workflow's own commit. Low severity, as in zizmor.

use crate::lint::sec::{self, Uses};
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Edit, Fix, Rule, RuleMeta, Severity};
use crate::workflow::action::Action;
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::position::value_span;
use crate::workflow::yaml::Node;

/// The `self-repository` rule: Local action or workflow referenced as ./path instead of $/path.
pub struct SelfRepository;

static META: RuleMeta = RuleMeta {
    id: "self-repository",
    zizmor: Some("self-repository"),
    actionlint: None,
    summary: "Local action or workflow referenced as ./path instead of $/path",
    severity: Severity::Note,
    actionlint_also: &[],
};

const LOW: Audit = Audit::new(AuditSeverity::Low, Confidence::High);

/// `fixable`: in a workflow `$/` means the same as `./` after a checkout of the workflow's
/// commit; in a composite action `./` is the caller's workspace, so it is left alone. It is
/// asked only for a `./` reference (it may look at every step of the job).
fn check(cx: &mut Ctx<'_>, owner: &Node, uses: &Node, fixable: impl FnOnce() -> bool) {
    let Some(text) = uses.as_str() else { return };
    let Some(Uses::Local {
        raw,
        self_repository: false,
    }) = Uses::of(uses)
    else {
        return;
    };
    let Some(rest) = raw.strip_prefix("./") else {
        return;
    };
    // The `.` as written, so that the fix replaces exactly it (quotes and all kept).
    let offset = text.len() - text.trim_start().len();
    let dot = value_span(cx.source, uses, offset, offset + 1);
    let fix =
        (fixable() && cx.source.get(dot.start.offset..dot.end.offset) == Some(".")).then(|| Fix {
            title: format!("write `$/{rest}`"),
            edits: vec![Edit::replace(dot.start.offset, dot.end.offset, "$")],
        });
    let f = cx.audit(
        LOW,
        uses.span,
        format!("{raw:?} is read from the workspace, which earlier steps can change"),
        format!("write `$/{rest}`: GitHub then reads it from the workflow's own commit"),
    );
    f.scope = Some(owner.span);
    f.fix = fix;
}

/// Whether a step of the job checks out another repository or into a sub-folder: `./path`
/// may then mean code that is not this repository's, and rewriting it would change what runs.
fn checks_out_elsewhere(job: &Job<'_>) -> bool {
    job.steps.iter().any(|s| {
        sec::step_is(s.node, "actions/checkout")
            && (sec::with_str(s.node, "repository").is_some()
                || sec::with_str(s.node, "path").is_some())
    })
}

impl Rule for SelfRepository {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        if let Some(uses) = job.get("uses") {
            check(cx, job.node, uses, || true);
        }
    }

    fn step(&self, _wf: &Workflow<'_>, job: &Job<'_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        if let Some(uses) = step.uses() {
            check(cx, step.node, uses, || !checks_out_elsewhere(job));
        }
    }

    fn action(&self, action: &Action<'_>, cx: &mut Ctx<'_>) {
        for step in sec::composite_steps(action) {
            if let Some(uses) = step.get("uses") {
                check(cx, step, uses, || false);
            }
        }
    }
}
