//! shellcheck for the language server, off the main thread: the worker takes the newest
//! request of each document (older ones are dropped unchecked, so typing never queues up
//! processes) and answers with the findings for that version.

use std::collections::HashMap;
use std::path::PathBuf;

use crossbeam_channel::{Receiver, Sender, unbounded};
use lsp_types::Uri;

use super::analysis::{ScriptJob, shift};
use deploy_action_lint::lint::Finding;
use deploy_action_lint::lint::shellcheck::{Script, Shellcheck, ShellcheckError};

/// shellcheck's findings for a set of scripts.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    scripts: Vec<Script>,
    findings: Vec<Finding>,
}

impl Checked {
    /// Whether these findings are for exactly `scripts` (same text, same place).
    pub fn is_for(&self, scripts: &[Script]) -> bool {
        !self.scripts.is_empty() && self.scripts == scripts
    }

    /// The findings.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter()
    }
}

/// What the worker answers for one version of a document.
#[derive(Debug)]
pub struct Done {
    /// The document.
    pub uri: Uri,
    /// The version checked.
    pub version: i32,
    /// The findings, with the scripts they are for.
    pub checked: Checked,
    /// Something to tell the user (shellcheck failed on a script, or is missing).
    pub note: Option<String>,
    /// shellcheck cannot be run at all.
    pub unavailable: bool,
}

/// One document's scripts to check, at one version of the document.
struct ScriptCheck {
    uri: Uri,
    version: i32,
    job: ScriptJob,
}

/// The worker thread and its two channels.
pub struct Worker {
    jobs: Sender<ScriptCheck>,
    /// Where its answers arrive.
    pub results: Receiver<Done>,
}

impl Worker {
    /// Starts a worker running `program`.
    pub fn start(program: PathBuf) -> Worker {
        let (jobs, inbox) = unbounded::<ScriptCheck>();
        let (outbox, results) = unbounded::<Done>();
        let spawned = std::thread::Builder::new()
            .name("shellcheck".into())
            .spawn(move || work(&Shellcheck::new(program, 1), &inbox, &outbox));
        if spawned.is_err() {
            // No thread: the results channel closes and the server goes on without shellcheck.
            let (_, closed) = unbounded();
            return Worker {
                jobs,
                results: closed,
            };
        }
        Worker { jobs, results }
    }

    /// Asks for the scripts of `version` of `uri` to be checked.
    pub fn ask(&self, uri: Uri, version: i32, job: ScriptJob) {
        let _ = self.jobs.send(ScriptCheck { uri, version, job });
    }
}

fn work(sc: &Shellcheck, inbox: &Receiver<ScriptCheck>, outbox: &Sender<Done>) {
    while let Ok(first) = inbox.recv() {
        // Only the newest request of each document is worth a process.
        let mut newest: HashMap<String, ScriptCheck> = HashMap::new();
        newest.insert(first.uri.as_str().to_string(), first);
        while let Ok(more) = inbox.try_recv() {
            newest.insert(more.uri.as_str().to_string(), more);
        }
        for (_, job) in newest {
            let done = check(sc, job);
            let stop = done.unavailable;
            if outbox.send(done).is_err() || stop {
                return;
            }
        }
    }
}

fn check(sc: &Shellcheck, job: ScriptCheck) -> Done {
    let ScriptCheck { uri, version, job } = job;
    let scripts = job.scripts().to_vec();
    let mut done = Done {
        uri,
        version,
        checked: Checked::default(),
        note: None,
        unavailable: false,
    };
    let Some(result) = job.result else {
        return done;
    };
    let mut results = [result];
    match sc.check(&mut results, &job.config) {
        Ok(c) => {
            done.note = c
                .failures
                .first()
                .map(|f| format!("shellcheck could not check the script at {f}"));
            let [result] = results;
            let mut findings = result.findings;
            findings.iter_mut().for_each(|f| shift(f, job.shift));
            done.checked = Checked { scripts, findings };
        }
        Err(e @ ShellcheckError::NotFound(_)) => {
            done.note = Some(format!("{e}; run: scripts are not checked"));
            done.unavailable = true;
        }
        Err(e) => done.note = Some(e.to_string()),
    }
    done
}
