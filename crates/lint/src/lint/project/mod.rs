//! The repository a linted file belongs to, for the checks that read other files of it: local
//! actions (`uses: ./path/to/action`) and local reusable workflows
//! (`uses: ./.github/workflows/build.yml`), both resolved against the repository root.
//!
//! One [`Project`] is shared by every file of a run (and by the worker threads that lint them),
//! so each local action or workflow is read and summarised once.

pub mod action_checks;
pub mod callee;
pub mod local_action;

// Keyed by the run's own paths and `uses:` specs: FxHash, not SipHash (a path hashes per
// component, 60,000 times on a corpus lint).
use rustc_hash::{FxHashMap as HashMap, FxHashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::discover;
use crate::workflow::yaml;

pub use action_checks::Problem;
pub use callee::{Callee, CalleeInput, CalleeSecret};
pub use local_action::{ActionInput, LocalAction, Runs};

/// What reading a local action or reusable workflow gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Loaded<T> {
    /// Read and understood.
    Found(T),
    /// No such file; the text says what was looked for and why it failed.
    Absent(String),
    /// The file is there but could not be understood; the text says why.
    Invalid(String),
}

impl<T> Loaded<T> {
    /// The summary, when the file was understood.
    pub fn found(&self) -> Option<&T> {
        match self {
            Loaded::Found(t) => Some(t),
            _ => None,
        }
    }
}

/// A repository root and the local files read from it so far.
#[derive(Debug)]
pub struct Project {
    root: PathBuf,
    actions: Mutex<HashMap<String, Arc<Loaded<LocalAction>>>>,
    workflows: Mutex<HashMap<String, Arc<Loaded<Callee>>>>,
    kept: Mutex<Kept>,
}

/// Workflow files of the project parsed for a caller before they were linted themselves: their
/// text and tree, taken by their own lint ([`Project::take_parsed`]), so that each is parsed
/// once. Bounded: beyond [`KEPT_BYTES`] of text, files are parsed twice instead.
#[derive(Debug, Default)]
struct Kept {
    bytes: usize,
    files: HashMap<PathBuf, (String, yaml::Document)>,
    /// Files whose lint has asked already: a caller's parse of one of them is not kept.
    asked: FxHashSet<PathBuf>,
}

/// The most workflow text [`Kept`] holds at once.
const KEPT_BYTES: usize = 16 << 20;

impl Project {
    /// A project rooted at `root` (the directory holding `.github/`).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Project {
            root: root.into(),
            actions: Mutex::new(HashMap::default()),
            workflows: Mutex::new(HashMap::default()),
            kept: Mutex::new(Kept::default()),
        }
    }

    /// The repository root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path `spec` (`./x/y`, relative to the root) names.
    pub fn resolve(&self, spec: &str) -> PathBuf {
        let rel = spec.strip_prefix("./").unwrap_or(spec);
        self.root.join(rel.trim_end_matches('/'))
    }

    /// The metadata of the local action `spec` (`./path/to/dir`): `action.yaml` or
    /// `action.yml` in that directory.
    pub fn action(&self, spec: &str) -> Arc<Loaded<LocalAction>> {
        if let Some(hit) = self.actions.lock().ok().and_then(|m| m.get(spec).cloned()) {
            return hit;
        }
        let dir = self.resolve(spec);
        let loaded = Arc::new(local_action::load(&dir, spec));
        if let Ok(mut m) = self.actions.lock() {
            m.insert(spec.to_string(), Arc::clone(&loaded));
        }
        loaded
    }

    /// The `workflow_call` interface of the local reusable workflow `spec`
    /// (`./.github/workflows/x.yml`).
    pub fn workflow(&self, spec: &str) -> Arc<Loaded<Callee>> {
        if let Some(hit) = self
            .workflows
            .lock()
            .ok()
            .and_then(|m| m.get(spec).cloned())
        {
            return hit;
        }
        let path = self.resolve(spec);
        let loaded = Arc::new(match std::fs::read_to_string(&path) {
            Err(e) => Loaded::Absent(format!(
                "could not read reusable workflow file for {spec:?}: {e}"
            )),
            Ok(text) => {
                let doc = yaml::parse(&text);
                let callee = summarised(spec, Callee::of_doc(&doc));
                self.keep_parsed(spec, path, text, doc);
                callee
            }
        });
        if let Ok(mut m) = self.workflows.lock() {
            m.insert(spec.to_string(), Arc::clone(&loaded));
        }
        loaded
    }

    /// Offers the interface of a workflow file of this project that was read and parsed for
    /// linting (`doc`, from the text read at `file`), so that its callers need not read and
    /// parse it again: kept under the spec callers write (`./.github/workflows/x.yml`) when
    /// `file` is that spec's path, and unless the spec was already read.
    pub fn offer_workflow(&self, file: &Path, doc: &yaml::Document) {
        let Some(spec) = self.workflow_spec(file) else {
            return;
        };
        let Ok(mut m) = self.workflows.lock() else {
            return;
        };
        if let std::collections::hash_map::Entry::Vacant(slot) = m.entry(spec) {
            let loaded = summarised(slot.key(), Callee::of_doc(doc));
            slot.insert(Arc::new(loaded));
        }
    }

    /// The spec callers write for the workflow file at `file` (`./.github/workflows/x.yml`),
    /// when `file` is directly in this project's `.github/workflows`.
    fn workflow_spec(&self, file: &Path) -> Option<String> {
        let name = file.file_name()?.to_str()?;
        (file.parent()? == self.root.join(".github/workflows"))
            .then(|| format!("./.github/workflows/{name}"))
    }

    /// Keeps a workflow file parsed for a caller, for its own lint to take.
    fn keep_parsed(&self, spec: &str, path: PathBuf, text: String, doc: yaml::Document) {
        if self.workflow_spec(&path).as_deref() != Some(spec) {
            return;
        }
        let Ok(mut kept) = self.kept.lock() else {
            return;
        };
        if kept.bytes + text.len() <= KEPT_BYTES && !kept.asked.contains(&path) {
            kept.bytes += text.len();
            kept.files.insert(path, (text, doc));
        }
    }

    /// The tree of the workflow file at `file`, when a caller parsed it and its text was
    /// `source`, as it is now; taken, so held no longer.
    pub fn take_parsed(&self, file: &Path, source: &str) -> Option<yaml::Document> {
        let mut kept = self.kept.lock().ok()?;
        kept.asked.insert(file.to_path_buf());
        let (text, doc) = kept.files.remove(file)?;
        kept.bytes -= text.len();
        (text == source).then_some(doc)
    }
}

