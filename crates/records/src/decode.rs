//! The decoders of what deploy-action reads from outside, one call each: GitHub's JSON answers
//! about deployments and statuses, and the ledger file. The stores use the same code paths; these
//! entry points exist so that fuzz targets (`fuzz/`) and tests can feed them arbitrary text.

use serde_json::Value;

use super::error::GithubError;
use super::types::{Deployment, DeploymentStatus, HistoryEntry};

/// A page of `GET /repos/{owner}/{repo}/deployments`, decoded as [`super::GithubStore`] does.
pub fn deployment_page(json: &str) -> Result<Vec<Deployment>, GithubError> {
    let items: Vec<Value> = super::remote::decode_json(json)?;
    items
        .into_iter()
        .map(super::remote::deployment_from_value)
        .collect()
}

/// One deployment, as `POST /deployments` and `GET /deployments/{id}` answer.
pub fn deployment(json: &str) -> Result<Deployment, GithubError> {
    super::remote::deployment_from_value(super::remote::decode_json(json)?)
}

/// One deployment status, as `POST /deployments/{id}/statuses` answers.
pub fn status(json: &str) -> Result<DeploymentStatus, GithubError> {
    super::remote::status_from_value(super::remote::decode_json(json)?)
}

/// A ledger file's text: every environment's history, newest first, and the text it would be
/// saved as. Errors are the ones `history` and `deploy` report for a damaged or newer ledger.
pub fn ledger(text: &str) -> Result<(Vec<HistoryEntry>, String), GithubError> {
    super::ledger::decode(text)
}
