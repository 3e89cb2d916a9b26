#![allow(clippy::print_stderr)]
//! "Did you mean" suggestions for unknown names, one small workflow per kind of name
//! (fixtures/lint/suggestions/): runner labels, keys, events, contexts and functions. Each
//! finding's rule, position, message, help and fix are snapshotted from the JSON output; where
//! the suggestion is certain, `lint --fix` on a copy leaves a file that lints clean.

use crate::harness;

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/lint/suggestions");

/// Runs `lint` in `dir` on `file` with `args`; returns the exit code and stdout.
fn lint(dir: &Path, file: &str, args: &[&str]) -> (Option<i32>, String) {
    let out = harness::bin()
        .current_dir(dir)
        .arg("lint")
        .args(args)
        .arg(file)
        .output()
        .expect("run deploy-action lint");
    let stdout = String::from_utf8(out.stdout).expect("utf8");
    (out.status.code(), stdout)
}

/// The findings of a fixture, one block each, as the snapshot shows them.
fn findings(file: &str) -> String {
    let (code, json) = lint(Path::new(FIXTURES), file, &["--format", "json"]);
    assert_eq!(code, Some(1), "{file} should have an error: {json}");
    let doc: Value = serde_json::from_str(&json).expect("json");
    let mut out = String::new();
    for f in doc["findings"].as_array().expect("findings") {
        let _ = writeln!(
            out,
            "{}:{}:{} [{}] {}",
            f["path"].as_str().unwrap_or_default(),
            f["line"],
            f["column"],
            f["rule"].as_str().unwrap_or_default(),
            f["message"].as_str().unwrap_or_default()
        );
        if let Some(help) = f["help"].as_str() {
            let _ = writeln!(out, "  help: {help}");
        }
        if let Some(fix) = f.get("fix") {
            let _ = writeln!(out, "  fix: {}", fix["title"].as_str().unwrap_or_default());
            for e in fix["edits"].as_array().into_iter().flatten() {
                let _ = writeln!(
                    out,
                    "    {}:{}-{}:{} -> {}",
                    e["line"], e["column"], e["end_line"], e["end_column"], e["text"]
                );
            }
        }
    }
    out
}

/// `lint --fix` on a copy of the fixture: the file then lints clean.
fn fixes_clean(file: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = std::fs::read_to_string(Path::new(FIXTURES).join(file)).expect("fixture");
    std::fs::write(dir.path().join(file), &src).expect("copy");
    let (code, out) = lint(dir.path(), file, &["--fix"]);
    assert!(code.is_some(), "lint --fix crashed: {out}");
    let fixed = std::fs::read_to_string(dir.path().join(file)).expect("fixed");
    assert_ne!(fixed, src, "--fix changed nothing in {file}");
    let (code, out) = lint(dir.path(), file, &[]);
    assert_eq!(
        code,
        Some(0),
        "{file} still has findings after --fix:\n{out}"
    );
    fixed
}

#[test]
fn runner_label() {
    insta::assert_snapshot!(findings("label.yml"));
    assert!(fixes_clean("label.yml").contains("runs-on: ubuntu-latest\n"));
}

/// Three labels are as close as each other: no fix, the choices in the message and help.
#[test]
fn runner_label_with_several_choices() {
    let out = findings("label-uncertain.yml");
    assert!(!out.contains("  fix:"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn key() {
    insta::assert_snapshot!(findings("key.yml"));
    assert!(fixes_clean("key.yml").contains("    timeout-minutes: 10\n"));
}

#[test]
fn event() {
    insta::assert_snapshot!(findings("event.yml"));
    assert!(fixes_clean("event.yml").contains("  pull_request:\n"));
}

#[test]
fn context() {
    insta::assert_snapshot!(findings("context.yml"));
    assert!(fixes_clean("context.yml").contains("${{ github.sha }}"));
}

#[test]
fn function() {
    insta::assert_snapshot!(findings("function.yml"));
    assert!(fixes_clean("function.yml").contains("${{ startsWith(github.ref, 'refs/tags/') }}"));
}
