//! The rollback state machine on the local ledger.

use std::time::Duration;

use deploy_action_records::{DeploymentPayload, DeploymentStore, LedgerStore, StatusState};

use super::*;
use crate::deploy::{DeployPlan, Target};

const ENV: &str = "production";
const OLD: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const NEW: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

fn how(target: &Target) -> Redeploy<'_> {
    Redeploy {
        docker: None,
        target,
        environment_url: None,
        health_timeout: Duration::from_secs(1),
        container_name: None,
    }
}

async fn deploy_one(store: &LedgerStore, sha: &str, digest: &str) -> u64 {
    let plan = DeployPlan {
        environment: ENV.into(),
        sha: sha.into(),
        payload: DeploymentPayload::single("127.0.0.1:5000/rollback-unit/app", digest),
        run_image: format!("127.0.0.1:5000/rollback-unit/app@{digest}"),
        environment_url: None,
        health_timeout: Duration::from_secs(1),
        production: true,
        container_name: None,
    };
    let mut log = |_: &str| {};
    let outcome = deploy(
        store,
        &plan,
        &Target::Record,
        std::future::pending(),
        &mut log,
    )
    .await
    .expect("deployed");
    assert_eq!(outcome.state, StatusState::Success, "{}", outcome.reason);
    outcome.deployment_id
}

type NoRetag = fn(Vec<ImageRef>) -> std::future::Ready<Result<(), GateError>>;

#[test]
fn rolls_back_to_the_previous_digest_and_marks_the_live_one_failure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LedgerStore::new(dir.path().join("ledger.json"));
    runtime().block_on(async {
        let old_id = deploy_one(&store, &"a".repeat(40), OLD).await;
        let new_id = deploy_one(&store, &"b".repeat(40), NEW).await;
        let choice = plan(&store, ENV, None).await.expect("a choice");
        assert_eq!(choice.current.deployment.id, new_id);
        assert_eq!(choice.restore.deployment.id, old_id);
        assert!(!choice.promoted(ENV));
        let target = Target::Record;
        let mut lines = Vec::new();
        let mut log = |l: &str| lines.push(l.to_owned());
        let outcome = restore(
            &store,
            &choice,
            ENV,
            None::<NoRetag>,
            &how(&target),
            std::future::pending(),
            &mut log,
        )
        .await
        .expect("restored");
        assert_eq!(outcome.state, StatusState::Success);
        assert_eq!(outcome.sha, "a".repeat(40));
        let history = store.history(ENV, None).await.expect("history");
        let newest = &history[0];
        assert_eq!(newest.deployment.id, outcome.deployment_id);
        let payload = newest.deployment.payload.as_ref().expect("payload");
        assert_eq!(payload.digest, OLD);
        let replaced = history
            .iter()
            .find(|e| e.deployment.id == new_id)
            .expect("the replaced deployment");
        let status = replaced.latest_status.as_ref().expect("a status");
        assert_eq!(status.state, StatusState::Failure);
    });
}

#[test]
fn to_picks_an_earlier_deployment_by_digest_and_refuses_an_unknown_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LedgerStore::new(dir.path().join("ledger.json"));
    runtime().block_on(async {
        let first = deploy_one(&store, &"c".repeat(40), OLD).await;
        deploy_one(&store, &"d".repeat(40), NEW).await;
        deploy_one(&store, &"e".repeat(40), NEW).await;
        let choice = plan(&store, ENV, Some(OLD)).await.expect("a choice");
        assert_eq!(choice.restore.deployment.id, first);
        let err = plan(&store, ENV, Some("f".repeat(7).as_str()))
            .await
            .expect_err("no match");
        assert!(matches!(err, RollbackError::NoMatch { .. }), "{err}");
        assert_eq!(err.exit_code(), exit::USAGE);
    });
}

#[test]
fn nothing_live_and_nothing_earlier_are_usage_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LedgerStore::new(dir.path().join("ledger.json"));
    runtime().block_on(async {
        let err = plan(&store, ENV, None).await.expect_err("nothing live");
        assert!(matches!(err, RollbackError::NothingLive(_)), "{err}");
        deploy_one(&store, &"a".repeat(40), OLD).await;
        let err = plan(&store, ENV, None).await.expect_err("nothing earlier");
        assert!(err.to_string().contains("nothing to roll back to"), "{err}");
        assert_eq!(err.exit_code(), exit::USAGE);
    });
}
