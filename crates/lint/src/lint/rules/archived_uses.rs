//! `archived-uses`: an action or reusable workflow from a repository its owner has archived.
//! Nobody fixes it any more: vulnerabilities in it, or in the dependencies it bundles, stay.
//! The list is [`crate::lint::sec::data::archived`].

use crate::lint::sec::data::archived::is_archived;
use crate::lint::sec::{self, Uses};
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Rule, RuleMeta, Severity};
use crate::workflow::action::Action;
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::yaml::Node;

/// The `archived-uses` rule: Action or reusable workflow from an archived repository.
pub struct ArchivedUses;

static META: RuleMeta = RuleMeta {
    id: "archived-uses",
    zizmor: Some("archived-uses"),
    actionlint: None,
    summary: "Action or reusable workflow from an archived repository",
    severity: Severity::Warning,
    actionlint_also: &[],
};

const MEDIUM: Audit = Audit::new(AuditSeverity::Medium, Confidence::High);

fn check(cx: &mut Ctx<'_>, owner: &Node, uses: &Node) {
    let Some(Uses::Repo(r)) = Uses::of(uses) else {
        return;
    };
    if !is_archived(r.owner, r.repo) {
        return;
    }
    cx.audit(
        MEDIUM,
        uses.span,
        format!("{} is archived: its owner no longer maintains it", r.slug()),
        "replace it with a maintained action, or with the commands it runs (the `gh` CLI \
         covers most GitHub API wrappers)",
    )
    .scope = Some(owner.span);
}

impl Rule for ArchivedUses {
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

    fn action(&self, action: &Action<'_>, cx: &mut Ctx<'_>) {
        for step in sec::composite_steps(action) {
            if let Some(uses) = step.get("uses") {
                check(cx, step, uses);
            }
        }
    }
}
