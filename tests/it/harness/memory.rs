//! The peak memory of one child. `getrusage(RUSAGE_CHILDREN)` would count every child any test
//! of this one binary has waited for (node, dockerd, shellcheck...), so each measured command
//! runs under GNU time (`/usr/bin/time`, Debian's `time`, installed by scripts/test.sh), which
//! reports the peak resident set of that child alone.

use std::path::{Path, PathBuf};
use std::process::Command;

/// GNU time; the shell's `time` keyword cannot write a report file.
const GNU_TIME: &str = "/usr/bin/time";

/// Where GNU time reports on one wrapped command.
pub struct Report {
    /// The report: GNU time's `%M` (kilobytes), after a status line when the child failed.
    report: PathBuf,
    /// Keeps the report's folder alive.
    _dir: tempfile::TempDir,
}

/// `cmd` (program, arguments, environment changes, current directory) wrapped by GNU time, and
/// the report to read once it has exited.
pub fn measured(cmd: &Command) -> (Command, Report) {
    assert!(
        Path::new(GNU_TIME).is_file(),
        "{GNU_TIME} is missing; the memory bounds need it (scripts/test.sh installs Debian's `time`)"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("time");
    let mut command = Command::new(GNU_TIME);
    command
        .arg("--format=%M")
        .arg("--output")
        .arg(&report)
        .arg("--")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => command.env(k, v),
            None => command.env_remove(k),
        };
    }
    if let Some(d) = cmd.get_current_dir() {
        command.current_dir(d);
    }
    (command, Report { report, _dir: dir })
}

impl Report {
    /// The child's peak resident memory in MB, once it has exited.
    pub fn peak_rss_mb(&self) -> u64 {
        let text = std::fs::read_to_string(&self.report).expect("GNU time's report");
        let kb: u64 = text
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or_else(|| panic!("no peak memory in GNU time's report: {text:?}"));
        kb / 1024
    }
}
