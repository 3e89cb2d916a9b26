//! The GitHub runner's side: step outputs (`GITHUB_OUTPUT`), the step summary
//! (`GITHUB_STEP_SUMMARY`), log groups, annotations and secret masks.
//!
//! Everything is written through a [`Runner`] built from the environment by `commands/`, so the
//! capability modules stay free of environment reads, and tests can point it at temp files.

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

/// Where the runner wants our outputs; all `None` outside GitHub Actions.
#[derive(Debug, Clone, Default)]
pub struct Runner {
    /// True when `GITHUB_ACTIONS=true`.
    pub in_actions: bool,
    /// The `GITHUB_OUTPUT` file.
    pub output_file: Option<PathBuf>,
    /// The `GITHUB_STEP_SUMMARY` file.
    pub summary_file: Option<PathBuf>,
}

/// Why writing to the runner's files failed.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// The file could not be written.
    #[error("cannot write {what} file {path}: {source}; check that the runner's file is writable")]
    Write {
        /// Which file (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY).
        what: &'static str,
        /// Its path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl Runner {
    /// Builds the runner view from environment values (the caller reads the environment).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Runner {
        let path = |k: &str| get(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        Runner {
            in_actions: get("GITHUB_ACTIONS").is_some_and(|v| v == "true"),
            output_file: path("GITHUB_OUTPUT"),
            summary_file: path("GITHUB_STEP_SUMMARY"),
        }
    }

    /// The workflow command that masks `secret` in the job log; `None` when not in Actions or
    /// the value is empty. Print it to stdout before anything else that could contain the value.
    pub fn mask_command(&self, secret: &str) -> Option<String> {
        if !self.in_actions || secret.trim().is_empty() {
            return None;
        }
        // A multi-line secret is masked line by line: the runner matches single lines.
        Some(
            secret
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| format!("::add-mask::{}\n", escape_data(l)))
                .collect(),
        )
    }

    /// Appends step outputs to `GITHUB_OUTPUT` (no-op outside Actions). Uses the heredoc form
    /// with a random delimiter for every value, so multi-line values cannot break out.
    pub fn set_outputs(&self, outputs: &[(&str, &str)]) -> Result<(), RunnerError> {
        let Some(path) = &self.output_file else {
            return Ok(());
        };
        let mut text = String::new();
        for (name, value) in outputs {
            let delim = delimiter(value);
            let _ = writeln!(text, "{name}<<{delim}\n{value}\n{delim}");
        }
        append(path, "GITHUB_OUTPUT", &text)
    }

    /// Appends Markdown to the step summary (no-op outside Actions).
    pub fn summary(&self, markdown: &str) -> Result<(), RunnerError> {
        let Some(path) = &self.summary_file else {
            return Ok(());
        };
        append(path, "GITHUB_STEP_SUMMARY", markdown)
    }

    /// `::group::title` in Actions, a plain header elsewhere.
    pub fn group_start(&self, title: &str) -> String {
        if self.in_actions {
            format!("::group::{}\n", escape_data(title))
        } else {
            format!("== {title}\n")
        }
    }

    /// `::endgroup::` in Actions, nothing elsewhere.
    pub fn group_end(&self) -> &'static str {
        if self.in_actions {
            "::endgroup::\n"
        } else {
            ""
        }
    }
}

/// A heredoc delimiter that does not occur in `value`.
fn delimiter(value: &str) -> String {
    let mut n: u64 = std::process::id() as u64 ^ 0x9e37_79b9_7f4a_7c15;
    loop {
        let d = format!("ghadelimiter_{n:016x}");
        if !value.contains(&d) {
            return d;
        }
        n = n.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    }
}

fn append(path: &PathBuf, what: &'static str, text: &str) -> Result<(), RunnerError> {
    let err = |source| RunnerError::Write {
        what,
        path: path.display().to_string(),
        source,
    };
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(err)?;
    f.write_all(text.as_bytes()).map_err(err)
}

/// Escapes workflow-command data: `%`, `\r`, `\n`.
pub fn escape_data(s: &str) -> String {
    deploy_action_lint::report::github::escape_data(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runner(dir: &std::path::Path) -> Runner {
        Runner {
            in_actions: true,
            output_file: Some(dir.join("out")),
            summary_file: Some(dir.join("summary")),
        }
    }

    #[test]
    fn outputs_use_heredoc_delimiters() {
        let dir = tempfile::tempdir().expect("tempdir");
        let r = runner(dir.path());
        r.set_outputs(&[("digest", "sha256:abc"), ("tags", "a\nb")])
            .expect("write");
        let text = std::fs::read_to_string(dir.path().join("out")).expect("read");
        let mut lines = text.lines();
        let first = lines.next().expect("line");
        let delim = first.strip_prefix("digest<<").expect("heredoc");
        assert_eq!(lines.next(), Some("sha256:abc"));
        assert_eq!(lines.next(), Some(delim));
        assert!(text.contains("tags<<"));
        assert!(text.contains("\na\nb\n"));
    }

    #[test]
    fn masks_each_line_only_in_actions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let r = runner(dir.path());
        assert_eq!(
            r.mask_command("s3cr%t").as_deref(),
            Some("::add-mask::s3cr%25t\n")
        );
        assert_eq!(
            r.mask_command("a\nb").as_deref(),
            Some("::add-mask::a\n::add-mask::b\n")
        );
        assert_eq!(Runner::default().mask_command("x"), None);
    }

    #[test]
    fn outside_actions_nothing_is_written() {
        let r = Runner::from_env(|_| None);
        assert!(!r.in_actions);
        r.set_outputs(&[("a", "b")]).expect("no-op");
        r.summary("x").expect("no-op");
    }
}
