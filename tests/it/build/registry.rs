//! `deploy-action build --push` against real registries: tags and digests as the registry
//! sees them, build avoidance, refused credentials, and the password never leaking.

use crate::harness;

use std::path::Path;
use std::process::Command;

use harness::auth_registry::AuthRegistry;
use harness::docker::{self, ActionsFiles, DockerEnv};

fn repository(env: &DockerEnv, image: &str) -> String {
    image
        .strip_prefix(&format!("{}/", env.registry))
        .expect("image on the test registry")
        .to_owned()
}

#[test]
fn pushed_tags_are_listed_and_the_digest_is_the_registrys() {
    let Some(env) = docker::env() else { return };
    let dir = docker::fixture("multistage");
    let files = ActionsFiles::new();
    let sha = docker::fake_sha();
    let image = format!(
        "{}/build-tests/push-{}",
        env.registry,
        &docker::nonce()[..8]
    );
    let out = docker::build_cmd(&env, dir.path(), &sha, &files)
        .args(["--image", &image, "--push", "--format", "json"])
        .output()
        .expect("run");
    let result = docker::json_result(&out);
    let repo = repository(&env, &image);

    let mut listed = docker::registry_tags(&env.registry, &repo);
    listed.sort();
    let mut want = vec![format!("sha-{}", &sha[..7]), sha.clone(), "main".to_owned()];
    want.sort();
    assert_eq!(listed, want);

    let digest = result["digest"].as_str().expect("digest");
    for tag in &want {
        assert_eq!(
            docker::registry_digest(&env.registry, &repo, tag).as_deref(),
            Some(digest),
            "{tag}"
        );
    }
    assert_eq!(result["image"], format!("{image}@{digest}"));
    let output = ActionsFiles::read(&files.output());
    assert!(output.contains(&format!("\n{digest}\n")), "{output}");
    assert!(
        output.contains(&format!("\n{image}@{digest}\n")),
        "{output}"
    );
    let summary = ActionsFiles::read(&files.summary());
    assert!(
        summary.contains(&format!("| Digest | `{digest}` |")),
        "{summary}"
    );
}

