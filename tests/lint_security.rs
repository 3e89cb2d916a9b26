#![allow(clippy::print_stderr)]
//! The security rules driven through the binary: `script-injection`, `pr-target-checkout`,
//! `excessive-permissions` and `secrets-inherit`, on the fixtures under
//! `fixtures/lint/security/`, plus actionlint's untrusted-input test data.

mod common;

use common::bin;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/lint");

/// One finding as (rule, line, column, severity, message, help).
type Row = (String, u64, u64, String, String, String);

fn findings_in(dir: &str, path: &str) -> Vec<Row> {
    let out = bin()
        .current_dir(dir)
        .args(["lint", "--format", "json", path])
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
                f["column"].as_u64().unwrap_or_default(),
                f["severity"].as_str().unwrap_or_default().to_string(),
                f["message"].as_str().unwrap_or_default().to_string(),
                f["help"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn findings(path: &str) -> Vec<Row> {
    findings_in(FIXTURES, path)
}

/// (line, column, severity) of one rule's findings.
fn of(rule: &str, path: &str) -> Vec<(u64, u64, String)> {
    findings(path)
        .into_iter()
        .filter(|f| f.0 == rule)
        .map(|f| (f.1, f.2, f.3))
        .collect()
}

fn lines(rule: &str, path: &str) -> Vec<u64> {
    of(rule, path).into_iter().map(|f| f.0).collect()
}

#[test]
fn script_injection_points_at_each_untrusted_expression() {
    let got = of("script-injection", "security/script-injection-run.yml");
    let want: Vec<(u64, u64, String)> = [(13, 24), (17, 29), (18, 27), (22, 31), (24, 24)]
        .into_iter()
        .map(|(l, c)| (l, c, "error".to_string()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn script_injection_fails_the_run() {
    bin()
        .current_dir(FIXTURES)
        .args(["lint", "security/script-injection-run.yml"])
        .assert()
        .code(1);
}

#[test]
fn script_injection_help_names_an_environment_variable() {
    let rows = findings("security/script-injection-run.yml");
    let first = rows
        .iter()
        .find(|r| r.0 == "script-injection")
        .expect("finding");
    assert!(
        first
            .4
            .starts_with("\"github.event.issue.title\" is potentially untrusted")
    );
    assert!(
        first
            .5
            .contains("ISSUE_TITLE: ${{ github.event.issue.title }}"),
        "{}",
        first.5
    );
    assert!(first.5.contains("\"$ISSUE_TITLE\""), "{}", first.5);
    let js = rows
        .iter()
        .find(|r| r.1 == 22)
        .expect("github-script finding");
    assert!(js.5.contains("process.env.COMMENT_BODY"), "{}", js.5);
}

#[test]
fn script_injection_leaves_safe_uses_alone() {
    assert!(findings("security/script-injection-safe.yml").is_empty());
}

#[test]
fn script_injection_in_composite_action() {
    assert_eq!(
        of(
            "script-injection",
            "security/script-injection-action/action.yml"
        ),
        vec![(9, 23, "error".to_string())]
    );
}

/// Parses actionlint's `FILE:LINE:COL: MESSAGE [KIND]` lines.
fn expected_untrusted(out: &str) -> Vec<(u64, u64, String)> {
    out.lines()
        .filter(|l| l.ends_with("[expression]") && l.contains("untrusted"))
        .filter_map(|l| {
            let mut p = l.splitn(4, ':');
            let _file = p.next()?;
            let line = p.next()?.parse().ok()?;
            let col = p.next()?.parse().ok()?;
            let msg = p
                .next()?
                .trim()
                .trim_end_matches("[expression]")
                .trim()
                .to_string();
            Some((line, col, msg))
        })
        .collect()
}

#[test]
fn script_injection_matches_actionlint_on_its_untrusted_testdata() {
    let Some(shared) = common::shared() else {
        return;
    };
    let base = shared.join("corpus/actionlint-testdata");
    let dir = base.to_str().expect("utf8 path");
    for name in [
        "examples/untrusted_input",
        "err/nested_untrusted_input",
        "err/github_script_untrusted_input",
    ] {
        let out = std::fs::read_to_string(base.join(format!("{name}.out"))).expect("out");
        let want = expected_untrusted(&out);
        assert!(!want.is_empty(), "{name}: no expectations");
        let got: Vec<Row> = findings_in(dir, &format!("{name}.yaml"))
            .into_iter()
            .filter(|f| f.0 == "script-injection")
            .collect();
        assert_eq!(got.len(), want.len(), "{name}: {got:?}");
        for ((line, col, msg), g) in want.iter().zip(&got) {
            assert_eq!(&g.4, msg, "{name}");
            if name.starts_with("err/github_script") {
                // actionlint points a block-scalar input at its first line with the column
                // counted through the whole text; we point at the expression itself.
                assert_eq!((g.1, g.2), (16, 32), "{name}");
            } else {
                assert_eq!((g.1, g.2), (*line, *col), "{name}");
            }
        }
    }
    assert!(
        findings_in(dir, "ok/untrusted_inputs.yaml")
            .iter()
            .all(|f| f.0 != "script-injection")
    );
}

#[test]
fn pr_target_checkout_that_runs_the_code_is_an_error() {
    assert_eq!(
        of(
            "pr-target-checkout",
            "security/pr-target-checkout-runs-code.yml"
        ),
        vec![(10, 16, "error".to_string())]
    );
}

#[test]
fn pr_target_checkout_behind_a_guard_or_without_running_is_a_warning() {
    assert_eq!(
        of(
            "pr-target-checkout",
            "security/pr-target-checkout-guarded.yml"
        ),
        vec![
            (13, 16, "warning".to_string()),
            (21, 11, "warning".to_string())
        ]
    );
}

#[test]
fn pr_target_checkout_of_a_workflow_run_head_is_a_warning() {
    assert_eq!(
        of(
            "pr-target-checkout",
            "security/pr-target-checkout-workflow-run.yml"
        ),
        vec![(13, 16, "warning".to_string())]
    );
}

#[test]
fn pr_target_checkout_of_the_base_is_fine() {
    assert!(findings("security/pr-target-checkout-base.yml").is_empty());
}

#[test]
fn excessive_permissions_write_all() {
    assert_eq!(
        lines(
            "excessive-permissions",
            "security/excessive-permissions-write-all.yml"
        ),
        vec![4, 9]
    );
}

#[test]
fn excessive_permissions_deploy_with_default_token() {
    // `deploy` sets nothing; `scoped` sets its own permissions.
    assert_eq!(
        lines(
            "excessive-permissions",
            "security/excessive-permissions-deploy-default.yml"
        ),
        vec![9]
    );
}

#[test]
fn secrets_inherit_to_a_remote_workflow() {
    assert_eq!(
        lines("secrets-inherit", "security/secrets-inherit.yml"),
        vec![7]
    );
    // The fixture's local call points at a file that only exists in a real repository, so the
    // `workflow-call` rule has its own say; this rule's findings are all warnings.
    assert!(
        findings("security/secrets-inherit.yml")
            .iter()
            .filter(|f| f.0 == "secrets-inherit")
            .all(|f| f.3 == "warning")
    );
}
