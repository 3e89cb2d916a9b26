#![allow(clippy::print_stderr)]
//! The real-world corpus: no error-severity finding on files actionlint finds clean, nothing on
//! actionlint's `ok/` fixtures, and no panic on any file at all.

use crate::harness;

use std::path::Path;

use deploy_action_lint::lint::{self, Config, FileKind};

/// Error findings in `lint --format json` output, one line each.
fn cli_errors(stdout: &[u8]) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(stdout).expect("lint prints JSON");
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| {
            format!(
                "{}:{}:{}: [{}] {}",
                f["path"].as_str().unwrap_or_default(),
                f["line"],
                f["column"],
                f["rule"].as_str().unwrap_or_default(),
                f["message"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

/// Every CLEAN.txt file linted in one CLI call from the corpus root (not from inside each
/// repository), as a monorepo tool or an editor does: each file's local actions and reusable
/// workflows resolve in its own repository, so none is an error.
#[test]
fn clean_workflows_have_no_errors() {
    let Some(shared) = harness::shared() else {
        return;
    };
    let base = shared.join("corpus/workflows");
    let list = std::fs::read_to_string(base.join("CLEAN.txt")).expect("CLEAN.txt");
    let files: Vec<&str> = list.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(files.len() > 1000, "CLEAN.txt lists {} files", files.len());
    let out = harness::bin()
        .current_dir(&base)
        .args(["lint", "--format", "json"])
        .args(&files)
        .output()
        .expect("lint runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["files_checked"], files.len());
    let bad = cli_errors(&out.stdout);
    assert!(
        bad.is_empty(),
        "{} false alarms in CLEAN files:\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert!(out.status.success(), "exit {:?}", out.status);
}

/// actionlint's `ok/` fixtures, in one CLI call from the corpus folder.
#[test]
fn actionlint_ok_fixtures_have_no_errors() {
    let Some(shared) = harness::shared() else {
        return;
    };
    let base = shared.join("corpus");
    let mut files: Vec<String> = std::fs::read_dir(base.join("actionlint-testdata/ok"))
        .expect("ok dir")
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
        .map(|n| format!("actionlint-testdata/ok/{n}"))
        .collect();
    files.sort();
    assert!(files.len() > 50, "{} ok/ fixtures", files.len());
    let out = harness::bin()
        .current_dir(&base)
        .args(["lint", "--format", "json"])
        .args(&files)
        .output()
        .expect("lint runs");
    let bad = cli_errors(&out.stdout);
    assert!(
        bad.is_empty(),
        "{} findings on ok/ fixtures:\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert!(out.status.success(), "exit {:?}", out.status);
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
}

#[test]
fn no_panic_on_any_corpus_file() {
    let Some(shared) = harness::shared() else {
        return;
    };
    let mut files = Vec::new();
    walk(&shared.join("corpus"), &mut files);
    assert!(files.len() > 2000, "found {} corpus files", files.len());
    for p in files {
        let bytes = std::fs::read(&p).expect("read");
        let name = p.display().to_string();
        let r = match String::from_utf8(bytes) {
            Ok(s) => lint::lint_source(&name, &s, FileKind::of_path(&name), &Config::default()),
            Err(e) => lint::not_utf8(&name, e.utf8_error().valid_up_to(), e.as_bytes()),
        };
        // Every finding points inside the file.
        for f in &r.findings {
            assert!(
                f.span.start.line >= 1 && f.span.start.offset <= r.source.len(),
                "{name}: bad span {f:?}"
            );
        }
    }
}
