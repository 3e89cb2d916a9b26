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
struct Doc<'a> {
    version: u32,
    files_checked: usize,
    findings: Vec<Item<'a>>,
}

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
pub fn render(results: &[FileResult], files_checked: usize) -> String {
    let findings = results
        .iter()
        .flat_map(|r| {
            // Positions of fix edits, by binary search over the lines, built only when needed.
            let lines = if r.findings.iter().any(|f| f.fix.is_some()) {
                LineIndex::new(&r.source)
            } else {
                LineIndex::new("")
            };
            r.findings.iter().map(move |f| Item {
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
            })
        })
        .collect();
    let doc = Doc {
        version: VERSION,
        files_checked,
        findings,
    };
    // About 500 bytes a finding: one allocation instead of a dozen doublings of a large text.
    let mut out = Vec::with_capacity(256 + doc.findings.len() * 512);
    match serde_json::to_writer_pretty(&mut out, &doc) {
        Ok(()) => {
            out.push(b'\n');
            String::from_utf8(out)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
        }
        Err(e) => format!("{{\"error\": {:?}}}\n", e.to_string()),
    }
}
