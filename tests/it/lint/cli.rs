#![allow(clippy::print_stderr)]
//! `deploy-action lint` driven as a user would: exit statuses, formats, stdin, configuration,
//! suppression comments, and snapshots of every output format on the same fixtures.

use crate::harness;

use harness::bin;
use predicates::prelude::*;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/lint");

fn lint(args: &[&str]) -> assert_cmd::assert::Assert {
    bin().current_dir(FIXTURES).arg("lint").args(args).assert()
}

fn stdout_of(args: &[&str]) -> String {
    String::from_utf8(lint(args).get_output().stdout.clone()).expect("utf8")
}

#[test]
fn clean_file_exits_zero_and_prints_nothing() {
    lint(&["clean.yml"]).success().stdout("");
}

#[test]
fn findings_exit_one() {
    lint(&["mixed-errors.yml"]).code(1);
}

/// Warnings alone pass by default (GitHub runs the workflow); `--fail-on` lowers the bar.
#[test]
fn fail_on_sets_the_least_severity_that_fails() {
    let json = stdout_of(&["--format", "json", "warnings-only.yml"]);
    assert!(json.contains("\"severity\": \"warning\""), "{json}");
    assert!(!json.contains("\"severity\": \"error\""), "{json}");
    lint(&["warnings-only.yml"]).code(0);
    lint(&["--fail-on", "error", "warnings-only.yml"]).code(0);
    lint(&["--fail-on", "warning", "warnings-only.yml"]).code(1);
    lint(&["--fail-on", "note", "warnings-only.yml"]).code(1);
    lint(&["--fail-on", "note", "clean.yml"]).code(0);
    lint(&["--fail-on", "warning", "mixed-errors.yml"]).code(1);
    lint(&["--fail-on", "fatal", "clean.yml"])
        .code(2)
        .stderr(predicate::str::contains("--fail-on"));
}

#[test]
fn missing_file_is_a_usage_error() {
    lint(&["nope.yml"])
        .code(2)
        .stderr(predicate::str::contains("nope.yml: no such file"));
}

/// Named files are linted while they are checked: a missing one among them is still a usage
/// error before anything is written, streamed report or not (SARIF is rendered at the end).
#[test]
fn a_missing_file_among_named_files_stops_the_run_before_any_output() {
    for format in ["json", "human", "sarif"] {
        lint(&[
            "--format",
            format,
            "--shellcheck",
            "off",
            "clean.yml",
            "mixed-errors.yml",
            "nope.yml",
            "warnings-only.yml",
        ])
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("nope.yml: no such file"));
    }
}

/// A folder named among files is linted in its place: its workflows come where it was named.
#[test]
fn a_folder_among_named_files_is_linted_in_its_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let unknown_label = |label: &str| {
        format!("on: push\njobs:\n  a:\n    runs-on: {label}\n    steps:\n      - run: echo\n")
    };
    std::fs::create_dir_all(dir.path().join("repo/.github/workflows")).expect("mkdir");
    for (path, label) in [
        ("one.yml", "one-label"),
        ("repo/.github/workflows/two.yml", "two-label"),
        ("three.yml", "three-label"),
    ] {
        std::fs::write(dir.path().join(path), unknown_label(label)).expect("write");
    }
    let report = |format: &str| -> serde_json::Value {
        let out = bin()
            .current_dir(dir.path())
            .args(["lint", "--format", format, "--shellcheck", "off"])
            .args(["one.yml", "repo", "three.yml"])
            .output()
            .expect("run");
        serde_json::from_slice(&out.stdout).expect(format)
    };
    let want = ["one.yml", "repo/.github/workflows/two.yml", "three.yml"];
    let v = report("json");
    assert_eq!(v["files_checked"], 3, "{v}");
    let paths: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "runner-label")
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert_eq!(paths, want, "{v}");
    // SARIF is rendered once every file is linted (the other way through the run).
    let v = report("sarif");
    let uris: Vec<&str> = v["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["ruleId"] == "runner-label")
        .filter_map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    assert_eq!(uris, want, "{v}");
}

#[test]
fn malformed_yaml_is_a_finding_not_a_crash() {
    lint(&["--format", "json", "broken-yaml.yml"])
        .code(1)
        .stdout(predicate::str::contains("\"rule\": \"yaml-syntax\""));
}

#[test]
fn human_format_snapshot() {
    insta::assert_snapshot!(stdout_of(&[
        "--color",
        "never",
        "mixed-errors.yml",
        "broken-yaml.yml",
        "action-bad/action.yml"
    ]));
}

