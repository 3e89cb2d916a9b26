//! LedgerStore: the same semantics as GitHub (ids, statuses, deactivation, history), plus what
//! a file needs: concurrent writers from threads and processes, crash safety, refusal to
//! overwrite a damaged or newer ledger.

use crate::harness;

use std::path::{Path, PathBuf};

use deploy_action_records::{
    DeploymentRequest, DeploymentStore, GithubError, LedgerStore, StatusRequest, StatusState,
};
use harness::fake_github::{SHA, payload};
use serde_json::Value;

fn request(env: &str, n: u32) -> DeploymentRequest {
    DeploymentRequest::new(SHA, env, payload(n))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("ledger exists"))
        .expect("valid JSON")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[tokio::test]
async fn ledger_keeps_githubs_semantics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(".deploy-action/ledger.json");
    let store = LedgerStore::new(&path);
    assert!(
        store
            .latest_successful("production")
            .await
            .expect("empty")
            .is_none()
    );
    assert!(!path.exists(), "reading does not create the ledger");

    let a = store
        .create_deployment(&request("production", 1))
        .await
        .expect("a");
    store
        .post_status(a.id, &StatusRequest::new(StatusState::Success, "live"))
        .await
        .expect("a live");
    let s = store
        .create_deployment(&request("staging", 2))
        .await
        .expect("s");
    store
        .post_status(s.id, &StatusRequest::new(StatusState::Success, "live"))
        .await
        .expect("s live");
    let b = store
        .create_deployment(&request("production", 3))
        .await
        .expect("b");
    store
        .post_status(
            b.id,
            &StatusRequest::new(StatusState::InProgress, "rolling"),
        )
        .await
        .expect("b");
    assert_eq!(
        store
            .latest_successful("production")
            .await
            .expect("q")
            .map(|d| d.id),
        Some(a.id)
    );

    let long = "é".repeat(300);
    let posted = store
        .post_status(b.id, &StatusRequest::new(StatusState::Success, &long))
        .await
        .expect("b live");
    assert_eq!(posted.deactivated, vec![a.id]);
    assert_eq!(
        posted
            .status
            .description
            .as_ref()
            .map(|d| d.chars().count()),
        Some(140)
    );
    assert!(b.id > a.id && posted.status.id > b.id, "ids grow");

    let live = store
        .latest_successful("production")
        .await
        .expect("q")
        .expect("live");
    assert_eq!(live.id, b.id);
    assert_eq!(live.payload.map(|p| p.digest), Some(payload(3).digest));
    let history = store.history("production", None).await.expect("history");
    let summary: Vec<(u64, Option<StatusState>)> = history
        .iter()
        .map(|h| (h.deployment.id, h.latest_status.as_ref().map(|s| s.state)))
        .collect();
    assert_eq!(
        summary,
        vec![
            (b.id, Some(StatusState::Success)),
            (a.id, Some(StatusState::Inactive))
        ]
    );
    assert_eq!(
        store.history("production", Some(1)).await.expect("h").len(),
        1
    );
    let staging = store
        .deployment_for_sha("staging", SHA)
        .await
        .expect("q")
        .expect("found");
    assert_eq!(
        staging.latest_status.map(|s| s.state),
        Some(StatusState::Success),
        "other environments untouched"
    );

    let file = read_json(&path);
    assert_eq!(file["version"], 1);
    assert_eq!(file["deployments"].as_array().map(Vec::len), Some(3));
    assert_eq!(file["deployments"][0]["deployment"]["ref"], SHA);

    let err = store
        .post_status(999, &StatusRequest::new(StatusState::Success, "x"))
        .await
        .expect_err("unknown");
    assert!(
        matches!(err, GithubError::UnknownDeployment { id: 999, .. }),
        "{err:?}"
    );
}

fn check_all_records(path: &Path, expected: usize) {
    let file = read_json(path);
    let deployments = file["deployments"].as_array().expect("array");
    assert_eq!(deployments.len(), expected);
    let mut ids: Vec<u64> = deployments
        .iter()
        .filter_map(|d| d["deployment"]["id"].as_u64())
        .collect();
    assert_eq!(ids.len(), expected);
    let in_file_order = ids.clone();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), expected, "ids are unique");
    assert_eq!(
        in_file_order, ids,
        "ids grow in the order records were written"
    );
}

