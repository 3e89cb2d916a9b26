//! The deploy sequence: create the deployment, post `in_progress`, roll out, check health, post
//! the outcome. Whatever happens after the deployment exists, it ends with a final status, so a
//! deployment is never left `in_progress`.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use super::command_target::CommandTarget;
use super::docker_target::DockerTarget;
use super::error::DeployError;
use super::health::{HealthCheck, wait_healthy};
use deploy_action_records::{
    Deployment, DeploymentPayload, DeploymentRequest, DeploymentStore, StatusRequest, StatusState,
};

/// What to deploy where.
#[derive(Debug, Clone)]
pub struct DeployPlan {
    /// Target environment.
    pub environment: String,
    /// The commit being deployed.
    pub sha: String,
    /// What the deployment records: image repository, digest, tags, run URL.
    pub payload: DeploymentPayload,
    /// The image as the target runs it (an image id or `name@digest`).
    pub run_image: String,
    /// Where users reach the environment (`--url`); checked for health when given.
    pub environment_url: Option<String>,
    /// How long the `--url` check may take.
    pub health_timeout: Duration,
    /// Mark the deployment as a production one regardless of the environment's name.
    pub production: bool,
    /// Container name for the Docker target; derived from the image and environment when
    /// `None`.
    pub container_name: Option<String>,
}

/// How the image is rolled out.
#[derive(Debug)]
pub enum Target {
    /// Nothing is run; only the record and the optional `--url` check.
    Record,
    /// The user's command.
    Command(CommandTarget),
    /// A container on a Docker daemon.
    Docker(DockerTarget),
}

/// How a deployment ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployOutcome {
    /// The deployment's id in the store.
    pub deployment_id: u64,
    /// The commit the store recorded.
    pub sha: String,
    /// `success`, `failure` (the rollout failed) or `error` (interrupted, or deploy-action
    /// could not finish).
    pub state: StatusState,
    /// Why, in one line.
    pub reason: String,
    /// Where the environment can be reached, when known.
    pub environment_url: Option<String>,
    /// The signal that interrupted the deployment, if one did.
    pub interrupted_by: Option<String>,
}

