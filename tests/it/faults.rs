//! Faults during `deploy`, with real parts: a health endpoint that accepts connections and never
//! answers, and a disk that is full while the ledger is written. After each: the documented exit
//! status, a clear one-line reason, a ledger that still reads, and no deployment left
//! `in_progress` (the ledger keeps spare room beside it for the final write). (GitHub's 429, 502, resets and slow answers are in github_http.rs; SIGTERM
//! during `deploy` is in deploy_ledger.rs.)

use crate::harness;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use harness::bin;
use serde_json::Value;

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const IMAGE: &str =
    "ghcr.io/octo-org/app@sha256:1111111111111111111111111111111111111111111111111111111111111111";
const WATCHDOG: Duration = Duration::from_secs(120);

fn deploy(dir: &Path, ledger: &Path, extra: &[&str]) -> std::process::Output {
    bin()
        .current_dir(dir)
        .env_remove("GITHUB_TOKEN")
        .env_remove("GITHUB_REPOSITORY")
        .args([
            "deploy", "-e", "staging", "--image", IMAGE, "--sha", SHA, "--ledger",
        ])
        .arg(ledger)
        .args(extra)
        .timeout(WATCHDOG)
        .output()
        .expect("deploy runs")
}

fn history(dir: &Path, ledger: &Path) -> Value {
    let out = bin()
        .current_dir(dir)
        .args(["history", "staging", "--format", "json", "--ledger"])
        .arg(ledger)
        .output()
        .expect("history runs");
    assert!(
        out.status.success(),
        "ledger no longer reads: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn states(history: &Value) -> Vec<String> {
    history["deployments"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["state"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_health_endpoint_that_never_answers_fails_the_deploy_within_the_timeout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = dir.path().join("ledger.json");
    // Accepts every connection and keeps it open without a byte of answer.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    let url = format!("http://127.0.0.1:{port}/health");
    let out = deploy(
        dir.path(),
        &ledger,
        &["--url", &url, "--health-timeout", "2s", "--", "true"],
    );
    // The result (with its reason) is on stdout, progress on stderr.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("failure") && stdout.contains("did not answer within"),
        "{stdout}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let h = history(dir.path(), &ledger);
    assert_eq!(states(&h), ["failure"], "{h}");
}

/// A 64 kB tmpfs mounted for the test and unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// `None` (skip) when mounting is not allowed here, outside CI; CI=true fails instead.
    #[allow(clippy::print_stderr)]
    fn mount() -> Option<Self> {
        let dir = tempfile::tempdir().expect("tempdir");
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(Self { dir });
        }
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("cannot mount a tmpfs for the disk-full test (needs root or CAP_SYS_ADMIN)");
        }
        eprintln!("skipping: cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN)");
        None
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the rest of the disk with one file.
    fn fill(&self) {
        let _ = Command::new("dd")
            .args(["if=/dev/zero", "bs=1k", "count=1024"])
            .arg(format!("of={}", self.path().join("filler").display()))
            .stderr(std::process::Stdio::null())
            .status();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

fn ledger_copy(disk: &SmallDisk, from: &Path) -> PathBuf {
    let ledger = disk.path().join("ledger.json");
    std::fs::copy(from, &ledger).expect("copy the ledger onto the small disk");
    ledger
}

#[test]
fn a_full_disk_while_writing_the_ledger_fails_clearly_and_keeps_the_ledger() {
    let Some(disk) = SmallDisk::mount() else {
        return;
    };
    // One good deployment recorded on a roomy disk first.
    let home = tempfile::tempdir().expect("tempdir");
    let roomy = home.path().join("ledger.json");
    let out = deploy(home.path(), &roomy, &["--", "true"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ledger = ledger_copy(&disk, &roomy);
    let before = std::fs::read(&ledger).expect("read ledger");
    disk.fill();

    let out = deploy(home.path(), &ledger, &["--", "true"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("No space left on device") && stderr.contains("ledger.json"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The ledger is what it was, reads, and holds no deployment in progress.
    assert_eq!(std::fs::read(&ledger).expect("read ledger"), before);
    let h = history(home.path(), &ledger);
    assert_eq!(states(&h), ["success"], "{h}");
    let strays: Vec<_> = std::fs::read_dir(disk.path())
        .expect("list")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(strays.is_empty(), "temporary files left behind: {strays:?}");
}

#[test]
fn a_disk_that_fills_during_the_deploy_still_gets_the_final_status() {
    let Some(disk) = SmallDisk::mount() else {
        return;
    };
    let home = tempfile::tempdir().expect("tempdir");
    let roomy = home.path().join("ledger.json");
    let out = deploy(home.path(), &roomy, &["--", "true"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ledger = ledger_copy(&disk, &roomy);
    // The deploy command fills the disk itself: the deployment was created on a disk with room,
    // and every later write of the ledger meets a full one.
    let filler = disk.path().join("filler");
    let script = format!(
        "dd if=/dev/zero of={} bs=1k count=1024 2>/dev/null; true",
        filler.display()
    );
    let out = deploy(home.path(), &ledger, &["--", "sh", "-c", &script]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The spare room kept beside the ledger (`ledger.json.reserve`) is given up for the final
    // write, so the outcome is recorded.
    assert!(out.status.success(), "{stderr}");
    let h = history(home.path(), &ledger);
    assert_eq!(states(&h), ["success", "inactive"], "{h}");
}

#[test]
fn sigterm_during_a_github_deploy_posts_error_not_in_progress() {
    let Some(fake) = harness::fake_github::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("started");
    let script = format!("touch {}; sleep 60", marker.display());
    let mut child = harness::bin_command()
        .current_dir(dir.path())
        .env_remove("CI")
        .env_remove("GITHUB_ACTIONS")
        .env("GITHUB_TOKEN", fake.token())
        .env(
            "GITHUB_REPOSITORY",
            format!("{}/{}", fake.owner(), fake.repo()),
        )
        .env("GITHUB_API_URL", fake.api_url())
        .args(["deploy", "-e", "production", "--image", IMAGE, "--sha", SHA])
        .args(["--", "sh", "-c", &script])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // Wait until the command runs (the deployment is in_progress), not for a fixed time.
    let started = std::time::Instant::now();
    while !marker.exists() {
        if started.elapsed() > WATCHDOG || child.try_wait().expect("wait").is_some() {
            let _ = child.kill();
            panic!("the deploy command never started");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let signal = nix::sys::signal::Signal::SIGTERM;
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    nix::sys::signal::kill(pid, signal).expect("SIGTERM");
    let out = harness::output_within(child, harness::WAIT_DEADLINE);
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deployments = fake.deployments();
    assert_eq!(deployments.len(), 1);
    let id = deployments[0]["id"].as_u64().expect("id");
    let states: Vec<String> = fake
        .deployment_statuses(id)
        .iter()
        .map(|s| s["state"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        states.last().map(String::as_str),
        Some("error"),
        "{states:?}"
    );
}
