//! [`AnyStore`]: the deployment store chosen at run time (GitHub or the local ledger).

use deploy_action_records::{
    Deployment, DeploymentRequest, DeploymentStore, GithubError, GithubStore, HistoryEntry,
    LedgerStore, PostedStatus, StatusRequest,
};

/// Either backend, so a command can pick one from its configuration and use it through the
/// one [`DeploymentStore`] interface.
#[derive(Debug)]
pub enum AnyStore {
    /// GitHub's Deployments API.
    Github(Box<GithubStore>),
    /// The local JSON ledger.
    Ledger(LedgerStore),
}

impl AnyStore {
    /// A short name for logs: `GitHub` or `ledger PATH`.
    pub fn describe(&self) -> String {
        match self {
            Self::Github(_) => "GitHub deployments".to_owned(),
            Self::Ledger(l) => format!("ledger {}", l.path().display()),
        }
    }
}

impl DeploymentStore for AnyStore {
    async fn create_deployment(
        &self,
        request: &DeploymentRequest,
    ) -> Result<Deployment, GithubError> {
        match self {
            Self::Github(s) => s.create_deployment(request).await,
            Self::Ledger(s) => s.create_deployment(request).await,
        }
    }

    async fn post_status(
        &self,
        deployment_id: u64,
        status: &StatusRequest,
    ) -> Result<PostedStatus, GithubError> {
        match self {
            Self::Github(s) => s.post_status(deployment_id, status).await,
            Self::Ledger(s) => s.post_status(deployment_id, status).await,
        }
    }

    async fn latest_successful(
        &self,
        environment: &str,
    ) -> Result<Option<Deployment>, GithubError> {
        match self {
            Self::Github(s) => s.latest_successful(environment).await,
            Self::Ledger(s) => s.latest_successful(environment).await,
        }
    }

    async fn history(
        &self,
        environment: &str,
        limit: Option<usize>,
    ) -> Result<Vec<HistoryEntry>, GithubError> {
        match self {
            Self::Github(s) => s.history(environment, limit).await,
            Self::Ledger(s) => s.history(environment, limit).await,
        }
    }

    async fn deployment_for_sha(
        &self,
        environment: &str,
        sha: &str,
    ) -> Result<Option<HistoryEntry>, GithubError> {
        match self {
            Self::Github(s) => s.deployment_for_sha(environment, sha).await,
            Self::Ledger(s) => s.deployment_for_sha(environment, sha).await,
        }
    }
}
