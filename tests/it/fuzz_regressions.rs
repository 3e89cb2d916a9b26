//! Every fuzz target (fuzz/, scripts/fuzz.sh) replayed over a committed, minimised corpus:
//! fixtures/fuzz/<target>/<name>, one small file per input, named after what it stresses (the
//! hostile-YAML and limits cases, parser edge cases) or after the bug it once triggered. Each
//! input goes through the same calls as the target on a thread of its own; the replay fails
//! when an input panics, runs past [`DEADLINE`] (a hang), or, through the CLI, ends in anything
//! but a clean result (exit 0 or 1). An empty or missing corpus fails too: a replay of nothing
//! checks nothing. A new crash input goes here once the bug is fixed.

use crate::harness;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use deploy_action_image::dockerignore::{PatternMatcher, parse_ignore_file};
use deploy_action_image::tags::{Flavor, GitContext, ImageRef, TagOptions, TagRules, compute_tags};
use deploy_action_lint::expr::{TypeEnv, check, check_condition, check_template, parse};
use deploy_action_lint::lint::{Config, FileKind, lint_source, not_utf8};
use deploy_action_records::decode;

/// Past this an input counts as a hang (each one takes milliseconds).
const DEADLINE: Duration = Duration::from_secs(30);

/// The stack of a replay thread: the CLI's main thread's (8 MiB), not a test thread's 2 MiB.
const STACK: usize = 8 * 1024 * 1024;

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/fuzz")
        .join(target)
}

/// The committed inputs of `target`, sorted; panics when there are none.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = corpus_dir(target);
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}; the replay needs its corpus", dir.display()));
    let mut out: Vec<(PathBuf, Vec<u8>)> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read fixture");
            (p, bytes)
        })
        .collect();
    assert!(
        !out.is_empty(),
        "{} holds no inputs: the replay would check nothing",
        dir.display()
    );
    out.sort();
    out
}

