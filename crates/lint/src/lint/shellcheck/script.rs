//! One `run:` script as shellcheck sees it: the shell dialect, the options the runner starts the
//! shell with, expressions masked, and the way back from shellcheck's line and column to the
//! script's own.

use crate::expr::find_expressions;
use crate::expr::has_expr;

/// The shell dialects shellcheck is run for (GitHub's `bash` and `sh`, or a custom command
/// starting one of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dialect {
    /// `bash` (the default shell of Linux and macOS runners).
    Bash,
    /// `sh`.
    Sh,
}

impl Dialect {
    /// The name shellcheck's `--shell` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Bash => "bash",
            Dialect::Sh => "sh",
        }
    }
}

/// How a `shell:` value runs a script, when it is one shellcheck checks: the dialect and the
/// `set` line matching the options the runner passes (`bash` is run as
/// `bash --noprofile --norc -eo pipefail {0}`, `sh` as `sh -e {0}`; a custom command with its
/// own flags). `None` for PowerShell, Python, cmd, a shell chosen by an expression, or anything
/// else.
pub fn shell_of(shell: &str) -> Option<(Dialect, String)> {
    let shell = shell.trim();
    if has_expr(&shell) {
        return None;
    }
    let mut words = shell.split_whitespace();
    let program = words.next()?;
    let name = program.rsplit('/').next().unwrap_or(program);
    let dialect = match name {
        "bash" => Dialect::Bash,
        "sh" => Dialect::Sh,
        _ => return None,
    };
    let rest: Vec<&str> = words.collect();
    if rest.is_empty() {
        // The runner's own command lines for the two names.
        let set = match dialect {
            Dialect::Bash => "set -eo pipefail",
            Dialect::Sh => "set -e",
        };
        return Some((dialect, set.to_string()));
    }
    // A custom command (`bash -e {0}`): its single-letter flags and `-o NAME` options.
    let mut flags = String::new();
    let mut options = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        let w = rest[i];
        if let Some(letters) = w.strip_prefix('-').filter(|l| !l.starts_with('-')) {
            for c in letters.chars() {
                if c == 'o' {
                    if let Some(opt) = rest.get(i + 1) {
                        options.push(*opt);
                        i += 1;
                    }
                } else if "euxv".contains(c) && !flags.contains(c) {
                    flags.push(c);
                }
            }
        }
        i += 1;
    }
    let mut set = String::from(":");
    if !flags.is_empty() || !options.is_empty() {
        set = format!("set -{flags}");
        if flags.is_empty() {
            set = "set".to_string();
        }
        for o in options {
            set.push_str(" -o ");
            set.push_str(o);
        }
    }
    Some((dialect, set))
}

/// `text` with every `${{ ... }}` replaced by underscores, one per character, line breaks kept:
/// each line keeps its length in characters, so shellcheck's columns are the script's, and
/// `if ${{ x }}; then` still parses.
pub fn mask_expressions(text: &str) -> String {
    let found = find_expressions(text);
    if found.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in found {
        let (start, end) = (e.whole.start, e.whole.end.min(text.len()));
        if start < at {
            continue;
        }
        out.push_str(text.get(at..start).unwrap_or_default());
        for c in text.get(start..end).unwrap_or_default().chars() {
            out.push(if c == '\n' || c == '\r' { c } else { '_' });
        }
        at = end;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    out
}

/// The file handed to shellcheck for a masked script: the script's leading comment and blank
/// lines first (so a `# shellcheck disable=...` there still covers the whole script), then the
/// runner's `set` line, then the rest of the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The file's text.
    pub text: String,
    /// The 1-based line of the `set` line in it.
    pub set_line: u32,
}

impl Prepared {
    /// Builds the file for `masked` with the `set` line `set`.
    pub fn new(masked: &str, set: &str) -> Prepared {
        let mut head = 0;
        let mut lines = 0u32;
        for line in masked.split_inclusive('\n') {
            let t = line.trim();
            if !(t.is_empty() || t.starts_with('#')) || !line.ends_with('\n') {
                break;
            }
            head += line.len();
            lines += 1;
        }
        let mut text = String::with_capacity(masked.len() + set.len() + 2);
        text.push_str(&masked[..head]);
        text.push_str(set);
        text.push('\n');
        text.push_str(&masked[head..]);
        if !text.ends_with('\n') {
            text.push('\n');
        }
        Prepared {
            text,
            set_line: lines + 1,
        }
    }

