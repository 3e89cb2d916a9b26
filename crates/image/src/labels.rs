//! OCI image labels (`org.opencontainers.image.*`) from the git context and repository facts,
//! plus deploy-action's build-context digest; user labels override the defaults.
//!
//! The keys and values follow docker/metadata-action's defaults (README "Bake definition"
//! example), except that empty values are left out instead of written as `key=`.

use std::collections::{BTreeMap, HashMap};

use chrono::SecondsFormat;
use serde_json::Value;
use thiserror::Error;

use super::tags::{GitContext, TagError, expand_global_expressions};

/// The label carrying the digest of the build context deploy-action sent.
pub const CONTEXT_DIGEST_LABEL: &str = "dev.deploy-action.context-digest";

/// Characters of the SHA `{{sha}}` gives in label values.
const SHORT_SHA_LENGTH: usize = 7;

/// Why labels could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LabelError {
    /// A `--label` value has no `=`.
    #[error("label `{0}` has no `=`; write `--label key=value` (or `key=` for an empty value)")]
    MissingEquals(String),
    /// A `--label` has nothing before `=`.
    #[error("label `{0}` has an empty key; write `--label key=value`")]
    EmptyKey(String),
    /// A `{{ }}` expression in a label value is malformed.
    #[error(transparent)]
    Expression(#[from] TagError),
}

/// What the labels say about the repository.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RepoInfo {
    /// The forge's base URL, e.g. `https://github.com` (`GITHUB_SERVER_URL`).
    pub server_url: String,
    /// `owner/name` (`GITHUB_REPOSITORY`).
    pub repository: String,
    /// The repository's name for the `title` label; the part of `repository` after `/`
    /// when absent.
    pub name: Option<String>,
    /// The repository's description.
    pub description: Option<String>,
    /// The repository's web page for the `url` label; the source URL when absent.
    pub html_url: Option<String>,
    /// The license's SPDX identifier (e.g. `MIT`).
    pub license: Option<String>,
}

impl RepoInfo {
    /// Reads `GITHUB_SERVER_URL`, `GITHUB_REPOSITORY` and the event payload's `repository`
    /// object (`name`, `description`, `html_url`, `license.spdx_id`).
    pub fn from_actions_env(env: &HashMap<String, String>, event: Option<&Value>) -> Self {
        let repo = event.and_then(|e| e.get("repository"));
        let text = |pointer: &str| {
            repo.and_then(|r| r.pointer(pointer))
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let var = |name: &str| {
            env.get(name)
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        Self {
            server_url: var("GITHUB_SERVER_URL"),
            repository: var("GITHUB_REPOSITORY"),
            name: text("/name"),
            description: text("/description"),
            html_url: text("/html_url"),
            license: text("/license/spdx_id"),
        }
    }

    /// `server_url/repository`, when both are known.
    pub fn source_url(&self) -> Option<String> {
        let server = self.server_url.trim_end_matches('/');
        (!server.is_empty() && !self.repository.is_empty())
            .then(|| format!("{server}/{}", self.repository))
    }
}

/// Everything [`oci_labels`] reads.
#[derive(Debug, Clone, Copy)]
pub struct LabelInputs<'a> {
    /// The commit and time of the build.
    pub git: &'a GitContext,
    /// The repository.
    pub repo: &'a RepoInfo,
    /// The image version: the first computed tag (`TagList::version`), i.e. the first
    /// semver tag or else the ref tag.
    pub version: Option<&'a str>,
    /// The build context's digest, for [`CONTEXT_DIGEST_LABEL`].
    pub context_digest: Option<&'a str>,
    /// `--label key=value` entries, applied last so they override any default. Values may
    /// use the tag rules' global expressions (`{{sha}}`, `{{date 'YYYYMMDD'}}`, ...), as in
    /// metadata-action.
    pub user_labels: &'a [String],
}

/// Computes the labels, sorted by key:
///
/// | label | value |
/// |---|---|
/// | `org.opencontainers.image.created` | the build time, RFC 3339 with milliseconds, UTC |
/// | `org.opencontainers.image.revision` | the commit (a pull request's head commit) |
/// | `org.opencontainers.image.source` | `server_url/repository` |
/// | `org.opencontainers.image.url` | the repository's web page, else the source |
/// | `org.opencontainers.image.title` | the repository's name |
/// | `org.opencontainers.image.description` | the repository's description |
/// | `org.opencontainers.image.licenses` | the SPDX license id |
/// | `org.opencontainers.image.version` | [`LabelInputs::version`] |
/// | `dev.deploy-action.context-digest` | [`LabelInputs::context_digest`] |
///
/// Defaults with no value are omitted; a user label `key=` sets an empty value.
pub fn oci_labels(inputs: &LabelInputs<'_>) -> Result<BTreeMap<String, String>, LabelError> {
    let LabelInputs {
        git,
        repo,
        version,
        context_digest,
        user_labels,
    } = *inputs;
    let source = repo.source_url();
    let title = repo.name.clone().or_else(|| {
        repo.repository
            .rsplit('/')
            .next()
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
    });
    let defaults = [
        (
            "org.opencontainers.image.created",
            Some(git.timestamp.to_rfc3339_opts(SecondsFormat::Millis, true)),
        ),
        (
            "org.opencontainers.image.revision",
            Some(git.revision().to_owned()),
        ),
        ("org.opencontainers.image.source", source.clone()),
        (
            "org.opencontainers.image.url",
            repo.html_url.clone().or(source),
        ),
        ("org.opencontainers.image.title", title),
        (
            "org.opencontainers.image.description",
            repo.description.clone(),
        ),
        ("org.opencontainers.image.licenses", repo.license.clone()),
        (
            "org.opencontainers.image.version",
            version.map(str::to_owned),
        ),
        (CONTEXT_DIGEST_LABEL, context_digest.map(str::to_owned)),
    ];
    let mut labels: BTreeMap<String, String> = defaults
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_owned(), value.filter(|v| !v.is_empty())?)))
        .collect();
    for text in user_labels {
        let (key, value) = parse_label(text)?;
        let value = expand_global_expressions(&value, git, SHORT_SHA_LENGTH)?;
        labels.insert(key, value);
    }
    Ok(labels)
}

/// Splits `key=value` at the first `=`; the key is trimmed, the value kept as written.
pub fn parse_label(text: &str) -> Result<(String, String), LabelError> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| LabelError::MissingEquals(text.to_owned()))?;
    let key = key.trim();
    if key.is_empty() {
        return Err(LabelError::EmptyKey(text.to_owned()));
    }
    Ok((key.to_owned(), value.to_owned()))
}

#[cfg(test)]
mod tests;
