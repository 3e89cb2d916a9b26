//! [`DeploymentStore`] on GitHub's Deployments API (github.com or GHES). Requests and answers use
//! GitHub's wire shapes, read through octocrab's typed models, and are turned into the
//! store-neutral values of [`types`](super::types) here and nowhere else.

use std::sync::Arc;

use http::Method;
use octocrab::models::repos::{
    Deployment as WireDeployment, DeploymentStatus as WireStatus, DeploymentStatusState,
};
use serde_json::{Value, json};

use super::error::GithubError;
use super::http::{Api, Op, encode};
use super::retry::{RetryPolicy, Sleeper, TokioSleeper};
use super::store::DeploymentStore;
use super::types::{
    CommitCheck, Deployment, DeploymentPayload, DeploymentRequest, DeploymentStatus, HistoryEntry,
    PostedStatus, StatusRequest, StatusState, truncate_description,
};
use deploy_action_sys::secret::Secret;

const CREATE: Op = Op {
    action: "create a deployment",
    permission: "deployments: write",
    pending_is_transient: true,
};
const POST_STATUS: Op = Op {
    action: "post a deployment status",
    permission: "deployments: write",
    pending_is_transient: false,
};
const LIST: Op = Op {
    action: "list deployments",
    permission: "deployments: read",
    pending_is_transient: false,
};
const LIST_STATUSES: Op = Op {
    action: "list deployment statuses",
    permission: "deployments: read",
    pending_is_transient: false,
};

/// Where and how to reach GitHub. Callers fill it from `GITHUB_API_URL`, `GITHUB_REPOSITORY`
/// and `GITHUB_TOKEN`; this module reads no environment variables.
#[derive(Debug, Clone)]
pub struct GithubConfig {
    /// REST API base, `https://api.github.com` or `https://HOST/api/v3` on GHES.
    pub api_url: String,
    /// Repository owner.
    pub owner: String,
    /// Repository name.
    pub repo: String,
    /// Token with `deployments: write`.
    pub token: Secret<String>,
    /// Retries, waits and the per-request timeout.
    pub retry: RetryPolicy,
    /// How waits between attempts are made; tests pass one that records them.
    pub sleeper: Arc<dyn Sleeper>,
}

impl GithubConfig {
    /// A configuration with the default retry policy and Tokio's timer.
    pub fn new(api_url: &str, owner: &str, repo: &str, token: Secret<String>) -> Self {
        Self {
            api_url: api_url.to_owned(),
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            token,
            retry: RetryPolicy::default(),
            sleeper: Arc::new(TokioSleeper),
        }
    }
}

/// Deployments recorded in a GitHub repository.
#[derive(Debug)]
pub struct GithubStore {
    api: Api,
    /// `/repos/{owner}/{repo}`, encoded.
    root: String,
}

impl GithubStore {
    /// Checks the configuration; no request is made until the first operation.
    pub fn new(config: GithubConfig) -> Result<Self, GithubError> {
        for (what, value) in [
            ("repository owner", &config.owner),
            ("repository name", &config.repo),
        ] {
            if value.is_empty() || value.contains('/') {
                return Err(GithubError::BadConfig {
                    what,
                    value: value.clone(),
                    reason: "it must be one non-empty path segment".into(),
                    fix: "pass owner and name separately, as in GITHUB_REPOSITORY=owner/name",
                });
            }
        }
        let root = format!("/repos/{}/{}", encode(&config.owner), encode(&config.repo));
        let api = Api::new(
            config.api_url.trim_end_matches('/'),
            format!("{}/{}", config.owner, config.repo),
            config.token,
            config.retry,
            config.sleeper,
        )?;
        Ok(Self { api, root })
    }

    /// The newest status of a deployment (GitHub lists statuses newest first).
    async fn latest_status(&self, id: u64) -> Result<Option<DeploymentStatus>, GithubError> {
        let path = format!("{}/deployments/{id}/statuses?per_page=1", self.root);
        let (items, _) = self.api.page(&LIST_STATUSES, &path).await?;
        match items.into_iter().next() {
            Some(item) => Ok(Some(status_from_wire(parse(&LIST_STATUSES, item)?))),
            None => Ok(None),
        }
    }

    /// Deployments matching `query` (already encoded), newest first, following `Link` pages
    /// until `limit` are collected.
    async fn deployments(
        &self,
        query: &str,
        limit: Option<usize>,
    ) -> Result<Vec<Deployment>, GithubError> {
        let mut next = Some(format!("{}/deployments?{query}&per_page=100", self.root));
        let mut out = Vec::new();
        while let Some(path) = next {
            let (items, link) = self.api.page(&LIST, &path).await?;
            for item in items {
                out.push(deployment_from_wire(parse(&LIST, item)?));
                if limit.is_some_and(|l| out.len() >= l) {
                    return Ok(sorted(out));
                }
            }
            next = link;
        }
        Ok(sorted(out))
    }

