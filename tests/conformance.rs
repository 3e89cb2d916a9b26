#![allow(clippy::print_stderr)]
//! Conformance with actionlint's own test data: for each expected diagnostic in `err/`,
//! `examples/` and `projects/`, do we report a finding of a matching rule on the same line?
//! Prints recall per actionlint rule kind; fails if a kind falls below its floor.
//!
//! Run `cargo test --test conformance -- --nocapture` to see the table.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use deploy_action::lint::{self, Config, FileKind};

/// Which of our rules answer for each actionlint rule kind.
fn our_rules(kind: &str) -> &'static [&'static str] {
    match kind {
        "syntax-check" => &[
            "yaml-syntax",
            "workflow-schema",
            "events",
            "schedule",
            "matrix",
            "uses-format",
            "id",
            "job-needs",
            "action-metadata",
            "runner-label",
        ],
        "events" => &["events", "schedule"],
        "glob" => &["glob"],
        "runner-label" => &["runner-label"],
        "job-needs" => &["job-needs"],
        "id" => &["id"],
        "matrix" => &["matrix"],
        "permissions" => &["permissions"],
        "shell-name" => &["shell-name"],
        "env-var" => &["env-var"],
        "credentials" => &["credentials"],
        "expression" => &["expression"],
        "action" => &["action", "action-metadata", "uses-format"],
        "workflow-call" => &["workflow-call"],
        "if-cond" => &["if-cond"],
        "deprecated-commands" => &["deprecated-commands"],
        _ => &[],
    }
}

/// Floors (percent) per kind that this build must keep; raised as rules land.
fn floor(kind: &str) -> f64 {
    match kind {
        "glob" | "job-needs" | "id" | "matrix" | "permissions" | "shell-name" | "env-var"
        | "credentials" | "runner-label" => 90.0,
        "syntax-check" | "events" => 95.0,
        _ => 0.0,
    }
}

struct Expected {
    line: u32,
    kind: String,
}

/// Parses one `.out` line: `FILE:LINE:COL: MESSAGE [KIND]`, or a `/regex/` form of it.
fn parse_out_line(line: &str) -> Option<(String, Expected)> {
    let l = line.trim();
    let l = l
        .strip_prefix('/')
        .and_then(|x| x.strip_suffix('/'))
        .map_or(l.to_string(), |x| x.replace("\\.", "."));
    let kind = l.rsplit_once('[').map(|(_, k)| {
        k.trim_end_matches([']', '/'])
            .trim_end_matches("\\]")
            .trim_end_matches('\\')
            .to_string()
    })?;
    let kind = kind.replace('\\', "");
    let kind = if kind.contains('|') {
        kind.split('|')
            .next()
            .unwrap_or("")
            .trim_start_matches('(')
            .to_string()
    } else {
        kind
    };
    let mut parts = l.splitn(4, ':');
    let file = parts.next()?.to_string();
    let line_no: u32 = parts.next()?.parse().ok()?;
    Some((
        file,
        Expected {
            line: line_no,
            kind,
        },
    ))
}

#[derive(Default)]
struct Tally {
    expected: usize,
    found: usize,
}

fn score(dir: &Path, tallies: &mut BTreeMap<String, Tally>, misses: &mut Vec<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "out") {
            continue;
        }
        let yaml = p.with_extension("yaml");
        let Ok(src) = std::fs::read_to_string(&yaml) else {
            continue;
        };
        let result = lint::lint_source("test.yaml", &src, FileKind::Workflow, &Config::default());
        let out = std::fs::read_to_string(&p).expect("read out");
        for line in out.lines().filter(|l| !l.trim().is_empty()) {
            let Some((_, exp)) = parse_out_line(line) else {
                continue;
            };
            if exp.kind == "shellcheck" || exp.kind == "pyflakes" {
                continue;
            }
            let t = tallies.entry(exp.kind.clone()).or_default();
            t.expected += 1;
            let rules = our_rules(&exp.kind);
            // Line 0 means actionlint has no position (a parse error): any finding of the kind counts.
            if result.findings.iter().any(|f| {
                (exp.line == 0 || f.span.start.line == exp.line) && rules.contains(&f.rule)
            }) {
                t.found += 1;
            } else {
                misses.push(format!(
                    "{}:{}: [{}] {}",
                    yaml.display(),
                    exp.line,
                    exp.kind,
                    line.chars().take(160).collect::<String>()
                ));
            }
        }
    }
}

#[test]
fn actionlint_testdata_recall() {
    let Some(shared) = common::shared() else {
        return;
    };
    let base = shared.join("corpus/actionlint-testdata");
    let mut tallies = BTreeMap::new();
    let mut misses = Vec::new();
    for sub in ["err", "examples"] {
        score(&base.join(sub), &mut tallies, &mut misses);
    }
    let (mut e, mut f) = (0, 0);
    eprintln!(
        "{:<22} {:>8} {:>8} {:>8}",
        "actionlint kind", "expected", "found", "recall"
    );
    for (kind, t) in &tallies {
        e += t.expected;
        f += t.found;
        eprintln!(
            "{kind:<22} {:>8} {:>8} {:>7.1}%",
            t.expected,
            t.found,
            100.0 * t.found as f64 / t.expected as f64
        );
    }
    eprintln!(
        "{:<22} {e:>8} {f:>8} {:>7.1}%",
        "all",
        100.0 * f as f64 / e.max(1) as f64
    );
    if std::env::var("CONFORMANCE_MISSES").is_ok() {
        for m in &misses {
            eprintln!("miss {m}");
        }
    }
    let mut below = Vec::new();
    for (kind, t) in &tallies {
        let recall = 100.0 * t.found as f64 / t.expected as f64;
        if recall < floor(kind) {
            below.push(format!("{kind}: {recall:.1}% < {}%", floor(kind)));
        }
    }
    assert!(below.is_empty(), "recall below floor: {below:?}");
}
