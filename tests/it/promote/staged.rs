//! `promote` without `--image`: it promotes what the source environment's latest successful
//! deployments of the commit run, read from the records (the ledger or GitHub), every service
//! deployed at that commit together. On the test daemon and registry.
//!
//! README's story as written: `build --push` → `deploy --environment staging` → `promote --from
//! staging --to production` (no --image) → production runs staging's digest.

use crate::harness;
use crate::harness::promote_env;

use harness::docker::{self, registry_digest};
use harness::fake_github;
use promote_env::{build_push, cmd, container_digest, expect_code, remove_containers};

/// Ports of this file's containers (other promote tests use 18411-18422).
const STAGING_PORT: u16 = 18431;
const PROD_PORT: u16 = 18432;

const POLICY: &str =
    "from: staging\nto: production\ngates:\n  deployed: true\n  same_digest: true\n  soak: 0s\n";

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn readme_story_build_deploy_promote_without_image() {
    let Some(env) = docker::env() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // An app in a git checkout: the commit comes from git, as for a user at a terminal.
    std::fs::create_dir_all(d.join("www")).expect("www");
    std::fs::write(d.join("www/health"), r#"{"status":"ok"}"#).expect("health");
    std::fs::write(d.join("www/index.html"), docker::nonce()).expect("index");
    std::fs::write(
        d.join("Dockerfile"),
        format!(
            "FROM {}\nCOPY www /www\nCMD [\"sh\", \"-c\", \"trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait\"]\n",
            env.base_image
        ),
    )
    .expect("Dockerfile");
    std::fs::write(d.join("promotion.yml"), POLICY).expect("policy");
    std::fs::write(d.join(".dockerignore"), ".deploy-action\npromotion.yml\n").expect("ignore");
    git(d, &["init", "-q", "-b", "main"]);
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "app"]);
    let sha = git(d, &["rev-parse", "HEAD"]);
    let service = format!("story{}", &docker::nonce()[..6]);
    let repo = format!("da-story-{}/{service}", &docker::nonce()[..8]);
    let image = format!("{}/{repo}", env.registry);
    let (staging_c, prod_c) = (
        format!("deploy-action-{service}-staging"),
        format!("deploy-action-{service}-production"),
    );

    // build → push.
    let out = cmd(&env, d)
        .args(["build", "--image", &image, "--push", "--format", "json"])
        .output()
        .expect("build");
    expect_code(&out, 0);
    let digest = json(&out)["digest"].as_str().expect("digest").to_owned();
    let sha_tag = format!("sha-{}", &sha[..7]);
    assert_eq!(
        registry_digest(&env.registry, &repo, &sha_tag).as_deref(),
        Some(digest.as_str())
    );

    // deploy --environment staging, by tag (resolved to the digest).
    let out = cmd(&env, d)
        .args(["deploy", "--environment", "staging"])
        .args(["--image", &format!("{image}:{sha_tag}")])
        .args([
            "--target",
            "docker",
            "--publish",
            &format!("{STAGING_PORT}:8080"),
        ])
        .args(["--url", &format!("http://127.0.0.1:{STAGING_PORT}/health")])
        .output()
        .expect("deploy");
    expect_code(&out, 0);

    // promote --from staging --to production: no --image.
    let out = cmd(&env, d)
        .args(["promote", "--from", "staging", "--to", "production"])
        .args(["--policy", "promotion.yml", "--format", "json"])
        .args([
            "--target",
            "docker",
            "--publish",
            &format!("{PROD_PORT}:8080"),
        ])
        .args(["--url", &format!("http://127.0.0.1:{PROD_PORT}/health")])
        .output()
        .expect("promote");
    expect_code(&out, 0);
    let decision = json(&out);
    assert_eq!(decision["decision"], "promoted", "{decision:#}");
    assert_eq!(decision["sha"], sha.as_str());
    assert_eq!(decision["artifacts"][0]["digest"], digest.as_str());

    // Production runs staging's digest: the container, the registry tags, the ledger.
    let staging_runs = container_digest(&env, &staging_c);
    assert!(
        staging_runs.starts_with(&format!("{digest}|")),
        "{staging_runs}"
    );
    assert_eq!(container_digest(&env, &prod_c), staging_runs);
    for tag in ["production".to_owned(), format!("production-{}", &sha[..7])] {
        assert_eq!(
            registry_digest(&env.registry, &repo, &tag).as_deref(),
            Some(digest.as_str()),
            "{tag}"
        );
    }
    let out = cmd(&env, d)
        .args(["history", "production", "--format", "json"])
        .output()
        .expect("history");
    let rows = json(&out)["deployments"].clone();
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows:#}");
    assert_eq!(rows[0]["state"], "success");
    assert_eq!(rows[0]["digest"], digest.as_str());
    remove_containers(&env, &[&staging_c, &prod_c]);
}

