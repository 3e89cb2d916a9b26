//! GithubStore against the fake GitHub: recording deployments and statuses, deactivation,
//! history with pagination, look-ups by SHA, and description truncation.

use crate::harness;

use deploy_action_records::{DeploymentRequest, DeploymentStore, StatusRequest, StatusState};
use harness::fake_github::{SHA, payload, start, store};
use serde_json::json;

fn request(env: &str, n: u32) -> DeploymentRequest {
    DeploymentRequest::new(SHA, env, payload(n))
}

#[tokio::test]
async fn create_sends_the_documented_body_and_reads_the_answer() {
    let Some(fake) = start() else { return };
    let (store, _) = store(&fake);
    let mut req = request("staging", 1);
    req.required_contexts = vec![];
    req.transient_environment = true;
    let d = store.create_deployment(&req).await.expect("created");
    assert_eq!(d.sha, SHA);
    assert_eq!(d.environment, "staging");
    assert!(d.transient_environment);
    assert!(!d.production_environment);
    assert_eq!(d.payload.as_ref(), Some(&payload(1)));

    let sent = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .and_then(|r| r.body)
        .expect("a POST with a body");
    assert_eq!(sent["auto_merge"], json!(false));
    assert_eq!(sent["required_contexts"], json!([]));
    assert_eq!(sent["ref"], json!(SHA));
    assert_eq!(sent["payload"]["digest"], json!(payload(1).digest));
    assert_eq!(sent["payload"]["tags"], json!(["v1.0.1"]));
    assert!(sent["payload"]["run_url"].is_string());
}

#[tokio::test]
async fn a_branch_ref_resolves_to_its_sha() {
    let Some(fake) = start() else { return };
    fake.seed_ref("main", SHA);
    let (store, _) = store(&fake);
    let d = store
        .create_deployment(&DeploymentRequest::new("main", "staging", payload(1)))
        .await
        .expect("created");
    assert_eq!(d.git_ref, "main");
    assert_eq!(d.sha, SHA);
}

#[tokio::test]
async fn success_deactivates_earlier_live_deployments_of_the_environment_only() {
    let Some(fake) = start() else { return };
    let (store, _) = store(&fake);
    let first = store
        .create_deployment(&request("production", 1))
        .await
        .expect("first");
    store
        .post_status(first.id, &StatusRequest::new(StatusState::Success, "live"))
        .await
        .expect("first live");
    let failed = store
        .create_deployment(&request("production", 2))
        .await
        .expect("failed");
    store
        .post_status(
            failed.id,
            &StatusRequest::new(StatusState::Failure, "broke"),
        )
        .await
        .expect("failure posted");
    let other_env = store
        .create_deployment(&request("staging", 3))
        .await
        .expect("staging");
    store
        .post_status(
            other_env.id,
            &StatusRequest::new(StatusState::Success, "live"),
        )
        .await
        .expect("staging live");

    let third = store
        .create_deployment(&request("production", 4))
        .await
        .expect("third");
    let mut status = StatusRequest::new(StatusState::Success, "live");
    status.environment_url = Some("https://app.example.com".into());
    status.log_url = Some("https://github.com/octo-org/app/actions/runs/4".into());
    let posted = store
        .post_status(third.id, &status)
        .await
        .expect("third live");

    assert_eq!(posted.deactivated, vec![first.id]);
    assert_eq!(posted.status.state, StatusState::Success);
    assert_eq!(
        posted.status.environment_url.as_deref(),
        Some("https://app.example.com")
    );
    let first_states: Vec<String> = fake
        .deployment_statuses(first.id)
        .iter()
        .map(|s| s["state"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(first_states, vec!["success", "inactive"]);
    // The failed one and the other environment's live one are left alone.
    assert_eq!(fake.deployment_statuses(failed.id).len(), 1);
    assert_eq!(fake.deployment_statuses(other_env.id).len(), 1);

    let live = store.latest_successful("production").await.expect("query");
    assert_eq!(live.map(|d| d.id), Some(third.id));
    let staging = store.latest_successful("staging").await.expect("query");
    assert_eq!(
        staging.and_then(|d| d.payload).map(|p| p.digest),
        Some(payload(3).digest)
    );
}

#[tokio::test]
async fn history_is_newest_first_with_latest_status() {
    let Some(fake) = start() else { return };
    let (store, _) = store(&fake);
    let a = store.create_deployment(&request("qa", 1)).await.expect("a");
    store
        .post_status(
            a.id,
            &StatusRequest::new(StatusState::InProgress, "rolling"),
        )
        .await
        .expect("status");
    store
        .post_status(
            a.id,
            &StatusRequest::new(StatusState::Error, "deploy-action failed"),
        )
        .await
        .expect("status");
    let b = store.create_deployment(&request("qa", 2)).await.expect("b");

    let history = store.history("qa", None).await.expect("history");
    let ids: Vec<u64> = history.iter().map(|h| h.deployment.id).collect();
    assert_eq!(ids, vec![b.id, a.id]);
    assert_eq!(history[0].latest_status, None);
    assert_eq!(
        history[1].latest_status.as_ref().map(|s| s.state),
        Some(StatusState::Error)
    );

    let limited = store.history("qa", Some(1)).await.expect("history");
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0].deployment.id, b.id);
    assert!(
        store
            .history("nowhere", None)
            .await
            .expect("empty")
            .is_empty()
    );
}

