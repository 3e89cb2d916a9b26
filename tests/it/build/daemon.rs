//! `deploy-action build` against the real daemon: stages, build arguments, labels, the context
//! it sends compared with `docker build`'s, and its errors.

use crate::harness;

use std::collections::BTreeSet;

use harness::docker::{self, ActionsFiles};

#[test]
fn target_stops_at_the_named_stage() {
    let Some(env) = docker::env() else { return };
    let dir = docker::fixture("multistage");
    let files = ActionsFiles::new();
    let image = format!("{}/build-tests/target", env.registry);
    let out = docker::build_cmd(&env, dir.path(), &docker::fake_sha(), &files)
        .args(["--image", &image, "--target", "test", "--format", "json"])
        .output()
        .expect("run");
    let result = docker::json_result(&out);
    let id = result["image_id"].as_str().expect("image_id");
    let listing = docker::run_in(&env, id, "cat /stage; ls /app 2>&1 || true");
    assert!(listing.starts_with("test\n"), "{listing}");
    assert!(
        listing.contains("No such file"),
        "the release stage's /app exists: {listing}"
    );
}

#[test]
fn build_args_reach_the_image() {
    let Some(env) = docker::env() else { return };
    let dir = docker::fixture("multistage");
    let files = ActionsFiles::new();
    let image = format!("{}/build-tests/args", env.registry);
    let out = docker::build_cmd(&env, dir.path(), &docker::fake_sha(), &files)
        .args(["--image", &image, "--format", "json"])
        .args([
            "--build-arg",
            "VERSION=9.8.7",
            "--build-arg",
            "GREETING=hi there",
        ])
        .output()
        .expect("run");
    let result = docker::json_result(&out);
    let id = result["image_id"].as_str().expect("image_id");
    let text = docker::run_in(&env, id, "cat /greeting /stage; ls /app");
    assert_eq!(text, "hi there\nrelease 9.8.7\nconfig.txt\nmain.sh\n");
}

#[test]
fn labels_are_on_the_image() {
    let Some(env) = docker::env() else { return };
    let dir = docker::fixture("multistage");
    let files = ActionsFiles::new();
    let sha = docker::fake_sha();
    let image = format!("{}/build-tests/labels", env.registry);
    let out = docker::build_cmd(&env, dir.path(), &sha, &files)
        .args([
            "--image",
            &image,
            "--format",
            "json",
            "--label",
            "team=core",
        ])
        .output()
        .expect("run");
    let result = docker::json_result(&out);
    let tag = format!("{image}:sha-{}", &sha[..7]);
    let labels = docker::labels(&env, &tag);
    let get = |k: &str| labels.get(k).map(String::as_str);
    assert_eq!(get("org.opencontainers.image.revision"), Some(sha.as_str()));
    assert_eq!(
        get("org.opencontainers.image.source"),
        Some("https://github.com/org/app")
    );
    assert_eq!(get("org.opencontainers.image.version"), Some("main"));
    assert_eq!(get("team"), Some("core"));
    assert_eq!(
        get("dev.deploy-action.context-digest"),
        result["context_digest"].as_str()
    );
    assert_eq!(
        get("dev.deploy-action.build-key"),
        result["build_key"].as_str()
    );
    // The step outputs carry the same facts.
    let output = ActionsFiles::read(&files.output());
    assert!(output.contains(&format!("{tag}\n")), "{output}");
    assert!(output.contains("team=core\n"), "{output}");
    let context_digest = result["context_digest"].as_str().expect("digest");
    assert!(output.contains("context-digest<<") && output.contains(context_digest));
    assert!(!result["reused"].as_bool().expect("reused"));
}

