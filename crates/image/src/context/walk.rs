//! BuildKit's filtered walk (`fsutil`'s `filterFS.Walk`) over a context directory.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::ContextError;
use crate::dockerignore::PatternMatcher;

/// What an entry is, from `lstat` (symlinks are not followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Dir,
    File,
    Symlink,
    /// Socket, FIFO or device node: never sent.
    Special,
}

/// One entry to send, in walk order; every directory above it has been visited first.
pub struct Entry<'a> {
    /// Relative, `/`-separated; lossy if the name is not UTF-8.
    pub rel: &'a str,
    /// Relative path with the exact bytes of the names.
    pub rel_os: &'a Path,
    /// Where it is on disk.
    pub abs: &'a Path,
    pub kind: Kind,
}

/// An excluded directory on the current path, owed as an entry if something below it is sent.
/// Directories already sent are kept as `None`: only excluded ones need their paths copied.
struct Owed {
    rel: String,
    rel_os: PathBuf,
    abs: PathBuf,
}

/// Include patterns (fsutil's `IncludePatterns`, with `FollowPaths` resolved into them): an
/// entry is sent only if one matches it or a directory above it.
pub(super) struct Include<'m> {
    matcher: &'m PatternMatcher,
    /// No include pattern has a wildcard, so a directory can be skipped unless a pattern names
    /// a path inside it (fsutil's `onlyPrefixIncludes`).
    only_prefix: bool,
    /// Each pattern without a trailing `/**` or `/*`, plus `/`.
    prefixes: Vec<String>,
}

impl<'m> Include<'m> {
    /// Prepares `matcher`'s patterns for the walk.
    pub(super) fn new(matcher: &'m PatternMatcher) -> Self {
        let patterns: Vec<String> = matcher
            .patterns()
            .iter()
            .filter(|p| !p.is_exclusion())
            .map(|p| without_trailing_glob(p.as_str()))
            .collect();
        Self {
            matcher,
            only_prefix: !patterns.iter().any(|p| has_wildcard(p)),
            prefixes: patterns.into_iter().map(|p| p + "/").collect(),
        }
    }
}

fn without_trailing_glob(p: &str) -> String {
    let p = p.strip_suffix("/**").unwrap_or(p);
    p.strip_suffix("/*").unwrap_or(p).to_owned()
}

fn has_wildcard(p: &str) -> bool {
    p.contains(['*', '[', ']', '?', '^', '\\'])
}

/// fsutil's prefix check: whether one of `prefixes` (each a pattern without its trailing glob,
/// plus `/`) starts with `dir/`, i.e. names `dir` or a path inside it.
fn names_under(prefixes: &[String], dir: &str) -> bool {
    let dir_slash_len = dir.len() + 1;
    prefixes.iter().any(|prefix| {
        prefix.len() >= dir_slash_len
            && prefix.starts_with(dir)
            && prefix.as_bytes()[dir.len()] == b'/'
    })
}

struct Walker<'m, F> {
    matcher: &'m PatternMatcher,
    include: Option<Include<'m>>,
    /// No exception has a wildcard, so an excluded directory can only hold re-included paths
    /// if an exception names a path inside it (BuildKit's `onlyPrefixExcludeExceptions`).
    only_prefix_exceptions: bool,
    /// Each exception without a trailing `/**` or `/*`, plus `/`.
    exception_prefixes: Vec<String>,
    abs: PathBuf,
    rel: String,
    rel_os: PathBuf,
    ancestors: Vec<Option<Owed>>,
    /// Named in pattern errors.
    ignore_file: &'m Path,
    visit: F,
}

