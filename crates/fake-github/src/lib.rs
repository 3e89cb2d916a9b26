//! An in-process fake of the GitHub REST endpoints deploy-action calls, for tests (a
//! dev-dependency: never in the shipped binary). GitHub cannot be reached from CI, so this fake is held to GitHub's published
//! contract instead: it validates every request body against the request schema in GitHub's
//! OpenAPI description, answers with the documented example shapes filled with its own state,
//! paginates with `Link` headers, and can be scripted to fail the way GitHub and networks do.
//!
//! ```no_run
//! # fn demo() -> Result<(), deploy_action_fake_github::FakeError> {
//! use deploy_action_fake_github::{FakeConfig, FakeGithub, Fault};
//! let fake = FakeGithub::start(FakeConfig::new("../shared/github-api/openapi-subset.json"))?;
//! fake.inject("POST", "/repos/{owner}/{repo}/deployments", 1, Fault::server_error(502))?;
//! // Point a GithubStore at fake.api_url(), fake.owner(), fake.repo(), fake.token().
//! # Ok(()) }
//! ```
//!
//! The server runs on its own thread and Tokio runtime, so sync tests, async tests of any
//! flavour, and tests that run the built binary can all use it. Dropping [`FakeGithub`] stops it.

mod answer;
mod server;
mod spec;
mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use http::Method;
use serde_json::{Value, json};

pub use state::RecordedRequest;

/// Why the fake could not start or take an instruction.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FakeError {
    /// The OpenAPI description could not be read or compiled.
    #[error(
        "cannot use the OpenAPI description {path}: {reason}; pass the path of \
         shared/github-api/openapi-subset.json"
    )]
    Spec {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The listening socket or the server thread could not be set up.
    #[error("cannot start the fake GitHub server: {0}; check that 127.0.0.1 is available")]
    Start(std::io::Error),
    /// A fault was scripted for a route the description does not have.
    #[error(
        "the OpenAPI description has no operation `{method} {template}`; use a path template as \
         written there, e.g. /repos/{{owner}}/{{repo}}/deployments"
    )]
    UnknownRoute {
        /// The method given.
        method: String,
        /// The template given.
        template: String,
    },
}

/// How to start the fake.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// GitHub's OpenAPI description (`shared/github-api/openapi-subset.json`).
    pub spec_path: PathBuf,
    /// The one repository the fake hosts; others answer 404.
    pub owner: String,
    /// See [`FakeConfig::owner`].
    pub repo: String,
    /// The token requests must carry; others answer 401.
    pub token: String,
}

impl FakeConfig {
    /// Hosts `octo-org/app` with token `fake-token`.
    pub fn new(spec_path: impl Into<PathBuf>) -> Self {
        Self {
            spec_path: spec_path.into(),
            owner: "octo-org".into(),
            repo: "app".into(),
            token: "fake-token".into(),
        }
    }
}

/// A scripted misbehaviour, applied instead of the normal answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer with this status, these headers and this JSON body.
    Respond {
        /// Status code.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// JSON body.
        body: Value,
    },
    /// Wait this long before answering 504, so the client's timeout runs out first.
    Hang(Duration),
    /// Close the connection without answering.
    Reset,
}

impl Fault {
    /// A server error (500, 502, 503, …) with GitHub's message shape.
    pub fn server_error(status: u16) -> Self {
        Self::Respond {
            status,
            headers: Vec::new(),
            body: json!({"message": "Server Error"}),
        }
    }

    /// 429 with `Retry-After: secs`.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self::Respond {
            status: 429,
            headers: vec![("retry-after".into(), retry_after_secs.to_string())],
            body: json!({"message": "API rate limit exceeded"}),
        }
    }

    /// 403 secondary rate limit with `Retry-After: secs`, as GitHub sends it.
    pub fn secondary_rate_limit(retry_after_secs: u64) -> Self {
        Self::Respond {
            status: 403,
            headers: vec![("retry-after".into(), retry_after_secs.to_string())],
            body: json!({
                "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
            }),
        }
    }

    /// 403 with the primary limit used up until `reset_epoch_secs`.
    pub fn primary_rate_limit(reset_epoch_secs: u64) -> Self {
        Self::Respond {
            status: 403,
            headers: vec![
                ("x-ratelimit-remaining".into(), "0".into()),
                ("x-ratelimit-reset".into(), reset_epoch_secs.to_string()),
            ],
            body: json!({"message": "API rate limit exceeded"}),
        }
    }

    /// 202, GitHub's answer to deployment creation when it merged the default branch first.
    pub fn accepted() -> Self {
        Self::Respond {
            status: 202,
            headers: Vec::new(),
            body: json!({"message": "Auto-merged main into topic-branch on deployment."}),
        }
    }

    /// 409 for required contexts, each `(context, state)`, as GitHub words it.
    pub fn checks_failed(contexts: &[(&str, &str)]) -> Self {
        let contexts: Vec<Value> = contexts
            .iter()
            .map(|(c, s)| json!({"context": c, "state": s}))
            .collect();
        Self::Respond {
            status: 409,
            headers: Vec::new(),
            body: json!({
                "message": "Conflict: Commit status checks failed for main.",
                "errors": [{"contexts": contexts, "resource": "Deployment", "field": "required_contexts", "code": "invalid"}],
                "documentation_url": "https://docs.github.com/rest/deployments/deployments#create-a-deployment"
            }),
        }
    }

    /// Any status with GitHub's `{"message": …}` body.
    pub fn status(status: u16, message: &str) -> Self {
        Self::Respond {
            status,
            headers: Vec::new(),
            body: json!({"message": message}),
        }
    }
}

