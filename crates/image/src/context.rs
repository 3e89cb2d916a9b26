//! The build context: which files of a directory are sent to the Docker daemon, streamed as a
//! tar archive, and a digest of that content for build avoidance.
//!
//! Selection follows the Docker CLI and BuildKit:
//! - the ignore file is `<Dockerfile>.dockerignore` beside the Dockerfile when it exists, else
//!   `.dockerignore` at the context root, else nothing is ignored;
//! - as `docker build` does before uploading, `!.dockerignore` and `!<Dockerfile>` are appended
//!   when the patterns exclude them, so both are always in the archive (the daemon needs the
//!   Dockerfile; the daemon, not the client, hides them from `COPY` again);
//! - the walk is BuildKit's (`fsutil`): entries in byte order of their names, depth first; an
//!   excluded directory is skipped whole unless an exception could re-include something in it
//!   (any exception with a wildcard, or a literal one below the directory), in which case it is
//!   walked and written only if something inside it is included. The classic builder's client
//!   (`DOCKER_BUILDKIT=0`) differs only there: it walks an excluded directory just for a literal
//!   exception below it and never writes that directory's own entry.
//!
//! The archive keeps regular files, directories and symlinks (as symlinks), with their
//! permission bits and modification times, owned by uid/gid 0. Sockets, FIFOs and device nodes
//! are left out and counted; hard links are written as separate regular files. The `context_digest` covers paths, types, permission bits, sizes,
//! file contents and link targets, not times or owners, so it is the same on every machine that
//! has the same files.

mod archive;
mod digest;
mod statcache;
#[cfg(test)]
mod tests;
mod walk;

pub use walk::{Entry, Kind as EntryKind};

use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use crate::dockerignore::{self, PatternError, PatternMatcher};

/// Why the build context could not be listed or packed.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// The context directory does not exist.
    #[error(
        "build context {} does not exist; pass the directory that holds the Dockerfile and \
         the files it copies",
        path.display()
    )]
    ContextMissing {
        /// The path given.
        path: PathBuf,
    },
    /// The context path is a file or something else that is not a directory.
    #[error("build context {} is not a directory; pass a directory", path.display())]
    ContextNotDir {
        /// The path given.
        path: PathBuf,
    },
    /// No Dockerfile at the given path.
    #[error(
        "Dockerfile {} not found in build context {}; create it or pass its path relative to \
         the context",
        dockerfile.display(),
        context.display()
    )]
    DockerfileMissing {
        /// The Dockerfile path given.
        dockerfile: PathBuf,
        /// The context directory.
        context: PathBuf,
    },
    /// The Dockerfile lies outside the context directory.
    #[error(
        "Dockerfile {} is outside build context {}; move it into the context or choose a \
         context that contains it",
        dockerfile.display(),
        context.display()
    )]
    DockerfileOutsideContext {
        /// The Dockerfile path given.
        dockerfile: PathBuf,
        /// The context directory.
        context: PathBuf,
    },
    /// The ignore file exists but could not be read.
    #[error("cannot read ignore file {} (fix its permissions or remove it)", path.display())]
    ReadIgnore {
        /// The ignore file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The ignore file holds a pattern Docker would reject.
    #[error("invalid ignore file {}", path.display())]
    Ignore {
        /// The ignore file.
        path: PathBuf,
        /// The pattern problem.
        #[source]
        source: PatternError,
    },
    /// A file or directory that is part of the context could not be read.
    #[error(
        "cannot read {} in the build context (fix its permissions or exclude it in \
         .dockerignore)",
        path.display()
    )]
    Unreadable {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A file changed size between being listed and being read.
    #[error(
        "{} changed while it was being packed ({expected} bytes expected, {actual} read); \
         retry once nothing writes to the build context",
        path.display()
    )]
    FileChanged {
        /// The file.
        path: PathBuf,
        /// Size when the header was written.
        expected: u64,
        /// Bytes actually read.
        actual: u64,
    },
    /// The caller's gate declined to complete the archive (see [`BuildContext::pack_gated`]).
    #[error("the build context upload was withdrawn before its end")]
    Withdrawn,
    /// Writing the archive to its destination failed.
    #[error("cannot write the build context archive (check the daemon connection or disk space)")]
    Write {
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

/// How to write the archive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PackOptions {
    /// Gzip the tar stream at this level (0-9, higher values are capped at 9); worth it for a
    /// remote daemon, wasted CPU for a local one. `None` writes a plain tar.
    pub gzip: Option<u32>,
}

