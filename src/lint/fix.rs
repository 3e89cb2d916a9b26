//! Fixes a finding can carry: edits on the source text by byte range, never a re-serialised
//! YAML, so comments, key order and quoting stay as they were. The renderers show them (JSON
//! `fix`, SARIF `fixes`) and the language server offers them as quick fixes.

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
}

/// A safe, mechanical fix: what it does and its edits (which never overlap one another).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// What the fix does, in a few words (`replace with "ubuntu-latest"`).
    pub title: String,
    /// The edits, in any order.
    pub edits: Vec<Edit>,
}

impl Fix {
    /// A fix that replaces the text of `span` with `text`.
    pub fn replace_span(title: impl Into<String>, span: Span, text: impl Into<String>) -> Self {
        Fix {
            title: title.into(),
            edits: vec![Edit::replace(span.start.offset, span.end.offset, text)],
        }
    }

    /// `source` with the fix applied; `None` when an edit does not fit the text (out of range,
    /// inside a character, or overlapping another), so a stale fix is never half-applied.
    pub fn apply(&self, source: &str) -> Option<String> {
        let mut edits: Vec<&Edit> = self.edits.iter().collect();
        edits.sort_by_key(|e| (e.start, e.end));
        let mut out = String::with_capacity(source.len() + 16);
        let mut at = 0;
        for e in edits {
            if e.start < at
                || e.end < e.start
                || !source.is_char_boundary(e.start)
                || !source.is_char_boundary(e.end)
            {
                return None;
            }
            out.push_str(source.get(at..e.start)?);
            out.push_str(&e.text);
            at = e.end;
        }
        out.push_str(source.get(at..)?);
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_and_refuses_what_does_not_fit() {
        let fix = Fix {
            title: "t".into(),
            edits: vec![Edit::replace(4, 7, "xyz"), Edit::replace(0, 1, "A")],
        };
        assert_eq!(fix.apply("abc def").as_deref(), Some("Abc xyz"));
        assert_eq!(fix.apply("abc").as_deref(), None);
        let overlapping = Fix {
            title: "t".into(),
            edits: vec![Edit::replace(0, 3, "x"), Edit::replace(2, 4, "y")],
        };
        assert_eq!(overlapping.apply("abcdef"), None);
        let in_char = Fix {
            title: "t".into(),
            edits: vec![Edit::replace(1, 1, "x")],
        };
        assert_eq!(in_char.apply("é"), None);
    }
}
