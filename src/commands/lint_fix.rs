//! `deploy-action lint --fix`: the safe fixes of the lint rules, applied to the files (then
//! `lint` goes on and reports what is left) or shown as a unified diff (`--fix=dry-run`).
//! The fixes are edits on the source text ([`deploy_action_lint::lint::fix`]), never a re-serialised YAML.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::cli::{FixMode, LintArgs};
use deploy_action_lint::lint::{self, Config, FileKind, Project, discover};

use super::{emit, exit, progress};

/// The files `lint` would read, as workflows or action metadata (policies have no fixes).
fn files(args: &LintArgs, root: &Path, config: &Config) -> Result<Vec<PathBuf>> {
    let keep = |p: &Path| !config.ignored(p.strip_prefix(root).unwrap_or(p)) && !config.ignored(p);
    let mut out = Vec::new();
    if args.paths.is_empty() {
        out.extend(
            discover::files_under(root)
                .with_context(|| format!("cannot list {}", root.display()))?
                .into_iter()
                .filter(|p| keep(p)),
        );
    }
    for p in &args.paths {
        if p.as_os_str() == "-" {
            continue;
        } else if p.is_dir() {
            out.extend(
                discover::files_under(p)
                    .with_context(|| format!("cannot list {}", p.display()))?
                    .into_iter()
                    .filter(|f| keep(f)),
            );
        } else if p.exists() {
            out.push(p.clone());
        } else {
            bail!("{}: no such file or directory", p.display());
        }
    }
    Ok(out)
}

/// Writes `text` to `path` through a temporary file beside it, keeping its permissions.
fn write_in_place(path: &Path, text: &str) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.deploy-action-fix"));
    let perms = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .permissions();
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::set_permissions(&tmp, perms)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}

/// Applies or shows the fixes. `Some(status)` ends the command (dry run); `None` lets `lint`
/// go on and report what is left in the fixed files.
pub fn run(args: &LintArgs, mode: FixMode) -> Result<Option<u8>> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let root = discover::repo_root(&cwd);
    let config = super::lint::load_config(args, &root)?;
    let project = Project::new(&root);
    let stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
    if stdin && mode == FixMode::Apply {
        bail!("--fix cannot rewrite standard input; use --fix=dry-run to see the changes");
    }
    let mut diff = String::new();
    let (mut fixed, mut changed) = (0usize, 0usize);
    let mut one = |name: &str, text: &str, path: Option<&Path>| -> Result<()> {
        let kind = FileKind::of_path(name);
        if kind == FileKind::Policy || text.len() as u64 > lint::MAX_FILE_BYTES {
            return Ok(());
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let (new, done) = lint::fix::fix_source(Some(&project), name, text, kind, &config);
        if new == text {
            return Ok(());
        }
        fixed += done.len();
        changed += 1;
        match (mode, path) {
            (FixMode::Apply, Some(p)) => write_in_place(p, &new)?,
            _ => diff.push_str(&lint::fix::unified_diff(name, text, &new)),
        }
        Ok(())
    };
    if stdin {
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(lint::MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
        let name = args
            .stdin_filename
            .clone()
            .unwrap_or_else(|| "<stdin>".into());
        if let Ok(text) = String::from_utf8(bytes) {
            one(&name, &text, None)?;
        }
    }
    for path in files(args, &root, &config)? {
        let Ok(text) = std::fs::read_to_string(&path) else {
            // Not UTF-8, or unreadable: `lint` reports it.
            continue;
        };
        let name = path
            .strip_prefix(&cwd)
            .unwrap_or(&path)
            .display()
            .to_string();
        one(&name, &text, Some(&path))?;
    }
    match mode {
        FixMode::DryRun => {
            emit(&diff).context("cannot write to standard output")?;
            progress(&format!(
                "{fixed} findings would be fixed in {changed} files (dry run: nothing written)"
            ));
            Ok(Some(exit::OK))
        }
        FixMode::Apply => {
            progress(&format!("fixed {fixed} findings in {changed} files"));
            Ok(None)
        }
    }
}