/// What was packed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackStats {
    /// Regular files written.
    pub files: u64,
    /// Directories written.
    pub dirs: u64,
    /// Symlinks written.
    pub symlinks: u64,
    /// Sockets, FIFOs and device nodes left out.
    pub skipped_special: u64,
    /// Total size of the regular files' contents.
    pub content_bytes: u64,
    /// Bytes written to the destination (after gzip, when enabled).
    pub archive_bytes: u64,
    /// `sha256:<hex>` over every entry's path, type, permission bits, size and content or link
    /// target, in archive order; independent of times and owners.
    pub context_digest: String,
    /// [`BuildContext::shape_digest`] of what was packed.
    pub shape_digest: String,
}

/// A context directory with its Dockerfile and ignore rules resolved, ready to list or pack.
#[derive(Debug, Clone)]
pub struct BuildContext {
    root: PathBuf,
    dockerfile: String,
    ignore_file: Option<PathBuf>,
    /// The ignore file's patterns as written (BuildKit applies these, without the CLI's
    /// re-inclusion of the Dockerfile and the ignore file, which reach it separately).
    patterns: Vec<String>,
    matcher: PatternMatcher,
}

impl BuildContext {
    /// Resolves `dir` and the Dockerfile (relative to `dir`, or absolute inside it), reads the
    /// ignore file and applies Docker's rules for keeping the Dockerfile and `.dockerignore`.
    pub fn open(dir: &Path, dockerfile: &Path) -> Result<Self, ContextError> {
        match fs::metadata(dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(ContextError::ContextNotDir {
                    path: dir.to_path_buf(),
                });
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                return Err(ContextError::ContextMissing {
                    path: dir.to_path_buf(),
                });
            }
            Err(source) => {
                return Err(ContextError::Unreadable {
                    path: dir.to_path_buf(),
                    source,
                });
            }
        }
        let rel = dockerfile_in_context(dir, dockerfile)?;
        let missing = || ContextError::DockerfileMissing {
            dockerfile: dockerfile.to_path_buf(),
            context: dir.to_path_buf(),
        };
        match fs::metadata(dir.join(&rel)) {
            Ok(meta) if !meta.is_dir() => {}
            Ok(_) => return Err(missing()),
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Err(missing()),
            Err(source) => {
                return Err(ContextError::Unreadable {
                    path: dir.join(&rel),
                    source,
                });
            }
        }

