//! `promote` gates and faults without Docker: the local ledger or the fake GitHub, small HTTP
//! servers in the test. Never a promotion on a fault, always a one-line reason, the right exit
//! status, and no deployment left `in_progress`.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use common::bin;
use common::fake_github;
use deploy_action::github::fake::Fault;

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const DIGEST: &str = "sha256:3333333333333333333333333333333333333333333333333333333333333333";

/// A tiny HTTP server answering every request with `status` and `body`; records request paths.
fn serve(status: u16, body: &'static str) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut buf = vec![0u8; 4096];
                let n = stream.read(&mut buf).unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
                log.lock().expect("log").push(path);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    (format!("http://{addr}"), seen)
}

/// A listener that accepts connections and never answers.
fn black_hole() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    format!("http://{addr}")
}

/// Records a successful staging deployment of SHA with `image` in the ledger of `dir`.
fn staging(dir: &Path, image: &str) {
    let out = bin()
        .current_dir(dir)
        .args(["deploy", "-e", "staging", "--image", image, "--sha", SHA])
        .output()
        .expect("deploy");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn promote(dir: &Path, policy: &str, image: &str) -> std::process::Output {
    std::fs::write(dir.join("promotion.yml"), policy).expect("policy");
    bin()
        .current_dir(dir)
        .args([
            "promote",
            "--policy",
            "promotion.yml",
            "--sha",
            SHA,
            "--image",
            image,
            "--format",
            "json",
        ])
        .output()
        .expect("promote")
}

fn decision(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn production_states(dir: &Path) -> Vec<String> {
    let out = bin()
        .current_dir(dir)
        .args(["history", "production", "--format", "json"])
        .output()
        .expect("history");
    let h: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    h["deployments"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["state"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// The last stderr line that says why, which must be one line.
fn reason_line(out: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .to_owned();
    assert!(!line.contains("panicked"), "{err}");
    line
}

const HEAD: &str = "from: staging\nto: production\ngates:\n  deployed: true\n  same_digest: true\n";

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

fn github(cmd: &mut assert_cmd::Command, fake: &deploy_action::github::fake::FakeGithub) {
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
    let bin_path = assert_cmd::cargo::cargo_bin("deploy-action");
    let spawn = || {
        std::process::Command::new(&bin_path)
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
        a.wait_with_output().expect("a"),
        b.wait_with_output().expect("b"),
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
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("deploy-action"))
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
    while !marker.exists() {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("kill");
    let out = child.wait_with_output().expect("wait");
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
