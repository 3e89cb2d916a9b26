//! The secret canary: every command runs with `GITHUB_TOKEN`, the registry password and
//! `RUST_LOG=trace` set, the secrets being one unique string. It must never show in stdout,
//! stderr, `GITHUB_OUTPUT`, the step summary or the ledger; in Actions the only line allowed to
//! carry it is `::add-mask::<canary>`, and that line comes before anything else.
//!
//! A new command is covered by adding one line to [`CASES`].

use crate::harness;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use deploy_action_fake_github::{FakeConfig, FakeGithub, Fault};
use harness::action_harness::Harness;
use harness::auth_registry::AuthRegistry;
use harness::{docker, fake_github};

/// Where a case runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
    /// No daemon, no GitHub: deployments go to the ledger.
    Local,
    /// The Docker daemon and the open registry (`{registry}`) or the one with a password
    /// (`{auth}`, user `ci`, password the canary).
    Docker,
    /// The fake GitHub accepting the canary as token.
    Github,
    /// The fake GitHub expecting another token: every request answers 401.
    GithubRejects,
    /// The fake GitHub accepting the token, but creating a deployment answers 500 every time.
    GithubFails,
}

/// One command line.
struct Case {
    /// Arguments; `{registry}`, `{auth}`, `{nonce}` and `{sha}` are filled in.
    args: &'static [&'static str],
    /// Where it runs.
    setup: Setup,
    /// Pipe the canary to standard input (`--registry-password-stdin`).
    password_stdin: bool,
    /// The exit status that shows the case took the path it is meant to.
    status: i32,
}

const IMAGE_BY_DIGEST: &str =
    "ghcr.io/octo-org/app@sha256:4444444444444444444444444444444444444444444444444444444444444444";

#[rustfmt::skip]
const CASES: &[Case] = &[
    Case { args: &["lint", "ok.yml"], setup: Setup::Local, password_stdin: false, status: 0 },
    Case { args: &["lint", "bad.yml"], setup: Setup::Local, password_stdin: false, status: 1 },
    Case { args: &["lint", "--format", "json", "bad.yml"], setup: Setup::Local, password_stdin: false, status: 1 },
    Case { args: &["lint", "--format", "sarif", "bad.yml"], setup: Setup::Local, password_stdin: false, status: 1 },
    Case { args: &["tags", "--image", "ghcr.io/octo-org/app"], setup: Setup::Local, password_stdin: false, status: 0 },
    Case { args: &["gen-workflow", "--dry-run"], setup: Setup::Local, password_stdin: false, status: 0 },
    Case { args: &["graph", "ok.yml"], setup: Setup::Local, password_stdin: false, status: 0 },
    Case { args: &["deploy", "-e", "staging", "--image", IMAGE_BY_DIGEST, "--sha", "{sha}", "--ledger", "ledger.json", "--", "true"], setup: Setup::Local, password_stdin: false, status: 0 },
    Case { args: &["deploy", "-e", "staging", "--image", IMAGE_BY_DIGEST, "--sha", "{sha}", "--ledger", "ledger.json", "--", "false"], setup: Setup::Local, password_stdin: false, status: 1 },
    Case { args: &["history", "staging", "--ledger", "ledger.json"], setup: Setup::Local, password_stdin: false, status: 0 },
    Case { args: &["build", "--image", "{registry}/canary/{nonce}", "--push", "--registry-username", "ci", "--registry-password-stdin"], setup: Setup::Docker, password_stdin: true, status: 0 },
    Case { args: &["build", "--format", "json", "--image", "{registry}/canary/{nonce}", "--registry-username", "ci", "--registry-password-stdin"], setup: Setup::Docker, password_stdin: true, status: 0 },
    Case { args: &["build", "--image", "{auth}/canary/{nonce}", "--push", "--registry-username", "ci", "--registry-password-stdin"], setup: Setup::Docker, password_stdin: true, status: 0 },
    Case { args: &["build", "--image", "{auth}/canary/{nonce}", "--push", "--registry-username", "intruder", "--registry-password-stdin"], setup: Setup::Docker, password_stdin: true, status: 4 },
    Case { args: &["deploy", "-e", "staging", "--image", IMAGE_BY_DIGEST, "--sha", "{sha}", "--", "true"], setup: Setup::Github, password_stdin: false, status: 0 },
    Case { args: &["history", "staging"], setup: Setup::Github, password_stdin: false, status: 0 },
    Case { args: &["deploy", "-e", "staging", "--image", IMAGE_BY_DIGEST, "--sha", "{sha}", "--", "true"], setup: Setup::GithubRejects, password_stdin: false, status: 4 },
    Case { args: &["history", "staging"], setup: Setup::GithubRejects, password_stdin: false, status: 4 },
    Case { args: &["deploy", "-e", "staging", "--image", IMAGE_BY_DIGEST, "--sha", "{sha}", "--", "true"], setup: Setup::GithubFails, password_stdin: false, status: 4 },
    // promote: the policy's smoke check sends the token as a header to a closed port (refused).
    Case { args: &["promote", "--policy", "promotion.yml", "--sha", "{sha}", "--image", IMAGE_BY_DIGEST, "--ledger", "ledger.json"], setup: Setup::Local, password_stdin: false, status: 3 },
    Case { args: &["promote", "--policy", "promotion.yml", "--sha", "{sha}", "--image", IMAGE_BY_DIGEST, "--format", "json"], setup: Setup::Github, password_stdin: false, status: 3 },
    Case { args: &["promote", "--policy", "promotion.yml", "--sha", "{sha}", "--image", IMAGE_BY_DIGEST], setup: Setup::GithubRejects, password_stdin: false, status: 4 },
    // promote step by step: the analysis sends the token as a header to a closed port (every
    // request fails), so the first step is rolled back through the traffic command.
    Case { args: &["promote", "--policy", "progressive.yml", "--sha", "{sha}", "--artifact", "site@sha256:4444444444444444444444444444444444444444444444444444444444444444", "--traffic-command", "true {weight}", "--ledger", "ledger.json"], setup: Setup::Local, password_stdin: false, status: 3 },
    Case { args: &["rollback", "--environment", "production", "--ledger", "ledger.json"], setup: Setup::Local, password_stdin: false, status: 2 },
    Case { args: &["rollback", "--environment", "production"], setup: Setup::Github, password_stdin: false, status: 2 },
    Case { args: &["rollback", "--environment", "production"], setup: Setup::GithubRejects, password_stdin: false, status: 4 },
];

