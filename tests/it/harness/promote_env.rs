//! Helpers of the promotion end-to-end tests: small HTTP service images made from the harness's
//! busybox and pushed to the test registry, and the commands that deploy and promote them.

#![allow(clippy::print_stderr)]

use std::path::Path;
use std::process::Output;

use crate::harness::bin;
use crate::harness::docker::{DockerEnv, docker_cli, registry_digest};

/// Builds an image serving `files` (path → content) with busybox httpd on port 8080, pushes it
/// as `REGISTRY/repo:tag` and returns its registry digest.
pub fn build_push(
    env: &DockerEnv,
    dir: &Path,
    repo: &str,
    tag: &str,
    files: &[(&str, &str)],
) -> String {
    let ctx = dir.join(format!("ctx-{tag}"));
    std::fs::create_dir_all(ctx.join("www")).expect("mkdir");
    for (path, content) in files {
        std::fs::write(ctx.join("www").join(path), content).expect("write");
    }
    std::fs::write(
        ctx.join("Dockerfile"),
        format!(
            "FROM {}\nCOPY www /www\nCMD [\"sh\", \"-c\", \"trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait\"]\n",
            env.base_image
        ),
    )
    .expect("write");
    let reference = format!("{}/{repo}:{tag}", env.registry);
    let ok = |o: Output, what: &str| {
        assert!(
            o.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    ok(
        docker_cli(
            &env.host,
            &[
                "build",
                "-q",
                "-t",
                &reference,
                ctx.to_str().expect("utf-8"),
            ],
        ),
        "docker build",
    );
    ok(docker_cli(&env.host, &["push", &reference]), "docker push");
    registry_digest(&env.registry, repo, tag).expect("pushed digest")
}

/// A command in `dir` talking to the test daemon.
pub fn cmd(env: &DockerEnv, dir: &Path) -> assert_cmd::Command {
    let mut c = bin();
    c.current_dir(dir).env("DOCKER_HOST", &env.host);
    c
}

/// Asserts the exit status, printing stderr when it differs.
pub fn expect_code(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The digest label of a running container (set by the docker target).
pub fn container_digest(env: &DockerEnv, name: &str) -> String {
    let o = docker_cli(
        &env.host,
        &[
            "inspect",
            "--format",
            "{{index .Config.Labels \"deploy-action.digest\"}}|{{.Image}}",
            name,
        ],
    );
    assert!(
        o.status.success(),
        "inspect {name}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

/// Removes containers, ignoring those that do not exist, with the docker target's load balancer
/// (`NAME-lb`), candidate (`NAME-next`) and network (`NAME-net`) of each.
pub fn remove_containers(env: &DockerEnv, names: &[&str]) {
    let mut all: Vec<String> = Vec::new();
    for n in names {
        all.extend([
            (*n).to_owned(),
            format!("{n}-lb"),
            format!("{n}-next"),
            format!("{n}-prev"),
            format!("{n}-old"),
        ]);
    }
    let mut args = vec!["rm", "-f"];
    args.extend(all.iter().map(String::as_str));
    let _ = docker_cli(&env.host, &args);
    let nets: Vec<String> = names.iter().map(|n| format!("{n}-net")).collect();
    let mut args = vec!["network", "rm"];
    args.extend(nets.iter().map(String::as_str));
    let _ = docker_cli(&env.host, &args);
}

/// `history ENV --format json` states, newest first.
pub fn states(
    env: &DockerEnv,
    dir: &Path,
    environment: &str,
    extra: &[(&str, String)],
) -> Vec<String> {
    let mut c = cmd(env, dir);
    for (k, v) in extra {
        c.env(k, v);
    }
    let out = c
        .args(["history", environment, "--format", "json"])
        .output()
        .expect("history");
    let h: serde_json::Value = serde_json::from_slice(&out.stdout).expect("history json");
    h["deployments"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["state"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A policy for the staging URL `staging` and production URL `production`.
pub fn policy(staging: &str, production: &str) -> String {
    format!(
        r#"from: staging
to: production
gates:
  deployed: true
  same_digest: true
  soak: 1s
  health:
    url: {staging}/health
    status: 200
    retries: 3
    interval: 500ms
    json: {{ path: status, equals: ok }}
  smoke:
    - {{ url: "{staging}/", status: 200, body_contains: "app", max_latency: 2s, samples: 3 }}
verify:
  window: 2s
  interval: 1s
  health: {{ url: "{production}/ready", retries: 2, interval: 500ms }}
"#
    )
}
