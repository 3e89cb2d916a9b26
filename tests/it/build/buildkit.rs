//! `deploy-action build` on the daemon's built-in BuildKit, against the real daemon and
//! registry: cache mounts, secrets, `COPY --chmod`, the inline cache round trip, several
//! platforms in one OCI index, `# syntax=` offline, and the errors of bad flags.

use crate::harness;

use std::path::Path;

use harness::docker::{self, ActionsFiles, DockerEnv};

/// A fresh context with `dockerfile` and the named files.
fn context(dockerfile: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("Dockerfile"), dockerfile).expect("Dockerfile");
    for (name, body) in files {
        std::fs::write(dir.path().join(name), body).expect("file");
    }
    dir
}

/// Runs `build` in `dir` with `args`; returns (exit code, stdout, stderr).
fn build(
    env: &DockerEnv,
    dir: &Path,
    files: &ActionsFiles,
    args: &[&str],
) -> (i32, String, String) {
    let out = docker::build_cmd(env, dir, &docker::fake_sha(), files)
        .args(args)
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(stdout: &str, stderr: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"))
}

/// The `error:` lines of a log.
fn errors(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.starts_with("error:")).collect()
}

#[test]
fn a_cache_mount_is_kept_between_builds() {
    let Some(env) = docker::env() else { return };
    let id = docker::nonce();
    let df = format!(
        "FROM {}\nARG RUN_NO\nRUN --mount=type=cache,id={id},target=/cache \
         if [ -f /cache/seen ]; then echo run $RUN_NO saw-cache-$(cat /cache/seen); \
         else echo run $RUN_NO fresh-cache; echo $RUN_NO > /cache/seen; fi\n",
        env.base_image
    );
    let dir = context(&df, &[]);
    let image = format!("{}/build-tests/cache-mount", env.registry);
    let files = ActionsFiles::new();
    let (code, _, first) = build(
        &env,
        dir.path(),
        &files,
        &["--image", &image, "--build-arg", "RUN_NO=1"],
    );
    assert_eq!(code, 0, "{first}");
    assert!(first.contains("run 1 fresh-cache"), "{first}");
    let (code, stdout, second) = build(
        &env,
        dir.path(),
        &files,
        &[
            "--image",
            &image,
            "--build-arg",
            "RUN_NO=2",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{second}");
    assert!(second.contains("run 2 saw-cache-1"), "{second}");
    assert_eq!(json(&stdout, &second)["builder"], "buildkit");
}

#[test]
fn copy_chmod_sets_the_mode() {
    let Some(env) = docker::env() else { return };
    let df = format!(
        "FROM {}\nCOPY --chmod=0750 tool.sh /tool.sh\nCOPY --chmod=600 secret.txt /s.txt\n",
        env.base_image
    );
    let dir = context(
        &df,
        &[("tool.sh", "echo hi\n"), ("secret.txt", &docker::nonce())],
    );
    let files = ActionsFiles::new();
    let image = format!("{}/build-tests/chmod", env.registry);
    let (code, stdout, stderr) = build(
        &env,
        dir.path(),
        &files,
        &["--image", &image, "--format", "json"],
    );
    assert_eq!(code, 0, "{stderr}");
    let id = json(&stdout, &stderr)["image_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let modes = docker::run_in(&env, &id, "stat -c %a /tool.sh /s.txt");
    assert_eq!(modes.split_whitespace().collect::<Vec<_>>(), ["750", "600"]);
}

#[test]
fn secrets_reach_run_and_nothing_else() {
    let Some(env) = docker::env() else { return };
    let canary = format!("canary-{}", docker::nonce());
    let file_canary = format!("file-canary-{}", docker::nonce());
    let secret_dir = tempfile::tempdir().expect("tempdir");
    let secret_file = secret_dir.path().join("token.txt");
    std::fs::write(&secret_file, &file_canary).expect("secret file");
    // The RUN proves it read both (their hashes land in the image), and prints one to show
    // the log is redacted. (Secret values are not part of the build key, as they are not part
    // of BuildKit's cache keys: the nonce in the command makes this a new step.)
    let df = format!(
        "FROM {}\n\
         RUN --mount=type=secret,id=tok --mount=type=secret,id=file \
         sha256sum /run/secrets/tok /run/secrets/file | cut -d' ' -f1 > /hashes && \
         echo printed: $(cat /run/secrets/tok) run-{}\n",
        env.base_image,
        docker::nonce()
    );
    let dir = context(&df, &[]);
    let files = ActionsFiles::new();
    let image = format!(
        "{}/build-tests/secrets-{}",
        env.registry,
        &docker::nonce()[..8]
    );
    let secret_file_arg = format!("id=file,src={}", secret_file.display());
    let out = docker::build_cmd(&env, dir.path(), &docker::fake_sha(), &files)
        .env("CANARY_VAR", &canary)
        .args(["--image", &image, "--push", "--format", "json"])
        .args([
            "--secret",
            "id=tok,env=CANARY_VAR",
            "--secret",
            &secret_file_arg,
        ])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let result = json(&stdout, &stderr);
    let id = result["image_id"].as_str().expect("id").to_owned();

    use sha2::Digest;
    let hex = |s: &str| -> String {
        sha2::Sha256::digest(s.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let hashes = docker::run_in(&env, &id, "cat /hashes");
    assert_eq!(
        hashes.split_whitespace().collect::<Vec<_>>(),
        [hex(&canary), hex(&file_canary)],
        "RUN read both secrets"
    );
    // In Actions both values are masked before anything else is printed; the log itself says
    // *** where RUN printed one.
    let mut first_lines: Vec<String> = stderr.lines().take(2).map(str::to_owned).collect();
    first_lines.sort_unstable();
    let mut masks = vec![
        format!("::add-mask::{canary}"),
        format!("::add-mask::{file_canary}"),
    ];
    masks.sort_unstable();
    assert_eq!(first_lines, masks, "{stderr}");
    let log_without_masks: String = stderr
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(log_without_masks.contains("printed: ***"), "{stderr}");

    let history = docker::docker_cli(&env.host, &["history", "--no-trunc", &id]);
    let saved = docker::docker_cli(&env.host, &["save", &id]);
    assert!(history.status.success() && saved.status.success());
    let places: [(&str, Vec<u8>); 6] = [
        ("history", history.stdout),
        ("docker save", saved.stdout),
        ("stdout", stdout.into_bytes()),
        ("log", log_without_masks.into_bytes()),
        (
            "GITHUB_OUTPUT",
            ActionsFiles::read(&files.output()).into_bytes(),
        ),
        (
            "step summary",
            ActionsFiles::read(&files.summary()).into_bytes(),
        ),
    ];
    for (place, bytes) in places {
        for secret in [&canary, &file_canary] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "a secret leaked into {place}"
            );
        }
    }
}

#[test]
fn the_inline_cache_round_trip_brings_steps_back_cached() {
    let Some(env) = docker::env() else { return };
    let nonce = docker::nonce();
    let df = format!(
        "FROM {}\nCOPY nonce.txt /nonce.txt\nRUN echo slow-{} > /built\nRUN cat /nonce.txt\n",
        env.base_image,
        &nonce[..8]
    );
    let dir = context(&df, &[("nonce.txt", &nonce)]);
    let image = format!("{}/build-tests/inline-{}", env.registry, &nonce[..8]);
    let files = ActionsFiles::new();
    let (code, stdout, stderr) = build(
        &env,
        dir.path(),
        &files,
        &[
            "--image",
            &image,
            "--push",
            "--cache-to",
            "type=inline",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let first = json(&stdout, &stderr);
    let pushed = first["tags"][0].as_str().expect("a tag").to_owned();

    // An empty runner: the image and the build cache are gone from the daemon.
    let id = first["image_id"].as_str().expect("id");
    let rmi = docker::docker_cli(&env.host, &["rmi", "-f", id]);
    assert!(
        rmi.status.success(),
        "{}",
        String::from_utf8_lossy(&rmi.stderr)
    );
    // This test alone uses the daemon from here on (its rebuild on the emptied cache included).
    let _alone = docker::prune_build_cache(&env);

    let cache_from = format!("type=registry,ref={pushed}");
    let (code, stdout, stderr) = build(
        &env,
        dir.path(),
        &ActionsFiles::new(),
        &[
            "--image",
            &image,
            "--rebuild",
            "--cache-from",
            &cache_from,
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let second = json(&stdout, &stderr);
    // COPY and both RUNs come from the pushed image's cache.
    let cached_lines = stderr
        .lines()
        .filter(|l| l.starts_with('#') && l.ends_with(" CACHED"))
        .count();
    assert!(cached_lines >= 3, "{stderr}");
    assert!(
        second["steps"]["cached"].as_u64().is_some_and(|n| n >= 3),
        "{second}"
    );
}

#[test]
fn several_platforms_make_one_oci_index() {
    let Some(env) = docker::env() else { return };
    let nonce = docker::nonce();
    // No RUN: nothing needs emulating.
    let dir = context(
        "FROM scratch\nCOPY hello.txt /hello.txt\n",
        &[("hello.txt", &nonce)],
    );
    let repo = format!("build-tests/multi-{}", &nonce[..8]);
    let image = format!("{}/{repo}", env.registry);
    let files = ActionsFiles::new();
    let (code, stdout, stderr) = build(
        &env,
        dir.path(),
        &files,
        &[
            "--image",
            &image,
            "--platform",
            "linux/amd64,linux/arm64",
            "--push",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let result = json(&stdout, &stderr);
    let digest = result["digest"].as_str().expect("digest").to_owned();
    let platforms = result["platforms"].as_object().expect("platforms");
    assert_eq!(platforms.len(), 2, "{result}");

    for tag in docker::registry_tags(&env.registry, &repo) {
        let index = docker::registry_manifest(&env.registry, &repo, &tag);
        assert_eq!(index.digest, digest, "tag {tag} names the index");
        assert_eq!(
            index.json["mediaType"],
            "application/vnd.oci.image.index.v1+json"
        );
        let mut seen = Vec::new();
        for m in index.json["manifests"].as_array().expect("manifests") {
            let manifest =
                docker::registry_manifest(&env.registry, &repo, m["digest"].as_str().expect("d"));
            let config_digest = manifest.json["config"]["digest"].as_str().expect("config");
            let config = docker::registry_blob_json(&env.registry, &repo, config_digest);
            let (os, arch) = (
                config["os"].as_str().expect("os"),
                config["architecture"].as_str().expect("arch"),
            );
            assert_eq!(m["platform"]["os"], os);
            assert_eq!(m["platform"]["architecture"], arch);
            assert_eq!(platforms[&format!("{os}/{arch}")], m["digest"], "{result}");
            seen.push(format!("{os}/{arch}"));
        }
        seen.sort();
        assert_eq!(seen, ["linux/amd64", "linux/arm64"]);
    }
    let outputs = ActionsFiles::read(&files.output());
    assert!(
        outputs.contains(&digest),
        "the digest output is the index's: {outputs}"
    );
}

#[test]
fn a_syntax_directive_that_cannot_be_pulled_says_what_to_do() {
    let Some(env) = docker::env() else { return };
    // A registry that refuses connections stands for "no network".
    let df = format!(
        "# syntax=127.0.0.1:1/docker/dockerfile:1\nFROM {}\n",
        env.base_image
    );
    let dir = context(&df, &[]);
    let (code, _, stderr) = build(
        &env,
        dir.path(),
        &ActionsFiles::new(),
        &["--image", &format!("{}/build-tests/syntax", env.registry)],
    );
    assert_eq!(code, 1, "{stderr}");
    let errors = errors(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains("`# syntax=127.0.0.1:1/docker/dockerfile:1` line (line 1)"),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("remove the line"), "{}", errors[0]);
}

#[test]
fn bad_flags_are_one_clear_line_before_anything_runs() {
    let Some(env) = docker::env() else { return };
    let dir = context(&format!("FROM {}\n", env.base_image), &[]);
    let image = format!("{}/build-tests/flags", env.registry);
    let cases: [(&[&str], i32, &str); 5] = [
        (
            &["--secret", "id=x"],
            2,
            "--secret `id=x`: say where the value comes from",
        ),
        (
            &["--secret", "id=x,src=/nonexistent/secret"],
            2,
            "cannot read /nonexistent/secret",
        ),
        (
            &["--cache-to", "type=registry,ref=r/a:cache"],
            2,
            "exports only the inline cache",
        ),
        (
            &["--cache-from", "type=gha"],
            2,
            "type=gha needs a BuildKit builder of its own",
        ),
        (
            &["--secret", "id=x,env=X", "--builder", "classic"],
            2,
            "--secret needs BuildKit; drop --builder classic",
        ),
    ];
    for (args, want_code, says) in cases {
        let (code, stdout, stderr) = build(
            &env,
            dir.path(),
            &ActionsFiles::new(),
            &[&["--image", &image][..], args].concat(),
        );
        assert_eq!(code, want_code, "{args:?}: {stderr}");
        let errors = errors(&stderr);
        assert_eq!(errors.len(), 1, "{args:?}: {stderr}");
        assert!(errors[0].contains(says), "{args:?}: {}", errors[0]);
        assert!(stdout.is_empty());
    }
}

#[test]
fn an_unchanged_context_is_reused_from_the_stat_cache() {
    let Some(env) = docker::env() else { return };
    let nonce = docker::nonce();
    let df = format!("FROM {}\nCOPY . /src/\n", env.base_image);
    let dir = context(&df, &[("a.txt", &nonce)]);
    let cache_home = tempfile::tempdir().expect("cache home");
    let image = format!("{}/build-tests/statcache-{}", env.registry, &nonce[..8]);
    let run = || {
        let out = docker::build_cmd(&env, dir.path(), &docker::fake_sha(), &ActionsFiles::new())
            .env("XDG_CACHE_HOME", cache_home.path())
            .args(["--image", &image, "--format", "json"])
            .output()
            .expect("run");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        json(&stdout, &stderr)
    };
    let first = run();
    assert_eq!(first["reused"], false);
    let second = run();
    assert_eq!(second["reused"], true);
    assert_eq!(second["image_id"], first["image_id"]);
    assert_eq!(second["context_digest"], first["context_digest"]);
    // An edit that keeps the size is seen (the stat cache compares times and inode too).
    let other: String = nonce.chars().rev().collect();
    std::fs::write(dir.path().join("a.txt"), &other).expect("rewrite");
    let third = run();
    assert_eq!(third["reused"], false);
    assert_ne!(third["context_digest"], first["context_digest"]);
    let id = third["image_id"].as_str().expect("id");
    assert_eq!(docker::run_in(&env, id, "cat /src/a.txt"), other);
    // Back to the first content: of the daemon's images with a build key (listed while the
    // digest is read), the one whose key matches is reused, not the newest.
    std::fs::write(dir.path().join("a.txt"), &nonce).expect("rewrite");
    let fourth = run();
    assert_eq!(fourth["reused"], true);
    assert_eq!(fourth["image_id"], first["image_id"]);
    assert_eq!(fourth["build_key"], first["build_key"]);
}

/// An image with the host's `ssh-add` (and the libraries it loads) on the test base image.
fn ssh_add_image(env: &DockerEnv) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = vec![std::path::PathBuf::from("/usr/bin/ssh-add")];
    let ldd = std::process::Command::new("ldd")
        .arg("/usr/bin/ssh-add")
        .output()
        .expect("ldd");
    for line in String::from_utf8_lossy(&ldd.stdout).lines() {
        if let Some(path) = line.split_whitespace().find(|w| w.starts_with('/')) {
            files.push(path.into());
        }
    }
    for file in &files {
        let target = dir.path().join(file.strip_prefix("/").expect("absolute"));
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::copy(file, &target).expect("copy (follows links)");
    }
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {}\nCOPY . /\n", env.base_image),
    )
    .expect("Dockerfile");
    let (code, stdout, stderr) = build(
        env,
        dir.path(),
        &ActionsFiles::new(),
        &["--image", "deploy-action-test/ssh-add", "--format", "json"],
    );
    assert_eq!(code, 0, "{stderr}");
    // BuildKit takes a `FROM` by name, not by id.
    json(&stdout, &stderr)["tags"][0]
        .as_str()
        .expect("a tag")
        .to_owned()
}

/// `ssh-agent -a SOCKET` with a new key loaded; killed on drop.
struct Agent {
    child: std::process::Child,
    socket: std::path::PathBuf,
    key: std::path::PathBuf,
    fingerprint: String,
    _dir: tempfile::TempDir,
}

impl Agent {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = dir.path().join("id_ed25519");
        let socket = dir.path().join("agent.sock");
        let ok = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&key)
            .status()
            .expect("ssh-keygen");
        assert!(ok.success());
        let child = std::process::Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("ssh-agent");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !socket.exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "ssh-agent made no socket"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let added = std::process::Command::new("ssh-add")
            .arg(&key)
            .env("SSH_AUTH_SOCK", &socket)
            .output()
            .expect("ssh-add");
        assert!(
            added.status.success(),
            "{}",
            String::from_utf8_lossy(&added.stderr)
        );
        let fp = std::process::Command::new("ssh-keygen")
            .arg("-lf")
            .arg(key.with_extension("pub"))
            .output()
            .expect("fingerprint");
        let fingerprint = String::from_utf8_lossy(&fp.stdout)
            .split_whitespace()
            .nth(1)
            .expect("SHA256:…")
            .to_owned();
        Self {
            child,
            socket,
            key,
            fingerprint,
            _dir: dir,
        }
    }

    /// The keys the agent lists now.
    fn listed(&self) -> String {
        let out = std::process::Command::new("ssh-add")
            .arg("-l")
            .env("SSH_AUTH_SOCK", &self.socket)
            .output()
            .expect("ssh-add -l");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn ssh_agents_are_forwarded_read_only() {
    let Some(env) = docker::env() else { return };
    let base = ssh_add_image(&env);
    let agent = Agent::start();
    // Lists the keys, then tries to remove them all: the forward must refuse that.
    let df = format!(
        "FROM {base}\n\
         RUN --mount=type=ssh /usr/bin/ssh-add -l && echo run-{n} && \
         (/usr/bin/ssh-add -D 2>&1 && echo removed-all || echo remove-refused)\n\
         RUN --mount=type=ssh,id=deploykey /usr/bin/ssh-add -l && echo second-{n}\n",
        n = docker::nonce()
    );
    let dir = context(&df, &[]);
    let key_spec = format!("deploykey={}", agent.key.display());
    let out = docker::build_cmd(&env, dir.path(), &docker::fake_sha(), &ActionsFiles::new())
        .env("SSH_AUTH_SOCK", &agent.socket)
        .args(["--image", &format!("{}/build-tests/ssh", env.registry)])
        .args(["--ssh", "default", "--ssh", &key_spec])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // Both mounts see the key: the running agent, and one started for the key file.
    assert_eq!(
        stderr.matches(agent.fingerprint.as_str()).count(),
        2,
        "{stderr}"
    );
    // Output lines, not the step's own name (which holds both words).
    let output = |word: &str| {
        stderr
            .lines()
            .any(|l| l.starts_with('#') && l.ends_with(&format!(" {word}")))
    };
    assert!(output("remove-refused"), "{stderr}");
    assert!(!output("removed-all"), "{stderr}");
    assert!(
        agent.listed().contains(&agent.fingerprint),
        "the agent kept its key"
    );
}
