//! `promote`'s progressive rollout, after the gates, the lock and the retag: the new version
//! starts beside the old one with no traffic, each of the policy's steps moves a share of the
//! traffic to it and the analysis watches the step's pause. A failed step, a traffic change the
//! target refuses or a signal puts all the traffic back on the old version and removes the new
//! one; the deployment ends `failure` (or `error` for a signal) with the reason.

use std::time::Duration;

use super::rollout::Interrupt;
use super::{exit, progress};
use crate::cli::{DeployTargetKind, PromoteArgs};
use deploy_action_lint::policy::{Analysis, Policy, TrafficStep};
use deploy_action_records::{Deployment, DeploymentStore, StatusRequest, StatusState};
use deploy_action_release::deploy::Traffic;
use deploy_action_release::deploy::{
    CommandTraffic, DeployError, DeployPlan, DockerTarget, DockerTraffic, HealthCheck,
    docker_labels, docker_name, wait_healthy,
};
use deploy_action_release::gate::steps::{StepRecord, WalkEnd, walk};
use deploy_action_release::gate::{Decision, DecisionKind};

/// How the traffic moves.
pub(super) enum How<'a> {
    /// Through the docker target's load balancer.
    Docker(&'a DockerTarget),
    /// Through the user's commands.
    Command(CommandTraffic),
}

/// A progressive rollout to carry out.
pub(super) struct Stepped<'a> {
    /// The steps (the policy's, or one step of 100 % without `rollout`).
    pub steps: Vec<TrafficStep>,
    /// The thresholds watched during the pauses.
    pub analysis: Option<&'a Analysis>,
    /// The traffic mechanism.
    pub how: How<'a>,
    /// What is deployed where.
    pub plan: &'a DeployPlan,
    /// Signals.
    pub interrupt: &'a Interrupt,
}

/// How the rollout ended; in every case but `Promoted` the old version has the traffic.
#[derive(Debug)]
pub(super) enum SteppedEnd {
    /// The new version has all the traffic.
    Promoted {
        /// Where it answers.
        url: Option<String>,
    },
    /// A step's analysis failed (the threshold, with its step and sample).
    RolledBack(String),
    /// The new version never served, or the target refused a traffic change.
    Failed(String),
    /// A signal arrived (its name).
    Interrupted(String),
}

/// A progressive rollout needs a way to move traffic, and an address for our requests.
pub(super) fn usage(args: &PromoteArgs, policy: &Policy) -> anyhow::Result<()> {
    if args.gate_only {
        return Ok(());
    }
    let docker = args.rollout.target == Some(DeployTargetKind::Docker);
    if policy.rollout.is_some() && !docker && args.traffic_command.is_none() {
        anyhow::bail!(
            "the policy's rollout.steps move traffic step by step: use --target docker, or --traffic-command (with --start-command) for another target; --gate-only leaves the rollout to later steps"
        );
    }
    if let Some(a) = &policy.analysis
        && a.needs_requests()
        && a.requests.url.is_none()
        && !docker
    {
        anyhow::bail!(
            "the analysis measures requests of our own and only the docker target knows the new version's address: set `analysis.requests.url` in the policy"
        );
    }
    Ok(())
}

/// The policy's steps, or one step of 100 % (a traffic command without `rollout`).
pub(super) fn steps(policy: &Policy) -> Vec<TrafficStep> {
    policy.rollout.as_ref().map_or_else(
        || {
            vec![TrafficStep {
                weight: 100,
                pause: Duration::ZERO,
            }]
        },
        |r| r.steps.clone(),
    )
}

