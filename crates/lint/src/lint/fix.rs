//! Fixes: edits on the source text by byte range, never a re-serialised YAML, so comments,
//! key order and quoting stay as they were.
//!
//! A finding may carry one [`Fix`]. [`fix_source`] applies every fix of a file: each round
//! lints, applies the fixes whose edits do not touch one another, and lints again, so that two
//! fixes of one step (both adding to its `env:`) land one after the other, each seeing the
//! other's result.

use super::{Config, FileKind, Finding, Project};
use crate::workflow::yaml::Span;

/// One replacement of `start..end` (byte offsets into the file) by `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// First byte replaced.
    pub start: usize,
    /// One past the last byte replaced; equal to `start` for an insertion.
    pub end: usize,
    /// The new text.
    pub text: String,
}

impl Edit {
    /// Replaces `start..end` with `text`.
    pub fn replace(start: usize, end: usize, text: impl Into<String>) -> Self {
        Edit {
            start,
            end,
            text: text.into(),
        }
    }

    /// Inserts `text` at `at`.
    pub fn insert(at: usize, text: impl Into<String>) -> Self {
        Edit::replace(at, at, text)
    }
}

/// A safe, mechanical fix: what it does and its edits (which never overlap one another).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// What the fix does, in a few words ("move the expression to env:").
    pub title: String,
    /// The edits, in any order.
    pub edits: Vec<Edit>,
}

impl Fix {
    /// A fix that replaces the text of `span` with `text` (a suggested name for a misspelt one).
    pub fn replace_span(title: impl Into<String>, span: Span, text: impl Into<String>) -> Self {
        Fix {
            title: title.into(),
            edits: vec![Edit::replace(span.start.offset, span.end.offset, text)],
        }
    }

    /// `source` with this fix alone applied; `None` when an edit does not fit the text (out of
    /// range or inside a character), so a stale fix is never half-applied.
    pub fn apply_to(&self, source: &str) -> Option<String> {
        let (out, applied) = apply(source, &[self]);
        (applied == 1).then_some(out)
    }

    /// The byte range the fix touches, from its first edit to its last.
    fn range(&self) -> Option<(usize, usize)> {
        let start = self.edits.iter().map(|e| e.start).min()?;
        let end = self.edits.iter().map(|e| e.end).max()?;
        Some((start, end))
    }
}

/// Applies `fixes` to `source`, skipping any whose range meets one already taken (two
/// insertions at the same place meet too). Returns the new text and how many fixes were applied.
pub fn apply(source: &str, fixes: &[&Fix]) -> (String, usize) {
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let mut edits: Vec<&Edit> = Vec::new();
    let mut applied = 0;
    for fix in fixes {
        let Some((lo, hi)) = fix.range() else {
            continue;
        };
        let valid = fix.edits.iter().all(|e| {
            e.start <= e.end
                && e.end <= source.len()
                && source.is_char_boundary(e.start)
                && source.is_char_boundary(e.end)
        });
        if !valid || taken.iter().any(|&(a, b)| lo <= b && a <= hi) {
            continue;
        }
        taken.push((lo, hi));
        edits.extend(&fix.edits);
        applied += 1;
    }
    edits.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(source.len() + 64);
    let mut at = 0;
    for e in edits {
        if e.start < at {
            // Two edits of one fix overlap: the fix is malformed; keep the text as it was here.
            continue;
        }
        out.push_str(&source[at..e.start]);
        out.push_str(&e.text);
        at = e.end;
    }
    out.push_str(&source[at..]);
    (out, applied)
}

/// The most rounds [`fix_source`] runs: each round applies at least one fix, and no real file
/// needs more than a handful.
const MAX_ROUNDS: usize = 32;

/// The text of one file with every fixable finding fixed, and the findings fixed (as found in
/// the round that fixed them).
pub fn fix_source(
    project: Option<&Project>,
    path: &str,
    source: &str,
    kind: FileKind,
    config: &Config,
) -> (String, Vec<Finding>) {
    let mut text = source.to_string();
    let mut fixed = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let result = super::lint_source_in(project, path, &text, kind, config);
        let fixable: Vec<&Finding> = result.findings.iter().filter(|f| f.fix.is_some()).collect();
        let fixes: Vec<&Fix> = fixable.iter().filter_map(|f| f.fix.as_ref()).collect();
        if fixes.is_empty() {
            break;
        }
        let (next, applied) = apply(&text, &fixes);
        if applied == 0 || next == text {
            break;
        }
        // Which findings the applied fixes belong to: apply() takes them in order.
        let mut taken: Vec<(usize, usize)> = Vec::new();
        for f in &fixable {
            let Some((lo, hi)) = f.fix.as_ref().and_then(Fix::range) else {
                continue;
            };
            if !taken.iter().any(|&(a, b)| lo <= b && a <= hi) {
                taken.push((lo, hi));
                fixed.push((*f).clone());
            }
        }
        text = next;
    }
    (text, fixed)
}

/// A unified diff of `old` and `new` for `path`, as `git diff` prints it (three lines of
/// context); empty when they are equal.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_fixes_wait_for_the_next_round() {
        let src = "abcdef";
        let a = Fix {
            title: "a".into(),
            edits: vec![Edit::replace(0, 2, "XY")],
        };
        let b = Fix {
            title: "b".into(),
            edits: vec![Edit::replace(1, 3, "Z")],
        };
        let c = Fix {
            title: "c".into(),
            edits: vec![Edit::insert(6, "!"), Edit::replace(4, 5, "E")],
        };
        let (out, n) = apply(src, &[&a, &b, &c]);
        assert_eq!(out, "XYcdEf!");
        assert_eq!(n, 2);
    }

    #[test]
    fn insertions_at_one_place_meet() {
        let a = Fix {
            title: "a".into(),
            edits: vec![Edit::insert(1, "1")],
        };
        let b = Fix {
            title: "b".into(),
            edits: vec![Edit::insert(1, "2")],
        };
        assert_eq!(apply("ab", &[&a, &b]), ("a1b".to_string(), 1));
    }

    #[test]
    fn edits_off_a_char_boundary_are_refused() {
        let a = Fix {
            title: "a".into(),
            edits: vec![Edit::replace(1, 2, "x")],
        };
        assert_eq!(apply("éa", &[&a]), ("éa".to_string(), 0));
    }

    #[test]
    fn diff_has_headers() {
        let d = unified_diff("w.yml", "a\nb\n", "a\nc\n");
        assert!(
            d.contains("--- a/w.yml") && d.contains("+++ b/w.yml"),
            "{d}"
        );
        assert!(d.contains("-b\n+c\n"), "{d}");
        assert!(unified_diff("w.yml", "a\n", "a\n").is_empty());
    }
}
