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

/// Writes the report of `parts` (one per file, in input order) to `out`.
pub fn assemble(
    format: Format,
    parts: &[Part],
    files_checked: usize,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let mut w = Writer::start(format, files_checked, out)?;
    for p in parts {
        w.part(p)?;
    }
    w.finish()
}

/// A report in a format made of the files' parts (human, JSON, GitHub annotations), written as
/// the parts come in input order: a corpus run's JSON is megabytes, and no part need be held
/// once written.
pub struct Writer<'o, W: std::io::Write> {
    format: Format,
    out: &'o mut W,
    /// Findings by severity so far, for the human summary line.
    counts: [usize; 3],
    /// Parts with findings so far.
    files: usize,
}

impl<'o, W: std::io::Write> Writer<'o, W> {
    /// Writes what comes before the parts.
    pub fn start(format: Format, files_checked: usize, out: &'o mut W) -> std::io::Result<Self> {
        if format == Format::Json {
            json::open(files_checked, out)?;
        }
        Ok(Writer {
            format,
            out,
            counts: [0; 3],
            files: 0,
        })
    }

    /// Writes the next file's part.
    pub fn part(&mut self, p: &Part) -> std::io::Result<()> {
        match self.format {
            Format::Json => {
                json::put(&p.text, self.files > 0, self.out)?;
            }
            _ => self.out.write_all(p.text.as_bytes())?,
        }
        for (total, n) in self.counts.iter_mut().zip(p.counts) {
            *total += n;
        }
        // A JSON part is empty exactly when its file has no findings.
        self.files += usize::from(p.counts.iter().sum::<usize>() > 0);
        Ok(())
    }

    /// Writes what comes after the parts.
    pub fn finish(self) -> std::io::Result<()> {
        match self.format {
            Format::Json => json::close(self.files > 0, self.out),
            Format::Human => self
                .out
                .write_all(human::summary(self.counts, self.files).as_bytes()),
            _ => Ok(()),
        }
    }
}
