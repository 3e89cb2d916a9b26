//! The JSON contract, version 1 (documented in docs/json-format.md):
//! `{"version": 1, "files_checked": N, "findings": [{"path", "line", "column", "end_line",
//! "end_column", "rule", "severity", "message", "help"?, "zizmor"?, "zizmor_severity"?,
//! "confidence"?, "fix"?}]}`.

use serde::Serialize;

use crate::lint::{FileResult, Fix, registry};
use crate::workflow::position::LineIndex;

/// The contract's version; bumped only on incompatible changes.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Item<'a> {
    path: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    rule: &'a str,
    severity: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    zizmor: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    zizmor_severity: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    confidence: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<FixItem>,
}

#[derive(Serialize)]
struct FixItem {
    title: String,
    edits: Vec<EditItem>,
}

#[derive(Serialize)]
struct EditItem {
    start_offset: usize,
    end_offset: usize,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    text: String,
}

/// A fix as the contract shows it: byte offsets into the file, and the same range as
/// 1-based line and column (characters).
fn fix_item(source: &str, lines: &LineIndex, fix: &Fix) -> FixItem {
    let mut edits: Vec<EditItem> = fix
        .edits
        .iter()
        .map(|e| {
            let (a, b) = (lines.pos(source, e.start), lines.pos(source, e.end));
            EditItem {
                start_offset: e.start,
                end_offset: e.end,
                line: a.line,
                column: a.col,
                end_line: b.line,
                end_column: b.col,
                text: e.text.clone(),
            }
        })
        .collect();
    edits.sort_by_key(|e| (e.start_offset, e.end_offset));
    FixItem {
        title: fix.title.clone(),
        edits,
    }
}

/// Renders the JSON document (pretty-printed, newline-terminated).
/// The whole document, as `serde_json`'s pretty printer writes it.
pub fn render(results: &[FileResult], files_checked: usize) -> String {
    let parts: Vec<String> = results.iter().map(part).collect();
    let mut out = Vec::new();
    // Writing to memory cannot fail.
    let _ = assemble(parts.iter().map(String::as_str), files_checked, &mut out);
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// One file's findings: each an element of the `findings` array, indented as the whole
/// document's pretty printing indents it, separated by commas; empty when it has none.
pub fn part(r: &FileResult) -> String {
    // Positions of fix edits, by binary search over the lines, built only when needed.
    let lines = if r.findings.iter().any(|f| f.fix.is_some()) {
        LineIndex::new(&r.source)
    } else {
        LineIndex::new("")
    };
    let mut out = Vec::with_capacity(r.findings.len() * 512);
    let mut item = Vec::with_capacity(1024);
    for (i, f) in r.findings.iter().enumerate() {
        let it = Item {
            path: &r.path,
            line: f.span.start.line,
            column: f.span.start.col,
            end_line: f.span.end.line.max(f.span.start.line),
            end_column: if f.span.end.line > f.span.start.line {
                f.span.end.col
            } else {
                f.span.end.col.max(f.span.start.col)
            },
            rule: f.rule,
            severity: f.severity.as_str(),
            message: &f.message,
            help: f.help.as_deref(),
            zizmor: registry::zizmor_audit(f.rule),
            zizmor_severity: f.audit.map(|a| a.severity.as_str()),
            confidence: f.audit.map(|a| a.confidence.as_str()),
            fix: f.fix.as_ref().map(|x| fix_item(&r.source, &lines, x)),
        };
        item.clear();
        if let Err(e) = serde_json::to_writer_pretty(&mut item, &it) {
            item = format!("{{\"error\": {:?}}}", e.to_string()).into_bytes();
        }
        if i > 0 {
            out.extend_from_slice(b",\n");
        }
        out.extend_from_slice(ITEM_INDENT);
        // The pretty printer's newlines are all between tokens (a string's are escaped): each
        // one gets the array's indentation.
        for (n, line) in item.split(|b| *b == b'\n').enumerate() {
            if n > 0 {
                out.push(b'\n');
                out.extend_from_slice(ITEM_INDENT);
            }
            out.extend_from_slice(line);
        }
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Where the elements of `findings` stand in the pretty-printed document.
const ITEM_INDENT: &[u8] = b"    ";

/// Writes the document around the files' [`part`]s, in order.
pub fn assemble<'p>(
    parts: impl Iterator<Item = &'p str>,
    files_checked: usize,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    write!(
        out,
        "{{\n  \"version\": {VERSION},\n  \"files_checked\": {files_checked},\n  \"findings\": ["
    )?;
    let mut any = false;
    for p in parts.filter(|p| !p.is_empty()) {
        out.write_all(if any { b",\n" } else { b"\n" })?;
        out.write_all(p.as_bytes())?;
        any = true;
    }
    out.write_all(if any { b"\n  ]\n}\n" } else { b"]\n}\n" })
}