    async fn with_status(
        &self,
        deployments: Vec<Deployment>,
    ) -> Result<Vec<HistoryEntry>, GithubError> {
        let mut out = Vec::with_capacity(deployments.len());
        for deployment in deployments {
            let latest_status = self.latest_status(deployment.id).await?;
            out.push(HistoryEntry {
                deployment,
                latest_status,
            });
        }
        Ok(out)
    }

    async fn send_status(
        &self,
        id: u64,
        status: &StatusRequest,
    ) -> Result<DeploymentStatus, GithubError> {
        let mut body = json!({
            "state": status.state.as_str(),
            "description": truncate_description(&status.description),
        });
        if let Some(url) = &status.environment_url {
            body["environment_url"] = json!(url);
        }
        if let Some(url) = &status.log_url {
            body["log_url"] = json!(url);
        }
        let path = format!("{}/deployments/{id}/statuses", self.root);
        let reply = self
            .api
            .call(&POST_STATUS, Method::POST, &path, Some(&body))
            .await?;
        Ok(status_from_wire(reply.json(&POST_STATUS)?))
    }
}

impl DeploymentStore for GithubStore {
    async fn create_deployment(
        &self,
        request: &DeploymentRequest,
    ) -> Result<Deployment, GithubError> {
        let payload =
            serde_json::to_value(&request.payload).map_err(|e| GithubError::BadResponse {
                action: CREATE.action,
                reason: e.to_string(),
            })?;
        let body = json!({
            "ref": request.git_ref,
            "task": "deploy",
            "auto_merge": false,
            "required_contexts": request.required_contexts,
            "payload": payload,
            "environment": request.environment,
            "description": request.description,
            "transient_environment": request.transient_environment,
            "production_environment": request.production_environment,
        });
        let path = format!("{}/deployments", self.root);
        let reply = self
            .api
            .call(&CREATE, Method::POST, &path, Some(&body))
            .await?;
        Ok(deployment_from_wire(reply.json(&CREATE)?))
    }

    async fn post_status(
        &self,
        deployment_id: u64,
        status: &StatusRequest,
    ) -> Result<PostedStatus, GithubError> {
        let posted = self.send_status(deployment_id, status).await?;
        let mut deactivated = Vec::new();
        if status.state == StatusState::Success {
            let environment = self.deployment_environment(deployment_id).await?;
            let query = format!("environment={}", encode(&environment));
            let earlier: Vec<Deployment> = self
                .deployments(&query, None)
                .await?
                .into_iter()
                .filter(|d| d.id < deployment_id)
                .collect();
            let note = StatusRequest::new(
                StatusState::Inactive,
                &format!("Superseded by deployment {deployment_id}"),
            );
            for deployment in earlier {
                let latest = self.latest_status(deployment.id).await?;
                if latest.is_some_and(|s| s.state == StatusState::Success) {
                    self.send_status(deployment.id, &note).await?;
                    deactivated.push(deployment.id);
                }
            }
        }
        Ok(PostedStatus {
            status: posted,
            deactivated,
        })
    }

    async fn latest_successful(
        &self,
        environment: &str,
    ) -> Result<Option<Deployment>, GithubError> {
        let query = format!("environment={}", encode(environment));
        for deployment in self.deployments(&query, None).await? {
            let latest = self.latest_status(deployment.id).await?;
            if latest.is_some_and(|s| s.state == StatusState::Success) {
                return Ok(Some(deployment));
            }
        }
        Ok(None)
    }

    async fn history(
        &self,
        environment: &str,
        limit: Option<usize>,
    ) -> Result<Vec<HistoryEntry>, GithubError> {
        let query = format!("environment={}", encode(environment));
        let deployments = self.deployments(&query, limit).await?;
        self.with_status(deployments).await
    }

    async fn deployment_for_sha(
        &self,
        environment: &str,
        sha: &str,
    ) -> Result<Option<HistoryEntry>, GithubError> {
        let query = format!("environment={}&sha={}", encode(environment), encode(sha));
        let found = self.deployments(&query, Some(1)).await?;
        Ok(self.with_status(found).await?.into_iter().next())
    }
}

