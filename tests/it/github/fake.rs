//! The fake GitHub itself: it must reject what GitHub rejects (so passing tests mean something)
//! and answer with GitHub's documented shapes.

use crate::harness;

use deploy_action_fake_github::{FakeError, FakeGithub, Fault};
use harness::fake_github::{SHA, start};
use octocrab::Octocrab;
use serde_json::{Value, json};

/// A raw client, to send bodies GithubStore never would.
fn raw(fake: &FakeGithub, token: &str) -> Octocrab {
    Octocrab::builder()
        .base_uri(fake.api_url())
        .expect("base uri")
        .personal_token(token.to_owned())
        .build()
        .expect("client")
}

async fn send(
    client: &Octocrab,
    method: http::Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, http::HeaderMap, Value) {
    let builder = http::Request::builder().method(method).uri(path);
    let request = client.build_request(builder, body).expect("request");
    let response = client.execute(request).await.expect("answer");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = client.body_to_string(response).await.expect("body");
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn invalid_bodies_are_rejected_with_githubs_422_shape() {
    let Some(fake) = start() else { return };
    let client = raw(&fake, fake.token());
    let deployments = "/repos/octo-org/app/deployments";
    let bad_bodies = [
        json!({"environment": "staging"}),
        json!({"ref": SHA, "auto_merge": "no"}),
        json!({"ref": SHA, "required_contexts": "ci/build"}),
        json!({"ref": SHA, "payload": 42}),
        json!({"ref": 7}),
    ];
    for body in &bad_bodies {
        let (status, _, answer) = send(&client, http::Method::POST, deployments, Some(body)).await;
        assert_eq!(status, 422, "accepted {body}");
        assert!(
            answer["message"].is_string() && answer["errors"].is_array(),
            "{answer}"
        );
    }
    assert!(fake.deployments().is_empty());

    // The same route accepts a valid body, including a null description (OpenAPI `nullable`).
    let good = json!({"ref": SHA, "description": null, "required_contexts": []});
    let (status, _, answer) = send(&client, http::Method::POST, deployments, Some(&good)).await;
    assert_eq!(status, 201, "{answer}");

    let statuses = format!("/repos/octo-org/app/deployments/{}/statuses", answer["id"]);
    let (status, _, answer) = send(
        &client,
        http::Method::POST,
        &statuses,
        Some(&json!({"state": "exploded"})),
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["errors"][0]["field"], json!("state"));
    let too_long = json!({"state": "success", "description": "x".repeat(141)});
    let (status, _, _) = send(&client, http::Method::POST, &statuses, Some(&too_long)).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn missing_or_wrong_tokens_get_401_and_unknown_things_404() {
    let Some(fake) = start() else { return };
    let wrong = raw(&fake, "ghp_nope");
    let (status, _, answer) = send(
        &wrong,
        http::Method::GET,
        "/repos/octo-org/app/deployments",
        None,
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(answer["message"], json!("Bad credentials"));
    let anonymous = Octocrab::builder()
        .base_uri(fake.api_url())
        .expect("uri")
        .build()
        .expect("client");
    let (status, _, _) = send(
        &anonymous,
        http::Method::GET,
        "/repos/octo-org/app/deployments",
        None,
    )
    .await;
    assert_eq!(status, 401);

    let client = raw(&fake, fake.token());
    for path in [
        "/repos/octo-org/other/deployments",
        "/repos/octo-org/app/deployments/99",
        "/repos/octo-org/app/not-an-endpoint",
    ] {
        let (status, _, _) = send(&client, http::Method::GET, path, None).await;
        assert_eq!(status, 404, "{path}");
    }
    assert!(fake.requests().iter().filter(|r| !r.authorized).count() >= 2);
}

#[tokio::test]
async fn answers_have_the_documented_shape_filled_with_state() {
    let Some(fake) = start() else { return };
    let client = raw(&fake, fake.token());
    let body = json!({"ref": SHA, "environment": "qa", "payload": {"digest": "sha256:1"}, "required_contexts": []});
    let (status, _, d) = send(
        &client,
        http::Method::POST,
        "/repos/octo-org/app/deployments",
        Some(&body),
    )
    .await;
    assert_eq!(status, 201);
    // Fields from the documented example are present, with the fake's values where it has them.
    for key in [
        "url",
        "node_id",
        "creator",
        "statuses_url",
        "repository_url",
        "created_at",
    ] {
        assert!(d.get(key).is_some(), "missing {key}: {d}");
    }
    assert_eq!(d["environment"], json!("qa"));
    assert_eq!(d["sha"], json!(SHA));
    assert_eq!(d["payload"]["digest"], json!("sha256:1"));
    assert_eq!(d["production_environment"], json!(false));
    assert!(
        d["url"]
            .as_str()
            .is_some_and(|u| u.starts_with(&fake.api_url()))
    );
}

#[tokio::test]
async fn lists_paginate_with_link_headers() {
    let Some(fake) = start() else { return };
    for _ in 0..5 {
        fake.seed_deployment("qa", SHA, json!({}), None);
    }
    let client = raw(&fake, fake.token());
    let (_, headers, page) = send(
        &client,
        http::Method::GET,
        "/repos/octo-org/app/deployments?environment=qa&per_page=2&page=2",
        None,
    )
    .await;
    assert_eq!(page.as_array().map(Vec::len), Some(2));
    let link = headers
        .get("link")
        .and_then(|v| v.to_str().ok())
        .expect("link header");
    assert!(link.contains("page=3>; rel=\"next\""), "{link}");
    assert!(link.contains("page=1>; rel=\"prev\""), "{link}");
    assert!(link.contains("environment=qa"), "{link}");
    let (_, headers, page) = send(
        &client,
        http::Method::GET,
        "/repos/octo-org/app/deployments?per_page=2&page=3",
        None,
    )
    .await;
    assert_eq!(page.as_array().map(Vec::len), Some(1));
    let link = headers
        .get("link")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(!link.contains("rel=\"next\""), "{link}");
}

#[tokio::test]
async fn seeded_statuses_and_check_runs_are_served() {
    let Some(fake) = start() else { return };
    fake.seed_ref("main", SHA);
    fake.seed_commit_status(SHA, "ci/build", "success");
    fake.seed_commit_status(SHA, "ci/e2e", "failure");
    fake.seed_check_run(SHA, "lint", "completed", Some("success"));
    fake.seed_check_run(SHA, "fuzz", "in_progress", None);
    let client = raw(&fake, fake.token());
    let (_, _, combined) = send(
        &client,
        http::Method::GET,
        "/repos/octo-org/app/commits/main/status",
        None,
    )
    .await;
    assert_eq!(combined["state"], json!("failure"));
    assert_eq!(combined["total_count"], json!(2));
    assert_eq!(combined["sha"], json!(SHA));
    let (_, _, checks) = send(
        &client,
        http::Method::GET,
        &format!("/repos/octo-org/app/commits/{SHA}/check-runs"),
        None,
    )
    .await;
    assert_eq!(checks["total_count"], json!(2));
    let names: Vec<&str> = checks["check_runs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(names, vec!["fuzz", "lint"]);
    let (status, _, r) = send(
        &client,
        http::Method::GET,
        "/repos/octo-org/app/git/ref/heads/main",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(r["object"]["sha"], json!(SHA));
    assert_eq!(r["ref"], json!("refs/heads/main"));
}

#[tokio::test]
async fn scripted_faults_run_in_order_then_stop() {
    let Some(fake) = start() else { return };
    let client = raw(&fake, fake.token());
    let route = "/repos/{owner}/{repo}/deployments";
    fake.inject("GET", route, 1, Fault::server_error(502))
        .expect("route");
    fake.inject("GET", route, 1, Fault::rate_limited(1))
        .expect("route");
    let mut seen = Vec::new();
    for _ in 0..3 {
        let (status, headers, _) = send(
            &client,
            http::Method::GET,
            "/repos/octo-org/app/deployments",
            None,
        )
        .await;
        seen.push((status, headers.get("retry-after").is_some()));
    }
    assert_eq!(seen, vec![(502, false), (429, true), (200, false)]);
    let err = fake
        .inject("GET", "/repos/{owner}/{repo}/nothing", 1, Fault::Reset)
        .expect_err("unknown");
    assert!(matches!(err, FakeError::UnknownRoute { .. }));
}

#[test]
fn a_missing_description_file_is_a_clear_error() {
    let err = FakeGithub::start(deploy_action_fake_github::FakeConfig::new(
        "/nonexistent/openapi.json",
    ))
    .expect_err("no file");
    assert!(err.to_string().contains("openapi-subset.json"), "{err}");
}
