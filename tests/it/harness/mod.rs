//! Shared test helpers: where `../shared` is, and a command with the environment scrubbed.

#![allow(dead_code, clippy::print_stderr)]

pub mod act;
pub mod action_harness;
pub mod auth_registry;
pub mod docker;
pub mod docker_env;
pub mod fake_github;
pub mod faults;
pub mod ghparse;
pub mod promote_env;
pub mod promote_local;
pub mod remote_daemons;
pub mod workflow_runner;

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

/// The built binary, with CI, GITHUB_* and RUNNER_* variables removed, and the docker target's
/// load balancer image set to the test environment's HAProxy (nothing pulls from Docker Hub).
pub fn bin() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("deploy-action").expect("binary");
    for (k, _) in std::env::vars() {
        if k == "CI" || k.starts_with("GITHUB_") || k.starts_with("RUNNER_") || k == "NO_COLOR" {
            cmd.env_remove(&k);
        }
    }
    cmd.env("DEPLOY_ACTION_BALANCER_IMAGE", balancer_image());
    cmd
}

/// The load balancer image `scripts/test-env.sh up` imports from Debian's haproxy.
pub fn balancer_image() -> String {
    std::env::var("DEPLOY_ACTION_TEST_HAPROXY_IMAGE")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "deploy-action-test/haproxy:latest".into())
}
