//! The git facts tags and labels are computed from, built from values the caller read.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::error::TagError;

/// Events that GitHub only fires for the default branch's last commit; metadata-action treats
/// them as being on the default branch whatever `GITHUB_REF` says.
const DEFAULT_BRANCH_EVENTS: [&str; 4] = ["create", "discussion", "issues", "schedule"];

/// The commit, ref and event a build is for.
///
/// Built by [`GitContext::from_actions_env`] inside GitHub Actions or by
/// [`GitContext::from_git`] elsewhere; the fields are public so a caller can override any of
/// them (for example `default_branch` from `git symbolic-ref refs/remotes/origin/HEAD`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitContext {
    /// The commit that triggered the run, 40 (or 64) lower-case hex digits. For a pull request
    /// this is GitHub's merge commit; see [`GitContext::revision`].
    pub sha: String,
    /// The full ref: `refs/heads/x`, `refs/tags/v1.2.3`, `refs/pull/12/merge`; empty when
    /// unknown (a detached HEAD with no tag).
    pub ref_: String,
    /// The event name (`push`, `pull_request`, `schedule`, `workflow_dispatch`, ...).
    pub event_name: String,
    /// The pull request's number, for pull request events.
    pub pr_number: Option<u64>,
    /// The pull request's head commit, for pull request events.
    pub pr_head_sha: Option<String>,
    /// A pull request's base branch (or a tag push's `base_ref`), without `refs/heads/`.
    pub base_ref: Option<String>,
    /// The repository's default branch, without `refs/heads/`.
    pub default_branch: Option<String>,
    /// When the build happens; `{{date}}` and the `created` label use it.
    pub timestamp: DateTime<Utc>,
    /// When the commit was made, if known; `{{commit_date}}` falls back to `timestamp`.
    pub commit_timestamp: Option<DateTime<Utc>>,
}

impl GitContext {
    /// Builds the context from GitHub Actions' environment variables (`GITHUB_SHA`,
    /// `GITHUB_REF`, `GITHUB_EVENT_NAME`) and the parsed JSON of the file at
    /// `GITHUB_EVENT_PATH`, which the caller reads.
    ///
    /// For pull request events the number and head SHA come from `pull_request` in the payload;
    /// `pull_request_target` runs get the ref `refs/pull/<n>/merge` as in metadata-action, so
    /// they are tagged `pr-<n>` rather than with the base branch.
    pub fn from_actions_env(
        env: &HashMap<String, String>,
        event: Option<&Value>,
        timestamp: DateTime<Utc>,
    ) -> Result<Self, TagError> {
        let required = |variable: &'static str| {
            env.get(variable)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .ok_or(TagError::MissingEnv { variable })
        };
        let sha = normalize_sha("GITHUB_SHA", required("GITHUB_SHA")?)?;
        let event_name = required("GITHUB_EVENT_NAME")?.to_owned();
        // GitHub leaves GITHUB_REF unset for events without a branch or tag.
        let mut ref_ = env
            .get("GITHUB_REF")
            .map(|r| r.trim().to_owned())
            .unwrap_or_default();

        let payload = event.unwrap_or(&Value::Null);
        let pull_request = payload.get("pull_request").filter(|p| p.is_object());
        let pr_number = pull_request
            .and_then(|p| p.get("number"))
            .or_else(|| payload.get("number"))
            .and_then(Value::as_u64)
            .or_else(|| pr_number_from_ref(&ref_));
        let pr_head_sha = match pull_request
            .and_then(|p| p.pointer("/head/sha"))
            .and_then(Value::as_str)
        {
            Some(head) => Some(normalize_sha("pull_request.head.sha", head)?),
            None => None,
        };
        if event_name == "pull_request_target"
            && let Some(number) = pr_number
        {
            ref_ = format!("refs/pull/{number}/merge");
        }

        let base_ref = pull_request
            .and_then(|p| p.pointer("/base/ref"))
            .or_else(|| payload.get("base_ref"))
            .and_then(Value::as_str)
            .or_else(|| env.get("GITHUB_BASE_REF").map(String::as_str))
            .map(|b| b.strip_prefix("refs/heads/").unwrap_or(b).to_owned())
            .filter(|b| !b.is_empty());
        let default_branch = payload
            .pointer("/repository/default_branch")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let commit_timestamp = commit_timestamp(payload, &sha);

