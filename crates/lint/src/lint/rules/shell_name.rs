//! `shell-name`: `shell:` names a shell the runner knows, or a custom `cmd {0}` template.

use crate::expr::has_expr;
use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::yaml::Node;

/// The `shell-name` rule: shell: must be a shell the runner knows, or a custom command with {0}.
pub struct ShellName;

static META: RuleMeta = RuleMeta {
    id: "shell-name",
    zizmor: None,
    actionlint: Some("shell-name"),
    summary: "shell: must be a shell the runner knows, or a custom command with {0}",
    severity: Severity::Error,
    actionlint_also: &[],
};

/// Shells available on some runner OS.
const SHELLS: &[&str] = &["bash", "pwsh", "python", "sh", "cmd", "powershell"];
const WINDOWS: &[&str] = &["bash", "cmd", "powershell", "pwsh", "python"];
const POSIX: &[&str] = &["bash", "pwsh", "python", "sh"];

/// The OS a job runs on, when `runs-on` says so plainly.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Os {
    Windows,
    Posix,
    Unknown,
}

fn job_os(job: &Job<'_>) -> Os {
    let Some(r) = job.get("runs-on") else {
        return Os::Unknown;
    };
    let labels: Vec<&str> = match r.as_seq() {
        Some(items) => items.iter().filter_map(Node::as_str).collect(),
        None => r.as_str().into_iter().collect(),
    };
    if labels.iter().any(|l| has_expr(&l)) {
        return Os::Unknown;
    }
    let lower: Vec<String> = labels.iter().map(|l| l.to_ascii_lowercase()).collect();
    if lower.iter().any(|l| l.starts_with("windows")) {
        Os::Windows
    } else if lower
        .iter()
        .any(|l| l.starts_with("ubuntu") || l.starts_with("macos") || l == "linux")
    {
        Os::Posix
    } else {
        Os::Unknown
    }
}

fn check_os(cx: &mut Ctx<'_>, n: &Node, os: Os) {
    let Some(s) = n.as_str() else { return };
    let name = s.trim().to_ascii_lowercase();
    if !SHELLS.contains(&name.as_str()) {
        return;
    }
    let (ok, what) = match os {
        Os::Windows => (WINDOWS, "Windows"),
        Os::Posix => (POSIX, "macOS or Linux"),
        Os::Unknown => return,
    };
    if !ok.contains(&name.as_str()) {
        cx.report(
            n.span,
            format!(
                "shell name {s:?} is invalid on {what}. available names are {}",
                crate::lint::schema::quote_list(ok)
            ),
        );
    }
}

fn check(cx: &mut Ctx<'_>, n: &Node) {
    let Some(s) = n.as_str() else { return };
    if s.is_empty() || has_expr(&s) {
        return;
    }
    let first = s
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let first = first.as_str();
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
    cx.report_unknown(
        cx.default_severity(),
        n,
        format!("shell name {s:?} is invalid"),
        SHELLS.iter().copied(),
        || {
            format!(
                ". available names are {}",
                crate::lint::schema::quote_list(SHELLS)
            )
        },
        None,
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
            // A workflow-wide default shell must work on every job's OS.
            for job in &wf.jobs {
                check_os(cx, s, job_os(job));
            }
        }
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        if let Some(s) = job
            .get("defaults")
            .and_then(|d| d.get("run"))
            .and_then(|r| r.get("shell"))
        {
            check(cx, s);
            check_os(cx, s, job_os(job));
        }
    }

    fn step(&self, _wf: &Workflow<'_>, job: &Job<'_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        if let Some(s) = step.node.get("shell") {
            check(cx, s);
            check_os(cx, s, job_os(job));
        }
    }
}
