//! `typosquat-uses`: an action whose `owner/repo` is one typo away (a character left out,
//! repeated, swapped with its neighbour or replaced) from a popular action of another owner,
//! as `action/checkout` is from `actions/checkout`. Whoever registers the misspelt name runs
//! code in every workflow that makes the typo. Offline we cannot tell whether the repository
//! exists, so confidence is low, as in zizmor.

use crate::lint::sec::Uses;
use crate::lint::sec::data::popular::{POPULAR, is_popular};
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Rule, RuleMeta, Severity};
use crate::workflow::action::Action;
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::yaml::Node;

/// The `typosquat-uses` rule: Action name one typo away from a popular action of another owner.
pub struct TyposquatUses;

static META: RuleMeta = RuleMeta {
    id: "typosquat-uses",
    zizmor: Some("typosquat-uses"),
    actionlint: None,
    summary: "Action name one typo away from a popular action of another owner",
    severity: Severity::Warning,
    actionlint_also: &[],
};

const HIGH_LOW: Audit = Audit::new(AuditSeverity::High, Confidence::Low);

/// Whether `a` and `b` are exactly one edit apart: one character inserted, deleted, replaced,
/// or two neighbours swapped (optimal string alignment distance 1).
fn one_typo_apart(a: &[u8], b: &[u8]) -> bool {
    if a == b || a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let start = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[start..], &b[start..]);
    match a.len().cmp(&b.len()) {
        std::cmp::Ordering::Less => a == &b[1..],
        std::cmp::Ordering::Greater => &a[1..] == b,
        std::cmp::Ordering::Equal => {
            a[1..] == b[1..] || (a.len() >= 2 && a[0] == b[1] && a[1] == b[0] && a[2..] == b[2..])
        }
    }
}

/// The popular action `slug` imitates, if any.
fn imitated(slug: &str) -> Option<&'static str> {
    if is_popular(slug) {
        return None;
    }
    let owner = slug.split('/').next().unwrap_or(slug);
    POPULAR.iter().copied().find(|p| {
        one_typo_apart(slug.as_bytes(), p.as_bytes()) && p.split('/').next() != Some(owner)
    })
}

fn check(cx: &mut Ctx<'_>, owner: &Node, uses: &Node) {
    let Some(Uses::Repo(r)) = Uses::of(uses) else {
        return;
    };
    let mut slug = r.slug();
    slug.make_ascii_lowercase();
    let Some(popular) = imitated(&slug) else {
        return;
    };
    cx.audit(
        HIGH_LOW,
        uses.span,
        format!("{} looks like a misspelling of {popular}", r.slug()),
        format!(
            "if you meant {popular}, correct the name; check who owns {}",
            r.slug()
        ),
    )
    .scope = Some(owner.span);
}

impl Rule for TyposquatUses {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos() {
        assert_eq!(imitated("action/checkout"), Some("actions/checkout"));
        assert_eq!(imitated("cations/checkout"), Some("actions/checkout"));
        assert_eq!(imitated("acti0ns/checkout"), Some("actions/checkout"));
        assert_eq!(imitated("actiions/checkout"), Some("actions/checkout"));
        assert_eq!(imitated("dokcer/login-action"), Some("docker/login-action"));
        // Same owner: the name fails at run time, nobody else can register it.
        assert_eq!(imitated("actions/chckout"), None);
        assert_eq!(imitated("actions/checkout"), None);
        assert_eq!(imitated("example/totally-different-thing"), None);
    }
}
