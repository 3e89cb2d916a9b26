//! The values that cross the [`DeploymentStore`](super::DeploymentStore) boundary. Both backends
//! (GitHub and the local ledger) speak these, so the gate and the commands never see GitHub's wire
//! shapes or the ledger's file format.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The most characters GitHub keeps in a deployment status description.
pub const MAX_STATUS_DESCRIPTION_CHARS: usize = 140;

/// What deploy-action stores in a deployment's `payload`: which image was deployed.
///
/// The digest is what promotion copies from one environment to the next, so it is the field
/// that matters; tags and the run URL are for people reading the deployment later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentPayload {
    /// Image repository without tag or digest, e.g. `ghcr.io/org/app`.
    pub image: String,
    /// Content digest of the deployed image, e.g. `sha256:…`.
    pub digest: String,
    /// Tags that pointed at the digest when it was deployed.
    #[serde(default)]
    pub tags: Vec<String>,
    /// URL of the workflow run that made the deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_url: Option<String>,
    /// Everything the deployment shipped, the first image included, when it shipped more than
    /// one image or a non-image artifact (a static site bundle). Empty in older records, which
    /// shipped `image`@`digest` alone: read them through [`DeploymentPayload::all_artifacts`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<Artifact>,
}

/// One deployed artifact: an image (with its repository) or another content-addressed bundle.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Artifact {
    /// The artifact's name: the image repository for images, e.g. `ghcr.io/org/app`, or a
    /// given name such as `site`.
    pub name: String,
    /// Image repository, for images only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Content digest, `sha256:…`.
    pub digest: String,
}

impl DeploymentPayload {
    /// A payload for one image and nothing else.
    pub fn single(image: &str, digest: &str) -> Self {
        Self {
            image: image.to_owned(),
            digest: digest.to_owned(),
            tags: Vec::new(),
            run_url: None,
            artifacts: Vec::new(),
        }
    }

    /// Every artifact this deployment shipped, sorted by name: `artifacts` when recorded, else
    /// the one image of an older record.
    pub fn all_artifacts(&self) -> Vec<Artifact> {
        let mut out = if self.artifacts.is_empty() {
            vec![Artifact {
                name: self.image.clone(),
                repository: Some(self.image.clone()),
                digest: self.digest.clone(),
            }]
        } else {
            self.artifacts.clone()
        };
        out.sort();
        out.dedup();
        out
    }
}

/// A request to record a new deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentRequest {
    /// The ref to deploy; a full commit SHA is best, since a branch moves.
    pub git_ref: String,
    /// Target environment, e.g. `staging` or `production`.
    pub environment: String,
    /// The image that is being deployed.
    pub payload: DeploymentPayload,
    /// Status contexts GitHub must see green before it accepts the deployment; empty skips the
    /// check (deploy-action runs its own gate).
    pub required_contexts: Vec<String>,
    /// The environment goes away later (a preview), so GitHub may clean it up.
    pub transient_environment: bool,
    /// End users reach this environment.
    pub production_environment: bool,
    /// Short human description shown in GitHub's deployments view.
    pub description: String,
}

impl DeploymentRequest {
    /// A request with no required contexts, non-transient, production when the environment is
    /// named `production`, and a description naming the image digest.
    pub fn new(git_ref: &str, environment: &str, payload: DeploymentPayload) -> Self {
        let description = format!("Deploy {}@{}", payload.image, payload.digest);
        Self {
            git_ref: git_ref.to_owned(),
            environment: environment.to_owned(),
            payload,
            required_contexts: Vec::new(),
            transient_environment: false,
            production_environment: environment == "production",
            description,
        }
    }
}

/// The state of a deployment status, as GitHub names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusState {
    /// Waiting to start.
    Queued,
    /// Running.
    InProgress,
    /// Legacy state other tools still post; deploy-action reads it but never writes it.
    Pending,
    /// Finished and live.
    Success,
    /// Finished and failed.
    Failure,
    /// deploy-action itself could not finish.
    Error,
    /// Superseded by a later successful deployment.
    Inactive,
}

impl StatusState {
    /// GitHub's spelling, e.g. `in_progress`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::InProgress => "in_progress",
            Self::Pending => "pending",
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Error => "error",
            Self::Inactive => "inactive",
        }
    }
}

impl std::fmt::Display for StatusState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A new status for a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRequest {
    /// The new state.
    pub state: StatusState,
    /// Where the deployed service can be reached.
    pub environment_url: Option<String>,
    /// Where the deployment's log is (usually the workflow run).
    pub log_url: Option<String>,
    /// Short description; cut to [`MAX_STATUS_DESCRIPTION_CHARS`] characters when sent.
    pub description: String,
}

