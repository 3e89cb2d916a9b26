//! The pipeline `gen-workflow` writes for the local `docker` target, run end to end: its
//! `build`, `deploy-staging` and `promote` jobs for a push to `main`, each deploy-action step
//! executed through `action.yml` (release download, sha256 check, the command) by the
//! composite-action harness, against the test daemon, the test registry and the fake GitHub.

use crate::harness;
use crate::harness::promote_env;
use crate::harness::workflow_runner;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use harness::action_harness::{pinned_action_dir, release_dir, serve_dir};
use harness::docker::{self, registry_digest};
use harness::fake_github;
use promote_env::{container_digest, remove_containers};
use workflow_runner::WorkflowRunner;

/// The containers the generated pipeline runs (`--name` is the service's name).
const STAGING: &str = "deploy-action-e2eshop-staging";
const PRODUCTION: &str = "deploy-action-e2eshop-production";

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A repository with one Dockerfile: busybox httpd serving `/health` on port 8080.
fn app_repository(dir: &Path, base_image: &str) -> String {
    std::fs::create_dir_all(dir.join("www")).expect("mkdir");
    std::fs::write(dir.join("www/health"), "{\"status\":\"ok\"}").expect("health");
    std::fs::write(dir.join("www/index.html"), "shop").expect("index");
    std::fs::write(
        dir.join("Dockerfile"),
        format!(
            "FROM {base_image}\nCOPY www /www\nEXPOSE 8080\n\
             CMD [\"sh\", \"-c\", \"trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait\"]\n"
        ),
    )
    .expect("Dockerfile");
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "shop"]);
    git(dir, &["rev-parse", "HEAD"])
}

