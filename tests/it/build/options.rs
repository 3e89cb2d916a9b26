//! `deploy-action build --platform`, `--cache-from` and `--pull` against the real daemon.

use crate::harness;

use harness::docker::{self, ActionsFiles, DockerEnv};

/// A context whose layers no other test has: a nonce copied in, then a `RUN` on it.
fn context(env: &DockerEnv) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let df = format!(
        "FROM {}\nCOPY nonce.txt /nonce.txt\nRUN echo built-$(cat /nonce.txt) > /built\n",
        env.base_image
    );
    std::fs::write(dir.path().join("Dockerfile"), df).expect("Dockerfile");
    std::fs::write(dir.path().join("nonce.txt"), docker::nonce()).expect("nonce");
    dir
}

/// The daemon's own `os/arch`.
fn daemon_platform(env: &DockerEnv) -> String {
    let out = docker::docker_cli(
        &env.host,
        &["version", "--format", "{{.Server.Os}}/{{.Server.Arch}}"],
    );
    assert!(out.status.success(), "docker version failed");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn inspect(env: &DockerEnv, image: &str, format: &str) -> String {
    let out = docker::docker_cli(&env.host, &["image", "inspect", "--format", format, image]);
    assert!(out.status.success(), "docker image inspect {image} failed");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn the_daemons_own_platform_builds() {
    let Some(env) = docker::env() else { return };
    let platform = daemon_platform(&env);
    let dir = context(&env);
    let files = ActionsFiles::new();
    let image = format!("{}/build-tests/platform", env.registry);
    let out = docker::build_cmd(&env, dir.path(), &docker::fake_sha(), &files)
        .args([
            "--image",
            &image,
            "--platform",
            &platform,
            "--format",
            "json",
        ])
        .output()
        .expect("run");
    let result = docker::json_result(&out);
    let id = result["image_id"].as_str().expect("image_id");
    assert_eq!(inspect(&env, id, "{{.Os}}/{{.Architecture}}"), platform);
}

#[test]
fn a_platform_the_daemon_cannot_build_is_a_clear_error() {
    let Some(env) = docker::env() else { return };
    let own = daemon_platform(&env);
    let foreign = if own == "linux/s390x" {
        "linux/ppc64le"
    } else {
        "linux/s390x"
    };
    for builder in ["classic", "buildkit"] {
        let dir = context(&env);
        let files = ActionsFiles::new();
        let image = format!("{}/build-tests/foreign", env.registry);
        let out = docker::build_cmd(&env, dir.path(), &docker::fake_sha(), &files)
            .args([
                "--image",
                &image,
                "--platform",
                foreign,
                "--builder",
                builder,
            ])
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{builder}: {stderr}");
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{stderr}");
        // The classic builder builds the daemon's platform anyway (caught after the build);
        // BuildKit looks for a base image of that platform and cannot find one.
        let expected = match builder {
            "classic" => format!("built a {own} image although --platform {foreign}"),
            _ => format!("the daemon has no {foreign} image of it and could not pull one"),
        };
        assert!(errors[0].contains(&expected), "{}", errors[0]);
        assert!(out.stdout.is_empty());
        assert!(ActionsFiles::read(&files.output()).is_empty());
    }
}

/// The `Using cache` lines of a build log.
fn cache_hits(stderr: &str) -> usize {
    stderr.matches("Using cache").count()
}

#[test]
fn cache_from_an_earlier_image_reuses_its_layers() {
    let Some(env) = docker::env() else { return };
    let dir = context(&env);
    let image = format!(
        "{}/build-tests/cache-from-{}",
        env.registry,
        &docker::nonce()[..8]
    );
    // The classic builder takes its cache from local images (BuildKit's registry cache is
    // tested in build_buildkit.rs).
    let build = |extra: &[&str]| {
        let files = ActionsFiles::new();
        let out = docker::build_cmd(&env, dir.path(), &docker::fake_sha(), &files)
            .args(["--image", &image, "--format", "json", "--rebuild"])
            .args(["--builder", "classic"])
            .args(extra)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (docker::json_result(&out), stderr)
    };
    let (first, log) = build(&[]);
    assert_eq!(
        cache_hits(&log),
        0,
        "new layers cannot come from cache: {log}"
    );
    let first_id = first["image_id"].as_str().expect("image_id").to_owned();

    // Cache only from an image that does not hold these layers: everything runs again.
    let (_, log) = build(&["--cache-from", &env.base_image]);
    assert_eq!(cache_hits(&log), 0, "{log}");
    assert!(log.contains("Running in"), "{log}");

    // Cache from the first image: the COPY and the RUN come from its layers.
    let (second, log) = build(&["--cache-from", &first_id]);
    assert_eq!(cache_hits(&log), 2, "{log}");
    assert!(!log.contains("Running in"), "{log}");
    let layers = |id: &str| inspect(&env, id, "{{json .RootFS.Layers}}");
    let second_id = second["image_id"].as_str().expect("image_id");
    assert_eq!(layers(second_id), layers(&first_id));
}

#[test]
fn pull_of_a_base_image_that_exists_only_locally_says_why_it_failed() {
    let Some(env) = docker::env() else { return };
    for builder in ["classic", "buildkit"] {
        let dir = context(&env);
        let files = ActionsFiles::new();
        let image = format!("{}/build-tests/pull", env.registry);
        let out = docker::build_cmd(&env, dir.path(), &docker::fake_sha(), &files)
            .args(["--image", &image, "--pull", "--builder", builder])
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{stderr}");
        let place = match builder {
            "classic" => "at step 1/".to_owned(),
            _ => format!(
                "cannot get base image docker.io/{} (Dockerfile line 1)",
                env.base_image
            ),
        };
        assert!(errors[0].contains(&place), "{}", errors[0]);
        assert!(errors[0].contains("drop --pull"), "{}", errors[0]);
    }
}