        Ok(Self {
            sha,
            ref_,
            event_name,
            pr_number,
            pr_head_sha,
            base_ref,
            default_branch,
            timestamp,
            commit_timestamp,
        })
    }

    /// Builds the context from git's answers, which the caller obtains:
    /// `head_sha` from `git rev-parse HEAD`, `symbolic_ref` from `git symbolic-ref HEAD`
    /// (`None` on a detached HEAD) and `describe` from `git describe --tags --exact-match`
    /// (`None` when HEAD carries no tag).
    ///
    /// A branch wins over a tag when both are given. A `describe` result of the
    /// `v1.2.3-4-gabc1234` form is not an exact tag and is ignored. The event is `push`.
    pub fn from_git(
        head_sha: &str,
        symbolic_ref: Option<&str>,
        describe: Option<&str>,
        timestamp: DateTime<Utc>,
    ) -> Result<Self, TagError> {
        let sha = normalize_sha("git rev-parse HEAD", head_sha)?;
        let symbolic = symbolic_ref.map(str::trim).filter(|r| !r.is_empty());
        let tag = describe
            .map(str::trim)
            .filter(|d| !d.is_empty() && !is_describe_distance(d));
        let ref_ = match (symbolic, tag) {
            (Some(r), _) if r.starts_with("refs/") => r.to_owned(),
            (Some(branch), _) => format!("refs/heads/{branch}"),
            (None, Some(t)) => format!("refs/tags/{}", t.strip_prefix("refs/tags/").unwrap_or(t)),
            (None, None) => String::new(),
        };
        Ok(Self {
            sha,
            ref_,
            event_name: "push".to_owned(),
            pr_number: None,
            pr_head_sha: None,
            base_ref: None,
            default_branch: None,
            timestamp,
            commit_timestamp: None,
        })
    }

    /// The branch name when the ref is `refs/heads/...`.
    pub fn branch(&self) -> Option<&str> {
        self.ref_.strip_prefix("refs/heads/")
    }

    /// The tag name when the ref is `refs/tags/...`.
    pub fn tag(&self) -> Option<&str> {
        self.ref_.strip_prefix("refs/tags/")
    }

    /// What follows `refs/pull/` with `/merge` or `/head` removed (normally the number),
    /// when the ref is a pull request ref.
    pub fn pull_request_ref(&self) -> Option<&str> {
        let rest = self.ref_.strip_prefix("refs/pull/")?;
        Some(
            rest.strip_suffix("/merge")
                .or_else(|| rest.strip_suffix("/head"))
                .unwrap_or(rest),
        )
    }

    /// The commit the image is built from and labelled with: a pull request's head commit
    /// when known (GitHub's merge commit is synthetic and not in any branch), else `sha`.
    pub fn revision(&self) -> &str {
        self.pr_head_sha.as_deref().unwrap_or(&self.sha)
    }

    /// The first `len` characters of [`GitContext::revision`].
    pub fn short_sha(&self, len: usize) -> &str {
        let revision = self.revision();
        revision.get(..len).unwrap_or(revision)
    }

    /// Whether the build is for the default branch, as metadata-action's
    /// `{{is_default_branch}}` decides: the ref is the default branch, or the event is one
    /// GitHub only fires on the default branch (`schedule`, `create`, `issues`, `discussion`).
    pub fn is_default_branch(&self) -> bool {
        if self.ref_.is_empty() {
            return false;
        }
        if let (Some(branch), Some(default)) = (self.branch(), self.default_branch.as_deref())
            && branch == default
        {
            return true;
        }
        DEFAULT_BRANCH_EVENTS
            .iter()
            .any(|event| self.event_name.contains(event))
    }
}

/// Lower-cases a SHA and checks it is full length.
fn normalize_sha(origin: &'static str, value: &str) -> Result<String, TagError> {
    let value = value.trim();
    let ok = matches!(value.len(), 40 | 64) && value.bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(TagError::InvalidSha {
            origin,
            value: value.to_owned(),
        })
    }
}

fn pr_number_from_ref(ref_: &str) -> Option<u64> {
    ref_.strip_prefix("refs/pull/")?
        .split('/')
        .next()?
        .parse()
        .ok()
}

/// `git describe` without `--exact-match` appends `-<distance>-g<abbrev>`.
fn is_describe_distance(describe: &str) -> bool {
    let mut parts = describe.rsplitn(3, '-');
    let (Some(hash), Some(distance), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let hash_ok = hash
        .strip_prefix('g')
        .is_some_and(|h| h.len() >= 4 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    hash_ok && !distance.is_empty() && distance.bytes().all(|b| b.is_ascii_digit())
}

/// The commit's date from a push payload (`head_commit` or `commits[]`), when it is there.
fn commit_timestamp(payload: &Value, sha: &str) -> Option<DateTime<Utc>> {
    let matching = |commit: &&Value| commit.get("id").and_then(Value::as_str) == Some(sha);
    let commit = payload.get("head_commit").filter(matching).or_else(|| {
        payload
            .get("commits")
            .and_then(Value::as_array)
            .and_then(|commits| commits.iter().find(matching))
    })?;
    let stamp = commit.get("timestamp").and_then(Value::as_str)?;
    DateTime::parse_from_rfc3339(stamp)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
