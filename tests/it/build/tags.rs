//! `deploy-action tags`: the tags a build would get, from git or from GitHub Actions' context.

use crate::harness;

use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A repository with one commit on `main`, tagged `v1.2.3`.
fn repo() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    git(dir.path(), &["init", "-q", "-b", "main"]);
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").expect("write");
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "one"]);
    git(dir.path(), &["tag", "v1.2.3"]);
    let sha = git(dir.path(), &["rev-parse", "HEAD"]);
    (dir, sha)
}

fn tags(dir: &Path, extra: &[&str]) -> std::process::Output {
    harness::bin()
        .current_dir(dir)
        .arg("tags")
        .args(extra)
        .output()
        .expect("run")
}

fn lines(out: &std::process::Output) -> Vec<String> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn on_a_branch_git_gives_branch_and_sha_tags() {
    let (dir, sha) = repo();
    let out = tags(dir.path(), &["--image", "ghcr.io/org/app"]);
    assert_eq!(
        lines(&out),
        [
            "ghcr.io/org/app:main".to_owned(),
            format!("ghcr.io/org/app:sha-{}", &sha[..7]),
            format!("ghcr.io/org/app:{sha}"),
        ]
    );
}

#[test]
fn at_a_checked_out_tag_git_gives_semver_and_latest_for_every_image() {
    let (dir, sha) = repo();
    git(dir.path(), &["checkout", "-q", "--detach", "v1.2.3"]);
    let out = tags(
        dir.path(),
        &[
            "--image",
            "ghcr.io/Org/App",
            "--image",
            "127.0.0.1:5000/app",
        ],
    );
    let short = &sha[..7];
    let mut want = Vec::new();
    for image in ["ghcr.io/org/app", "127.0.0.1:5000/app"] {
        for tag in ["1.2.3", "1.2", "1", &format!("sha-{short}"), &sha, "latest"] {
            want.push(format!("{image}:{tag}"));
        }
    }
    assert_eq!(lines(&out), want);
}

#[test]
fn in_actions_a_pull_request_is_tagged_with_its_head_commit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let head = "a".repeat(40);
    let event = serde_json::json!({
        "number": 42,
        "pull_request": { "number": 42, "head": { "sha": head }, "base": { "ref": "main" } },
        "repository": { "default_branch": "main" },
    });
    let event_path = dir.path().join("event.json");
    std::fs::write(&event_path, event.to_string()).expect("write");
    let out = harness::bin()
        .current_dir(dir.path())
        .args(["tags", "--image", "ghcr.io/org/app", "--format", "json"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_SHA", "b".repeat(40))
        .env("GITHUB_REF", "refs/pull/42/merge")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", &event_path)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["version"], 1);
    assert_eq!(v["revision"], head);
    assert_eq!(v["tags"], serde_json::json!(["pr-42", "sha-aaaaaaa", head]));
    assert_eq!(v["refs"][0], "ghcr.io/org/app:pr-42");
}

#[test]
fn rules_and_flavor_follow_metadata_action_syntax() {
    let (dir, sha) = repo();
    let out = tags(
        dir.path(),
        &[
            "--image",
            "app",
            "--tags",
            "type=raw,value=stable\ntype=sha,format=long,prefix=",
            "--flavor",
            "latest=false\nsuffix=-amd64",
        ],
    );
    assert_eq!(
        lines(&out),
        ["app:stable-amd64".to_owned(), format!("app:{sha}-amd64")]
    );
}

#[test]
fn usage_errors_exit_2_with_the_fix() {
    let (dir, _) = repo();
    for (args, want) in [
        (vec!["--image", "ghcr.io/org/app:v1"], "pass the name alone"),
        (
            vec!["--image", "app", "--tags", "type=nope"],
            "unknown type `nope`",
        ),
    ] {
        let out = tags(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
    let empty = tempfile::tempdir().expect("tempdir");
    let out = tags(empty.path(), &["--image", "app"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("git rev-parse HEAD"));
}