#[test]
fn json_format_snapshot() {
    insta::assert_snapshot!(stdout_of(&[
        "--format",
        "json",
        "mixed-errors.yml",
        "broken-yaml.yml",
        "action-bad/action.yml"
    ]));
}

#[test]
fn sarif_format_snapshot() {
    insta::assert_snapshot!(stdout_of(&[
        "--format",
        "sarif",
        "mixed-errors.yml",
        "broken-yaml.yml",
        "action-bad/action.yml"
    ]));
}

#[test]
fn github_format_snapshot() {
    insta::assert_snapshot!(stdout_of(&[
        "--format",
        "github",
        "mixed-errors.yml",
        "broken-yaml.yml",
        "action-bad/action.yml"
    ]));
}

#[test]
fn json_contract_fields() {
    let out = stdout_of(&["--format", "json", "mixed-errors.yml"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["version"], 1);
    assert_eq!(v["files_checked"], 1);
    let f = &v["findings"][0];
    for key in [
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "rule",
        "severity",
        "message",
    ] {
        assert!(f.get(key).is_some(), "missing {key} in {f}");
    }
}

#[test]
fn suppression_comment_silences_only_that_rule() {
    let out = stdout_of(&["--format", "json", "mixed-errors.yml"]);
    assert!(
        !out.contains("unknown-key"),
        "suppressed finding was reported"
    );
    assert!(out.contains("\"rule\": \"runner-label\""));
}

#[test]
fn stdin_with_filename() {
    let src = std::fs::read_to_string(format!("{FIXTURES}/mixed-errors.yml")).expect("fixture");
    bin()
        .args([
            "lint",
            "--format",
            "json",
            "--stdin-filename",
            "wf/x.yml",
            "-",
        ])
        .write_stdin(src)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\"path\": \"wf/x.yml\""));
}

#[test]
fn stdin_named_action_yml_is_action_metadata() {
    bin()
        .args([
            "lint",
            "--format",
            "json",
            "--stdin-filename",
            "action.yml",
            "-",
        ])
        .write_stdin("name: x\ndescription: y\nruns:\n  using: node99\n  main: i.js\n")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("action-metadata"));
}

#[test]
fn github_actions_adds_annotations_to_human_output() {
    bin()
        .current_dir(FIXTURES)
        .env("GITHUB_ACTIONS", "true")
        .args(["lint", "mixed-errors.yml"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "::error file=mixed-errors.yml,line=",
        ))
        .stdout(predicate::str::contains(" --> mixed-errors.yml:"));
}

#[test]
fn config_disables_rules_and_adds_runner_labels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wf = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).expect("mkdir");
    std::fs::write(
        wf.join("ci.yml"),
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: [self-hosted, gpu-a100]\n    steps:\n      - run: echo\n        shell: fish\n",
    )
    .expect("write");
    // Without config: the unknown label and the bad shell are both errors.
    bin()
        .current_dir(dir.path())
        .args(["lint", "--format", "json"])
        .assert()
        .code(1);
    std::fs::write(
        dir.path().join(".github/deploy-action.yml"),
        "lint:\n  disable: [shell-name, self-hosted-runner]\n  self-hosted-runner:\n    labels: ['gpu-*']\n",
    )
    .expect("write");
    bin()
        .current_dir(dir.path())
        .args(["lint"])
        .assert()
        .success()
        .stdout("");
}

#[test]
fn bad_config_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("c.yml");
    std::fs::write(&cfg, "lint:\n  disabel: [x]\n").expect("write");
    bin()
        .current_dir(FIXTURES)
        .args(["lint", "--config"])
        .arg(&cfg)
        .arg("clean.yml")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("c.yml:2:3").and(predicate::str::contains("unknown key")));
}

#[test]
fn a_missing_config_is_one_line_naming_its_cause_once() {
    let out = lint(&["--config", "no-such-config.yml", "clean.yml"])
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("cannot read config no-such-config.yml"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("os error 2").count(), 1, "{stderr}");
}

#[test]
fn directory_argument_finds_workflows_and_actions() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join(".github/workflows")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("act")).expect("mkdir");
    std::fs::write(
        dir.path().join(".github/workflows/a.yaml"),
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("act/action.yml"),
        "name: a\ndescription: b\nruns:\n  using: composite\n  steps: []\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("notes.yml"), "not: a workflow\n").expect("write");
    let out = bin()
        .current_dir(dir.path())
        .args(["lint", "--format", "json", "."])
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["files_checked"], 2, "{v}");
}

#[test]
fn no_color_env_disables_colour() {
    bin()
        .current_dir(FIXTURES)
        .env("NO_COLOR", "1")
        .args(["lint", "--color", "auto", "mixed-errors.yml"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\u{1b}[").not());
}
