//! `insecure-commands`: `ACTIONS_ALLOW_UNSECURE_COMMANDS` turns the `::set-env::` and
//! `::add-path::` workflow commands back on; GitHub disabled them because anything a step
//! prints (a test's output, a pull request title echoed) could then set `LD_PRELOAD` or `PATH`
//! for the steps after it. Reported where it is set: the workflow's, a job's or a step's `env`.

use crate::lint::sec;
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Rule, RuleMeta, Severity};
use crate::workflow::action::Action;
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::yaml::Node;

/// The `insecure-commands` rule: ACTIONS_ALLOW_UNSECURE_COMMANDS re-enables set-env and add-path.
pub struct InsecureCommands;

static META: RuleMeta = RuleMeta {
    id: "insecure-commands",
    zizmor: Some("insecure-commands"),
    actionlint: None,
    summary: "ACTIONS_ALLOW_UNSECURE_COMMANDS re-enables set-env and add-path",
    severity: Severity::Warning,
    actionlint_also: &[],
};

const HIGH: Audit = Audit::new(AuditSeverity::High, Confidence::High);

/// Reports `env:` of `owner` when it sets the variable to a true value (GitHub reads it as a
/// boolean: `true`, any case).
fn check(cx: &mut Ctx<'_>, owner: &Node) {
    let Some((env_key, env)) = owner.entry("env") else {
        return;
    };
    let Some(value) = env.get("ACTIONS_ALLOW_UNSECURE_COMMANDS") else {
        return;
    };
    let on = value
        .as_str()
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("true") || s.trim() == "1");
    if !on {
        return;
    }
    cx.audit(
        HIGH,
        env_key.span,
        "ACTIONS_ALLOW_UNSECURE_COMMANDS lets anything a step prints set environment variables \
         and PATH for the steps after it",
        "remove it; write to \"$GITHUB_ENV\" and \"$GITHUB_PATH\" instead of `::set-env::` and \
         `::add-path::`",
    )
    .scope = Some(owner.span);
}

impl Rule for InsecureCommands {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn workflow(&self, wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        check(cx, wf.root);
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        check(cx, job.node);
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
