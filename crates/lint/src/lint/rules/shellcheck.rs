//! `shellcheck`: `run:` scripts of bash and sh steps (in workflows and composite actions) go
//! through shellcheck. This rule only decides which scripts and with which shell, and queues
//! them; `lint::shellcheck` runs shellcheck over every queued script of a run at once.
//!
//! The shell is the one GitHub picks: the step's `shell:`, else the job's
//! `defaults.run.shell`, else the workflow's, else the runner's default (`bash`, or PowerShell
//! on Windows runners, which is not checked). A `runs-on:` expression is followed into the
//! matrix when it can be; a step whose `if:` runs it only on Windows is PowerShell. When the
//! runner stays unknown the script is checked as bash, but a parse error there is only a
//! warning: it may be PowerShell on a Windows runner.

use crate::expr::has_expr;
use crate::lint::shellcheck::Script;
use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::action::{Action, Using};
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::yaml::Node;

/// The `shellcheck` rule: queues the `run:` scripts of bash and sh steps for shellcheck.
pub struct Shellcheck;

/// The rule's metadata (findings are made by `lint::shellcheck`).
pub static META: RuleMeta = RuleMeta {
    id: "shellcheck",
    summary: "run: scripts of bash and sh steps pass shellcheck (SC codes in the message); \
              a script the shell cannot parse is an error, the rest warnings",
    severity: Severity::Warning,
    zizmor: None,
    actionlint: Some("shellcheck"),
    actionlint_also: &[],
};

/// `defaults.run.shell` of a workflow or job mapping.
fn default_shell(n: &Node) -> Option<&Node> {
    n.get("defaults")?.get("run")?.get("shell")
}

/// The runner family of a job, for its default shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Runner {
    /// Linux or macOS (or a self-hosted label): bash.
    Posix,
    /// Windows: PowerShell.
    Windows,
    /// Chosen by an expression that may give either.
    Unknown,
}

fn is_windows_label(l: &str) -> bool {
    let l = l.trim().to_ascii_lowercase();
    l == "windows" || l.starts_with("windows-")
}

/// What `runs-on` of `job` runs on.
fn runner(job: &Job<'_>) -> Runner {
    let Some(runs_on) = job.get("runs-on") else {
        return Runner::Posix;
    };
    let labels = runs_on.get("labels").unwrap_or(runs_on);
    let items: Vec<&Node> = match labels.as_seq() {
        Some(items) => items.iter().collect(),
        None => vec![labels],
    };
    let mut out = Runner::Posix;
    for item in items {
        let Some(l) = item.as_str() else { continue };
        let this = if has_expr(&l) {
            matrix_runner(job, l)
        } else if is_windows_label(l) {
            Runner::Windows
        } else {
            Runner::Posix
        };
        match this {
            Runner::Windows => return Runner::Windows,
            Runner::Unknown => out = Runner::Unknown,
            Runner::Posix => {}
        }
    }
    out
}

/// The runner of a label `${{ matrix.NAME }}` (or `matrix.NAME[i]`): every value the matrix
/// gives NAME (its list and `include:` entries) decides it, when they are all plain strings.
fn matrix_runner(job: &Job<'_>, label: &str) -> Runner {
    let inner = label
        .trim()
        .strip_prefix("${{")
        .and_then(|r| r.strip_suffix("}}"))
        .map(str::trim)
        .unwrap_or_default();
    let Some(rest) = inner.strip_prefix("matrix.") else {
        return Runner::Unknown;
    };
    let name_end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    let (name, tail) = rest.split_at(name_end);
    if !(tail.is_empty() || tail.starts_with('[')) {
        return Runner::Unknown;
    }
    let Some(matrix) = job.get("strategy").and_then(|s| s.get("matrix")) else {
        return Runner::Unknown;
    };
    let mut values: Vec<&Node> = Vec::new();
    if let Some(v) = matrix.get(name) {
        values.push(v);
    }
    for entry in matrix
        .get("include")
        .and_then(Node::as_seq)
        .unwrap_or_default()
    {
        if let Some(v) = entry.get(name) {
            values.push(v);
        }
    }
    let mut strings = Vec::new();
    for v in values {
        match v.as_seq() {
            Some(items) => {
                for i in items {
                    // `[os, arch]` pairs: the label is one of the strings inside.
                    match i.as_seq() {
                        Some(pair) => strings.extend(pair.iter().map(Node::as_str)),
                        None => strings.push(i.as_str()),
                    }
                }
            }
            None => strings.push(v.as_str()),
        }
    }
    if strings.is_empty() || strings.iter().any(|s| s.is_none_or(|s| has_expr(&s))) {
        return Runner::Unknown;
    }
    let windows = strings
        .iter()
        .flatten()
        .filter(|s| is_windows_label(s))
        .count();
    match windows {
        0 => Runner::Posix,
        n if n == strings.len() => Runner::Windows,
        _ => Runner::Unknown,
    }
}

