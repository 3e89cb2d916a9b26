//! The Docker target end to end on the test daemon: a healthy image goes live on the published
//! port; a broken one fails its deployment while the old container keeps serving; the daemon
//! can be named by a Docker context, as for `build`.

use crate::harness;

use harness::bin;
use harness::docker::{daemon_host as docker_host, docker_ok as docker};

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

/// Builds `tag` from the harness's busybox, with or without a /www/health file.
fn build(host: &str, dir: &std::path::Path, tag: &str, healthy: bool) {
    let ctx = dir.join(tag.replace([':', '/'], "_"));
    std::fs::create_dir_all(ctx.join("www")).expect("mkdir");
    std::fs::write(ctx.join("www/index.html"), tag).expect("write");
    if healthy {
        std::fs::write(ctx.join("www/health"), "ok\n").expect("write");
    }
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM deploy-action-test/busybox:latest\nCOPY www /www\nCMD [\"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n",
    )
    .expect("write");
    docker(
        host,
        &["build", "-q", "-t", tag, ctx.to_str().expect("utf-8")],
    );
}

fn get(url: &str) -> String {
    let out = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", url])
        .output()
        .expect("curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn deploy(host: &str, dir: &std::path::Path, image: &str) -> std::process::Output {
    bin()
        .current_dir(dir)
        .env("DOCKER_HOST", host)
        .args(["deploy", "-e", "staging", "--image", image, "--sha", SHA])
        .args([
            "--target",
            "docker",
            "--publish",
            "18181:8080",
            "--health-timeout",
            "10s",
        ])
        .output()
        .expect("deploy runs")
}

#[test]
fn healthy_image_goes_live_and_broken_one_leaves_the_old_serving() {
    let Some(host) = docker_host() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    build(&host, dir.path(), "deploy-action-test/web:good", true);
    build(&host, dir.path(), "deploy-action-test/web:broken", false);
    clean(&host);

    let out = deploy(&host, dir.path(), "deploy-action-test/web:good");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(get("http://127.0.0.1:18181/health"), "200");

    let out = deploy(&host, dir.path(), "deploy-action-test/web:broken");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        get("http://127.0.0.1:18181/health"),
        "200",
        "old container still serves"
    );
    let running = docker(&host, &["ps", "--format", "{{.Names}}"]);
    assert!(
        !running.contains("deploy-action-web-staging-next"),
        "candidate removed: {running}"
    );

    let out = bin()
        .current_dir(dir.path())
        .args(["history", "staging", "--format", "json"])
        .output()
        .expect("history");
    let h: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let states: Vec<_> = h["deployments"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["state"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(states, ["failure", "success"]);
    let digest = h["deployments"][1]["digest"].as_str().unwrap_or_default();
    assert!(digest.starts_with("sha256:"), "{digest}");

    clean(&host);
}

#[test]
fn a_docker_context_names_the_daemon_the_container_runs_on() {
    let Some(host) = docker_host() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let image = "deploy-action-test/web-context:good";
    build(&host, dir.path(), image, true);
    clean_service(&host, "deploy-action-web-context-staging");
    // No DOCKER_HOST (`bin` removes DOCKER_*): only the context leads to the test daemon.
    let config = tempfile::tempdir().expect("tempdir");
    harness::remote_daemons::write_context(config.path(), "test-daemon", &host, None);
    let deploy_in = |context: &str| {
        bin()
            .current_dir(dir.path())
            .env("DOCKER_CONFIG", config.path())
            .args(["deploy", "-e", "staging", "--image", image, "--sha", SHA])
            .args(["--target", "docker", "--publish", "18182:8080"])
            .args(["--health-timeout", "10s", "--docker-context", context])
            .output()
            .expect("deploy runs")
    };

    let out = deploy_in("no-such-context");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no-such-context"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");

    let out = deploy_in("test-daemon");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(get("http://127.0.0.1:18182/health"), "200");
    let running = docker(&host, &["ps", "--format", "{{.Names}}"]);
    assert!(
        running.contains("deploy-action-web-context-staging"),
        "{running}"
    );
    clean_service(&host, "deploy-action-web-context-staging");
}

/// Removes the test's container, its candidate, load balancer and network.
fn clean(host: &str) {
    clean_service(host, "deploy-action-web-staging");
}

/// Removes the container `c`, its candidate, load balancer and network.
fn clean_service(host: &str, c: &str) {
    let _ = std::process::Command::new("docker")
        .args(["-H", host, "rm", "-f", c])
        .args([
            format!("{c}-next"),
            format!("{c}-lb"),
            format!("{c}-prev"),
            format!("{c}-old"),
        ])
        .output();
    let _ = std::process::Command::new("docker")
        .args(["-H", host, "network", "rm", &format!("{c}-net")])
        .output();
}
