//! Linting an open document as `lint` lints the file on disk: the same kind of file (by its
//! path), the same repository (for local actions and reusable workflows), the same
//! configuration (`.github/deploy-action.yml` of that repository), the same size limit.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use deploy_action_lint::lint::shellcheck::Script;
use deploy_action_lint::lint::{
    self, Config, FileKind, FileResult, Finding, Project, Severity, discover,
};
use deploy_action_lint::workflow::yaml::{Pos, Span};

/// The kind of file at `path`, when `lint` would check it: a workflow directly in
/// `.github/workflows/`, action metadata, or a promotion policy. Other YAML files an editor
/// opens (compose files, Helm charts) are none of ours.
pub fn kind_of(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?;
    let is_yaml = name.ends_with(".yml") || name.ends_with(".yaml");
    let dir = path.parent()?;
    let in_workflows = dir.file_name().is_some_and(|n| n == "workflows")
        && dir
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|n| n == ".github");
    if in_workflows && is_yaml {
        Some(FileKind::Workflow)
    } else if discover::is_action_file(name) {
        Some(FileKind::Action)
    } else if discover::is_policy_path(&path.to_string_lossy()) {
        Some(FileKind::Policy)
    } else {
        None
    }
}

/// What linting a document gave.
#[derive(Debug, Clone)]
pub struct Linted {
    /// The findings, by byte offsets into the document's text.
    pub findings: Vec<Finding>,
    /// The `run:` scripts queued for shellcheck, and what shellcheck needs to check them.
    pub scripts: ScriptJob,
    /// A problem worth telling the user once (a broken configuration file).
    pub note: Option<String>,
}

/// The scripts of one version of a document, ready for [`lint::shellcheck::Shellcheck::check`].
#[derive(Debug, Clone, Default)]
pub struct ScriptJob {
    /// The result to add shellcheck's findings to (its findings are empty).
    pub result: Option<FileResult>,
    /// The effective configuration (disabled rules, suppression).
    pub config: Config,
    /// How far shellcheck's findings are to be moved to be offsets of the document (past a
    /// byte order mark the linter did not see).
    pub shift: usize,
}

impl ScriptJob {
    /// The queued scripts (none when there is nothing for shellcheck).
    pub fn scripts(&self) -> &[Script] {
        self.result.as_ref().map_or(&[], |r| &r.scripts)
    }
}

/// Lints `text`, the content of the file at `path` (absolute), whose kind is `kind`.
/// `workspace` is the editor's folder, the repository of a file that is in none; `shellcheck`
/// says whether to queue scripts at all.
pub fn lint_document(
    path: &Path,
    text: &str,
    kind: FileKind,
    workspace: Option<&Path>,
    shellcheck: bool,
) -> Linted {
    let fallback = workspace
        .map(Path::to_path_buf)
        .or_else(|| path.parent().map(discover::repo_root))
        .unwrap_or_default();
    let root = discover::project_root_of(path, &fallback);
    let (mut config, note) = config_of(&root);
    if !shellcheck {
        config
            .disabled
            .push(lint::rules::shellcheck::META.id.to_string());
    }
    let shown = display(path, &root);
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    // A new project each time: the local actions and reusable workflows it reads may have
    // changed since the last keystroke.
    let project = Project::new(&root);
    let linted = catch_unwind(AssertUnwindSafe(|| {
        lint::lint_source_in(Some(&project), &shown, &text[bom..], kind, &config)
    }));
    let mut result = linted.unwrap_or_else(|_| internal_error(&shown));
    let mut findings = std::mem::take(&mut result.findings);
    if bom > 0 {
        findings.iter_mut().for_each(|f| shift(f, bom));
    }
    let scripts = if result.scripts.is_empty() {
        ScriptJob::default()
    } else {
        ScriptJob {
            result: Some(result),
            config,
            shift: bom,
        }
    };
    Linted {
        findings,
        scripts,
        note,
    }
}