impl GithubStore {
    /// The check runs and commit statuses reported for `sha` (check runs: every page; statuses:
    /// the combined view, one per context).
    pub async fn commit_checks(&self, sha: &str) -> Result<Vec<CommitCheck>, GithubError> {
        const RUNS: Op = Op {
            action: "list check runs",
            permission: "checks: read",
            pending_is_transient: false,
        };
        const STATUS: Op = Op {
            action: "read the combined commit status",
            permission: "statuses: read",
            pending_is_transient: false,
        };
        let mut out = Vec::new();
        let mut next = Some(format!(
            "{}/commits/{}/check-runs?per_page=100",
            self.root,
            encode(sha)
        ));
        while let Some(path) = next {
            let reply = self.api.call(&RUNS, Method::GET, &path, None).await?;
            let body: Value = reply.json(&RUNS)?;
            let runs = body
                .get("check_runs")
                .and_then(Value::as_array)
                .ok_or_else(|| GithubError::BadResponse {
                    action: RUNS.action,
                    reason: "no `check_runs` array".into(),
                })?;
            for run in runs {
                let text = |k: &str| run.get(k).and_then(Value::as_str).map(str::to_owned);
                out.push(CommitCheck {
                    name: text("name").unwrap_or_default(),
                    kind: "check run",
                    state: match (text("status").as_deref(), text("conclusion").as_deref()) {
                        (Some("completed"), Some("success" | "neutral" | "skipped")) => {
                            "success".into()
                        }
                        (Some("completed"), Some(c)) => c.to_owned(),
                        (Some(s), _) => s.to_owned(),
                        (None, _) => "unknown".into(),
                    },
                });
            }
            next = super::http::next_link(&reply.headers);
        }
        let path = format!("{}/commits/{}/status?per_page=100", self.root, encode(sha));
        let reply = self.api.call(&STATUS, Method::GET, &path, None).await?;
        let body: Value = reply.json(&STATUS)?;
        for status in body
            .get("statuses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let text = |k: &str| {
                status
                    .get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            out.push(CommitCheck {
                name: text("context"),
                kind: "status",
                state: text("state"),
            });
        }
        Ok(out)
    }

    async fn deployment_environment(&self, id: u64) -> Result<String, GithubError> {
        const GET: Op = Op {
            action: "read a deployment",
            permission: "deployments: read",
            pending_is_transient: false,
        };
        let path = format!("{}/deployments/{id}", self.root);
        let reply = self.api.call(&GET, Method::GET, &path, None).await?;
        let wire: WireDeployment = reply.json(&GET)?;
        Ok(wire.environment)
    }
}

fn parse<T: serde::de::DeserializeOwned>(op: &Op, value: Value) -> Result<T, GithubError> {
    serde_json::from_value(value).map_err(|e| GithubError::BadResponse {
        action: op.action,
        reason: e.to_string(),
    })
}

fn sorted(mut deployments: Vec<Deployment>) -> Vec<Deployment> {
    deployments.sort_by_key(|d| std::cmp::Reverse(d.id));
    deployments
}

/// deploy-action's payload, whether GitHub returns it as an object or as a JSON string.
fn payload_from_wire(value: &Value) -> Option<DeploymentPayload> {
    match value {
        Value::String(text) => serde_json::from_str(text).ok(),
        other => serde_json::from_value(other.clone()).ok(),
    }
}

fn deployment_from_wire(wire: WireDeployment) -> Deployment {
    Deployment {
        id: wire.id.0,
        payload: payload_from_wire(&wire.payload),
        sha: wire.sha,
        git_ref: wire.ref_field,
        environment: wire.environment,
        description: wire.description,
        transient_environment: wire.transient_environment.unwrap_or(false),
        production_environment: wire.production_environment.unwrap_or(false),
        created_at: wire.created_at,
    }
}

fn status_from_wire(wire: WireStatus) -> DeploymentStatus {
    DeploymentStatus {
        id: wire.id.0,
        state: match wire.state {
            DeploymentStatusState::Error => StatusState::Error,
            DeploymentStatusState::Failure => StatusState::Failure,
            DeploymentStatusState::Inactive => StatusState::Inactive,
            DeploymentStatusState::InProgress => StatusState::InProgress,
            DeploymentStatusState::Queued => StatusState::Queued,
            DeploymentStatusState::Pending => StatusState::Pending,
            DeploymentStatusState::Success => StatusState::Success,
        },
        description: wire.description,
        environment_url: wire.environment_url.filter(|u| !u.is_empty()),
        log_url: wire.log_url.filter(|u| !u.is_empty()),
        created_at: wire.created_at,
    }
}

/// Any JSON text, as an answer body is read.
pub(super) fn decode_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, GithubError> {
    serde_json::from_str(json).map_err(|e| GithubError::BadResponse {
        action: LIST.action,
        reason: e.to_string(),
    })
}

/// One deployment from an answer's JSON value.
pub(super) fn deployment_from_value(value: Value) -> Result<Deployment, GithubError> {
    parse(&LIST, value).map(deployment_from_wire)
}

/// One deployment status from an answer's JSON value.
pub(super) fn status_from_value(value: Value) -> Result<DeploymentStatus, GithubError> {
    parse(&LIST_STATUSES, value).map(status_from_wire)
}
