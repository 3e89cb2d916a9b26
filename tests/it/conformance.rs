#![allow(clippy::print_stderr)]
//! Conformance with actionlint's own test data: for each expected diagnostic in `err/`,
//! `examples/` and `projects/`, do we report a finding of a matching rule on the same line?
//! Prints recall per actionlint rule kind; fails if a kind falls below its floor.
//!
//! Run `cargo test --test it conformance:: -- --nocapture` to see the table.

use crate::harness;

mod zizmor;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use deploy_action_lint::lint::shellcheck::Shellcheck;
use deploy_action_lint::lint::{self, Config, FileKind};

/// A placeholder while a case's result is out for shellcheck.
fn empty() -> lint::FileResult {
    lint::lint_source("", "", FileKind::Workflow, &Config::default())
}

/// The floor (percent) of recall over all kinds but shellcheck.
const OVERALL_FLOOR: f64 = 97.0;

/// Floors (percent) per kind that this build must keep; raised as rules land.
fn floor(kind: &str) -> f64 {
    match kind {
        "glob" | "job-needs" | "id" | "matrix" | "permissions" | "shell-name" | "env-var"
        | "credentials" | "runner-label" => 90.0,
        "syntax-check" | "events" => 95.0,
        // Without the `script-injection` rule, untrusted inputs (9 of 181) are missed here.
        "expression" => 90.0,
        "if-cond" | "workflow-call" | "action" | "deprecated-commands" => 95.0,
        "shellcheck" => 90.0,
        _ => 0.0,
    }
}

struct Expected {
    line: u32,
    col: u32,
    /// The kind the line is tallied under (the first of `a|b` alternatives).
    kind: String,
    /// Every kind the line accepts.
    kinds: Vec<String>,
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
    let kinds: Vec<String> = kind
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split('|')
        .map(str::to_string)
        .collect();
    let kind = kinds.first().cloned().unwrap_or_default();
    let mut parts = l.splitn(4, ':');
    let file = parts.next()?.to_string();
    let line_no: u32 = parts.next()?.parse().ok()?;
    let col: u32 = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
    Some((
        file,
        Expected {
            line: line_no,
            col,
            kind,
            kinds,
        },
    ))
}

#[derive(Default)]
struct Tally {
    expected: usize,
    found: usize,
    /// Of those, expected in `projects/`.
    project_expected: usize,
    project_found: usize,
}

/// Lines `line` stands for: itself, and when it holds a block scalar (`key: |`), every line
/// of the block, since actionlint puts the position of an expression inside a block scalar on
/// the line of the key while we point at the expression itself.
fn covered_lines(src: &str, line: u32) -> std::ops::RangeInclusive<u32> {
    let lines: Vec<&str> = src.lines().collect();
    let Some(text) = lines.get(line.saturating_sub(1) as usize) else {
        return line..=line;
    };
    let value = text.split(" #").next().unwrap_or("").trim_end();
    let is_block = value
        .rsplit_once(':')
        .map(|(_, v)| v.trim())
        .is_some_and(|v| v.starts_with(['|', '>']) && v.len() <= 3);
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

/// Scores the expectations of one file against what we found in it.
fn score_file(
    label: &str,
    src: &str,
    found: &[lint::Finding],
    expected: &[&Expected],
    in_project: bool,
    tallies: &mut BTreeMap<String, Tally>,
    misses: &mut Vec<String>,
) {
    for exp in expected {
        // pyflakes checks Python scripts; no rule of ours does.
        if exp.kind == "pyflakes" {
            continue;
        }
        let t = tallies.entry(exp.kind.clone()).or_default();
        t.expected += 1;
        if in_project {
            t.project_expected += 1;
        }
        let rules: Vec<&str> = exp
            .kinds
            .iter()
            .flat_map(|k| lint::registry::for_actionlint_kind(k))
            .collect();
        let lines = covered_lines(src, exp.line);
        // Line 0 means actionlint has no position (a parse error): any finding of the kind counts.
        let hit = found.iter().any(|f| {
            (exp.line == 0 || lines.contains(&f.span.start.line)) && rules.contains(&f.rule)
        });
        if hit {
            let exact = found.iter().any(|f| {
                f.span.start.line == exp.line
                    && f.span.start.col == exp.col
                    && rules.contains(&f.rule)
            });
            if !exact && lines.start() == lines.end() {
                misses.push(format!(
                    "(column differs) {label}:{}:{}: [{}]",
                    exp.line, exp.col, exp.kind
                ));
            }
            t.found += 1;
            if in_project {
                t.project_found += 1;
            }
        } else {
            misses.push(format!("{label}:{}: [{}]", exp.line, exp.kind));
        }
    }
}

/// One linted file and what actionlint expects of it.
struct Case {
    label: String,
    src: String,
    expected: Vec<Expected>,
    in_project: bool,
    result: lint::FileResult,
}

/// shellcheck as CI has it (scripts/test.sh installs Debian's package): `None` when it is
/// missing outside CI, and the shellcheck kind is then left out of the table.
fn shellcheck() -> Option<Shellcheck> {
    let found = std::process::Command::new("shellcheck")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "shellcheck is missing; CI needs it (scripts/test.sh installs it)"
        );
        eprintln!("skipping the shellcheck kind: shellcheck is not installed");
        return None;
    }
    Some(Shellcheck::new("shellcheck", 2))
}