/// The configuration of the repository at `root`, as `lint` reads it; a broken file is the
/// default configuration and a note.
fn config_of(root: &Path) -> (Config, Option<String>) {
    let file = root.join(".github/deploy-action.yml");
    if !file.is_file() {
        return (Config::default(), None);
    }
    match Config::load(&file) {
        Ok(c) => (c, None),
        Err(e) => (Config::default(), Some(e.to_string())),
    }
}

/// The path shown in findings: relative to the repository, as `lint` run there shows it.
fn display(path: &Path, root: &Path) -> String {
    let rel: PathBuf = path
        .strip_prefix(root)
        .map_or_else(|_| path.to_path_buf(), Path::to_path_buf);
    rel.to_string_lossy().into_owned()
}

/// Whether a configured `ignore` glob covers the file: an editor shows nothing for a file the
/// repository's `lint` run skips.
pub fn ignored(path: &Path, workspace: Option<&Path>) -> bool {
    let fallback = workspace.map(Path::to_path_buf).unwrap_or_default();
    let root = discover::project_root_of(path, &fallback);
    let (config, _) = config_of(&root);
    config.ignored(path.strip_prefix(&root).unwrap_or(path)) || config.ignored(path)
}

/// Moves a finding `by` bytes to the right.
pub fn shift(f: &mut Finding, by: usize) {
    for p in [&mut f.span.start, &mut f.span.end] {
        p.offset += by;
    }
    if let Some(fix) = &mut f.fix {
        for e in &mut fix.edits {
            e.start += by;
            e.end += by;
        }
    }
}

/// A finding that says the linter failed on this text, rather than losing the document.
fn internal_error(path: &str) -> FileResult {
    let start = Pos {
        offset: 0,
        line: 1,
        col: 1,
    };
    FileResult {
        path: path.to_string(),
        source: String::new(),
        findings: vec![Finding::new(
            lint::YAML_SYNTAX.id,
            Severity::Error,
            Span::point(start),
            "deploy-action failed on this file (an internal error); please report it with the \
             file"
                .into(),
        )],
        scripts: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_path() {
        let k = |p: &str| kind_of(Path::new(p));
        assert_eq!(k("/r/.github/workflows/ci.yml"), Some(FileKind::Workflow));
        assert_eq!(k("/r/.github/workflows/ci.yaml"), Some(FileKind::Workflow));
        assert_eq!(k("/r/.github/workflows/sub/ci.yml"), None);
        assert_eq!(k("/r/.github/workflows/notes.md"), None);
        assert_eq!(k("/r/a/action.yml"), Some(FileKind::Action));
        assert_eq!(k("/r/.github/promotion.yml"), Some(FileKind::Policy));
        assert_eq!(k("/r/docker-compose.yml"), None);
    }

    #[test]
    fn lints_in_the_files_repository_with_its_configuration() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join(".github/workflows")).expect("mkdir");
        std::fs::write(
            root.join(".github/deploy-action.yml"),
            "lint:\n  self-hosted-runner:\n    labels: [gpu]\n",
        )
        .expect("write");
        let path = root.join(".github/workflows/ci.yml");
        let text = "\u{feff}on: push\njobs:\n  a:\n    runs-on: [gpu, ubuntu-latst]\n    steps:\n      - run: echo\n";
        let out = lint_document(&path, text, FileKind::Workflow, None, false);
        assert_eq!(out.note, None);
        let labels: Vec<&Finding> = out
            .findings
            .iter()
            .filter(|f| f.rule == "runner-label")
            .collect();
        assert_eq!(labels.len(), 1, "{:?}", out.findings);
        let f = labels[0];
        // The BOM's 3 bytes are counted: offsets are the document's.
        assert_eq!(
            &text[f.span.start.offset..f.span.end.offset],
            "ubuntu-latst"
        );
        let fix = f.fix.as_ref().expect("a fix");
        assert_eq!(
            fix.apply_to(text)
                .as_deref()
                .map(|t| t.contains("ubuntu-latest")),
            Some(true)
        );
        assert!(out.scripts.scripts().is_empty());
    }
}