#[test]
fn eight_threads_writing_fifty_records_each_lose_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.json");
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let store = LedgerStore::new(&path);
            std::thread::spawn(move || {
                runtime().block_on(async {
                    for i in 0..50 {
                        store
                            .create_deployment(&request(&format!("env-{t}"), i))
                            .await
                            .expect("append");
                    }
                })
            })
        })
        .collect();
    for h in handles {
        h.join().expect("writer thread");
    }
    check_all_records(&path, 400);
    let leftovers: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

const CHILD_ENV: &str = "DEPLOY_ACTION_TEST_LEDGER_CHILD";

/// `ledger_child_writer`'s name in this test binary: its module path without the crate's name.
fn child_test_name() -> String {
    let module = module_path!();
    let module = module.split_once("::").map_or(module, |(_, m)| m);
    format!("{module}::ledger_child_writer")
}

/// Run by `four_processes_writing_at_once_lose_nothing` in child processes; does nothing when
/// run directly (and asserts that the child variable is absent then).
#[test]
fn ledger_child_writer() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        assert!(std::env::var_os(CHILD_ENV).is_none());
        return;
    };
    let store = LedgerStore::new(PathBuf::from(path));
    runtime().block_on(async {
        for i in 0..25 {
            store
                .create_deployment(&request("production", i))
                .await
                .expect("append");
        }
    });
}

#[test]
fn four_processes_writing_at_once_lose_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.json");
    let exe = std::env::current_exe().expect("test binary");
    let children: Vec<_> = (0..4)
        .map(|_| {
            std::process::Command::new(&exe)
                .args(["--exact", &child_test_name(), "--test-threads=1"])
                .env(CHILD_ENV, &path)
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("spawn child")
        })
        .collect();
    for child in children {
        let out = harness::output_within(child, harness::WAIT_DEADLINE);
        assert!(out.status.success());
    }
    check_all_records(&path, 100);
}

#[tokio::test]
async fn a_crash_mid_write_leaves_the_old_ledger_readable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.json");
    let store = LedgerStore::new(&path);
    let first = store
        .create_deployment(&request("production", 1))
        .await
        .expect("first");
    let before = std::fs::read(&path).expect("ledger");

    // What a writer killed before its rename leaves: a truncated temporary file beside the ledger.
    let stray = dir.path().join("ledger.json.tmp-99999-0");
    std::fs::write(&stray, &before[..before.len() / 2]).expect("stray temp");
    let history = store
        .history("production", None)
        .await
        .expect("old ledger still loads");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].deployment.id, first.id);
    assert_eq!(
        std::fs::read(&path).expect("ledger"),
        before,
        "reading changed nothing"
    );

    // The next writer carries on from the old state and clears the leftover.
    let second = store
        .create_deployment(&request("production", 2))
        .await
        .expect("second");
    assert!(second.id > first.id);
    assert!(!stray.exists(), "stray temp removed under the lock");
    check_all_records(&path, 2);
}

#[tokio::test]
async fn a_damaged_ledger_is_reported_and_never_overwritten() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.json");
    std::fs::write(&path, b"{\"version\":1,\"next_id\":3,\"deploym").expect("damaged file");
    let store = LedgerStore::new(&path);
    let err = store
        .create_deployment(&request("production", 1))
        .await
        .expect_err("damaged");
    assert!(matches!(err, GithubError::LedgerCorrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("move it away"), "{err}");
    assert_eq!(
        std::fs::read(&path).expect("file"),
        b"{\"version\":1,\"next_id\":3,\"deploym"
    );
}

#[tokio::test]
async fn a_newer_schema_version_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.json");
    std::fs::write(&path, br#"{"version":2,"next_id":1,"deployments":[]}"#).expect("file");
    let err = LedgerStore::new(&path)
        .history("production", None)
        .await
        .expect_err("v2");
    assert!(
        matches!(
            err,
            GithubError::LedgerVersion {
                found: 2,
                supported: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("upgrade deploy-action"), "{err}");
}
