//! `action.yml` run the way the GitHub runner runs a composite action (tests/it/harness/
//! action_harness.rs): the install step (release download with checksum, fallback build), and
//! every command with its outputs, against the real daemon, registry and the fake GitHub.

use crate::harness;

use harness::action_harness::{
    Harness, pinned_action_dir, release_dir, serve_dir, write_executable,
};
use harness::{docker, fake_github};

const CLEAN: &str = "name: ci\non: push\npermissions: {}\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n";
const BROKEN: &str = "name: ci\non: push\npermissions: {}\njobs:\n  test:\n    runs-on: ubuntu-latst\n    steps:\n      - run: echo hi\n";
const DIGEST: &str = "sha256:3333333333333333333333333333333333333333333333333333333333333333";

/// A harness that installs through the cargo stub, with `file` written in its workspace.
fn harness_with(file: &str, text: &str) -> Harness {
    let mut h = Harness::new();
    h.stub_cargo();
    std::fs::write(h.workspace.join(file), text).expect("write");
    h
}

fn explain(run: &harness::action_harness::ActionRun) -> String {
    format!("log:\n{}\noutputs: {:?}", run.log, run.outputs)
}

/// A harness for an action checkout whose dist/SHA256SUMS pins release `version` of this build
/// for `triple`, served from a local release server (`DEPLOY_ACTION_DOWNLOAD_BASE`).
struct Pinned {
    harness: Harness,
    release: tempfile::TempDir,
    _action: tempfile::TempDir,
    base: String,
}

fn pinned(version: &str, triple: &str) -> Pinned {
    let release = release_dir(version, triple);
    let base = serve_dir(release.path());
    let action = pinned_action_dir(&release.path().join(version).join("SHA256SUMS"));
    let mut harness = harness_with("ok.yml", CLEAN);
    harness.action_dir = action.path().to_path_buf();
    harness
        .input("args", "ok.yml")
        .env("DEPLOY_ACTION_DOWNLOAD_BASE", &base);
    Pinned {
        harness,
        release,
        _action: action,
        base,
    }
}

#[test]
fn installs_the_release_pinned_in_the_tree_and_runs_it() {
    let p = pinned("v9.9.9", "x86_64-unknown-linux-gnu");
    let run = p.harness.run();
    assert!(run.success, "{}", explain(&run));
    let install = run.step("install");
    assert!(
        install.log.contains(
            "Installed deploy-action v9.9.9 (x86_64-unknown-linux-gnu) from {base}, sha256 \
             verified against the action's dist/SHA256SUMS"
                .replace("{base}", &p.base)
                .as_str()
        ),
        "{}",
        install.log
    );
    assert!(
        p.harness.cargo_calls().is_empty(),
        "fell back: {}",
        p.harness.cargo_calls()
    );
    let bin = &install.outputs["bin"];
    assert!(bin.ends_with("/deploy-action/bin/deploy-action"), "{bin}");
    assert!(std::path::Path::new(bin).is_file());
}

#[test]
fn a_commit_ref_installs_the_pinned_release_on_arm64() {
    // `uses: org/deploy-action@<commit>`: no release is named after the ref; the tree says which.
    let mut p = pinned("v1.2.3", "aarch64-unknown-linux-gnu");
    p.harness.github.insert(
        "action_ref".into(),
        "0123456789abcdef0123456789abcdef01234567".into(),
    );
    p.harness.runner_arch = "ARM64".into();
    let run = p.harness.run();
    assert!(run.success, "{}", explain(&run));
    assert!(
        run.step("install")
            .log
            .contains("Installed deploy-action v1.2.3 (aarch64-unknown-linux-gnu)"),
        "{}",
        run.log
    );
}

#[test]
fn a_tampered_release_with_matching_release_sums_is_refused_by_the_in_tree_checksum() {
    let p = pinned("v9.9.9", "x86_64-unknown-linux-gnu");
    // Whoever can replace the release's asset can replace its SHA256SUMS too.
    let rel = p.release.path().join("v9.9.9");
    let asset = "deploy-action-v9.9.9-x86_64-unknown-linux-gnu.tar.gz";
    let evil = tempfile::tempdir().expect("tempdir");
    write_executable(
        &evil.path().join("deploy-action"),
        "#!/bin/sh\necho owned > /dev/stderr\n",
    );
    let packed = std::process::Command::new("tar")
        .arg("-czf")
        .arg(rel.join(asset))
        .arg("-C")
        .arg(evil.path())
        .arg("deploy-action")
        .status()
        .expect("tar");
    assert!(packed.success());
    let sums = std::process::Command::new("sha256sum")
        .arg(asset)
        .current_dir(&rel)
        .output()
        .expect("sha256sum");
    std::fs::write(rel.join("SHA256SUMS"), &sums.stdout).expect("tampered SHA256SUMS");
    let check = std::process::Command::new("sha256sum")
        .args(["--check", "SHA256SUMS"])
        .current_dir(&rel)
        .output()
        .expect("sha256sum --check");
    assert!(
        check.status.success(),
        "the release is consistent with itself"
    );

    let run = p.harness.run();
    assert!(!run.success);
    let install = run.step("install");
    assert_eq!(install.status, 1, "{}", install.log);
    assert!(
        install.log.contains(&format!(
            "::error::checksum mismatch: {asset} from {}/v9.9.9 is not the binary the \
             action's dist/SHA256SUMS pins",
            p.base
        )),
        "{}",
        install.log
    );
    assert!(!install.log.contains("owned"), "{}", install.log);
    assert!(
        p.harness.cargo_calls().is_empty(),
        "fell back: {}",
        p.harness.cargo_calls()
    );
    assert!(!run.step("run").ran);
}