/// True when the step's `if:` runs it only on Windows (`runner.os == 'Windows'`,
/// `startsWith(matrix.os, 'windows')`): its script is PowerShell.
fn windows_only(step: &Step<'_>) -> bool {
    step.node.get("if").and_then(Node::as_str).is_some_and(|c| {
        let c = c.to_ascii_lowercase();
        c.contains("windows") && !c.contains('!') && !c.contains("||")
    })
}

impl Rule for Shellcheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn step(&self, wf: &Workflow<'_>, job: &Job<'_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        let Some(run) = step.run() else { return };
        let shell = step
            .node
            .get("shell")
            .or_else(|| default_shell(job.node))
            .or_else(|| default_shell(wf.root));
        let (shell, sure) = match shell {
            Some(s) => (s.as_str(), true),
            None if windows_only(step) => return,
            None => match runner(job) {
                Runner::Windows => return,
                Runner::Posix => (Some("bash"), true),
                Runner::Unknown => (Some("bash"), false),
            },
        };
        if let Some(script) = shell.and_then(|s| Script::new(run, s)) {
            cx.queue_script(script.shell_guessed(!sure));
        }
    }

    fn action(&self, action: &Action<'_>, cx: &mut Ctx<'_>) {
        if action.using != Some(Using::Composite) {
            return;
        }
        let Some(steps) = action
            .runs
            .and_then(|r| r.get("steps"))
            .and_then(Node::as_seq)
        else {
            return;
        };
        for step in steps {
            // `shell:` is required in composite actions; `action-metadata` reports it missing.
            if let (Some(run), Some(shell)) =
                (step.get("run"), step.get("shell").and_then(Node::as_str))
                && let Some(script) = Script::new(run, shell)
            {
                cx.queue_script(script);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::{Config, FileKind, lint_source};

    /// `dialect: masked script` of every queued script.
    fn queued(src: &str, kind: FileKind) -> Vec<String> {
        let r = lint_source("x.yml", src, kind, &Config::default());
        r.scripts
            .iter()
            .map(|s| format!("{}: {}", s.dialect().as_str(), s.masked()))
            .collect()
    }

    #[test]
    fn picks_the_shell_github_picks() {
        let src = "on: push\ndefaults:\n  run:\n    shell: pwsh\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo pwsh-by-workflow\n      - run: echo step-bash\n        shell: bash\n  b:\n    runs-on: windows-latest\n    defaults:\n      run:\n        shell: sh\n    steps:\n      - run: echo job-sh\n  c:\n    runs-on: [self-hosted, windows]\n    steps:\n      - run: echo windows-default\n  d:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.ref }}\n        shell: bash\n      - run: echo pwsh-too\n      - run: echo py\n        shell: python\n      - run: echo custom\n        shell: bash -e {0}\n";
        assert_eq!(
            queued(src, FileKind::Workflow),
            [
                "bash: echo step-bash",
                "sh: echo job-sh",
                "bash: echo _________________",
                "bash: echo custom"
            ]
        );
    }

    #[test]
    fn runners_chosen_by_the_matrix_or_only_windows_steps() {
        let src = "on: push\njobs:\n  w:\n    strategy:\n      matrix:\n        os: [windows-2022, windows-latest]\n    runs-on: ${{ matrix.os }}\n    steps:\n      - run: echo w\n  l:\n    strategy:\n      matrix:\n        p: [[ubuntu-latest, x], [macos-14, y]]\n    runs-on: ${{ matrix.p[0] }}\n    steps:\n      - run: echo l\n      - if: runner.os == 'Windows'\n        run: echo ps\n      - if: runner.os != 'Windows'\n        run: echo not-ps\n  m:\n    strategy:\n      matrix:\n        os: [ubuntu-latest, windows-latest]\n    runs-on: ${{ matrix.os }}\n    steps:\n      - run: echo mixed\n  i:\n    runs-on: ${{ inputs.os }}\n    steps:\n      - run: echo input\n";
        let r = lint_source("x.yml", src, FileKind::Workflow, &Config::default());
        let got: Vec<(String, bool)> = r
            .scripts
            .iter()
            .map(|s| (s.masked().to_string(), s.is_shell_guessed()))
            .collect();
        let want = [
            ("echo l", false),
            ("echo not-ps", false),
            ("echo mixed", true),
            ("echo input", true),
        ];
        let want: Vec<(String, bool)> = want.iter().map(|(s, g)| (s.to_string(), *g)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn composite_action_steps_with_their_shell() {
        let src = "name: a\ndescription: d\nruns:\n  using: composite\n  steps:\n    - run: echo one\n      shell: bash\n    - run: echo two\n      shell: pwsh\n";
        assert_eq!(queued(src, FileKind::Action), ["bash: echo one"]);
    }
}
