//! GitHub's own workflow parser (`ghparse.mjs`, installed with the peers by
//! `../shared/bench/install-peers.sh`), the arbiter of what GitHub accepts.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The peers' folder holding `ghparse.mjs`, installing it when missing; `None` outside CI when
/// it cannot be had (in CI its absence fails the test).
pub fn peers() -> Option<PathBuf> {
    let shared = super::shared()?;
    let out = Command::new("bash")
        .arg(shared.join("bench/install-peers.sh"))
        .output();
    let dir = out
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let ok = dir.as_ref().is_some_and(|d| d.join("ghparse.mjs").exists())
        && Command::new("node").arg("--version").output().is_ok();
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "GitHub's parser (node + install-peers.sh) is missing; CI needs it"
        );
        eprintln!("skipping: GitHub's parser is not installed");
        return None;
    }
    dir
}

/// GitHub's errors for each file, as its output lines (`FILE:LINE:COL: message`); empty when it
/// accepts the file.
pub fn errors(peers: &Path, file: &Path) -> Vec<String> {
    let out = Command::new("node")
        .arg(peers.join("ghparse.mjs"))
        .arg(file)
        .env("PEERS_DIR", peers)
        .output()
        .expect("node runs");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "GitHub's parser failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}
