//! The Docker test daemon (scripts/test-env.sh): found through DOCKER_HOST or the harness's
//! socket. Missing daemon: the test fails when CI=true and is skipped otherwise.

#![allow(dead_code, clippy::print_stderr)]

use std::path::Path;

/// The harness's daemon socket.
pub const HARNESS_SOCKET: &str = "/tmp/deploy-action-test/docker.sock";

/// The DOCKER_HOST to use, or `None` (skip) when no daemon answers outside CI.
pub fn docker_host() -> Option<String> {
    let host = std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            Path::new(HARNESS_SOCKET)
                .exists()
                .then(|| format!("unix://{HARNESS_SOCKET}"))
        });
    let answered = host.as_ref().is_some_and(|h| {
        std::process::Command::new("docker")
            .args(["-H", h, "version", "--format", "{{.Server.Version}}"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if answered {
        return host;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("no Docker daemon; run `scripts/test-env.sh up` (CI needs it)");
    }
    eprintln!("skipping: no Docker daemon (run scripts/test-env.sh up)");
    None
}

/// Runs the docker CLI against `host`, panicking with its output on failure.
pub fn docker(host: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("docker")
        .arg("-H")
        .arg(host)
        .args(args)
        .output()
        .expect("docker CLI runs");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
