//! JavaScript-style patterns for `type=match` and `match=`, run by the `regex` crate.
//!
//! metadata-action hands these patterns to JavaScript's `RegExp`. This module is a thin
//! translation layer: it splits a `/pattern/flags` literal, maps the flags, and rewrites the
//! few spots where JavaScript and `regex` read the same text differently (`\d` `\w` `\b` are
//! ASCII-only in JavaScript, a `{` that starts no quantifier and a lone `]` or `}` are
//! literals, `[` `&` `~` inside a class are literals). Everything else, including the errors
//! for lookaround and back-references that `regex` cannot honour, is the crate's.

use std::fmt;

/// A compiled pattern.
#[derive(Clone)]
pub(crate) struct Regex {
    source: String,
    flags: String,
    compiled: regex::Regex,
}

impl fmt::Debug for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}/{}", self.source, self.flags)
    }
}

impl PartialEq for Regex {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && self.flags == other.flags
    }
}

impl Regex {
    /// Compiles `pattern` with JavaScript flags: `i` (case-insensitive), `m` (`^`/`$` at line
    /// ends), `s` (`.` matches newlines); `g`, `u` and `y` are accepted and change nothing for
    /// a single match.
    pub(crate) fn new(pattern: &str, flags: &str) -> Result<Self, String> {
        if let Some(bad) = flags.chars().find(|c| !"gimsuy".contains(*c)) {
            return Err(format!(
                "unknown flag `{bad}`; use `i` for case-insensitive"
            ));
        }
        let compiled = regex::RegexBuilder::new(&translate(pattern))
            .case_insensitive(flags.contains('i'))
            .multi_line(flags.contains('m'))
            .dot_matches_new_line(flags.contains('s'))
            .build()
            .map_err(|err| describe(&err))?;
        Ok(Self {
            source: pattern.to_owned(),
            flags: flags.to_owned(),
            compiled,
        })
    }

    /// Compiles a `/pattern/flags` literal, or a bare pattern, as metadata-action does for
    /// `type=match`.
    pub(crate) fn from_literal_or_pattern(text: &str) -> Result<Self, String> {
        if let Some(body) = text.strip_prefix('/')
            && let Some(end) = body.rfind('/')
            && end > 0
        {
            return Self::new(&body[..end], &body[end + 1..]);
        }
        Self::new(text, "")
    }

    /// The first match in `text`: group 0 is the whole match, then each capturing group
    /// (`None` when it did not take part).
    pub(crate) fn captures(&self, text: &str) -> Option<Vec<Option<String>>> {
        let caps = self.compiled.captures(text)?;
        Some(
            caps.iter()
                .map(|m| m.map(|m| m.as_str().to_owned()))
                .collect(),
        )
    }
}

/// The last line of `regex`'s multi-line error, which names the problem.
fn describe(err: &regex::Error) -> String {
    let text = err.to_string();
    let problem = text
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or(text.trim());
    format!("{problem} (patterns use JavaScript syntax without lookaround or back-references)")
}

const DIGIT: &str = "0-9";
const WORD: &str = "0-9A-Za-z_";

/// Rewrites JavaScript syntax into `regex` syntax with the same meaning.
fn translate(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '\\' => {
                let Some(&next) = chars.get(i) else {
                    out.push('\\');
                    continue;
                };
                i += 1;
                escape(next, in_class, &mut out);
            }
            '[' if in_class => out.push_str(r"\["),
            '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '[' => {
                in_class = true;
                out.push('[');
                // `]` right after `[` or `[^` closes an empty class in JavaScript but is a
                // literal in `regex`; spell JavaScript's meaning out.
                let negated = chars.get(i) == Some(&'^');
                if chars.get(i + usize::from(negated)) == Some(&']') {
                    i += 1 + usize::from(negated);
                    in_class = false;
                    out.pop();
                    out.push_str(if negated { r"[\s\S]" } else { r"[^\s\S]" });
                }
            }
            ']' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '{' if !in_class => match quantifier_end(&chars, i) {
                Some(end) => {
                    out.extend(&chars[i - 1..=end]);
                    i = end + 1;
                }
                None => out.push_str(r"\{"),
            },
            c => out.push(c),
        }
    }
    out
}

/// Writes the `regex` form of the escape `\c`.
fn escape(c: char, in_class: bool, out: &mut String) {
    let class = |set: &str, negated: bool| {
        let caret = if negated { "^" } else { "" };
        format!("[{caret}{set}]")
    };
    match c {
        'd' | 'D' => out.push_str(&class(DIGIT, c == 'D')),
        'w' | 'W' => out.push_str(&class(WORD, c == 'W')),
        'b' if in_class => out.push_str(r"\x08"),
        'b' | 'B' => {
            out.push_str("(?-u:\\");
            out.push(c);
            out.push(')');
        }
        '0' => out.push_str(r"\x00"),
        c if c.is_ascii_alphanumeric() => {
            out.push('\\');
            out.push(c);
        }
        c if regex_syntax_meta(c) => {
            out.push('\\');
            out.push(c);
        }
        // JavaScript's identity escape (`\/`, `\-` outside a class, ...): the literal.
        c => out.push(c),
    }
}