/// Two services built and pushed, each deployed to staging as its own record at one commit (as
/// gen-workflow's docker-target pipeline does).
struct TwoServices {
    web: String,
    api: String,
    web_digest: String,
    api_digest: String,
}

fn two_services(env: &docker::DockerEnv, d: &std::path::Path, label: &str) -> TwoServices {
    let base = format!("da-multi-{}-{label}", &docker::nonce()[..8]);
    let (web, api) = (format!("{base}/web"), format!("{base}/api"));
    let health = r#"{"status":"ok"}"#;
    let web_digest = build_push(
        env,
        d,
        &web,
        "v1",
        &[("index.html", "web"), ("health", health)],
    );
    let api_digest = build_push(
        env,
        d,
        &api,
        "v1",
        &[("index.html", "api"), ("health", health)],
    );
    TwoServices {
        web: format!("{}/{web}", env.registry),
        api: format!("{}/{api}", env.registry),
        web_digest,
        api_digest,
    }
}

fn deploy_each(
    env: &docker::DockerEnv,
    d: &std::path::Path,
    s: &TwoServices,
    sha: &str,
    extra: &dyn Fn(&mut assert_cmd::Command),
) {
    for (image, digest) in [(&s.web, &s.web_digest), (&s.api, &s.api_digest)] {
        let mut c = cmd(env, d);
        extra(&mut c);
        let out = c
            .args([
                "deploy", "-e", "staging", "--target", "external", "--sha", sha,
            ])
            .args(["--image", &format!("{image}@{digest}")])
            .output()
            .expect("deploy");
        expect_code(&out, 0);
    }
}

fn repository(image: &str, registry: &str) -> String {
    image
        .strip_prefix(&format!("{registry}/"))
        .unwrap_or(image)
        .to_owned()
}

