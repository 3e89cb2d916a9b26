//! `deploy-action rollback`: redeploy an environment's previous successful deployment (or the
//! one named by `--to`), then mark the deployment it replaced `failure` so it is never picked
//! as a rollback target itself.

use serde_json::json;

use super::rollout::{self, Interrupt, get};
use super::{emit, exit, progress, store};
use crate::cli::{RecordFormat, RollbackArgs};
use crate::runner::Runner;
use deploy_action_records::{DeploymentStore, HistoryEntry, StatusState};

/// Runs `rollback`.
pub fn run(args: &RollbackArgs) -> anyhow::Result<u8> {
    let runner = Runner::from_env(get);
    let selected = store::select_masked(&args.store, &get, &runner)?;
    let env = &args.environment;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let interrupt = Interrupt::listen()?;
        let store = &selected.store;
        let history = match store.history(env, None).await {
            Ok(h) => h,
            Err(e) => {
                progress(&format!("error: {e}"));
                return Ok(exit::INFRA);
            }
        };
        let (current, restore) = choose(&history, env, args.to.as_deref())?;
        progress(&format!(
            "rolling {env} back from deployment {} ({}) to deployment {} ({})",
            current.deployment.id,
            short(&current.deployment.sha),
            restore.deployment.id,
            short(&restore.deployment.sha),
        ));
        let docker = match rollout::docker_target(&args.rollout).await {
            Ok(d) => d,
            Err(e) => {
                progress(&format!("error: {e:#}"));
                return Ok(exit::INFRA);
            }
        };
        let target = rollout::target(docker.clone(), &args.command);
        let promoted = current
            .deployment
            .payload
            .as_ref()
            .is_some_and(|p| p.tags.iter().any(|t| t == env));
        let how = rollout::Rollout {
            docker: docker.as_ref(),
            target: &target,
            args: &args.rollout,
            interrupt: &interrupt,
        };
        let outcome = match rollout::redeploy(store, &restore.deployment, env, promoted, &how)
        .await
        {
            Ok(o) => o,
            Err(e) => {
                progress(&format!("error: {e}"));
                return Ok(exit::INFRA);
            }
        };
        let ok = outcome.state == StatusState::Success;
        if ok {
            rollout::close(
                store,
                current.deployment.id,
                StatusState::Failure,
                &format!("Rolled back by deployment {}", outcome.deployment_id),
            )
            .await;
        }
        let said = if ok {
            format!(
                "rolled {env} back to {} (deployment {} redeployed as {}); deployment {} marked failure",
                short(&restore.deployment.sha),
                restore.deployment.id,
                outcome.deployment_id,
                current.deployment.id
            )
        } else {
            format!(
                "rollback of {env} to deployment {} failed: {}; deployment {} stays live",
                restore.deployment.id, outcome.reason, current.deployment.id
            )
        };
        let text = match args.format {
            RecordFormat::Json => format!(
                "{:#}\n",
                json!({
                    "version": 1,
                    "environment": env,
                    "rolled_back_from": current.deployment.id,
                    "restored": restore.deployment.id,
                    "deployment_id": outcome.deployment_id,
                    "sha": outcome.sha,
                    "state": outcome.state.as_str(),
                    "reason": said,
                    "environment_url": outcome.environment_url,
                })
            ),
            RecordFormat::Human => format!("{said}\n"),
        };
        emit(&text)?;
        let id = outcome.deployment_id.to_string();
        let url = outcome.environment_url.clone().unwrap_or_default();
        runner.set_outputs(&[
            ("decision", if ok { "rolled-back" } else { "error" }),
            ("deployment-id", &id),
            ("environment-url", &url),
        ])?;
        runner.summary(&format!("### Rollback of `{env}`\n\n{}\n", said.replace('|', "\\|")))?;
        Ok(match outcome.state {
            StatusState::Success => exit::OK,
            _ if outcome.interrupted_by.is_some() => exit::INTERRUPTED,
            StatusState::Error => exit::INFRA,
            _ => exit::DEPLOY_FAILED,
        })
    })
}

/// The live deployment and the one to restore: `--to` (a SHA prefix of 7+ characters or a
/// digest) or the newest earlier one that was successful (now `success` or `inactive`).
fn choose<'h>(
    history: &'h [HistoryEntry],
    env: &str,
    to: Option<&str>,
) -> anyhow::Result<(&'h HistoryEntry, &'h HistoryEntry)> {
    let state = |e: &HistoryEntry| e.latest_status.as_ref().map(|s| s.state);
    let Some(current) = history
        .iter()
        .find(|e| state(e) == Some(StatusState::Success))
    else {
        anyhow::bail!(
            "nothing is live in {env} (no deployment with status success); deploy first, or check --environment"
        );
    };
    let candidates = history.iter().filter(|e| {
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
            candidates.clone().find(hit).ok_or_else(|| {
                anyhow::anyhow!(
                    "no earlier successful deployment of {env} matches --to {want}; `deploy-action history {env}` lists them"
                )
            })?
        }
        None => candidates.clone().next().ok_or_else(|| {
            anyhow::anyhow!(
                "{env} has no successful deployment before deployment {}; nothing to roll back to",
                current.deployment.id
            )
        })?,
    };
    Ok((current, found))
}

fn short(sha: &str) -> String {
    sha.chars().take(7).collect()
}
