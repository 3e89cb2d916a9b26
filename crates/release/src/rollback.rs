//! The rollback state machine: find what is live in an environment and the deployment to
//! restore (`--to`, else the newest earlier successful one), redeploy it as a new record of the
//! same commit and payload, and mark the replaced deployment `failure` so it is never picked as
//! a rollback target itself.
//!
//! Nothing here reads the environment or prints: the caller hands in the target, a way to move
//! the environment's tag back, the interrupt and a progress callback.

use std::future::Future;
use std::time::Duration;

use deploy_action_image::tags::ImageRef;
use deploy_action_records::{
    Deployment, DeploymentPayload, DeploymentStore, GithubError, HistoryEntry, StatusRequest,
    StatusState,
};
use deploy_action_sys::exit;

use crate::deploy::{DeployError, DeployOutcome, DeployPlan, DockerTarget, Target, deploy};
use crate::gate::GateError;

/// Why no deployment can be restored; the messages say what to do instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RollbackError {
    /// The environment's history could not be read.
    #[error(transparent)]
    Store(#[from] GithubError),
    /// Nothing is live in the environment.
    #[error(
        "nothing is live in {0} (no deployment with status success); deploy first, or check --environment"
    )]
    NothingLive(String),
    /// `--to` matches no earlier successful deployment.
    #[error(
        "no earlier successful deployment of {env} matches --to {want}; `deploy-action history {env}` lists them"
    )]
    NoMatch {
        /// The environment.
        env: String,
        /// The `--to` value.
        want: String,
    },
    /// No successful deployment precedes the live one.
    #[error("{env} has no successful deployment before deployment {live}; nothing to roll back to")]
    NothingEarlier {
        /// The environment.
        env: String,
        /// The live deployment's id.
        live: u64,
    },
}

impl RollbackError {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Store(_) => exit::INFRA,
            Self::NothingLive(_) | Self::NoMatch { .. } | Self::NothingEarlier { .. } => {
                exit::USAGE
            }
        }
    }
}

/// The live deployment and the one to restore.
#[derive(Debug, Clone)]
pub struct Choice {
    /// What runs now (the newest `success`).
    pub current: HistoryEntry,
    /// What the rollback brings back.
    pub restore: HistoryEntry,
}

impl Choice {
    /// Whether the live deployment had been promoted into `environment` (its payload's tags
    /// name it), so the `:environment` tag must move back with the rollback.
    pub fn promoted(&self, environment: &str) -> bool {
        self.current
            .deployment
            .payload
            .as_ref()
            .is_some_and(|p| p.tags.iter().any(|t| t == environment))
    }
}

/// Reads `environment`'s history from `store` and picks what to restore (see [`choose`]).
pub async fn plan<S: DeploymentStore>(
    store: &S,
    environment: &str,
    to: Option<&str>,
) -> Result<Choice, RollbackError> {
    let history = store.history(environment, None).await?;
    let (current, restore) = choose(&history, environment, to)?;
    Ok(Choice {
        current: current.clone(),
        restore: restore.clone(),
    })
}

/// The live deployment and the one to restore: `to` (a SHA prefix of 7+ characters or a
/// digest) or the newest earlier one that was successful (now `success` or `inactive`).
/// `history` is newest first, as stores return it.
pub fn choose<'h>(
    history: &'h [HistoryEntry],
    env: &str,
    to: Option<&str>,
) -> Result<(&'h HistoryEntry, &'h HistoryEntry), RollbackError> {
    let state = |e: &HistoryEntry| e.latest_status.as_ref().map(|s| s.state);
    let Some(current) = history
        .iter()
        .find(|e| state(e) == Some(StatusState::Success))
    else {
        return Err(RollbackError::NothingLive(env.to_owned()));
    };
    let mut candidates = history.iter().filter(|e| {
        e.deployment.id < current.deployment.id
            && matches!(state(e), Some(StatusState::Success | StatusState::Inactive))
            && e.deployment.payload.is_some()
    });
    let found = match to {
        Some(want) => {
            let want = want.trim();
            let hit = |e: &&HistoryEntry| {
                (want.len() >= 7 && e.deployment.sha.starts_with(want))
                    || e.deployment
                        .payload
                        .as_ref()
                        .is_some_and(|p| p.all_artifacts().iter().any(|a| a.digest == want))
            };
            candidates.find(hit).ok_or_else(|| RollbackError::NoMatch {
                env: env.to_owned(),
                want: want.to_owned(),
            })?
        }
        None => candidates
            .next()
            .ok_or_else(|| RollbackError::NothingEarlier {
                env: env.to_owned(),
                live: current.deployment.id,
            })?,
    };
    Ok((current, found))
}

