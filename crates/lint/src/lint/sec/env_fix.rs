//! The fix for template injection in a `run:` script: the `${{ }}` expression moves to the
//! step's `env:` under a name of its own, and the script reads the variable, quoted as the
//! shell needs it (`"${NAME}"` in bash/sh, `${env:NAME}` in PowerShell). The edits are on the
//! source text: the expression is replaced where it is written, and one line is added to the
//! step's `env:` (created when missing). When the script or the YAML around it is of a shape
//! where the rewrite could change what runs (a heredoc, a command substitution, a quoted YAML
//! scalar), there is no fix.

use super::taint;
use crate::expr::ast::Expr;
use crate::lint::{Edit, Fix};
use crate::workflow::position::value_span;
use crate::workflow::yaml::{Kind, Node, Style};

/// Where the expression sits in the shell's quoting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
}

/// The quoting at byte `at` of a POSIX shell script, or `None` when it cannot be known
/// safely (inside a comment, a heredoc, a command substitution or backquotes).
fn posix_quote_at(script: &str, at: usize) -> Option<Quote> {
    let b = script.as_bytes();
    let mut q = Quote::None;
    let mut depth = 0usize;
    let mut i = 0;
    while i < at.min(b.len()) {
        // `${{ ... }}` is replaced by GitHub before the shell runs: skip it whole.
        if b[i..].starts_with(b"${{") {
            i = script[i..].find("}}").map_or(b.len(), |e| i + e + 2);
            continue;
        }
        match (q, b[i]) {
            (Quote::Single, b'\'') => q = Quote::None,
            (Quote::Single, _) => {}
            (_, b'\\') => i += 1,
            (Quote::None, b'\'') => q = Quote::Single,
            (Quote::None, b'"') => q = Quote::Double,
            (Quote::Double, b'"') => q = Quote::None,
            (_, b'`') => return None,
            (_, b'$') if b.get(i + 1) == Some(&b'(') => {
                depth += 1;
                i += 1;
            }
            (Quote::None, b')') => depth = depth.saturating_sub(1),
            (Quote::None, b'<') if b.get(i + 1) == Some(&b'<') && b.get(i + 2) != Some(&b'<') => {
                return None;
            }
            (Quote::None, b'#') if i == 0 || b[i - 1].is_ascii_whitespace() => {
                let end = script[i..].find('\n').map_or(b.len(), |e| i + e);
                if at < end {
                    return None;
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    (depth == 0).then_some(q)
}

/// The same for PowerShell, where only the two quotes matter here.
fn pwsh_quote_at(script: &str, at: usize) -> Option<Quote> {
    let mut q = Quote::None;
    for c in script[..at.min(script.len())].chars() {
        q = match (q, c) {
            (Quote::None, '\'') => Quote::Single,
            (Quote::Single, '\'') => Quote::None,
            (Quote::None, '"') => Quote::Double,
            (Quote::Double, '"') => Quote::None,
            (q, _) => q,
        };
    }
    Some(q)
}

/// The runner's own variable with the same value as a `github` context, if any: the script can
/// read it directly, with no `env:` entry.
fn runner_variable(path: &str) -> Option<String> {
    let name = path.strip_prefix("github.")?;
    let known = [
        "action",
        "actor",
        "api_url",
        "base_ref",
        "event_name",
        "graphql_url",
        "head_ref",
        "job",
        "ref",
        "ref_name",
        "ref_type",
        "repository",
        "repository_owner",
        "run_attempt",
        "run_id",
        "run_number",
        "server_url",
        "sha",
        "triggering_actor",
        "workflow",
    ];
    known
        .contains(&name)
        .then(|| format!("GITHUB_{}", name.to_ascii_uppercase()))
}

/// An environment variable name for a property chain: its last two meaningful parts, in upper
/// snake case (`github.event.issue.title` gives `ISSUE_TITLE`).
pub fn derived_name(chain: &str) -> String {
    // Drop what is inside brackets (`pages[...]`): it is another chain, not a name part.
    // A quoted index (`['title']`) is a name part like `.title`.
    let mut flat = String::new();
    let mut inner = String::new();
    let mut depth = 0usize;
    for c in chain.chars() {
        match c {
            '[' => {
                depth += 1;
                inner.clear();
            }
            ']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 && inner.len() > 1 && inner.starts_with('\'') && inner.ends_with('\'')
                {
                    flat.push('.');
                    flat.push_str(inner.trim_matches('\''));
                }
            }
            _ if depth == 0 => flat.push(c),
            _ => inner.push(c),
        }
    }
    let parts: Vec<&str> = flat
        .split('.')
        .filter(|p| {
            !p.is_empty()
                && *p != "*"
                && !p.bytes().all(|b| b.is_ascii_digit())
                && !matches!(*p, "github" | "event" | "outputs" | "inputs")
        })
        .collect();
    let tail = &parts[parts.len().saturating_sub(2)..];
    let name: String = tail
        .join("_")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    match name.chars().next() {
        None => "VALUE".into(),
        Some(c) if c.is_ascii_digit() => format!("V_{name}"),
        Some(_) => name,
    }
}

/// Names the runner or the shell already gives a meaning to.
fn reserved(name: &str) -> bool {
    name.starts_with("GITHUB_")
        || name.starts_with("RUNNER_")
        || name.starts_with("ACTIONS_")
        || matches!(
            name,
            "CI" | "HOME" | "PATH" | "PWD" | "SHELL" | "USER" | "IFS" | "LANG" | "TERM" | "VALUE"
        )
}

/// The value of `name` in the `env:` of `owner`, if set.
fn env_value<'a>(owner: Option<&'a Node>, name: &str) -> Option<&'a Node> {
    owner?.get("env")?.get(name)
}

