//! Remembered file hashes, as git's index remembers them: a file whose size, modification and
//! change times (nanoseconds), inode, device and mode are what they were when it was hashed has
//! the same content, so a rebuild reads only what changed. `ctime` cannot be set by ordinary
//! tools, so an edit that restores the modification time is still noticed. Files modified within
//! [`RACY_SECONDS`] of the save are not remembered (a write in the same clock tick could keep
//! every field). A cache that cannot be read is ignored; one that cannot be written is skipped.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The file format's first line; bump it when the layout changes.
const MAGIC: &[u8] = b"deploy-action stat cache v1\n";

/// Files modified this recently before a save are left out of it.
const RACY_SECONDS: i64 = 2;

/// What identifies a file's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stamp {
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    ino: u64,
    dev: u64,
    mode: u32,
}

impl Stamp {
    /// The stamp of `meta` (from `lstat`).
    pub(super) fn of(meta: &fs::Metadata) -> Self {
        Self {
            size: meta.len(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
            ino: meta.ino(),
            dev: meta.dev(),
            mode: meta.mode(),
        }
    }
}

/// Remembered entries by relative path.
type Entries = HashMap<Vec<u8>, (Stamp, [u8; 32])>;

/// The hashes of one context directory.
#[derive(Debug, Default)]
pub(super) struct StatCache {
    path: Option<PathBuf>,
    entries: Entries,
    changed: bool,
}

impl StatCache {
    /// Loads the cache of context `root` from folder `dir` (`None`: no caching).
    pub(super) fn load(dir: Option<&Path>, root: &Path) -> Self {
        let Some(dir) = dir else {
            return Self::default();
        };
        use sha2::Digest;
        let root = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let name = sha2::Sha256::digest(root.as_os_str().as_encoded_bytes());
        let path = dir.join(format!("{}.stat", super::archive::hex(&name)));
        let entries = fs::read(&path)
            .ok()
            .and_then(|bytes| parse(&bytes))
            .unwrap_or_default();
        Self {
            path: Some(path),
            entries,
            changed: false,
        }
    }

    /// The remembered hash of `rel` if its stamp is unchanged.
    pub(super) fn get(&self, rel: &[u8], stamp: &Stamp) -> Option<[u8; 32]> {
        match self.entries.get(rel) {
            Some((known, hash)) if known == stamp => Some(*hash),
            _ => None,
        }
    }

    /// Remembers the files of this digest pass (and only them) and saves when anything changed.
    pub(super) fn save(mut self, seen: Vec<(Vec<u8>, Stamp, [u8; 32])>) {
        let Some(path) = self.path.take() else { return };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let fresh: Entries = seen
            .into_iter()
            .filter(|(_, stamp, _)| stamp.mtime.0 < now - RACY_SECONDS)
            .map(|(rel, stamp, hash)| (rel, (stamp, hash)))
            .collect();
        self.changed |= fresh.len() != self.entries.len()
            || fresh
                .iter()
                .any(|(k, v)| self.entries.get(k).is_none_or(|old| old != v));
        if !self.changed {
            return;
        }
        let mut out = Vec::with_capacity(MAGIC.len() + fresh.len() * 120);
        out.extend_from_slice(MAGIC);
        for (rel, (s, hash)) in &fresh {
            out.extend_from_slice(&(rel.len() as u32).to_le_bytes());
            out.extend_from_slice(rel);
            for n in [s.size, s.ino, s.dev] {
                out.extend_from_slice(&n.to_le_bytes());
            }
            for n in [s.mtime.0, s.mtime.1, s.ctime.0, s.ctime.1] {
                out.extend_from_slice(&n.to_le_bytes());
            }
            out.extend_from_slice(&s.mode.to_le_bytes());
            out.extend_from_slice(hash);
        }
        // Best effort: a cache that cannot be written only costs the next build a full read.
        let Some(dir) = path.parent() else { return };
        if fs::create_dir_all(dir).is_err() {
            return;
        }
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let written = fs::File::create(&tmp).and_then(|mut f| f.write_all(&out));
        if written.is_err() || fs::rename(&tmp, &path).is_err() {
            let _ = fs::remove_file(&tmp);
        }
    }
}

/// Reads the records; `None` for a file of another format or a truncated one.
fn parse(bytes: &[u8]) -> Option<Entries> {
    let mut rest = bytes.strip_prefix(MAGIC)?;
    let mut take = |n: usize| -> Option<&[u8]> {
        let (head, tail) = rest.split_at_checked(n)?;
        rest = tail;
        Some(head)
    };
    let mut entries = HashMap::new();
    while let Some(len) = take(4) {
        let len = u32::from_le_bytes(len.try_into().ok()?) as usize;
        let rel = take(len)?.to_vec();
        let mut u = [0u64; 3];
        for slot in &mut u {
            *slot = u64::from_le_bytes(take(8)?.try_into().ok()?);
        }
        let mut i = [0i64; 4];
        for slot in &mut i {
            *slot = i64::from_le_bytes(take(8)?.try_into().ok()?);
        }
        let mode = u32::from_le_bytes(take(4)?.try_into().ok()?);
        let hash: [u8; 32] = take(32)?.try_into().ok()?;
        let stamp = Stamp {
            size: u[0],
            ino: u[1],
            dev: u[2],
            mtime: (i[0], i[1]),
            ctime: (i[2], i[3]),
            mode,
        };
        entries.insert(rel, (stamp, hash));
    }
    Some(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_hashes_survive_a_save_and_go_stale_on_change() {
        let cache_dir = tempfile::tempdir().expect("tempdir");
        let ctx = tempfile::tempdir().expect("tempdir");
        let file = ctx.path().join("a");
        fs::write(&file, b"one").expect("write");
        // Old enough not to be racy.
        let old = SystemTime::now() - std::time::Duration::from_secs(60);
        fs::File::options()
            .write(true)
            .open(&file)
            .and_then(|f| f.set_modified(old))
            .expect("set mtime");
        let stamp = Stamp::of(&fs::symlink_metadata(&file).expect("stat"));
        let cache = StatCache::load(Some(cache_dir.path()), ctx.path());
        assert_eq!(cache.get(b"a", &stamp), None);
        cache.save(vec![(b"a".to_vec(), stamp, [7; 32])]);

        let cache = StatCache::load(Some(cache_dir.path()), ctx.path());
        assert_eq!(cache.get(b"a", &stamp), Some([7; 32]));
        fs::write(&file, b"two").expect("rewrite");
        let changed = Stamp::of(&fs::symlink_metadata(&file).expect("stat"));
        assert_ne!(changed, stamp);
        assert_eq!(
            cache.get(b"a", &changed),
            None,
            "a rewritten file is hashed again"
        );
        // A freshly modified file is not remembered.
        cache.save(vec![(b"a".to_vec(), changed, [8; 32])]);
        let cache = StatCache::load(Some(cache_dir.path()), ctx.path());
        assert_eq!(cache.get(b"a", &changed), None);
    }

    #[test]
    fn garbage_is_an_empty_cache() {
        assert!(parse(b"nonsense").is_none());
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&[9, 0, 0, 0, b'x']);
        assert!(parse(&bytes).is_none(), "truncated");
        assert_eq!(parse(MAGIC).map(|m| m.len()), Some(0));
    }
}
