//! `promote` end to end on the test daemon and registry with the local ledger: a healthy build
//! is promoted (same digest in production, `:production` and `:production-<sha7>` in the
//! registry), a second promotion is a no-op, a build failing the health gate is refused, and a
//! build failing post-promotion verification is rolled back automatically.

use crate::harness;
use crate::harness::promote_env;

use harness::docker::{self, registry_digest};
use promote_env::{
    build_push, cmd, container_digest, expect_code, policy, remove_containers, states,
};

const STAGING_PORT: u16 = 18411;
const PROD_PORT: u16 = 18412;

#[test]
fn promote_refuse_and_roll_back_with_the_ledger() {
    let Some(env) = docker::env() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let repo = format!("da-promote-{}/web-promote-ledger", &docker::nonce()[..8]);
    let (staging_c, prod_c) = (
        "deploy-action-web-promote-ledger-staging",
        "deploy-action-web-promote-ledger-production",
    );
    remove_containers(
        &env,
        &[
            staging_c,
            prod_c,
            &format!("{staging_c}-next"),
            &format!("{prod_c}-next"),
        ],
    );
    let staging = format!("http://127.0.0.1:{STAGING_PORT}");
    let production = format!("http://127.0.0.1:{PROD_PORT}");
    std::fs::write(d.join("promotion.yml"), policy(&staging, &production)).expect("policy");

    let ok_health = r#"{"status":"ok"}"#;
    let v1 = build_push(
        &env,
        d,
        &repo,
        "v1",
        &[
            ("index.html", "app v1"),
            ("health", ok_health),
            ("ready", "yes"),
        ],
    );
    let v2 = build_push(
        &env,
        d,
        &repo,
        "v2",
        &[
            ("index.html", "app v2"),
            ("health", r#"{"status":"degraded"}"#),
            ("ready", "yes"),
        ],
    );
    let v3 = build_push(
        &env,
        d,
        &repo,
        "v3",
        &[("index.html", "app v3"), ("health", ok_health)],
    );
    let image = |digest: &str| format!("{}/{repo}@{digest}", env.registry);
    let (sha1, sha2, sha3) = (docker::fake_sha(), docker::fake_sha(), docker::fake_sha());

    let deploy_staging = |digest: &str, sha: &str| {
        let out = cmd(&env, d)
            .args([
                "deploy",
                "-e",
                "staging",
                "--image",
                &image(digest),
                "--sha",
                sha,
            ])
            .args([
                "--target",
                "docker",
                "--publish",
                &format!("{STAGING_PORT}:8080"),
                "--health-timeout",
                "20s",
            ])
            .output()
            .expect("deploy");
        expect_code(&out, 0);
    };
    let promote = |digest: &str, sha: &str| {
        cmd(&env, d)
            .args([
                "promote",
                "--policy",
                "promotion.yml",
                "--sha",
                sha,
                "--image",
                &image(digest),
            ])
            .args([
                "--target",
                "docker",
                "--publish",
                &format!("{PROD_PORT}:8080"),
                "--health-timeout",
                "20s",
            ])
            .args(["--format", "json"])
            .output()
            .expect("promote")
    };
    let decision = |out: &std::process::Output| -> serde_json::Value {
        serde_json::from_slice(&out.stdout).expect("decision json")
    };

    // A healthy build goes from staging to production unchanged.
    deploy_staging(&v1, &sha1);
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let out = promote(&v1, &sha1);
    expect_code(&out, 0);
    let rec = decision(&out);
    assert_eq!(rec["decision"], "promoted", "{rec:#}");
    let gates: Vec<&str> = rec["gates"]
        .as_array()
        .expect("gates")
        .iter()
        .map(|g| g["gate"].as_str().unwrap_or(""))
        .collect();
    for g in ["deployed", "same_digest", "soak", "health"] {
        assert!(gates.contains(&g), "{gates:?}");
    }
    assert!(
        container_digest(&env, prod_c).starts_with(&format!("{v1}|")),
        "production runs v1"
    );
    assert_eq!(
        registry_digest(&env.registry, &repo, "production").as_deref(),
        Some(v1.as_str())
    );
    assert_eq!(
        registry_digest(&env.registry, &repo, &format!("production-{}", &sha1[..7])).as_deref(),
        Some(v1.as_str())
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("gate health: started") && stderr.contains("gate health: pass"),
        "{stderr}"
    );
    let record_file = d.join(format!(
        ".deploy-action/decisions/{}-production.json",
        &sha1[..7]
    ));
    assert!(record_file.exists(), "decision record written");

    // Promoting the same commit again does nothing.
    let out = promote(&v1, &sha1);
    expect_code(&out, 0);
    assert_eq!(decision(&out)["decision"], "already-promoted");
    assert_eq!(states(&env, d, "production", &[]), ["success"]);

    // A build whose health endpoint reports trouble is refused at the gate.
    deploy_staging(&v2, &sha2);
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let out = promote(&v2, &sha2);
    expect_code(&out, 3);
    let rec = decision(&out);
    assert_eq!(rec["decision"], "refused");
    assert!(
        rec["reason"].as_str().unwrap_or("").contains("health"),
        "{rec:#}"
    );
    assert_eq!(
        registry_digest(&env.registry, &repo, "production").as_deref(),
        Some(v1.as_str()),
        "nothing retagged"
    );
    assert_eq!(
        states(&env, d, "production", &[]),
        ["success"],
        "no production deployment"
    );

    // A build that passes the gate but fails verification (no /ready) is rolled back.
    deploy_staging(&v3, &sha3);
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let out = promote(&v3, &sha3);
    expect_code(&out, 3);
    let rec = decision(&out);
    assert_eq!(rec["decision"], "rolled-back", "{rec:#}");
    assert!(
        container_digest(&env, prod_c).starts_with(&format!("{v1}|")),
        "production runs v1 again"
    );
    assert_eq!(
        registry_digest(&env.registry, &repo, "production").as_deref(),
        Some(v1.as_str()),
        ":production back on v1"
    );
    assert_eq!(
        states(&env, d, "production", &[]),
        ["success", "failure", "inactive"]
    );

    remove_containers(&env, &[staging_c, prod_c]);
}