/// A YAML scalar for `text` in block context: plain when that reads back the same, else
/// single-quoted.
fn yaml_scalar(text: &str, flow: bool) -> String {
    let plain_ok = !flow
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.starts_with([
            '\'', '"', '&', '*', '!', '|', '>', '%', '@', '`', '#', '-', '?', ':',
        ])
        && text.trim() == text;
    if plain_ok {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

fn line_start(source: &str, at: usize) -> usize {
    source[..at.min(source.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1)
}

fn line_end(source: &str, at: usize) -> usize {
    let at = at.min(source.len());
    source[at..].find('\n').map_or(source.len(), |i| at + i)
}

/// The edit that adds `NAME: value` to the step's `env:`, creating `env:` when missing.
fn env_edit(source: &str, step: &Node, name: &str, value: &str) -> Option<Edit> {
    match step.entry("env") {
        Some((_, env)) if env.from_alias => None,
        Some((_, env)) => match &env.kind {
            Kind::Map(entries) if source.get(env.span.start.offset..)?.starts_with('{') => {
                let entry = format!("{name}: {}", yaml_scalar(value, true));
                let text = if entries.is_empty() {
                    entry
                } else {
                    format!(" {entry},")
                };
                Some(Edit::insert(env.span.start.offset + 1, text))
            }
            Kind::Map(entries) => {
                let (first, _) = entries.first()?;
                let start = line_start(source, first.span.start.offset);
                let indent = source.get(start..first.span.start.offset)?;
                if !indent.chars().all(|c| c == ' ') {
                    return None;
                }
                let entry = format!("{indent}{name}: {}\n", yaml_scalar(value, false));
                Some(Edit::insert(start, entry))
            }
            _ => None,
        },
        None => {
            // A block step: its keys start at its first key's column.
            let start = line_start(source, step.span.start.offset);
            let before = source.get(start..step.span.start.offset)?;
            if !before
                .trim_start_matches(' ')
                .trim_start_matches("- ")
                .chars()
                .all(|c| c == ' ')
            {
                return None;
            }
            let indent = " ".repeat(before.chars().count());
            let text =
                source.get(step.span.start.offset..step.span.end.offset.min(source.len()))?;
            let last = text.trim_end().len();
            if last == 0 {
                return None;
            }
            let at = line_end(source, step.span.start.offset + last - 1);
            Some(Edit::insert(
                at,
                format!(
                    "\n{indent}env:\n{indent}  {name}: {}",
                    yaml_scalar(value, false)
                ),
            ))
        }
    }
}

/// What one injection is.
pub struct Injection<'a> {
    /// The step.
    pub step: &'a Node,
    /// Its job, for the job's `env:`.
    pub job: Option<&'a Node>,
    /// The workflow root, for the workflow's `env:`.
    pub workflow: Option<&'a Node>,
    /// The `run:` scalar.
    pub run: &'a Node,
    /// The shell, normalised (`bash`, `pwsh`).
    pub shell: &'a str,
    /// The whole `${{ }}` in the script's value (byte range).
    pub whole: (usize, usize),
    /// The expression's syntax tree (the fix needs it to be one context).
    pub ast: &'a Expr,
    /// The expression's text (between `${{` and `}}`).
    pub inner: &'a str,
}

/// The fix for one injection, when it can be made safely.
pub fn fix(source: &str, inj: &Injection<'_>) -> Option<Fix> {
    let posix = matches!(inj.shell, "bash" | "sh" | "zsh");
    let pwsh = matches!(inj.shell, "pwsh" | "powershell");
    if !posix && !pwsh {
        return None;
    }
    let style = match &inj.run.kind {
        Kind::Scalar { style, .. } => *style,
        _ => return None,
    };
    if inj.run.from_alias || style == Style::Quoted {
        return None;
    }
    let script = inj.run.as_str()?;
    let (ws, we) = inj.whole;
    if style == Style::Plain && script[..ws].trim().is_empty() {
        // `run: ${{ x }}` would become a quoted YAML scalar, not a quoted shell word.
        return None;
    }
    let path = super::context_path(inj.ast)?;
    let quote = if posix {
        posix_quote_at(script, ws)?
    } else {
        pwsh_quote_at(script, ws)?
    };
    let expr_text = script.get(ws..we)?;
    // The variable, and the `env:` entry it needs, if any.
    let (name, entry) = if let Some(n) = taint::env_name(inj.ast, inj.inner) {
        (n, false)
    } else if let Some(n) = runner_variable(&path) {
        (n, false)
    } else {
        let base = derived_name(&path);
        let mut chosen = None;
        for i in 1..100 {
            let candidate = if i == 1 {
                base.clone()
            } else {
                format!("{base}_{i}")
            };
            let here = env_value(Some(inj.step), &candidate);
            if here.and_then(Node::as_str) == Some(expr_text) {
                chosen = Some((candidate, false));
                break;
            }
            let elsewhere =
                env_value(inj.job, &candidate).or_else(|| env_value(inj.workflow, &candidate));
            let in_script = script.contains(candidate.as_str());
            if here.is_none() && elsewhere.is_none() && !in_script && !reserved(&candidate) {
                chosen = Some((candidate, true));
                break;
            }
        }
        chosen?
    };
    let replacement = match (posix, quote) {
        (true, Quote::None) => format!("\"${{{name}}}\""),
        (true, Quote::Double) => format!("${{{name}}}"),
        (true, Quote::Single) => format!("'\"${{{name}}}\"'"),
        (false, Quote::Single) => return None,
        (false, _) => format!("${{env:{name}}}"),
    };
    let span = value_span(source, inj.run, ws, we);
    if source.get(span.start.offset..span.end.offset) != Some(expr_text) {
        return None;
    }
    let mut edits = vec![Edit::replace(
        span.start.offset,
        span.end.offset,
        replacement,
    )];
    if entry {
        edits.push(env_edit(source, inj.step, &name, expr_text)?);
    }
    Some(Fix {
        title: format!("move `{expr_text}` to the step's `env:` as {name}"),
        edits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(derived_name("github.event.issue.title"), "ISSUE_TITLE");
        assert_eq!(
            derived_name("github.event.commits[0].author.name"),
            "AUTHOR_NAME"
        );
        assert_eq!(
            derived_name("github.event['issue']['title']"),
            "ISSUE_TITLE"
        );
        assert_eq!(derived_name("steps.meta.outputs.tags"), "META_TAGS");
        assert_eq!(derived_name("inputs.version"), "VERSION");
        assert_eq!(derived_name("github"), "VALUE");
    }

    #[test]
    fn quoting() {
        let s = "echo \"a ${{ x }}\" '${{ y }}' ${{ z }}";
        assert_eq!(
            posix_quote_at(s, s.find("${{ x").unwrap_or(0)),
            Some(Quote::Double)
        );
        assert_eq!(
            posix_quote_at(s, s.find("${{ y").unwrap_or(0)),
            Some(Quote::Single)
        );
        assert_eq!(
            posix_quote_at(s, s.find("${{ z").unwrap_or(0)),
            Some(Quote::None)
        );
        let h = "cat <<EOF\n${{ x }}\nEOF";
        assert_eq!(posix_quote_at(h, h.find("${{").unwrap_or(0)), None);
        let c = "x=$(echo ${{ y }})";
        assert_eq!(posix_quote_at(c, c.find("${{").unwrap_or(0)), None);
        let m = "# ${{ y }}\necho";
        assert_eq!(posix_quote_at(m, 2), None);
    }

    #[test]
    fn yaml_values() {
        assert_eq!(yaml_scalar("${{ a.b }}", false), "${{ a.b }}");
        assert_eq!(yaml_scalar("${{ a.b }}", true), "'${{ a.b }}'");
        assert_eq!(yaml_scalar("${{ a['b'] }}", true), "'${{ a[''b''] }}'");
    }
}