    /// The script's 1-based line for line `line` of the file; `None` for the `set` line.
    pub fn script_line(&self, line: u32) -> Option<u32> {
        match line.cmp(&self.set_line) {
            std::cmp::Ordering::Less => Some(line),
            std::cmp::Ordering::Equal => None,
            std::cmp::Ordering::Greater => Some(line - 1),
        }
    }
}

/// The byte offset in `text` of 1-based `line` and character column `col`, clamped to the end
/// of that line (shellcheck may point just past it) and to the end of the text.
pub fn offset_of(text: &str, line: u32, col: u32) -> usize {
    let mut start = 0;
    for _ in 1..line.max(1) {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line_text = &text[start..];
    let line_end = line_text.find('\n').unwrap_or(line_text.len());
    let line_text = &line_text[..line_end];
    let skip = col.saturating_sub(1) as usize;
    let within = line_text
        .char_indices()
        .nth(skip)
        .map_or(line_text.len(), |(i, _)| i);
    start + within
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shells_and_their_set_lines() {
        assert_eq!(
            shell_of("bash"),
            Some((Dialect::Bash, "set -eo pipefail".into()))
        );
        assert_eq!(shell_of(" sh "), Some((Dialect::Sh, "set -e".into())));
        assert_eq!(
            shell_of("bash -e {0}"),
            Some((Dialect::Bash, "set -e".into()))
        );
        assert_eq!(
            shell_of("/usr/bin/bash --noprofile --norc -eo pipefail {0}"),
            Some((Dialect::Bash, "set -e -o pipefail".into()))
        );
        assert_eq!(shell_of("sh {0}"), Some((Dialect::Sh, ":".into())));
        assert_eq!(shell_of("pwsh"), None);
        assert_eq!(shell_of("python"), None);
        assert_eq!(shell_of("${{ matrix.shell }}"), None);
        assert_eq!(shell_of(""), None);
    }

    #[test]
    fn expressions_are_masked_to_the_same_length() {
        let s = "echo ${{ github.ref }} and ${{ 'é' }}\nif ${{ x\n }}; then :; fi";
        let m = mask_expressions(s);
        assert_eq!(
            m,
            "echo _________________ and __________\nif _____\n___; then :; fi"
        );
        for (a, b) in s.lines().zip(m.lines()) {
            assert_eq!(a.chars().count(), b.chars().count());
        }
        assert_eq!(mask_expressions("no exprs"), "no exprs");
        // An unterminated `${{` is masked to the end, as it is an expression error anyway.
        assert_eq!(mask_expressions("a ${{ b"), "a _____");
    }

    #[test]
    fn the_set_line_follows_leading_comments() {
        let p = Prepared::new("# shellcheck disable=SC2086\n\necho $x\n", "set -e");
        assert_eq!(p.text, "# shellcheck disable=SC2086\n\nset -e\necho $x\n");
        assert_eq!(p.set_line, 3);
        assert_eq!(p.script_line(1), Some(1));
        assert_eq!(p.script_line(3), None);
        assert_eq!(p.script_line(4), Some(3));
        let p = Prepared::new("echo $x", "set -e");
        assert_eq!(p.text, "set -e\necho $x\n");
        assert_eq!(p.script_line(2), Some(1));
        // A script that is only a comment has no trailing line to put the set line before.
        let p = Prepared::new("# only", "set -e");
        assert_eq!(p.text, "set -e\n# only\n");
    }

    #[test]
    fn offsets_of_lines_and_character_columns() {
        let t = "ab\néc d\n";
        assert_eq!(offset_of(t, 1, 1), 0);
        assert_eq!(offset_of(t, 2, 1), 3);
        assert_eq!(offset_of(t, 2, 2), 5);
        assert_eq!(offset_of(t, 2, 99), 8);
        assert_eq!(offset_of(t, 9, 1), t.len());
    }
}
