//! The JSON contract, version 1 (documented in docs/json-format.md):
//! `{"version": 1, "files_checked": N, "findings": [{"path", "line", "column", "end_line",
//! "end_column", "rule", "severity", "message", "help"?, "fix"?}]}`.

use serde::Serialize;

use crate::lint::{FileResult, Fix};
use crate::workflow::position::pos_at;

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
    fix: Option<FixItem<'a>>,
}

#[derive(Serialize)]
struct FixItem<'a> {
    title: &'a str,
    edits: Vec<EditItem<'a>>,
}

#[derive(Serialize)]
struct EditItem<'a> {
    start_offset: usize,
    end_offset: usize,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    text: &'a str,
}

/// A fix as the contract shows it: byte offsets into the file, and the same range as 1-based
/// line and column (characters). Only findings with a fix pay for the positions.
fn fix_item<'a>(source: &str, fix: &'a Fix) -> FixItem<'a> {
    let mut edits: Vec<EditItem<'a>> = fix
        .edits
        .iter()
        .map(|e| {
            let (a, b) = (pos_at(source, e.start), pos_at(source, e.end));
            EditItem {
                start_offset: e.start,
                end_offset: e.end,
                line: a.line,
                column: a.col,
                end_line: b.line,
                end_column: b.col,
                text: &e.text,
            }
        })
        .collect();
    edits.sort_by_key(|e| (e.start_offset, e.end_offset));
    FixItem {
        title: &fix.title,
        edits,
    }
}

/// Renders the JSON document (pretty-printed, newline-terminated).
pub fn render(results: &[FileResult], files_checked: usize) -> String {
    let findings = results
        .iter()
        .flat_map(|r| {
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
                fix: f.fix.as_ref().map(|x| fix_item(&r.source, x)),
            })
        })
        .collect();
    let doc = Doc {
        version: VERSION,
        files_checked,
        findings,
    };
    let mut s = serde_json::to_string_pretty(&doc)
        .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()));
    s.push('\n');
    s
}
