#![allow(clippy::print_stderr)]
//! The pipeline rules driven through the binary: `deploy-environment`, `deploy-concurrency`,
//! `deploy-mutable-tag`, `deploy-production-gate` and `deploy-from-fork`, on the fixtures under
//! `fixtures/lint/pipeline/`.

use crate::harness;

use harness::bin;
use harness::lint::text;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/lint");

/// (rule, line, column, severity) of every finding of a pipeline rule (`deploy-*`) in a
/// fixture; the security rules have tests of their own.
fn findings(path: &str) -> Vec<(String, u64, u64, String)> {
    harness::lint::findings(FIXTURES, &[path])
        .iter()
        .filter(|f| f["rule"].as_str().is_some_and(|r| r.starts_with("deploy-")))
        .map(|f| {
            (
                text(f, "rule"),
                f["line"].as_u64().unwrap_or_default(),
                f["column"].as_u64().unwrap_or_default(),
                text(f, "severity"),
            )
        })
        .collect()
}

fn lines(rule: &str, path: &str) -> Vec<u64> {
    findings(path)
        .into_iter()
        .filter(|f| f.0 == rule)
        .map(|f| f.1)
        .collect()
}

#[test]
fn a_staged_pinned_guarded_pipeline_is_clean() {
    bin()
        .current_dir(FIXTURES)
        .args(["lint", "pipeline/deploy-pipeline-good.yml"])
        .assert()
        .success();
    assert!(findings("pipeline/deploy-pipeline-good.yml").is_empty());
}

#[test]
fn pipeline_rules_are_warnings() {
    let all = [
        "pipeline/deploy-no-environment.yml",
        "pipeline/deploy-mutable-tag.yml",
        "pipeline/deploy-production-ungated.yml",
        "pipeline/deploy-from-fork.yml",
    ];
    for f in all {
        let rows = findings(f);
        assert!(!rows.is_empty(), "{f}");
        assert!(rows.iter().all(|r| r.3 == "warning"), "{f}: {rows:?}");
        bin()
            .current_dir(FIXTURES)
            .args(["lint", f])
            .assert()
            .success();
    }
}

#[test]
fn deploy_environment_missing() {
    assert_eq!(
        lines("deploy-environment", "pipeline/deploy-no-environment.yml"),
        vec![10]
    );
}

#[test]
fn deploy_concurrency_missing() {
    assert_eq!(
        lines("deploy-concurrency", "pipeline/deploy-no-environment.yml"),
        vec![10]
    );
    // A workflow-level group covers every job.
    assert!(lines("deploy-concurrency", "pipeline/deploy-mutable-tag.yml").is_empty());
}

#[test]
fn deploy_mutable_tag_points_at_each_image() {
    let got: Vec<(u64, u64)> = findings("pipeline/deploy-mutable-tag.yml")
        .into_iter()
        .filter(|f| f.0 == "deploy-mutable-tag")
        .map(|f| (f.1, f.2))
        .collect();
    // latest, no tag, helm image.tag=main, a branch-name tag; not the SHA, the digest or the
    // `docker push`, which publishes rather than deploys.
    assert_eq!(got, vec![(15, 51), (21, 13), (24, 62), (25, 44)]);
}

#[test]
fn deploy_production_gate_missing() {
    assert_eq!(
        lines(
            "deploy-production-gate",
            "pipeline/deploy-production-ungated.yml"
        ),
        vec![19]
    );
}

#[test]
fn deploy_production_after_staging_and_smoke_test_is_gated() {
    assert!(findings("pipeline/deploy-production-after-staging.yml").is_empty());
}

#[test]
fn deploy_from_fork_unguarded_job_only() {
    // `guarded` has an if:, `after-guard` needs it, `step-guard` guards its deploy step.
    assert_eq!(
        lines("deploy-from-fork", "pipeline/deploy-from-fork.yml"),
        vec![13]
    );
}

#[test]
fn cluster_commands_against_a_throwaway_cluster_are_not_deploys() {
    assert!(findings("pipeline/throwaway-cluster.yml").is_empty());
}
