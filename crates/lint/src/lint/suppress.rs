//! Inline suppression.
//!
//! - `# deploy-action: ignore[rule-id, other-id]` on the offending line or on the line above it
//!   silences those rules there; `# deploy-action: ignore` silences every rule.
//! - `# zizmor: ignore[audit-id, ...]`, zizmor's own syntax, silences the rule that covers that
//!   audit (its `zizmor` metadata), so teams moving from zizmor keep their suppressions. As in
//!   zizmor, the comment counts on any line of the construct the finding is about (the step of
//!   a script finding, say), not on the line above; a `#` inside a block scalar is text, not a
//!   comment.

use super::{Finding, registry};

const MARKER: &str = "deploy-action: ignore";
const ZIZMOR_MARKER: &str = "zizmor: ignore[";
/// What both markers hold.
const COMMON: &str = ": ignore";

/// The rules a comment on this line suppresses: `None` when it has no marker, `Some(empty)` for all.
fn suppressed_on(line: &str) -> Option<Vec<&str>> {
    let hash = line.find('#')?;
    let comment = &line[hash..];
    let at = comment.find(MARKER)?;
    let rest = &comment[at + MARKER.len()..];
    match rest.strip_prefix('[') {
        Some(list) => Some(split_list(list)),
        None => Some(Vec::new()),
    }
}

fn split_list(list: &str) -> Vec<&str> {
    let list = list.split(']').next().unwrap_or("");
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// The zizmor audits a YAML comment on this line ignores (empty when none).
fn zizmor_ignored(line: &str) -> Vec<&str> {
    let Some(comment) = comment_of(line) else {
        return Vec::new();
    };
    match comment.find(ZIZMOR_MARKER) {
        Some(at) => split_list(&comment[at + ZIZMOR_MARKER.len()..]),
        None => Vec::new(),
    }
}

/// The YAML comment of a line: from a `#` at the start or after white space, outside quotes.
fn comment_of(line: &str) -> Option<&str> {
    // Most lines hold no `#` at all: one byte search answers for them.
    crate::bytes::find(b'#', line.as_bytes())?;
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '#' && prev.is_whitespace() => return Some(&line[i..]),
            None if (c == '"' || c == '\'') && (prev.is_whitespace() || prev == ':') => {
                quote = Some(c)
            }
            None => {}
        }
        prev = c;
    }
    None
}

/// For each line, whether it is the body of a block scalar (`run: |`), where `#` is text.
fn block_body_lines(lines: &[&str]) -> Vec<bool> {
    let mut body = vec![false; lines.len()];
    let mut block_indent: Option<usize> = None;
    for (i, line) in lines.iter().enumerate() {
        let indent = line.len() - line.trim_start().len();
        if let Some(key_indent) = block_indent {
            if line.trim().is_empty() || indent > key_indent {
                body[i] = true;
                continue;
            }
            block_indent = None;
        }
        let value = match comment_of(line) {
            Some(c) => &line[..line.len() - c.len()],
            None => line,
        };
        let value = value.trim_end();
        let header = value.trim_end_matches(|c: char| c.is_ascii_digit() || c == '+' || c == '-');
        let keyed = header.ends_with(": |") || header.ends_with(": >");
        let item = header.ends_with("- |") || header.ends_with("- >");
        if keyed || item || header == "|" || header == ">" {
            // The body is indented past its parent: the key, which a `- ` item puts after the
            // dash.
            let trimmed = value.trim_start();
            let dash = trimmed.starts_with("- ");
            block_indent = Some(if dash && keyed { indent + 2 } else { indent });
        }
    }
    body
}

/// Drops findings suppressed by inline comments.
pub fn apply(source: &str, findings: &mut Vec<Finding>) {
    // Most files hold neither marker: one SIMD search for what both hold says so, without a
    // look at lines.
    let bytes = source.as_bytes();
    if memchr::memmem::find(bytes, COMMON.as_bytes()).is_none() {
        return;
    }
    let ours = memchr::memmem::find(bytes, MARKER.as_bytes()).is_some();
    let zizmor = memchr::memmem::find(bytes, ZIZMOR_MARKER.as_bytes()).is_some();
    if !ours && !zizmor {
        return;
    }
    let lines: Vec<&str> = source.lines().collect();
    if ours {
        let covers = |line_no: u32, rule: &str| -> bool {
            let idx = line_no as usize;
            // The finding's own line (1-based) and the line above it.
            [idx.checked_sub(1), idx.checked_sub(2)]
                .into_iter()
                .flatten()
                .filter_map(|i| lines.get(i))
                .filter_map(|l| suppressed_on(l))
                .any(|rules| rules.is_empty() || rules.contains(&rule))
        };
        findings.retain(|f| !covers(f.span.start.line, f.rule));
    }
    if zizmor {
        let body = block_body_lines(&lines);
        // Each line's ignored audits, read once: a finding's scope spans many lines, and many
        // findings share them.
        // A line without the marker ignores nothing: one search says so before its comment is
        // looked for.
        let marker = memchr::memmem::Finder::new(ZIZMOR_MARKER);
        let ignored: Vec<Vec<&str>> = lines
            .iter()
            .zip(&body)
            .map(|(l, in_body)| {
                if *in_body || marker.find(l.as_bytes()).is_none() {
                    Vec::new()
                } else {
                    zizmor_ignored(l)
                }
            })
            .collect();
        let ignored_at = |line_no: u32| -> &[&str] {
            let i = (line_no as usize).wrapping_sub(1);
            ignored.get(i).map_or(&[], Vec::as_slice)
        };
        findings.retain(|f| {
            let Some(audit) = registry::zizmor_audit(f.rule) else {
                return true;
            };
            let (first, last) = match f.scope {
                Some(s) => (
                    s.start.line.min(f.span.start.line),
                    s.end.line.max(f.span.start.line),
                ),
                None => (f.span.start.line, f.span.start.line),
            };
            !(first..=last).any(|l| ignored_at(l).contains(&audit))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_markers() {
        assert_eq!(
            suppressed_on("x: 1 # deploy-action: ignore[a, b]"),
            Some(vec!["a", "b"])
        );
        assert_eq!(suppressed_on("# deploy-action: ignore"), Some(vec![]));
        assert_eq!(suppressed_on("x: 1 # other"), None);
    }

    #[test]
    fn zizmor_markers_are_comments_only() {
        assert_eq!(
            zizmor_ignored("run: x # zizmor: ignore[a,b] because"),
            vec!["a", "b"]
        );
        assert!(zizmor_ignored("run: 'x # zizmor: ignore[a]'").is_empty());
        assert!(zizmor_ignored("run: x#zizmor: ignore[a]").is_empty());
    }

    #[test]
    fn block_bodies() {
        let lines = [
            "steps:",
            "  - run: | # c",
            "      echo # zizmor: ignore[x]",
            "",
            "      more",
            "    env: {}",
            "  - run: >-",
            "      a",
            "  - x: 1",
        ];
        assert_eq!(
            block_body_lines(&lines),
            vec![false, false, true, true, true, false, false, true, false]
        );
    }
}