/// How the traffic moves: the docker target's balancer, or the user's commands (`{old}` and
/// `{new}` are the image references until the start command names them); `None` without
/// either.
pub(super) fn how<'a>(
    docker: Option<&'a DockerTarget>,
    args: &PromoteArgs,
    plan: &DeployPlan,
    live: Option<&Deployment>,
    mine: &Deployment,
) -> Option<How<'a>> {
    if let Some(d) = docker {
        return Some(How::Docker(d));
    }
    let traffic = args.traffic_command.as_ref()?;
    let old = live
        .and_then(|l| l.payload.as_ref())
        .map(|p| format!("{}@{}", p.image, p.digest))
        .unwrap_or_default();
    Some(How::Command(CommandTraffic {
        traffic: traffic.clone(),
        start: args.start_command.clone(),
        old,
        new: format!("{}@{}", plan.payload.image, plan.payload.digest),
        vars: vec![
            ("DEPLOY_IMAGE".into(), plan.payload.image.clone()),
            ("DEPLOY_DIGEST".into(), plan.payload.digest.clone()),
            ("DEPLOY_ENVIRONMENT".into(), plan.environment.clone()),
            ("DEPLOY_SHA".into(), plan.sha.clone()),
        ],
        output: std::env::temp_dir().join(format!(
            "deploy-action-{}-{}.out",
            std::process::id(),
            mine.id
        )),
    }))
}

/// The promotion's outcome: `Ok(url)` when the new version has all the traffic, else the
/// decision, its reason and the exit status (the threshold and the restored deployment go
/// into `decision`).
pub(super) fn conclude(
    end: SteppedEnd,
    to: &str,
    live: Option<&Deployment>,
    decision: &mut Decision,
) -> Result<Option<String>, (DecisionKind, String, u8)> {
    match end {
        SteppedEnd::Promoted { url } => Ok(url),
        SteppedEnd::RolledBack(why) => {
            decision.failed_threshold = Some(why.clone());
            decision.rolled_back_to = live.map(|l| l.id);
            let why = match live {
                Some(_) => {
                    format!("the analysis failed, {to} is back on the previous version: {why}")
                }
                None => format!(
                    "the analysis failed and the new version was removed ({to} ran nothing before): {why}"
                ),
            };
            Err((DecisionKind::RolledBack, why, exit::REFUSED))
        }
        SteppedEnd::Failed(why) => {
            decision.failed_threshold = Some(why.clone());
            let why = format!("the rollout to {to} failed, the previous version serves: {why}");
            Err((DecisionKind::Error, why, exit::DEPLOY_FAILED))
        }
        SteppedEnd::Interrupted(signal) => Err((
            DecisionKind::Error,
            format!(
                "interrupted by {signal} during the rollout; {to} is back on the previous version"
            ),
            exit::INTERRUPTED,
        )),
    }
}

/// Carries out `s` for the recorded deployment `mine`, posting its statuses; `records` gets
/// every step.
pub(super) async fn run<S: DeploymentStore>(
    store: &S,
    mine: &Deployment,
    s: Stepped<'_>,
    records: &mut Vec<StepRecord>,
) -> Result<SteppedEnd, DeployError> {
    let weights: Vec<String> = s.steps.iter().map(|x| format!("{} %", x.weight)).collect();
    let mut status = StatusRequest::new(
        StatusState::InProgress,
        &format!("Rolling out step by step: {}", weights.join(" → ")),
    );
    status.log_url = s.plan.payload.run_url.clone();
    store.post_status(mine.id, &status).await?;
    let show = |line: &str| progress(line);
    let end = match s.how {
        How::Docker(target) => docker(target, mine, &s, &show, records).await,
        How::Command(ref traffic) => command(traffic.clone(), &s, &show, records).await,
    };
    let end = match end {
        Ok(end) => end,
        Err(e) => {
            let why = format!("Could not finish the rollout: {e}");
            let _ = store
                .post_status(mine.id, &StatusRequest::new(StatusState::Error, &why))
                .await;
            return Err(e);
        }
    };
    let (state, description) = match &end {
        SteppedEnd::Promoted { .. } => (StatusState::Success, "Deployed step by step".to_owned()),
        SteppedEnd::RolledBack(why) => (StatusState::Failure, format!("Rolled back: {why}")),
        SteppedEnd::Failed(why) => (StatusState::Failure, why.clone()),
        SteppedEnd::Interrupted(signal) => (
            StatusState::Error,
            format!("Interrupted by {signal}; the traffic is back on the previous version"),
        ),
    };
    let mut last = StatusRequest::new(state, &description);
    last.log_url = s.plan.payload.run_url.clone();
    if let SteppedEnd::Promoted { url } = &end {
        last.environment_url = url.clone();
    }
    store.post_status(mine.id, &last).await?;
    Ok(end)
}