/// Walks `root` in BuildKit's order and calls `visit` for every entry that is sent, including
/// excluded directories owed as parents of re-included entries (just before their first child).
pub(super) fn walk<F>(
    root: &Path,
    matcher: &PatternMatcher,
    ignore_file: &Path,
    visit: F,
) -> Result<(), ContextError>
where
    F: FnMut(Entry<'_>) -> Result<(), ContextError>,
{
    walk_filtered(root, None, matcher, ignore_file, visit)
}

/// As [`walk`], also keeping only what `include` matches (fsutil's `FilterFS` with include and
/// exclude patterns): directories above an entry that is sent are sent just before it.
pub(super) fn walk_filtered<F>(
    root: &Path,
    include: Option<Include<'_>>,
    matcher: &PatternMatcher,
    ignore_file: &Path,
    visit: F,
) -> Result<(), ContextError>
where
    F: FnMut(Entry<'_>) -> Result<(), ContextError>,
{
    let exceptions: Vec<String> = matcher
        .patterns()
        .iter()
        .filter(|p| p.is_exclusion())
        .map(|p| without_trailing_glob(p.as_str()))
        .collect();
    let only_prefix_exceptions = !exceptions.iter().any(|p| has_wildcard(p));
    let mut walker = Walker {
        matcher,
        include,
        only_prefix_exceptions,
        exception_prefixes: exceptions.into_iter().map(|p| p + "/").collect(),
        abs: root.to_path_buf(),
        rel: String::new(),
        rel_os: PathBuf::new(),
        ancestors: Vec::new(),
        ignore_file,
        visit,
    };
    walker.dir(&[], &[], false)
}

impl<F> Walker<'_, F>
where
    F: FnMut(Entry<'_>) -> Result<(), ContextError>,
{
    /// Visits the directory at `self.abs`, whose own match results are `parent_info` (exclude
    /// patterns) and `include_info` (include patterns).
    fn dir(
        &mut self,
        parent_info: &[bool],
        include_info: &[bool],
        dir_excluded: bool,
    ) -> Result<(), ContextError> {
        let mut names: Vec<(OsString, fs::FileType)> = Vec::new();
        let listing = fs::read_dir(&self.abs).and_then(|entries| {
            for entry in entries {
                let entry = entry?;
                names.push((entry.file_name(), entry.file_type()?));
            }
            Ok(())
        });
        match listing {
            Ok(()) => {}
            // BuildKit ignores permission errors on excluded directories it walks.
            Err(err) if dir_excluded && err.kind() == io::ErrorKind::PermissionDenied => {
                return Ok(());
            }
            Err(source) => {
                return Err(ContextError::Unreadable {
                    path: self.abs.clone(),
                    source,
                });
            }
        }
        // OsString orders by bytes on Unix: Go's sorted ReadDir order.
        names.sort_unstable_by(|a, b| a.0.cmp(&b.0));

        let mut info = Vec::new();
        let mut inc_info = Vec::new();
        for (name, file_type) in names {
            let rel_len = self.rel.len();
            if rel_len > 0 {
                self.rel.push('/');
            }
            self.rel.push_str(&name.to_string_lossy());
            self.abs.push(&name);
            self.rel_os.push(&name);
            let result = self.entry(
                file_type,
                (parent_info, &mut info),
                (include_info, &mut inc_info),
            );
            self.abs.pop();
            self.rel_os.pop();
            self.rel.truncate(rel_len);
            result?;
        }
        Ok(())
    }

    /// Handles the entry at the current path; `exclude` and `include` are the parent's match
    /// results and the slot for this entry's.
    fn entry(
        &mut self,
        file_type: fs::FileType,
        exclude: (&[bool], &mut Vec<bool>),
        include: (&[bool], &mut Vec<bool>),
    ) -> Result<(), ContextError> {
        let (parent_info, info) = exclude;
        let (inc_parent, inc_info) = include;
        let kind = if file_type.is_dir() {
            Kind::Dir
        } else if file_type.is_symlink() {
            Kind::Symlink
        } else if file_type.is_file() {
            Kind::File
        } else {
            Kind::Special
        };
        let excluded = self
            .matcher
            .match_with_parent(&self.rel, parent_info, info)
            .map_err(|source| ContextError::Ignore {
                path: self.ignore_file.to_path_buf(),
                source,
            })?;
        if excluded && kind == Kind::Dir && self.only_prefix_exceptions && !self.may_reinclude() {
            return Ok(());
        }
        let included = match &self.include {
            None => true,
            Some(inc) => {
                let m = inc
                    .matcher
                    .match_with_parent(&self.rel, inc_parent, inc_info)
                    .map_err(|source| ContextError::Ignore {
                        path: self.ignore_file.to_path_buf(),
                        source,
                    })?;
                if !m
                    && kind == Kind::Dir
                    && inc.only_prefix
                    && !names_under(&inc.prefixes, &self.rel)
                {
                    return Ok(());
                }
                m
            }
        };
        let skipped = excluded || !included;
        if !skipped {
            self.emit_ancestors()?;
            (self.visit)(Entry {
                rel: &self.rel,
                rel_os: &self.rel_os,
                abs: &self.abs,
                kind,
            })?;
        }
        if kind != Kind::Dir {
            return Ok(());
        }
        self.ancestors.push(skipped.then(|| Owed {
            rel: self.rel.clone(),
            rel_os: self.rel_os.clone(),
            abs: self.abs.clone(),
        }));
        let dir_info = std::mem::take(info);
        let dir_inc = std::mem::take(inc_info);
        let result = self.dir(&dir_info, &dir_inc, excluded);
        *info = dir_info;
        *inc_info = dir_inc;
        self.ancestors.pop();
        result
    }

    /// Whether a literal exception names a path inside the (excluded) current directory.
    fn may_reinclude(&self) -> bool {
        self.matcher.exclusions() && names_under(&self.exception_prefixes, &self.rel)
    }

    /// Writes the excluded directories above the current entry that were not written yet.
    fn emit_ancestors(&mut self) -> Result<(), ContextError> {
        for slot in &mut self.ancestors {
            if let Some(owed) = slot.take() {
                (self.visit)(Entry {
                    rel: &owed.rel,
                    rel_os: &owed.rel_os,
                    abs: &owed.abs,
                    kind: Kind::Dir,
                })?;
            }
        }
        Ok(())
    }
}
