//! `deploy-action build` when its real parts fail: a registry answering 5xx (transiently, then
//! for good) behind a fault-injecting proxy, and a daemon that goes away mid-build behind a
//! unix-socket proxy that cuts the connection (the shared daemon itself keeps running).

use crate::harness;
use crate::harness::faults;

use std::path::Path;

use faults::{DaemonCutter, Fault, RegistryProxy};
use harness::docker::{self, ActionsFiles, DockerEnv};

/// A one-step context whose image no other test builds.
fn context(env: &DockerEnv, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let df = format!(
        "FROM {}\nCOPY nonce.txt /nonce.txt\n{extra}",
        env.base_image
    );
    std::fs::write(dir.path().join("Dockerfile"), df).expect("Dockerfile");
    std::fs::write(dir.path().join("nonce.txt"), docker::nonce()).expect("nonce");
    dir
}

fn error_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.starts_with("error:")).collect()
}

#[test]
fn a_registry_answering_500_then_503_is_retried_and_the_digest_is_the_registrys() {
    let Some(env) = docker::env() else { return };
    let proxy = RegistryProxy::start(
        &env.registry,
        Fault {
            method: "PUT",
            path_contains: "/manifests/",
            answers: vec![500, 503],
            then: None,
        },
    );
    let dir = context(&env, "");
    let repository = format!("build-tests/flaky-{}", &docker::nonce()[..8]);
    let image = format!("{}/{repository}", proxy.host());
    let files = ActionsFiles::new();
    let sha = docker::fake_sha();
    let out = docker::build_cmd(&env, dir.path(), &sha, &files)
        .args(["--image", &image, "--push", "--format", "json"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let result = docker::json_result(&out);
    let seen = proxy.seen();
    assert_eq!(seen.faulted, 2, "{stderr}");
    assert!(seen.forwarded >= 1, "{stderr}");
    assert!(stderr.contains("500 Internal Server Error"), "{stderr}");
    assert!(stderr.contains("503 Service Unavailable"), "{stderr}");
    assert!(
        stderr.matches("failed (").count() >= 2 && stderr.contains("retrying in"),
        "{stderr}"
    );
    // Behind the proxy is the real registry: ask it directly.
    let tag = format!("sha-{}", &sha[..7]);
    let served = docker::registry_digest(&env.registry, &repository, &tag).expect("tag pushed");
    assert_eq!(result["digest"].as_str(), Some(served.as_str()));
}

#[test]
fn a_registry_that_keeps_failing_exits_4_after_bounded_retries() {
    let Some(env) = docker::env() else { return };
    let proxy = RegistryProxy::start(
        &env.registry,
        Fault {
            method: "PUT",
            path_contains: "/manifests/",
            answers: vec![],
            then: Some(500),
        },
    );
    let dir = context(&env, "");
    let image = format!(
        "{}/build-tests/down-{}",
        proxy.host(),
        &docker::nonce()[..8]
    );
    let files = ActionsFiles::new();
    let out = docker::build_cmd(&env, dir.path(), &docker::fake_sha(), &files)
        .args(["--image", &image, "--push"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    let errors = error_lines(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains(&image), "{}", errors[0]);
    assert!(
        errors[0].contains("500 Internal Server Error"),
        "{}",
        errors[0]
    );
    // The default policy: four attempts, three waits, then it gives up.
    assert_eq!(proxy.seen().faulted, 4, "{stderr}");
    assert_eq!(stderr.matches("retrying in").count(), 3, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(ActionsFiles::read(&files.output()).is_empty());
}

#[test]
fn a_daemon_gone_mid_build_exits_4_with_one_line() {
    let Some(env) = docker::env() else { return };
    let Some(daemon_socket) = env.host.strip_prefix("unix://") else {
        panic!(
            "this test needs a unix-socket DOCKER_HOST, not {}",
            env.host
        );
    };
    // The classic builder's log is text, so the step's echo shows the cut point; BuildKit's
    // status travels as base64 protobuf, so its first status message is the cut point (the
    // `sleep 60` step is then still ahead).
    let marker = format!("cut-here-{}", &docker::nonce()[..8]);
    for (builder, cut_at) in [
        ("classic", marker.as_str()),
        ("buildkit", "moby.buildkit.trace"),
    ] {
        let dir = context(&env, &format!("RUN echo {marker} && sleep 60\n"));
        let sockets = tempfile::tempdir().expect("tempdir");
        let cutter = DaemonCutter::start(
            &sockets.path().join("docker.sock"),
            Path::new(daemon_socket),
            cut_at,
        );
        let cut_env = DockerEnv {
            host: format!("unix://{}", cutter.socket.display()),
            ..env.clone()
        };
        let files = ActionsFiles::new();
        let out = docker::build_cmd(&cut_env, dir.path(), &docker::fake_sha(), &files)
            .args(["--image", &format!("{}/build-tests/cut", env.registry)])
            .args(["--builder", builder])
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            cutter.was_cut(),
            "{builder}: the build never reached the marker: {stderr}"
        );
        assert_eq!(out.status.code(), Some(4), "{builder}: {stderr}");
        assert_eq!(
            error_lines(&stderr),
            vec![format!(
                "error: lost the connection to the Docker daemon at {} while it was building \
                 the image; check that it is still running (`docker info`) and run the build \
                 again",
                cut_env.host
            )],
            "{builder}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
}