#[tokio::test]
async fn deployment_for_sha_finds_the_newest_of_that_commit() {
    let Some(fake) = start() else { return };
    let (store, _) = store(&fake);
    let other = "fedcba9876543210fedcba9876543210fedcba98";
    let old = store
        .create_deployment(&request("staging", 1))
        .await
        .expect("old");
    let new = store
        .create_deployment(&request("staging", 2))
        .await
        .expect("new");
    store
        .create_deployment(&DeploymentRequest::new(other, "staging", payload(3)))
        .await
        .expect("other");
    store
        .post_status(new.id, &StatusRequest::new(StatusState::Success, "ok"))
        .await
        .expect("status");
    let found = store
        .deployment_for_sha("staging", SHA)
        .await
        .expect("query")
        .expect("found");
    assert_eq!(found.deployment.id, new.id);
    assert_ne!(found.deployment.id, old.id);
    assert_eq!(
        found.latest_status.map(|s| s.state),
        Some(StatusState::Success)
    );
    assert!(
        store
            .deployment_for_sha("production", SHA)
            .await
            .expect("query")
            .is_none()
    );
}

#[tokio::test]
async fn pagination_returns_all_250_deployments_newest_first() {
    let Some(fake) = start() else { return };
    let mut seeded = Vec::new();
    for n in 0..250 {
        let state = if n == 10 {
            Some("success")
        } else {
            Some("failure")
        };
        let body = serde_json::to_value(payload(n)).expect("payload json");
        seeded.push(fake.seed_deployment("production", SHA, body, state));
    }
    fake.seed_deployment("staging", SHA, json!({}), None);
    let (store, _) = store(&fake);
    let history = store.history("production", None).await.expect("history");
    let ids: Vec<u64> = history.iter().map(|h| h.deployment.id).collect();
    let mut expected = seeded.clone();
    expected.reverse();
    assert_eq!(ids, expected);
    let pages: Vec<String> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/deployments"))
        .map(|r| r.query)
        .collect();
    assert_eq!(pages.len(), 3, "250 items at 100 a page: {pages:?}");
    assert!(pages[1].contains("page=2") && pages[2].contains("page=3"));

    // The one live deployment is found past the first page.
    let live = store
        .latest_successful("production")
        .await
        .expect("query")
        .expect("live");
    assert_eq!(live.id, seeded[10]);
    assert_eq!(live.payload.map(|p| p.digest), Some(payload(10).digest));
}

#[tokio::test]
async fn long_multibyte_status_descriptions_are_cut_to_140_chars() {
    let Some(fake) = start() else { return };
    let (store, _) = store(&fake);
    let d = store
        .create_deployment(&request("staging", 1))
        .await
        .expect("created");
    let long = "déploiement 🚀 ".repeat(20);
    let posted = store
        .post_status(d.id, &StatusRequest::new(StatusState::Queued, &long))
        .await
        .expect("the fake rejects descriptions over 140 characters, so this must be cut");
    let stored = fake.deployment_statuses(d.id)[0]["description"]
        .as_str()
        .expect("description")
        .to_owned();
    assert_eq!(stored.chars().count(), 140);
    assert!(long.starts_with(stored.trim_end_matches('…')));
    assert_eq!(posted.status.description.as_deref(), Some(stored.as_str()));
}

#[tokio::test]
async fn posting_to_an_unknown_deployment_names_permission_and_repository() {
    let Some(fake) = start() else { return };
    let (store, _) = store(&fake);
    let err = store
        .post_status(4242, &StatusRequest::new(StatusState::Success, "x"))
        .await
        .expect_err("no such deployment");
    let text = err.to_string();
    assert!(text.contains("404"), "{text}");
    assert!(text.contains("deployments: write"), "{text}");
    assert!(text.contains("octo-org/app"), "{text}");
}
