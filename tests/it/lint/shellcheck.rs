//! The `shellcheck` rule through the binary: which scripts, where findings land in the YAML,
//! severities, suppression, `--shellcheck off|PATH`, and a missing shellcheck.

use crate::harness;

use predicates::prelude::*;
use serde_json::Value;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/lint/shellcheck");

/// Fails (never skips) in CI when shellcheck is missing; elsewhere says so and skips.
fn have_shellcheck() -> bool {
    let ok = std::process::Command::new("shellcheck")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var("CI").as_deref() != Ok("true"),
        "shellcheck is missing; CI needs it (scripts/test.sh installs it)"
    );
    ok
}

/// `path:line:col severity message` of the shellcheck findings.
fn findings(args: &[&str]) -> Vec<String> {
    harness::lint::findings(DIR, args)
        .iter()
        .filter(|f| f["rule"] == "shellcheck")
        .map(|f| {
            format!(
                "{}:{}:{} {} {}",
                f["path"].as_str().unwrap_or_default(),
                f["line"],
                f["column"],
                f["severity"].as_str().unwrap_or_default(),
                f["message"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

#[test]
fn findings_land_on_the_scripts_own_line_and_column() {
    if !have_shellcheck() {
        return;
    }
    let f = findings(&["scripts.yml"]);
    let sc2086 = "warning SC2086 (info): Double quote to prevent globbing and word splitting";
    let want = [
        format!("scripts.yml:8:19 {sc2086}"),
        // `${{ github.ref }}` is masked to underscores of its own length.
        format!("scripts.yml:11:34 {sc2086}"),
        format!("scripts.yml:14:11 {sc2086}"),
        format!("scripts.yml:15:27 {sc2086}"),
        // The same script in another job: found once, reported at both places.
        format!("scripts.yml:30:19 {sc2086}"),
    ];
    for w in &want {
        assert!(f.contains(w), "missing {w}\nin {f:#?}");
    }
    // A script the shell cannot parse fails its step: an error.
    assert!(
        f.iter()
            .any(|l| l.starts_with("scripts.yml:22:") && l.contains(" error SC10")),
        "{f:#?}"
    );
    // Suppressed by our comment, by shellcheck's own directive, PowerShell on Windows.
    for gone in ["suppressed", ":19:", ":20:", ":26:"] {
        assert!(!f.iter().any(|l| l.contains(gone)), "{gone} in {f:#?}");
    }
}

#[test]
fn composite_action_steps_are_checked() {
    if !have_shellcheck() {
        return;
    }
    let f = findings(&["composite/action.yml"]);
    assert_eq!(
        f,
        [
            "composite/action.yml:6:17 warning SC2086 (info): Double quote to prevent globbing and \
          word splitting"
        ]
    );
}

#[test]
fn off_checks_nothing_and_a_missing_shellcheck_is_one_note() {
    assert!(findings(&["--shellcheck", "off", "scripts.yml"]).is_empty());
    // The default, not installed: one note on stderr, the other rules still run.
    let out = harness::bin()
        .current_dir(DIR)
        .env("PATH", "/nonexistent")
        .args(["lint", "--format", "json", "scripts.yml"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("shellcheck is not installed").count(),
        1,
        "{stderr}"
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["files_checked"], 1);
    assert_eq!(out.status.code(), Some(0));
    // A path given explicitly and missing: a usage error.
    harness::bin()
        .current_dir(DIR)
        .args([
            "lint",
            "--shellcheck",
            "/nonexistent/shellcheck",
            "scripts.yml",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("shellcheck not found"));
}
