//! `deprecated-commands`: workflow commands printed by `run:` scripts that GitHub disabled
//! (`::set-env`, `::add-path`) or deprecated (`::set-output`, `::save-state`) in favour of the
//! `$GITHUB_ENV`, `$GITHUB_PATH`, `$GITHUB_OUTPUT` and `$GITHUB_STATE` files.

use crate::lint::exprs::pos::value_span;
use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::action::{Action, Using};
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::yaml::Node;

/// The `deprecated-commands` rule: Disabled or deprecated workflow commands (::set-output,
/// ::set-env, ...) in run:.
pub struct DeprecatedCommands;

static META: RuleMeta = RuleMeta {
    id: "deprecated-commands",
    zizmor: None,
    actionlint: Some("deprecated-commands"),
    summary: "Disabled or deprecated workflow commands (::set-output, ::set-env, ...) in run:",
    severity: Severity::Error,
    actionlint_also: &[],
};

/// Command, whether it takes `name=`, the replacement, and whether GitHub disabled it.
const COMMANDS: &[(&str, bool, &str, bool)] = &[
    (
        "set-output",
        true,
        "echo \"{name}={value}\" >> \"$GITHUB_OUTPUT\"",
        false,
    ),
    (
        "save-state",
        true,
        "echo \"{name}={value}\" >> \"$GITHUB_STATE\"",
        false,
    ),
    (
        "set-env",
        true,
        "echo \"{name}={value}\" >> \"$GITHUB_ENV\"",
        true,
    ),
    (
        "add-path",
        false,
        "echo \"{path}\" >> \"$GITHUB_PATH\"",
        true,
    ),
];

/// Whether `s` starts with `::cmd name=x::v` (or `::add-path::v` for a command without a name).
fn command_at(s: &str, cmd: &str, named: bool) -> bool {
    let Some(rest) = s.strip_prefix("::").and_then(|r| r.strip_prefix(cmd)) else {
        return false;
    };
    let rest = if named {
        let trimmed = rest.trim_start_matches([' ', '\t']);
        if trimmed.len() == rest.len() {
            return false;
        }
        let Some(name) = trimmed.strip_prefix("name=") else {
            return false;
        };
        let mut chars = name.char_indices();
        if !chars.next().is_some_and(|(_, c)| c.is_ascii_alphabetic()) {
            return false;
        }
        let end = chars
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
            .map_or(name.len(), |(i, _)| i);
        &name[end..]
    } else {
        rest
    };
    rest.strip_prefix("::")
        .and_then(|v| v.chars().next())
        .is_some_and(|c| !c.is_whitespace())
}

fn check(cx: &mut Ctx<'_>, run: Option<&Node>) {
    let Some(run) = run else { return };
    let Some(script) = run.as_str() else { return };
    for at in crate::bytes::str_positions("::", script) {
        let rest = &script[at..];
        for &(cmd, named, instead, disabled) in COMMANDS {
            if !command_at(rest, cmd, named) {
                continue;
            }
            let span = value_span(cx.source, run, at, at + 2 + cmd.len());
            let (severity, what) = if disabled {
                (Severity::Error, "is disabled on GitHub and fails the step")
            } else {
                (Severity::Warning, "was deprecated")
            };
            cx.report_with(
                severity,
                span,
                format!("workflow command {cmd:?} {what}. use `{instead}` instead"),
                Some(
                    "see https://docs.github.com/en/actions/using-workflows/\
                     workflow-commands-for-github-actions"
                        .into(),
                ),
            );
        }
    }
}

impl Rule for DeprecatedCommands {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn step(&self, _wf: &Workflow<'_>, _job: &Job<'_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        check(cx, step.run());
    }

    fn action(&self, action: &Action<'_>, cx: &mut Ctx<'_>) {
        if action.using != Some(Using::Composite) {
            return;
        }
        let steps = action
            .runs
            .and_then(|r| r.get("steps"))
            .and_then(Node::as_seq);
        for step in steps.unwrap_or_default() {
            check(cx, step.get("run"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::command_at;

    #[test]
    fn recognises_commands() {
        assert!(command_at("::set-output name=foo::bar", "set-output", true));
        assert!(command_at("::set-env name=A_B::1", "set-env", true));
        assert!(command_at("::add-path::/usr/bin", "add-path", false));
        assert!(!command_at(
            "::set-output name=foo:: bar",
            "set-output",
            true
        ));
        assert!(!command_at("::set-outputname=foo::bar", "set-output", true));
        assert!(!command_at("::set-output name=1x::bar", "set-output", true));
        assert!(!command_at("::add-path:: x", "add-path", false));
    }
}
