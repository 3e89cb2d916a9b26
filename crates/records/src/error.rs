//! The one error type of the deployment-records subsystem. Every message is a single line that
//! says what went wrong and what to do about it, and none of them can contain the token: the
//! token is never handed to anything that builds an error.

use std::path::PathBuf;

/// Why recording or reading deployments failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GithubError {
    /// 401 from GitHub.
    #[error(
        "GitHub rejected the token while trying to {action} (401): token invalid or expired; \
         pass a valid GITHUB_TOKEN (a workflow job's token stops working when the job ends)"
    )]
    Unauthorized {
        /// What deploy-action was doing.
        action: &'static str,
    },

    /// 403 from GitHub that is not a rate limit.
    #[error(
        "GitHub refused to {action} in {repo} (403): GITHUB_TOKEN lacks the `{permission}` \
         permission, or the repository is wrong; add `permissions: {permission}` to the job and \
         check the repository name"
    )]
    Forbidden {
        /// What deploy-action was doing.
        action: &'static str,
        /// `owner/name`.
        repo: String,
        /// The permission the operation needs, e.g. `deployments: write`.
        permission: &'static str,
    },

    /// 404 from GitHub.
    #[error(
        "GitHub found nothing to {action} in {repo} (404): the repository or deployment does not \
         exist, or GITHUB_TOKEN lacks the `{permission}` permission (GitHub then answers 404); \
         check the repository name and the job's `permissions:`"
    )]
    NotFound {
        /// What deploy-action was doing.
        action: &'static str,
        /// `owner/name`.
        repo: String,
        /// The permission the operation needs.
        permission: &'static str,
    },

    /// 409 naming required status contexts that are not green.
    #[error(
        "GitHub refused to create the deployment because required status checks are not green \
         (409): {}; fix or re-run those checks, or narrow `required_contexts`",
        .contexts.join(", ")
    )]
    ChecksFailed {
        /// The failing contexts, each as `name (state)`.
        contexts: Vec<String>,
    },

    /// 409 for another reason (usually a merge conflict).
    #[error(
        "GitHub refused to create the deployment (409): {message}; deploy a commit that is up to \
         date with the default branch"
    )]
    Conflict {
        /// GitHub's message.
        message: String,
    },

    /// 202 answered on every attempt.
    #[error(
        "GitHub kept answering 202 (auto-merge or status checks still pending) after {attempts} \
         attempts to create the deployment; wait for the commit's checks to finish and run again"
    )]
    StillPending {
        /// How many requests were made.
        attempts: u32,
    },

    /// Rate limited on every attempt.
    #[error(
        "GitHub's rate limit stopped the attempt to {action} after {attempts} attempts; wait for \
         the limit to reset, or use a token with a higher limit"
    )]
    RateLimited {
        /// What deploy-action was doing.
        action: &'static str,
        /// How many requests were made.
        attempts: u32,
    },

    /// Rate limited, and GitHub asked for a longer wait than allowed.
    #[error(
        "GitHub's rate limit asks to wait {wait_secs}s before trying to {action} again, longer \
         than the {max_secs}s deploy-action may wait; run again after the limit resets"
    )]
    RateLimitWaitTooLong {
        /// What deploy-action was doing.
        action: &'static str,
        /// The wait GitHub asked for.
        wait_secs: u64,
        /// The configured longest wait.
        max_secs: u64,
    },

    /// 5xx on every attempt.
    #[error(
        "GitHub answered {status} (server error) to every attempt to {action} ({attempts} \
         attempts); retry later and check GitHub's status page"
    )]
    ServerError {
        /// What deploy-action was doing.
        action: &'static str,
        /// The last status code.
        status: u16,
        /// How many requests were made.
        attempts: u32,
    },

    /// No answer within the per-request timeout on every attempt.
    #[error(
        "GitHub did not answer within {timeout_secs}s when trying to {action} ({attempts} \
         attempts); retry later or raise the request timeout"
    )]
    Timeout {
        /// What deploy-action was doing.
        action: &'static str,
        /// The per-request timeout.
        timeout_secs: u64,
        /// How many requests were made.
        attempts: u32,
    },

    /// The connection failed on every attempt.
    #[error(
        "could not reach GitHub at {api_url} to {action} ({attempts} attempts): {reason}; check \
         the API URL (GITHUB_API_URL) and the network"
    )]
    Connection {
        /// What deploy-action was doing.
        action: &'static str,
        /// The API base URL.
        api_url: String,
        /// The transport's description of the failure.
        reason: String,
        /// How many requests were made.
        attempts: u32,
    },

    /// 422 from GitHub.
    #[error(
        "GitHub rejected the request to {action} as invalid (422): {message}; check the values \
         passed (environment name, ref, URLs) and report it if they look right"
    )]
    Invalid {
        /// What deploy-action was doing.
        action: &'static str,
        /// GitHub's message and error details.
        message: String,
    },

    /// Any other status.
    #[error(
        "GitHub answered {status} to the attempt to {action}, which deploy-action does not \
         expect: {message}; retry, and report it if it persists"
    )]
    Unexpected {
        /// What deploy-action was doing.
        action: &'static str,
        /// The status code.
        status: u16,
        /// GitHub's message, if any.
        message: String,
    },

    /// The answer was not the JSON GitHub documents.
    #[error(
        "GitHub's answer to the attempt to {action} could not be read: {reason}; check that the \
         API URL points at GitHub's REST API"
    )]
    BadResponse {
        /// What deploy-action was doing.
        action: &'static str,
        /// What was wrong with it.
        reason: String,
    },

    /// The API URL or repository given is not usable.
    #[error("{what} `{value}` is not usable: {reason}; {fix}")]
    BadConfig {
        /// Which setting.
        what: &'static str,
        /// Its value.
        value: String,
        /// Why not.
        reason: String,
        /// What to pass instead.
        fix: &'static str,
    },

    /// A deployment id that the store does not hold.
    #[error(
        "deployment {id} does not exist in the {store}; pass the id printed when the deployment \
         was created"
    )]
    UnknownDeployment {
        /// The id asked for.
        id: u64,
        /// Which store, e.g. `ledger .deploy-action/ledger.json`.
        store: String,
    },

    /// Reading, writing or locking the ledger failed.
    #[error(
        "could not {action} the deployment ledger {path}: {error}; check that its directory \
         exists and is writable"
    )]
    LedgerIo {
        /// What was being done, e.g. `lock` or `write`.
        action: &'static str,
        /// The ledger file.
        path: PathBuf,
        /// The operating system's error.
        error: std::io::Error,
    },

    /// The ledger file does not parse.
    #[error(
        "the deployment ledger {path} is damaged ({reason}); restore it from a backup or move it \
         away to start a new one"
    )]
    LedgerCorrupt {
        /// The ledger file.
        path: PathBuf,
        /// The parser's message.
        reason: String,
    },

    /// The ledger was written by a newer deploy-action.
    #[error(
        "the deployment ledger {path} has schema version {found}, but this deploy-action reads \
         version {supported}; upgrade deploy-action"
    )]
    LedgerVersion {
        /// The ledger file.
        path: PathBuf,
        /// The version in the file.
        found: u64,
        /// The version this build reads and writes.
        supported: u64,
    },
}

impl GithubError {
    /// The process exit status for this error: a bad configuration is the user's to fix
    /// (usage), everything else is the store's (infrastructure).
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::BadConfig { .. } => deploy_action_sys::exit::USAGE,
            _ => deploy_action_sys::exit::INFRA,
        }
    }
}
