#![allow(clippy::print_stderr)]
//! The security rules driven through the binary: `script-injection`, `pr-target-checkout`,
//! `excessive-permissions` and `secrets-inherit`, on the fixtures under
//! `fixtures/lint/security/`, plus actionlint's untrusted-input test data. Security findings
//! are warnings or notes: GitHub runs these workflows.

use crate::harness;

use harness::bin;
use harness::lint::text;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/lint");

/// One finding as (rule, line, column, severity, message, help).
type Row = (String, u64, u64, String, String, String);

fn findings_in(dir: &str, path: &str) -> Vec<Row> {
    harness::lint::findings(dir, &[path])
        .iter()
        .map(|f| {
            (
                text(f, "rule"),
                f["line"].as_u64().unwrap_or_default(),
                f["column"].as_u64().unwrap_or_default(),
                text(f, "severity"),
                text(f, "message"),
                text(f, "help"),
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
        .map(|(l, c)| (l, c, "warning".to_string()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn script_injection_is_a_warning_and_the_run_passes() {
    // GitHub runs the workflow: no error, so the default exit status is 0.
    bin()
        .current_dir(FIXTURES)
        .args(["lint", "security/script-injection-run.yml"])
        .assert()
        .code(0);
}

#[test]
fn script_injection_offers_the_env_fix() {
    let out = bin()
        .current_dir(FIXTURES)
        .args([
            "lint",
            "--format",
            "json",
            "security/script-injection-run.yml",
        ])
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let rows: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "script-injection")
        .collect();
    let first = rows[0];
    // actionlint's message for the inputs it knows; zizmor's audit, severity and confidence.
    assert!(
        first["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("\"github.event.issue.title\" is potentially untrusted")),
        "{first}"
    );
    assert_eq!(first["zizmor"], "template-injection");
    assert_eq!(first["zizmor_severity"], "high");
    assert_eq!(first["confidence"], "high");
    let edits = first["fix"]["edits"].as_array().expect("a fix");
    let texts: Vec<&str> = edits.iter().filter_map(|e| e["text"].as_str()).collect();
    // Inside the script's double quotes, the variable needs no quotes of its own.
    assert!(texts.contains(&"${ISSUE_TITLE}"), "{texts:?}");
    assert!(
        texts
            .iter()
            .any(|t| t.contains("ISSUE_TITLE: ${{ github.event.issue.title }}")),
        "{texts:?}"
    );
    // github.head_ref is the runner's GITHUB_HEAD_REF: read directly, no env: entry.
    let head = rows.iter().find(|r| r["line"] == 17).expect("head_ref");
    let head_edits = head["fix"]["edits"].as_array().expect("a fix");
    assert_eq!(head_edits.len(), 1);
    assert_eq!(head_edits[0]["text"], "${GITHUB_HEAD_REF}");
    // github-script: no fix, and the hint says how to read the environment in JavaScript.
    let js = rows
        .iter()
        .find(|r| r["line"] == 22)
        .expect("github-script");
    assert!(js.get("fix").is_none());
    assert!(
        js["help"]
            .as_str()
            .is_some_and(|h| h.contains("process.env")),
        "{js}"
    );
}

#[test]
fn script_injection_leaves_safe_uses_alone() {
    assert!(lines("script-injection", "security/script-injection-safe.yml").is_empty());
}

#[test]
fn script_injection_in_composite_action() {
    assert_eq!(
        of(
            "script-injection",
            "security/script-injection-action/action.yml"
        ),
        vec![(9, 23, "warning".to_string())]
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
    let Some(shared) = harness::shared() else {
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
fn pr_target_checkout_that_runs_the_code_is_a_warning_with_high_confidence() {
    assert_eq!(
        of(
            "pr-target-checkout",
            "security/pr-target-checkout-runs-code.yml"
        ),
        vec![(10, 16, "warning".to_string())]
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
    assert!(lines("pr-target-checkout", "security/pr-target-checkout-base.yml").is_empty());
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
    // `deploy` sets nothing; `scoped` sets its own permissions. With two jobs, one without,
    // the workflow's missing `permissions:` is reported too (line 1).
    assert_eq!(
        lines(
            "excessive-permissions",
            "security/excessive-permissions-deploy-default.yml"
        ),
        vec![1, 9]
    );
}

#[test]
fn secrets_inherit_to_a_remote_workflow_warns_and_a_local_one_notes() {
    // Reported at the call's `uses:`, as zizmor does.
    assert_eq!(
        of("secrets-inherit", "security/secrets-inherit.yml"),
        vec![(6, 11, "warning".to_string()), (9, 11, "note".to_string())]
    );
}

/// Findings (rule, line) of a workflow given on standard input.
fn stdin_findings(src: &str) -> Vec<(String, u64)> {
    let out = bin()
        .args(["lint", "--format", "json", "--stdin-filename", "w.yml", "-"])
        .write_stdin(src)
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
            )
        })
        .collect()
}

#[test]
fn zizmor_ignore_comments_silence_the_rule_that_covers_the_audit() {
    let src = "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    permissions: {}\n    steps:\n      - run: | # zizmor: ignore[template-injection] reviewed\n          echo \"${{ github.event.head_commit.message }}\"\n      - run: |\n          echo \"${{ github.event.head_commit.message }}\" # zizmor: ignore[template-injection]\n      - uses: actions/checkout@v4 # zizmor: ignore[unpinned-uses,artipacked]\n";
    let f = stdin_findings(src);
    let injections: Vec<u64> = f
        .iter()
        .filter(|(r, _)| r == "script-injection")
        .map(|(_, l)| *l)
        .collect();
    // The first step's comment is a YAML comment on its `run:` line; the second is text
    // inside the script, which zizmor does not read as a comment either.
    assert_eq!(injections, vec![11], "{f:?}");
    assert!(
        !f.iter()
            .any(|(r, _)| r == "unpinned-uses" || r == "artipacked"),
        "{f:?}"
    );
}

#[test]
fn list_rules_names_the_zizmor_and_actionlint_counterparts() {
    let out = bin()
        .args(["lint", "--list-rules", "--format", "json"])
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let rules = v.as_array().expect("rules");
    let find = |id: &str| rules.iter().find(|r| r["id"] == id).expect(id).clone();
    assert_eq!(find("script-injection")["zizmor"], "template-injection");
    assert_eq!(find("script-injection")["actionlint"], "expression");
    assert_eq!(find("artipacked")["zizmor"], "artipacked");
    assert!(find("runner-label")["zizmor"].is_null());
    // Security rules are warnings or notes: GitHub runs what they find.
    for r in rules
        .iter()
        .filter(|r| !r["zizmor"].is_null() && r["actionlint"].is_null())
    {
        assert_ne!(r["severity"], "error", "{r}");
    }
}