/// What `COPY . /ctx/` put in the image, as sorted paths.
fn ctx_listing(env: &docker::DockerEnv, image: &str) -> BTreeSet<String> {
    docker::run_in(env, image, "cd /ctx && find . | sort")
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn context_matches_what_docker_build_sends() {
    let Some(env) = docker::env() else { return };
    let dir = docker::fixture("context-set");
    // What git cannot hold: an empty directory and a symlink.
    std::fs::create_dir_all(dir.path().join("empty/inner")).expect("mkdir");
    std::os::unix::fs::symlink("src/a.txt", dir.path().join("link")).expect("symlink");
    let files = ActionsFiles::new();
    let image = format!("{}/build-tests/context", env.registry);
    let out = docker::build_cmd(&env, dir.path(), &docker::fake_sha(), &files)
        .args(["--image", &image, "--format", "json", "--rebuild"])
        .output()
        .expect("run");
    let ours = docker::json_result(&out)["image_id"]
        .as_str()
        .expect("image_id")
        .to_owned();

    let reference = format!(
        "deploy-action-test/context-reference:{}",
        &docker::nonce()[..12]
    );
    let path = dir.path().to_str().expect("utf-8 path");
    let cli = docker::docker_cli(&env.host, &["build", "-q", "-t", &reference, path]);
    assert!(
        cli.status.success(),
        "docker build failed: {}",
        String::from_utf8_lossy(&cli.stderr)
    );
    let theirs = ctx_listing(&env, &reference);
    assert_eq!(ctx_listing(&env, &ours), theirs);
    // The fixture's rules did take effect.
    for kept in [
        "./src/nested/deeper/keep.txt",
        "./secrets/public.pem",
        "./README.md",
        "./link",
    ] {
        assert!(theirs.contains(kept), "{kept} missing: {theirs:?}");
    }
    for gone in [
        "./build",
        "./secrets/private.key",
        "./src/b.tmp",
        "./NOTES.md",
        "./top.tmp",
    ] {
        assert!(!theirs.contains(gone), "{gone} present: {theirs:?}");
    }
    let _ = docker::docker_cli(&env.host, &["rmi", &reference]);
}

#[test]
fn an_unreachable_daemon_exits_4_with_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").expect("write");
    let files = ActionsFiles::new();
    let env = docker::DockerEnv {
        host: format!("unix://{}/no-daemon.sock", dir.path().display()),
        registry: "127.0.0.1:5000".into(),
        base_image: String::new(),
    };
    let out = docker::build_cmd(&env, dir.path(), &docker::fake_sha(), &files)
        .args(["--image", "127.0.0.1:5000/x/y"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].starts_with(&format!(
            "error: cannot reach the Docker daemon at {} (",
            env.host
        )),
        "{stderr}"
    );
    assert!(
        errors[0]
            .ends_with("start it, or point DOCKER_HOST or --docker-context at a daemon that runs"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_dockerfile_syntax_error_exits_1_and_shows_the_line() {
    let Some(env) = docker::env() else { return };
    for builder in ["buildkit", "classic"] {
        let dir = docker::fixture("broken");
        let files = ActionsFiles::new();
        let out = docker::build_cmd(&env, dir.path(), &docker::fake_sha(), &files)
            .args(["--image", &format!("{}/build-tests/broken", env.registry)])
            .args(["--builder", builder])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(1), "{builder}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("error: Dockerfile syntax error at line 3 `RUNN echo oops`"),
            "{builder}: {stderr}"
        );
        assert!(
            stderr.contains("unknown instruction"),
            "{builder}: {stderr}"
        );
    }
}

#[test]
fn a_failing_step_exits_1_and_names_the_step() {
    let Some(env) = docker::env() else { return };
    for builder in ["classic", "buildkit"] {
        let dir = docker::fixture("failing");
        let files = ActionsFiles::new();
        let out = docker::build_cmd(&env, dir.path(), &docker::fake_sha(), &files)
            .args(["--image", &format!("{}/build-tests/failing", env.registry)])
            .args(["--builder", builder])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(1), "{builder}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        // The step's own output is streamed, inside a log group, before the error.
        assert!(stderr.contains("::group::docker build"), "{stderr}");
        let error = stderr
            .split_once("\nerror: ")
            .map(|(_, e)| e)
            .expect("an error line");
        if builder == "classic" {
            assert!(stderr.contains("about to fail\n"), "{stderr}");
            assert!(error.contains("at step 3/"), "{error}");
            assert!(error.contains("returned a non-zero code: 3"), "{error}");
        } else {
            // BuildKit's plain progress: the step, its output with the time, the error.
            assert!(
                stderr.contains("] RUN echo about to fail && exit 3\n"),
                "{stderr}"
            );
            assert!(stderr.contains(" about to fail\n"), "{stderr}");
            assert!(
                error.starts_with("build failed at Dockerfile:3 "),
                "{error}"
            );
            assert!(error.contains("exit code: 3"), "{error}");
            assert!(
                error.contains("last output of the step:\n  | about to fail"),
                "{error}"
            );
        }
        assert!(
            error.contains("`RUN echo about to fail && exit 3`"),
            "{error}"
        );
        assert!(ActionsFiles::read(&files.output()).is_empty());
    }
}
