//! `runner-label`: `runs-on` labels: GitHub-hosted labels are known; self-hosted labels come from
//! the configuration; two GitHub-hosted images in one `runs-on` can never match a runner.

use crate::expr::has_expr;
use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Workflow};
use crate::workflow::yaml::{Kind, Node};

/// The `runner-label` rule: Runner labels in runs-on: known GitHub-hosted images or configured
/// self-hosted labels.
pub struct RunnerLabel;

static META: RuleMeta = RuleMeta {
    id: "runner-label",
    zizmor: None,
    actionlint: Some("runner-label"),
    summary: "Runner labels in runs-on: known GitHub-hosted images or configured self-hosted labels",
    severity: Severity::Error,
    actionlint_also: &["syntax-check"],
};

/// GitHub-hosted runner images (as of 2026); each selects one machine image.
pub const HOSTED: &[&str] = &[
    "windows-latest",
    "windows-latest-8-cores",
    "windows-2025",
    "windows-2025-vs2026",
    "windows-2022",
    "windows-11-arm",
    "windows-11-vs2026-arm",
    "ubuntu-slim",
    "ubuntu-latest",
    "ubuntu-latest-4-cores",
    "ubuntu-latest-8-cores",
    "ubuntu-latest-16-cores",
    "ubuntu-26.04",
    "ubuntu-26.04-arm",
    "ubuntu-24.04",
    "ubuntu-24.04-arm",
    "ubuntu-22.04",
    "ubuntu-22.04-arm",
    "xcode-27",
    "xcode-27-xlarge",
    "macos-latest",
    "macos-latest-xlarge",
    "macos-latest-large",
    "macos-26-intel",
    "macos-26-xlarge",
    "macos-26-large",
    "macos-26",
    "macos-15-intel",
    "macos-15-xlarge",
    "macos-15-large",
    "macos-15",
    "macos-14-xlarge",
    "macos-14-large",
    "macos-14",
];

/// The end of the message for an unknown label, written once: hundreds of a corpus's labels
/// are custom ones, and the list is long.
static AVAILABLE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        ". available labels are {}",
        crate::lint::schema::quote_list(HOSTED)
    )
});

/// Labels every self-hosted runner carries by default.
pub const SELF_HOSTED: &[&str] = &[
    "self-hosted",
    "x64",
    "arm",
    "arm64",
    "linux",
    "macos",
    "windows",
];

fn known(label: &str, cx: &Ctx<'_>) -> bool {
    HOSTED
        .iter()
        .chain(SELF_HOSTED)
        .any(|l| l.eq_ignore_ascii_case(label))
        || cx.config.known_runner_label(label)
}

/// The OS family a label selects (`windows`, `ubuntu`/`linux`, `macos`/`xcode`), if any.
fn family(label: &str) -> Option<&'static str> {
    let l = label.to_ascii_lowercase();
    if l.starts_with("windows") {
        Some("windows")
    } else if l.starts_with("ubuntu") || l == "linux" {
        Some("linux")
    } else if l.starts_with("macos") || l.starts_with("xcode") {
        Some("macos")
    } else {
        None
    }
}

fn is_hosted(label: &str) -> bool {
    HOSTED.iter().any(|l| l.eq_ignore_ascii_case(label))
}

fn check_labels(cx: &mut Ctx<'_>, labels: &[&Node]) {
    let mut first_hosted: Option<&Node> = None;
    for l in labels {
        let Some(name) = l.as_str() else { continue };
        if has_expr(&name) {
            continue;
        }
        if !known(name, cx) {
            // GitHub runs the workflow either way; a job whose label no runner has waits until
            // it is cancelled. A misspelt GitHub-hosted image never gets a runner (an error); any
            // other label may be a self-hosted runner's (a warning).
            let severity = if family(name).is_some() {
                Severity::Error
            } else {
                Severity::Warning
            };
            // Configured labels without glob characters are names a typo may be close to.
            let configured: Vec<&str> = cx
                .config
                .runner_labels
                .iter()
                .map(String::as_str)
                .filter(|l| !l.contains(['*', '?', '[', '{']))
                .collect();
            let known = HOSTED.iter().chain(SELF_HOSTED).copied();
            cx.report_unknown(
                severity,
                l,
                format!("label {name:?} is unknown"),
                known.chain(configured.iter().copied()),
                || AVAILABLE.clone(),
                Some("if it is a custom label for a self-hosted runner, list it under lint.self-hosted-runner.labels in .github/deploy-action.yml".into()),
            );
            continue;
        }
        if is_hosted(name) {
            match first_hosted {
                None => first_hosted = Some(l),
                Some(f) if family(f.as_str().unwrap_or("")) != family(name) => cx.report(
                    l.span,
                    format!(
                        "label {name:?} conflicts with label {:?} defined at line:{},col:{}. note: to run your job on each workers, use matrix",
                        f.as_str().unwrap_or(""),
                        f.span.start.line,
                        f.span.start.col
                    ),
                ),
                Some(_) => {}
            }
        }
    }
}

