//! `.dockerignore` patterns with the exact semantics of the Docker CLI and BuildKit
//! (`moby/patternmatcher` and its `ignorefile` reader).
//!
//! Rules, all inherited from upstream:
//! - [`parse_ignore_file`]: a UTF-8 BOM is dropped, lines starting with `#` are comments (the
//!   test is made before trimming), lines are trimmed, empty ones skipped, each pattern is cleaned
//!   like Go's `filepath.Clean` and a leading `/` is removed (`!` is kept in front).
//! - [`PatternMatcher::new`]: patterns are trimmed and cleaned again, `!` marks an exception, a
//!   lone `!` is an error and so is a pattern that Go's `filepath.Match` finds malformed.
//! - Matching: the last matching pattern wins; `*` and `?` never cross `/`; `**` matches any
//!   number of directories; `[...]` classes take ranges and `^` negation; `\` escapes the next
//!   character; a pattern matching a parent directory matches everything below it.
//! - Beyond that, Docker hands the pattern to Go's `regexp` with little rewriting, so `\d`,
//!   `[[:alpha:]]`, `a|b` (in a pattern that also has a wildcard) and `x{2}` mean what they mean
//!   there; `goregex` reproduces Go's reading of them.
//! - Docker compiles most patterns to a Go regular expression lazily, on first use, so an invalid
//!   class such as `[z-a]` is reported only when a path is actually tested against it; this
//!   module reports it at the same moment (as [`PatternError::Bad`]).
//!
//! Nothing in here panics, whatever the pattern.

mod gopath;
mod goregex;
#[cfg(test)]
mod tests;

use regex::{Regex, RegexBuilder};

/// Compiled-size cap per pattern: room for Go's largest counted repetitions (`?{1000}`) while
/// bounding what a hostile ignore file can make us allocate.
const REGEX_SIZE_LIMIT: usize = 64 << 20;

/// A pattern list that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// A line holding only `!` (Docker: `illegal exclusion pattern: "!"`).
    #[error(
        "illegal exclusion pattern \"!\": a `!` must be followed by the path to re-include; \
         complete the line or delete it"
    )]
    LoneExclamation,
    /// Malformed pattern, Docker's `syntax error in pattern` (`filepath.ErrBadPattern`).
    #[error(
        "syntax error in pattern `{pattern}` ({reason}); close every `[` with `]`, keep ranges \
         in order (`[a-z]`, not `[z-a]`) and escape literal `[`, `*`, `?` and `\\` with `\\`"
    )]
    Bad {
        /// The cleaned pattern, without its `!`.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A construct that Docker reads as a Go regular-expression feature this crate does not
    /// reproduce (for example `\pL`): refused rather than matched differently from Docker.
    #[error(
        "pattern `{pattern}` uses `{construct}`, which Docker treats as Go regular-expression \
         syntax that deploy-action does not reproduce; write the characters out in a `[...]` \
         class instead"
    )]
    Unsupported {
        /// The cleaned pattern, without its `!`.
        pattern: String,
        /// The construct found.
        construct: String,
    },
    /// A line over Go's `bufio.Scanner` limit, which makes Docker fail to read the file.
    #[error(
        "line {line} of the ignore file is longer than 65535 bytes, which Docker cannot read; \
         shorten or split it"
    )]
    LineTooLong {
        /// 1-based line number.
        line: usize,
    },
    /// [`PatternMatcher::matches_using_parent_results`] got a [`MatchInfo`] from another matcher.
    #[error(
        "wrong number of values in parent match info ({got}, expected {expected}); pass the \
         MatchInfo returned by the same matcher for the parent directory"
    )]
    MatchInfoMismatch {
        /// Values in the info passed.
        got: usize,
        /// Patterns in this matcher.
        expected: usize,
    },
}

/// Reads an ignore file as Docker's `ignorefile.ReadAll` does and returns its patterns.
///
/// Invalid UTF-8 is replaced with U+FFFD (Go keeps raw bytes; names that are not UTF-8 are
/// compared through the same lossy conversion by this crate's walker).
pub fn parse_ignore_file(contents: &[u8]) -> Result<Vec<String>, PatternError> {
    let contents = contents.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(contents);
    let mut lines: Vec<&[u8]> = contents.split(|&b| b == b'\n').collect();
    if contents.ends_with(b"\n") || contents.is_empty() {
        // Go's line scanner yields no token after a final newline.
        lines.pop();
    }
    let mut patterns = Vec::new();
    for (idx, raw) in lines.into_iter().enumerate() {
        if raw.len() > MAX_LINE {
            return Err(PatternError::LineTooLong { line: idx + 1 });
        }
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let line = String::from_utf8_lossy(raw);
        if line.starts_with('#') {
            continue;
        }
        let mut pattern = line.trim();
        if pattern.is_empty() {
            continue;
        }
        let invert = pattern.starts_with('!');
        if invert {
            pattern = pattern[1..].trim();
        }
        let mut cleaned = String::new();
        if !pattern.is_empty() {
            cleaned = gopath::clean(pattern);
            if cleaned.len() > 1
                && let Some(rest) = cleaned.strip_prefix('/')
            {
                cleaned = rest.to_owned();
            }
        }
        patterns.push(if invert {
            format!("!{cleaned}")
        } else {
            cleaned
        });
    }
    Ok(patterns)
}