fn regex_syntax_meta(c: char) -> bool {
    matches!(
        c,
        '\\' | '.'
            | '+'
            | '*'
            | '?'
            | '('
            | ')'
            | '|'
            | '['
            | ']'
            | '{'
            | '}'
            | '^'
            | '$'
            | '#'
            | '&'
            | '-'
            | '~'
            | ' '
    )
}

/// The index of the `}` closing a JavaScript quantifier (`{n}`, `{n,}`, `{n,m}`) whose `{`
/// is at `start - 1`, or `None` when the brace is a literal.
fn quantifier_end(chars: &[char], start: usize) -> Option<usize> {
    let close = start + chars[start..].iter().position(|&c| c == '}')?;
    let inner: String = chars[start..close].iter().collect();
    let number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let valid = match inner.split_once(',') {
        None => number(&inner),
        Some((lo, hi)) => number(lo) && (hi.is_empty() || number(hi)),
    };
    valid.then_some(close)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(pattern: &str, text: &str, index: usize) -> Option<String> {
        let re = Regex::from_literal_or_pattern(pattern).expect("pattern compiles");
        re.captures(text)?.get(index).cloned().flatten()
    }

    #[test]
    fn metadata_action_readme_match_table() {
        // README `type=match` table, row by row.
        assert_eq!(group(r"\d.\d.\d", "v1.2.3", 0).as_deref(), Some("1.2.3"));
        assert_eq!(
            group(r"v(.*)", "v2.0.8-beta.67", 1).as_deref(),
            Some("2.0.8-beta.67")
        );
        assert_eq!(
            group(r"v(\d.\d)", "v2.0.8-beta.67", 1).as_deref(),
            Some("2.0")
        );
        assert_eq!(
            group(r"\d+", "20200110-RC2", 0).as_deref(),
            Some("20200110")
        );
        assert_eq!(
            group(r"p1/v(\d.\d.\d)", "p1/v1.2.3", 1).as_deref(),
            Some("1.2.3")
        );
        // README `type=semver` `match=` column.
        assert_eq!(
            group(r"v(\d.\d.\d)$", "p1/v1.2.3", 1).as_deref(),
            Some("1.2.3")
        );
    }

    #[test]
    fn quantifiers_alternation_classes_and_flags() {
        assert_eq!(group(r"^(a|ab)(c|bcd)$", "abcd", 2).as_deref(), Some("bcd"));
        assert_eq!(group(r"a{2,3}", "aaaa", 0).as_deref(), Some("aaa"));
        assert_eq!(group(r"a+?", "aaaa", 0).as_deref(), Some("a"));
        assert_eq!(group(r"[^-]+$", "release-2024", 0).as_deref(), Some("2024"));
        assert_eq!(group(r"/^V(\d+)/i", "v12", 1).as_deref(), Some("12"));
        assert_eq!(group(r"(?:x)(y)?z", "xz", 1), None);
        assert_eq!(group(r"\bb\w*", "a bc", 0).as_deref(), Some("bc"));
        assert_eq!(group(r"x{,2}", "x{,2}", 0).as_deref(), Some("x{,2}"));
        assert_eq!(group(r"(a*)*b", "aaab", 1).as_deref(), Some("aaa"));
        assert!(group(r"^\d+$", "12a", 0).is_none());
    }

    #[test]
    fn javascript_readings_where_regex_differs() {
        // ASCII-only classes, as in JavaScript without the `u` flag.
        assert!(group(r"^\d$", "٣", 0).is_none());
        assert!(group(r"^\w$", "é", 0).is_none());
        assert_eq!(group(r"[\d.]+", "v1.20", 0).as_deref(), Some("1.20"));
        assert_eq!(group(r"[^\W]+", "ab-c", 0).as_deref(), Some("ab"));
        // Identity escapes, literal braces and brackets.
        assert_eq!(group(r"p\/v(\d)", "p/v3", 1).as_deref(), Some("3"));
        assert_eq!(group(r"a{x}", "a{x}", 0).as_deref(), Some("a{x}"));
        assert_eq!(group(r"a]", "a]", 0).as_deref(), Some("a]"));
        assert_eq!(group(r"[[a]+", "[a[", 0).as_deref(), Some("[a["));
        assert_eq!(group(r"[&~]+", "&~", 0).as_deref(), Some("&~"));
        // `[]` never matches; `[^]` matches anything.
        assert!(group(r"a[]", "a]", 0).is_none());
        assert_eq!(group(r"a[^]", "a\n", 0).as_deref(), Some("a\n"));
    }

    #[test]
    fn rejects_what_it_cannot_honour() {
        for bad in [
            r"(?=x)", r"(a)\1", r"(a", r"a)", r"[a", r"*a", r"[z-a]", r"/x/q",
        ] {
            assert!(
                Regex::from_literal_or_pattern(bad).is_err(),
                "{bad} should fail"
            );
        }
    }

    #[test]
    fn errors_are_one_line() {
        let err = Regex::new("(?=x)", "").expect_err("lookahead");
        assert!(!err.contains('\n'), "{err}");
        assert!(err.contains("look-around"), "{err}");
    }
}
