//! `unpinned-uses`: an action or reusable workflow of another repository referenced by a tag
//! or branch instead of a full commit SHA. Tags and
//! branches move: whoever controls the repository (or steals its token) changes the code every
//! workflow that uses it runs. zizmor's default policy, hash-pinning everything, is ours.

use crate::lint::sec::Uses;
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Rule, RuleMeta, Severity};
use crate::workflow::action::Action;
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::yaml::Node;

/// The `unpinned-uses` rule: Action or reusable workflow not pinned to a full commit SHA.
pub struct UnpinnedUses;

static META: RuleMeta = RuleMeta {
    id: "unpinned-uses",
    zizmor: Some("unpinned-uses"),
    actionlint: None,
    summary: "Action or reusable workflow not pinned to a full commit SHA",
    severity: Severity::Warning,
    actionlint_also: &[],
};

const HIGH: Audit = Audit::new(AuditSeverity::High, Confidence::High);

fn check(cx: &mut Ctx<'_>, owner: &Node, uses: &Node) {
    let message = match Uses::of(uses) {
        Some(Uses::Repo(r)) if !r.is_hash_pinned() => {
            let how = if r.git_ref.is_empty() {
                "not pinned at all".to_string()
            } else {
                format!("pinned to {:?}, a tag or branch that can move", r.git_ref)
            };
            format!("{} is {how}", r.slug())
        }
        _ => return,
    };
    cx.audit(
        HIGH,
        uses.span,
        message,
        "pin the full 40-character commit SHA and keep the version in a comment \
         (`uses: owner/repo@<sha> # v1.2.3`); Dependabot and Renovate update both",
    )
    .scope = Some(owner.span);
}

impl Rule for UnpinnedUses {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        if let Some(uses) = job.get("uses") {
            check(cx, job.node, uses);
        }
    }

    fn step(&self, _wf: &Workflow<'_>, _job: &Job<'_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        if let Some(uses) = step.uses() {
            check(cx, step.node, uses);
        }
    }

    fn composite_step(&self, _action: &Action<'_>, step: &Node, cx: &mut Ctx<'_>) {
        if let Some(uses) = step.get("uses") {
            check(cx, step, uses);
        }
    }
}
