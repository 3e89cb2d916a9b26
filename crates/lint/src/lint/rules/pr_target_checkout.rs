//! `pr-target-checkout`: a workflow started by `pull_request_target` or `workflow_run` runs
//! with the base repository's secrets and a write token, yet checks out the pull request's
//! code (`actions/checkout` with `ref:` the head, `gh pr checkout`, `git fetch ... pull/`).
//! Whatever that code does (a build script, a test, a `package.json` hook) runs with them.
//!
//! A warning (GitHub runs the workflow), with high confidence when it is certain:
//! `pull_request_target`, no `if:` or environment on the job or the checkout (a label check, a
//! maintainer approval), and a later step of the job runs code from the checkout (a local
//! action, a build or package tool, a script of the repository); medium otherwise, and always
//! for `workflow_run` (its trigger may be a trusted push).

use crate::lint::deploy::commands;
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::position::value_span;
use crate::workflow::yaml::{Node, Span};

/// The `pr-target-checkout` rule: pull_request_target or workflow_run workflow checks out the pull
/// request's code.
pub struct PrTargetCheckout;

static META: RuleMeta = RuleMeta {
    id: "pr-target-checkout",
    zizmor: None,
    actionlint: None,
    summary: "pull_request_target or workflow_run workflow checks out the pull request's code",
    severity: Severity::Warning,
    actionlint_also: &[],
};

/// References to the pull request's code, lower-case, white space removed.
const PR_HEAD: &[&str] = &[
    "github.event.pull_request.head.sha",
    "github.event.pull_request.head.ref",
    "github.event.pull_request.head.repo.full_name",
    "github.event.pull_request.merge_commit_sha",
    "github.head_ref",
    "refs/pull/",
];
const RUN_HEAD: &[&str] = &[
    "github.event.workflow_run.head_sha",
    "github.event.workflow_run.head_branch",
    "github.event.workflow_run.head_repository.full_name",
    "github.event.workflow_run.pull_requests",
];

/// Programs that run code of the checked-out tree.
const RUNS_CODE: &[&str] = &[
    "npm",
    "npx",
    "yarn",
    "pnpm",
    "bun",
    "make",
    "cmake",
    "cargo",
    "go",
    "mvn",
    "gradle",
    "gradlew",
    "mvnw",
    "pip",
    "pip3",
    "python",
    "python3",
    "pytest",
    "tox",
    "nox",
    "poetry",
    "uv",
    "bundle",
    "rake",
    "composer",
    "dotnet",
    "node",
    "deno",
    "bash",
    "sh",
    "pre-commit",
    "docker",
    "just",
    "task",
    "meson",
    "ninja",
    "bazel",
];

fn mentions_head(text: &str, markers: &[&str]) -> bool {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let t = t.to_ascii_lowercase();
    markers.iter().any(|m| t.contains(m))
}

/// Where a step checks out the pull request's head: the node and range to point at.
fn head_checkout<'a>(step: &Step<'a>, markers: &[&str]) -> Option<(&'a Node, usize, usize)> {
    let uses = step.uses().and_then(Node::as_str).unwrap_or_default();
    if uses.to_ascii_lowercase().starts_with("actions/checkout@") {
        let with = step.node.get("with")?;
        for key in ["ref", "repository"] {
            if let Some(v) = with.get(key)
                && let Some(s) = v.as_str()
                && mentions_head(s, markers)
            {
                return Some((v, 0, s.len()));
            }
        }
        return None;
    }
    let run = step.run()?;
    let script = run.as_str()?;
    for cmd in commands(script) {
        let words: Vec<&str> = cmd.iter().map(|w| w.text.as_str()).collect();
        let hit = match words.as_slice() {
            ["gh", "pr", "checkout", ..] => true,
            [
                "git",
                "fetch" | "checkout" | "switch" | "reset" | "pull",
                rest @ ..,
            ] => rest
                .iter()
                .any(|w| w.contains("pull/") || mentions_head(w, markers)),
            _ => false,
        };
        if hit && let (Some(first), Some(last)) = (cmd.first(), cmd.last()) {
            return Some((run, first.start, last.end));
        }
    }
    None
}

/// Whether a step runs code from the workspace.
fn runs_code(step: &Step<'_>) -> bool {
    if let Some(u) = step.uses().and_then(Node::as_str) {
        return u.starts_with("./");
    }
    let Some(script) = step.run().and_then(Node::as_str) else {
        return false;
    };
    commands(script).iter().any(|cmd| {
        let Some(first) = cmd.first() else {
            return false;
        };
        let prog = first.text.as_str();
        prog.starts_with("./") || RUNS_CODE.contains(&prog.rsplit('/').next().unwrap_or(prog))
    })
}

impl Rule for PrTargetCheckout {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn job(&self, wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        let target = wf.event("pull_request_target").is_some();
        let (event, markers): (&str, Vec<&str>) = match (target, wf.event("workflow_run")) {
            (true, _) => (
                "pull_request_target",
                PR_HEAD.iter().chain(RUN_HEAD).copied().collect(),
            ),
            (false, Some(_)) => ("workflow_run", RUN_HEAD.to_vec()),
            (false, None) => return,
        };
        for (i, step) in job.steps.iter().enumerate() {
            let Some((node, start, end)) = head_checkout(step, &markers) else {
                continue;
            };
            let guarded = job.get("if").is_some()
                || job.get("environment").is_some()
                || step.node.get("if").is_some();
            let executes = job.steps.iter().skip(i + 1).any(runs_code);
            let certain = target && !guarded && executes;
            let span: Span = value_span(cx.source, node, start, end);
            let mut message = format!(
                "job {:?} checks out the pull request's code in a {event} workflow, which runs \
                 with the base repository's secrets and a write token",
                job.id
            );
            if executes {
                message.push_str(", and a later step runs that code");
            }
            // GitHub runs the workflow, so at most a warning; how sure we are is the confidence.
            let confidence = if certain {
                Confidence::High
            } else {
                Confidence::Medium
            };
            cx.audit(
                Audit::new(AuditSeverity::High, confidence),
                span,
                message,
                "build and test pull requests in a `pull_request` workflow (no secrets); if \
                 this one must see the code, never run it: no install, build or test steps \
                 after the checkout, and `persist-credentials: false`",
            )
            .scope = Some(step.node.span);
            return;
        }
    }
}