const CLEAN: &str = "name: ci\non: push\npermissions: {}\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n";
const BROKEN: &str = "name: ci\non: push\njobs:\n  test:\n    runs-on: ubuntu-latst\n    steps:\n      - run: echo ${{ secrets.X }}\n";

/// A promotion policy whose smoke check sends the token (the canary) to a closed port.
const POLICY: &str = "from: staging\nto: production\ngates:\n  deployed: true\n  same_digest: true\n  smoke:\n    - url: http://127.0.0.1:9/\n      headers: { Authorization: \"Bearer ${GITHUB_TOKEN}\" }\n";

/// A progressive policy whose analysis sends the token (the canary) to a closed port.
const PROGRESSIVE: &str = "from: staging\nto: production\ngates: {}\nrollout:\n  steps:\n    - { weight: 25, pause: 1s }\n    - { weight: 100 }\nanalysis:\n  requests:\n    url: http://127.0.0.1:9/\n    headers: { Authorization: \"Bearer ${GITHUB_TOKEN}\" }\n  error_rate: { max: 5% }\n";

/// A string that appears nowhere else.
fn canary() -> String {
    format!("canary{}", &docker::nonce()[..24])
}

/// Checks one run's log (stdout and stderr interleaved) and files.
fn assert_no_leak(what: &str, canary: &str, log: &str, files: &[&Path]) {
    let mask = format!("::add-mask::{canary}");
    if log.contains(canary) {
        assert_eq!(
            log.lines().next(),
            Some(mask.as_str()),
            "{what}: the mask must be the first line:\n{log}"
        );
    }
    for line in log.lines() {
        assert!(
            line == mask || !line.contains(canary),
            "{what}: secret leaked: {line}\n{log}"
        );
    }
    for f in files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        assert!(
            !text.contains(canary),
            "{what}: secret leaked into {}:\n{text}",
            f.display()
        );
    }
}

fn fake(setup: Setup, token: &str) -> Option<FakeGithub> {
    let spec = harness::shared()?.join("github-api/openapi-subset.json");
    let mut config = FakeConfig::new(spec);
    config.token = match setup {
        Setup::GithubRejects => "another-token".into(),
        _ => token.into(),
    };
    let fake = FakeGithub::start(config).expect("fake GitHub starts");
    if setup == Setup::GithubFails {
        fake.inject(
            "POST",
            "/repos/{owner}/{repo}/deployments",
            100,
            Fault::server_error(500),
        )
        .expect("route");
    }
    Some(fake)
}

