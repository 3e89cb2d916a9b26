//! Limits: `history` with 1,000 deployments, on the fake GitHub (ten `Link` pages of 100) and
//! on the local ledger, through the built binary. Every deployment comes back, newest first.

use crate::harness;

use harness::bin;
use harness::fake_github::{SHA, payload, start};
use serde_json::{Value, json};

const COUNT: u64 = 1_000;

fn ids(history: &Value) -> Vec<u64> {
    history["deployments"]
        .as_array()
        .expect("deployments")
        .iter()
        .map(|d| d["id"].as_u64().expect("id"))
        .collect()
}

#[test]
fn history_of_1000_github_deployments_follows_every_page_newest_first() {
    let Some(fake) = start() else { return };
    let mut seeded: Vec<u64> = (0..COUNT)
        .map(|n| {
            let state = if n % 3 == 0 { "success" } else { "failure" };
            let body = serde_json::to_value(payload(n as u32)).expect("payload json");
            fake.seed_deployment("production", SHA, body, Some(state))
        })
        .collect();
    fake.seed_deployment("staging", SHA, json!({}), None);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = bin()
        .current_dir(dir.path())
        .env("GITHUB_TOKEN", fake.token())
        .env(
            "GITHUB_REPOSITORY",
            format!("{}/{}", fake.owner(), fake.repo()),
        )
        .env("GITHUB_API_URL", fake.api_url())
        .args(["history", "production", "--format", "json"])
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .expect("history runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let history: Value = serde_json::from_slice(&out.stdout).expect("json");
    seeded.reverse();
    assert_eq!(ids(&history), seeded, "all 1,000, newest first");
    let pages: Vec<String> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/deployments"))
        .map(|r| r.query)
        .collect();
    assert_eq!(pages.len(), 10, "1,000 at 100 a page: {pages:?}");
    assert!(
        pages.iter().all(|q| q.contains("per_page=100")),
        "{pages:?}"
    );
}

#[test]
fn history_of_1000_ledger_deployments_is_complete_newest_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Written directly (one `deploy` run per record would take minutes); the format is the one
    // `deploy` writes: version 1, ids from one counter, statuses oldest first.
    let mut records = Vec::new();
    let mut next = 1u64;
    for n in 0..COUNT {
        let id = next;
        let status = next + 1;
        next += 2;
        records.push(json!({
            "deployment": {
                "id": id, "sha": SHA, "ref": "main", "environment": "production",
                "description": "deploy", "payload": payload(n as u32),
                "transient_environment": false, "production_environment": true,
                "created_at": "2026-01-02T03:04:05Z"
            },
            "statuses": [{
                "id": status, "state": if n % 2 == 0 { "success" } else { "failure" },
                "description": "done", "created_at": "2026-01-02T03:04:06Z"
            }]
        }));
    }
    let ledger = json!({"version": 1, "next_id": next, "deployments": records});
    let path = dir.path().join("ledger.json");
    std::fs::write(&path, serde_json::to_vec(&ledger).expect("json")).expect("write ledger");
    let out = bin()
        .current_dir(dir.path())
        .args(["history", "production", "--format", "json", "--ledger"])
        .arg(&path)
        .output()
        .expect("history runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let history: Value = serde_json::from_slice(&out.stdout).expect("json");
    let expected: Vec<u64> = (0..COUNT).rev().map(|n| 1 + 2 * n).collect();
    assert_eq!(ids(&history), expected);
}
