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
        Format::Human => human::render(results, color),
        Format::Json => json::render(results, files_checked),
        Format::Sarif => sarif::render(results),
        Format::Github => github::render(results),
    }
}
