//! Hostile YAML through the built binary (`deploy-action lint FILE`): alias bombs, 10,000-deep
//! nesting (flow and block), invalid UTF-8, NUL bytes, a BOM, CRLF line ends, and action.yml
//! variants. Each must end in a finding (exit 1) or a clean pass (exit 0), never a panic, and
//! stay under a memory bound (200 MB for every case, 50 MB files included: files over
//! `lint::MAX_FILE_BYTES` get a finding without being read).
//!
//! Memory: each case runs under GNU time (`harness::memory`), which reports the peak RSS of that
//! child alone (in the one test binary, `getrusage(RUSAGE_CHILDREN)` would count other tests'
//! children too).
//! Time is not asserted (`scripts/bench-hostile` prints it); a watchdog only fails a hung case.

use crate::harness;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use harness::memory::measured;

/// Peak resident memory any case may reach.
const MEMORY_BOUND_MB: u64 = 200;
/// Only to fail a hung case; not a performance assertion.
const WATCHDOG: Duration = Duration::from_secs(60);

/// What one `lint` run gave.
struct Outcome {
    /// Exit status.
    code: Option<i32>,
    /// Standard output (the findings).
    stdout: String,
    /// Standard error.
    stderr: String,
}

/// Writes `bytes` to `name` in a fresh directory and lints it, with the watchdog, then checks
/// the things every case shares: no panic, an exit status of 0 or 1, memory under `bound_mb`.
fn lint_bytes(name: &str, bytes: &[u8], bound_mb: u64) -> Outcome {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&path, bytes).expect("write case");
    lint_path(dir.path(), &path, bound_mb)
}

/// Lints `path` from `cwd` and checks what every case shares.
fn lint_path(cwd: &Path, path: &Path, bound_mb: u64) -> Outcome {
    let mut lint = harness::bin_command();
    lint.current_dir(cwd)
        .arg("lint")
        .arg("--color=never")
        .arg(path);
    let (lint, report) = measured(&lint);
    let out = assert_cmd::Command::from_std(lint)
        .timeout(WATCHDOG)
        .output()
        .expect("lint runs");
    let outcome = Outcome {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !outcome.stderr.contains("panicked"),
        "panic on {}: {}",
        path.display(),
        outcome.stderr
    );
    assert!(
        matches!(outcome.code, Some(0 | 1)),
        "exit {:?} (killed by the {WATCHDOG:?} watchdog if None) on {}:\n{}\n{}",
        outcome.code,
        path.display(),
        outcome.stdout,
        outcome.stderr
    );
    let rss = report.peak_rss_mb();
    assert!(
        rss < bound_mb,
        "peak RSS {rss} MB is over {bound_mb} MB on {}",
        path.display()
    );
    outcome
}

/// A finding (exit 1) whose text contains `needle`.
fn assert_finding(o: &Outcome, needle: &str) {
    assert_eq!(o.code, Some(1), "{}\n{}", o.stdout, o.stderr);
    assert!(
        o.stdout.contains(needle),
        "expected {needle:?} in:\n{}",
        o.stdout
    );
}

const CLEAN: &str = concat!(
    "name: ci\n",
    "on:\n",
    "  push:\n",
    "    branches: [main]\n",
    "permissions:\n",
    "  contents: read\n",
    "jobs:\n",
    "  test:\n",
    "    runs-on: ubuntu-latest\n",
    "    steps:\n",
    "      - uses: actions/checkout@v4\n",
    "        with:\n",
    "          persist-credentials: false\n",
    "      - run: cargo test\n",
);

const ACTION: &str = concat!(
    "name: a\n",
    "description: d\n",
    "runs:\n",
    "  using: composite\n",
    "  steps:\n",
    "    - run: echo hi\n",
    "      shell: bash\n",
);

/// Billion laughs: nine levels of ten aliases each (10^9 nodes if expanded).
fn billion_laughs(indent: &str) -> String {
    let mut s = format!("{indent}a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let p = i - 1;
        let refs = vec![format!("*a{p}"); 10].join(", ");
        s.push_str(&format!("{indent}a{i}: &a{i} [{refs}]\n"));
    }
    s
}

fn workflow_with_env(env: &str) -> String {
    format!(
        "name: ci\non: push\npermissions: {{}}\nenv:\n{env}jobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n"
    )
}

#[test]
fn alias_bomb_in_a_workflow_is_refused() {
    let o = lint_bytes(
        "ci.yml",
        workflow_with_env(&billion_laughs("  ")).as_bytes(),
        MEMORY_BOUND_MB,
    );
    assert_finding(&o, "alias bomb");
}

#[test]
fn alias_bomb_in_an_action_is_refused() {
    let src = format!("{ACTION}x:\n{}", billion_laughs("  "));
    let o = lint_bytes("action.yml", src.as_bytes(), MEMORY_BOUND_MB);
    assert_finding(&o, "alias bomb");
}

