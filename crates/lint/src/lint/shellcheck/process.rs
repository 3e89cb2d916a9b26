//! Running shellcheck over many scripts: each script a file in one temporary directory, files
//! grouped into batches (one shellcheck process checks a batch, so its start-up is paid once per
//! batch, not per script), batches run on every core.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::ShellcheckError;
use super::script::Dialect;

/// The codes actionlint turns off, for the same reasons: SC1091 (a sourced file is not here, it
/// is in CI), SC2194 and SC2050 (a constant word or comparison: an expression was masked),
/// SC2153 and SC2154 (a variable comes from `env:`), SC2157 (`-z` on a masked expression is
/// always false), SC2043 (a loop over one masked expression).
pub const EXCLUDED: &str = "SC1091,SC2194,SC2050,SC2153,SC2154,SC2157,SC2043";

/// At most this many files per process, to stay far below the command-line length limit.
const MAX_BATCH_FILES: usize = 400;

/// One script to check: a file of a shellcheck batch.
#[derive(Debug)]
pub struct BatchFile<'a> {
    /// Its dialect.
    pub dialect: Dialect,
    /// Its text.
    pub text: &'a str,
}

/// One shellcheck comment (its `json1` format).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    /// The file it is about (our `N.sh` name).
    #[serde(default)]
    pub file: String,
    /// 1-based start line.
    pub line: u32,
    /// 1-based end line.
    #[serde(default)]
    pub end_line: u32,
    /// 1-based start column (characters).
    pub column: u32,
    /// 1-based end column (characters).
    #[serde(default)]
    pub end_column: u32,
    /// `error`, `warning`, `info` or `style`.
    pub level: String,
    /// The SC number.
    pub code: u32,
    /// The message.
    pub message: String,
}

#[derive(serde::Deserialize)]
struct Output {
    comments: Vec<Comment>,
}

/// What checking one job gave: its comments, or why shellcheck could not check it.
pub type JobResult = Result<Vec<Comment>, String>;

/// Checks every job with `program` on `workers` processes at a time. Fails only when
/// shellcheck cannot be started at all; a script it fails on gets an `Err` of its own.
pub fn run_all(
    program: &Path,
    jobs: &[BatchFile<'_>],
    workers: usize,
) -> Result<Vec<JobResult>, ShellcheckError> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let dir = tempfile::Builder::new()
        .prefix("deploy-action-shellcheck-")
        .tempdir()
        .map_err(ShellcheckError::TempDir)?;
    let batches = batches(jobs, workers);
    let workers = workers.clamp(1, batches.len());
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<JobResult>>> = Mutex::new(vec![None; jobs.len()]);
    let fatal: Mutex<Option<ShellcheckError>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let b = next.fetch_add(1, Ordering::Relaxed);
                    let Some(batch) = batches.get(b) else { break };
                    if fatal.lock().map_or(true, |f| f.is_some()) {
                        break;
                    }
                    match run_batch(program, dir.path(), jobs, batch) {
                        Ok(done) => {
                            if let Ok(mut r) = results.lock() {
                                for (i, res) in done {
                                    r[i] = Some(res);
                                }
                            }
                        }
                        Err(e) => {
                            if let Ok(mut f) = fatal.lock() {
                                f.get_or_insert(e);
                            }
                            break;
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = fatal.into_inner().ok().flatten() {
        return Err(e);
    }
    let results = results
        .into_inner()
        .map_err(|_| ShellcheckError::Poisoned)?;
    Ok(results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err("not checked".to_string())))
        .collect())
}

