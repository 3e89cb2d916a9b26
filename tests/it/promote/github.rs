//! `promote` and `rollback` end to end on the test daemon and registry with deployments
//! recorded on the fake GitHub: promote v1, promote v2 (verified), roll back to v1 by hand.

use crate::harness;
use crate::harness::promote_env;

use harness::docker::{self, registry_digest};
use harness::fake_github;
use promote_env::{build_push, cmd, container_digest, expect_code, policy, remove_containers};

const STAGING_PORT: u16 = 18421;
const PROD_PORT: u16 = 18422;

#[test]
fn promote_then_roll_back_on_github() {
    let Some(env) = docker::env() else { return };
    let Some(fake) = fake_github::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let repo = format!("da-promote-{}/web-promote-gh", &docker::nonce()[..8]);
    let (staging_c, prod_c) = (
        "deploy-action-web-promote-gh-staging",
        "deploy-action-web-promote-gh-production",
    );
    remove_containers(
        &env,
        &[
            staging_c,
            prod_c,
            &format!("{staging_c}-next"),
            &format!("{prod_c}-next"),
        ],
    );
    let staging = format!("http://127.0.0.1:{STAGING_PORT}");
    let production = format!("http://127.0.0.1:{PROD_PORT}");
    let mut text = policy("${STAGING_URL}", &production);
    text = text.replace("  soak: 1s\n", "  soak: 1s\n  checks: [test]\n");
    std::fs::write(d.join("promotion.yml"), text).expect("policy");
    let health = r#"{"status":"ok"}"#;
    let v1 = build_push(
        &env,
        d,
        &repo,
        "v1",
        &[("index.html", "app v1"), ("health", health), ("ready", "y")],
    );
    let v2 = build_push(
        &env,
        d,
        &repo,
        "v2",
        &[("index.html", "app v2"), ("health", health), ("ready", "y")],
    );
    let image = |digest: &str| format!("{}/{repo}@{digest}", env.registry);
    let (sha1, sha2) = (docker::fake_sha(), docker::fake_sha());
    let gh = |c: &mut assert_cmd::Command| {
        c.env("GITHUB_TOKEN", fake.token())
            .env(
                "GITHUB_REPOSITORY",
                format!("{}/{}", fake.owner(), fake.repo()),
            )
            .env("GITHUB_API_URL", fake.api_url())
            .env("STAGING_URL", &staging);
    };
    let prod_target = [
        "--target",
        "docker",
        "--publish",
        &format!("{PROD_PORT}:8080"),
        "--health-timeout",
        "20s",
    ];
    for (digest, sha) in [(&v1, &sha1), (&v2, &sha2)] {
        fake.seed_check_run(sha, "test", "completed", Some("success"));
        let mut c = cmd(&env, d);
        gh(&mut c);
        let out = c
            .args([
                "deploy",
                "-e",
                "staging",
                "--image",
                &image(digest),
                "--sha",
                sha,
            ])
            .args([
                "--target",
                "docker",
                "--publish",
                &format!("{STAGING_PORT}:8080"),
                "--health-timeout",
                "20s",
            ])
            .output()
            .expect("deploy");
        expect_code(&out, 0);
        std::thread::sleep(std::time::Duration::from_millis(1200));
        let outputs = d.join(format!("out-{}", &sha[..7]));
        let summary = d.join(format!("summary-{}", &sha[..7]));
        let mut c = cmd(&env, d);
        gh(&mut c);
        let out = c
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_OUTPUT", &outputs)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .args([
                "promote",
                "--from",
                "staging",
                "--to",
                "production",
                "--policy",
                "promotion.yml",
            ])
            .args(["--sha", sha, "--image", &image(digest)])
            .args(prod_target)
            .output()
            .expect("promote");
        expect_code(&out, 0);
        let outputs = std::fs::read_to_string(&outputs).expect("outputs");
        assert!(
            outputs.contains("decision<<") && outputs.contains("\npromoted\n"),
            "{outputs}"
        );
        let summary = std::fs::read_to_string(&summary).expect("summary");
        assert!(
            summary.contains("| Gate | Evidence | Verdict | Time |")
                && summary.contains("| checks |"),
            "{summary}"
        );
        assert!(container_digest(&env, prod_c).starts_with(&format!("{digest}|")));
        assert_eq!(
            registry_digest(&env.registry, &repo, "production").as_ref(),
            Some(digest)
        );
    }
    let production_deployments = || -> Vec<(u64, String)> {
        fake.deployments()
            .iter()
            .filter(|d| d["environment"] == "production")
            .map(|d| {
                let id = d["id"].as_u64().expect("id");
                let last = fake
                    .deployment_statuses(id)
                    .last()
                    .map(|s| s["state"].as_str().unwrap_or("").to_owned())
                    .unwrap_or_default();
                (id, last)
            })
            .collect()
    };
    let before = production_deployments();
    assert_eq!(before.len(), 2, "{before:?}");

    let mut c = cmd(&env, d);
    gh(&mut c);
    let out = c
        .args(["rollback", "--environment", "production"])
        .args(prod_target)
        .output()
        .expect("rollback");
    expect_code(&out, 0);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(&format!("rolled production back to {}", &sha1[..7])),
        "{said}"
    );
    assert!(
        container_digest(&env, prod_c).starts_with(&format!("{v1}|")),
        "production runs v1 again"
    );
    assert_eq!(
        registry_digest(&env.registry, &repo, "production").as_deref(),
        Some(v1.as_str())
    );
    let after = production_deployments();
    assert_eq!(after.len(), 3, "{after:?}");
    let state = |id: u64| {
        after
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        state(before[1].0.max(before[0].0)),
        "failure",
        "the rolled-back deployment: {after:?}"
    );
    assert_eq!(
        after
            .iter()
            .map(|(_, s)| s.as_str())
            .filter(|s| *s == "success")
            .count(),
        1,
        "{after:?}"
    );

    remove_containers(&env, &[staging_c, prod_c]);
}
