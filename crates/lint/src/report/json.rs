//! The JSON contract, version 1 (documented in docs/json-format.md):
//! `{"version": 1, "files_checked": N, "findings": [{"path", "line", "column", "end_line",
//! "end_column", "rule", "severity", "message", "help"?, "zizmor"?, "zizmor_severity"?,
//! "confidence"?, "fix"?}]}`.
//!
//! The document is pretty-printed as `serde_json`'s pretty printer prints it (two spaces per
//! level). The findings are written field by field at their depth, keys as fixed text and
//! strings escaped as `serde_json` escapes them ([`escape`]): the serializer's generic path,
//! then indenting its output line by line, cost more than the writing itself.

mod escape;

use crate::lint::{Edit, FileResult, Finding, Fix, registry};

/// The contract's version; bumped only on incompatible changes.
pub const VERSION: u32 = 1;

/// Writes a JSON object at depth `depth` (two spaces per level), as the pretty printer does:
/// each member on a line of its own, one level deeper.
struct Object<'o> {
    out: &'o mut String,
    depth: usize,
    empty: bool,
}

impl<'o> Object<'o> {
    /// Starts an object where the cursor is (after a key, or at the start of a line).
    fn open(out: &'o mut String, depth: usize) -> Self {
        out.push('{');
        Object {
            out,
            depth,
            empty: true,
        }
    }

    /// Starts a member: separator, new line, indentation and `"key": `.
    fn key(&mut self, key: &str) -> &mut String {
        self.out.push_str(if self.empty { "\n" } else { ",\n" });
        self.empty = false;
        indent(self.out, self.depth + 1);
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\": ");
        self.out
    }

    /// A string member, escaped.
    fn str(&mut self, key: &str, value: &str) {
        escape::push_str(self.key(key), value);
    }

    /// A number member.
    fn num(&mut self, key: &str, value: impl itoa::Integer) {
        push_num(self.key(key), value);
    }

    /// Ends the object: its closing brace on a line of its own at its depth.
    fn close(self) {
        if self.empty {
            self.out.push('}');
            return;
        }
        self.out.push('\n');
        indent(self.out, self.depth);
        self.out.push('}');
    }
}

fn indent(out: &mut String, depth: usize) {
    const SPACES: &str = "                ";
    match SPACES.get(..2 * depth) {
        Some(spaces) => out.push_str(spaces),
        None => (0..depth).for_each(|_| out.push_str("  ")),
    }
}

/// A number in decimal, without `core::fmt`'s machinery.
fn push_num(out: &mut String, n: impl itoa::Integer) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// `,`, a new line and the indentation of a member of a finding, then its key: what comes
/// before each member's value but the first.
macro_rules! member {
    ($key:literal) => {
        concat!(",\n      \"", $key, "\": ")
    };
}

/// A fix as the contract shows it: its title and edits, each edit as byte offsets into the
/// file and the same range as 1-based line and column (characters), in offset order.
fn write_fix(out: &mut String, depth: usize, lines: &mut Lines, fix: &Fix) {
    let key = |e: &Edit| (e.start, e.end);
    let mut o = Object::open(out, depth);
    o.str("title", &fix.title);
    let out = o.key("edits");
    if fix.edits.is_sorted_by_key(key) {
        write_edits(out, depth + 1, lines, fix.edits.iter());
    } else {
        let mut edits: Vec<_> = fix.edits.iter().collect();
        edits.sort_by_key(|e| key(e));
        write_edits(out, depth + 1, lines, edits.into_iter());
    }
    o.close();
}

/// The array of a fix's `edits` at `depth`, its elements one level deeper.
fn write_edits<'e>(
    out: &mut String,
    depth: usize,
    lines: &mut Lines,
    edits: impl ExactSizeIterator<Item = &'e Edit>,
) {
    if edits.len() == 0 {
        out.push_str("[]");
        return;
    }
    out.push('[');
    for (i, e) in edits.enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        indent(out, depth + 1);
        let (line, column) = lines.pos(e.start);
        let (end_line, end_column) = lines.pos(e.end);
        let mut edit = Object::open(out, depth + 1);
        edit.num("start_offset", e.start);
        edit.num("end_offset", e.end);
        edit.num("line", line);
        edit.num("column", column);
        edit.num("end_line", end_line);
        edit.num("end_column", end_column);
        edit.str("text", &e.text);
        edit.close();
    }
    out.push('\n');
    indent(out, depth);
    out.push(']');
}

