//! Human output: one rustc-style diagnostic per finding, with the offending line and a caret.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::lint::{FileResult, Finding, Severity};

/// Renders every finding with a snippet, then a one-line summary.
pub fn render(results: &[FileResult], color: bool) -> String {
    let mut out = String::new();
    let mut counts = [0usize; 3];
    let mut files = 0;
    for r in results {
        out.push_str(&part(r, color));
        for f in &r.findings {
            counts[f.severity as usize] += 1;
        }
        files += usize::from(!r.findings.is_empty());
    }
    out.push_str(&summary(counts, files));
    out
}

/// One file's findings, each with its snippet.
pub fn part(r: &FileResult, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for f in &r.findings {
        out.push_str(&render_one(&renderer, r, f));
        out.push_str("\n\n");
    }
    out
}

/// The last line: findings by severity and the files they are in (nothing when there are none).
pub fn summary(counts: [usize; 3], files: usize) -> String {
    if counts.iter().sum::<usize>() == 0 {
        return String::new();
    }
    format!(
        "{} error{}, {} warning{}, {} note{} in {} file{}\n",
        counts[0],
        plural(counts[0]),
        counts[1],
        plural(counts[1]),
        counts[2],
        plural(counts[2]),
        files,
        plural(files),
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The lines a finding touches, with the finding's byte range made relative to them.
fn excerpt<'a>(source: &'a str, f: &Finding) -> (&'a str, usize, std::ops::Range<usize>) {
    let start = f.span.start.offset.min(source.len());
    let end = f.span.end.offset.clamp(start, source.len());
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    // Show at most the first line of a multi-line node: the caret matters, not the block.
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    let end = end.min(line_end).max(start);
    let mut s = start - line_start;
    let mut e = end - line_start;
    let text = &source[line_start..line_end];
    // Snap to char boundaries (spans are char-exact, but be defensive).
    while s > 0 && !text.is_char_boundary(s) {
        s -= 1;
    }
    while e < text.len() && !text.is_char_boundary(e) {
        e += 1;
    }
    (text, f.span.start.line.max(1) as usize, s..e.max(s))
}

fn render_one(renderer: &Renderer, r: &FileResult, f: &Finding) -> String {
    let level = match f.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    };
    let (text, line, range) = excerpt(&r.source, f);
    let mut groups: Vec<Group<'_>> = vec![
        level.primary_title(f.message.as_str()).id(f.rule).element(
            Snippet::source(text)
                .line_start(line)
                .path(r.path.as_str())
                .annotation(AnnotationKind::Primary.span(range)),
        ),
    ];
    if let Some(help) = &f.help {
        groups.push(Group::with_title(
            Level::HELP.secondary_title(help.as_str()),
        ));
    }
    let fixable;
    if let Some(fix) = &f.fix {
        fixable = format!("`deploy-action lint --fix` can {}", fix.title);
        groups.push(Group::with_title(
            Level::NOTE.secondary_title(fixable.as_str()),
        ));
    }
    renderer.render(&groups).to_string()
}
