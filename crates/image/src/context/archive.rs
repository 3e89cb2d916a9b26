//! Streams the walked entries into a tar archive and hashes them for the context digest.

use std::cell::Cell;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;
use std::rc::Rc;
use std::time::UNIX_EPOCH;

use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use tar::{EntryType, Header};

use super::walk::{self, Entry, Kind};
use super::{ContextError, PackOptions, PackStats};
use crate::dockerignore::PatternMatcher;

/// Names the digest format; bump it if the hashed fields ever change.
pub(super) const DIGEST_DOMAIN: &[u8] = b"deploy-action context digest v1\n";

/// Large enough that tar headers and small files go out in few writes.
const WRITE_BUFFER: usize = 256 * 1024;

/// Packs every entry, then asks `finish` (with the digest known, everything but the tar's
/// end-of-archive blocks written and flushed) whether to complete the archive: `false` leaves
/// it unterminated and returns [`ContextError::Withdrawn`], so a receiver that waits for the end
/// of the archive (the daemon does, before it runs any step) never starts on it.
pub(super) fn pack<W: Write>(
    root: &Path,
    matcher: &PatternMatcher,
    ignore_file: &Path,
    out: W,
    options: &PackOptions,
    finish: impl FnOnce(&PackStats) -> bool,
) -> Result<PackStats, ContextError> {
    let withdrawn = Rc::new(Cell::new(false));
    let counting = Counting {
        inner: out,
        count: 0,
        discard: Rc::clone(&withdrawn),
    };
    let sink = match options.gzip {
        Some(level) => Sink::Gzip(GzEncoder::new(counting, Compression::new(level.min(9)))),
        None => Sink::Plain(counting),
    };
    let mut builder = tar::Builder::new(BufWriter::with_capacity(WRITE_BUFFER, sink));
    let mut digest = Sha256::new();
    digest.update(DIGEST_DOMAIN);
    let mut stats = PackStats {
        files: 0,
        dirs: 0,
        symlinks: 0,
        skipped_special: 0,
        content_bytes: 0,
        archive_bytes: 0,
        context_digest: String::new(),
        shape_digest: String::new(),
    };
    let mut shape = shape_hasher();

    walk::walk(root, matcher, ignore_file, |entry| {
        append(&mut builder, &mut digest, &mut shape, &mut stats, &entry)
    })?;

    let write_err = |source| ContextError::Write { source };
    stats.context_digest = format!("sha256:{}", hex(&digest.finalize()));
    stats.shape_digest = format!("sha256:{}", hex(&shape.finalize()));
    builder.get_mut().flush().map_err(write_err)?;
    if !finish(&stats) {
        // Dropping the builder would still write the end-of-archive blocks: swallow them.
        withdrawn.set(true);
        return Err(ContextError::Withdrawn);
    }
    let buffered = builder.into_inner().map_err(write_err)?;
    let sink = buffered
        .into_inner()
        .map_err(|err| write_err(err.into_error()))?;
    let mut counting = match sink {
        Sink::Plain(counting) => counting,
        Sink::Gzip(encoder) => encoder.finish().map_err(write_err)?,
    };
    counting.flush().map_err(write_err)?;
    stats.archive_bytes = counting.count;
    Ok(stats)
}

