//! `glob`: branch, tag and path filter patterns: GitHub's filter glob syntax (`*`, `**`, `?`,
//! `+`, `[...]`, leading `!`, `\` escapes) and git's ref-name rules for branches and tags.

use crate::expr::has_expr;
use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::Workflow;
use crate::workflow::yaml::{Kind, Node, Span};

/// The `glob` rule: Branch, tag and path filter patterns.
pub struct Glob;

static META: RuleMeta = RuleMeta {
    id: "glob",
    zizmor: None,
    actionlint: Some("glob"),
    summary: "Branch, tag and path filter patterns",
    severity: Severity::Error,
    actionlint_also: &[],
};

const NOTE: &str = "note: filter pattern syntax is explained at https://docs.github.com/en/actions/using-workflows/workflow-syntax-for-github-actions#filter-pattern-cheat-sheet";

/// What a pattern filters: refs follow git's ref-name rules, paths don't.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Branch or tag names.
    Ref,
    /// File paths.
    Path,
}

/// A problem in a pattern, at a character offset.
#[derive(Debug, PartialEq, Eq)]
pub struct GlobError {
    /// Character offset within the pattern.
    pub at: usize,
    /// What is wrong.
    pub message: String,
}

/// Validates one filter pattern.
pub fn validate(pat: &str, target: Target) -> Vec<GlobError> {
    let mut errs = Vec::new();
    if pat.trim() != pat && (target == Target::Path || pat.ends_with('\n')) {
        errs.push(GlobError {
            at: 0,
            message: "leading and trailing spaces are not allowed in glob path".into(),
        });
        return errs;
    }
    let chars: Vec<char> = pat.chars().collect();
    let mut i = 0;
    if chars.first() == Some(&'!') {
        if chars.len() == 1 {
            errs.push(GlobError {
                at: 0,
                message: "invalid glob pattern. unexpected character '!' while checking ! at first character (negate pattern). at least one character must follow !".into(),
            });
            return errs;
        }
        i = 1;
    }
    if target == Target::Path {
        let body: String = chars[i..].iter().collect();
        if body.split('/').any(|c| c == "." || c == "..") {
            errs.push(GlobError {
                at: i,
                message: "'.' and '..' are not allowed in glob path".into(),
            });
        }
    }
    if target == Target::Ref && chars.get(i) == Some(&'/') {
        errs.push(ref_char(i, '/', "ref name must not start with /"));
    }
    let mut prev_special = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                match chars.get(i + 1) {
                    Some(n) if "[?+*\\!".contains(*n) => i += 1,
                    _ if target == Target::Ref => errs.push(ref_char(
                        i,
                        '\\',
                        "only special characters [, ?, +, *, \\, ! can be escaped with \\",
                    )),
                    None => errs.push(GlobError {
                        at: i,
                        message: "invalid glob pattern. unexpected EOF while checking escape \\"
                            .into(),
                    }),
                    _ => i += 1,
                }
                prev_special = false;
            }
            '*' | '?' => prev_special = true,
            '+' => {
                if prev_special || i == 0 {
                    errs.push(GlobError {
                        at: i,
                        message: "invalid glob pattern. unexpected character '+' while checking special character + (one or more). the preceding character must not be special character".into(),
                    });
                }
                prev_special = true;
            }
            '[' => {
                match class_end(&chars, i) {
                    Ok(end) => i = end,
                    Err(e) => {
                        errs.push(e);
                        return errs;
                    }
                }
                prev_special = false;
            }
            ' ' | '~' | '^' | ':' if target == Target::Ref => {
                errs.push(ref_char(
                    i,
                    c,
                    "ref name cannot contain spaces, ~, ^, :, [, ?, *",
                ));
                prev_special = false;
            }
            _ => prev_special = false,
        }
        i += 1;
    }
    if target == Target::Ref
        && chars.len() > 1
        && let Some(&last) = chars.last()
        && (last == '/' || last == '.')
    {
        errs.push(ref_char(
            chars.len() - 1,
            last,
            "ref name must not end with / and .",
        ));
    }
    errs
}

fn ref_char(at: usize, c: char, why: &str) -> GlobError {
    GlobError {
        at,
        message: format!(
            "character '{c}' is invalid for branch and tag names. {why}. see `man git-check-ref-format` for more details. note that regular expression is unavailable"
        ),
    }
}

