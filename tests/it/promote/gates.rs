//! `promote` gates and faults without Docker: the local ledger or the fake GitHub, small HTTP
//! servers in the test. Never a promotion on a fault, always a one-line reason, the right exit
//! status, and no deployment left `in_progress`.

use crate::harness;
use crate::harness::promote_local;

use std::collections::BTreeSet;

use deploy_action_fake_github::Fault;
use harness::bin;
use harness::fake_github;
use promote_local::*;

#[test]
fn fifty_smoke_checks_all_run() {
    let (url, seen) = serve(200, "hello app");
    let dir = tempfile::tempdir().expect("tempdir");
    let image = format!("127.0.0.1:1/o/app@{DIGEST}");
    staging(dir.path(), &image);
    let mut policy = format!("{HEAD}  smoke:\n");
    for i in 0..50 {
        policy.push_str(&format!(
            "    - {{ url: \"{url}/s{i}\", status: 200, body_contains: app }}\n"
        ));
    }
    // The registry on port 1 is closed, so the promotion stops at the retag, after the gates.
    let out = promote(dir.path(), &policy, &image);
    let rec = decision(&out);
    let smokes: Vec<&serde_json::Value> = rec["gates"]
        .as_array()
        .expect("gates")
        .iter()
        .filter(|g| g["gate"].as_str().unwrap_or("").starts_with("smoke"))
        .collect();
    assert_eq!(smokes.len(), 50);
    assert!(smokes.iter().all(|g| g["verdict"] == "pass"), "{rec:#}");
    let paths: BTreeSet<String> = seen.lock().expect("seen").iter().cloned().collect();
    assert_eq!(paths.len(), 50, "every smoke URL was requested: {paths:?}");
    // Registry down during the retag: an infrastructure failure, nothing left in progress.
    assert_eq!(out.status.code(), Some(4), "{}", reason_line(&out));
    assert_eq!(rec["decision"], "error");
    assert!(reason_line(&out).contains("retag"), "{}", reason_line(&out));
    assert_eq!(production_states(dir.path()), ["error"]);
}

#[test]
fn registry_answering_500_during_retag_is_an_infrastructure_failure() {
    let (registry, seen) = serve(500, "{}");
    let host = registry.trim_start_matches("http://");
    let dir = tempfile::tempdir().expect("tempdir");
    let image = format!("{host}/o/app@{DIGEST}");
    staging(dir.path(), &image);
    let out = promote(dir.path(), HEAD, &image);
    assert_eq!(out.status.code(), Some(4), "{}", reason_line(&out));
    assert_eq!(decision(&out)["decision"], "error");
    let line = reason_line(&out);
    assert!(line.contains("500") && line.contains("retag"), "{line}");
    assert!(
        seen.lock().expect("seen").len() > 1,
        "transient 500s are retried"
    );
    assert_eq!(production_states(dir.path()), ["error"]);
}

#[test]
fn health_endpoint_that_never_answers_blocks() {
    let url = black_hole();
    let dir = tempfile::tempdir().expect("tempdir");
    let image = format!("127.0.0.1:1/o/app@{DIGEST}");
    staging(dir.path(), &image);
    let policy = format!(
        "{HEAD}  health: {{ url: \"{url}/health\", retries: 2, interval: 100ms, timeout: 500ms }}\n"
    );
    let out = promote(dir.path(), &policy, &image);
    assert_eq!(out.status.code(), Some(3), "{}", reason_line(&out));
    let rec = decision(&out);
    assert_eq!(rec["decision"], "refused");
    assert!(
        reason_line(&out).contains("did not answer within 500ms"),
        "{}",
        reason_line(&out)
    );
    assert!(
        production_states(dir.path()).is_empty(),
        "no production deployment"
    );
}

#[test]
fn metric_endpoint_returning_garbage_blocks() {
    let (url, _) = serve(200, "<html>oops</html>");
    let dir = tempfile::tempdir().expect("tempdir");
    let image = format!("127.0.0.1:1/o/app@{DIGEST}");
    staging(dir.path(), &image);
    let policy = format!(
        "{HEAD}  metrics:\n    - {{ name: error-rate, url: \"{url}/m\", path: rate, comparison: \"<\", threshold: 0.05 }}\n"
    );
    let out = promote(dir.path(), &policy, &image);
    assert_eq!(out.status.code(), Some(3), "{}", reason_line(&out));
    assert_eq!(decision(&out)["decision"], "refused");
    assert!(
        reason_line(&out).contains("not JSON"),
        "{}",
        reason_line(&out)
    );
    assert!(production_states(dir.path()).is_empty());
}

