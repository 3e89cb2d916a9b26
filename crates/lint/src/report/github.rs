//! GitHub workflow-command annotations: `::error file=F,line=L,col=C,endLine=..,title=..::msg`.

use crate::lint::{FileResult, Severity};

/// Escapes message data: `%`, `\r`, `\n` (GitHub's toolkit `escapeData`).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: data escapes plus `:` and `,` (toolkit `escapeProperty`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Renders one annotation line per finding.
pub fn render(results: &[FileResult]) -> String {
    results.iter().map(part).collect()
}

/// One file's annotations.
pub fn part(r: &FileResult) -> String {
    let mut out = String::new();
    for f in &r.findings {
        let cmd = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut msg = f.message.clone();
        if let Some(h) = &f.help {
            msg.push_str("\nhelp: ");
            msg.push_str(h);
        }
        out.push_str(&format!(
            "::{cmd} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            escape_property(&r.path),
            f.span.start.line,
            f.span.start.col,
            f.span.end.line.max(f.span.start.line),
            f.span.end.col,
            escape_property(&format!("deploy-action {}", f.rule)),
            escape_data(&msg)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape_data("a%b\r\nc"), "a%25b%0D%0Ac");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
