//! The context digest without an archive: what BuildKit builds need before the build request
//! (the digest goes into the image's labels, which the request carries). The walk lists every
//! entry; regular files are then hashed on all cores; the records are folded in walk order, so
//! the result equals the digest [`super::archive::pack`] computes while it writes a tar.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest, Sha256};

use super::archive::{self, DIGEST_DOMAIN};
use super::statcache::{Stamp, StatCache};
use super::walk::{self, Kind};
use super::{ContextError, PackStats};
use crate::dockerignore::PatternMatcher;

/// Read buffer per hashing thread.
const READ_BUFFER: usize = 256 * 1024;

/// A file's index in the listing and its content hash.
type Hashed = (usize, [u8; 32]);

/// One listed entry, enough to fold it into the digests.
struct Listed {
    kind: Kind,
    mode: u32,
    path: Vec<u8>,
    abs: PathBuf,
    size: u64,
    target: Vec<u8>,
    stamp: Option<Stamp>,
    /// The content hash when the stat cache knows it.
    known: Option<[u8; 32]>,
}

/// Lists the context like [`walk::walk`] and computes [`PackStats`] (`archive_bytes` 0) with
/// up to `threads` threads reading the files the stat cache in `cache_dir` does not know.
pub(super) fn digest(
    root: &Path,
    matcher: &PatternMatcher,
    ignore_file: &Path,
    threads: usize,
    cache_dir: Option<&Path>,
) -> Result<PackStats, ContextError> {
    let cache = StatCache::load(cache_dir, root);
    let mut listed = Vec::new();
    let mut skipped_special = 0;
    walk::walk(root, matcher, ignore_file, |entry| {
        let unreadable = |source| ContextError::Unreadable {
            path: entry.abs.to_path_buf(),
            source,
        };
        if entry.kind == Kind::Special {
            skipped_special += 1;
            return Ok(());
        }
        let meta = fs::symlink_metadata(entry.abs).map_err(unreadable)?;
        let target = match entry.kind {
            Kind::Symlink => fs::read_link(entry.abs)
                .map_err(unreadable)?
                .into_os_string()
                .into_encoded_bytes(),
            _ => Vec::new(),
        };
        let path = entry.rel_os.as_os_str().as_encoded_bytes().to_vec();
        let stamp = (entry.kind == Kind::File).then(|| Stamp::of(&meta));
        let known = stamp.as_ref().and_then(|s| cache.get(&path, s));
        listed.push(Listed {
            kind: entry.kind,
            mode: archive::mode(&meta),
            path,
            abs: entry.abs.to_path_buf(),
            size: if entry.kind == Kind::File {
                meta.len()
            } else {
                0
            },
            target,
            stamp,
            known,
        });
        Ok(())
    })?;
    let hashes = hash_files(&listed, threads.max(1))?;
    cache.save(
        listed
            .iter()
            .zip(&hashes)
            .filter_map(|(l, h)| Some((l.path.clone(), l.stamp?, *h)))
            .collect(),
    );

    let mut digest = Sha256::new();
    digest.update(DIGEST_DOMAIN);
    let mut shape = archive::shape_hasher();
    let mut stats = PackStats {
        files: 0,
        dirs: 0,
        symlinks: 0,
        skipped_special,
        content_bytes: 0,
        archive_bytes: 0,
        context_digest: String::new(),
        shape_digest: String::new(),
    };
    for (entry, hash) in listed.iter().zip(&hashes) {
        match entry.kind {
            Kind::Dir => {
                archive::record(&mut digest, b'd', entry.mode, &entry.path);
                archive::shape_record(&mut shape, b'd', entry.mode, &entry.path, 0, b"");
                stats.dirs += 1;
            }
            Kind::Symlink => {
                archive::record(&mut digest, b'l', entry.mode, &entry.path);
                archive::shape_record(&mut shape, b'l', entry.mode, &entry.path, 0, &entry.target);
                digest.update((entry.target.len() as u64).to_be_bytes());
                digest.update(&entry.target);
                stats.symlinks += 1;
            }
            Kind::File => {
                archive::record(&mut digest, b'f', entry.mode, &entry.path);
                archive::shape_record(&mut shape, b'f', entry.mode, &entry.path, entry.size, b"");
                digest.update(entry.size.to_be_bytes());
                digest.update(hash);
                stats.files += 1;
                stats.content_bytes += entry.size;
            }
            Kind::Special => {}
        }
    }
    stats.context_digest = format!("sha256:{}", archive::hex(&digest.finalize()));
    stats.shape_digest = format!("sha256:{}", archive::hex(&shape.finalize()));
    Ok(stats)
}

/// The SHA-256 of every regular file's content (zeroes for other entries), read by `threads`
/// threads taking files in turn.
fn hash_files(listed: &[Listed], threads: usize) -> Result<Vec<[u8; 32]>, ContextError> {
    let next = AtomicUsize::new(0);
    let work = || -> Result<Vec<Hashed>, ContextError> {
        let mut buf = vec![0u8; READ_BUFFER];
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(entry) = listed.get(i) else {
                return Ok(done);
            };
            if let Some(known) = entry.known {
                done.push((i, known));
            } else if entry.kind == Kind::File {
                match hash_file(entry, &mut buf) {
                    Ok(hash) => done.push((i, hash)),
                    Err(err) => {
                        // Stop the other threads early.
                        next.store(listed.len(), Ordering::Relaxed);
                        return Err(err);
                    }
                }
            }
        }
    };
    let parts: Vec<Result<Vec<Hashed>, ContextError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut parts = vec![work()];
        for handle in handles {
            parts.push(handle.join().unwrap_or_else(|_| {
                Err(ContextError::Write {
                    source: io::Error::other("a hashing thread panicked"),
                })
            }));
        }
        parts
    });
    let mut hashes = vec![[0u8; 32]; listed.len()];
    for part in parts {
        for (i, hash) in part? {
            hashes[i] = hash;
        }
    }
    Ok(hashes)
}

fn hash_file(entry: &Listed, buf: &mut [u8]) -> Result<[u8; 32], ContextError> {
    let unreadable = |source| ContextError::Unreadable {
        path: entry.abs.clone(),
        source,
    };
    let mut file = File::open(&entry.abs).map_err(unreadable)?;
    let mut hasher = Sha256::new();
    let mut read = 0u64;
    loop {
        match file.read(buf) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buf[..n]);
                read += n as u64;
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(unreadable(err)),
        }
    }
    if read != entry.size {
        return Err(ContextError::FileChanged {
            path: entry.abs.clone(),
            expected: entry.size,
            actual: read,
        });
    }
    Ok(hasher.finalize().into())
}