impl StatusRequest {
    /// A status with only a state and a description.
    pub fn new(state: StatusState, description: &str) -> Self {
        Self {
            state,
            environment_url: None,
            log_url: None,
            description: description.to_owned(),
        }
    }
}

/// A recorded deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    /// Identifier, unique within the store and increasing with time.
    pub id: u64,
    /// The commit that was deployed.
    pub sha: String,
    /// The ref that was asked for.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// Target environment.
    pub environment: String,
    /// Description given at creation.
    pub description: Option<String>,
    /// deploy-action's payload, or `None` when another tool made this deployment.
    pub payload: Option<DeploymentPayload>,
    /// See [`DeploymentRequest::transient_environment`].
    pub transient_environment: bool,
    /// See [`DeploymentRequest::production_environment`].
    pub production_environment: bool,
    /// When the deployment was created.
    pub created_at: DateTime<Utc>,
}

/// A recorded deployment status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentStatus {
    /// Identifier, unique within the store.
    pub id: u64,
    /// The state.
    pub state: StatusState,
    /// Description as stored (already cut to 140 characters).
    pub description: Option<String>,
    /// Where the deployed service can be reached.
    pub environment_url: Option<String>,
    /// Where the deployment's log is.
    pub log_url: Option<String>,
    /// When the status was posted.
    pub created_at: DateTime<Utc>,
}

/// A deployment with its most recent status, as history and look-ups return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The deployment.
    pub deployment: Deployment,
    /// Its newest status, `None` if nothing was posted yet.
    pub latest_status: Option<DeploymentStatus>,
}

/// A check run or commit status reported for a commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitCheck {
    /// Check run name or status context.
    pub name: String,
    /// `check run` or `status`.
    pub kind: &'static str,
    /// `success` when green (a check run's `success`, `neutral` or `skipped` conclusion);
    /// otherwise the conclusion, status or state as GitHub reports it.
    pub state: String,
}

/// What posting a status did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedStatus {
    /// The status that was stored.
    pub status: DeploymentStatus,
    /// Earlier deployments of the same environment that were marked `inactive` because this
    /// status was `success`.
    pub deactivated: Vec<u64>,
}

/// Cuts a description to [`MAX_STATUS_DESCRIPTION_CHARS`] characters, never inside a character,
/// ending with `…` when something was cut so a reader sees the text is incomplete.
pub fn truncate_description(text: &str) -> String {
    if text.chars().count() <= MAX_STATUS_DESCRIPTION_CHARS {
        return text.to_owned();
    }
    let mut out: String = text
        .chars()
        .take(MAX_STATUS_DESCRIPTION_CHARS - 1)
        .collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_descriptions_are_kept() {
        assert_eq!(truncate_description("done"), "done");
        let exact = "é".repeat(MAX_STATUS_DESCRIPTION_CHARS);
        assert_eq!(truncate_description(&exact), exact);
    }

    #[test]
    fn long_multibyte_descriptions_are_cut_on_a_char_boundary() {
        let long = "🚀é".repeat(100);
        let cut = truncate_description(&long);
        assert_eq!(cut.chars().count(), MAX_STATUS_DESCRIPTION_CHARS);
        assert!(cut.ends_with('…'));
        assert!(long.starts_with(cut.trim_end_matches('…')));
    }

    #[test]
    fn production_is_inferred_from_the_environment_name() {
        let p = DeploymentPayload {
            image: "ghcr.io/o/a".into(),
            digest: "sha256:ab".into(),
            tags: vec![],
            run_url: None,
            artifacts: vec![],
        };
        assert!(DeploymentRequest::new("abc", "production", p.clone()).production_environment);
        assert!(!DeploymentRequest::new("abc", "staging", p).production_environment);
    }

    #[test]
    fn payloads_without_artifacts_still_parse() {
        let old: DeploymentPayload =
            serde_json::from_str(r#"{"image":"ghcr.io/o/a","digest":"sha256:ab"}"#).expect("old");
        assert!(old.artifacts.is_empty());
        let all = old.all_artifacts();
        assert_eq!(all.len(), 1);
        assert_eq!(
            (all[0].name.as_str(), all[0].digest.as_str()),
            ("ghcr.io/o/a", "sha256:ab")
        );
        let text = serde_json::to_string(&old).expect("json");
        assert!(
            !text.contains("artifacts"),
            "a lone image is written as before: {text}"
        );
    }
}