#[test]
fn a_pinned_release_that_cannot_be_downloaded_fails_without_falling_back() {
    let p = pinned("v9.9.9", "x86_64-unknown-linux-gnu");
    std::fs::remove_file(
        p.release
            .path()
            .join("v9.9.9/deploy-action-v9.9.9-x86_64-unknown-linux-gnu.tar.gz"),
    )
    .expect("remove asset");
    let run = p.harness.run();
    assert!(!run.success);
    let install = run.step("install");
    assert_eq!(install.status, 1);
    assert!(
        install.log.contains("::error::cannot download"),
        "{}",
        install.log
    );
    assert!(p.harness.cargo_calls().is_empty());
}

#[test]
fn a_runner_without_a_release_builds_from_source() {
    // macOS: nothing is released for it; the pinned tree's source is built.
    let mut p = pinned("v9.9.9", "x86_64-unknown-linux-gnu");
    p.harness.runner_os = "macOS".into();
    p.harness.runner_arch = "ARM64".into();
    let run = p.harness.run();
    assert!(run.success, "{}", explain(&run));
    assert!(
        run.log.contains(
            "Building deploy-action from the action's source: no release is built for macOS/ARM64"
        ),
        "{}",
        run.log
    );
    let calls = p.harness.cargo_calls();
    assert!(
        calls.contains(&format!(
            "--locked --quiet --path {}",
            p.harness.action_dir.display()
        )),
        "{calls}"
    );
}