/// Writes one entry to the archive and the digest.
fn append<W: Write>(
    builder: &mut tar::Builder<W>,
    digest: &mut Sha256,
    shape: &mut Sha256,
    stats: &mut PackStats,
    entry: &Entry<'_>,
) -> Result<(), ContextError> {
    let unreadable = |source| ContextError::Unreadable {
        path: entry.abs.to_path_buf(),
        source,
    };
    let write_err = |source| ContextError::Write { source };
    let path_bytes = entry.rel_os.as_os_str().as_encoded_bytes();
    match entry.kind {
        Kind::Special => {
            stats.skipped_special += 1;
            Ok(())
        }
        Kind::Dir => {
            let meta = fs::symlink_metadata(entry.abs).map_err(unreadable)?;
            let mut header = header(&meta, EntryType::Directory, 0);
            // A trailing slash, as Docker writes directory names.
            let mut name = entry.rel_os.as_os_str().to_owned();
            name.push("/");
            builder
                .append_data(&mut header, Path::new(&name), io::empty())
                .map_err(write_err)?;
            record(digest, b'd', mode(&meta), path_bytes);
            shape_record(shape, b'd', mode(&meta), path_bytes, 0, b"");
            stats.dirs += 1;
            Ok(())
        }
        Kind::Symlink => {
            let meta = fs::symlink_metadata(entry.abs).map_err(unreadable)?;
            let target = fs::read_link(entry.abs).map_err(unreadable)?;
            let mut header = header(&meta, EntryType::Symlink, 0);
            builder
                .append_link(&mut header, entry.rel_os, &target)
                .map_err(write_err)?;
            let target = target.as_os_str().as_encoded_bytes();
            record(digest, b'l', mode(&meta), path_bytes);
            shape_record(shape, b'l', mode(&meta), path_bytes, 0, target);
            digest.update((target.len() as u64).to_be_bytes());
            digest.update(target);
            stats.symlinks += 1;
            Ok(())
        }
        Kind::File => {
            let file = File::open(entry.abs).map_err(unreadable)?;
            let meta = file.metadata().map_err(unreadable)?;
            let size = meta.len();
            let mut header = header(&meta, EntryType::Regular, size);
            let mut reader = Hashing {
                inner: file.take(size),
                hasher: Sha256::new(),
                read: 0,
                error: None,
            };
            if let Err(err) = builder.append_data(&mut header, entry.rel_os, &mut reader) {
                return Err(match reader.error.take() {
                    Some(source) => unreadable(source),
                    None => write_err(err),
                });
            }
            if reader.read != size {
                return Err(ContextError::FileChanged {
                    path: entry.abs.to_path_buf(),
                    expected: size,
                    actual: reader.read,
                });
            }
            record(digest, b'f', mode(&meta), path_bytes);
            shape_record(shape, b'f', mode(&meta), path_bytes, size, b"");
            digest.update(size.to_be_bytes());
            digest.update(reader.hasher.finalize());
            stats.files += 1;
            stats.content_bytes += size;
            Ok(())
        }
    }
}

/// A new hasher for [`super::BuildContext::shape_digest`].
pub(super) fn shape_hasher() -> Sha256 {
    let mut h = Sha256::new();
    h.update(b"deploy-action context shape v1\n");
    h
}

/// One entry of the shape digest: type, permission bits, path, size and link target.
pub(super) fn shape_record(
    h: &mut Sha256,
    kind: u8,
    mode: u32,
    path: &[u8],
    size: u64,
    target: &[u8],
) {
    h.update([kind]);
    h.update(mode.to_be_bytes());
    h.update((path.len() as u64).to_be_bytes());
    h.update(path);
    h.update(size.to_be_bytes());
    h.update((target.len() as u64).to_be_bytes());
    h.update(target);
}

/// The fields every digest record starts with; lengths make the encoding unambiguous.
pub(super) fn record(digest: &mut Sha256, kind: u8, mode: u32, path: &[u8]) {
    digest.update([kind]);
    digest.update(mode.to_be_bytes());
    digest.update((path.len() as u64).to_be_bytes());
    digest.update(path);
}

/// A header as Docker writes it: permission bits, owner 0:0, no user names, mtime in seconds.
fn header(meta: &fs::Metadata, kind: EntryType, size: u64) -> Header {
    let mut header = Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode(meta));
    header.set_uid(0);
    header.set_gid(0);
    header.set_size(size);
    let mtime = meta
        .modified()
        .ok()
        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |elapsed| elapsed.as_secs());
    header.set_mtime(mtime);
    header
}

/// Permission bits, including setuid, setgid and sticky.
#[cfg(unix)]
pub(super) fn mode(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

/// Without Unix modes, what a checkout on Linux would usually have.
#[cfg(not(unix))]
pub(super) fn mode(meta: &fs::Metadata) -> u32 {
    if meta.is_dir() {
        0o755
    } else if meta.permissions().readonly() {
        0o444
    } else {
        0o644
    }
}

pub(super) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xF)]));
    }
    out
}

/// Hashes what passes through, and keeps read errors apart from write errors.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    read: u64,
    error: Option<io::Error>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.hasher.update(&buf[..n]);
                self.read += n as u64;
                Ok(n)
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => Err(err),
            Err(err) => {
                let kind = err.kind();
                self.error = Some(err);
                Err(io::Error::new(kind, "reading a context file failed"))
            }
        }
    }
}

/// Counts the bytes that reach the caller's writer; once `discard` is set nothing more does.
struct Counting<W> {
    inner: W,
    count: u64,
    discard: Rc<Cell<bool>>,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.discard.get() {
            return Ok(buf.len());
        }
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

enum Sink<W: Write> {
    Plain(Counting<W>),
    Gzip(GzEncoder<Counting<W>>),
}

impl<W: Write> Write for Sink<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(w) => w.write(buf),
            Self::Gzip(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Self::Plain(w) => w.write_all(buf),
            Self::Gzip(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(w) => w.flush(),
            Self::Gzip(w) => w.flush(),
        }
    }
}
