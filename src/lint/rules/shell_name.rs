//! `shell-name`: `shell:` names a shell the runner knows, or a custom `cmd {0}` template.

use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::yaml::Node;

/// See the module docs.
pub struct ShellName;

static META: RuleMeta = RuleMeta {
    id: "shell-name",
    summary: "shell: must be a shell the runner knows, or a custom command with {0}",
    severity: Severity::Error,
};

/// Shells available on every runner OS.
const SHELLS: &[&str] = &["bash", "pwsh", "python", "sh", "cmd", "powershell"];

fn check(cx: &mut Ctx<'_>, n: &Node) {
    let Some(s) = n.as_str() else { return };
    if s.is_empty() || s.contains("${{") {
        return;
    }
    let first = s.split_whitespace().next().unwrap_or("");
    // A custom shell is a command line with `{0}` where the script path goes.
    if s.contains("{0}") || SHELLS.contains(&first) && s.split_whitespace().count() == 1 {
        return;
    }
    if SHELLS.contains(&first) {
        cx.report_help(
            n.span,
            format!("shell {s:?} has arguments but no \"{{0}}\" placeholder for the script file"),
            "write a custom shell as e.g. `bash -e {0}`",
        );
        return;
    }
    cx.report(
        n.span,
        format!(
            "shell name {s:?} is invalid. available names are {}",
            crate::lint::schema::quote_list(SHELLS)
        ),
    );
}

impl Rule for ShellName {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn workflow(&self, wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        if let Some(s) = wf
            .root
            .get("defaults")
            .and_then(|d| d.get("run"))
            .and_then(|r| r.get("shell"))
        {
            check(cx, s);
        }
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        if let Some(s) = job
            .get("defaults")
            .and_then(|d| d.get("run"))
            .and_then(|r| r.get("shell"))
        {
            check(cx, s);
        }
    }

    fn step(&self, _wf: &Workflow<'_>, _job: &Job<'_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        if let Some(s) = step.node.get("shell") {
            check(cx, s);
        }
    }
}
