//! Shared test helpers: where `../shared` is, and a command with the environment scrubbed.

#![allow(dead_code, clippy::print_stderr)]

pub mod action_harness;
pub mod auth_registry;
pub mod docker;
pub mod fake_github;
pub mod ghparse;
pub mod remote_daemons;

use std::path::PathBuf;

/// The shared material beside the checkout (`../shared`), or `None` when it is absent and we are
/// not in CI. In CI (CI=true) its absence fails the test instead of skipping it.
pub fn shared() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if p.is_dir() {
        return Some(p);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("../shared is missing; CI needs it beside the checkout");
    }
    eprintln!("skipping: ../shared not found");
    None
}

/// The built binary, with CI, GITHUB_* and RUNNER_* variables removed.
pub fn bin() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("deploy-action").expect("binary");
    for (k, _) in std::env::vars() {
        if k == "CI" || k.starts_with("GITHUB_") || k.starts_with("RUNNER_") || k == "NO_COLOR" {
            cmd.env_remove(&k);
        }
    }
    cmd
}