#[test]
fn quadratic_alias_fan_out_is_refused() {
    // One anchor of 1,000 items aliased 1,000 times: a million nodes, under the per-alias size
    // but over the total budget.
    let items = vec!["x"; 1000].join(", ");
    let refs = vec!["*big"; 1000].join(", ");
    let env = format!("  big: &big [{items}]\n  many: [{refs}]\n");
    let o = lint_bytes(
        "ci.yml",
        workflow_with_env(&env).as_bytes(),
        MEMORY_BOUND_MB,
    );
    assert_finding(&o, "alias bomb");
}

#[test]
fn flow_sequences_10000_deep_are_refused() {
    let src = format!(
        "on: push\njobs: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let o = lint_bytes("ci.yml", src.as_bytes(), MEMORY_BOUND_MB);
    assert_finding(&o, "could not parse as YAML");
}

#[test]
fn flow_mappings_10000_deep_are_refused() {
    let src = format!(
        "on: push\njobs: {}x: 1{}\n",
        "{a: ".repeat(10_000),
        "}".repeat(10_000)
    );
    let o = lint_bytes("ci.yml", src.as_bytes(), MEMORY_BOUND_MB);
    assert_finding(&o, "could not parse as YAML");
}

#[test]
fn block_sequences_10000_deep_are_refused() {
    let src = format!("on: push\njobs:\n  {}x\n", "- ".repeat(10_000));
    let o = lint_bytes("ci.yml", src.as_bytes(), MEMORY_BOUND_MB);
    assert_finding(&o, "could not parse as YAML");
}

#[test]
fn block_mappings_10000_deep_are_refused() {
    // One more space of indentation per level: 10,000 levels are 50 MB of spaces, so the
    // mapping keys share a line the way YAML allows (`a: b: ...` is invalid), using `? ` keys.
    let src = format!("on: push\njobs:\n  {}x\n", "? ".repeat(10_000));
    let o = lint_bytes("ci.yml", src.as_bytes(), MEMORY_BOUND_MB);
    assert_eq!(o.code, Some(1), "{}", o.stdout);
    assert!(o.stdout.contains("yaml-syntax"), "{}", o.stdout);
}

#[test]
fn deep_nesting_in_an_action_is_refused() {
    let src = format!("{ACTION}x: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let o = lint_bytes("action.yml", src.as_bytes(), MEMORY_BOUND_MB);
    assert_finding(&o, "could not parse as YAML");
}

#[test]
fn invalid_utf8_is_a_finding_at_the_byte() {
    let mut bytes = b"name: ci\non: push\nenv:\n  X: \"caf".to_vec();
    bytes.extend_from_slice(&[0xC3, 0x28, 0xFF, 0xFE]);
    bytes.extend_from_slice(b"\"\n");
    let o = lint_bytes("ci.yml", &bytes, MEMORY_BOUND_MB);
    assert_finding(&o, "not valid UTF-8");
    assert!(o.stdout.contains("ci.yml:4:"), "{}", o.stdout);
}

#[test]
fn invalid_utf8_in_an_action_is_a_finding() {
    let mut bytes = ACTION.as_bytes().to_vec();
    bytes.extend_from_slice(b"# \xC0\xAF\n");
    let o = lint_bytes("action.yml", &bytes, MEMORY_BOUND_MB);
    assert_finding(&o, "not valid UTF-8");
}

#[test]
fn a_utf16_file_is_a_finding_not_garbage() {
    // A UTF-16LE BOM and text: not UTF-8 from the first byte.
    let mut bytes = vec![0xFF, 0xFE];
    for unit in CLEAN.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let o = lint_bytes("ci.yml", &bytes, MEMORY_BOUND_MB);
    assert_finding(&o, "not valid UTF-8");
}

#[test]
fn nul_bytes_are_a_finding() {
    let src = CLEAN.replace("name: ci", "name: c\0i");
    let o = lint_bytes("ci.yml", src.as_bytes(), MEMORY_BOUND_MB);
    assert_finding(&o, "yaml-syntax");
}

#[test]
fn nul_bytes_in_an_action_are_a_finding() {
    let src = format!("{ACTION}\0\0\0");
    let o = lint_bytes("action.yml", src.as_bytes(), MEMORY_BOUND_MB);
    assert_finding(&o, "yaml-syntax");
}

#[test]
fn a_bom_is_skipped() {
    let src = format!("\u{feff}{CLEAN}");
    let o = lint_bytes("ci.yml", src.as_bytes(), MEMORY_BOUND_MB);
    assert_eq!(o.code, Some(0), "{}\n{}", o.stdout, o.stderr);
}

#[test]
fn a_bom_keeps_positions_right() {
    let src = format!(
        "\u{feff}{}",
        CLEAN.replace("runs-on: ubuntu-latest", "runs-on: [a, a")
    );
    let o = lint_bytes("ci.yml", src.as_bytes(), MEMORY_BOUND_MB);
    assert_finding(&o, "yaml-syntax");
}

#[test]
fn a_bom_in_an_action_is_skipped() {
    let src = format!("\u{feff}{ACTION}");
    let o = lint_bytes("action.yml", src.as_bytes(), MEMORY_BOUND_MB);
    assert_eq!(o.code, Some(0), "{}\n{}", o.stdout, o.stderr);
}

#[test]
fn crlf_line_ends_lint_like_lf() {
    let src = CLEAN.replace('\n', "\r\n");
    let o = lint_bytes("ci.yml", src.as_bytes(), MEMORY_BOUND_MB);
    assert_eq!(o.code, Some(0), "{}\n{}", o.stdout, o.stderr);
}

#[test]
fn crlf_findings_have_the_same_lines_as_lf() {
    let bad = CLEAN.replace("runs-on: ubuntu-latest", "runs-on: ${{ matrix.os }");
    let lf = lint_bytes("ci.yml", bad.as_bytes(), MEMORY_BOUND_MB);
    let crlf = lint_bytes(
        "ci.yml",
        bad.replace('\n', "\r\n").as_bytes(),
        MEMORY_BOUND_MB,
    );
    assert_eq!(lf.code, Some(1), "{}", lf.stdout);
    assert_eq!(crlf.code, Some(1), "{}", crlf.stdout);
    let locations = |o: &Outcome| -> Vec<String> {
        o.stdout
            .lines()
            .filter_map(|l| l.trim().strip_prefix("--> ").map(str::to_owned))
            .collect()
    };
    assert!(!locations(&lf).is_empty(), "{}", lf.stdout);
    assert_eq!(
        locations(&lf),
        locations(&crlf),
        "{}\n{}",
        lf.stdout,
        crlf.stdout
    );
}

#[test]
fn crlf_in_an_action_lints_like_lf() {
    let src = ACTION.replace('\n', "\r\n");
    let o = lint_bytes("action.yml", src.as_bytes(), MEMORY_BOUND_MB);
    assert_eq!(o.code, Some(0), "{}\n{}", o.stdout, o.stderr);
}

#[test]
fn lone_carriage_returns_are_line_ends_too() {
    let src = CLEAN.replace('\n', "\r");
    let o = lint_bytes("ci.yml", src.as_bytes(), MEMORY_BOUND_MB);
    assert!(matches!(o.code, Some(0 | 1)), "{}", o.stdout);
}

/// Writes 50 MB of YAML to `name` in `dir`, a chunk at a time: the test process itself must
/// stay small, because a spawned child briefly shares its memory and `getrusage` counts that.
fn fifty_megabytes(dir: &Path, name: &str, head: &str, unit: &str) -> PathBuf {
    const SIZE: usize = 50 * 1024 * 1024;
    let path = dir.join(name);
    let mut out = BufWriter::new(std::fs::File::create(&path).expect("create case"));
    out.write_all(head.as_bytes()).expect("write");
    let mut written = head.len();
    while written < SIZE {
        out.write_all(unit.as_bytes()).expect("write");
        written += unit.len();
    }
    out.flush().expect("flush");
    path
}

const STEPS_HEAD: &str = concat!(
    "name: ci\non: push\npermissions: {}\n",
    "jobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n",
);

#[test]
fn a_50_mb_workflow_of_steps_is_a_finding_without_being_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = fifty_megabytes(
        dir.path(),
        "ci.yml",
        STEPS_HEAD,
        "      - run: echo 12345678\n",
    );
    let o = lint_path(dir.path(), &path, MEMORY_BOUND_MB);
    assert_finding(&o, "the linter reads");
}

#[test]
fn a_50_mb_run_script_is_a_finding_without_being_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let head = format!("{STEPS_HEAD}      - run: |\n");
    let line = "          echo 'a long line of a generated shell script'\n";
    let path = fifty_megabytes(dir.path(), "ci.yml", &head, line);
    let o = lint_path(dir.path(), &path, MEMORY_BOUND_MB);
    assert_finding(&o, "the linter reads");
}

#[test]
fn a_50_mb_action_is_a_finding_without_being_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let comment = format!("# {}\n", "x".repeat(77));
    let path = fifty_megabytes(dir.path(), "action.yml", ACTION, &comment);
    let o = lint_path(dir.path(), &path, MEMORY_BOUND_MB);
    assert_finding(&o, "the linter reads");
}

#[test]
fn a_50_mb_standard_input_is_a_finding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = fifty_megabytes(
        dir.path(),
        "in.yml",
        STEPS_HEAD,
        "      - run: echo 12345678\n",
    );
    // Straight from the file: assert_cmd's `pipe_stdin` would read it into this process.
    let mut lint = harness::bin_command();
    lint.current_dir(dir.path())
        .args(["lint", "--color=never", "-"]);
    let (mut lint, report) = measured(&lint);
    let mut child = lint
        .stdin(std::fs::File::open(&path).expect("open case"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("lint runs");
    let started = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > WATCHDOG {
            let _ = child.kill();
            panic!("lint on a 50 MB standard input hung past the {WATCHDOG:?} watchdog");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("the linter reads"), "{stdout}");
    let rss = report.peak_rss_mb();
    assert!(rss < MEMORY_BOUND_MB, "peak RSS {rss} MB");
}
