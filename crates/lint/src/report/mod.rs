//! One renderer per output format, all fed the same findings.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use crate::lint::FileResult;

/// An output format of `lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// rustc-style text with source snippets.
    Human,
    /// The versioned JSON contract (docs/json-format.md).
    Json,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// GitHub workflow-command annotations.
    Github,
}

/// Renders results in `format`. `color` applies to the human format only.
pub fn render(format: Format, results: &[FileResult], files_checked: usize, color: bool) -> String {
    match format {
        Format::Sarif => sarif::render(results),
        _ => {
            let parts: Vec<Part> = results
                .iter()
                .filter_map(|r| Part::of(format, r, color))
                .collect();
            let mut out = Vec::new();
            // Writing to memory cannot fail.
            let _ = assemble(format, &parts, files_checked, &mut out);
            String::from_utf8(out)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
        }
    }
}

/// One file's share of a report in a format that is the files' findings one after another
/// (human, JSON, GitHub annotations), rendered on its own so that each file can be rendered on
/// the worker that linted it; [`assemble`] joins the parts in input order.
#[derive(Debug, Default)]
pub struct Part {
    text: String,
    /// Findings by severity, for the human summary line.
    counts: [usize; 3],
}

impl Part {
    /// The file's part, or `None` for a format rendered as one document (SARIF).
    pub fn of(format: Format, r: &FileResult, color: bool) -> Option<Part> {
        let text = match format {
            Format::Human => human::part(r, color),
            Format::Json => json::part(r),
            Format::Github => github::part(r),
            Format::Sarif => return None,
        };
        let mut counts = [0usize; 3];
        for f in &r.findings {
            counts[f.severity as usize] += 1;
        }
        Some(Part { text, counts })
    }
}

/// Writes the report of `parts` (one per file, in input order) to `out`, streamed rather than
/// built as one text: a corpus run's JSON is megabytes.
pub fn assemble(
    format: Format,
    parts: &[Part],
    files_checked: usize,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => json::assemble(parts.iter().map(|p| p.text.as_str()), files_checked, out),
        _ => {
            for p in parts {
                out.write_all(p.text.as_bytes())?;
            }
            if format != Format::Human {
                return Ok(());
            }
            let mut counts = [0usize; 3];
            for p in parts {
                for (total, n) in counts.iter_mut().zip(p.counts) {
                    *total += n;
                }
            }
            let files = parts
                .iter()
                .filter(|p| p.counts.iter().sum::<usize>() > 0)
                .count();
            out.write_all(human::summary(counts, files).as_bytes())
        }
    }
}
