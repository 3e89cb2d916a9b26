//! What the security rules share: `uses:` references taken apart, the steps of workflows and
//! composite actions seen alike, and the data tables the rules consult (each in one file under
//! [`data`], with its source).

pub mod consteval;
pub mod control;
pub mod data;
pub mod env_fix;
pub mod exprs;
pub mod matrix;
pub mod permissions_fix;
pub mod taint;
pub mod uses;

use crate::workflow::action::{Action, Using};
use crate::workflow::model::Workflow;
use crate::workflow::yaml::Node;

pub use uses::Uses;

/// The steps of a composite action (`runs.steps`); empty for other actions.
pub fn composite_steps<'a>(action: &Action<'a>) -> &'a [Node] {
    if action.using != Some(Using::Composite) {
        return &[];
    }
    action
        .runs
        .and_then(|r| r.get("steps"))
        .and_then(Node::as_seq)
        .unwrap_or_default()
}

/// A step's `with:` input, when a scalar.
pub fn with_str<'a>(step: &'a Node, input: &str) -> Option<&'a str> {
    step.get("with")?.get(input)?.as_str()
}

/// A step's `uses:`, taken apart.
pub fn step_uses(step: &Node) -> Option<(Uses<'_>, &Node)> {
    let node = step.get("uses")?;
    Some((Uses::of(node)?, node))
}

/// Whether a step uses the repository action `slug` (`owner/repo` or `owner/repo/path`, any
/// case), at any ref.
pub fn step_is(step: &Node, slug: &str) -> bool {
    step_uses(step).is_some_and(|(u, _)| u.is(slug))
}

/// The trigger names of a workflow, lower-case as GitHub spells them.
pub fn has_trigger(wf: &Workflow<'_>, name: &str) -> bool {
    wf.events.iter().any(|t| t.name == name)
}

/// Whether a step or job can never run: `if: false` or `if: ${{ false }}`. zizmor leaves such
/// steps out (they are how some repositories let Dependabot track actions they never run).
pub fn never_runs(node: &Node) -> bool {
    let Some(cond) = node.get("if") else {
        return false;
    };
    if cond.as_bool() == Some(false) {
        return true;
    }
    let Some(s) = cond.as_str() else { return false };
    let s = s.trim();
    let inner = s
        .strip_prefix("${{")
        .and_then(|x| x.strip_suffix("}}"))
        .unwrap_or(s);
    inner.trim() == "false"
}

/// The dotted, lower-case path of a context reference (`github.event.issue.title`), with
/// `['name']` read as `.name`, `[0]` as `.0` and `[*]` or `.*` as `.*`; `None` for anything
/// that is not a plain chain (a call, a computed index).
pub fn context_path(e: &crate::expr::Expr) -> Option<String> {
    let mut path = String::new();
    push_context_path(e, &mut path)?;
    Some(path)
}

/// Appends the path of [`context_path`] to `out`, receiver first: one string for the whole
/// chain, rather than one per level (the rules ask for the path of most expressions).
fn push_context_path(e: &crate::expr::Expr, out: &mut String) -> Option<()> {
    use crate::expr::ExprKind;
    match &e.kind {
        ExprKind::Variable { name, .. } => out.push_str(name),
        ExprKind::Property { receiver, name, .. } => {
            push_context_path(receiver, out)?;
            out.push('.');
            out.push_str(name);
        }
        ExprKind::Filter { receiver } => {
            push_context_path(receiver, out)?;
            out.push_str(".*");
        }
        ExprKind::Index { receiver, index } => {
            push_context_path(receiver, out)?;
            out.push('.');
            match &index.kind {
                ExprKind::String(s) => {
                    out.extend(s.chars().map(|c| c.to_ascii_lowercase()));
                }
                ExprKind::Int(i) => {
                    use std::fmt::Write;
                    let _ = write!(out, "{i}");
                }
                // A computed index: not a path.
                _ => return None,
            }
        }
        _ => return None,
    }
    Some(())
}

/// Whether `path` is `parent` or under it (`github.ref` is under `github`).
pub fn path_under(path: &str, parent: &str) -> bool {
    path == parent
        || path
            .strip_prefix(parent)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// Where the shell of a `run:` step is set, if it is: the step's `shell:`, else the job's and
/// then the workflow's `defaults.run.shell`.
pub fn shell_node<'a>(
    wf: Option<&Workflow<'a>>,
    job: Option<&'a Node>,
    step: &'a Node,
) -> Option<&'a Node> {
    fn default_of(n: &Node) -> Option<&Node> {
        n.get("defaults")?.get("run")?.get("shell")
    }
    step.get("shell")
        .or_else(|| job.and_then(default_of))
        .or_else(|| wf.and_then(|w| default_of(w.root)))
}

/// The shell that runs a `run:` step, normalised to its program name (`bash`, `pwsh`, `sh`,
/// `cmd`, `python`): as [`shell_node`] finds it, else the runner's default (`pwsh` on Windows,
/// `bash` elsewhere). Borrowed from the node it is written in, not copied: the rules ask for
/// every `run:` step.
pub fn shell_of<'a>(wf: Option<&Workflow<'a>>, job: Option<&'a Node>, step: &'a Node) -> &'a str {
    if let Some(s) = shell_node(wf, job, step).and_then(Node::as_str) {
        let program = s.split_whitespace().next().unwrap_or(s);
        return program.rsplit(['/', '\\']).next().unwrap_or(program);
    }
    // `windows` in any case, looked for in place (no lower-cased copy, no searcher set up).
    let names_windows = |s: &str| {
        s.as_bytes()
            .windows(7)
            .any(|w| w.eq_ignore_ascii_case(b"windows"))
    };
    let windows = job
        .and_then(|j| j.get("runs-on"))
        .is_some_and(|r| match r.as_seq() {
            Some(items) => items.iter().any(|i| i.as_str().is_some_and(names_windows)),
            None => r.as_str().is_some_and(names_windows),
        });
    if windows { "pwsh" } else { "bash" }
}

/// Whether the job's token can request an OIDC token (`id-token: write`, or `write-all`), from
/// the job's `permissions:` or, without one, the workflow's.
pub fn has_id_token(wf: &Workflow<'_>, job: &Node) -> bool {
    let Some(p) = job
        .get("permissions")
        .or_else(|| wf.root.get("permissions"))
    else {
        return false;
    };
    match p.as_str() {
        Some(s) => s.trim() == "write-all",
        None => p
            .get("id-token")
            .and_then(Node::as_str)
            .is_some_and(|s| s.trim() == "write"),
    }
}

#[cfg(test)]
mod tests {
    use super::context_path;

    #[test]
    fn a_context_path_is_the_chain_written_out() {
        let cases = [
            ("github", Some("github")),
            ("github.event.issue.title", Some("github.event.issue.title")),
            (
                "github.event['Issue'].title",
                Some("github.event.issue.title"),
            ),
            (
                "github.event.commits[0].message",
                Some("github.event.commits.0.message"),
            ),
            (
                "github.event.commits[-12].message",
                Some("github.event.commits.-12.message"),
            ),
            (
                "github.event.commits.*.author",
                Some("github.event.commits.*.author"),
            ),
            (
                "github.event.pages[0]['PAGE_NAME']",
                Some("github.event.pages.0.page_name"),
            ),
            ("github.event[format('x')].title", None),
            ("github.event[inputs.key]", None),
            ("toJSON(github.event).title", None),
            ("'text'", None),
        ];
        for (src, want) in cases {
            let e = crate::expr::parse(src).expect(src);
            assert_eq!(context_path(&e).as_deref(), want, "{src}");
        }
    }
}
