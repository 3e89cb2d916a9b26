//! `deploy-action history ENV`: an environment's deployments, newest first.

use std::fmt::Write as _;

use serde_json::json;

use super::{emit, exit, store};
use crate::cli::{HistoryArgs, RecordFormat};
use crate::runner::Runner;
use deploy_action_records::{DeploymentStore, HistoryEntry};
use deploy_action_sys::exit::Failure;

/// Runs `history`.
pub fn run(args: &HistoryArgs) -> anyhow::Result<u8> {
    let get = deploy_action_sys::env::var;
    let runner = Runner::from_env(get);
    let selected = store::select_masked(&args.store, &get, &runner)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let entries = match rt.block_on(selected.store.history(&args.environment, args.limit)) {
        Ok(e) => e,
        Err(e) => return Err(Failure::new(exit::INFRA, &e).into()),
    };
    let text = match args.format {
        RecordFormat::Human => human(&args.environment, &entries),
        RecordFormat::Json => json(&args.environment, &entries),
    };
    emit(&text)?;
    Ok(exit::OK)
}

fn state(e: &HistoryEntry) -> &'static str {
    e.latest_status
        .as_ref()
        .map_or("none", |s| s.state.as_str())
}

fn digest(e: &HistoryEntry) -> &str {
    e.deployment
        .payload
        .as_ref()
        .map_or("-", |p| p.digest.as_str())
}

fn human(environment: &str, entries: &[HistoryEntry]) -> String {
    if entries.is_empty() {
        return format!("no deployments to {environment}\n");
    }
    let mut out = format!(
        "{:<12} {:<12} {:<19} {:<11} TIME\n",
        "ID", "SHA", "DIGEST", "STATE"
    );
    for e in entries {
        let d = &e.deployment;
        let sha: String = d.sha.chars().take(12).collect();
        let short_digest: String = digest(e).chars().take(19).collect();
        let _ = writeln!(
            out,
            "{:<12} {:<12} {:<19} {:<11} {}",
            d.id,
            sha,
            short_digest,
            state(e),
            d.created_at.format("%Y-%m-%d %H:%M:%SZ")
        );
    }
    out
}

fn json(environment: &str, entries: &[HistoryEntry]) -> String {
    let rows: Vec<_> = entries
        .iter()
        .map(|e| {
            let d = &e.deployment;
            json!({
                "id": d.id,
                "sha": d.sha,
                "image": d.payload.as_ref().map(|p| p.image.clone()),
                "digest": d.payload.as_ref().map(|p| p.digest.clone()),
                "state": e.latest_status.as_ref().map(|s| s.state.as_str()),
                "environment_url": e.latest_status.as_ref().and_then(|s| s.environment_url.clone()),
                "created_at": d.created_at.to_rfc3339(),
            })
        })
        .collect();
    let doc = json!({"version": 1, "environment": environment, "deployments": rows});
    format!("{doc:#}\n")
}
