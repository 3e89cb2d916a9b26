//! Deployment records: where deploy-action writes down what it deployed to which environment,
//! and reads it back to promote the same digest or roll back.
//!
//! [`DeploymentStore`] is the interface. [`GithubStore`] keeps records in GitHub's Deployments
//! API; [`LedgerStore`] keeps them in a local JSON file for runs without GitHub. Both take their
//! configuration from the caller and never read the environment or print.
//!
//! With the `fake-github` feature, [`fake`] is an in-process fake of the GitHub REST endpoints
//! for tests.

pub mod decode;
mod error;
mod http;
mod ledger;
mod remote;
mod retry;

mod store;
mod types;

pub use deploy_action_sys::secret::Secret;
pub use error::GithubError;
pub use ledger::{DEFAULT_LEDGER_PATH, LedgerStore};
pub use remote::{GithubConfig, GithubStore};
pub use retry::{RetryPolicy, Sleeper, TokioSleeper};
pub use store::DeploymentStore;
pub use types::{
    Artifact, CommitCheck, Deployment, DeploymentPayload, DeploymentRequest, DeploymentStatus,
    HistoryEntry, MAX_STATUS_DESCRIPTION_CHARS, PostedStatus, StatusRequest, StatusState,
    truncate_description,
};
