#![allow(clippy::print_stderr)]
//! Conformance with zizmor's own test data (`../shared/corpus/zizmor-testdata/`): for each
//! finding zizmor's snapshots expect (`expected.tsv`: file, line, audit, severity), do we report
//! a finding of the rule that covers that audit (its `zizmor` metadata) on the same line of the
//! same file? Prints recall per audit; fails below the floors. Files zizmor finds clean must
//! get no error-severity finding from us.
//!
//! Run `cargo test --test it conformance::zizmor:: -- --nocapture` to see the table; set
//! `CONFORMANCE_MISSES=1` to list every miss.

use crate::harness;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use deploy_action_lint::lint::{self, Config, FileKind, Severity, registry};

/// Overall recall floor (percent).
const OVERALL_FLOOR: f64 = 90.0;

/// The audits issue #13 names; each must reach [`AUDIT_FLOOR`].
const NAMED_AUDITS: &[&str] = &[
    "use-trusted-publishing",
    "cache-poisoning",
    "adhoc-packages",
    "unpinned-uses",
    "bot-conditions",
    "artipacked",
    "github-app",
    "github-env",
    "typosquat-uses",
    "unpinned-tools",
    "unsound-contains",
    "archived-uses",
    "misfeature",
    "self-repository",
    "overprovisioned-secrets",
    "unredacted-secrets",
    "unsound-ternary",
    "template-injection",
    "excessive-permissions",
    "dangerous-triggers",
    "insecure-commands",
    "obfuscation",
    "unpinned-images",
    "secrets-inherit",
];

/// Recall floor (percent) of each named audit.
const AUDIT_FLOOR: f64 = 75.0;

struct Row {
    file: String,
    line: u32,
    audit: String,
}

fn read_rows(base: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(base.join("expected.tsv")).expect("expected.tsv");
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let mut parts = l.split('\t');
            Some(Row {
                file: parts.next()?.to_string(),
                line: parts.next()?.parse().ok()?,
                audit: parts.next()?.to_string(),
            })
        })
        .collect()
}

/// Lines `line` stands for: itself, and when it holds a key whose value is a block (a block
/// scalar, `if: |`, or a block mapping, `on:`), every line of the block, since zizmor (at the
/// commit of the test data) puts such a finding on the line of the key while we point at the
/// offending part inside the block.
fn covered_lines(src: &str, line: u32) -> std::ops::RangeInclusive<u32> {
    let lines: Vec<&str> = src.lines().collect();
    let Some(text) = lines.get(line.saturating_sub(1) as usize) else {
        return line..=line;
    };
    let value = text.split(" #").next().unwrap_or("").trim_end();
    let is_block = value
        .rsplit_once(':')
        .map(|(_, v)| v.trim())
        .is_some_and(|v| v.is_empty() || (v.starts_with(['|', '>']) && v.len() <= 3));
    if !is_block {
        return line..=line;
    }
    let indent = text.len() - text.trim_start().len();
    let mut last = line;
    for (i, l) in lines.iter().enumerate().skip(line as usize) {
        if !l.trim().is_empty() && l.len() - l.trim_start().len() <= indent {
            break;
        }
        last = i as u32 + 1;
    }
    line..=last
}

#[derive(Default)]
struct Tally {
    expected: usize,
    found: usize,
}