#[test]
fn every_service_of_the_commit_is_promoted_together_on_github() {
    let Some(env) = docker::env() else { return };
    let Some(fake) = fake_github::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(
        d.join("promotion.yml"),
        format!("{POLICY}  checks: [test]\n"),
    )
    .expect("policy");
    let s = two_services(&env, d, "gh");
    let sha = docker::fake_sha();
    fake.seed_check_run(&sha, "test", "completed", Some("success"));
    let gh = |c: &mut assert_cmd::Command| {
        c.env("GITHUB_TOKEN", fake.token())
            .env(
                "GITHUB_REPOSITORY",
                format!("{}/{}", fake.owner(), fake.repo()),
            )
            .env("GITHUB_API_URL", fake.api_url());
    };
    // GitHub's own record of a job with `environment: staging` carries no digest: ignored.
    fake.seed_deployment("staging", &sha, serde_json::json!({}), Some("success"));
    deploy_each(&env, d, &s, &sha, &gh);

    let mut c = cmd(&env, d);
    gh(&mut c);
    let out = c
        .args([
            "promote",
            "--from",
            "staging",
            "--to",
            "production",
            "--sha",
            &sha,
        ])
        .args(["--policy", "promotion.yml", "--format", "json"])
        .output()
        .expect("promote");
    expect_code(&out, 0);
    let decision = json(&out);
    assert_eq!(decision["decision"], "promoted", "{decision:#}");
    let same = decision["gates"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["gate"] == "same_digest"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(same["verdict"], "pass", "{decision:#}");

    // Every service moved: both images carry :production and :production-<sha7>.
    for (image, digest) in [(&s.web, &s.web_digest), (&s.api, &s.api_digest)] {
        let repo = repository(image, &env.registry);
        for tag in ["production".to_owned(), format!("production-{}", &sha[..7])] {
            assert_eq!(
                registry_digest(&env.registry, &repo, &tag).as_deref(),
                Some(digest.as_str()),
                "{repo}:{tag}"
            );
        }
    }
    // One production deployment on GitHub, recording both digests, ending in success.
    let production: Vec<serde_json::Value> = fake
        .deployments()
        .into_iter()
        .filter(|d| d["environment"] == "production")
        .collect();
    assert_eq!(production.len(), 1, "{production:#?}");
    let payload = production[0]["payload"].to_string();
    assert!(
        payload.contains(&s.web_digest) && payload.contains(&s.api_digest),
        "{payload}"
    );
    let id = production[0]["id"].as_u64().expect("id");
    let last = fake
        .deployment_statuses(id)
        .last()
        .cloned()
        .unwrap_or_default();
    assert_eq!(last["state"], "success");
}

#[test]
fn with_the_ledger_image_overrides_must_match_staging_and_docker_runs_one_image() {
    let Some(env) = docker::env() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("promotion.yml"), POLICY).expect("policy");
    let s = two_services(&env, d, "ledger");
    let sha = docker::fake_sha();
    let promote = |extra: &[&str]| {
        cmd(&env, d)
            .args([
                "promote",
                "--from",
                "staging",
                "--to",
                "production",
                "--sha",
                &sha,
            ])
            .args(["--policy", "promotion.yml", "--format", "json"])
            .args(extra)
            .output()
            .expect("promote")
    };
    // Nothing in staging yet: nothing to promote, refused.
    let out = promote(&[]);
    expect_code(&out, 3);
    assert!(
        json(&out)["reason"]
            .as_str()
            .is_some_and(|r| r.contains("staging has no successful deployment of")),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    deploy_each(&env, d, &s, &sha, &|_| {});

    // An explicit --image that staging does not run is refused by same_digest.
    let other = format!("{}@{}", s.web, s.api_digest);
    let out = promote(&["--image", &other]);
    expect_code(&out, 3);
    let reason = json(&out)["reason"].as_str().unwrap_or_default().to_owned();
    assert!(reason.contains("gate same_digest fail"), "{reason}");
    // The docker target runs one image: two services ask for --gate-only or --image.
    let out = promote(&["--target", "docker", "--publish", "18433:8080"]);
    expect_code(&out, 2);
    let reason = json(&out)["reason"].as_str().unwrap_or_default().to_owned();
    assert!(
        reason.contains("--target docker runs one image"),
        "{reason}"
    );
    let web_repo = repository(&s.web, &env.registry);
    assert_eq!(
        registry_digest(&env.registry, &web_repo, "production"),
        None
    );

    // Without --image: both services, one record in the ledger.
    let out = promote(&[]);
    expect_code(&out, 0);
    let decision = json(&out);
    let mut promoted: Vec<String> = decision["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .map(|a| a["digest"].as_str().unwrap_or_default().to_owned())
        .collect();
    promoted.sort();
    let mut expected = vec![s.web_digest.clone(), s.api_digest.clone()];
    expected.sort();
    assert_eq!(promoted, expected);
    for (image, digest) in [(&s.web, &s.web_digest), (&s.api, &s.api_digest)] {
        let repo = repository(image, &env.registry);
        assert_eq!(
            registry_digest(&env.registry, &repo, "production").as_deref(),
            Some(digest.as_str())
        );
    }
    // A second run: already promoted, nothing moves.
    let out = promote(&[]);
    expect_code(&out, 0);
    assert_eq!(json(&out)["decision"], "already-promoted");
}
