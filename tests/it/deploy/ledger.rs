//! `deploy` and `history` with the local ledger: the command target's success and failure
//! paths, SIGTERM during a long command, and history order.

use crate::harness;

use std::process::Stdio;

use harness::bin;
use serde_json::Value;

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const DIGEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

fn image() -> String {
    format!("ghcr.io/octo-org/app@{DIGEST}")
}

fn history(dir: &std::path::Path) -> Value {
    let out = bin()
        .current_dir(dir)
        .args(["history", "staging", "--format", "json"])
        .output()
        .expect("history runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn command_sees_deploy_variables_and_success_is_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_file = dir.path().join("out");
    let summary = dir.path().join("summary");
    let out = bin()
        .current_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", &out_file)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args([
            "deploy",
            "--environment",
            "staging",
            "--image",
            &image(),
            "--sha",
            SHA,
        ])
        .args([
            "--",
            "sh",
            "-c",
            "echo digest=$DEPLOY_DIGEST env=$DEPLOY_ENVIRONMENT image=$DEPLOY_IMAGE",
        ])
        .output()
        .expect("deploy runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "digest={DIGEST} env=staging image=ghcr.io/octo-org/app"
        )),
        "command output is streamed to stderr: {stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("success"), "{stdout}");
    assert!(
        !stdout.contains("digest="),
        "command output stays off stdout: {stdout}"
    );
    let outputs = std::fs::read_to_string(&out_file).expect("outputs");
    assert!(outputs.contains("deployment-id<<"), "{outputs}");
    let summary = std::fs::read_to_string(&summary).expect("summary");
    assert!(summary.contains("| success |"), "{summary}");

    let h = history(dir.path());
    let rows = h["deployments"].as_array().expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["state"], "success");
    assert_eq!(rows[0]["digest"], DIGEST);
    assert_eq!(rows[0]["sha"], SHA);
}

#[test]
fn failing_command_records_failure_and_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = bin()
        .current_dir(dir.path())
        .args([
            "deploy",
            "-e",
            "staging",
            "--image",
            &image(),
            "--sha",
            SHA,
            "--format",
            "json",
        ])
        .args(["--", "sh", "-c", "exit 3"])
        .output()
        .expect("deploy runs");
    assert_eq!(out.status.code(), Some(1));
    let result: Value = serde_json::from_slice(&out.stdout).expect("json result");
    assert_eq!(result["state"], "failure");
    assert!(
        result["reason"]
            .as_str()
            .is_some_and(|r| r.contains("status 3"))
    );
    assert_eq!(history(dir.path())["deployments"][0]["state"], "failure");
}

#[test]
fn history_lists_newest_first_with_states_and_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    for cmd in ["true", "false"] {
        bin()
            .current_dir(dir.path())
            .args([
                "deploy",
                "-e",
                "staging",
                "--image",
                &image(),
                "--sha",
                SHA,
                "--",
                cmd,
            ])
            .output()
            .expect("deploy runs");
    }
    let h = history(dir.path());
    let states: Vec<_> = h["deployments"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["state"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(states, ["failure", "success"]);
    let out = bin()
        .current_dir(dir.path())
        .args(["history", "staging", "--limit", "1"])
        .output()
        .expect("history runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("0123456789ab") && text.contains("failure"),
        "{text}"
    );
    assert!(!text.contains("success"), "{text}");
}

#[test]
fn sigterm_during_a_long_command_records_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("started");
    let script = format!("touch {}; sleep 60", marker.display());
    let mut child = harness::bin_command()
        .current_dir(dir.path())
        .env_remove("GITHUB_TOKEN")
        .env_remove("GITHUB_REPOSITORY")
        .env_remove("GITHUB_ACTIONS")
        .args([
            "deploy",
            "-e",
            "staging",
            "--image",
            &image(),
            "--sha",
            SHA,
            "--",
            "sh",
            "-c",
            &script,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Wait until the command runs (so the deployment is in_progress), not for a fixed time.
    harness::wait_until(
        "the deploy command to start",
        harness::WAIT_DEADLINE,
        || marker.exists() || child.try_wait().is_ok_and(|s| s.is_some()),
    );
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = harness::output_within(child, harness::WAIT_DEADLINE).status;
    assert_eq!(status.code(), Some(130));
    let h = history(dir.path());
    assert_eq!(h["deployments"][0]["state"], "error");
}