        let (ignore_file, mut patterns) = read_ignore(dir, &rel)?;
        let written = patterns.clone();
        let invalid = |source| ContextError::Ignore {
            path: ignore_file.clone().unwrap_or_default(),
            source,
        };
        let first = PatternMatcher::new(&patterns).map_err(invalid)?;
        // Docker's TrimBuildFilesFromExcludes. Docker decides with its older one-parent check,
        // which misses e.g. `**/c` excluding `a/b/c/Dockerfile` (the build then fails); the full
        // check keeps the Dockerfile in every case. Pattern errors are ignored here as Docker
        // does: they surface in the walk if a path reaches them.
        let excluded = |path: &str| first.matches_or_parent_matches(path).unwrap_or(false);
        let keep_ignore = excluded(".dockerignore");
        let keep_dockerfile = excluded(&rel);
        if keep_ignore {
            patterns.push("!.dockerignore".to_owned());
        }
        if keep_dockerfile {
            patterns.push(format!("!{}", dockerignore::escape_literal(&rel)));
        }
        let matcher = if keep_ignore || keep_dockerfile {
            PatternMatcher::new(&patterns).map_err(invalid)?
        } else {
            first
        };
        Ok(Self {
            root: dir.to_path_buf(),
            dockerfile: rel,
            ignore_file,
            patterns: written,
            matcher,
        })
    }

    /// The context directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The Dockerfile's path inside the context, `/`-separated: what the build API's
    /// `dockerfile` parameter takes.
    pub fn dockerfile(&self) -> &str {
        &self.dockerfile
    }

    /// The ignore file's patterns as written, without the re-inclusions `matcher` adds.
    pub fn written_patterns(&self) -> &[String] {
        &self.patterns
    }

    /// The ignore file in effect, if any.
    pub fn ignore_file(&self) -> Option<&Path> {
        self.ignore_file.as_deref()
    }

    /// The patterns in effect, including the re-inclusions of the Dockerfile and
    /// `.dockerignore`.
    pub fn matcher(&self) -> &PatternMatcher {
        &self.matcher
    }

    /// Every path that would be sent, relative and `/`-separated, directories with a trailing
    /// `/` (as `tar tf` prints them), sorted by bytes. Nothing is read but directory listings.
    pub fn list_files(&self) -> Result<Vec<String>, ContextError> {
        let mut paths = Vec::new();
        walk::walk(&self.root, &self.matcher, self.ignore_path(), |entry| {
            let mut path = entry.rel.to_owned();
            if entry.kind == walk::Kind::Dir {
                path.push('/');
            }
            if entry.kind != walk::Kind::Special {
                paths.push(path);
            }
            Ok(())
        })?;
        paths.sort_unstable();
        Ok(paths)
    }

    /// Streams the context as a tar archive (gzipped if asked) into `out`, which is flushed
    /// but not closed. Memory use does not grow with the context: files are copied through a
    /// fixed buffer and hashed on the way.
    pub fn pack<W: Write>(&self, out: W, options: &PackOptions) -> Result<PackStats, ContextError> {
        self.pack_gated(out, options, |_| true)
    }

    /// As [`BuildContext::pack`], but once every entry is written and flushed (the digest is
    /// then known; `archive_bytes` is not final yet) `finish` decides whether to write the
    /// tar's end-of-archive blocks. Declining returns [`ContextError::Withdrawn`] and leaves
    /// the archive unterminated: the daemon, which reads the whole context before it runs any
    /// step, then builds nothing. This lets a build read the context once and still decide
    /// from its digest whether an existing image will do.
    pub fn pack_gated<W: Write>(
        &self,
        out: W,
        options: &PackOptions,
        finish: impl FnOnce(&PackStats) -> bool,
    ) -> Result<PackStats, ContextError> {
        archive::pack(
            &self.root,
            &self.matcher,
            self.ignore_path(),
            out,
            options,
            finish,
        )
    }

    /// The ignore file to name in pattern errors.
    fn ignore_path(&self) -> &Path {
        self.ignore_file
            .as_deref()
            .unwrap_or(Path::new(".dockerignore"))
    }

    /// `sha256:<hex>` over what [`BuildContext::list_files`] sees plus each entry's type,
    /// permission bits, size and link target: the context's shape, from directory listings and
    /// `lstat` alone, without reading any file. It is NOT a content digest (an edit that keeps a
    /// file's size keeps the shape); builds use it only to guess cheaply whether an image with
    /// the same content may exist, before reading the context for its real digest.
    pub fn shape_digest(&self) -> Result<String, ContextError> {
        use sha2::Digest;
        let mut h = archive::shape_hasher();
        walk::walk(&self.root, &self.matcher, self.ignore_path(), |entry| {
            let unreadable = |source| ContextError::Unreadable {
                path: entry.abs.to_path_buf(),
                source,
            };
            let meta = fs::symlink_metadata(entry.abs).map_err(unreadable)?;
            let (kind, size, target) = match entry.kind {
                walk::Kind::Special => return Ok(()),
                walk::Kind::Dir => (b'd', 0, Vec::new()),
                walk::Kind::File => (b'f', meta.len(), Vec::new()),
                walk::Kind::Symlink => {
                    let target = fs::read_link(entry.abs).map_err(unreadable)?;
                    (b'l', 0, target.into_os_string().into_encoded_bytes())
                }
            };
            let path = entry.rel_os.as_os_str().as_encoded_bytes();
            archive::shape_record(&mut h, kind, archive::mode(&meta), path, size, &target);
            Ok(())
        })?;
        Ok(format!("sha256:{}", archive::hex(&h.finalize())))
    }

    /// The `context_digest` alone: reads every file, writes nothing.
    pub fn digest(&self) -> Result<String, ContextError> {
        Ok(self.digest_stats(1, None)?.context_digest)
    }

    /// What [`BuildContext::pack`] would report, without writing an archive (`archive_bytes`
    /// is 0): the files are read and hashed by up to `threads` threads. With `cache_dir`, the
    /// hashes of files whose `lstat` is unchanged since an earlier pass are taken from a stat
    /// cache kept there (see `statcache`), so an unchanged context is listed, not read.
    pub fn digest_stats(
        &self,
        threads: usize,
        cache_dir: Option<&Path>,
    ) -> Result<PackStats, ContextError> {
        digest::digest(
            &self.root,
            &self.matcher,
            self.ignore_path(),
            threads,
            cache_dir,
        )
    }
}

