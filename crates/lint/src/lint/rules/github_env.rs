//! `github-env`: a `run:` script writes to `$GITHUB_ENV` or `$GITHUB_PATH` where an outsider
//! may control what is written: in a `pull_request_target` or `workflow_run` workflow, or in a
//! composite action (whose callers may be such workflows). A variable set that way reaches
//! every later step (`LD_PRELOAD`, `NODE_OPTIONS`), a directory put first on `PATH` shadows
//! every command. `echo`/`printf` of fixed text is left alone; bash/sh, PowerShell and cmd
//! scripts are read. Low confidence, as in zizmor: the value may be harmless.

use crate::expr::has_expr;
use std::sync::LazyLock;

use regex::Regex;

use crate::lint::deploy::commands;
use crate::lint::sec;
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Rule, RuleMeta, Severity};
use crate::workflow::action::Action;
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::yaml::Node;

/// The `github-env` rule: run: writes possibly untrusted data to GITHUB_ENV or GITHUB_PATH.
pub struct GithubEnv;

static META: RuleMeta = RuleMeta {
    id: "github-env",
    zizmor: Some("github-env"),
    actionlint: None,
    summary: "run: writes possibly untrusted data to GITHUB_ENV or GITHUB_PATH",
    severity: Severity::Warning,
    actionlint_also: &[],
};

/// cmd.exe: `... >> %GITHUB_ENV%` on one line.
static CMD_WRITE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"(?mi)^.+\s*>>?\s*"?%(GITHUB_ENV|GITHUB_PATH)%"?.*$"#).ok());

/// The environment file a redirection target names, if any.
fn env_file(target: &str) -> Option<&'static str> {
    let t = target.trim_matches('"');
    let name = t
        .strip_prefix("${")
        .and_then(|x| x.strip_suffix('}'))
        .or_else(|| t.strip_prefix('$'))?;
    match name {
        "GITHUB_ENV" => Some("GITHUB_ENV"),
        "GITHUB_PATH" => Some("GITHUB_PATH"),
        _ => None,
    }
}

/// PowerShell's name for them: `$env:GITHUB_ENV`, any case.
fn pwsh_env_file(target: &str) -> Option<&'static str> {
    let t = target.trim_matches('"').to_ascii_lowercase();
    let t = t.trim_start_matches("${").trim_end_matches('}');
    match t.trim_start_matches('$') {
        "env:github_env" => Some("GITHUB_ENV"),
        "env:github_path" => Some("GITHUB_PATH"),
        _ => None,
    }
}

/// Whether shell text expands anything (`$`, a backquote) outside single quotes.
fn expands(raw: &str) -> bool {
    let mut single = false;
    raw.chars().any(|c| {
        if c == '\'' {
            single = !single;
        }
        !single && (c == '$' || c == '`')
    })
}

/// Writes to an environment file in a bash/sh script that may carry untrusted data.
fn bash_writes(script: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    for cmd in commands(script) {
        let Some(first) = cmd.first() else { continue };
        let name = first.text.as_str();
        // The end of a group or a loop (`} >> "$GITHUB_ENV"`), and heredocs, whose text is
        // written as it stands in the script: not a simple command writing a value.
        if matches!(name, "}" | "done" | "fi" | "esac")
            || cmd.iter().any(|w| w.text.starts_with("<<"))
        {
            continue;
        }
        if name == "tee" {
            out.extend(cmd[1..].iter().filter_map(|w| env_file(&w.text)));
            continue;
        }
        for (i, w) in cmd.iter().enumerate() {
            let Some(gt) = w.text.rfind('>') else {
                continue;
            };
            let target = &w.text[gt + 1..];
            let target = if target.is_empty() {
                cmd.get(i + 1).map_or("", |n| n.text.as_str())
            } else {
                target
            };
            let Some(file) = env_file(target) else {
                continue;
            };
            // Fixed text echoed: no expansion (`$`) or command substitution (backquote) in the
            // arguments as written.
            let args_end = if w.text[..gt].trim_end_matches(['>', '1', '&']).is_empty() {
                w.start
            } else {
                w.start + gt
            };
            let raw = script.get(first.end..args_end).unwrap_or("$");
            // `${{ }}` is pasted in by GitHub whatever the shell's quotes say.
            let fixed = matches!(name, "echo" | "printf") && !expands(raw) && !has_expr(&raw);
            if !fixed {
                out.push(file);
            }
            break;
        }
    }
    out
}

