//! `deploy-action deploy`: resolve the image digest, record the deployment, roll it out (the
//! user's command or a Docker container), check health, record the outcome.

use serde_json::json;

use super::rollout::{Interrupt, get};
use super::{emit, exit, progress, rollout, store};
use crate::cli::{DeployArgs, DeployTargetKind, RecordFormat};
use crate::runner::Runner;
use deploy_action_image::tags::ImageRef;
use deploy_action_records::{Artifact, DeploymentPayload, StatusState};
use deploy_action_release::deploy::{DeployOutcome, DeployPlan, Target, deploy, resolve_image};
use deploy_action_sys::exit::Failure;

/// Runs `deploy`.
pub fn run(args: &DeployArgs) -> anyhow::Result<u8> {
    let runner = Runner::from_env(get);
    let selected = store::select_masked(&args.store, &get, &runner)?;
    let extra = extra_artifacts(args)?;
    let Some(image) = args.images.first() else {
        return record_artifacts(args, extra, &selected, &runner);
    };
    let parsed = ImageRef::parse(image)?;
    if args.rollout.target == Some(DeployTargetKind::External) && !args.command.is_empty() {
        anyhow::bail!(
            "--target external records a rollout made by earlier steps and runs nothing; drop the command after --, or drop --target external"
        );
    }
    if args.rollout.target == Some(DeployTargetKind::Docker) && args.rollout.publish.is_none() {
        anyhow::bail!(
            "--target docker needs --publish HOST:CONTAINER so the service can be checked and reached"
        );
    }
    let sha = rollout::commit(args.sha.as_deref())?;
    let run_url = rollout::run_url();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        // Listen before anything is recorded, so an early signal still ends in `error`.
        let interrupt = Interrupt::listen()?.wait();
        // --publish was checked above, so an error here is the daemon's.
        let docker = match rollout::docker_target(&args.rollout).await {
            Ok(d) => d,
            Err(failure) => return Err(failure.into()),
        };
        let (digest, run_image) = match (parsed.digest(), &docker) {
            (_, Some(d)) => match d.resolve(image, &parsed).await {
                Ok(r) => (r.digest, r.id),
                Err(e) => return Err(infra(&e)),
            },
            (Some(digest), None) => (digest.to_owned(), image.clone()),
            (None, None) => match resolve_with_daemon(image, &parsed, &args.rollout).await {
                Ok(r) => (r.digest, r.id),
                Err(e) => return Err(infra(&e)),
            },
        };
        progress(&format!(
            "image {image} is {digest}; recording in {}",
            selected.store.describe()
        ));
        let plan = DeployPlan {
            environment: args.environment.clone(),
            sha,
            payload: DeploymentPayload {
                image: parsed.name(),
                digest: digest.clone(),
                tags: parsed.tag().map(str::to_owned).into_iter().collect(),
                run_url,
                artifacts: with_main(&parsed, &digest, extra),
            },
            run_image,
            environment_url: args.rollout.url.clone(),
            health_timeout: args.rollout.health_timeout,
            production: args.production,
            container_name: args.rollout.name.clone(),
        };
        let target = rollout::target(docker, &args.command);
        let mut log = |line: &str| progress(line);
        let outcome = match deploy(&selected.store, &plan, &target, interrupt, &mut log).await {
            Ok(o) => o,
            Err(e) => return Err(infra(&e)),
        };
        report(args, &plan, &outcome, &runner)
    })
}

/// The images after the first (they need digests) and the `--artifact`s.
fn extra_artifacts(args: &DeployArgs) -> anyhow::Result<Vec<Artifact>> {
    let mut out = Vec::new();
    for text in args.images.iter().skip(1) {
        let image = ImageRef::parse(text)?;
        let Some(digest) = image.digest() else {
            anyhow::bail!(
                "--image {text} has no digest; every image after the first must be REPOSITORY@sha256:…"
            );
        };
        out.push(Artifact {
            name: image.name(),
            repository: Some(image.name()),
            digest: digest.to_owned(),
        });
    }
    for text in &args.artifacts {
        let (name, digest) = text
            .split_once('@')
            .filter(|(n, d)| {
                !n.is_empty()
                    && d.len() == 71
                    && d.strip_prefix("sha256:")
                        .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            })
            .ok_or_else(|| {
                anyhow::anyhow!("invalid --artifact {text}: use NAME@sha256:<64 hex digits>")
            })?;
        out.push(Artifact {
            name: name.to_owned(),
            repository: None,
            digest: digest.to_owned(),
        });
    }
    Ok(out)
}

