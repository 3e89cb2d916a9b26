//! `promote` and `rollback` flows without Docker: multi-artifact deployments, two promotions at
//! once, interruption, verification with rollback, `rollback --to`, flag checks, and `lint` of
//! the policy.

use crate::harness;
use crate::harness::promote_local;

use harness::bin;
use promote_local::*;

#[test]
fn multi_artifact_deployments_promote_every_digest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let site = format!("site@sha256:{}", "5".repeat(64));
    let api = format!("127.0.0.1:1/o/api@sha256:{}", "6".repeat(64));
    let image = format!("127.0.0.1:1/o/app@{DIGEST}");
    let out = bin()
        .current_dir(dir.path())
        .args([
            "deploy", "--target", "external", "-e", "staging", "--sha", SHA,
        ])
        .args([
            "--image",
            &image,
            "--image",
            &api,
            "--artifact",
            &site,
            "--format",
            "json",
        ])
        .output()
        .expect("deploy");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The site alone (no image: nothing to retag) goes through.
    std::fs::write(dir.path().join("promotion.yml"), HEAD).expect("policy");
    let run = |artifact: &str| {
        bin()
            .current_dir(dir.path())
            .args([
                "promote",
                "--policy",
                "promotion.yml",
                "--sha",
                SHA,
                "--artifact",
                artifact,
                "--format",
                "json",
            ])
            .output()
            .expect("promote")
    };
    let other = format!("site@sha256:{}", "7".repeat(64));
    let out = run(&other);
    assert_eq!(out.status.code(), Some(3), "{}", reason_line(&out));
    assert!(
        reason_line(&out).contains("site is sha256:555555555555"),
        "{}",
        reason_line(&out)
    );
    let out = run(&site);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(decision(&out)["decision"], "promoted");
    assert_eq!(production_states(dir.path()), ["success"]);
    let out = run(&site);
    assert_eq!(decision(&out)["decision"], "already-promoted");
    // A command with --target external is a usage error.
    let out = bin()
        .current_dir(dir.path())
        .args([
            "deploy", "--target", "external", "-e", "staging", "--sha", SHA, "--image", &image,
            "--", "true",
        ])
        .output()
        .expect("deploy");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn lint_checks_the_promotion_policy() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join(".github/workflows")).expect("mkdir");
    std::fs::write(
        dir.path().join(".github/promotion.yml"),
        "from: staging\ngates:\n  deployed: yes-please\n  soak: 10 minutes\n",
    )
    .expect("policy");
    let out = bin()
        .current_dir(dir.path())
        .args(["lint", "--format", "json"])
        .output()
        .expect("lint");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("promotion-policy") && text.contains("promotion.yml"),
        "{text}"
    );
    assert!(
        text.contains("`gates.soak` `10 minutes` is not a duration"),
        "{text}"
    );
}

