//! `unpinned-tools`: an action that downloads a tool at run time and takes the latest release
//! unless its version input (`with: version:`) names one. The action may be pinned; what it installs is not. The
//! actions are [`crate::lint::sec::data::tools::LATEST_BY_DEFAULT`].

use crate::expr::has_expr;
use crate::lint::sec;
use crate::lint::sec::data::tools::LATEST_BY_DEFAULT;
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Rule, RuleMeta, Severity};
use crate::workflow::action::Action;
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::yaml::Node;

/// The `unpinned-tools` rule: Action installs the latest release of a tool unless given a version.
pub struct UnpinnedTools;

static META: RuleMeta = RuleMeta {
    id: "unpinned-tools",
    zizmor: Some("unpinned-tools"),
    actionlint: None,
    summary: "Action installs the latest release of a tool unless given a version",
    severity: Severity::Warning,
    actionlint_also: &[],
};

const HELP: &str = "set the action's version input (`with: version:`, or `just-version:` for \
                    setup-just) to a released version of the tool";

fn check(cx: &mut Ctx<'_>, step: &Node) {
    if sec::never_runs(step) {
        return;
    }
    let Some((uses, uses_node)) = sec::step_uses(step) else {
        return;
    };
    let Some((name, input)) = uses.find_in(LATEST_BY_DEFAULT, |(a, _)| a) else {
        return;
    };
    let version = step.get("with").and_then(|w| w.get(input));
    let (audit, span, message) = match version.and_then(|v| v.as_str().map(|s| (v, s))) {
        None => (
            Audit::new(AuditSeverity::Medium, Confidence::High),
            uses_node.span,
            format!("{name} installs the latest release: no `{input}` is given"),
        ),
        Some((v, s)) if s.trim() == "latest" => (
            Audit::new(AuditSeverity::Medium, Confidence::High),
            v.span,
            format!("`{input}: latest` makes {name} install whatever was released last"),
        ),
        Some((v, s)) if has_expr(&s) => (
            Audit::new(AuditSeverity::Medium, Confidence::Low),
            v.span,
            format!("the version {name} installs is computed and may be `latest`"),
        ),
        Some(_) => return,
    };
    cx.audit(audit, span, message, HELP).scope = Some(step.span);
}

impl Rule for UnpinnedTools {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn step(&self, _wf: &Workflow<'_>, _job: &Job<'_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        check(cx, step.node);
    }

    fn action(&self, action: &Action<'_>, cx: &mut Ctx<'_>) {
        for step in sec::composite_steps(action) {
            check(cx, step);
        }
    }
}
