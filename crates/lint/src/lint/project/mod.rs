//! The repository a linted file belongs to, for the checks that read other files of it: local
//! actions (`uses: ./path/to/action`) and local reusable workflows
//! (`uses: ./.github/workflows/build.yml`), both resolved against the repository root.
//!
//! One [`Project`] is shared by every file of a run (and by the worker threads that lint them),
//! so each local action or workflow is read and summarised once.

pub mod action_checks;
pub mod callee;
pub mod local_action;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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
}

impl Project {
    /// A project rooted at `root` (the directory holding `.github/`).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Project {
            root: root.into(),
            actions: Mutex::new(HashMap::new()),
            workflows: Mutex::new(HashMap::new()),
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
            Ok(text) => match Callee::parse(&text) {
                Ok(c) => Loaded::Found(c),
                Err(why) => Loaded::Invalid(format!(
                    "error while parsing reusable workflow {spec:?}: {why}"
                )),
            },
        });
        if let Ok(mut m) = self.workflows.lock() {
            m.insert(spec.to_string(), Arc::clone(&loaded));
        }
        loaded
    }
}

/// The projects of one run, one per repository root, created as files of each are linted: a run
/// over several repositories (a monorepo tool, an editor, a corpus) resolves each file's local
/// `uses:` in its own repository.
#[derive(Debug, Default)]
pub struct Projects {
    by_root: Mutex<HashMap<PathBuf, Arc<Project>>>,
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
    fn one_project_per_root() {
        let set = Projects::new();
        let a = set.get(Path::new("/x/a"));
        assert!(Arc::ptr_eq(&a, &set.get(Path::new("/x/a"))));
        assert!(!Arc::ptr_eq(&a, &set.get(Path::new("/x/b"))));
        assert_eq!(set.get(Path::new("/x/b")).root(), Path::new("/x/b"));
    }
}
