//! The fix for a workflow without `permissions:`: `permissions: {}` at the top, and in each
//! job the read scopes its steps need. It is offered only when every job's needs are known
//! (each step a known action, or a script that never touches the token); otherwise an empty
//! token could break a step, and there is no fix.

use super::data::permissions::KNOWN_NEEDS;
use super::{Uses, step_uses};
use crate::lint::{Edit, Fix};
use crate::workflow::model::{Job, Workflow};
use crate::workflow::yaml::Node;

/// Words in a script or a step that mean it uses the token, or something the token allows;
/// each starts with `g`, `G` or `a` ([`has_token_hint`] looks for those).
const TOKEN_HINTS: &[&str] = &[
    "github.token",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "gh ",
    "git push",
    "api.github.com",
];

/// Whether `text` holds one of the [`TOKEN_HINTS`]: each hint is tried only where its first
/// byte stands, found with SIMD, instead of six substring searches set up for every key and
/// value of every step.
fn has_token_hint(text: &str) -> bool {
    let b = text.as_bytes();
    memchr::memchr3_iter(b'g', b'G', b'a', b).any(|i| {
        let rest = &b[i..];
        TOKEN_HINTS
            .iter()
            .any(|h| h.as_bytes()[0] == b[i] && rest.starts_with(h.as_bytes()))
    })
}

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
        any_text(n, &has_token_hint)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hint_starts_with_a_byte_looked_for() {
        assert!(
            TOKEN_HINTS
                .iter()
                .all(|h| matches!(h.as_bytes()[0], b'g' | b'G' | b'a'))
        );
    }

    proptest::proptest! {
        /// `has_token_hint` answers as a search for each hint does.
        #[test]
        fn has_token_hint_is_a_search_for_each_hint(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just("gh".to_string()),
                    proptest::strategy::Just("git pus".to_string()),
                    proptest::strategy::Just("GITHUB_TOK".to_string()),
                    proptest::strategy::Just("GH_TOKEN".to_string()),
                    proptest::strategy::Just("github.token".to_string()),
                    proptest::strategy::Just("api.github.co".to_string()),
                    "[ agGhmé.]{0,4}",
                ],
                0..8,
            )
        ) {
            let text = parts.concat();
            let want = TOKEN_HINTS.iter().any(|h| text.contains(h));
            proptest::prop_assert_eq!(has_token_hint(&text), want, "{:?}", text);
        }
    }
}
