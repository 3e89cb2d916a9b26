//! The promotion steps on the local ledger.

use std::time::Duration;

use deploy_action_lint::policy;
use deploy_action_records::{DeploymentPayload, GithubStore, LedgerStore};

use super::*;
use crate::deploy::{Target, deploy, deploy_recorded};

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const DIGEST: &str = "sha256:3333333333333333333333333333333333333333333333333333333333333333";
const IMAGE: &str = "127.0.0.1:5000/promote-unit/app";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

fn policy(text: &str) -> Policy {
    policy::parse(text, &|_: &str| None).expect("a valid policy")
}

fn plan(environment: &str) -> DeployPlan {
    DeployPlan {
        environment: environment.into(),
        sha: SHA.into(),
        payload: DeploymentPayload::single(IMAGE, DIGEST),
        run_image: format!("{IMAGE}@{DIGEST}"),
        environment_url: None,
        health_timeout: Duration::from_secs(1),
        production: false,
        container_name: None,
    }
}

fn subject() -> Subject {
    Subject {
        sha: SHA.into(),
        artifacts: DeploymentPayload::single(IMAGE, DIGEST).all_artifacts(),
        branch: None,
    }
}

async fn stage(store: &LedgerStore) {
    let mut quiet = |_: &str| {};
    let outcome = deploy(
        store,
        &plan("staging"),
        &Target::Record,
        std::future::pending(),
        &mut quiet,
    )
    .await
    .expect("staged");
    assert_eq!(outcome.state, StatusState::Success);
}

fn new_decision() -> Decision {
    Decision::new(DecisionKind::Error, "staging", "production", SHA, &[])
}

fn how<'a>(policy: &'a Policy, subject: &'a Subject) -> Check<'a, GithubStore> {
    Check {
        policy,
        from: "staging",
        to: "production",
        subject,
        checks: None,
        gate_only: false,
    }
}

#[test]
fn a_promotion_passes_its_gates_takes_the_lock_and_deploys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LedgerStore::new(dir.path().join("ledger.json"));
    let policy =
        policy("from: staging\nto: production\ngates:\n  deployed: true\n  same_digest: true\n");
    let subject = subject();
    runtime().block_on(async {
        stage(&store).await;
        let (images, artifacts) = staged_subject(&store, "staging", SHA, &|_| {})
            .await
            .expect("what staging runs");
        assert_eq!(artifacts, subject.artifacts);
        assert_eq!(images.len(), 1);
        let mut decision = new_decision();
        let live = check(
            &store,
            &how(&policy, &subject),
            std::future::pending(),
            &mut decision,
            &|_| {},
        )
        .await
        .expect("the gates pass");
        assert!(live.is_none(), "nothing ran in production yet");
        assert!(decision.gates.iter().all(|g| g.verdict == Verdict::Pass));
        let mut quiet = |_: &str| {};
        let target = plan("production");
        let Lock::Held(mine) = lock(
            &store,
            &target,
            &subject,
            Duration::from_secs(60),
            &mut quiet,
        )
        .await
        .expect("the lock") else {
            panic!("the lock is free");
        };
        let outcome = deploy_recorded(
            &store,
            &target,
            *mine,
            &Target::Record,
            std::future::pending(),
            &mut quiet,
        )
        .await
        .expect("deployed");
        assert_eq!(outcome.state, StatusState::Success);
        let now = store
            .latest_successful("production")
            .await
            .expect("history");
        assert!(now.is_some_and(|d| is_subject(&subject, &d)));
        // A second run finds the promotion done.
        let mut again = new_decision();
        let code = check(
            &store,
            &how(&policy, &subject),
            std::future::pending(),
            &mut again,
            &|_| {},
        )
        .await
        .expect_err("nothing to do");
        assert_eq!(code, exit::OK);
        assert_eq!(again.decision, DecisionKind::AlreadyPromoted);
    });
}

#[test]
fn a_failing_gate_refuses_before_anything_is_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LedgerStore::new(dir.path().join("ledger.json"));
    // Port 9 (discard) on loopback: nothing answers, so the health gate cannot pass.
    let policy = policy(
        "from: staging\nto: production\ngates:\n  deployed: true\n  health:\n    url: http://127.0.0.1:9/healthz\n    timeout: 1s\n",
    );
    let subject = subject();
    runtime().block_on(async {
        stage(&store).await;
        let mut decision = new_decision();
        let code = check(
            &store,
            &how(&policy, &subject),
            std::future::pending(),
            &mut decision,
            &|_| {},
        )
        .await
        .expect_err("refused");
        assert_eq!(code, exit::REFUSED);
        assert_eq!(decision.decision, DecisionKind::Refused);
        assert!(
            decision.reason.starts_with("gate health"),
            "{}",
            decision.reason
        );
        let production = store.history("production", None).await.expect("history");
        assert!(production.is_empty(), "a refusal records nothing");
    });
}

#[test]
fn an_unstaged_commit_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LedgerStore::new(dir.path().join("ledger.json"));
    runtime().block_on(async {
        let (kind, why, code) = staged_subject(&store, "staging", SHA, &|_| {})
            .await
            .expect_err("nothing staged");
        assert_eq!((kind, code), (DecisionKind::Refused, exit::REFUSED));
        assert!(why.contains("nothing to promote"), "{why}");
    });
}

#[test]
fn an_earlier_unfinished_promotion_holds_the_lock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LedgerStore::new(dir.path().join("ledger.json"));
    let subject = subject();
    runtime().block_on(async {
        let mut quiet = |_: &str| {};
        let target = plan("production");
        let first = lock(
            &store,
            &target,
            &subject,
            Duration::from_secs(60),
            &mut quiet,
        )
        .await
        .expect("the first lock");
        assert!(matches!(first, Lock::Held(_)));
        let second = lock(
            &store,
            &target,
            &subject,
            Duration::from_secs(60),
            &mut quiet,
        )
        .await
        .expect("the second look");
        let Lock::Busy(why) = second else {
            panic!("the first run holds the lock: {second:?}");
        };
        assert!(why.contains("another promotion holds the lock"), "{why}");
    });
}

#[test]
fn environments_must_agree_and_differ() {
    let p = policy("from: staging\nto: production\ngates:\n  deployed: true\n");
    let (from, to) = environments(None, None, &p).expect("from the policy");
    assert_eq!((from.as_str(), to.as_str()), ("staging", "production"));
    let other = "qa".to_owned();
    let err = environments(Some(&other), None, &p).expect_err("disagree");
    assert!(err.to_string().contains("disagrees"), "{err}");
    let same = "production".to_owned();
    let err = environments(
        Some(&same),
        None,
        &policy("to: production\ngates:\n  deployed: true\n"),
    )
    .expect_err("same");
    assert!(err.to_string().contains("to itself"), "{err}");
}