#[test]
fn windows_runners_fail_with_one_clear_line() {
    let mut p = pinned("v9.9.9", "x86_64-unknown-linux-gnu");
    p.harness.runner_os = "Windows".into();
    let run = p.harness.run();
    assert!(!run.success);
    let install = run.step("install");
    assert_eq!(install.status, 1);
    let errors: Vec<&str> = install
        .log
        .lines()
        .filter(|l| l.starts_with("::error::"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", install.log);
    assert!(
        errors[0].contains("does not run on Windows runners"),
        "{}",
        errors[0]
    );
    assert!(p.harness.cargo_calls().is_empty());
}

#[test]
fn a_ref_without_pinned_checksums_builds_from_source() {
    // This checkout: no dist/SHA256SUMS (only release commits carry it).
    let mut h = harness_with("ok.yml", CLEAN);
    h.input("args", "ok.yml");
    let run = h.run();
    assert!(run.success, "{}", explain(&run));
    assert!(
        run.log.contains(
            "Building deploy-action from the action's source: this ref of the action pins no release"
        ),
        "{}",
        run.log
    );
    assert_eq!(h.cargo_calls().lines().count(), 1);
}

#[test]
fn building_from_source_without_cargo_fails_with_one_clear_line() {
    let mut h = harness_with("ok.yml", CLEAN);
    h.env("DEPLOY_ACTION_CARGO", "/nonexistent/cargo");
    let run = h.run();
    assert!(!run.success);
    let install = run.step("install");
    assert!(
        install
            .log
            .contains("::error::deploy-action must be built from source here"),
        "{}",
        install.log
    );
}

#[test]
fn lint_findings_fail_the_action_with_status_1() {
    let mut h = harness_with("bad.yml", BROKEN);
    h.input("args", "bad.yml").input("format", "json");
    let run = h.run();
    assert!(!run.success);
    let step = run.step("run");
    assert_eq!(step.status, 1, "{}", step.log);
    assert!(
        step.log.contains("\"rule\": \"runner-label\""),
        "{}",
        step.log
    );
}

#[test]
fn an_unknown_command_is_a_usage_error() {
    let mut h = harness_with("ok.yml", CLEAN);
    h.input("command", "deploy-everything");
    let run = h.run();
    assert_eq!(run.step("run").status, 2);
    assert!(
        run.log
            .contains("::error::unknown command 'deploy-everything'")
    );
}

#[test]
fn args_are_split_on_whitespace_but_never_globbed() {
    let mut h = harness_with("ok.yml", CLEAN);
    std::fs::write(h.workspace.join("bad.yml"), BROKEN).expect("write");
    // `*.yml` would match bad.yml if the shell expanded it.
    h.input("args", "ok.yml\n  --format   json *.yml");
    let run = h.run();
    let step = run.step("run");
    assert_eq!(step.status, 2, "{}", step.log);
    assert!(step.log.contains("*.yml"), "{}", step.log);
    assert!(!step.log.contains("runner-label"), "{}", step.log);
}

#[test]
fn tags_outputs_every_image_tag() {
    let sha = docker::fake_sha();
    let mut h = Harness::new();
    h.stub_cargo()
        .input("command", "tags")
        .input("image", "ghcr.io/org/app\nghcr.io/org/mirror\n")
        .input("tags", "type=sha")
        .env("GITHUB_SHA", &sha)
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_EVENT_NAME", "push");
    let run = h.run();
    assert!(run.success, "{}", explain(&run));
    let short = &sha[..7];
    assert_eq!(
        run.output("tags"),
        format!("ghcr.io/org/app:sha-{short}\nghcr.io/org/mirror:sha-{short}")
    );
}

#[test]
fn build_pushes_and_outputs_the_registry_digest() {
    let Some(env) = docker::env() else { return };
    let context = docker::fixture("multistage");
    let repo = format!("action-harness/{}", &docker::nonce()[..12]);
    let image = format!("{}/{repo}", env.registry);
    let sha = docker::fake_sha();
    let config = tempfile::tempdir().expect("tempdir");
    let mut h = Harness::new();
    h.stub_cargo()
        .input("command", "build")
        .input("image", &image)
        .input("context", &context.path().display().to_string())
        .input("push", "true")
        .input("tags", "type=sha\ntype=raw,value=harness")
        .env("DOCKER_HOST", &env.host)
        .env("DOCKER_CONFIG", config.path())
        .env("GITHUB_SHA", &sha)
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_EVENT_NAME", "push")
        .env("GITHUB_REPOSITORY", "org/app");
    let run = h.run();
    assert!(run.success, "{}", explain(&run));
    let digest = docker::registry_digest(&env.registry, &repo, "harness").expect("pushed");
    assert_eq!(run.output("digest"), digest);
    assert_eq!(run.output("image"), format!("{image}@{digest}"));
    let mut tags: Vec<&str> = run.output("tags").lines().collect();
    tags.sort_unstable();
    assert_eq!(
        tags,
        [
            format!("{image}:harness"),
            format!("{image}:sha-{}", &sha[..7])
        ]
    );
    assert!(run.output("context-digest").starts_with("sha256:"));
    assert!(
        run.output("labels")
            .contains(&format!("org.opencontainers.image.revision={sha}")),
        "{}",
        run.output("labels")
    );
    assert!(run.summary.contains(&digest), "{}", run.summary);
}

#[test]
fn build_takes_secrets_cache_and_builder_inputs_and_never_shows_the_secrets() {
    let Some(env) = docker::env() else { return };
    let canary = format!("harness-canary-{}", docker::nonce());
    let file_canary = format!("harness-file-canary-{}", docker::nonce());
    let context = tempfile::tempdir().expect("tempdir");
    let df = format!(
        "FROM {}\nRUN --mount=type=secret,id=npm --mount=type=secret,id=key \
         cat /run/secrets/npm /run/secrets/key | sha256sum | cut -d' ' -f1 > /h && echo {}\n",
        env.base_image,
        docker::nonce()
    );
    std::fs::write(context.path().join("Dockerfile"), df).expect("Dockerfile");
    let key = context.path().join("key.txt");
    std::fs::write(&key, &file_canary).expect("key");
    let image = format!(
        "{}/action-harness/secrets-{}",
        env.registry,
        &docker::nonce()[..8]
    );
    let config = tempfile::tempdir().expect("tempdir");
    let mut h = Harness::new();
    h.stub_cargo()
        .input("command", "build")
        .input("image", &image)
        .input("context", &context.path().display().to_string())
        .input("push", "true")
        .input("builder", "buildkit")
        .input("cache-to", "type=inline")
        .input("secrets", &format!("npm={canary}\n"))
        .input("secret-files", &format!("key={}", key.display()))
        .env("DOCKER_HOST", &env.host)
        .env("DOCKER_CONFIG", config.path())
        .env("GITHUB_SHA", docker::fake_sha())
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_EVENT_NAME", "push")
        .env("GITHUB_REPOSITORY", "org/app");
    let run = h.run();
    assert!(run.success, "{}", explain(&run));
    // Masked by the first step, before anything else.
    assert!(
        run.log.starts_with(&format!("::add-mask::{canary}\n")),
        "{}",
        explain(&run)
    );
    use sha2::Digest;
    let want: String = sha2::Sha256::digest(format!("{canary}{file_canary}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let id = run.output("image-id");
    assert_eq!(
        docker::run_in(&env, id, "cat /h").trim(),
        want,
        "RUN read both secrets"
    );
    let after_masks: Vec<&str> = run
        .log
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .collect();
    for secret in [&canary, &file_canary] {
        assert!(
            !after_masks.join("\n").contains(secret.as_str()),
            "{}",
            explain(&run)
        );
        assert!(!format!("{:?}", run.outputs).contains(secret.as_str()));
        assert!(!run.summary.contains(secret.as_str()));
    }
    let history = docker::docker_cli(&env.host, &["history", "--no-trunc", id]);
    assert!(!String::from_utf8_lossy(&history.stdout).contains(canary.as_str()));
}

#[test]
fn deploy_and_history_on_the_ledger() {
    let health = tempfile::tempdir().expect("tempdir");
    std::fs::write(health.path().join("health"), "ok\n").expect("health");
    let url = format!("{}/health", serve_dir(health.path()));
    let mut h = Harness::new();
    h.stub_cargo()
        .input("command", "deploy")
        .input("environment", "staging")
        .input("image", &format!("127.0.0.1:5000/app@{DIGEST}"))
        .input("url", &url)
        .input(
            "args",
            &format!("--ledger ledger.json --sha {} -- true", fake_github::SHA),
        );
    let run = h.run();
    assert!(run.success, "{}", explain(&run));
    let id = run.output("deployment-id").to_owned();
    assert!(id.parse::<u64>().is_ok(), "{id}");
    assert_eq!(run.output("environment-url"), url);
    assert!(h.workspace.join("ledger.json").is_file());

    let mut h2 = Harness::new();
    h2.stub_cargo()
        .input("command", "history")
        .input("environment", "staging")
        .input("format", "json")
        .input(
            "args",
            &format!("--ledger {}", h.workspace.join("ledger.json").display()),
        );
    let history = h2.run();
    assert!(history.success, "{}", explain(&history));
    let log = &history.step("run").log;
    let json: serde_json::Value = serde_json::from_str(&log[log.find('{').expect("json")..])
        .unwrap_or_else(|e| panic!("{e}: {log}"));
    assert_eq!(json["deployments"][0]["id"].to_string(), id);
    assert_eq!(json["deployments"][0]["digest"], DIGEST);
}

#[test]
fn deploy_records_on_github_with_the_token_input() {
    let Some(fake) = fake_github::start() else {
        return;
    };
    let mut h = Harness::new();
    h.stub_cargo()
        .input("command", "deploy")
        .input("environment", "production")
        .input("image", &format!("ghcr.io/octo-org/app@{DIGEST}"))
        .input("github-token", fake.token())
        .input("args", &format!("--sha {} -- true", fake_github::SHA))
        .env("GITHUB_API_URL", fake.api_url())
        .env(
            "GITHUB_REPOSITORY",
            format!("{}/{}", fake.owner(), fake.repo()),
        );
    let run = h.run();
    assert!(run.success, "{}", explain(&run));
    let deployments = fake.deployments();
    assert_eq!(deployments.len(), 1);
    assert_eq!(
        run.output("deployment-id"),
        deployments[0]["id"].to_string()
    );
    assert_eq!(deployments[0]["payload"]["digest"], DIGEST);
    // The token only ever appears masked, first.
    let first = run.log.lines().find(|l| l.contains(fake.token()));
    assert_eq!(
        first,
        Some(format!("::add-mask::{}", fake.token()).as_str())
    );
}

#[test]
fn action_yml_passes_its_own_lint() {
    let out = harness::bin()
        .args(["lint", "--format", "json"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml"))
        .output()
        .expect("lint runs");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["findings"], serde_json::json!([]), "{json:#}");
    assert!(out.status.success());
}

#[test]
fn action_yml_scripts_pass_shellcheck() {
    if std::process::Command::new("shellcheck")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "shellcheck is missing; CI needs it (apt-get install shellcheck)"
        );
        #[allow(clippy::print_stderr)]
        {
            eprintln!("skipping: shellcheck not installed");
        }
        return;
    }
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml"))
        .expect("action.yml");
    let doc = deploy_action_lint::workflow::yaml::parse(&text);
    let root = doc.root.expect("root");
    let steps = root
        .get("runs")
        .and_then(|r| r.get("steps"))
        .and_then(|s| s.as_seq())
        .expect("steps");
    for step in steps {
        let script = step.get("run").and_then(|r| r.as_str()).expect("run");
        let mut child = std::process::Command::new("shellcheck")
            .args(["--shell=bash", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("shellcheck");
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(script.as_bytes())
            .expect("write");
        let out = harness::output_within(child, harness::WAIT_DEADLINE);
        assert!(
            out.status.success(),
            "shellcheck:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
