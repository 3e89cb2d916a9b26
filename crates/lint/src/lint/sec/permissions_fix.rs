//! The fix for a workflow without `permissions:`: `permissions: {}` at the top, and in each
//! job the read scopes its steps need. It is offered only when every job's needs are known
//! (each step a known action, or a script that never touches the token); otherwise an empty
//! token could break a step, and there is no fix.

use super::data::permissions::KNOWN_NEEDS;
use super::{Uses, step_uses};
use crate::lint::{Edit, Fix};
use crate::workflow::model::{Job, Workflow};
use crate::workflow::yaml::Node;

/// Words in a script or a step that mean it uses the token, or something the token allows.
const TOKEN_HINTS: &[&str] = &[
    "github.token",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "gh ",
    "git push",
    "api.github.com",
];

/// The scopes a step needs, or `None` when they cannot be known.
fn step_needs(step: &Node) -> Option<Vec<&'static str>> {
    let text_uses_token = |n: &Node| -> bool {
        fn any_text(n: &Node, f: &dyn Fn(&str) -> bool) -> bool {
            match (n.as_str(), n.as_map(), n.as_seq()) {
                (Some(s), _, _) => f(s),
                (_, Some(m), _) => m.iter().any(|(k, v)| any_text(k, f) || any_text(v, f)),
                (_, _, Some(items)) => items.iter().any(|i| any_text(i, f)),
                _ => false,
            }
        }
        any_text(n, &|s: &str| TOKEN_HINTS.iter().any(|h| s.contains(h)))
    };
    if text_uses_token(step) {
        return None;
    }
    if step.get("run").is_some() {
        return Some(Vec::new());
    }
    let (uses, _) = step_uses(step)?;
    let Uses::Repo(_) = uses else { return None };
    uses.find_in(KNOWN_NEEDS, |(a, _)| a)
        .map(|(_, needs)| needs.to_vec())
}

/// The scopes a job needs, or `None`.
fn job_needs(job: &Job<'_>) -> Option<Vec<&'static str>> {
    if job.is_call()
        || job
            .get("container")
            .is_some_and(|c| c.get("credentials").is_some())
    {
        return None;
    }
    let mut all: Vec<&'static str> = Vec::new();
    for step in &job.steps {
        for s in step_needs(step.node)? {
            if !all.contains(&s) {
                all.push(s);
            }
        }
    }
    Some(all)
}

fn line_start(source: &str, at: usize) -> usize {
    source[..at.min(source.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1)
}

/// Where a block mapping's entries start and how they are indented.
fn block_entries_at(source: &str, map: &Node) -> Option<(usize, String)> {
    let (first, _) = map.as_map()?.first()?;
    let start = line_start(source, first.span.start.offset);
    let indent = source.get(start..first.span.start.offset)?;
    indent
        .chars()
        .all(|c| c == ' ')
        .then(|| (start, indent.to_string()))
}

/// The fix for `wf`, when every job's needs are known.
pub fn fix(source: &str, wf: &Workflow<'_>) -> Option<Fix> {
    if wf.root.get("permissions").is_some() || wf.jobs.is_empty() {
        return None;
    }
    let (jobs_key, jobs) = wf.root.entry("jobs")?;
    let top = line_start(source, jobs_key.span.start.offset);
    if top != jobs_key.span.start.offset {
        return None;
    }
    let mut edits = vec![Edit::insert(top, "permissions: {}\n")];
    block_entries_at(source, jobs)?;
    for job in &wf.jobs {
        if job.get("permissions").is_some() {
            continue;
        }
        let needs = job_needs(job)?;
        if needs.is_empty() {
            continue;
        }
        let (at, indent) = block_entries_at(source, job.node)?;
        let mut text = format!("{indent}permissions:\n");
        for scope in needs {
            text.push_str(&format!("{indent}  {scope}: read\n"));
        }
        edits.push(Edit::insert(at, text));
    }
    Some(Fix {
        title: "add `permissions: {}` and the read scopes each job needs".into(),
        edits,
    })
}