/// `runs-on.group`: a runner group name, or `org/`, `organization/`, `ent/` or `enterprise/`
/// and a name, as GitHub requires (it refuses the workflow otherwise).
fn check_group(cx: &mut Ctx<'_>, group: &Node) {
    let Some(name) = group.as_str() else { return };
    if has_expr(&name) {
        return;
    }
    let parts: Vec<&str> = name.split('/').collect();
    let problem = match parts.as_slice() {
        [_] => return,
        [prefix, rest] if ["org", "organization", "ent", "enterprise"].contains(prefix) => {
            if !rest.is_empty() {
                return;
            }
            format!(
                "invalid runner group name {name:?}: the group's name is missing after the prefix"
            )
        }
        _ => format!(
            "invalid runner group name {name:?}: use the \"organization/\" or \"enterprise/\" \
             prefix (or \"org/\", \"ent/\") to target a single runner group"
        ),
    };
    cx.report_with(Severity::Error, group.span, problem, None);
}

fn flatten(n: &Node) -> Vec<&Node> {
    match &n.kind {
        Kind::Seq(items) => items.iter().collect(),
        Kind::Scalar { .. } => vec![n],
        Kind::Map(_) => Vec::new(),
    }
}

impl Rule for RunnerLabel {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        let Some(runs_on) = job.get("runs-on") else {
            return;
        };
        if let Some(group) = runs_on.get("group") {
            check_group(cx, group);
        }
        let labels = match &runs_on.kind {
            Kind::Map(_) => runs_on.get("labels").map(flatten).unwrap_or_default(),
            _ => flatten(runs_on),
        };
        // `runs-on: ${{ matrix.x }}`: check the matrix values of that key, alone and together
        // with the labels written beside the expression.
        let fixed: Vec<&Node> = labels
            .iter()
            .copied()
            .filter(|l| !l.as_str().is_some_and(|s| has_expr(&s)))
            .collect();
        let fixed_hosted = fixed
            .iter()
            .copied()
            .find(|l| l.as_str().is_some_and(is_hosted));
        let mut expanded: Vec<&Node> = Vec::new();
        for l in &labels {
            let Some(s) = l.as_str() else { continue };
            let t = s.trim();
            if let Some(key) = t
                .strip_prefix("${{")
                .and_then(|r| r.strip_suffix("}}"))
                .map(str::trim)
                .and_then(|e| e.strip_prefix("matrix."))
            {
                if let Some(values) = job
                    .get("strategy")
                    .and_then(|s| s.get("matrix"))
                    .and_then(|m| m.get(key))
                    .and_then(Node::as_seq)
                {
                    for v in values {
                        let vs = flatten(v);
                        check_labels(cx, &vs);
                        if let Some(h) = fixed_hosted {
                            for x in vs {
                                let Some(name) = x.as_str() else { continue };
                                let clash = family(name)
                                    .is_some_and(|f| Some(f) != family(h.as_str().unwrap_or("")));
                                if clash {
                                    cx.report(
                                        x.span,
                                        format!(
                                            "label {name:?} conflicts with label {:?} defined at line:{},col:{}. note: to run your job on each workers, use matrix",
                                            h.as_str().unwrap_or(""),
                                            h.span.start.line,
                                            h.span.start.col
                                        ),
                                    );
                                }
                            }
                        }
                    }
                }
            } else {
                expanded.push(l);
            }
        }
        check_labels(cx, &expanded);
    }
}
