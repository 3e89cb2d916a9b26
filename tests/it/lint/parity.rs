#![allow(clippy::print_stderr)]
//! Parity with GitHub: every fixture under `fixtures/lint/parity/` goes through GitHub's own
//! parser (`../shared/bench/ghparse.mjs`, installed by `../shared/bench/install-peers.sh`; the
//! `*background*` fixtures through `tests/parity/ghparse-background.mjs`, the same parser with
//! background steps on, as github.com has them) and through our lint. They agree on each file:
//! GitHub refuses it exactly when we report an error, and the file's name (`accept-`/`reject-`)
//! says which it is. For what GitHub refuses we report an error where GitHub does.

use crate::harness;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/lint/parity");

/// Fixtures whose error we place exactly where GitHub does (line and column).
const SAME_POSITION: &[&str] = &[
    "reject-reserved-job-id.yml",
    "reject-reserved-step-id.yml",
    "reject-runner-group-prefix.yml",
    "reject-expression-over-21000-characters.yml",
    "reject-flow-sequence-comment-without-space.yml",
    "reject-background-wait-for-a-later-step.yml",
];

/// GitHub's errors for `file` as `(line, col, message)`.
fn github(peers: &Path, file: &Path) -> Vec<(u64, u64, String)> {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let script = if name.contains("background") {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/parity/ghparse-background.mjs")
    } else {
        peers.join("ghparse.mjs")
    };
    let out = Command::new("node")
        .arg(script)
        .arg(file)
        .env("PEERS_DIR", peers)
        .output()
        .expect("node runs");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "GitHub's parser failed on {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix(&format!("{}:", file.display()))?;
            let mut parts = rest.splitn(3, ':');
            let line = parts.next()?.parse().ok()?;
            let col = parts.next()?.parse().ok()?;
            Some((line, col, parts.next()?.trim().to_string()))
        })
        .collect()
}

/// Our error-severity findings for `file` as `(line, col, message)`.
fn ours(file: &Path) -> Vec<(u64, u64, String)> {
    let out = harness::bin()
        .args(["lint", "--format", "json", "--shellcheck", "off"])
        .arg(file)
        .output()
        .expect("lint runs");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| {
            (
                f["line"].as_u64().unwrap_or_default(),
                f["column"].as_u64().unwrap_or_default(),
                format!(
                    "[{}] {}",
                    f["rule"].as_str().unwrap_or_default(),
                    f["message"].as_str().unwrap_or_default()
                ),
            )
        })
        .collect()
}

#[test]
fn we_refuse_exactly_what_github_refuses() {
    let Some(peers) = harness::ghparse::peers() else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(DIR)
        .expect("fixtures")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml"))
        .collect();
    files.sort();
    assert!(files.len() >= 15, "{} parity fixtures", files.len());
    let mut problems = Vec::new();
    for file in &files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let gh = github(&peers, file);
        let us = ours(file);
        let want_reject = name.starts_with("reject-");
        if want_reject == gh.is_empty() {
            problems.push(format!(
                "{name}: the name says otherwise than GitHub: {gh:?}"
            ));
        }
        if gh.is_empty() != us.is_empty() {
            problems.push(format!("{name}: GitHub {gh:?}, ours {us:?}"));
            continue;
        }
        if let Some((line, col, _)) = gh.first() {
            let same_line = us.iter().any(|(l, _, _)| l == line);
            let same_place = us.iter().any(|(l, c, _)| l == line && c == col);
            if !same_line || (SAME_POSITION.contains(&name) && !same_place) {
                problems.push(format!("{name}: GitHub at {line}:{col}, ours at {us:?}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