/// Runs `call` on every input of `target`, each on its own thread; fails naming every input
/// that panicked or was still running after [`DEADLINE`].
fn replay(target: &str, call: fn(&Path, &[u8])) {
    let mut failures = Vec::new();
    for (path, data) in inputs(target) {
        let (tx, rx) = mpsc::channel();
        let name = path.clone();
        std::thread::Builder::new()
            .name(format!("{target} replay"))
            .stack_size(STACK)
            .spawn(move || {
                call(&name, &data);
                let _ = tx.send(());
            })
            .expect("spawn a replay thread");
        match rx.recv_timeout(DEADLINE) {
            Ok(()) => {}
            Err(RecvTimeoutError::Timeout) => {
                failures.push(format!(
                    "{}: still running after {DEADLINE:?}",
                    path.display()
                ));
            }
            Err(RecvTimeoutError::Disconnected) => {
                failures.push(format!("{}: panicked", path.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{target} regressed:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_fuzz_target_has_a_committed_corpus() {
    let targets = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
    let mut names: Vec<String> = std::fs::read_dir(&targets)
        .expect("fuzz/fuzz_targets")
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".rs").map(str::to_owned)
        })
        .collect();
    names.sort();
    assert!(
        !names.is_empty(),
        "no fuzz targets in {}",
        targets.display()
    );
    for name in names {
        assert!(!inputs(&name).is_empty());
    }
}

/// The kind and path `yaml_lint` gives an input: the first byte's parity picks it.
fn yaml_kind(data: &[u8]) -> (FileKind, &'static str) {
    match data.first() {
        Some(b) if b % 2 == 1 => (FileKind::Action, "action.yml"),
        _ => (FileKind::Workflow, ".github/workflows/fuzz.yml"),
    }
}

#[test]
fn yaml_lint() {
    replay("yaml_lint", |_, data| {
        let (kind, path) = yaml_kind(data);
        match std::str::from_utf8(data) {
            Ok(text) => {
                let _ = lint_source(path, text, kind, &Config::default());
            }
            Err(e) => {
                let _ = not_utf8(path, e.valid_up_to(), data);
            }
        }
    });
}

/// The same inputs through `deploy-action lint FILE`: a finding (exit 1) or a clean pass
/// (exit 0), never a panic, a usage or internal error, or a hang.
#[test]
fn yaml_lint_through_the_cli() {
    let mut failures = Vec::new();
    for (input, data) in inputs("yaml_lint") {
        let dir = tempfile::tempdir().expect("tempdir");
        let (_, rel) = yaml_kind(&data);
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &data).expect("write input");
        let out = harness::bin()
            .current_dir(dir.path())
            .args(["lint", "--color=never", rel])
            .timeout(DEADLINE)
            .output()
            .expect("lint runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !matches!(out.status.code(), Some(0 | 1)) || stderr.contains("panicked") {
            failures.push(format!(
                "{}: exit {:?} (None: killed after {DEADLINE:?})\n{stderr}",
                input.display(),
                out.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn expr() {
    replay("expr", |_, data| {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let env = TypeEnv::new();
        if let Ok(e) = parse(text) {
            let _ = check(&e, &env);
        }
        let _ = check_template(text, &env);
        let _ = check_condition(text, &env);
    });
}

#[test]
fn dockerignore() {
    replay("dockerignore", |_, data| {
        let Ok(patterns) = parse_ignore_file(data) else {
            return;
        };
        let Ok(matcher) = PatternMatcher::new(&patterns) else {
            return;
        };
        let text = String::from_utf8_lossy(data);
        for line in text.lines().take(64) {
            let path = line.trim().trim_start_matches('!').trim_matches('/');
            let _ = matcher.matches_or_parent_matches(path);
            let _ = matcher.matches_or_parent_matches(&format!("{path}/file"));
            for pattern in matcher.patterns() {
                let _ = pattern.matches(path);
            }
        }
    });
}

#[test]
fn tag_rules() {
    replay("tag_rules", |_, data| {
        let at = Utc
            .with_ymd_and_hms(2020, 1, 10, 0, 30, 0)
            .single()
            .expect("date");
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let (rules, flavor) = text.split_once('\0').unwrap_or((text, ""));
        if let Some(first) = rules.lines().next() {
            let _ = ImageRef::parse(first);
            let _ = ImageRef::parse_lowercased(first);
        }
        let (Ok(rules), Ok(flavor)) = (TagRules::parse(rules), Flavor::parse(flavor)) else {
            return;
        };
        let options = TagOptions {
            flavor,
            existing_tags: vec!["v1.2.3".into(), "v2.0.0-rc.1".into()],
            ..TagOptions::default()
        };
        for (symbolic, describe) in [
            (None, Some("v1.2.3")),
            (Some("refs/heads/feature/x"), None),
            (None, Some("2.0.0-rc.1+build")),
        ] {
            let sha = "90dd6032fac8bda1b6c4436a2e65de27961ed071";
            if let Ok(ctx) = GitContext::from_git(sha, symbolic, describe, at) {
                let _ = compute_tags(&ctx, &rules, &options);
            }
        }
    });
}

#[test]
fn github_decode() {
    replay("github_decode", |_, data| {
        let text = String::from_utf8_lossy(data);
        let _ = decode::deployment_page(&text);
        let _ = decode::deployment(&text);
        let _ = decode::status(&text);
    });
}

#[test]
fn ledger() {
    replay("ledger", |path, data| {
        let text = String::from_utf8_lossy(data);
        if let Ok((entries, saved)) = decode::ledger(&text) {
            let (again, _) = decode::ledger(&saved)
                .unwrap_or_else(|e| panic!("{}: saved ledger does not read: {e}", path.display()));
            assert_eq!(entries.len(), again.len(), "{}", path.display());
        }
    });
}

#[test]
fn policy() {
    replay("policy", |_, data| {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let var = |name: &str| Some(format!("http://127.0.0.1:1/{name}"));
        let _ = deploy_action_lint::policy::parse(text, &var);
    });
}