/// How a recorded deployment is rolled out again.
pub struct Redeploy<'a> {
    /// The Docker target, when used (to resolve images to the daemon's ids).
    pub docker: Option<&'a DockerTarget>,
    /// The target.
    pub target: &'a Target,
    /// Where users reach the environment, checked for health when given.
    pub environment_url: Option<String>,
    /// How long the health check may take.
    pub health_timeout: Duration,
    /// The Docker target's container name, when given.
    pub container_name: Option<String>,
}

/// The images of a recorded payload, as `REPOSITORY@DIGEST` references.
pub fn payload_images(payload: &DeploymentPayload) -> Vec<ImageRef> {
    payload
        .all_artifacts()
        .iter()
        .filter_map(|a| {
            let repo = a.repository.as_ref()?;
            ImageRef::parse(&format!("{repo}@{}", a.digest)).ok()
        })
        .collect()
}

/// What the target runs for `image@digest`: the daemon's image id for the Docker target (pulled
/// when absent), the reference itself otherwise.
pub async fn run_image(
    docker: Option<&DockerTarget>,
    image: &str,
    digest: &str,
) -> Result<String, DeployError> {
    let reference = format!("{image}@{digest}");
    match docker {
        Some(d) => {
            let parsed = ImageRef::parse(&reference).map_err(|e| DeployError::BadImage {
                image: reference.clone(),
                reason: e.to_string(),
            })?;
            Ok(d.resolve(&reference, &parsed).await?.id)
        }
        None => Ok(reference),
    }
}

/// Redeploys recorded deployment `previous` to `environment` (a new deployment record of the
/// same commit and payload). When `retag_back` is given, it first receives the payload's images
/// to move the `:environment` tag back to them.
pub async fn redeploy<S, R>(
    store: &S,
    previous: &Deployment,
    environment: &str,
    retag_back: Option<R>,
    how: &Redeploy<'_>,
    interrupt: impl Future<Output = String>,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<DeployOutcome, GateError>
where
    S: DeploymentStore,
    R: AsyncFnOnce(Vec<ImageRef>) -> Result<(), GateError>,
{
    let payload = previous.payload.clone().ok_or_else(|| {
        GateError::Usage(format!(
            "deployment {} records no image digest (made by another tool?); pick another with --to",
            previous.id
        ))
    })?;
    if let Some(retag) = retag_back {
        retag(payload_images(&payload)).await?;
    }
    let plan = DeployPlan {
        environment: environment.to_owned(),
        sha: previous.sha.clone(),
        run_image: run_image(how.docker, &payload.image, &payload.digest).await?,
        payload,
        environment_url: how.environment_url.clone(),
        health_timeout: how.health_timeout,
        production: previous.production_environment,
        container_name: how.container_name.clone(),
    };
    Ok(deploy(store, &plan, how.target, interrupt, progress).await?)
}

/// Posts a final status, telling `progress` (not failing) when the store does not take it.
pub async fn close<S: DeploymentStore>(
    store: &S,
    id: u64,
    state: StatusState,
    why: &str,
    progress: &mut (dyn FnMut(&str) + Send),
) {
    if let Err(e) = store.post_status(id, &StatusRequest::new(state, why)).await {
        progress(&format!(
            "warning: could not mark deployment {id} {state}: {e}"
        ));
    }
}

/// Restores `choice` in `environment`: redeploys `choice.restore` and, when that succeeded,
/// marks `choice.current` `failure` (rolled back by the new deployment).
pub async fn restore<S, R>(
    store: &S,
    choice: &Choice,
    environment: &str,
    retag_back: Option<R>,
    how: &Redeploy<'_>,
    interrupt: impl Future<Output = String>,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<DeployOutcome, GateError>
where
    S: DeploymentStore,
    R: AsyncFnOnce(Vec<ImageRef>) -> Result<(), GateError>,
{
    let restore = &choice.restore.deployment;
    let outcome = redeploy(
        store,
        restore,
        environment,
        retag_back,
        how,
        interrupt,
        progress,
    )
    .await?;
    if outcome.state == StatusState::Success {
        let why = format!("Rolled back by deployment {}", outcome.deployment_id);
        close(
            store,
            choice.current.deployment.id,
            StatusState::Failure,
            &why,
            progress,
        )
        .await;
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests;
