//! `--sha` on every command that records or labels a commit (`build`, `tags`, `deploy`,
//! `promote`), in the one documented order: `--sha`, then `GITHUB_SHA` in GitHub Actions
//! (GITHUB_ACTIONS=true), then `git rev-parse HEAD`; outside a checkout with none of them, an
//! error that names `--sha`.

use crate::harness;

use harness::docker;

const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const DIGEST: &str = "sha256:3333333333333333333333333333333333333333333333333333333333333333";

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn tags_in(dir: &std::path::Path) -> assert_cmd::Command {
    let mut c = harness::bin();
    c.current_dir(dir)
        .args(["tags", "--image", "ghcr.io/org/app", "--tags", "type=sha"]);
    c
}

#[test]
fn outside_a_checkout_sha_names_the_commit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = tags_in(dir.path())
        .args(["--sha", A])
        .output()
        .expect("tags");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ghcr.io/org/app:sha-aaaaaaa\n"
    );
}

#[test]
fn outside_a_checkout_and_outside_actions_every_command_asks_for_sha() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = dir.path().join("ledger.json");
    let ledger = ledger.to_str().expect("utf-8");
    let image = format!("ghcr.io/org/app@{DIGEST}");
    // GITHUB_SHA outside Actions is not read (it may be left over from anything).
    let runs: Vec<Vec<&str>> = vec![
        vec!["tags", "--image", "ghcr.io/org/app"],
        vec!["build", "--image", "ghcr.io/org/app"],
        vec![
            "deploy", "-e", "staging", "--image", &image, "--ledger", ledger,
        ],
        vec![
            "promote",
            "--from",
            "staging",
            "--to",
            "production",
            "--image",
            &image,
            "--ledger",
            ledger,
            "--policy",
            "policy.yml",
        ],
    ];
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").expect("Dockerfile");
    std::fs::write(
        dir.path().join("policy.yml"),
        "from: staging\nto: production\ngates:\n  deployed: true\n",
    )
    .expect("policy");
    for args in runs {
        let out = harness::bin()
            .current_dir(dir.path())
            .args(&args)
            .env("GITHUB_SHA", B)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("no commit: pass --sha SHA"), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
    }
    assert!(!dir.path().join("ledger.json").exists(), "nothing recorded");
}

#[test]
fn sha_wins_over_github_sha_in_actions_and_github_sha_over_git() {
    let dir = tempfile::tempdir().expect("tempdir");
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("git");
        assert!(ok.status.success(), "{ok:?}");
        String::from_utf8_lossy(&ok.stdout).trim().to_owned()
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["commit", "-q", "--allow-empty", "-m", "one"]);
    let head = git(&["rev-parse", "HEAD"]);
    let first_tag = |out: std::process::Output| {
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    // git alone.
    let t = first_tag(tags_in(dir.path()).output().expect("tags"));
    assert_eq!(t, format!("ghcr.io/org/app:sha-{}", &head[..7]));
    // GITHUB_SHA outside Actions: still git.
    let t = first_tag(
        tags_in(dir.path())
            .env("GITHUB_SHA", B)
            .output()
            .expect("tags"),
    );
    assert_eq!(t, format!("ghcr.io/org/app:sha-{}", &head[..7]));
    // In Actions: GITHUB_SHA.
    let in_actions = |c: &mut assert_cmd::Command| {
        c.env("GITHUB_ACTIONS", "true")
            .env("GITHUB_SHA", B)
            .env("GITHUB_REF", "refs/heads/main")
            .env("GITHUB_EVENT_NAME", "push");
    };
    let mut c = tags_in(dir.path());
    in_actions(&mut c);
    assert_eq!(
        first_tag(c.output().expect("tags")),
        "ghcr.io/org/app:sha-bbbbbbb"
    );
    // --sha over both.
    let mut c = tags_in(dir.path());
    in_actions(&mut c);
    assert_eq!(
        first_tag(c.args(["--sha", A]).output().expect("tags")),
        "ghcr.io/org/app:sha-aaaaaaa"
    );
}

#[test]
fn deploy_records_the_sha_flag_outside_a_checkout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = harness::bin()
        .current_dir(dir.path())
        .args([
            "deploy", "-e", "staging", "--target", "external", "--ledger",
        ])
        .arg(dir.path().join("ledger.json"))
        .args(["--image", &format!("ghcr.io/org/app@{DIGEST}"), "--sha", A])
        .args(["--format", "json"])
        .output()
        .expect("deploy");
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["sha"], A);
    let bad = harness::bin()
        .current_dir(dir.path())
        .args([
            "deploy", "-e", "staging", "--target", "external", "--ledger",
        ])
        .arg(dir.path().join("ledger.json"))
        .args([
            "--image",
            &format!("ghcr.io/org/app@{DIGEST}"),
            "--sha",
            "main",
        ])
        .output()
        .expect("deploy");
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("--sha `main` is not a full commit SHA"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn build_outside_a_checkout_labels_the_sha_flag() {
    let Some(env) = docker::env() else { return };
    let context = docker::fixture("multistage");
    let image = format!("local/commit-sha-{}", &docker::nonce()[..10]);
    let out = harness::bin()
        .current_dir(context.path())
        .env("DOCKER_HOST", &env.host)
        .args(["build", "--image", &image, "--tags", "type=sha", "--sha", A])
        .output()
        .expect("build");
    assert!(out.status.success(), "{}", stderr(&out));
    let labels = docker::labels(&env, &format!("{image}:sha-aaaaaaa"));
    assert_eq!(
        labels
            .get("org.opencontainers.image.revision")
            .map(String::as_str),
        Some(A),
        "{labels:?}"
    );
    let _ = docker::docker_cli(&env.host, &["rmi", &format!("{image}:sha-aaaaaaa")]);
}