/// Groups job indices into batches of one dialect: the largest scripts first, each batch about
/// a quarter of a worker's share of the bytes, so that the cores finish together.
fn batches(jobs: &[BatchFile<'_>], workers: usize) -> Vec<Vec<usize>> {
    let total: usize = jobs.iter().map(|j| j.text.len() + 64).sum();
    let target = (total / (workers.max(1) * 4)).max(1);
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&i| (jobs[i].dialect, std::cmp::Reverse(jobs[i].text.len()), i));
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut cur: Vec<usize> = Vec::new();
    let mut bytes = 0;
    for i in order {
        let switch = cur
            .first()
            .is_some_and(|&f| jobs[f].dialect != jobs[i].dialect);
        if switch || bytes >= target || cur.len() >= MAX_BATCH_FILES {
            out.push(std::mem::take(&mut cur));
            bytes = 0;
        }
        bytes += jobs[i].text.len() + 64;
        cur.push(i);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    // Largest batches first.
    out.sort_by_key(|b| {
        std::cmp::Reverse(b.iter().map(|&i| jobs[i].text.len() + 64).sum::<usize>())
    });
    out
}

fn file_name(i: usize) -> String {
    format!("{i}.sh")
}

/// Checks one batch; on a shellcheck failure over several files, each file alone, so one bad
/// script does not cost the others their results.
fn run_batch(
    program: &Path,
    dir: &Path,
    jobs: &[BatchFile<'_>],
    batch: &[usize],
) -> Result<Vec<(usize, JobResult)>, ShellcheckError> {
    for &i in batch {
        std::fs::write(dir.join(file_name(i)), jobs[i].text).map_err(ShellcheckError::TempDir)?;
    }
    let Some(&first) = batch.first() else {
        return Ok(Vec::new());
    };
    let dialect = jobs[first].dialect;
    let mut out: Vec<(usize, JobResult)> = match invoke(program, dir, dialect, batch)? {
        Ok(comments) => {
            let mut by_job: Vec<(usize, JobResult)> =
                batch.iter().map(|&i| (i, Ok(Vec::new()))).collect();
            for c in comments {
                let Some(i) = c
                    .file
                    .strip_suffix(".sh")
                    .and_then(|n| n.parse::<usize>().ok())
                else {
                    continue;
                };
                if let Some((_, Ok(list))) = by_job.iter_mut().find(|(j, _)| *j == i) {
                    list.push(c);
                }
            }
            by_job
        }
        Err(why) if batch.len() == 1 => vec![(first, Err(why))],
        Err(_) => {
            let mut each = Vec::new();
            for &i in batch {
                each.push((i, invoke(program, dir, dialect, &[i])?));
            }
            each
        }
    };
    for &i in batch {
        // Best effort: the directory is removed at the end anyway.
        let _ = std::fs::remove_file(dir.join(file_name(i)));
    }
    out.sort_by_key(|(i, _)| *i);
    Ok(out)
}

/// One shellcheck process over `files`. The outer `Err` means it could not be started; the
/// inner one that it failed on these files.
fn invoke(
    program: &Path,
    dir: &Path,
    dialect: Dialect,
    files: &[usize],
) -> Result<JobResult, ShellcheckError> {
    let out = Command::new(program)
        .current_dir(dir)
        .args([
            "--norc",
            "--format=json1",
            "--shell",
            dialect.as_str(),
            "--exclude",
            EXCLUDED,
        ])
        .args(files.iter().map(|&i| file_name(i)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ShellcheckError::NotFound(program.to_path_buf()),
            _ => ShellcheckError::Spawn(program.to_path_buf(), e),
        })?;
    // 0: nothing found; 1: comments; anything else: it could not do its work.
    let status_ok = matches!(out.status.code(), Some(0 | 1));
    let parsed = serde_json::from_slice::<Output>(&out.stdout);
    Ok(match parsed {
        Ok(o) if status_ok => Ok(o.comments),
        _ => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            Err(format!("shellcheck exited with {}: {first}", out.status))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_keep_one_dialect_and_spread_the_bytes() {
        let big = "x".repeat(1000);
        let jobs = vec![
            BatchFile {
                dialect: Dialect::Bash,
                text: "a",
            },
            BatchFile {
                dialect: Dialect::Sh,
                text: "b",
            },
            BatchFile {
                dialect: Dialect::Bash,
                text: &big,
            },
            BatchFile {
                dialect: Dialect::Bash,
                text: "c",
            },
        ];
        let b = batches(&jobs, 2);
        let mut all: Vec<usize> = b.iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(all, [0, 1, 2, 3]);
        for batch in &b {
            let d = jobs[batch[0]].dialect;
            assert!(batch.iter().all(|&i| jobs[i].dialect == d), "{b:?}");
        }
        // The large script is alone and first.
        assert_eq!(b[0], [2]);
    }

    #[test]
    fn a_missing_program_is_reported_as_such() {
        let jobs = [BatchFile {
            dialect: Dialect::Bash,
            text: "echo $x\n",
        }];
        let err = run_all(Path::new("/nonexistent/shellcheck"), &jobs, 2).expect_err("missing");
        assert!(matches!(err, ShellcheckError::NotFound(_)), "{err}");
    }
}
