//! The JSON contract, version 1 (documented in docs/json-format.md):
//! `{"version": 1, "files_checked": N, "findings": [{"path", "line", "column", "end_line",
//! "end_column", "rule", "severity", "message", "help"?}]}`.

use serde::Serialize;

use crate::lint::FileResult;

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
