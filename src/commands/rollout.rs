//! What `promote` and `rollback` share: the target from the flags, interrupt signals that every
//! step can watch, retagging with the Docker config's credentials, and redeploying a recorded
//! deployment (rollback).

use std::path::{Path, PathBuf};

use super::{gitctx, progress};
use crate::cli::{DeployTargetKind, TargetArgs};
use deploy_action_image::tags::ImageRef;
use deploy_action_records::{Deployment, DeploymentStore, StatusState};
use deploy_action_release::deploy::{
    CommandTarget, DaemonChoice, DeployOutcome, DockerTarget, OutputTo, Target,
};
use deploy_action_release::gate::GateError;
use deploy_action_release::rollback::{self, payload_images};
use deploy_action_sys::exit::{self, Failure};

/// Reads an environment variable (see [`deploy_action_sys::env::var`]).
pub use deploy_action_sys::env::var as get;
/// Watches SIGINT and SIGTERM (see [`deploy_action_sys::signals::Interrupt`]).
pub use deploy_action_sys::signals::Interrupt;

/// The Docker target (when `--target docker`), checked and connected; a failure carries its
/// exit status (usage for a bad daemon address or context, infrastructure otherwise).
pub async fn docker_target(args: &TargetArgs) -> Result<Option<DockerTarget>, Failure> {
    match args.target {
        Some(DeployTargetKind::Docker) => {
            let publish = args.publish.ok_or_else(|| {
                Failure::new(
                    exit::USAGE,
                    &"--target docker needs --publish HOST:CONTAINER so the service can be checked and reached",
                )
            })?;
            DockerTarget::connect(
                &daemon_choice(args),
                publish,
                &args.health_path,
                args.health_timeout,
                &args.balancer_image,
            )
            .await
            .map(Some)
            .map_err(|e| Failure::new(e.exit_code(), &e))
        }
        Some(DeployTargetKind::External) | None => Ok(None),
    }
}

/// The daemon `--docker-context` and the environment name, as for `build`.
pub fn daemon_choice(args: &TargetArgs) -> DaemonChoice<'_> {
    DaemonChoice {
        context: args.docker_context.as_deref(),
        env: &get,
        config_dir: docker_config_dir(),
    }
}

/// The target: the container, the user's command, or only the record.
pub fn target(docker: Option<DockerTarget>, command: &[String]) -> Target {
    match (docker, command.is_empty()) {
        (Some(d), _) => Target::Docker(d),
        (None, false) => Target::Command(CommandTarget {
            argv: command.to_vec(),
            stdout: OutputTo::Stderr,
        }),
        (None, true) => Target::Record,
    }
}

/// The Docker config folder whose credentials retagging uses: DOCKER_CONFIG, else ~/.docker.
fn docker_config_dir() -> Option<PathBuf> {
    get("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| get("HOME").map(|h| Path::new(&h).join(".docker")))
}

/// Retags every image (with a digest) as each of `tags`; returns what was written.
pub async fn retag_all(images: &[ImageRef], tags: &[String]) -> Result<Vec<String>, GateError> {
    let mut log = |line: &str| progress(line);
    deploy_action_release::gate::retag_all(images, tags, docker_config_dir().as_deref(), &mut log)
        .await
}

/// Moves `:to` back to what `live` runs (the target kept it) when images were retagged.
pub async fn retag_back(live: Option<&Deployment>, to: &str, retagged: bool) {
    if let Some(payload) = live.and_then(|l| l.payload.as_ref())
        && retagged
    {
        let back = payload_images(payload);
        if let Err(e) = retag_all(&back, &[to.to_owned()]).await {
            progress(&format!("warning: could not move :{to} back: {e}"));
        }
    }
}

/// How a redeploy rolls out.
pub struct Rollout<'a> {
    /// The Docker target, when used (to resolve images).
    pub docker: Option<&'a DockerTarget>,
    /// The target.
    pub target: &'a Target,
    /// The target flags (URL, container name, health timeout).
    pub args: &'a TargetArgs,
    /// Signals.
    pub interrupt: &'a Interrupt,
}

/// Redeploys recorded deployment `previous` to `environment` with `target` (a new deployment
/// record of the same commit and payload), moving the `:environment` tag back when the
/// deployment being replaced had been promoted (its payload tags name the environment).
pub async fn redeploy<S: DeploymentStore>(
    store: &S,
    previous: &Deployment,
    environment: &str,
    retag_back: bool,
    how: &Rollout<'_>,
) -> Result<DeployOutcome, GateError> {
    let mut log = |line: &str| progress(line);
    rollback::redeploy(
        store,
        previous,
        environment,
        retag_back.then_some(retag_to(environment)),
        &redeploy_how(how),
        how.interrupt.wait(),
        &mut log,
    )
    .await
}

/// Moves `:environment` to the images it receives (a rollback's retag).
pub fn retag_to(environment: &str) -> impl AsyncFnOnce(Vec<ImageRef>) -> Result<(), GateError> {
    let tag = environment.to_owned();
    async move |images: Vec<ImageRef>| retag_all(&images, &[tag]).await.map(|_| ())
}

/// The library's view of a rollout's flags.
pub fn redeploy_how<'a>(how: &Rollout<'a>) -> rollback::Redeploy<'a> {
    rollback::Redeploy {
        docker: how.docker,
        target: how.target,
        environment_url: how.args.url.clone(),
        health_timeout: how.args.health_timeout,
        container_name: how.args.name.clone(),
    }
}

/// Posts a final status, logging (not failing) when the store does not take it.
pub async fn close<S: DeploymentStore>(store: &S, id: u64, state: StatusState, why: &str) {
    let mut log = |line: &str| progress(line);
    rollback::close(store, id, state, why, &mut log).await;
}

/// The commit a command records: `--sha`, then GITHUB_SHA in GitHub Actions, then `git
/// rev-parse HEAD` in the current directory (the one order, see [`gitctx::commit_sha`]).
pub fn commit(flag: Option<&str>) -> Result<String, gitctx::ShaError> {
    gitctx::commit_sha(flag, &get, Path::new(".")).map(|(sha, _)| sha)
}

/// The branch: GITHUB_HEAD_REF (pull requests), GITHUB_REF's `refs/heads/…`, else git's.
pub fn branch() -> Option<String> {
    if let Some(head) = get("GITHUB_HEAD_REF") {
        return Some(head);
    }
    if let Some(r) = get("GITHUB_REF") {
        return Some(r.strip_prefix("refs/heads/").unwrap_or(&r).to_owned());
    }
    gitctx::git(Path::new("."), &["rev-parse", "--abbrev-ref", "HEAD"]).filter(|b| b != "HEAD")
}

/// The URL of the workflow run, when in GitHub Actions.
pub fn run_url() -> Option<String> {
    deploy_action_sys::env::run_url(&get)
}
