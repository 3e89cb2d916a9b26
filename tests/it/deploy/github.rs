//! `deploy` and `history` against the fake GitHub: statuses in order, and the token never
//! shows up in any output, on success or on a 401.

use crate::harness;

use harness::bin;
use harness::fake_github::{self, SHA};

const DIGEST: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

fn github(
    cmd: &mut assert_cmd::Command,
    fake: &deploy_action_fake_github::FakeGithub,
    token: &str,
) {
    cmd.env("GITHUB_TOKEN", token)
        .env(
            "GITHUB_REPOSITORY",
            format!("{}/{}", fake.owner(), fake.repo()),
        )
        .env("GITHUB_API_URL", fake.api_url());
}

/// Every place output can land, joined.
fn all_output(out: &std::process::Output, dir: &std::path::Path) -> String {
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    for f in ["out", "summary"] {
        text.push_str(&std::fs::read_to_string(dir.join(f)).unwrap_or_default());
    }
    text
}

#[test]
fn statuses_go_in_progress_then_success_and_token_stays_hidden() {
    let Some(fake) = fake_github::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = bin();
    github(&mut cmd, &fake, fake.token());
    let out = cmd
        .current_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", dir.path().join("out"))
        .env("GITHUB_STEP_SUMMARY", dir.path().join("summary"))
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_RUN_ID", "77")
        .args([
            "deploy",
            "-e",
            "staging",
            "--image",
            &format!("ghcr.io/octo-org/app:v1@{DIGEST}"),
            "--sha",
            SHA,
        ])
        .args(["--", "sh", "-c", "echo got $DEPLOY_DIGEST"])
        .output()
        .expect("deploy runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("::add-mask::"), "mask first: {stdout}");
    let text = all_output(&out, dir.path());
    assert_eq!(
        text.matches(fake.token()).count(),
        1,
        "only inside ::add-mask::"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("got {DIGEST}")));

    let deployments = fake.deployments();
    assert_eq!(deployments.len(), 1);
    let d = &deployments[0];
    assert_eq!(d["payload"]["digest"], DIGEST);
    assert_eq!(d["payload"]["tags"][0], "v1");
    assert_eq!(
        d["payload"]["run_url"],
        format!(
            "https://github.com/{}/{}/actions/runs/77",
            fake.owner(),
            fake.repo()
        )
    );
    let id = d["id"].as_u64().expect("id");
    let mut states: Vec<String> = fake
        .deployment_statuses(id)
        .iter()
        .map(|s| s["state"].as_str().unwrap_or_default().to_owned())
        .collect();
    states.sort_by_key(|s| s != "in_progress"); // order-independent of the fake's listing order
    assert_eq!(states, ["in_progress", "success"]);

    let mut cmd = bin();
    github(&mut cmd, &fake, fake.token());
    let out = cmd
        .args(["history", "staging", "--format", "json"])
        .output()
        .expect("history");
    assert!(out.status.success());
    let h: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(h["deployments"][0]["state"], "success");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains(fake.token()),
        "token leaked by history: {text}"
    );
}

#[test]
fn a_rejected_token_is_an_infrastructure_error_without_the_token() {
    let Some(fake) = fake_github::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let canary = "ghp_canary_4f1d2c9e8b7a";
    for args in [
        vec![
            "deploy",
            "-e",
            "staging",
            "--image",
            "ghcr.io/o/app@sha256:2222222222222222222222222222222222222222222222222222222222222222",
            "--sha",
            SHA,
            "--",
            "true",
        ],
        vec!["history", "staging"],
    ] {
        let mut cmd = bin();
        github(&mut cmd, &fake, canary);
        let out = cmd
            .current_dir(dir.path())
            .env("GITHUB_OUTPUT", dir.path().join("out"))
            .env("GITHUB_STEP_SUMMARY", dir.path().join("summary"))
            .args(&args)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(4), "{args:?}");
        let text = all_output(&out, dir.path());
        assert!(text.contains("401"), "{text}");
        assert!(!text.contains(canary), "token leaked: {text}");
    }
}