/// Longest line Go's default `bufio.Scanner` accepts (its 64 KiB buffer holds the newline too).
const MAX_LINE: usize = 64 * 1024 - 1;

/// Writes a pattern that matches exactly `path` (a clean, relative, `/`-separated path) and
/// nothing else; used to re-include the Dockerfile and `.dockerignore`.
pub fn escape_literal(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 4);
    for (idx, c) in path.chars().enumerate() {
        match c {
            // A leading `!` would make the pattern an exception.
            '!' if idx == 0 => out.push_str("\\!"),
            '*' | '?' | '[' | ']' | '\\' | '^' => {
                out.push('\\');
                out.push(c);
            }
            // Patterns are trimmed, so whitespace goes in a class, where trimming cannot reach.
            c if c.is_whitespace() => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

/// An ordered list of patterns, Docker's `PatternMatcher`.
#[derive(Debug, Clone)]
pub struct PatternMatcher {
    patterns: Vec<Pattern>,
    exclusions: bool,
}

/// One cleaned pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    cleaned: String,
    exclusion: bool,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    /// The path equals the pattern.
    Exact,
    /// `foo**`: the path starts with the pattern minus `**`.
    Prefix,
    /// `**foo`: the path ends with the pattern minus `**` (or equals it minus `**/`).
    Suffix,
    /// Anything else, through the regular expression Docker would build; `Err` if Docker's
    /// would not compile.
    Regex(Result<Regex, String>),
}

/// Which patterns matched a directory; passed back when matching its children so that a
/// pattern matching the parent also covers them (Docker's `MatchInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchInfo {
    parent_matched: Vec<bool>,
}

impl PatternMatcher {
    /// Builds a matcher from patterns, as Docker's `patternmatcher.New`.
    pub fn new<I>(patterns: I) -> Result<Self, PatternError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let mut out = Vec::new();
        let mut exclusions = false;
        for raw in patterns {
            let trimmed = raw.as_ref().trim();
            if trimmed.is_empty() {
                continue;
            }
            let mut cleaned = gopath::clean(trimmed);
            let exclusion = cleaned.starts_with('!');
            if exclusion {
                if cleaned.len() == 1 {
                    return Err(PatternError::LoneExclamation);
                }
                cleaned.remove(0);
                exclusions = true;
            }
            if gopath::filepath_match(&cleaned, ".").is_err() {
                return Err(PatternError::Bad {
                    pattern: cleaned,
                    reason: "malformed `[...]` class or trailing `\\`".to_owned(),
                });
            }
            let kind = compile(&cleaned)?;
            out.push(Pattern {
                cleaned,
                exclusion,
                kind,
            });
        }
        Ok(Self {
            patterns: out,
            exclusions,
        })
    }

    /// Whether any pattern is an exception (`!pattern`).
    pub fn exclusions(&self) -> bool {
        self.exclusions
    }

    /// The patterns, in order.
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// Whether `file` (relative, `/`-separated) is excluded, testing the file and each of its
    /// parent directories (Docker's `MatchesOrParentMatches`).
    pub fn matches_or_parent_matches(&self, file: &str) -> Result<bool, PatternError> {
        let parent = gopath::dir(file);
        let mut matched = false;
        for pattern in &self.patterns {
            if pattern.exclusion != matched {
                continue;
            }
            let mut hit = pattern.matches(file)?;
            if !hit && parent != "." {
                hit = pattern.matches_a_parent(&parent);
            }
            if hit {
                matched = !pattern.exclusion;
            }
        }
        Ok(matched)
    }

    /// Whether `file` is excluded, reusing what matched its parent directory instead of
    /// re-testing every ancestor (Docker's `MatchesUsingParentResults`). Pass
    /// `MatchInfo::default()` for top-level entries; keep the returned info for directories.
    pub fn matches_using_parent_results(
        &self,
        file: &str,
        parent: &MatchInfo,
    ) -> Result<(bool, MatchInfo), PatternError> {
        let mut info = Vec::with_capacity(self.patterns.len());
        let matched = self.match_with_parent(file, &parent.parent_matched, &mut info)?;
        Ok((
            matched,
            MatchInfo {
                parent_matched: info,
            },
        ))
    }

    /// [`Self::matches_using_parent_results`] writing the per-pattern results into `out`, so the
    /// context walker can reuse buffers.
    pub(crate) fn match_with_parent(
        &self,
        file: &str,
        parent: &[bool],
        out: &mut Vec<bool>,
    ) -> Result<bool, PatternError> {
        if !parent.is_empty() && parent.len() != self.patterns.len() {
            return Err(PatternError::MatchInfoMismatch {
                got: parent.len(),
                expected: self.patterns.len(),
            });
        }
        out.clear();
        out.resize(self.patterns.len(), false);
        // Without parent results every ancestor is tested, as in matches_or_parent_matches.
        let fallback_dir = if parent.is_empty() {
            Some(gopath::dir(file)).filter(|dir| dir != ".")
        } else {
            None
        };
        let mut matched = false;
        for (idx, pattern) in self.patterns.iter().enumerate() {
            let mut hit = parent.get(idx).copied().unwrap_or(false);
            if !hit {
                if pattern.exclusion != matched {
                    continue;
                }
                hit = pattern.matches(file)?;
                if !hit && let Some(dir) = &fallback_dir {
                    hit = pattern.matches_a_parent(dir);
                }
            }
            out[idx] = hit;
            if hit {
                matched = !pattern.exclusion;
            }
        }
        Ok(matched)
    }
}