/// `err/` and `examples/`: one `NAME.yaml` with `NAME.out` each, linted with the folder as the
/// repository root.
fn score(dir: &Path, cases: &mut Vec<Case>) {
    let project = lint::Project::new(dir);
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
        let result = lint::lint_source_in(
            Some(&project),
            "test.yaml",
            &src,
            FileKind::Workflow,
            &Config::default(),
        );
        let out = std::fs::read_to_string(&p).expect("read out");
        let expected: Vec<Expected> = out
            .lines()
            .filter_map(parse_out_line)
            .map(|(_, e)| e)
            .collect();
        cases.push(Case {
            label: yaml.display().to_string(),
            src,
            expected,
            in_project: false,
            result,
        });
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
}

/// `projects/NAME/`: every `workflows/**/*.y*ml` linted with `NAME/` as the repository root and
/// `NAME/actionlint.yaml` as configuration; `NAME.out` names files relative to `NAME/`.
fn score_projects(dir: &Path, cases: &mut Vec<Case>) {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read projects")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    names.sort();
    for root in names {
        let Ok(out) = std::fs::read_to_string(root.with_extension("out")) else {
            continue;
        };
        let config = std::fs::read_to_string(root.join("actionlint.yaml"))
            .ok()
            .and_then(|t| Config::from_actionlint("actionlint.yaml", &t).ok())
            .unwrap_or_default();
        let project = lint::Project::new(&root);
        let mut files = Vec::new();
        yaml_files(&root.join("workflows"), &mut files);
        files.sort();
        let expected: Vec<(String, Expected)> = out.lines().filter_map(parse_out_line).collect();
        for file in files {
            let rel = file
                .strip_prefix(&root)
                .map(|r| r.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            let src = std::fs::read_to_string(&file).expect("read workflow");
            let result =
                lint::lint_source_in(Some(&project), &rel, &src, FileKind::Workflow, &config);
            let mine: Vec<Expected> = expected
                .iter()
                .filter(|(f, _)| *f == rel)
                .map(|(_, e)| Expected {
                    line: e.line,
                    col: e.col,
                    kind: e.kind.clone(),
                    kinds: e.kinds.clone(),
                })
                .collect();
            cases.push(Case {
                label: file.display().to_string(),
                src,
                expected: mine,
                in_project: true,
                result,
            });
        }
    }
}

#[test]
fn actionlint_testdata_recall() {
    let Some(shared) = harness::shared() else {
        return;
    };
    let base = shared.join("corpus/actionlint-testdata");
    let mut cases = Vec::new();
    for sub in ["err", "examples"] {
        score(&base.join(sub), &mut cases);
    }
    score_projects(&base.join("projects"), &mut cases);
    // Every file's scripts in one shellcheck run, as `lint` does.
    let sc = shellcheck();
    if let Some(sc) = &sc {
        let mut results: Vec<lint::FileResult> = cases
            .iter_mut()
            .map(|c| std::mem::replace(&mut c.result, empty()))
            .collect();
        sc.check(&mut results, &Config::default())
            .expect("shellcheck runs");
        for (c, r) in cases.iter_mut().zip(results) {
            c.result = r;
        }
    }
    let mut tallies = BTreeMap::new();
    let mut misses = Vec::new();
    for c in &cases {
        let expected: Vec<&Expected> = c
            .expected
            .iter()
            .filter(|e| sc.is_some() || e.kind != "shellcheck")
            .collect();
        score_file(
            &c.label,
            &c.src,
            &c.result.findings,
            &expected,
            c.in_project,
            &mut tallies,
            &mut misses,
        );
    }
    let (mut e, mut f, mut pe, mut pf) = (0, 0, 0, 0);
    eprintln!(
        "{:<22} {:>8} {:>8} {:>8}   {:>17}",
        "actionlint kind", "expected", "found", "recall", "of which projects"
    );
    for (kind, t) in &tallies {
        e += t.expected;
        f += t.found;
        pe += t.project_expected;
        pf += t.project_found;
        eprintln!(
            "{kind:<22} {:>8} {:>8} {:>7.1}%   {:>8} {:>8}",
            t.expected,
            t.found,
            100.0 * t.found as f64 / t.expected as f64,
            t.project_expected,
            t.project_found,
        );
    }
    eprintln!(
        "{:<22} {e:>8} {f:>8} {:>7.1}%   {pe:>8} {pf:>8}",
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
    let (oe, of) = tallies
        .iter()
        .filter(|(k, _)| *k != "shellcheck")
        .fold((0, 0), |(e, f), (_, t)| (e + t.expected, f + t.found));
    let others = 100.0 * of as f64 / oe.max(1) as f64;
    eprintln!(
        "{:<22} {oe:>8} {of:>8} {others:>7.1}%",
        "all but shellcheck"
    );
    if others < OVERALL_FLOOR {
        below.push(format!(
            "all but shellcheck: {others:.1}% < {OVERALL_FLOOR}%"
        ));
    }
    if sc.is_some() {
        assert!(
            tallies.get("shellcheck").is_some_and(|t| t.expected >= 10),
            "the shellcheck kind is scored"
        );
    }
    assert!(below.is_empty(), "recall below floor: {below:?}");
}