#[test]
fn a_different_digest_than_staging_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    staging(dir.path(), &format!("127.0.0.1:1/o/app@{DIGEST}"));
    let other = format!("127.0.0.1:1/o/app@sha256:{}", "4".repeat(64));
    let out = promote(dir.path(), HEAD, &other);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        reason_line(&out).contains("same_digest"),
        "{}",
        reason_line(&out)
    );
}

#[test]
fn checks_need_github_with_the_ledger() {
    let dir = tempfile::tempdir().expect("tempdir");
    let image = format!("127.0.0.1:1/o/app@{DIGEST}");
    staging(dir.path(), &image);
    let out = promote(dir.path(), &format!("{HEAD}  checks: [test]\n"), &image);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        reason_line(&out).contains("GITHUB_TOKEN"),
        "{}",
        reason_line(&out)
    );
}

#[test]
fn policy_errors_name_the_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = promote(
        dir.path(),
        "from: staging\nto: production\ngates:\n  deployd: true\n",
        &format!("127.0.0.1:1/o/app@{DIGEST}"),
    );
    assert_eq!(out.status.code(), Some(2));
    let line = reason_line(&out);
    assert!(
        line.contains("promotion.yml:4:3: unknown key `deployd`"),
        "{line}"
    );
    let out = promote(
        dir.path(),
        "gates:\n  health: { url: \"${NO_SUCH_PROMOTE_VAR}/h\" }\n",
        &format!("127.0.0.1:1/o/app@{DIGEST}"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        reason_line(&out).contains("NO_SUCH_PROMOTE_VAR is not set"),
        "{}",
        reason_line(&out)
    );
}

fn github(cmd: &mut assert_cmd::Command, fake: &deploy_action_fake_github::FakeGithub) {
    cmd.env("GITHUB_TOKEN", fake.token())
        .env(
            "GITHUB_REPOSITORY",
            format!("{}/{}", fake.owner(), fake.repo()),
        )
        .env("GITHUB_API_URL", fake.api_url());
}

#[test]
fn github_5xx_on_status_posts_leaves_nothing_in_progress() {
    let Some(fake) = fake_github::start() else {
        return;
    };
    let image = format!("127.0.0.1:1/o/app@{DIGEST}");
    let payload = serde_json::json!({"image": "127.0.0.1:1/o/app", "digest": DIGEST});
    fake.seed_deployment("staging", SHA, payload, Some("success"));
    fake.seed_check_run(SHA, "test", "completed", Some("success"));
    fake.inject(
        "POST",
        "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
        100,
        Fault::server_error(502),
    )
    .expect("inject");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("promotion.yml"),
        format!("{HEAD}  checks: [test]\n"),
    )
    .expect("policy");
    let mut cmd = bin();
    github(&mut cmd, &fake);
    let out = cmd
        .current_dir(dir.path())
        .args([
            "promote",
            "--policy",
            "promotion.yml",
            "--sha",
            SHA,
            "--image",
            &image,
            "--format",
            "json",
        ])
        .output()
        .expect("promote");
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rec = decision(&out);
    assert_eq!(rec["decision"], "error");
    assert!(
        rec["gates"]
            .as_array()
            .expect("gates")
            .iter()
            .any(|g| g["gate"] == "checks" && g["verdict"] == "pass"),
        "{rec:#}"
    );
    assert!(reason_line(&out).contains("502"), "{}", reason_line(&out));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains(fake.token()), "the token never shows");
    for d in fake.deployments() {
        let id = d["id"].as_u64().expect("id");
        let states: Vec<String> = fake
            .deployment_statuses(id)
            .iter()
            .map(|s| s["state"].as_str().unwrap_or("").to_owned())
            .collect();
        assert!(
            !states.iter().any(|s| s == "in_progress" || s == "queued"),
            "deployment {id}: {states:?}"
        );
    }
}

#[test]
fn failing_check_run_refuses_on_github() {
    let Some(fake) = fake_github::start() else {
        return;
    };
    let image = format!("127.0.0.1:1/o/app@{DIGEST}");
    let payload = serde_json::json!({"image": "127.0.0.1:1/o/app", "digest": DIGEST});
    fake.seed_deployment("staging", SHA, payload, Some("success"));
    fake.seed_check_run(SHA, "test", "completed", Some("failure"));
    fake.seed_commit_status(SHA, "build", "success");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("promotion.yml"),
        format!("{HEAD}  checks: [test, build]\n"),
    )
    .expect("policy");
    let mut cmd = bin();
    github(&mut cmd, &fake);
    let out = cmd
        .current_dir(dir.path())
        .args([
            "promote",
            "--policy",
            "promotion.yml",
            "--sha",
            SHA,
            "--image",
            &image,
            "--format",
            "json",
        ])
        .output()
        .expect("promote");
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = reason_line(&out);
    assert!(line.contains("test: check run failure"), "{line}");
    assert!(
        !line.contains("build:"),
        "the build status is green: {line}"
    );
}