fn to_map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn generated_docker_pipeline_builds_deploys_and_promotes_through_the_action() {
    let Some(env) = docker::env() else { return };
    let Some(fake) = fake_github::start() else {
        return;
    };
    remove_containers(
        &env,
        &[
            STAGING,
            PRODUCTION,
            &format!("{STAGING}-next"),
            &format!("{PRODUCTION}-next"),
        ],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let repo_dir = dir.path().join("shop");
    std::fs::create_dir_all(&repo_dir).expect("repo dir");
    let sha = app_repository(&repo_dir, &env.base_image);

    // The pipeline, as a user would generate it (a short soak so the test need not wait 10m).
    let image_name = format!("da-e2e-{}/shop", &docker::nonce()[..8]);
    let out = harness::bin()
        .current_dir(&repo_dir)
        .args(["gen-workflow", "--stack", "docker", "--registry", "generic"])
        .args(["--target", "docker", "--service", "e2eshop=Dockerfile"])
        .args(["--image-name", &image_name, "--soak", "1s"])
        .output()
        .expect("gen-workflow");
    assert!(out.status.success(), "gen-workflow: {out:?}");
    let workflow = repo_dir.join(".github/workflows/deploy.yml");
    let policy = std::fs::read_to_string(repo_dir.join(".github/promotion.yml")).expect("policy");
    assert!(policy.contains("soak: 1s"), "{policy}");
    // The generated files are committed with the app, as the user would.
    git(&repo_dir, &["add", "-A"]);
    git(&repo_dir, &["commit", "-q", "-m", "pipeline"]);
    let sha = {
        let head = git(&repo_dir, &["rev-parse", "HEAD"]);
        assert_ne!(head, sha);
        head
    };

    // The action is used as `org/deploy-action@v1`, whose tree pins the v1.0.0 release of this
    // build in dist/SHA256SUMS; serve that release.
    let release = release_dir("v1.0.0", "x86_64-unknown-linux-gnu");
    let base = serve_dir(release.path());
    let action = pinned_action_dir(&release.path().join("v1.0.0/SHA256SUMS"));
    let repository = format!("{}/{}", fake.owner(), fake.repo());
    let runner = WorkflowRunner {
        workflow,
        workspace: repo_dir.clone(),
        github: to_map(&[
            ("event_name", "push"),
            ("ref", "refs/heads/main"),
            ("ref_name", "main"),
            ("sha", &sha),
            ("repository", &repository),
            ("token", fake.token()),
            ("run_id", "4242"),
            ("server_url", "https://github.com"),
        ]),
        vars: to_map(&[("REGISTRY_HOST", &env.registry), ("REGISTRY_USERNAME", "")]),
        environment_vars: [
            ("staging", "http://127.0.0.1:8080"),
            ("production", "http://127.0.0.1:9080"),
        ]
        .into_iter()
        .map(|(e, url)| (e.to_owned(), to_map(&[("APP_URL", url)])))
        .collect(),
        secrets: to_map(&[("REGISTRY_PASSWORD", "")]),
        env: to_map(&[
            ("GITHUB_SHA", &sha),
            ("GITHUB_REF", "refs/heads/main"),
            ("GITHUB_REF_NAME", "main"),
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_REPOSITORY", &repository),
            ("GITHUB_API_URL", &fake.api_url()),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_RUN_ID", "4242"),
            ("DOCKER_HOST", &env.host),
            ("DEPLOY_ACTION_BALANCER_IMAGE", &harness::balancer_image()),
            ("DOCKER_BUILDKIT", "0"),
            ("DEPLOY_ACTION_DOWNLOAD_BASE", &base),
        ]),
        action: "org/deploy-action".to_owned(),
        prepare: None,
        action_dir: Some(action.path().to_path_buf()),
    };

    // build: the image is built and pushed through the action; its digest is the registry's.
    let jobs = runner.run(&["build"]);
    let build = &jobs["build"];
    assert!(build.ran && build.success, "build:\n{}", build.log());
    assert!(
        build
            .steps
            .iter()
            .any(|s| s.ran && s.log.contains("sha256 verified")),
        "the action installed the release:\n{}",
        build.log()
    );
    let image = build.outputs["image"].clone();
    let digest = build.outputs["digest"].clone();
    assert_eq!(image, format!("{}/{image_name}", env.registry));
    assert_eq!(
        registry_digest(&env.registry, &image_name, &format!("sha-{}", &sha[..7])).as_deref(),
        Some(digest.as_str()),
        "the build job's digest output is the pushed manifest's"
    );

    // GitHub records the jobs as check runs of the commit; the policy requires test and build.
    fake.seed_check_run(&sha, "test", "completed", Some("success"));
    fake.seed_check_run(&sha, "build", "completed", Some("success"));

    let mut done = jobs;
    let staged = runner.run_after(&["deploy-staging"], &done);
    done.extend(staged);
    let staging = &done["deploy-staging"];
    assert!(
        staging.ran && staging.success,
        "deploy-staging:\n{}",
        staging.log()
    );
    // `digest|image id` of the container.
    let staging_runs = container_digest(&env, STAGING);
    assert!(
        staging_runs.starts_with(&format!("{digest}|")),
        "{staging_runs}"
    );

    // The policy's soak is 1s.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let promoted = runner.run_after(&["promote"], &done);
    let promote = &promoted["promote"];
    assert!(
        promote.ran && promote.success,
        "promote:\n{}",
        promote.log()
    );
    let gate = promote
        .steps
        .iter()
        .find(|s| s.ran && s.outputs.contains_key("decision"))
        .unwrap_or_else(|| panic!("no promote step ran:\n{}", promote.log()));
    assert_eq!(gate.outputs["decision"], "promoted", "{}", gate.log);

    // Production runs the identical digest, retagged in the registry without a rebuild.
    assert_eq!(container_digest(&env, PRODUCTION), staging_runs);
    assert_eq!(
        registry_digest(&env.registry, &image_name, "production").as_deref(),
        Some(digest.as_str())
    );
    assert_eq!(
        registry_digest(
            &env.registry,
            &image_name,
            &format!("production-{}", &sha[..7])
        )
        .as_deref(),
        Some(digest.as_str())
    );
    // One deployment per environment on GitHub, each ending in success, with the digest.
    let deployments = fake.deployments();
    for environment in ["staging", "production"] {
        let of_env: Vec<_> = deployments
            .iter()
            .filter(|d| d["environment"] == environment)
            .collect();
        assert_eq!(of_env.len(), 1, "{environment}: {deployments:#?}");
        assert_eq!(of_env[0]["sha"], sha.as_str());
        assert!(
            of_env[0]["payload"].to_string().contains(&digest),
            "{environment} payload: {}",
            of_env[0]["payload"]
        );
        let id = of_env[0]["id"].as_u64().expect("id");
        let states: Vec<String> = fake
            .deployment_statuses(id)
            .iter()
            .map(|s| s["state"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert!(
            states.iter().any(|s| s == "success"),
            "{environment} statuses: {states:?}"
        );
        assert!(
            !states.iter().any(|s| s == "failure" || s == "error"),
            "{environment} statuses: {states:?}"
        );
    }
    remove_containers(&env, &[STAGING, PRODUCTION]);
}
