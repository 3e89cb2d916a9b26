//! One file per subcommand: turns validated arguments into calls to the capability modules and
//! returns the process exit status.

pub mod build;
pub mod deploy;
pub mod gen_workflow;
mod gitctx;
pub mod graph;
pub mod history;
pub mod lint;
pub mod lint_fix;
pub mod lsp;
pub mod promote;
pub mod rollback;
mod rollout;
mod stepped;
mod store;
pub mod tags;

use std::io::Write;

/// Exit statuses shared by every subcommand (documented in README and `--help`).
pub use deploy_action_sys::exit;

/// Writes results to standard output; the one place that prints them.
pub fn emit(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Writes progress and logs to standard error (never results).
pub fn log(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

/// Writes a progress line to standard error; the one place that prints progress.
pub fn progress(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}