async fn docker(
    target: &DockerTarget,
    mine: &Deployment,
    s: &Stepped<'_>,
    show: &(dyn Fn(&str) + Sync),
    records: &mut Vec<StepRecord>,
) -> Result<SteppedEnd, DeployError> {
    let name = docker_name(s.plan);
    let mut log = |line: &str| progress(line);
    let labels = docker_labels(s.plan, mine.id);
    let started = tokio::select! {
        r = target.start_candidate(&s.plan.run_image, &name, labels, &mut log) => r,
        signal = s.interrupt.wait() => {
            target.abort(&name).await?;
            return Ok(SteppedEnd::Interrupted(signal));
        }
    };
    let candidate = match started {
        Ok(Ok(c)) => c,
        Err(e) => {
            let _ = target.abort(&name).await;
            return Err(e);
        }
        Ok(Err(reason)) => return Ok(SteppedEnd::Failed(reason)),
    };
    if !candidate.has_old() {
        show("nothing serves yet: the new version takes every request from the first step");
    }
    let own_url = candidate.own_url.clone();
    let mut traffic = DockerTraffic { target, candidate };
    let end = walk(
        &s.steps,
        s.analysis,
        &mut traffic,
        Some(&own_url),
        || s.interrupt.wait(),
        show,
        records,
    )
    .await;
    match end {
        WalkEnd::Completed => {
            let mut log = |line: &str| progress(line);
            match target.finish(traffic.candidate, &mut log).await? {
                Ok(url) => check_url(s.plan, Some(url)).await,
                Err(reason) => Ok(SteppedEnd::Failed(reason)),
            }
        }
        other => {
            show(&format!(
                "putting every request back on the previous version and removing {}",
                traffic.candidate.next
            ));
            target.abort(&name).await?;
            Ok(ended(other))
        }
    }
}

async fn command(
    mut traffic: CommandTraffic,
    s: &Stepped<'_>,
    show: &(dyn Fn(&str) + Sync),
    records: &mut Vec<StepRecord>,
) -> Result<SteppedEnd, DeployError> {
    if traffic.start.is_some() {
        show("running the start command (the new version beside the old one, no traffic)");
        let started = tokio::select! {
            r = traffic.start_new() => r?,
            signal = s.interrupt.wait() => {
                restore(&mut traffic, show).await;
                return Ok(SteppedEnd::Interrupted(signal));
            }
        };
        if let Err(reason) = started {
            restore(&mut traffic, show).await;
            return Ok(SteppedEnd::Failed(reason));
        }
    }
    let end = walk(
        &s.steps,
        s.analysis,
        &mut traffic,
        None,
        || s.interrupt.wait(),
        show,
        records,
    )
    .await;
    match end {
        WalkEnd::Completed => check_url(s.plan, None).await,
        other => {
            restore(&mut traffic, show).await;
            Ok(ended(other))
        }
    }
}

/// All the traffic back to the old version (the traffic command with weight 0).
async fn restore(traffic: &mut CommandTraffic, show: &(dyn Fn(&str) + Sync)) {
    show("putting every request back on the previous version (traffic command, weight 0)");
    if let Err(reason) = traffic.shift(0).await {
        show(&format!("warning: {reason}; check the target by hand"));
    }
}

fn ended(end: WalkEnd) -> SteppedEnd {
    match end {
        WalkEnd::Completed => SteppedEnd::Promoted { url: None },
        WalkEnd::Failed(why) => SteppedEnd::RolledBack(why),
        WalkEnd::Broken(why) => SteppedEnd::Failed(why),
        WalkEnd::Interrupted(signal) => SteppedEnd::Interrupted(signal),
    }
}

/// After the last step: `--url` must answer 2xx.
async fn check_url(plan: &DeployPlan, url: Option<String>) -> Result<SteppedEnd, DeployError> {
    if let Some(env_url) = &plan.environment_url {
        progress(&format!("waiting for {env_url} to answer 2xx"));
        if let Err(problem) = wait_healthy(&HealthCheck::new(env_url, plan.health_timeout)).await {
            return Ok(SteppedEnd::Failed(format!(
                "environment URL is not healthy: {problem}"
            )));
        }
    }
    Ok(SteppedEnd::Promoted {
        url: plan.environment_url.clone().or(url),
    })
}