/// Deploys `plan` with `target`, recording it in `store`. `interrupt` resolves to a signal name
/// when the user asks to stop; the deployment then gets an `error` status. `progress` receives
/// one line per step.
///
/// `Err` only when the deployment could not be recorded (or its final status could not be
/// posted); a failed or interrupted rollout is an [`DeployOutcome`].
pub async fn deploy<S: DeploymentStore>(
    store: &S,
    plan: &DeployPlan,
    target: &Target,
    interrupt: impl Future<Output = String>,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<DeployOutcome, DeployError> {
    let deployment = record(store, plan).await?;
    deploy_recorded(store, plan, deployment, target, interrupt, progress).await
}

/// Creates the deployment record of `plan` without rolling anything out (no status yet).
pub async fn record<S: DeploymentStore>(
    store: &S,
    plan: &DeployPlan,
) -> Result<Deployment, DeployError> {
    let mut request = DeploymentRequest::new(&plan.sha, &plan.environment, plan.payload.clone());
    request.production_environment |= plan.production;
    Ok(store.create_deployment(&request).await?)
}

/// [`deploy`] for a deployment already recorded by [`record`] (promotion records it first, as
/// its lock): posts `in_progress`, rolls out, posts the outcome.
pub async fn deploy_recorded<S: DeploymentStore>(
    store: &S,
    plan: &DeployPlan,
    deployment: Deployment,
    target: &Target,
    interrupt: impl Future<Output = String>,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<DeployOutcome, DeployError> {
    let id = deployment.id;
    progress(&format!(
        "created deployment {id} of {}@{} to {}",
        plan.payload.image, plan.payload.digest, plan.environment
    ));
    let mut status = StatusRequest::new(StatusState::InProgress, "Deploying");
    status.log_url = plan.payload.run_url.clone();
    if let Err(e) = store.post_status(id, &status).await {
        // Try to close the record before giving up, so it does not stay pending.
        let _ = store
            .post_status(
                id,
                &StatusRequest::new(StatusState::Error, "Could not start"),
            )
            .await;
        return Err(e.into());
    }

    let mut interrupted_by = None;
    let result = {
        let rollout = roll_out(plan, id, target, progress);
        tokio::pin!(rollout);
        tokio::pin!(interrupt);
        tokio::select! {
            r = &mut rollout => r,
            signal = &mut interrupt => {
                interrupted_by = Some(signal);
                Ok(Err(String::new()))
            }
        }
    };
    let (state, reason, url, infra) = match (result, &interrupted_by) {
        (_, Some(signal)) => {
            if let Target::Docker(d) = target {
                let _ = d.discard_candidate(&docker_name(plan)).await;
            }
            (
                StatusState::Error,
                format!("interrupted by {signal}"),
                None,
                None,
            )
        }
        (Ok(Ok(url)), None) => (
            StatusState::Success,
            "Deployed".to_owned(),
            plan.environment_url.clone().or(url),
            None,
        ),
        (Ok(Err(reason)), None) => (StatusState::Failure, reason, None, None),
        (Err(e), None) => (StatusState::Error, e.to_string(), None, Some(e)),
    };
    let mut final_status = StatusRequest::new(state, &reason);
    final_status.log_url = plan.payload.run_url.clone();
    final_status.environment_url = url.clone();
    let posted = store.post_status(id, &final_status).await;
    if let Some(e) = infra {
        return Err(e);
    }
    posted?;
    Ok(DeployOutcome {
        deployment_id: id,
        sha: deployment.sha,
        state,
        reason,
        environment_url: url,
        interrupted_by,
    })
}

/// The container name of the Docker target for this plan.
pub fn docker_name(plan: &DeployPlan) -> String {
    match &plan.container_name {
        Some(name) => super::docker_target::container_name(name, &plan.environment),
        None => super::docker_target::container_name(&plan.payload.image, &plan.environment),
    }
}

/// Runs the target and the `--url` check: `Ok(Ok(url))` healthy, `Ok(Err(reason))` failed.
async fn roll_out(
    plan: &DeployPlan,
    id: u64,
    target: &Target,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Result<Option<String>, String>, DeployError> {
    let url = match target {
        Target::Record => None,
        Target::Command(command) => {
            let vars = [
                ("DEPLOY_IMAGE", plan.payload.image.as_str()),
                ("DEPLOY_DIGEST", plan.payload.digest.as_str()),
                ("DEPLOY_ENVIRONMENT", plan.environment.as_str()),
                ("DEPLOY_SHA", plan.sha.as_str()),
            ];
            progress(&format!("running {}", command.argv.join(" ")));
            let mut running = command.start(&vars)?;
            // Stops the command's whole process group when this future is dropped (interrupt).
            let mut guard = StopOnDrop(Some(&mut running));
            let waited = match guard.0.as_mut() {
                Some(r) => r.wait().await,
                None => Ok(()),
            };
            guard.0 = None;
            if let Err(reason) = waited {
                return Ok(Err(reason));
            }
            None
        }
        Target::Docker(docker) => {
            match docker
                .roll_out(
                    &plan.run_image,
                    &docker_name(plan),
                    docker_labels(plan, id),
                    progress,
                )
                .await?
            {
                Ok(url) => Some(url),
                Err(reason) => return Ok(Err(reason)),
            }
        }
    };
    if let Some(env_url) = &plan.environment_url {
        progress(&format!("waiting for {env_url} to answer 2xx"));
        if let Err(problem) = wait_healthy(&HealthCheck::new(env_url, plan.health_timeout)).await {
            return Ok(Err(format!("environment URL is not healthy: {problem}")));
        }
    }
    Ok(Ok(url))
}

/// The labels of the Docker target's container for deployment `id` of `plan`.
pub fn docker_labels(plan: &DeployPlan, id: u64) -> HashMap<String, String> {
    HashMap::from([
        (
            "deploy-action.environment".to_owned(),
            plan.environment.clone(),
        ),
        (
            "deploy-action.digest".to_owned(),
            plan.payload.digest.clone(),
        ),
        ("deploy-action.deployment-id".to_owned(), id.to_string()),
    ])
}

/// Kills a still-running command's process group when the rollout future is dropped.
struct StopOnDrop<'a>(Option<&'a mut super::command_target::Running>);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(running) = self.0.take() {
            running.kill_group_now();
        }
    }
}