/// Writes to an environment file in a PowerShell script.
fn pwsh_writes(script: &str) -> Vec<&'static str> {
    let script = script.replace("`\n", "  ");
    let mut out = Vec::new();
    for cmd in commands(&script) {
        let Some(first) = cmd.first() else { continue };
        let name = first.text.to_ascii_lowercase();
        let writer = matches!(
            name.as_str(),
            "out-file" | "add-content" | "set-content" | "tee-object"
        );
        for (i, w) in cmd.iter().enumerate() {
            if writer
                && i > 0
                && let Some(f) = pwsh_env_file(&w.text)
            {
                out.push(f);
                break;
            }
            if let Some(gt) = w.text.rfind('>') {
                let target = &w.text[gt + 1..];
                let target = if target.is_empty() {
                    cmd.get(i + 1).map_or("", |n| n.text.as_str())
                } else {
                    target
                };
                if let Some(f) = pwsh_env_file(target) {
                    out.push(f);
                    break;
                }
            }
        }
    }
    out
}

fn writes(script: &str, shell: &str) -> Vec<&'static str> {
    match shell {
        "bash" | "sh" | "zsh" => bash_writes(script),
        "pwsh" | "powershell" => pwsh_writes(script),
        "cmd" => CMD_WRITE.as_ref().map_or_else(Vec::new, |re| {
            re.captures_iter(script)
                .filter_map(|c| c.get(1))
                .map(|m| {
                    if m.as_str().eq_ignore_ascii_case("GITHUB_PATH") {
                        "GITHUB_PATH"
                    } else {
                        "GITHUB_ENV"
                    }
                })
                .collect()
        }),
        _ => Vec::new(),
    }
}

/// `in_action`: a composite action's step, whose callers may be workflows an outsider starts.
fn check(cx: &mut Ctx<'_>, step: &Node, shell: &str, in_action: bool) {
    if sec::never_runs(step) {
        return;
    }
    let Some((key, run)) = step.entry("run") else {
        return;
    };
    let Some(script) = run.as_str() else { return };
    if !script.contains("GITHUB_") && !script.to_ascii_lowercase().contains("github_") {
        return;
    }
    for file in writes(script, shell) {
        cx.audit(
            Audit::new(AuditSeverity::High, Confidence::Low),
            key.span,
            if in_action {
                format!(
                    "this action's script writes to {file}: called from a workflow an outsider \
                     can start, a value they control would reach every later step"
                )
            } else {
                format!(
                    "this script writes to {file} in a run an outsider can start: a value they \
                     control would reach every later step"
                )
            },
            "pass values between steps with $GITHUB_OUTPUT and `env:`, or write only fixed \
             text to the environment file",
        )
        .scope = Some(step.span);
    }
}

impl Rule for GithubEnv {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn step(&self, wf: &Workflow<'_>, job: &Job<'_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        let dangerous =
            sec::has_trigger(wf, "pull_request_target") || sec::has_trigger(wf, "workflow_run");
        if dangerous && step.run().is_some() {
            let shell = sec::shell_of(Some(wf), Some(job.node), step.node);
            check(cx, step.node, shell, false);
        }
    }

    fn action(&self, action: &Action<'_>, cx: &mut Ctx<'_>) {
        for step in sec::composite_steps(action) {
            if step.get("run").is_some() {
                let shell = sec::shell_of(None, None, step);
                check(cx, step, shell, true);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bash_patterns() {
        for (s, n) in [
            ("echo $foo >> $GITHUB_ENV", 1),
            ("echo \"foo=$(bar)\" >> \"$GITHUB_ENV\"", 1),
            ("echo FOO=`bar` >> ${GITHUB_ENV}", 1),
            ("echo foo=bar >> $GITHUB_ENV", 0),
            ("echo 'foo=$bar' >> $GITHUB_ENV", 0),
            ("printf 'x\\n' >> $GITHUB_PATH", 0),
            ("cat x >> $GITHUB_ENV", 1),
            ("echo \"$m\" | tee -a $GITHUB_PATH", 1),
            ("echo hi >> $GITHUB_OUTPUT", 0),
            ("{\n echo \"A=$x\"\n} >> $GITHUB_ENV", 0),
            ("cat << EOF >> $GITHUB_ENV\nA=1\nEOF", 0),
            ("echo 'K=${{ inputs.os }}' >> \"$GITHUB_ENV\"", 1),
        ] {
            assert_eq!(bash_writes(s).len(), n, "{s}");
        }
    }

    #[test]
    fn pwsh_and_cmd() {
        assert_eq!(
            writes("echo \"foo=$env:BAR\" >> $env:GITHUB_ENV", "pwsh").len(),
            1
        );
        assert_eq!(
            writes("Add-Content -Path $env:GITHUB_PATH -Value x", "pwsh").len(),
            1
        );
        assert_eq!(
            writes("echo LIBRARY=%LIBRARY% >> %GITHUB_ENV%", "cmd").len(),
            1
        );
    }
}