#[test]
fn no_command_prints_the_secrets() {
    let canary = canary();
    let docker_env = docker::env();
    let mut auth_registry: Option<AuthRegistry> = None;
    let mut ran = 0;
    for case in CASES {
        let what = case.args.join(" ");
        let dir = docker::fixture("multistage");
        std::fs::write(dir.path().join("ok.yml"), CLEAN).expect("write");
        std::fs::write(dir.path().join("bad.yml"), BROKEN).expect("write");
        std::fs::write(dir.path().join("promotion.yml"), POLICY).expect("write");
        std::fs::write(dir.path().join("progressive.yml"), PROGRESSIVE).expect("write");
        let docker_config = tempfile::tempdir().expect("tempdir");
        let out_dir = tempfile::tempdir().expect("tempdir");
        let (output, summary, log_path) = (
            out_dir.path().join("output"),
            out_dir.path().join("summary"),
            out_dir.path().join("log"),
        );
        let mut cmd = harness::bin_command();
        let mut fake_server = None;
        let mut auth = String::new();
        match case.setup {
            Setup::Local => {}
            Setup::Docker => {
                let Some(env) = &docker_env else { continue };
                cmd.env("DOCKER_HOST", &env.host);
                auth = auth_registry
                    .get_or_insert_with(|| AuthRegistry::start("ci", &canary))
                    .addr
                    .clone();
            }
            Setup::Github | Setup::GithubRejects | Setup::GithubFails => {
                let Some(f) = fake(case.setup, &canary) else {
                    continue;
                };
                cmd.env("GITHUB_API_URL", f.api_url())
                    .env("GITHUB_REPOSITORY", format!("{}/{}", f.owner(), f.repo()));
                fake_server = Some(f);
            }
        }
        let registry = docker_env.as_ref().map_or("", |e| e.registry.as_str());
        let nonce = docker::nonce();
        let args: Vec<String> = case
            .args
            .iter()
            .map(|a| {
                a.replace("{registry}", registry)
                    .replace("{auth}", &auth)
                    .replace("{nonce}", &nonce[..12])
                    .replace("{sha}", fake_github::SHA)
            })
            .collect();
        let log = std::fs::File::create(&log_path).expect("log");
        cmd.args(&args)
            .current_dir(dir.path())
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_TOKEN", &canary)
            .env("RUST_LOG", "trace")
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("GITHUB_SHA", fake_github::SHA)
            .env("GITHUB_REF", "refs/heads/main")
            .env("GITHUB_EVENT_NAME", "push")
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env("GITHUB_RUN_ID", "7")
            .env("DOCKER_CONFIG", docker_config.path())
            .stdin(if case.password_stdin {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(log.try_clone().expect("log fd"))
            .stderr(log);
        let mut child = cmd.spawn().expect("deploy-action runs");
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(format!("{canary}\n").as_bytes())
                .expect("password");
        }
        let status = harness::output_within(child, harness::WAIT_DEADLINE).status;
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        assert_eq!(status.code(), Some(case.status), "{what}:\n{text}");
        let ledger = dir.path().join("ledger.json");
        assert_no_leak(&what, &canary, &text, &[&output, &summary, &ledger]);
        if case.password_stdin {
            // The password was read, so it must have been masked.
            assert!(
                text.starts_with(&format!("::add-mask::{canary}\n")),
                "{what}:\n{text}"
            );
        }
        if case.setup == Setup::Github {
            assert!(
                text.starts_with(&format!("::add-mask::{canary}\n")),
                "{what}:\n{text}"
            );
        }
        if case.setup == Setup::GithubRejects {
            assert!(
                text.contains("401"),
                "{what}: the error chain is shown:\n{text}"
            );
        }
        drop(fake_server);
        ran += 1;
    }
    if docker_env.is_some() && harness::shared().is_some() {
        assert_eq!(ran, CASES.len(), "every case ran");
    }
}

#[test]
fn the_action_masks_its_secret_inputs_first() {
    let Some(f) = fake(Setup::Github, &canary()) else {
        return;
    };
    let canary = f.token().to_owned();
    let mut h = Harness::new();
    h.stub_cargo()
        .input("command", "deploy")
        .input("environment", "staging")
        .input("image", IMAGE_BY_DIGEST)
        .input("github-token", &canary)
        .input("registry-password", &canary)
        .input("args", &format!("--sha {} -- true", fake_github::SHA))
        .env("RUST_LOG", "trace")
        .env("GITHUB_API_URL", f.api_url())
        .env("GITHUB_REPOSITORY", format!("{}/{}", f.owner(), f.repo()));
    let run = h.run();
    assert!(run.success, "{}", run.log);
    assert_no_leak("action deploy", &canary, &run.log, &[]);
    assert!(!run.output_files.contains(&canary));
    assert!(!run.summary.contains(&canary));
    assert!(!run.output("deployment-id").is_empty());
}

#[test]
fn the_action_hands_the_registry_password_over_stdin_only() {
    let Some(env) = docker::env() else { return };
    let canary = canary();
    let registry = AuthRegistry::start("ci", &canary);
    let context = docker::fixture("multistage");
    let config = tempfile::tempdir().expect("tempdir");
    let mut h = Harness::new();
    h.stub_cargo()
        .input("command", "build")
        .input("image", &format!("{}/canary/action", registry.addr))
        .input("context", &context.path().display().to_string())
        .input("push", "true")
        .input("registry-username", "ci")
        .input("registry-password", &canary)
        .input("github-token", &canary)
        .env("RUST_LOG", "trace")
        .env("DOCKER_HOST", &env.host)
        .env("DOCKER_CONFIG", config.path())
        .env("GITHUB_SHA", fake_github::SHA)
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_EVENT_NAME", "push");
    let run = h.run();
    assert!(run.success, "{}", run.log);
    assert!(run.output("digest").starts_with("sha256:"));
    assert_no_leak("action build", &canary, &run.log, &[]);
    assert!(!run.output_files.contains(&canary));
    assert!(!run.summary.contains(&canary));
}