#[test]
fn an_unchanged_context_is_reused_not_rebuilt() {
    let Some(env) = docker::env() else { return };
    let dir = docker::fixture("multistage");
    let image = format!(
        "{}/build-tests/reuse-{}",
        env.registry,
        &docker::nonce()[..8]
    );
    let run = |sha: &str, extra: &[&str]| {
        let files = ActionsFiles::new();
        let out = docker::build_cmd(&env, dir.path(), sha, &files)
            .args(["--image", &image, "--push", "--format", "json"])
            .args(extra)
            .output()
            .expect("run");
        (
            docker::json_result(&out),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (first, log) = run(&docker::fake_sha(), &[]);
    assert_eq!(first["reused"], false);
    assert!(
        docker::log_shows_a_build(&log),
        "the first run builds: {log}"
    );

    // A new commit with the same content: retagged, not rebuilt; same digest.
    let second_sha = docker::fake_sha();
    let (second, log) = run(&second_sha, &[]);
    assert_eq!(second["reused"], true, "{log}");
    assert_eq!(second["reused_from"], "daemon");
    assert!(!docker::log_shows_a_build(&log), "no daemon build: {log}");
    assert_eq!(second["image_id"], first["image_id"]);
    assert_eq!(second["digest"], first["digest"]);
    let tags = docker::registry_tags(&env.registry, &repository(&env, &image));
    assert!(
        tags.contains(&format!("sha-{}", &second_sha[..7])),
        "{tags:?}"
    );

    // A different build argument is a different build.
    let (third, _) = run(&docker::fake_sha(), &["--build-arg", "VERSION=2"]);
    assert_eq!(third["reused"], false);
    assert_ne!(third["image_id"], first["image_id"]);

    // --rebuild forces a build even though the key matches.
    let (forced, log) = run(&docker::fake_sha(), &["--rebuild"]);
    assert_eq!(forced["reused"], false);
    assert!(docker::log_shows_a_build(&log), "{log}");
}

#[test]
fn an_image_only_in_the_registry_is_pulled_and_reused() {
    let Some(env) = docker::env() else { return };
    let dir = docker::fixture("multistage");
    let image = format!(
        "{}/build-tests/remote-{}",
        env.registry,
        &docker::nonce()[..8]
    );
    let sha = docker::fake_sha();
    let files = ActionsFiles::new();
    let out = docker::build_cmd(&env, dir.path(), &sha, &files)
        .args(["--image", &image, "--push", "--format", "json"])
        .output()
        .expect("run");
    let first = docker::json_result(&out);
    let id = first["image_id"].as_str().expect("id");
    let removed = docker::docker_cli(&env.host, &["rmi", "--force", id]);
    assert!(
        removed.status.success(),
        "{}",
        String::from_utf8_lossy(&removed.stderr)
    );

    // The same commit again: its sha-<7> tag in the registry carries the build key.
    let files = ActionsFiles::new();
    let out = docker::build_cmd(&env, dir.path(), &sha, &files)
        .args(["--image", &image, "--push", "--format", "json"])
        .output()
        .expect("run");
    let second = docker::json_result(&out);
    assert_eq!(second["reused_from"], "registry");
    assert_eq!(second["image_id"], first["image_id"]);
    assert_eq!(second["digest"], first["digest"]);
}

fn build_with_password(
    env: &DockerEnv,
    dir: &Path,
    image: &str,
    user: &str,
    password: &str,
    files: &ActionsFiles,
) -> std::process::Output {
    let mut cmd = docker::build_cmd(env, dir, &docker::fake_sha(), files);
    cmd.args(["--image", image, "--push", "--registry-username", user])
        .arg("--registry-password-stdin")
        .write_stdin(format!("{password}\n"));
    cmd.output().expect("run")
}

#[test]
fn refused_credentials_exit_4_and_good_ones_push() {
    let Some(env) = docker::env() else { return };
    let registry = AuthRegistry::start("ci", "right-password");
    let dir = docker::fixture("multistage");
    let image = format!("{}/build-tests/auth", registry.addr);

    let files = ActionsFiles::new();
    let out = build_with_password(&env, dir.path(), &image, "ci", "wrong-password", &files);
    assert_eq!(out.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .expect("an error line");
    assert!(
        error.contains(&format!(
            "registry {} refused access to build-tests/auth",
            registry.addr
        )),
        "{error}"
    );
    assert!(error.contains("--registry-password-stdin"), "{error}");
    assert!(!stderr.contains("wrong-password"), "{stderr}");

    let files = ActionsFiles::new();
    let out = build_with_password(&env, dir.path(), &image, "ci", "right-password", &files);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_registry_password_never_reaches_logs_or_outputs() {
    let Some(env) = docker::env() else { return };
    let canary = format!("canary-{}", docker::nonce());
    let dir = docker::fixture("multistage");
    let files = ActionsFiles::new();
    // A registry without authentication accepts any credentials, so the build succeeds.
    let image = format!("{}/build-tests/canary", env.registry);
    let out = build_with_password(&env, dir.path(), &image, "someone", &canary, &files);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut lines = stdout.lines();
    // Masked first, before anything that could contain it.
    assert_eq!(lines.next(), Some(format!("::add-mask::{canary}").as_str()));
    for line in lines {
        assert!(!line.contains(&canary), "stdout leaks it: {line}");
    }
    assert!(!String::from_utf8_lossy(&out.stderr).contains(&canary));
    assert!(!ActionsFiles::read(&files.output()).contains(&canary));
    assert!(!ActionsFiles::read(&files.summary()).contains(&canary));

    // Also with the JSON format and outside Actions (no mask line at all).
    let mut cmd = harness::bin();
    cmd.current_dir(dir.path())
        .args(["build", "--image", &image, "--push", "--format", "json"])
        .args([
            "--registry-username",
            "someone",
            "--registry-password-stdin",
        ])
        .env("DOCKER_HOST", &env.host)
        .env("DOCKER_CONFIG", files.docker_config())
        .env("GITHUB_SHA", docker::fake_sha())
        .write_stdin(canary.clone());
    // Outside Actions the commit comes from git; give it a repository.
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("git")
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "fixture"]);
    let out = cmd.output().expect("run");
    let all = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&all));
    assert!(!String::from_utf8_lossy(&all).contains(&canary));
}

#[test]
fn credentials_come_from_the_docker_config() {
    let Some(env) = docker::env() else { return };
    let registry = AuthRegistry::start("ci", "from-config");
    let dir = docker::fixture("multistage");
    let image = format!("{}/build-tests/config-auth", registry.addr);
    let push = |files: &ActionsFiles, path: &str| {
        let mut cmd = docker::build_cmd(&env, dir.path(), &docker::fake_sha(), files);
        cmd.args(["--image", &image, "--push"]).env("PATH", path);
        cmd.output().expect("run")
    };
    let system_path = std::env::var("PATH").unwrap_or_default();

    // `auths`: base64 of user:password, as `docker login` writes it.
    let files = ActionsFiles::new();
    std::fs::create_dir_all(files.docker_config()).expect("mkdir");
    let config = format!(
        r#"{{"auths":{{"{}":{{"auth":"Y2k6ZnJvbS1jb25maWc="}}}}}}"#,
        registry.addr
    );
    std::fs::write(files.docker_config().join("config.json"), config).expect("config");
    let out = push(&files, &system_path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // `credHelpers`: a docker-credential-<name> program on PATH answers `get`.
    let files = ActionsFiles::new();
    let bin_dir = files.dir.path().join("bin");
    std::fs::create_dir_all(&bin_dir).expect("mkdir");
    std::fs::create_dir_all(files.docker_config()).expect("mkdir");
    let helper = bin_dir.join("docker-credential-fake");
    std::fs::write(
        &helper,
        "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread server\n\
         printf '{\"ServerURL\":\"%s\",\"Username\":\"ci\",\"Secret\":\"from-config\"}' \"$server\"\n",
    )
    .expect("helper");
    std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let config = format!(r#"{{"credHelpers":{{"{}":"fake"}}}}"#, registry.addr);
    std::fs::write(files.docker_config().join("config.json"), config).expect("config");
    let out = push(&files, &format!("{}:{system_path}", bin_dir.display()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("from-config"));
}