/// The payload's `artifacts`: empty for a lone image (older readers see the same record), else
/// every artifact including the first image.
fn with_main(image: &ImageRef, digest: &str, extra: Vec<Artifact>) -> Vec<Artifact> {
    if extra.is_empty() {
        return extra;
    }
    let mut all = vec![Artifact {
        name: image.name(),
        repository: Some(image.name()),
        digest: digest.to_owned(),
    }];
    all.extend(extra);
    all.sort();
    all
}

/// A deployment of artifacts only (no image): recorded, `--url` checked, nothing run.
fn record_artifacts(
    args: &DeployArgs,
    artifacts: Vec<Artifact>,
    selected: &store::Selected,
    runner: &Runner,
) -> anyhow::Result<u8> {
    if args.rollout.target == Some(DeployTargetKind::Docker) || !args.command.is_empty() {
        anyhow::bail!(
            "only --artifact was given: the docker target and a deploy command need an --image; add one or use --target external"
        );
    }
    let Some(first) = artifacts.first().cloned() else {
        anyhow::bail!("nothing to deploy: pass --image IMAGE or --artifact NAME@sha256:…");
    };
    let sha = rollout::commit(args.sha.as_deref())?;
    let mut payload = DeploymentPayload::single(&first.name, &first.digest);
    payload.artifacts = artifacts;
    let plan = DeployPlan {
        environment: args.environment.clone(),
        sha,
        payload,
        run_image: format!("{}@{}", first.name, first.digest),
        environment_url: args.rollout.url.clone(),
        health_timeout: args.rollout.health_timeout,
        production: args.production,
        container_name: args.rollout.name.clone(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let interrupt = Interrupt::listen()?.wait();
        let mut log = |line: &str| progress(line);
        let outcome =
            match deploy(&selected.store, &plan, &Target::Record, interrupt, &mut log).await {
                Ok(o) => o,
                Err(e) => return Err(infra(&e)),
            };
        report(args, &plan, &outcome, runner)
    })
}

/// An infrastructure error: `main` prints it and exits with [`exit::INFRA`].
fn infra(e: &dyn std::error::Error) -> anyhow::Error {
    Failure::new(exit::INFRA, &e).into()
}

async fn resolve_with_daemon(
    image: &str,
    parsed: &ImageRef,
    rollout_args: &crate::cli::TargetArgs,
) -> Result<deploy_action_release::deploy::ResolvedImage, deploy_action_release::deploy::DeployError>
{
    let unresolved = |e: deploy_action_release::deploy::DeployError| {
        deploy_action_release::deploy::DeployError::UnresolvedDigest {
            image: image.to_owned(),
            reason: e.to_string(),
        }
    };
    let docker = deploy_action_release::deploy::connect(&rollout::daemon_choice(rollout_args))
        .await
        .map_err(unresolved)?;
    resolve_image(&docker, image, parsed)
        .await
        .map_err(unresolved)
}

/// Writes the result (stdout), step outputs and summary; returns the exit status.
fn report(
    args: &DeployArgs,
    plan: &DeployPlan,
    outcome: &DeployOutcome,
    runner: &Runner,
) -> anyhow::Result<u8> {
    let url = outcome.environment_url.clone().unwrap_or_default();
    let image = format!("{}@{}", plan.payload.image, plan.payload.digest);
    let text = match args.format {
        RecordFormat::Json => format!(
            "{:#}\n",
            json!({
                "version": 1,
                "deployment_id": outcome.deployment_id,
                "environment": plan.environment,
                "sha": outcome.sha,
                "image": plan.payload.image,
                "digest": plan.payload.digest,
                "tags": plan.payload.tags,
                "state": outcome.state.as_str(),
                "reason": outcome.reason,
                "environment_url": outcome.environment_url,
            })
        ),
        RecordFormat::Human => {
            let mut t = format!(
                "deployment {} of {image} to {}: {} ({})\n",
                outcome.deployment_id, plan.environment, outcome.state, outcome.reason
            );
            if !url.is_empty() {
                t.push_str(&format!("url: {url}\n"));
            }
            t
        }
    };
    emit(&text)?;
    let id = outcome.deployment_id.to_string();
    runner.set_outputs(&[("deployment-id", &id), ("environment-url", &url)])?;
    runner.summary(&format!(
        "### Deployment to `{env}`\n\n| Deployment | Image | Commit | State | URL |\n|---|---|---|---|---|\n| {id} | `{image}` | `{sha}` | {state} | {url} |\n\n{reason}\n",
        env = plan.environment,
        sha = outcome.sha.chars().take(12).collect::<String>(),
        state = outcome.state,
        reason = outcome.reason.replace('|', "\\|"),
    ))?;
    Ok(match outcome.state {
        StatusState::Success => exit::OK,
        _ if outcome.interrupted_by.is_some() => exit::INTERRUPTED,
        StatusState::Error => exit::INFRA,
        _ => exit::DEPLOY_FAILED,
    })
}
