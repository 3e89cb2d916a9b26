//! `script-injection`: untrusted input (an issue title, a branch name, a commit message)
//! expanded with `${{ }}` straight into a `run:` script or `actions/github-script`'s `script:`.
//!
//! GitHub substitutes the text before the shell or Node sees it, so whoever wrote the title
//! writes part of the script. The inputs are those of [`UntrustedSet::Extended`]; the message
//! is actionlint's, and it points at the start of the property chain as actionlint does.

use crate::expr::untrusted::{UntrustedSet, find_untrusted};
use crate::expr::{find_expressions, parse};
use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::action::{Action, Using};
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::position::value_span;
use crate::workflow::yaml::Node;

/// See the module docs.
pub struct ScriptInjection;

static META: RuleMeta = RuleMeta {
    id: "script-injection",
    zizmor: Some("template-injection"),
    actionlint: Some("expression"),
    summary: "Untrusted input expanded with ${{ }} into a run script or github-script",
    severity: Severity::Error,
};

/// Which interpreter reads the script, for the fix hint.
#[derive(Clone, Copy)]
enum Script {
    Shell,
    JavaScript,
}

/// The scripts of a step: its `run:`, or the `script:` input of `actions/github-script`.
fn scripts(step: &Node) -> Vec<(&Node, Script)> {
    let mut out = Vec::new();
    if let Some(run) = step.get("run") {
        out.push((run, Script::Shell));
    }
    let is_github_script = step
        .get("uses")
        .and_then(Node::as_str)
        .is_some_and(|u| u.to_ascii_lowercase().starts_with("actions/github-script@"));
    if is_github_script && let Some(s) = step.get("with").and_then(|w| w.get("script")) {
        out.push((s, Script::JavaScript));
    }
    out
}

/// An environment variable name for a property chain: its last two meaningful parts.
fn env_name(chain: &str) -> String {
    // Drop what is inside brackets (`pages[...]`): it is another chain, not a name part.
    // A quoted index (`['title']`) is a name part like `.title`.
    let mut flat = String::new();
    let mut inner = String::new();
    let mut depth = 0usize;
    for c in chain.chars() {
        match c {
            '[' => {
                depth += 1;
                inner.clear();
            }
            ']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 && inner.len() > 1 && inner.starts_with('\'') && inner.ends_with('\'')
                {
                    flat.push('.');
                    flat.push_str(inner.trim_matches('\''));
                }
            }
            _ if depth == 0 => flat.push(c),
            _ => inner.push(c),
        }
    }
    let parts: Vec<&str> = flat
        .split('.')
        .filter(|p| {
            !p.is_empty()
                && *p != "*"
                && !p.bytes().all(|b| b.is_ascii_digit())
                && !matches!(*p, "github" | "event")
        })
        .collect();
    let tail = &parts[parts.len().saturating_sub(2)..];
    let name: String = tail
        .join("_")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "VALUE".into()
    } else {
        name
    }
}

fn check(cx: &mut Ctx<'_>, node: &Node, script: Script) {
    let Some(value) = node.as_str() else { return };
    for emb in find_expressions(value) {
        if emb.error.is_some() {
            continue;
        }
        let Ok(ast) = parse(emb.inner_text(value)) else {
            continue;
        };
        for d in find_untrusted(&ast, UntrustedSet::Extended) {
            let start = emb.inner.start + d.span.start;
            let end = emb.inner.start + d.span.end;
            let chain = value.get(start..end).unwrap_or_default();
            let var = env_name(chain);
            let expr = value
                .get(emb.whole.start..emb.whole.end)
                .unwrap_or_default();
            let help = match script {
                Script::Shell => format!(
                    "pass it through `env:` and quote the variable: \
                     `env: {{ {var}: {expr} }}` on the step, then use \"${var}\" in the script"
                ),
                Script::JavaScript => format!(
                    "pass it through `env:` and read it from the environment: \
                     `env: {{ {var}: {expr} }}` on the step, then use `process.env.{var}`"
                ),
            };
            cx.report_help(value_span(cx.source, node, start, end), d.message, help);
        }
    }
}

impl Rule for ScriptInjection {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn step(&self, _wf: &Workflow<'_>, _job: &Job<'_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        for (node, script) in scripts(step.node) {
            check(cx, node, script);
        }
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
            for (node, script) in scripts(step) {
                check(cx, node, script);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::env_name;

    #[test]
    fn env_names() {
        assert_eq!(env_name("github.event.issue.title"), "ISSUE_TITLE");
        assert_eq!(env_name("github.head_ref"), "HEAD_REF");
        assert_eq!(
            env_name("github.event.commits[0].author.name"),
            "AUTHOR_NAME"
        );
        assert_eq!(env_name("github.event['issue']['title']"), "ISSUE_TITLE");
        assert_eq!(env_name("github.event.*.body"), "BODY");
        assert_eq!(env_name("github"), "VALUE");
        assert_eq!(
            env_name("github.event.pages[github.event.commits[0].author.name].page_name"),
            "PAGES_PAGE_NAME"
        );
    }
}