/// What [`Project::workflow`] keeps for a reusable workflow's text that was read.
fn summarised(spec: &str, parsed: Result<Callee, String>) -> Loaded<Callee> {
    match parsed {
        Ok(c) => Loaded::Found(c),
        Err(why) => Loaded::Invalid(format!(
            "error while parsing reusable workflow {spec:?}: {why}"
        )),
    }
}

/// The projects of one run, one per repository root, created as files of each are linted: a run
/// over several repositories (a monorepo tool, an editor, a corpus) resolves each file's local
/// `uses:` in its own repository.
#[derive(Debug, Default)]
pub struct Projects {
    by_root: Mutex<HashMap<PathBuf, Arc<Project>>>,
    /// The project of each folder a file was linted from, by the folder's path as written:
    /// outside `.github/workflows`, finding a file's root asks the file system about every
    /// ancestor (`.git`, `.github`), and the files of one folder share the answer.
    by_folder: Mutex<HashMap<OsString, Arc<Project>>>,
}

impl Projects {
    /// No project yet.
    pub fn new() -> Self {
        Projects::default()
    }

    /// The project rooted at `root`, shared with every other file of that repository.
    pub fn get(&self, root: &Path) -> Arc<Project> {
        let Ok(mut map) = self.by_root.lock() else {
            return Arc::new(Project::new(root));
        };
        Arc::clone(
            map.entry(root.to_path_buf())
                .or_insert_with(|| Arc::new(Project::new(root))),
        )
    }

    /// The project of the file at `file`, rooted where [`discover::project_root_of`] finds it
    /// with `fallback`, which must be the same on every call (the repository of the run's
    /// current directory).
    pub fn of_file(&self, file: &Path, fallback: &Path) -> Arc<Project> {
        let folder = file.parent().unwrap_or(Path::new("")).as_os_str();
        if let Ok(map) = self.by_folder.lock()
            && let Some(p) = map.get(folder)
        {
            return Arc::clone(p);
        }
        let project = self.get(&discover::project_root_of(file, fallback));
        if let Ok(mut map) = self.by_folder.lock() {
            map.insert(folder.to_os_string(), Arc::clone(&project));
        }
        project
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_and_caches() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wf = dir.path().join(".github/workflows");
        std::fs::create_dir_all(&wf).expect("mkdir");
        std::fs::write(
            wf.join("r.yml"),
            "on:\n  workflow_call:\n    inputs:\n      name:\n        type: string\n        required: true\n",
        )
        .expect("write");
        let p = Project::new(dir.path());
        let c = p.workflow("./.github/workflows/r.yml");
        let callee = c.found().expect("parsed");
        assert_eq!(callee.inputs.len(), 1);
        assert!(callee.inputs[0].required);
        assert!(Arc::ptr_eq(&c, &p.workflow("./.github/workflows/r.yml")));
        assert!(matches!(
            *p.workflow("./.github/workflows/missing.yml"),
            Loaded::Absent(_)
        ));
        assert!(matches!(*p.action("./nowhere"), Loaded::Absent(_)));
    }

