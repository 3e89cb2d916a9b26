//! The interface the gate and the commands use to record and read deployments, whichever
//! backend holds them: GitHub's Deployments API ([`GithubStore`](super::GithubStore)) or a local
//! JSON ledger ([`LedgerStore`](super::LedgerStore)) for runs without GitHub.

use std::future::Future;

use super::error::GithubError;
use super::types::{Deployment, DeploymentRequest, HistoryEntry, PostedStatus, StatusRequest};

/// A place where deployments and their statuses are recorded.
///
/// Both backends keep the same rules: ids grow with time, history is newest first, and a
/// `success` status marks the environment's earlier successful deployments `inactive`.
pub trait DeploymentStore: Send + Sync {
    /// Records a new deployment and returns it. Its `sha` is the commit the ref resolved to.
    fn create_deployment(
        &self,
        request: &DeploymentRequest,
    ) -> impl Future<Output = Result<Deployment, GithubError>> + Send;

    /// Adds a status to deployment `deployment_id`. The description is cut to 140 characters.
    /// On `success`, every earlier deployment of the same environment whose latest status is
    /// `success` gets an `inactive` status; their ids are returned in [`PostedStatus`].
    fn post_status(
        &self,
        deployment_id: u64,
        status: &StatusRequest,
    ) -> impl Future<Output = Result<PostedStatus, GithubError>> + Send;

    /// The deployment that is live in `environment`: the newest one whose latest status is
    /// `success`. Its payload carries the image digest.
    fn latest_successful(
        &self,
        environment: &str,
    ) -> impl Future<Output = Result<Option<Deployment>, GithubError>> + Send;

    /// Deployments of `environment`, newest first, each with its latest status; at most `limit`
    /// of them when given, all of them otherwise.
    fn history(
        &self,
        environment: &str,
        limit: Option<usize>,
    ) -> impl Future<Output = Result<Vec<HistoryEntry>, GithubError>> + Send;

    /// The newest deployment of commit `sha` to `environment`, with its latest status.
    fn deployment_for_sha(
        &self,
        environment: &str,
        sha: &str,
    ) -> impl Future<Output = Result<Option<HistoryEntry>, GithubError>> + Send;
}