/// Walks `root` as fsutil's filtered file system does for a BuildKit transfer: entries in
/// BuildKit's order that `include` (when given) matches and `exclude` does not, directories
/// above a sent entry included. `pattern_file` is named in pattern errors.
pub fn walk_filtered(
    root: &Path,
    include: Option<&PatternMatcher>,
    exclude: &PatternMatcher,
    pattern_file: &Path,
    visit: impl FnMut(Entry<'_>) -> Result<(), ContextError>,
) -> Result<(), ContextError> {
    walk::walk_filtered(
        root,
        include.map(walk::Include::new),
        exclude,
        pattern_file,
        visit,
    )
}

/// The sorted paths `docker build` would send for `dir` with `dockerfile` (relative to `dir`);
/// see [`BuildContext::list_files`].
pub fn list_files(dir: &Path, dockerfile: &Path) -> Result<Vec<String>, ContextError> {
    BuildContext::open(dir, dockerfile)?.list_files()
}

/// Packs `dir` with `dockerfile` (relative to `dir`) into `out`; see [`BuildContext::pack`].
pub fn pack<W: Write>(
    dir: &Path,
    dockerfile: &Path,
    out: W,
    options: &PackOptions,
) -> Result<PackStats, ContextError> {
    BuildContext::open(dir, dockerfile)?.pack(out, options)
}

/// The Dockerfile's clean, `/`-separated path relative to `dir`.
fn dockerfile_in_context(dir: &Path, dockerfile: &Path) -> Result<String, ContextError> {
    let outside = || ContextError::DockerfileOutsideContext {
        dockerfile: dockerfile.to_path_buf(),
        context: dir.to_path_buf(),
    };
    let missing = || ContextError::DockerfileMissing {
        dockerfile: dockerfile.to_path_buf(),
        context: dir.to_path_buf(),
    };
    let relative: PathBuf = if dockerfile.is_absolute() {
        // Compare real locations, but keep the Dockerfile's own name: it may be a symlink.
        let name = dockerfile.file_name().ok_or_else(missing)?;
        let parent = dockerfile.parent().ok_or_else(missing)?;
        let real_parent = fs::canonicalize(parent).map_err(|_| missing())?;
        let real_dir = fs::canonicalize(dir).map_err(|_| outside())?;
        real_parent
            .strip_prefix(&real_dir)
            .map_err(|_| outside())?
            .join(name)
    } else {
        dockerfile.to_path_buf()
    };
    let mut parts: Vec<&str> = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str().ok_or_else(missing)?),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop().ok_or_else(outside)?;
            }
            Component::RootDir | Component::Prefix(_) => return Err(outside()),
        }
    }
    if parts.is_empty() {
        return Err(missing());
    }
    Ok(parts.join("/"))
}

/// Picks and parses the ignore file: `<Dockerfile>.dockerignore`, else `.dockerignore`.
fn read_ignore(
    dir: &Path,
    dockerfile: &str,
) -> Result<(Option<PathBuf>, Vec<String>), ContextError> {
    for candidate in [
        format!("{dockerfile}.dockerignore"),
        ".dockerignore".to_owned(),
    ] {
        let path = dir.join(&candidate);
        match fs::read(&path) {
            Ok(bytes) => {
                let patterns = dockerignore::parse_ignore_file(&bytes).map_err(|source| {
                    ContextError::Ignore {
                        path: path.clone(),
                        source,
                    }
                })?;
                return Ok((Some(path), patterns));
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(ContextError::ReadIgnore { path, source }),
        }
    }
    Ok((None, Vec::new()))
}