impl Pattern {
    /// The cleaned pattern, without its leading `!`.
    pub fn as_str(&self) -> &str {
        &self.cleaned
    }

    /// Whether this is an exception (`!pattern`).
    pub fn is_exclusion(&self) -> bool {
        self.exclusion
    }

    /// Whether the pattern matches `path` itself (parents are not considered).
    pub fn matches(&self, path: &str) -> Result<bool, PatternError> {
        match &self.kind {
            Kind::Exact => Ok(path == self.cleaned),
            Kind::Prefix => {
                let prefix = self.cleaned.strip_suffix("**").unwrap_or(&self.cleaned);
                Ok(path.starts_with(prefix))
            }
            Kind::Suffix => {
                let suffix = self.cleaned.strip_prefix("**").unwrap_or(&self.cleaned);
                if path.ends_with(suffix) {
                    return Ok(true);
                }
                // `**/foo` also matches `foo`.
                Ok(suffix.strip_prefix('/') == Some(path))
            }
            Kind::Regex(Ok(re)) => Ok(re.is_match(path)),
            Kind::Regex(Err(reason)) => Err(PatternError::Bad {
                pattern: self.cleaned.clone(),
                reason: reason.clone(),
            }),
        }
    }

    /// Whether the pattern matches `dir` or one of its ancestors; errors count as no match, as
    /// upstream ignores them here (the file itself was tested first).
    fn matches_a_parent(&self, dir: &str) -> bool {
        dir.match_indices('/')
            .map(|(idx, _)| &dir[..idx])
            .chain(std::iter::once(dir))
            .any(|prefix| self.matches(prefix).unwrap_or(false))
    }
}

/// Docker's `Pattern.compile`: picks the match kind and, for regular expressions, builds the
/// same Go source Docker does and translates it.
fn compile(cleaned: &str) -> Result<Kind, PatternError> {
    #[derive(PartialEq)]
    enum Detected {
        Exact,
        Prefix,
        Suffix,
        Regex,
    }
    let mut go = String::from("^");
    let mut detected = Detected::Exact;
    // Go's text/scanner skips a byte-order mark at the start.
    let body = cleaned.strip_prefix('\u{FEFF}').unwrap_or(cleaned);
    let mut chars = body.chars().peekable();
    let mut first = true;
    while let Some(ch) = chars.next() {
        match ch {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                // `**/` is treated as `**`.
                if chars.peek() == Some(&'/') {
                    chars.next();
                }
                if chars.peek().is_none() {
                    // A trailing `**` accepts everything below, as in .gitignore.
                    if detected == Detected::Exact {
                        detected = Detected::Prefix;
                    } else {
                        go.push_str(".*");
                        detected = Detected::Regex;
                    }
                } else {
                    go.push_str("(.*/)?");
                    detected = Detected::Regex;
                }
                if first {
                    detected = Detected::Suffix;
                }
            }
            '*' => {
                go.push_str("[^/]*");
                detected = Detected::Regex;
            }
            '?' => {
                go.push_str("[^/]");
                detected = Detected::Regex;
            }
            // Upstream means to escape `.+()|{}$`, but its lookup bitmap drops `{`, `|` and
            // `}` (their bit falls off a byte), so those reach Go's regexp raw: `a|b` is an
            // alternation and `a{2}` a counted repetition there.
            '.' | '+' | '(' | ')' | '$' => {
                go.push('\\');
                go.push(ch);
            }
            '\\' => {
                go.push('\\');
                if let Some(next) = chars.next() {
                    go.push(next);
                    detected = Detected::Regex;
                }
            }
            '[' | ']' => {
                go.push(ch);
                detected = Detected::Regex;
            }
            other => go.push(other),
        }
        first = false;
    }
    Ok(match detected {
        Detected::Exact => Kind::Exact,
        Detected::Prefix => Kind::Prefix,
        Detected::Suffix => Kind::Suffix,
        Detected::Regex => {
            go.push('$');
            match goregex::to_rust(&go) {
                Ok(rust) => Kind::Regex(
                    RegexBuilder::new(&rust)
                        .size_limit(REGEX_SIZE_LIMIT)
                        .build()
                        .map_err(|e| e.to_string()),
                ),
                Err(goregex::Translate::Invalid(reason)) => Kind::Regex(Err(reason.to_owned())),
                Err(goregex::Translate::Unsupported(construct)) => {
                    return Err(PatternError::Unsupported {
                        pattern: cleaned.to_owned(),
                        construct,
                    });
                }
            }
        }
    })
}