#[test]
fn two_promotions_at_once_cannot_both_win() {
    let dir = tempfile::tempdir().expect("tempdir");
    let site = format!("site@sha256:{}", "8".repeat(64));
    let out = bin()
        .current_dir(dir.path())
        .args([
            "deploy",
            "--target",
            "external",
            "-e",
            "staging",
            "--sha",
            SHA,
            "--artifact",
            &site,
        ])
        .output()
        .expect("deploy");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(dir.path().join("promotion.yml"), HEAD).expect("policy");
    let spawn = || {
        harness::bin_command()
            .current_dir(dir.path())
            .env_remove("GITHUB_TOKEN")
            .env_remove("GITHUB_REPOSITORY")
            .args([
                "promote",
                "--policy",
                "promotion.yml",
                "--sha",
                SHA,
                "--artifact",
                &site,
                "--format",
                "json",
            ])
            .args(["--", "sh", "-c", "sleep 2"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn")
    };
    let (a, b) = (spawn(), spawn());
    let outs = [
        harness::output_within(a, harness::WAIT_DEADLINE),
        harness::output_within(b, harness::WAIT_DEADLINE),
    ];
    let decisions: Vec<String> = outs
        .iter()
        .map(|o| decision(o)["decision"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        decisions.iter().filter(|d| *d == "promoted").count(),
        1,
        "{decisions:?}"
    );
    let other = decisions
        .iter()
        .find(|d| *d != "promoted")
        .expect("a loser");
    assert!(
        other == "refused" || other == "already-promoted",
        "{decisions:?}"
    );
    let states = production_states(dir.path());
    assert_eq!(
        states.iter().filter(|s| *s == "success").count(),
        1,
        "{states:?}"
    );
    assert!(
        !states.iter().any(|s| s == "in_progress" || s == "queued"),
        "{states:?}"
    );
}

#[test]
fn sigterm_during_the_rollout_leaves_nothing_in_progress() {
    let dir = tempfile::tempdir().expect("tempdir");
    let site = format!("site@sha256:{}", "9".repeat(64));
    let out = bin()
        .current_dir(dir.path())
        .args([
            "deploy",
            "--target",
            "external",
            "-e",
            "staging",
            "--sha",
            SHA,
            "--artifact",
            &site,
        ])
        .output()
        .expect("deploy");
    assert_eq!(out.status.code(), Some(0));
    std::fs::write(dir.path().join("promotion.yml"), HEAD).expect("policy");
    let marker = dir.path().join("started");
    let mut child = harness::bin_command()
        .current_dir(dir.path())
        .args([
            "promote",
            "--policy",
            "promotion.yml",
            "--sha",
            SHA,
            "--artifact",
            &site,
            "--format",
            "json",
        ])
        .args([
            "--",
            "sh",
            "-c",
            &format!("touch {}; sleep 30", marker.display()),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    harness::wait_until(
        "the promotion's command to start",
        harness::WAIT_DEADLINE,
        || marker.exists() || child.try_wait().is_ok_and(|s| s.is_some()),
    );
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("kill");
    let out = harness::output_within(child, harness::WAIT_DEADLINE);
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(decision(&out)["decision"], "error");
    assert_eq!(production_states(dir.path()), ["error"]);
}

#[test]
fn smoke_header_secrets_never_show() {
    let (url, _) = serve(200, "app");
    let dir = tempfile::tempdir().expect("tempdir");
    let image = format!("127.0.0.1:1/o/app@{DIGEST}");
    staging(dir.path(), &image);
    let canary = "canary-7f3e9b1c";
    let policy = format!(
        "{HEAD}  smoke:\n    - {{ url: \"{url}/\", headers: {{ Authorization: \"Bearer ${{SMOKE_TOKEN}}\" }}, status: 404 }}\n"
    );
    std::fs::write(dir.path().join("promotion.yml"), policy).expect("policy");
    let summary = dir.path().join("summary");
    let outputs = dir.path().join("outputs");
    let out = bin()
        .current_dir(dir.path())
        .env("SMOKE_TOKEN", canary)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
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
    assert_eq!(out.status.code(), Some(3), "{}", reason_line(&out));
    let mut all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        summary,
        outputs,
        dir.path().join(format!(
            ".deploy-action/decisions/{}-production.json",
            &SHA[..7]
        )),
    ] {
        all.push_str(
            &std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display())),
        );
    }
    assert!(all.contains("answered 200, expected 404"), "{all}");
    assert!(!all.contains(canary), "{all}");
}

#[test]
fn failed_metric_verification_rolls_back_to_the_previous_record() {
    let (good, _) = serve(200, r#"{"errors":{"rate":0.01}}"#);
    let (bad, _) = serve(200, "garbage");
    let dir = tempfile::tempdir().expect("tempdir");
    let sha2 = "fedcba9876543210fedcba9876543210fedcba98";
    let v1 = format!("site@sha256:{}", "a".repeat(64));
    let v2 = format!("site@sha256:{}", "b".repeat(64));
    let stage = |sha: &str, site: &str| {
        let out = bin()
            .current_dir(dir.path())
            .args([
                "deploy",
                "--target",
                "external",
                "-e",
                "staging",
                "--sha",
                sha,
                "--artifact",
                site,
            ])
            .output()
            .expect("deploy");
        assert_eq!(out.status.code(), Some(0));
    };
    stage(SHA, &v1);
    let run = |sha: &str, site: &str, metrics: &str| {
        let policy = format!(
            "{HEAD}verify:\n  window: 300ms\n  interval: 100ms\n  metrics:\n    - {{ name: errors, url: \"{metrics}/m\", path: errors.rate, comparison: \"<\", threshold: 0.05 }}\n"
        );
        std::fs::write(dir.path().join("promotion.yml"), policy).expect("policy");
        bin()
            .current_dir(dir.path())
            .args([
                "promote",
                "--policy",
                "promotion.yml",
                "--sha",
                sha,
                "--artifact",
                site,
                "--format",
                "json",
            ])
            .output()
            .expect("promote")
    };
    let out = run(SHA, &v1, &good);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rec = decision(&out);
    assert_eq!(rec["decision"], "promoted");
    assert_eq!(rec["verification"][0]["verdict"], "pass", "{rec:#}");

    stage(sha2, &v2);
    let out = run(sha2, &v2, &bad);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rec = decision(&out);
    assert_eq!(rec["decision"], "rolled-back", "{rec:#}");
    assert!(
        reason_line(&out).contains("not JSON"),
        "{}",
        reason_line(&out)
    );
    assert_eq!(
        production_states(dir.path()),
        ["success", "failure", "inactive"]
    );
    let out = bin()
        .current_dir(dir.path())
        .args(["history", "production", "--format", "json"])
        .output()
        .expect("history");
    let h: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        h["deployments"][0]["sha"], SHA,
        "v1's commit is live again: {h:#}"
    );
}

#[test]
fn rollback_to_a_named_commit_and_refusals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shas = [
        "1111111111111111111111111111111111111111",
        "2222222222222222222222222222222222222222",
        "3333333333333333333333333333333333333333",
    ];
    let out = bin()
        .current_dir(dir.path())
        .args(["rollback", "-e", "production"])
        .output()
        .expect("rollback");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        reason_line(&out).contains("nothing is live in production"),
        "{}",
        reason_line(&out)
    );
    for (i, sha) in shas.iter().enumerate() {
        let site = format!("site@sha256:{}", i.to_string().repeat(64));
        let out = bin()
            .current_dir(dir.path())
            .args([
                "deploy",
                "--target",
                "external",
                "-e",
                "production",
                "--sha",
                sha,
                "--artifact",
                &site,
            ])
            .output()
            .expect("deploy");
        assert_eq!(out.status.code(), Some(0));
    }
    let out = bin()
        .current_dir(dir.path())
        .args(["rollback", "-e", "production", "--to", "9999999"])
        .output()
        .expect("rollback");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        reason_line(&out).contains("matches --to 9999999"),
        "{}",
        reason_line(&out)
    );
    let out = bin()
        .current_dir(dir.path())
        .args([
            "rollback",
            "-e",
            "production",
            "--to",
            &shas[0][..7],
            "--format",
            "json",
        ])
        .output()
        .expect("rollback");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(said["sha"], shas[0]);
    assert_eq!(said["state"], "success");
    // Newest first: the redeploy of the first commit, the rolled-back one, the two before it.
    assert_eq!(
        production_states(dir.path()),
        ["success", "failure", "inactive", "inactive"]
    );
    // Rolling back again goes to the second commit: the failed third one is never picked.
    let out = bin()
        .current_dir(dir.path())
        .args(["rollback", "-e", "production", "--format", "json"])
        .output()
        .expect("rollback");
    let said: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(said["sha"], shas[1], "{said:#}");
}

