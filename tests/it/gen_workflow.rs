//! `deploy-action gen-workflow` and `graph` through the built binary: the seed fixtures'
//! committed pipelines match what is generated (golden files; `UPDATE_GOLDEN=1` rewrites them),
//! `--check` reports drift with a diff, `--list` and `--help` are snapshotted.

use crate::harness;

mod e2e;
mod matrix;

use std::path::{Path, PathBuf};

fn seeds() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seeds");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures/seeds")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

#[test]
fn seed_fixtures_match_what_is_generated() {
    let all = seeds();
    assert_eq!(all.len(), 5, "one fixture per seed write-up 000-004");
    for seed in all {
        if std::env::var("UPDATE_GOLDEN").is_ok() {
            harness::bin()
                .args(["gen-workflow", "--dir"])
                .arg(&seed)
                .assert()
                .success();
        }
        let out = harness::bin()
            .args(["gen-workflow", "--check", "--dir"])
            .arg(&seed)
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{} drifted; run `UPDATE_GOLDEN=1 cargo test --test it gen_workflow::`:\n{}",
            seed.display(),
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn seed_fixtures_are_lint_clean() {
    let config = deploy_action_lint::lint::Config::default();
    for seed in seeds() {
        let path = seed.join(".github/workflows/deploy.yml");
        let text = std::fs::read_to_string(&path).expect("golden workflow");
        let r = deploy_action_lint::lint::lint_source(
            &path.display().to_string(),
            &text,
            deploy_action_lint::lint::FileKind::Workflow,
            &config,
        );
        assert!(
            r.findings.is_empty(),
            "{}: {:#?}",
            path.display(),
            r.findings
        );
    }
}

/// Copies a fixture folder into a temporary one.
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

#[test]
fn check_prints_a_diff_and_exits_1_on_drift() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let seed = &seeds()[0];
    copy_dir(seed, tmp.path());
    let wf = tmp.path().join(".github/workflows/deploy.yml");
    let text = std::fs::read_to_string(&wf).expect("read");
    std::fs::write(
        &wf,
        text.replace("cancel-in-progress: false", "cancel-in-progress: true"),
    )
    .expect("write");
    std::fs::remove_file(tmp.path().join(".github/promotion.yml")).expect("rm");
    let out = harness::bin()
        .args(["gen-workflow", "--check", "--dir"])
        .arg(tmp.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let diff = String::from_utf8_lossy(&out.stdout);
    assert!(
        diff.contains("(committed)") && diff.contains("(generated)"),
        "{diff}"
    );
    assert!(diff.contains("-      cancel-in-progress: true"), "{diff}");
    assert!(diff.contains("+      cancel-in-progress: false"), "{diff}");
    assert!(
        diff.contains("+from: staging"),
        "the missing policy shows as added: {diff}"
    );
    // Writing makes it pass again.
    harness::bin()
        .args(["gen-workflow", "--dir"])
        .arg(tmp.path())
        .assert()
        .success();
    harness::bin()
        .args(["gen-workflow", "--check", "--dir"])
        .arg(tmp.path())
        .assert()
        .success();
}

#[test]
fn dry_run_prints_both_files_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = harness::bin()
        .args([
            "gen-workflow",
            "--dry-run",
            "--stack",
            "go",
            "--target",
            "cloud-run",
            "--registry",
            "gar",
            "--dir",
        ])
        .arg(tmp.path())
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("deploy.yml <==") && text.contains("promotion.yml <=="),
        "{text}"
    );
    assert!(text.contains("gcloud run deploy \"$SERVICE\" --image \"${IMAGE}@${DIGEST}\""));
    assert!(!tmp.path().join(".github").exists());
}

#[test]
fn output_flag_writes_there_and_policy_beside_the_repo() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let wf = tmp.path().join("custom.yml");
    harness::bin()
        .args(["gen-workflow", "--stack", "rust", "--target", "ssh", "-o"])
        .arg(&wf)
        .arg("--dir")
        .arg(tmp.path())
        .assert()
        .success();
    let text = std::fs::read_to_string(&wf).expect("workflow");
    assert!(text.contains("appleboy/ssh-action@"));
    assert!(tmp.path().join(".github/promotion.yml").is_file());
}

#[test]
fn list_output() {
    let out = harness::bin()
        .args(["gen-workflow", "--list"])
        .output()
        .expect("run");
    assert!(out.status.success());
    insta::assert_snapshot!("gen_workflow_list", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn help_output() {
    let out = harness::bin()
        .args(["gen-workflow", "--help"])
        .output()
        .expect("run");
    insta::assert_snapshot!("gen_workflow_help", String::from_utf8_lossy(&out.stdout));
    let out = harness::bin()
        .args(["graph", "--help"])
        .output()
        .expect("run");
    insta::assert_snapshot!("graph_help", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn bad_config_and_flags_are_usage_errors_with_a_fix() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(tmp.path().join(".github")).expect("mkdir");
    std::fs::write(
        tmp.path().join(".github/deploy-action.yml"),
        "gen-workflow:\n  target: heroku\n",
    )
    .expect("write");
    let out = harness::bin()
        .args(["gen-workflow", "--dry-run", "--dir"])
        .arg(tmp.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown target \"heroku\"") && err.contains("container-apps"),
        "{err}"
    );

    let out = harness::bin()
        .args([
            "gen-workflow",
            "--dry-run",
            "--service",
            "Back End=backend/Dockerfile",
            "--dir",
        ])
        .arg(tmp.path())
        .arg("--config")
        .arg("/dev/null")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("lower-case"));
}

#[test]
fn graph_prints_the_job_graph_the_summary_carries() {
    let wf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/seeds/004-aks-helm/.github/workflows/deploy.yml");
    let out = harness::bin().arg("graph").arg(&wf).output().expect("run");
    assert!(out.status.success());
    let graph = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(graph.starts_with("flowchart LR\n"), "{graph}");
    assert!(graph.contains("deploy_staging --> promote"), "{graph}");
    let text = std::fs::read_to_string(&wf).expect("read");
    for line in graph.lines() {
        assert!(
            text.contains(&format!("          {line}\n")),
            "summary lacks {line:?}"
        );
    }
    let out = harness::bin()
        .arg("graph")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn host_port_moves_the_docker_targets_published_ports() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("Dockerfile"), "FROM scratch\nEXPOSE 8080\n").expect("write");
    let out = harness::bin()
        .args([
            "gen-workflow",
            "--dry-run",
            "--stack",
            "docker",
            "--target",
            "docker",
        ])
        .args(["--registry", "generic", "--host-port", "18500", "--dir"])
        .arg(tmp.path())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("--publish 18500:8080 --url http://127.0.0.1:18500/health"),
        "{text}"
    );
    assert!(
        text.contains("--publish 19500:8080 --url http://127.0.0.1:19500/health"),
        "{text}"
    );
    assert!(!text.contains("8080:8080"), "{text}");
    let bad = harness::bin()
        .args(["gen-workflow", "--dry-run", "--host-port", "65000", "--dir"])
        .arg(tmp.path())
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
}