/// One finding as an element of `findings` (at depth 2 of the document). `head` is what every
/// finding of the file starts with: its indentation, `{` and the `path` member, up to the value
/// of `line`. The members are written with their keys and indentation as fixed text.
fn write_item(out: &mut String, head: &str, file: &mut File, f: &Finding) {
    let span = f.span;
    let end_column = if span.end.line > span.start.line {
        span.end.col
    } else {
        span.end.col.max(span.start.col)
    };
    out.push_str(head);
    push_num(out, span.start.line);
    out.push_str(member!("column"));
    push_num(out, span.start.col);
    out.push_str(member!("end_line"));
    push_num(out, span.end.line.max(span.start.line));
    out.push_str(member!("end_column"));
    push_num(out, end_column);
    out.push_str(member!("rule"));
    escape::push_str(out, f.rule);
    out.push_str(member!("severity"));
    escape::push_str(out, f.severity.as_str());
    out.push_str(member!("message"));
    escape::push_str(out, &f.message);
    if let Some(help) = &f.help {
        out.push_str(member!("help"));
        escape::push_str(out, help);
    }
    if let Some(audit) = file.zizmor_audit(f.rule) {
        out.push_str(member!("zizmor"));
        escape::push_str(out, audit);
    }
    if let Some(a) = f.audit {
        out.push_str(member!("zizmor_severity"));
        escape::push_str(out, a.severity.as_str());
        out.push_str(member!("confidence"));
        escape::push_str(out, a.confidence.as_str());
    }
    if let Some(fix) = &f.fix {
        out.push_str(member!("fix"));
        write_fix(out, ITEM_DEPTH + 1, &mut file.lines, fix);
    }
    out.push('\n');
    indent(out, ITEM_DEPTH);
    out.push('}');
}

/// What the findings of one file share.
struct File<'r> {
    lines: Lines<'r>,
    /// The last rule looked up in the registry and its zizmor audit: a file's findings come
    /// in runs of the same rule.
    last_rule: (&'static str, Option<&'static str>),
}

impl File<'_> {
    fn zizmor_audit(&mut self, rule: &'static str) -> Option<&'static str> {
        if self.last_rule.0 != rule {
            self.last_rule = (rule, registry::zizmor_audit(rule));
        }
        self.last_rule.1
    }
}

/// Line and column of byte offsets into a file, for fix edits: lines are counted from the
/// last offset asked (the edits of a file come mostly in order), so a file is read up to its
/// last edit at most about once, and only when it has a fix. Answers as
/// [`crate::workflow::position::LineIndex::pos`] does, without indexing every line first.
struct Lines<'s> {
    source: &'s str,
    /// The last offset asked and its 1-based line.
    at: usize,
    line: usize,
}

impl<'s> Lines<'s> {
    fn new(source: &'s str) -> Self {
        Lines {
            source,
            at: 0,
            line: 1,
        }
    }

    /// The 1-based line and column (in characters) of byte `offset`, clamped to the text and
    /// moved back to a character boundary.
    fn pos(&mut self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.source.len());
        while !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        let bytes = self.source.as_bytes();
        if offset >= self.at {
            self.line += newlines(&bytes[self.at..offset]);
        } else {
            self.line -= newlines(&bytes[offset..self.at]);
        }
        self.at = offset;
        let before = &self.source[..offset];
        let start = crate::bytes::rfind(b'\n', before.as_bytes()).map_or(0, |i| i + 1);
        (self.line, before[start..].chars().count() + 1)
    }
}

/// How many `\n` `bytes` holds.
fn newlines(bytes: &[u8]) -> usize {
    crate::bytes::count(b'\n', bytes)
}

/// One file's findings: each an element of the `findings` array, indented as the whole
/// document's pretty printing indents it, separated by commas; empty when it has none.
pub fn part(r: &FileResult) -> String {
    if r.findings.is_empty() {
        return String::new();
    }
    let mut file = File {
        lines: Lines::new(&r.source),
        last_rule: ("", None),
    };
    // The path is escaped once for all the file's findings.
    let mut head = String::with_capacity(r.path.len() + 32);
    indent(&mut head, ITEM_DEPTH);
    head.push_str("{\n");
    indent(&mut head, ITEM_DEPTH + 1);
    head.push_str("\"path\": ");
    escape::push_str(&mut head, &r.path);
    head.push_str(member!("line"));
    // About 800 bytes a finding on the corpus.
    let mut out = String::with_capacity(r.findings.len() * 1024);
    for (i, f) in r.findings.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        write_item(&mut out, &head, &mut file, f);
    }
    out
}

/// The depth of the elements of `findings` in the pretty-printed document.
const ITEM_DEPTH: usize = 2;

/// The document's opening, before the files' parts.
pub(super) fn open(files_checked: usize, out: &mut impl std::io::Write) -> std::io::Result<()> {
    write!(
        out,
        "{{\n  \"version\": {VERSION},\n  \"files_checked\": {files_checked},\n  \"findings\": ["
    )
}

/// One file's part, after the parts before it (`any`: one of them had findings).
pub(super) fn put(part: &str, any: bool, out: &mut impl std::io::Write) -> std::io::Result<()> {
    if part.is_empty() {
        return Ok(());
    }
    out.write_all(if any { b",\n" } else { b"\n" })?;
    out.write_all(part.as_bytes())
}

/// The document's end, after the parts (`any`: one of them had findings).
pub(super) fn close(any: bool, out: &mut impl std::io::Write) -> std::io::Result<()> {
    out.write_all(if any { b"\n  ]\n}\n" } else { b"]\n}\n" })
}

#[cfg(test)]
mod tests;