#[test]
fn flags_and_policy_must_agree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let image = format!("127.0.0.1:1/o/app@{DIGEST}");
    std::fs::write(dir.path().join("promotion.yml"), HEAD).expect("policy");
    let run = |args: &[&str]| {
        bin()
            .current_dir(dir.path())
            .args(["promote", "--sha", SHA, "--image", &image])
            .args(args)
            .output()
            .expect("promote")
    };
    let out = run(&["--policy", "promotion.yml", "--from", "qa"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        reason_line(&out).contains("--from qa disagrees with the policy's `from: staging`"),
        "{}",
        reason_line(&out)
    );
    let out = run(&["--policy", "missing.yml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        reason_line(&out).contains("cannot read the promotion policy missing.yml"),
        "{}",
        reason_line(&out)
    );
    let out = run(&[
        "--policy",
        "promotion.yml",
        "--image",
        "127.0.0.1:1/o/app:latest",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        reason_line(&out).contains("has no digest"),
        "{}",
        reason_line(&out)
    );
}

#[test]
fn lint_checks_policies_that_workflows_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join(".github/workflows")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("deploy")).expect("mkdir");
    std::fs::write(
        dir.path().join(".github/workflows/promote.yml"),
        "on: push\njobs:\n  promote:\n    runs-on: ubuntu-latest\n    environment: production\n    steps:\n      - run: deploy-action promote --policy deploy/policy.yml --image x@sha256:1\n",
    )
    .expect("workflow");
    std::fs::write(
        dir.path().join("deploy/policy.yml"),
        "gates:\n  smoke:\n    - { url: http://a/, statuz: 200 }\n",
    )
    .expect("policy");
    let out = bin()
        .current_dir(dir.path())
        .args(["lint", "--format", "json"])
        .output()
        .expect("lint");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("deploy/policy.yml") && text.contains("unknown key `statuz`"),
        "{text}"
    );
}

#[test]
fn a_failing_rollout_is_a_deploy_failure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let site = format!("site@sha256:{}", "c".repeat(64));
    let out = bin()
        .current_dir(dir.path())
        .args([
            "deploy",
            "--target",
            "external",
            "-e",
            "staging",
            "--sha",
            SHA,
            "--artifact",
            &site,
        ])
        .output()
        .expect("deploy");
    assert_eq!(out.status.code(), Some(0));
    std::fs::write(dir.path().join("promotion.yml"), HEAD).expect("policy");
    let out = bin()
        .current_dir(dir.path())
        .args([
            "promote",
            "--policy",
            "promotion.yml",
            "--sha",
            SHA,
            "--artifact",
            &site,
            "--format",
            "json",
        ])
        .args(["--", "sh", "-c", "echo rollout broke >&2; exit 7"])
        .output()
        .expect("promote");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(decision(&out)["decision"], "error");
    assert!(
        reason_line(&out).contains("exited with status 7"),
        "{}",
        reason_line(&out)
    );
    assert_eq!(production_states(dir.path()), ["failure"]);
}
