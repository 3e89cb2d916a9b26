#![allow(clippy::print_stderr)]
//! `lint --fix` on real workflows from `../shared/corpus/workflows`, copied to a temporary
//! folder at test time: per fixable rule, after `--fix` the rule has nothing left to say about
//! the file, GitHub's parser still accepts it, and the only lines of the original that changed
//! are lines a fix said it would edit (new lines may be added). `--fix=dry-run` prints the same
//! changes as a diff and writes nothing.

use crate::harness;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Corpus files with findings of each fixable rule, every one of them fixable.
const CASES: &[(&str, &[&str])] = &[
    (
        "script-injection",
        &[
            "pulumi__pulumi/.github/workflows/download-pulumi-cron.yml",
            "containerd__containerd/.github/workflows/build-test-images.yml",
            "valkey-io__valkey/.github/workflows/clang-format.yml",
        ],
    ),
    (
        "artipacked",
        &[
            "docker__metadata-action/.github/workflows/ci.yml",
            "BurntSushi__ripgrep/.github/workflows/ci.yml",
        ],
    ),
    (
        "excessive-permissions",
        &[
            "rust-lang__rust-analyzer/.github/workflows/autopublish.yaml",
            "valkey-io__valkey/.github/workflows/clang-format.yml",
        ],
    ),
    (
        "self-repository",
        &[
            "renovatebot__renovate/.github/workflows/build.yml",
            "docker__metadata-action/.github/workflows/ci.yml",
        ],
    ),
];

/// The JSON findings of one file.
fn lint_json(dir: &Path, file: &str) -> Vec<Value> {
    harness::lint::findings(dir, &[file])
}

/// A fresh folder holding a copy of the corpus file.
fn copy(corpus: &Path, rel: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let to = dir.path().join(name);
    std::fs::copy(corpus.join(rel), &to).expect("copy corpus file");
    (dir, to)
}

/// Lines of the original that a fix of `rule` edits.
fn fix_lines(findings: &[Value], rule: &str) -> BTreeSet<u64> {
    let mut lines = BTreeSet::new();
    for f in findings.iter().filter(|f| f["rule"] == rule) {
        for e in f["fix"]["edits"].as_array().into_iter().flatten() {
            let (a, b) = (e["line"].as_u64(), e["end_line"].as_u64());
            if let (Some(a), Some(b)) = (a, b) {
                // An insertion at the start of a line touches no line of the original.
                let empty = e["start_offset"] == e["end_offset"];
                if !(empty && e["column"] == 1) {
                    lines.extend(a..=b);
                }
            }
        }
    }
    lines
}

/// Original lines (1-based) that the change from `old` to `new` deletes or rewrites.
fn changed_lines(old: &str, new: &str) -> BTreeSet<u64> {
    similar::TextDiff::from_lines(old, new)
        .iter_all_changes()
        .filter(|c| c.tag() == similar::ChangeTag::Delete)
        .filter_map(|c| c.old_index().map(|i| i as u64 + 1))
        .collect()
}

#[test]
fn fixes_leave_the_rule_clean_github_accepting_and_touch_only_their_lines() {
    let Some(shared) = harness::shared() else {
        return;
    };
    let Some(peers) = harness::ghparse::peers() else {
        return;
    };
    let corpus = shared.join("corpus/workflows");
    for (rule, files) in CASES {
        for rel in *files {
            let (dir, path) = copy(&corpus, rel);
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let before = std::fs::read_to_string(&path).expect("read");
            let found = lint_json(dir.path(), name);
            assert!(
                found
                    .iter()
                    .any(|f| f["rule"] == *rule && f.get("fix").is_some()),
                "{rel}: no fixable {rule} finding"
            );
            assert!(
                harness::ghparse::errors(&peers, &path).is_empty(),
                "{rel}: GitHub refuses the original"
            );

            harness::bin()
                .current_dir(dir.path())
                .args(["lint", "--fix", name])
                .assert()
                .stderr(predicates::str::contains("fixed"));
            let after = std::fs::read_to_string(&path).expect("read fixed");
            assert_ne!(before, after, "{rel}: nothing changed");

            let now = lint_json(dir.path(), name);
            let left: Vec<&Value> = now.iter().filter(|f| f["rule"] == *rule).collect();
            assert!(left.is_empty(), "{rel}: {rule} still reports {left:#?}");
            let refused = harness::ghparse::errors(&peers, &path);
            assert!(
                refused.is_empty(),
                "{rel}: GitHub refuses the fixed file: {refused:?}\n{after}"
            );
            // `--fix` applies every rule's fixes: the lines any of them edits may change.
            let rules: BTreeSet<&str> = found.iter().filter_map(|f| f["rule"].as_str()).collect();
            let allowed: BTreeSet<u64> = rules.iter().flat_map(|r| fix_lines(&found, r)).collect();
            let changed = changed_lines(&before, &after);
            let stray: Vec<&u64> = changed.difference(&allowed).collect();
            assert!(
                stray.is_empty(),
                "{rel}: lines {stray:?} changed outside the fixes"
            );
        }
    }
}

#[test]
fn dry_run_prints_the_diff_and_writes_nothing() {
    let Some(shared) = harness::shared() else {
        return;
    };
    let corpus = shared.join("corpus/workflows");
    let (dir, path) = copy(
        &corpus,
        "valkey-io__valkey/.github/workflows/clang-format.yml",
    );
    let before = std::fs::read_to_string(&path).expect("read");
    let out = harness::bin()
        .current_dir(dir.path())
        .args(["lint", "--fix=dry-run", "clang-format.yml"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let diff = String::from_utf8_lossy(&out.stdout);
    assert!(
        diff.starts_with("--- a/clang-format.yml\n+++ b/clang-format.yml\n"),
        "{diff}"
    );
    assert!(diff.contains("+permissions: {}"), "{diff}");
    assert!(
        diff.contains("+          persist-credentials: false"),
        "{diff}"
    );
    assert!(
        diff.contains("+          CLANG_FORMAT_DIFF: ${{ steps.clang-format.outputs.diff }}"),
        "{diff}"
    );
    assert_eq!(std::fs::read_to_string(&path).expect("read"), before);
}

#[test]
fn fix_refuses_standard_input_but_dry_run_reads_it() {
    harness::bin()
        .args(["lint", "--fix", "-"])
        .write_stdin("on: push\n")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--fix=dry-run"));
    let src = "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"${{ github.event.head_commit.message }}\"\n";
    let out = harness::bin()
        .args(["lint", "--fix=dry-run", "--stdin-filename", "w.yml", "-"])
        .write_stdin(src)
        .output()
        .expect("run");
    let diff = String::from_utf8_lossy(&out.stdout);
    assert!(
        diff.contains("+      - run: echo \"${HEAD_COMMIT_MESSAGE}\""),
        "{diff}"
    );
    assert!(
        diff.contains(
            "+        env:\n+          HEAD_COMMIT_MESSAGE: ${{ github.event.head_commit.message }}"
        ),
        "{diff}"
    );
}
