//! [`DeploymentStore`] in a local JSON file, for runs that cannot or should not write to GitHub
//! (local promotion drills, air-gapped runners, tests of the gate).
//!
//! The file is `{"version":1,"next_id":N,"deployments":[...]}`. Writers take an exclusive lock on
//! `<ledger>.lock`, so several processes can append at once; each change is written to a
//! temporary file in the same directory, synced and renamed over the ledger, so a crash leaves
//! either the old file or the new one, never a torn one. Readers need no lock for the same
//! reason.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::error::GithubError;
use super::store::DeploymentStore;
use super::types::{
    Deployment, DeploymentRequest, DeploymentStatus, HistoryEntry, PostedStatus, StatusRequest,
    StatusState, truncate_description,
};

/// Where the ledger lives unless the caller says otherwise, relative to the workspace.
pub const DEFAULT_LEDGER_PATH: &str = ".deploy-action/ledger.json";

/// The schema version this build reads and writes.
const VERSION: u64 = 1;

/// Makes temporary file names unique within a process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

#[derive(Debug, Serialize, Deserialize)]
struct LedgerFile {
    version: u64,
    /// Next id to hand out; ids of deployments and statuses come from the same counter.
    next_id: u64,
    deployments: Vec<Record>,
}

impl Default for LedgerFile {
    fn default() -> Self {
        Self {
            version: VERSION,
            next_id: 1,
            deployments: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    deployment: Deployment,
    /// Oldest first, as posted.
    statuses: Vec<DeploymentStatus>,
}

impl Record {
    fn entry(&self) -> HistoryEntry {
        HistoryEntry {
            deployment: self.deployment.clone(),
            latest_status: self.statuses.last().cloned(),
        }
    }

    fn is_live(&self) -> bool {
        self.statuses
            .last()
            .is_some_and(|s| s.state == StatusState::Success)
    }
}

impl LedgerFile {
    fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Records of `environment`, newest first.
    fn of_environment<'a>(&'a self, environment: &'a str) -> impl Iterator<Item = &'a Record> {
        self.deployments
            .iter()
            .rev()
            .filter(move |r| r.deployment.environment == environment)
    }
}

/// Deployments recorded in a local JSON ledger file.
#[derive(Debug, Clone)]
pub struct LedgerStore {
    path: PathBuf,
}

impl LedgerStore {
    /// A store on the ledger at `path` (see [`DEFAULT_LEDGER_PATH`]). Nothing is touched until
    /// the first operation; a missing file is an empty ledger.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The ledger file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn blocking<R, F>(&self, f: F) -> Result<R, GithubError>
    where
        R: Send + 'static,
        F: FnOnce(&Path) -> Result<R, GithubError> + Send + 'static,
    {
        let path = self.path.clone();
        let task_path = path.clone();
        tokio::task::spawn_blocking(move || f(&task_path))
            .await
            .map_err(|e| GithubError::LedgerIo {
                action: "update",
                path,
                error: std::io::Error::other(e.to_string()),
            })?
    }
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> GithubError {
    let path = path.to_path_buf();
    move |error| GithubError::LedgerIo {
        action,
        path,
        error,
    }
}

/// Just the version of a ledger file.
#[derive(Deserialize)]
struct VersionProbe {
    version: u64,
}

fn version_error(path: &Path, found: u64) -> GithubError {
    GithubError::LedgerVersion {
        path: path.to_path_buf(),
        found,
        supported: VERSION,
    }
}

/// Reads the ledger; a missing file is an empty ledger.
fn load(path: &Path) -> Result<LedgerFile, GithubError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(LedgerFile::default()),
        Err(e) => return Err(io_error("read", path)(e)),
    };
    parse(path, &text)
}

/// Checks and reads a ledger's text; `path` only names the file in errors.
fn parse(path: &Path, text: &str) -> Result<LedgerFile, GithubError> {
    let corrupt = |reason: String| GithubError::LedgerCorrupt {
        path: path.to_path_buf(),
        reason,
    };
    // One parse in the usual case; the version is probed separately only when that fails, so
    // that a newer schema is reported as such rather than as damage.
    let file: LedgerFile = match serde_json::from_str(text) {
        Ok(file) => file,
        Err(e) => {
            if let Ok(probe) = serde_json::from_str::<VersionProbe>(text)
                && probe.version != VERSION
            {
                return Err(version_error(path, probe.version));
            }
            return Err(corrupt(e.to_string()));
        }
    };
    if file.version != VERSION {
        return Err(version_error(path, file.version));
    }
    let max_id = file
        .deployments
        .iter()
        .flat_map(|r| std::iter::once(r.deployment.id).chain(r.statuses.iter().map(|s| s.id)))
        .max()
        .unwrap_or(0);
    if file.next_id <= max_id {
        return Err(corrupt(format!(
            "`next_id` {} is not above the largest id {max_id}",
            file.next_id
        )));
    }
    Ok(file)
}

/// Every environment's history in a ledger's text, newest first, and the text the ledger would
/// be saved as; what [`super::decode::ledger`] exposes to fuzz targets.
pub(crate) fn decode(text: &str) -> Result<(Vec<HistoryEntry>, String), GithubError> {
    let path = Path::new("<ledger>");
    let file = parse(path, text)?;
    let mut environments: Vec<&str> = file
        .deployments
        .iter()
        .map(|r| r.deployment.environment.as_str())
        .collect();
    environments.sort_unstable();
    environments.dedup();
    let entries = environments
        .iter()
        .flat_map(|env| file.of_environment(env).map(Record::entry))
        .collect();
    let saved = serde_json::to_string(&file).map_err(|e| GithubError::LedgerCorrupt {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    Ok((entries, saved))
}

/// Runs `change` on the ledger under the writers' lock and saves the result atomically.
fn update<R>(
    path: &Path,
    change: impl FnOnce(&mut LedgerFile) -> Result<R, GithubError>,
) -> Result<R, GithubError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(io_error("create the directory of", path))?;
    let lock_path = with_suffix(path, ".lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io_error("open the lock file of", path))?;
    lock.lock().map_err(io_error("lock", path))?;
    // Only lock holders write temporary files, so any left now are from a crashed writer.
    remove_stray_temps(&dir, path);
    let mut ledger = load(path)?;
    let result = change(&mut ledger)?;
    save(path, &dir, &ledger)?;
    // The lock is released when `lock` is closed.
    drop(lock);
    Ok(result)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

fn temp_prefix(path: &Path) -> String {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    format!("{name}.tmp-")
}

fn remove_stray_temps(dir: &Path, path: &Path) {
    let prefix = temp_prefix(path);
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            // Best effort: a leftover file is harmless, it is only clutter.
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Writes a temporary file beside the ledger, syncs it, renames it over the ledger and syncs
/// the directory so the rename itself survives a crash.
fn save(path: &Path, dir: &Path, ledger: &LedgerFile) -> Result<(), GithubError> {
    let mut text = serde_json::to_vec(ledger).map_err(|e| GithubError::LedgerIo {
        action: "serialise",
        path: path.to_path_buf(),
        error: std::io::Error::other(e),
    })?;
    text.push(b'\n');
    let temp = dir.join(format!(
        "{}{}-{}",
        temp_prefix(path),
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let write = || -> std::io::Result<()> {
        let mut file = File::create(&temp)?;
        file.write_all(&text)?;
        file.sync_all()?;
        fs::rename(&temp, path)?;
        // Not every platform can open a directory; the rename is done either way.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    };
    let result = match write() {
        // A full disk: give up the spare room kept for this moment and try once more, so that
        // the final status of a deployment is still recorded (never left `in_progress`).
        Err(e) if is_disk_full(&e) && release_reserve(path) => write(),
        other => other,
    };
    match result {
        Ok(()) => {
            keep_reserve(path, text.len());
            Ok(())
        }
        Err(e) => {
            let _ = fs::remove_file(&temp);
            Err(io_error("write", path)(e))
        }
    }
}

/// Spare room kept beside the ledger (`<ledger>.reserve`): twice the ledger's size, at least
/// 16 KiB. When the disk fills up during a deploy, it is deleted to make room for the ledger's
/// next (final) write.
fn reserve_path(path: &Path) -> PathBuf {
    with_suffix(path, ".reserve")
}

fn is_disk_full(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::StorageFull | ErrorKind::QuotaExceeded)
}

/// Deletes the reserve; true when there was one.
fn release_reserve(path: &Path) -> bool {
    fs::remove_file(reserve_path(path)).is_ok()
}

/// Grows the reserve to its size for a ledger of `ledger_len` bytes. Best effort: without room
/// for it the ledger still works, it only loses this protection. Written with real bytes, since
/// a sparse file would reserve nothing.
fn keep_reserve(path: &Path, ledger_len: usize) {
    let wanted = (2 * ledger_len).max(16 * 1024);
    let reserve = reserve_path(path);
    if fs::metadata(&reserve).is_ok_and(|m| m.len() >= wanted as u64) {
        return;
    }
    let filled = File::create(&reserve).and_then(|mut f| {
        f.write_all(&vec![0u8; wanted])?;
        f.sync_all()
    });
    if filled.is_err() {
        let _ = fs::remove_file(&reserve);
    }
}

impl DeploymentStore for LedgerStore {
    async fn create_deployment(
        &self,
        request: &DeploymentRequest,
    ) -> Result<Deployment, GithubError> {
        let request = request.clone();
        self.blocking(move |path| {
            update(path, |ledger| {
                let deployment = Deployment {
                    id: ledger.take_id(),
                    sha: request.git_ref.clone(),
                    git_ref: request.git_ref,
                    environment: request.environment,
                    description: Some(request.description),
                    payload: Some(request.payload),
                    transient_environment: request.transient_environment,
                    production_environment: request.production_environment,
                    created_at: Utc::now(),
                };
                ledger.deployments.push(Record {
                    deployment: deployment.clone(),
                    statuses: Vec::new(),
                });
                Ok(deployment)
            })
        })
        .await
    }

    async fn post_status(
        &self,
        deployment_id: u64,
        status: &StatusRequest,
    ) -> Result<PostedStatus, GithubError> {
        let status = status.clone();
        self.blocking(move |path| {
            update(path, |ledger| {
                let index = ledger
                    .deployments
                    .iter()
                    .position(|r| r.deployment.id == deployment_id)
                    .ok_or_else(|| GithubError::UnknownDeployment {
                        id: deployment_id,
                        store: format!("ledger {}", path.display()),
                    })?;
                let posted = DeploymentStatus {
                    id: ledger.take_id(),
                    state: status.state,
                    description: Some(truncate_description(&status.description)),
                    environment_url: status.environment_url,
                    log_url: status.log_url,
                    created_at: Utc::now(),
                };
                ledger.deployments[index].statuses.push(posted.clone());
                let mut deactivated = Vec::new();
                if status.state == StatusState::Success {
                    let environment = ledger.deployments[index].deployment.environment.clone();
                    let note = format!("Superseded by deployment {deployment_id}");
                    let earlier: Vec<usize> = (0..ledger.deployments.len())
                        .filter(|&i| {
                            let r = &ledger.deployments[i];
                            r.deployment.environment == environment
                                && r.deployment.id < deployment_id
                                && r.is_live()
                        })
                        .collect();
                    for i in earlier {
                        let inactive = DeploymentStatus {
                            id: ledger.take_id(),
                            state: StatusState::Inactive,
                            description: Some(note.clone()),
                            environment_url: None,
                            log_url: None,
                            created_at: Utc::now(),
                        };
                        ledger.deployments[i].statuses.push(inactive);
                        deactivated.push(ledger.deployments[i].deployment.id);
                    }
                }
                deactivated.sort_unstable_by(|a, b| b.cmp(a));
                Ok(PostedStatus {
                    status: posted,
                    deactivated,
                })
            })
        })
        .await
    }

    async fn latest_successful(
        &self,
        environment: &str,
    ) -> Result<Option<Deployment>, GithubError> {
        let environment = environment.to_owned();
        self.blocking(move |path| {
            let ledger = load(path)?;
            Ok(ledger
                .of_environment(&environment)
                .find(|r| r.is_live())
                .map(|r| r.deployment.clone()))
        })
        .await
    }

    async fn history(
        &self,
        environment: &str,
        limit: Option<usize>,
    ) -> Result<Vec<HistoryEntry>, GithubError> {
        let environment = environment.to_owned();
        self.blocking(move |path| {
            let ledger = load(path)?;
            Ok(ledger
                .of_environment(&environment)
                .take(limit.unwrap_or(usize::MAX))
                .map(Record::entry)
                .collect())
        })
        .await
    }

    async fn deployment_for_sha(
        &self,
        environment: &str,
        sha: &str,
    ) -> Result<Option<HistoryEntry>, GithubError> {
        let environment = environment.to_owned();
        let sha = sha.to_owned();
        self.blocking(move |path| {
            let ledger = load(path)?;
            Ok(ledger
                .of_environment(&environment)
                .find(|r| r.deployment.sha == sha)
                .map(Record::entry))
        })
        .await
    }
}