#[test]
fn zizmor_testdata_recall() {
    let Some(shared) = harness::shared() else {
        return;
    };
    let base = shared.join("corpus/zizmor-testdata");
    let rows = read_rows(&base);
    let files: Vec<String> = std::fs::read_to_string(base.join("files.txt"))
        .expect("files.txt")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    assert!(
        rows.len() > 200 && files.len() > 100,
        "test data is incomplete"
    );

    let mut results = BTreeMap::new();
    let mut sources = BTreeMap::new();
    for f in &files {
        let src = std::fs::read_to_string(base.join(f)).expect("read fixture");
        let r = lint::lint_source(f, &src, FileKind::of_path(f), &Config::default());
        results.insert(f.clone(), r.findings);
        sources.insert(f.clone(), src);
    }

    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut misses = Vec::new();
    for row in &rows {
        let t = tallies.entry(row.audit.clone()).or_default();
        t.expected += 1;
        let rule = registry::rule_for_zizmor(&row.audit).map(|m| m.id);
        let lines = sources
            .get(&row.file)
            .map_or(row.line..=row.line, |src| covered_lines(src, row.line));
        let hit = rule.is_some_and(|rule| {
            results.get(&row.file).is_some_and(|fs| {
                fs.iter()
                    .any(|f| f.rule == rule && lines.contains(&f.span.start.line))
            })
        });
        if hit {
            t.found += 1;
        } else {
            misses.push(format!(
                "{}:{}: [{}] (rule {})",
                row.file,
                row.line,
                row.audit,
                rule.unwrap_or("none")
            ));
        }
    }

    // Precision, for the record: our findings of covering rules on lines zizmor does not flag.
    let mut expected_at: BTreeSet<(String, u32, String)> = BTreeSet::new();
    for r in &rows {
        let lines = sources
            .get(&r.file)
            .map_or(r.line..=r.line, |src| covered_lines(src, r.line));
        for l in lines {
            expected_at.insert((r.file.clone(), l, r.audit.clone()));
        }
    }
    let mut extra: BTreeMap<String, usize> = BTreeMap::new();
    let mut extras = Vec::new();
    for (file, findings) in &results {
        for f in findings {
            let Some(audit) = registry::zizmor_audit(f.rule) else {
                continue;
            };
            if !expected_at.contains(&(file.clone(), f.span.start.line, audit.to_string())) {
                *extra.entry(audit.to_string()).or_default() += 1;
                extras.push(format!(
                    "{file}:{}: [{audit}] {}",
                    f.span.start.line, f.message
                ));
            }
        }
    }

    eprintln!(
        "{:<26} {:>8} {:>6} {:>8} {:>7}   our rule",
        "zizmor audit", "expected", "found", "recall", "extra"
    );
    let (mut e, mut f) = (0, 0);
    for (audit, t) in &tallies {
        e += t.expected;
        f += t.found;
        eprintln!(
            "{audit:<26} {:>8} {:>6} {:>7.1}% {:>7}   {}",
            t.expected,
            t.found,
            100.0 * t.found as f64 / t.expected as f64,
            extra.get(audit).copied().unwrap_or(0),
            registry::rule_for_zizmor(audit).map_or("-", |m| m.id)
        );
    }
    let overall = 100.0 * f as f64 / e.max(1) as f64;
    eprintln!("{:<26} {e:>8} {f:>6} {overall:>7.1}%", "all");
    if std::env::var("CONFORMANCE_MISSES").is_ok() {
        for m in &misses {
            eprintln!("miss {m}");
        }
        for x in &extras {
            eprintln!("extra {x}");
        }
    }

    let mut below = Vec::new();
    if overall < OVERALL_FLOOR {
        below.push(format!("all: {overall:.1}% < {OVERALL_FLOOR}%"));
    }
    for audit in NAMED_AUDITS {
        let Some(t) = tallies.get(*audit) else {
            continue;
        };
        let recall = 100.0 * t.found as f64 / t.expected as f64;
        if recall < AUDIT_FLOOR {
            below.push(format!("{audit}: {recall:.1}% < {AUDIT_FLOOR}%"));
        }
    }
    assert!(below.is_empty(), "recall below floor: {below:?}");
}

#[test]
fn files_zizmor_finds_clean_get_no_errors() {
    let Some(shared) = harness::shared() else {
        return;
    };
    let base = shared.join("corpus/zizmor-testdata");
    let flagged: BTreeSet<String> = read_rows(&base).into_iter().map(|r| r.file).collect();
    let files = std::fs::read_to_string(base.join("files.txt")).expect("files.txt");
    let mut bad = Vec::new();
    let mut clean = 0;
    for f in files.lines().filter(|l| !l.trim().is_empty()) {
        if flagged.contains(f) {
            continue;
        }
        clean += 1;
        let src = std::fs::read_to_string(base.join(f)).expect("read fixture");
        let r = lint::lint_source(f, &src, FileKind::of_path(f), &Config::default());
        for x in r.findings.iter().filter(|x| x.severity == Severity::Error) {
            bad.push((
                f.to_string(),
                x.span.start.line,
                format!(
                    "{f}:{}:{}: [{}] {}",
                    x.span.start.line, x.span.start.col, x.rule, x.message
                ),
            ));
        }
    }
    assert!(clean > 20, "only {clean} clean files");
    // An error is right where GitHub refuses the file too, on that line.
    if !bad.is_empty()
        && let Some(peers) = harness::ghparse::peers()
    {
        bad.retain(|(file, line, _)| {
            let refused = harness::ghparse::errors(&peers, &base.join(file));
            !refused
                .iter()
                .any(|e| e.split(':').nth(1).and_then(|l| l.parse::<u32>().ok()) == Some(*line))
        });
    }
    let bad: Vec<String> = bad.into_iter().map(|(_, _, m)| m).collect();
    assert!(
        bad.is_empty(),
        "{} error findings on files zizmor finds clean and GitHub accepts:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
