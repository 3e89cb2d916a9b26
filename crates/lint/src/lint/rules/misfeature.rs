//! `misfeature`: GitHub Actions features that work but make a workflow hard to review or
//! brittle: `actions/setup-python`'s `pip-install:` (packages into the global interpreter,
//! outside any environment or lockfile), and the Windows `cmd` shell (no grammar to speak of;
//! nothing can check what such a script does). Low severity, as in zizmor.

use crate::lint::sec;
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Rule, RuleMeta, Severity};
use crate::workflow::action::Action;
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::yaml::Node;

/// The `misfeature` rule: setup-python's pip-install, or the Windows cmd shell.
pub struct Misfeature;

static META: RuleMeta = RuleMeta {
    id: "misfeature",
    zizmor: Some("misfeature"),
    actionlint: None,
    summary: "setup-python's pip-install, or the Windows cmd shell",
    severity: Severity::Note,
    actionlint_also: &[],
};

const LOW: Audit = Audit::new(AuditSeverity::Low, Confidence::High);

fn check(cx: &mut Ctx<'_>, wf: Option<&Workflow<'_>>, job: Option<&Node>, step: &Node) {
    if sec::step_is(step, "actions/setup-python")
        && let Some((key, _)) = step.get("with").and_then(|w| w.entry("pip-install"))
    {
        cx.audit(
            LOW,
            key.span,
            "`pip-install` installs packages into the global Python, outside any virtual \
             environment or lockfile",
            "create a virtual environment in a `run:` step and install from a locked \
             requirements file",
        )
        .scope = Some(step.span);
    }
    if step.get("run").is_none() {
        return;
    }
    let Some(shell) = sec::shell_node(wf, job, step) else {
        return;
    };
    let program = sec::shell_of(wf, job, step).to_ascii_lowercase();
    if program == "cmd" || program == "cmd.exe" {
        cx.audit(
            LOW,
            shell.span,
            "the Windows `cmd` shell has no real grammar: nothing can check what its scripts do",
            "use `shell: pwsh` or `shell: bash`",
        );
    }
}

impl Rule for Misfeature {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn step(&self, wf: &Workflow<'_>, job: &Job<'_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        check(cx, Some(wf), Some(job.node), step.node);
    }

    fn composite_step(&self, _action: &Action<'_>, step: &Node, cx: &mut Ctx<'_>) {
        check(cx, None, None, step);
    }
}