/// A running fake GitHub. Dropping it stops the server.
#[derive(Debug)]
pub struct FakeGithub {
    addr: SocketAddr,
    shared: Arc<Mutex<state::State>>,
    spec: Arc<spec::Spec>,
    config: FakeConfig,
    stop: Option<server::Stop>,
}

impl FakeGithub {
    /// Loads the description, binds 127.0.0.1 on a free port and starts serving.
    pub fn start(config: FakeConfig) -> Result<Self, FakeError> {
        let spec = Arc::new(spec::Spec::load(&config.spec_path)?);
        let shared = Arc::new(Mutex::new(state::State::new(
            &spec,
            &config.owner,
            &config.repo,
            &config.token,
        )));
        let (addr, stop) = server::spawn(Arc::clone(&spec), Arc::clone(&shared))?;
        Ok(Self {
            addr,
            shared,
            spec,
            config,
            stop: Some(stop),
        })
    }

    /// The base URL to pass as the GitHub API URL, e.g. `http://127.0.0.1:41234`.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The hosted repository's owner.
    pub fn owner(&self) -> &str {
        &self.config.owner
    }

    /// The hosted repository's name.
    pub fn repo(&self) -> &str {
        &self.config.repo
    }

    /// The token the fake accepts.
    pub fn token(&self) -> &str {
        &self.config.token
    }

    fn state(&self) -> MutexGuard<'_, state::State> {
        // A panic while holding the lock only happens in a failing test; keep serving.
        self.shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Makes the next `times` requests to `method template` (a path as written in the OpenAPI
    /// description, e.g. `/repos/{owner}/{repo}/deployments`) misbehave as `fault`. Scripts for
    /// the same route run in the order they were added.
    pub fn inject(
        &self,
        method: &str,
        template: &str,
        times: u32,
        fault: Fault,
    ) -> Result<(), FakeError> {
        let parsed = method.to_uppercase().parse::<Method>().ok();
        let known = parsed
            .as_ref()
            .is_some_and(|m| self.spec.operation(m, template).is_some());
        match (parsed, known) {
            (Some(m), true) => {
                self.state().faults.push(state::Script {
                    method: m,
                    template: template.to_owned(),
                    remaining: times,
                    fault,
                });
                Ok(())
            }
            _ => Err(FakeError::UnknownRoute {
                method: method.to_owned(),
                template: template.to_owned(),
            }),
        }
    }

    /// Makes `git_ref` (a branch or tag name, or `heads/…`/`tags/…`) resolve to `sha`.
    pub fn seed_ref(&self, git_ref: &str, sha: &str) {
        self.state().seed_ref(git_ref, sha);
    }

    /// Adds a commit status for `sha`.
    pub fn seed_commit_status(&self, sha: &str, context: &str, state: &str) {
        self.state().seed_commit_status(sha, context, state);
    }

    /// Adds a check run for `sha`; `conclusion` is `None` until it completes.
    pub fn seed_check_run(&self, sha: &str, name: &str, status: &str, conclusion: Option<&str>) {
        self.state().seed_check_run(sha, name, status, conclusion);
    }

    /// Adds a deployment directly (no request is recorded), with one status if `state` is given.
    /// Returns its id. Useful to build long histories quickly.
    pub fn seed_deployment(
        &self,
        environment: &str,
        sha: &str,
        payload: Value,
        state: Option<&str>,
    ) -> u64 {
        let base = self.api_url();
        self.state()
            .seed_deployment(&base, environment, sha, payload, state)
    }

    /// Every request served so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state().requests.clone()
    }

    /// The deployments held, oldest first, as the API shows them.
    pub fn deployments(&self) -> Vec<Value> {
        self.state()
            .deployments
            .iter()
            .map(|d| d.json.clone())
            .collect()
    }

    /// The statuses of deployment `id`, oldest first; empty for an unknown id.
    pub fn deployment_statuses(&self, id: u64) -> Vec<Value> {
        self.state()
            .deployments
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.statuses.clone())
            .unwrap_or_default()
    }
}

impl Drop for FakeGithub {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.stop();
        }
    }
}

/// Bytes a URL component keeps as they are: RFC 3986's unreserved set.
const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a path segment or query value, as GitHub's links carry them.
fn encode(component: &str) -> String {
    percent_encoding::utf8_percent_encode(component, COMPONENT).to_string()
}