/// Finds the closing `]` of a class starting at `start`, checking ranges on the way.
fn class_end(chars: &[char], start: usize) -> Result<usize, GlobError> {
    let mut i = start + 1;
    let mut count = 0;
    while i < chars.len() {
        match chars[i] {
            ']' if count > 0 => {
                if count == 1 && i == start + 2 {
                    return Err(GlobError {
                        at: i,
                        message: format!(
                            "invalid glob pattern. unexpected character ']' while checking character match []. character match with single character is useless. simply use {} instead of [{}]",
                            chars[start + 1],
                            chars[start + 1]
                        ),
                    });
                }
                return Ok(i);
            }
            '\\' => i += 1,
            c if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|e| *e != ']') => {
                let e = chars[i + 2];
                if c > e {
                    return Err(GlobError {
                        at: i + 2,
                        message: format!(
                            "invalid glob pattern. unexpected character '{e}' while checking character range in []. start of range '{c}' ({}) is larger than end of range '{e}' ({})",
                            c as u32, e as u32
                        ),
                    });
                }
                i += 2;
            }
            _ => {}
        }
        count += 1;
        i += 1;
    }
    Err(GlobError { at: chars.len(), message: "invalid glob pattern. unexpected EOF while checking end of character match []. missing ]".into() })
}

fn check_list(cx: &mut Ctx<'_>, list: &Node, target: Target) {
    let items: Vec<&Node> = match &list.kind {
        Kind::Seq(items) => items.iter().collect(),
        Kind::Scalar { .. } => vec![list],
        Kind::Map(_) => return,
    };
    for item in items {
        let Some(pat) = item.as_str() else { continue };
        if pat.is_empty() || has_expr(&pat) {
            continue;
        }
        for e in validate(pat, target) {
            // Point at the character when the scalar is written on one line.
            let mut span: Span = item.span;
            if item.span.start.line == item.span.end.line {
                let quoted = item.span.end.offset - item.span.start.offset > pat.len();
                span.start.col += e.at as u32 + u32::from(quoted);
                span.start.offset += e.at + usize::from(quoted);
            }
            cx.report(span, format!("{}. {NOTE}", e.message));
        }
    }
}

impl Rule for Glob {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn job(&self, _wf: &Workflow<'_>, job: &crate::workflow::model::Job<'_>, cx: &mut Ctx<'_>) {
        // A snapshot's `version` is a pattern like `1.*`.
        if let Some(v) = job.get("snapshot").and_then(|s| s.get("version")) {
            check_list(cx, v, Target::Path);
        }
    }

    fn workflow(&self, wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        for ev in &wf.events {
            let Some(cfg) = ev.config else { continue };
            if ev.name == "image_version"
                && let Some(list) = cfg.get("versions")
            {
                check_list(cx, list, Target::Path);
            }
            for (key, target) in [
                ("branches", Target::Ref),
                ("branches-ignore", Target::Ref),
                ("tags", Target::Ref),
                ("tags-ignore", Target::Ref),
                ("paths", Target::Path),
                ("paths-ignore", Target::Path),
            ] {
                if let Some(list) = cfg.get(key) {
                    check_list(cx, list, target);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_patterns() {
        for p in [
            "main",
            "releases/**",
            "v[0-9]+.[0-9]+",
            "!docs/**",
            "feature/*",
            "**.js",
            "v1.*",
        ] {
            assert!(
                validate(p, Target::Ref).is_empty() || p.ends_with(".js"),
                "{p}"
            );
        }
        assert!(validate("docs/**/*.md", Target::Path).is_empty());
    }

    #[test]
    fn invalid_patterns() {
        assert_eq!(validate("^foo-", Target::Ref).len(), 1);
        assert_eq!(validate("v*+", Target::Ref)[0].at, 2);
        assert_eq!(validate("v[9-1]", Target::Ref)[0].at, 4);
        assert_eq!(validate("./foo/bar.txt", Target::Path).len(), 1);
        assert_eq!(validate("!", Target::Path).len(), 1);
        assert_eq!(validate("[abc", Target::Path).len(), 1);
        assert_eq!(validate(" foo", Target::Path).len(), 1);
    }
}
