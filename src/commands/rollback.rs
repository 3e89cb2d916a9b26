//! `deploy-action rollback`: redeploy an environment's previous successful deployment (or the
//! one named by `--to`), then mark the deployment it replaced `failure` so it is never picked
//! as a rollback target itself.

use serde_json::json;

use super::rollout::{self, Interrupt, get};
use super::{emit, exit, progress, store};
use crate::cli::{RecordFormat, RollbackArgs};
use crate::runner::Runner;
use deploy_action_records::StatusState;
use deploy_action_release::rollback::{self, RollbackError};
use deploy_action_sys::exit::Failure;

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
        let choice = match rollback::plan(store, env, args.to.as_deref()).await {
            Ok(c) => c,
            Err(RollbackError::Store(e)) => return Err(Failure::new(e.exit_code(), &e).into()),
            Err(e) => return Err(e.into()),
        };
        let (current, restore) = (&choice.current, &choice.restore);
        progress(&format!(
            "rolling {env} back from deployment {} ({}) to deployment {} ({})",
            current.deployment.id,
            short(&current.deployment.sha),
            restore.deployment.id,
            short(&restore.deployment.sha),
        ));
        let docker = match rollout::docker_target(&args.rollout).await {
            Ok(d) => d,
            Err(failure) => return Err(failure.into()),
        };
        let target = rollout::target(docker.clone(), &args.command);
        let how = rollout::Rollout {
            docker: docker.as_ref(),
            target: &target,
            args: &args.rollout,
            interrupt: &interrupt,
        };
        let retag_back = choice.promoted(env).then(|| rollout::retag_to(env));
        let mut log = |line: &str| progress(line);
        let restored = rollback::restore(
            store,
            &choice,
            env,
            retag_back,
            &rollout::redeploy_how(&how),
            interrupt.wait(),
            &mut log,
        )
        .await;
        let outcome = match restored {
            Ok(o) => o,
            // Kept at INFRA for every cause, as before (GateError::exit_code would say USAGE
            // for a record without a digest).
            Err(e) => return Err(Failure::new(exit::INFRA, &e).into()),
        };
        let ok = outcome.state == StatusState::Success;
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

fn short(sha: &str) -> String {
    sha.chars().take(7).collect()
}