    #[test]
    fn a_linted_workflow_is_not_read_again_for_its_callers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wf = dir.path().join(".github/workflows");
        std::fs::create_dir_all(&wf).expect("mkdir");
        let p = Project::new(dir.path());
        let text = "on:\n  workflow_call:\n    outputs:\n      digest:\n        value: x\n";
        // Offered from the lint of the file at its path: callers get it without a file.
        p.offer_workflow(&wf.join("r.yml"), &yaml::parse(text));
        let callee = p.workflow("./.github/workflows/r.yml");
        assert_eq!(callee.found().expect("offered").outputs, ["digest"]);
        // A file elsewhere is not what `./.github/workflows/x.yml` names.
        p.offer_workflow(&dir.path().join("x.yml"), &yaml::parse(text));
        assert!(matches!(
            *p.workflow("./.github/workflows/x.yml"),
            Loaded::Absent(_)
        ));
    }

    #[test]
    fn a_workflow_parsed_for_a_caller_is_taken_once_by_its_own_lint_if_unchanged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wf = dir.path().join(".github/workflows");
        std::fs::create_dir_all(&wf).expect("mkdir");
        let (a, b) = (wf.join("a.yml"), wf.join("b.yml"));
        let text = "on: workflow_call\njobs: {}\n";
        std::fs::write(&a, text).expect("write");
        std::fs::write(&b, text).expect("write");
        let p = Project::new(dir.path());
        assert!(p.workflow("./.github/workflows/a.yml").found().is_some());
        assert!(p.workflow("./.github/workflows/b.yml").found().is_some());
        let doc = p.take_parsed(&a, text).expect("kept for the lint of a.yml");
        assert!(doc.root.is_some_and(|r| r.get("jobs").is_some()));
        assert!(p.take_parsed(&a, text).is_none(), "taken once");
        // The text the lint read differs from what the caller parsed: parsed again.
        assert!(p.take_parsed(&b, "on: push\n").is_none());
        assert!(p.take_parsed(&b, text).is_none(), "dropped, not kept");
        // A caller parsing a file whose lint has begun (and parsed it) does not keep it.
        let c = wf.join("c.yml");
        std::fs::write(&c, text).expect("write");
        assert!(p.take_parsed(&c, text).is_none());
        assert!(p.workflow("./.github/workflows/c.yml").found().is_some());
        assert!(
            p.take_parsed(&c, text).is_none(),
            "not kept after its lint asked"
        );
    }

    #[test]
    fn one_project_per_root() {
        let set = Projects::new();
        let a = set.get(Path::new("/x/a"));
        assert!(Arc::ptr_eq(&a, &set.get(Path::new("/x/a"))));
        assert!(!Arc::ptr_eq(&a, &set.get(Path::new("/x/b"))));
        assert_eq!(set.get(Path::new("/x/b")).root(), Path::new("/x/b"));
    }

    #[test]
    fn a_files_project_is_found_as_discover_finds_it_and_shared_by_its_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = dir.path();
        std::fs::create_dir_all(base.join("repo/.git")).expect("mkdir");
        std::fs::create_dir_all(base.join("repo/sub/deeper")).expect("mkdir");
        std::fs::create_dir_all(base.join("loose")).expect("mkdir");
        let fallback = base.join("cwd-repo");
        let set = Projects::new();
        let files = [
            base.join("repo/.github/workflows/ci.yml"),
            base.join("repo/sub/deeper/action.yml"),
            base.join("repo/sub/deeper/other.yml"),
            base.join("repo/action.yml"),
            base.join("loose/starter.yml"),
            base.join("loose/starter-2.yml"),
        ];
        for f in &files {
            let p = set.of_file(f, &fallback);
            assert_eq!(p.root(), discover::project_root_of(f, &fallback), "{f:?}");
            assert!(Arc::ptr_eq(&p, &set.get(p.root())), "one project per root");
        }
        assert_eq!(set.of_file(&files[4], &fallback).root(), fallback);
        // The folder's answer is kept: a `.git` made since does not move its files.
        std::fs::create_dir_all(base.join("loose/.git")).expect("mkdir");
        assert_eq!(set.of_file(&files[5], &fallback).root(), fallback);
    }
}
