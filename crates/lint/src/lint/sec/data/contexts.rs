//! How much of a context's value an outsider can choose, for template injection: `Fixed`
//! (numbers, ids, booleans, timestamps, SHAs, values GitHub sets), `Structured` (URLs and
//! e-mail addresses: a chosen part inside a fixed shape) or `Arbitrary` (titles, bodies, branch
//! and file names, messages).
//!
//! Source: GitHub's webhook event payload reference (docs.github.com, "Webhook events and
//! payloads") for the field types, summarised as rules on the field name; and the `github`
//! context reference for its top-level values. zizmor's `data/context-capabilities.csv`
//! (zizmorcore/zizmor at 11bbf7e) was the cross-check: its fixed and structured fields follow
//! these rules.

/// What an outsider controls of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Nothing: GitHub chooses it, or it is a number, a boolean or a hash.
    Fixed,
    /// A part inside a fixed shape (a URL, an e-mail address).
    Structured,
    /// All of it.
    Arbitrary,
}

/// Top-level `github` values GitHub sets and nobody outside chooses.
const GITHUB_FIXED: &[&str] = &[
    "action_path",
    "api_url",
    "event_name",
    "graphql_url",
    "job",
    "repository",
    "repository_id",
    "repository_owner",
    "repository_owner_id",
    "repositoryurl",
    "retention_days",
    "run_attempt",
    "run_id",
    "run_number",
    "server_url",
    "sha",
    "token",
    "triggering_actor",
    "workflow_sha",
    "workspace",
];

/// Payload field names whose values are fixed (numbers, booleans, states, times, hashes).
const EVENT_FIXED: &[&str] = &[
    "+1",
    "-1",
    "admin",
    "after",
    "archived",
    "author_association",
    "base_sha",
    "before",
    "confused",
    "default",
    "deleted",
    "disabled",
    "draft",
    "eyes",
    "fork",
    "forks",
    "head_sha",
    "heart",
    "hooray",
    "id",
    "laugh",
    "locked",
    "maintain",
    "merge_commit_sha",
    "merged",
    "node_id",
    "number",
    "open_issues",
    "private",
    "pull",
    "push",
    "rocket",
    "sha",
    "site_admin",
    "size",
    "state",
    "status",
    "total_count",
    "triage",
    "type",
    "watchers",
];

/// The capability of a context path (lower case, dotted), when a rule applies; `None` for
/// contexts the table does not cover (`steps`, `needs`, `inputs`, `env`, ...).
pub fn capability(path: &str) -> Option<Capability> {
    if let Some(field) = path.strip_prefix("github.event.") {
        let leaf = field.rsplit('.').next().unwrap_or(field);
        return Some(event_field(leaf));
    }
    if path == "github.event" {
        return Some(Capability::Arbitrary);
    }
    if let Some(rest) = path.strip_prefix("github.") {
        let top = rest.split('.').next().unwrap_or(rest);
        return GITHUB_FIXED.contains(&top).then_some(Capability::Fixed);
    }
    if path.starts_with("runner.") || path.starts_with("strategy.") || path == "job.status" {
        return Some(Capability::Fixed);
    }
    None
}

fn event_field(leaf: &str) -> Capability {
    let fixed = EVENT_FIXED.contains(&leaf)
        || leaf.ends_with("_id")
        || leaf.ends_with("_at")
        || leaf.ends_with("_count")
        || leaf.starts_with("has_")
        || leaf.starts_with("allow_")
        || leaf.starts_with("is_")
        || leaf.bytes().all(|b| b.is_ascii_digit());
    if fixed {
        Capability::Fixed
    } else if leaf == "url" || leaf.ends_with("_url") || leaf == "href" || leaf == "email" {
        Capability::Structured
    } else {
        Capability::Arbitrary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(
            capability("github.event.issue.title"),
            Some(Capability::Arbitrary)
        );
        assert_eq!(
            capability("github.event.pull_request.number"),
            Some(Capability::Fixed)
        );
        assert_eq!(
            capability("github.event.pull_request.head.sha"),
            Some(Capability::Fixed)
        );
        assert_eq!(
            capability("github.event.answer.user.gists_url"),
            Some(Capability::Structured)
        );
        assert_eq!(capability("github.sha"), Some(Capability::Fixed));
        assert_eq!(capability("github.head_ref"), None);
        assert_eq!(capability("runner.os"), Some(Capability::Fixed));
        assert_eq!(capability("steps.x.outputs.y"), None);
    }
}
