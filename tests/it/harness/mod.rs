//! Shared test helpers: where `../shared` is, and a command with the environment scrubbed.

#![allow(clippy::print_stderr)]

pub mod act;
pub mod action_harness;
pub mod auth_registry;
pub mod daemon_users;
pub mod docker;
pub mod fake_github;
pub mod faults;
pub mod ghparse;
pub mod lint;
pub mod memory;
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

/// Whether a child inherits `name`: the variables that change what the CLI does in CI, in
/// Actions or against Docker never leak from the shell running the tests; a test that needs one
/// sets it on the command.
fn scrubbed(name: &str) -> bool {
    name == "CI"
        || name == "NO_COLOR"
        || ["GITHUB_", "RUNNER_", "ACTIONS_", "DOCKER_"]
            .iter()
            .any(|p| name.starts_with(p))
}

/// Removes the [`scrubbed`] variables of this process from `cmd`'s environment.
pub fn scrub(cmd: &mut std::process::Command) -> &mut std::process::Command {
    for (k, _) in std::env::vars_os() {
        if k.to_str().is_some_and(scrubbed) {
            cmd.env_remove(&k);
        }
    }
    cmd
}

/// The built binary as a plain `std::process::Command`, for tests that spawn, signal or kill
/// it: the environment scrubbed as for [`bin`].
pub fn bin_command() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_deploy-action"));
    scrub(&mut cmd).env("DEPLOY_ACTION_BALANCER_IMAGE", balancer_image());
    cmd
}

/// The built binary, with CI, NO_COLOR, GITHUB_*, RUNNER_*, ACTIONS_* and DOCKER_* variables
/// removed, and the docker target's load balancer image set to the test environment's HAProxy
/// (nothing pulls from Docker Hub).
pub fn bin() -> assert_cmd::Command {
    assert_cmd::Command::from_std(bin_command())
}

/// The load balancer image `scripts/test-env.sh up` imports from Debian's haproxy.
pub fn balancer_image() -> String {
    std::env::var("DEPLOY_ACTION_TEST_HAPROXY_IMAGE")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "deploy-action-test/haproxy:latest".into())
}

/// How long a test waits for a child or a condition before it fails: long enough for a loaded
/// 2-core CI machine, short enough that a hang is a failure, not a stuck run.
pub const WAIT_DEADLINE: std::time::Duration = std::time::Duration::from_secs(180);

/// Polls `ready` until it holds; panics naming `what` once `deadline` has passed.
pub fn wait_until(what: &str, deadline: std::time::Duration, mut ready: impl FnMut() -> bool) {
    let started = std::time::Instant::now();
    while !ready() {
        assert!(
            started.elapsed() < deadline,
            "{what}: not within {deadline:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// `child.wait_with_output()` with a deadline: past it the child is killed and the test fails.
pub fn output_within(
    child: std::process::Child,
    deadline: std::time::Duration,
) -> std::process::Output {
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(deadline) {
        Ok(out) => out.expect("wait for the child"),
        Err(_) => {
            if let Ok(pid) = i32::try_from(pid) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            panic!("child {pid} still running after {deadline:?}; killed");
        }
    }
}
