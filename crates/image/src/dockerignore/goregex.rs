//! Reads the Go regular expression that Docker builds from a pattern and writes the Rust `regex`
//! equivalent.
//!
//! Docker turns a pattern into Go `regexp` source by rewriting `*`, `?`, `**` and a few
//! metacharacters and passing everything else through, `[...]` and `\x` included. What a pattern
//! means is therefore what Go's parser (Perl flags: `ClassNL | OneLine | PerlX | UnicodeGroups`)
//! makes of that source, quirks and all: `\d` is a digit class, `[[:alpha:]]` a POSIX class, and
//! `[*]` becomes `[[^/]*]`, a class of `[`, `^`, `/` repeated, then a literal `]`. Parsing the same
//! text with Go's rules keeps those cases identical. Constructs whose meaning depends on the Go
//! release (`\pX` Unicode tables) are refused with [`Translate::Unsupported`] rather than guessed.

use std::fmt::Write as _;

/// Why the Go source could not be translated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Translate {
    /// Go's parser rejects the source too: Docker reports `ErrBadPattern` when matching.
    Invalid(&'static str),
    /// Valid in Go, but its meaning is not reproduced here.
    Unsupported(String),
}

type Ranges = Vec<(u32, u32)>;

const MAX_RUNE: u32 = 0x10_FFFF;
const DIGIT: &[(u32, u32)] = &[(0x30, 0x39)];
const SPACE: &[(u32, u32)] = &[(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)];
const WORD: &[(u32, u32)] = &[(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)];

/// Go's `[:name:]` classes; every one may also be negated as `[:^name:]`.
const POSIX: &[(&str, &[(u32, u32)])] = &[
    ("alnum", &[(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)]),
    ("alpha", &[(0x41, 0x5A), (0x61, 0x7A)]),
    ("ascii", &[(0x00, 0x7F)]),
    ("blank", &[(0x09, 0x09), (0x20, 0x20)]),
    ("cntrl", &[(0x00, 0x1F), (0x7F, 0x7F)]),
    ("digit", DIGIT),
    ("graph", &[(0x21, 0x7E)]),
    ("lower", &[(0x61, 0x7A)]),
    ("print", &[(0x20, 0x7E)]),
    (
        "punct",
        &[(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)],
    ),
    ("space", &[(0x09, 0x0D), (0x20, 0x20)]),
    ("upper", &[(0x41, 0x5A)]),
    ("word", WORD),
    ("xdigit", &[(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)]),
];

/// Translates Go `regexp` source (as built by Docker from a pattern) into Rust `regex` source.
pub(crate) fn to_rust(go: &str) -> Result<String, Translate> {
    let mut out = String::with_capacity(go.len() * 2);
    let mut t = go;
    let mut depth = 0usize;
    // Whether the stack top can take a repetition, and whether the last token was one.
    let mut can_repeat = false;
    let mut last_repeat = false;
    while let Some(c) = t.chars().next() {
        let mut repeat = false;
        match c {
            '(' => {
                if t[1..].starts_with('?') {
                    return Err(Translate::Unsupported("(?".to_owned()));
                }
                out.push_str("(?:");
                depth += 1;
                can_repeat = false;
                t = &t[1..];
            }
            '|' => {
                out.push('|');
                can_repeat = false;
                t = &t[1..];
            }
            ')' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or(Translate::Invalid("unexpected )"))?;
                out.push(')');
                can_repeat = true;
                t = &t[1..];
            }
            '^' => {
                out.push_str("\\A");
                can_repeat = true;
                t = &t[1..];
            }
            '$' => {
                out.push_str("\\z");
                can_repeat = true;
                t = &t[1..];
            }
            '.' => {
                // Go's `.` without the `s` flag: anything but `\n`, like Rust's.
                out.push('.');
                can_repeat = true;
                t = &t[1..];
            }
            '[' => {
                t = class(t, &mut out)?;
                can_repeat = true;
            }
            '*' | '+' | '?' => {
                t = &t[1..];
                out.push(c);
                if let Some(rest) = t.strip_prefix('?') {
                    out.push('?');
                    t = rest;
                }
                check_repeat(can_repeat, last_repeat)?;
                repeat = true;
            }
            '{' => {
                let (rest, is_repeat) = brace(t, &mut out, can_repeat, last_repeat)?;
                t = rest;
                if is_repeat {
                    repeat = true;
                } else {
                    can_repeat = true;
                }
            }
            '\\' => {
                let (rest, produced) = escape_token(t, &mut out)?;
                t = rest;
                if produced {
                    can_repeat = true;
                }
            }
            other => {
                push_literal(&mut out, u32::from(other));
                can_repeat = true;
                t = &t[other.len_utf8()..];
            }
        }
        last_repeat = repeat;
    }
    if depth != 0 {
        return Err(Translate::Invalid("missing closing )"));
    }
    Ok(out)
}

/// Go's checks on a repetition operator: it needs an argument and cannot follow another.
fn check_repeat(can_repeat: bool, last_repeat: bool) -> Result<(), Translate> {
    if last_repeat {
        return Err(Translate::Invalid("invalid nested repetition operator"));
    }
    if !can_repeat {
        return Err(Translate::Invalid(
            "missing argument to repetition operator",
        ));
    }
    Ok(())
}

/// A `{` at the start of `t`: a repeat count (`{n}`, `{n,}`, `{n,m}`, maybe lazy), or a literal
/// `{` where Go reads it so. Returns the rest and whether it was a repetition.
fn brace<'a>(
    t: &'a str,
    out: &mut String,
    can_repeat: bool,
    last_repeat: bool,
) -> Result<(&'a str, bool), Translate> {
    // Not a well-formed count: Go reads the `{` as a literal.
    let Some((min, max, mut t)) = repeat_count(t) else {
        push_literal(out, u32::from('{'));
        return Ok((&t[1..], false));
    };
    let too_big = |n: i64| !(0..=1000).contains(&n);
    if too_big(min) || max > 1000 || (max >= 0 && min > max) {
        return Err(Translate::Invalid("invalid repeat count"));
    }
    match max {
        -1 => {
            let _ = write!(out, "{{{min},}}");
        }
        max => {
            let _ = write!(out, "{{{min},{max}}}");
        }
    }
    if let Some(rest) = t.strip_prefix('?') {
        out.push('?');
        t = rest;
    }
    check_repeat(can_repeat, last_repeat)?;
    Ok((t, true))
}

/// A `\` escape at the start of `t`, written to `out`. Returns the rest and whether it produced
/// something a repetition can apply to (an empty `\Q\E` does not).
fn escape_token<'a>(t: &'a str, out: &mut String) -> Result<(&'a str, bool), Translate> {
    let next = t[1..].chars().next();
    match next {
        Some('A') => out.push_str("\\A"),
        Some('z') => out.push_str("\\z"),
        // Go's word boundaries are ASCII-only.
        Some('b') => out.push_str("(?-u:\\b)"),
        Some('B') => out.push_str("(?-u:\\B)"),
        Some('C') => return Err(Translate::Invalid("invalid escape sequence")),
        Some('Q') => {
            let quoted = &t[2..];
            let (lit, rest) = quoted.split_once("\\E").unwrap_or((quoted, ""));
            for ch in lit.chars() {
                push_literal(out, u32::from(ch));
            }
            return Ok((rest, !lit.is_empty()));
        }
        Some(p @ ('p' | 'P')) => return Err(Translate::Unsupported(format!("\\{p}"))),
        Some(k @ ('d' | 'D' | 's' | 'S' | 'w' | 'W')) => {
            let mut ranges = Ranges::new();
            perl_class(k, &mut ranges);
            write_class(out, false, &ranges);
        }
        _ => {
            let (r, rest) = escape(t)?;
            push_literal(out, r);
            return Ok((rest, true));
        }
    }
    // Two-character escapes handled above.
    Ok((&t[1 + next.map_or(0, char::len_utf8)..], true))
}

/// Go's `parseRepeat` on `t` (starting at `{`): `{n}`, `{n,}` or `{n,m}` as `(min, max, rest)`
/// with `max == -1` for no upper bound and `-1` for numbers too big to parse; `None` when Go
/// would read the `{` as a literal.
fn repeat_count(t: &str) -> Option<(i64, i64, &str)> {
    let s = t.strip_prefix('{')?;
    let (mut min, s) = parse_int(s)?;
    let (max, s) = match s.strip_prefix(',') {
        None => (min, s),
        Some("") => return None,
        Some(s) if s.starts_with('}') => (-1, s),
        Some(s) => {
            let (max, s) = parse_int(s)?;
            if max < 0 {
                min = -1;
            }
            (max, s)
        }
    };
    let rest = s.strip_prefix('}')?;
    Some((min, max, rest))
}

/// Go's `parseInt`: decimal digits without a leading zero; `-1` once the value passes 1e8.
fn parse_int(s: &str) -> Option<(i64, &str)> {
    let len = s.bytes().take_while(u8::is_ascii_digit).count();
    if len == 0 || (len >= 2 && s.starts_with('0')) {
        return None;
    }
    let mut n: i64 = 0;
    for b in s[..len].bytes() {
        if n >= 100_000_000 {
            n = -1;
            break;
        }
        n = n * 10 + i64::from(b - b'0');
    }
    Some((n, &s[len..]))
}

/// Parses a Go bracket expression at the start of `t` and writes it; returns what follows.
fn class<'a>(t: &'a str, out: &mut String) -> Result<&'a str, Translate> {
    let mut t = &t[1..];
    let negated = t.starts_with('^');
    if negated {
        t = &t[1..];
    }
    let mut ranges = Ranges::new();
    let mut first = true;
    while t.is_empty() || !t.starts_with(']') || first {
        first = false;
        if t.len() > 2 && t.starts_with("[:") {
            // Go looks for the closing `:]` anywhere in the rest of the source.
            if let Some(idx) = t[2..].find(":]") {
                let name = &t[2..idx + 2];
                let (negate, name) = match name.strip_prefix('^') {
                    Some(rest) => (true, rest),
                    None => (false, name),
                };
                let table = POSIX
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, table)| *table)
                    .ok_or(Translate::Invalid("invalid character class range"))?;
                add_table(&mut ranges, table, negate);
                t = &t[idx + 4..];
                continue;
            }
        }
        let mut chars = t.chars();
        if chars.next() == Some('\\') {
            match chars.next() {
                Some(p @ ('p' | 'P')) => return Err(Translate::Unsupported(format!("\\{p}"))),
                Some(k @ ('d' | 'D' | 's' | 'S' | 'w' | 'W')) => {
                    perl_class(k, &mut ranges);
                    t = &t[2..];
                    continue;
                }
                _ => {}
            }
        }
        let (lo, rest) = class_char(t)?;
        t = rest;
        let mut hi = lo;
        let mut after = t.chars();
        if after.next() == Some('-') && after.next().is_some_and(|c| c != ']') {
            let (h, rest) = class_char(&t[1..])?;
            if h < lo {
                return Err(Translate::Invalid("invalid character class range"));
            }
            hi = h;
            t = rest;
        }
        ranges.push((lo, hi));
    }
    write_class(out, negated, &ranges);
    Ok(&t[1..])
}

fn class_char(t: &str) -> Result<(u32, &str), Translate> {
    match t.chars().next() {
        None => Err(Translate::Invalid("missing closing ]")),
        Some('\\') => escape(t),
        Some(c) => Ok((u32::from(c), &t[c.len_utf8()..])),
    }
}

/// Go's `parseEscape`: `t` starts with the backslash; returns the rune and what follows.
fn escape(t: &str) -> Result<(u32, &str), Translate> {
    let mut rest = &t[1..];
    let Some(c) = rest.chars().next() else {
        return Err(Translate::Invalid(
            "trailing backslash at end of expression",
        ));
    };
    rest = &rest[c.len_utf8()..];
    let octal = |s: &str| s.bytes().next().filter(|b| (b'0'..=b'7').contains(b));
    match c {
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok((u32::from(c), rest)),
        '1'..='7' if octal(rest).is_none() => Err(Translate::Invalid("invalid escape sequence")),
        '0'..='7' => {
            let mut r = u32::from(c) - u32::from('0');
            for _ in 1..3 {
                match octal(rest) {
                    Some(d) => {
                        r = r * 8 + u32::from(d - b'0');
                        rest = &rest[1..];
                    }
                    None => break,
                }
            }
            Ok((r, rest))
        }
        'x' => hex_escape(rest).ok_or(Translate::Invalid("invalid escape sequence")),
        'a' => Ok((0x07, rest)),
        'f' => Ok((0x0C, rest)),
        'n' => Ok((0x0A, rest)),
        'r' => Ok((0x0D, rest)),
        't' => Ok((0x09, rest)),
        'v' => Ok((0x0B, rest)),
        _ => Err(Translate::Invalid("invalid escape sequence")),
    }
}

/// The part of `\x..` after the `x`: two hex digits, or any number of them in braces.
fn hex_escape(t: &str) -> Option<(u32, &str)> {
    let mut chars = t.chars();
    let first = chars.next()?;
    if first == '{' {
        let end = t.find('}')?;
        let digits = &t[1..end];
        if digits.is_empty() {
            return None;
        }
        let mut r = 0u32;
        for c in digits.chars() {
            r = r.checked_mul(16)? + c.to_digit(16)?;
            if r > MAX_RUNE {
                return None;
            }
        }
        return Some((r, &t[end + 1..]));
    }
    let second = chars.next()?;
    let r = first.to_digit(16)? * 16 + second.to_digit(16)?;
    Some((r, &t[first.len_utf8() + second.len_utf8()..]))
}

fn perl_class(kind: char, ranges: &mut Ranges) {
    let (table, negate) = match kind {
        'd' => (DIGIT, false),
        'D' => (DIGIT, true),
        's' => (SPACE, false),
        'S' => (SPACE, true),
        'w' => (WORD, false),
        _ => (WORD, true),
    };
    add_table(ranges, table, negate);
}

/// Adds a sorted, disjoint table of ranges, or its complement over all runes.
fn add_table(ranges: &mut Ranges, table: &[(u32, u32)], negate: bool) {
    if !negate {
        ranges.extend_from_slice(table);
        return;
    }
    let mut next = 0u32;
    for &(lo, hi) in table {
        if lo > next {
            ranges.push((next, lo - 1));
        }
        next = hi + 1;
    }
    if next <= MAX_RUNE {
        ranges.push((next, MAX_RUNE));
    }
}

/// Writes a Rust class. Every member is a `\x{..}` escape so that Rust's own class syntax
/// (`&&`, `--`, nested `[...]`) can never be triggered; surrogates, which no `str` holds, are cut.
fn write_class(out: &mut String, negated: bool, ranges: &[(u32, u32)]) {
    let mut body = String::new();
    for &(lo, hi) in ranges {
        for (lo, hi) in [(lo, hi.min(0xD7FF)), (lo.max(0xE000), hi)] {
            if lo <= hi {
                let _ = write!(body, "\\x{{{lo:X}}}-\\x{{{hi:X}}}");
            }
        }
    }
    match (negated, body.is_empty()) {
        // An empty class matches nothing; its negation matches any character.
        (false, true) => out.push_str("[^\\x{0}-\\x{10FFFF}]"),
        (true, true) => out.push_str("[\\x{0}-\\x{10FFFF}]"),
        (neg, false) => {
            out.push('[');
            if neg {
                out.push('^');
            }
            out.push_str(&body);
            out.push(']');
        }
    }
}

/// Writes one literal rune; runes that are not Unicode scalar values can never match.
fn push_literal(out: &mut String, r: u32) {
    match char::from_u32(r) {
        Some(c) if c.is_ascii_alphanumeric() || c == '/' || c == '_' => out.push(c),
        Some(_) => {
            let _ = write!(out, "\\x{{{r:X}}}");
        }
        None => out.push_str("[^\\x{0}-\\x{10FFFF}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(go: &str, text: &str) -> Result<bool, Translate> {
        let rust = to_rust(go)?;
        let re = regex::Regex::new(&rust).map_err(|e| Translate::Unsupported(e.to_string()))?;
        Ok(re.is_match(text))
    }

    #[test]
    fn docker_output_shapes() {
        assert_eq!(matches("^(.*/)?dir2/[^/]*$", "a/b/dir2/x"), Ok(true));
        assert_eq!(matches("^(.*/)?dir2/[^/]*$", "dir2/x/y"), Ok(false));
        assert_eq!(matches("^a[b-d]e$", "ace"), Ok(true));
        assert_eq!(matches("^\\.[^/]*$", ".foo"), Ok(true));
        assert_eq!(matches("^a\\*b$", "a*b"), Ok(true));
    }

    #[test]
    fn go_class_quirks() {
        // Docker's `[*]` becomes `[[^/]*]`: a class of `[`, `^`, `/`, starred, then `]`.
        assert_eq!(matches("^[[^/]*]$", "]"), Ok(true));
        assert_eq!(matches("^[[^/]*]$", "[^/]"), Ok(true));
        assert_eq!(matches("^[[^/]*]$", "*"), Ok(false));
        assert_eq!(matches("^[[:alpha:]]$", "q"), Ok(true));
        assert_eq!(matches("^[[:^alpha:]]$", "q"), Ok(false));
        assert_eq!(matches("^[]a]$", "]"), Ok(true));
        assert_eq!(matches("^[a-]$", "-"), Ok(true));
        assert_eq!(matches("^a\\d$", "a7"), Ok(true));
        assert_eq!(matches("^[\\D]$", "7"), Ok(false));
        assert_eq!(matches("^\\x41\\101$", "AA"), Ok(true));
        assert_eq!(matches("^\\Qa.b$", "a.b$"), Ok(true));
        assert_eq!(matches("^a^b$", "a^b"), Ok(false));
    }

    #[test]
    fn go_rejections() {
        for go in [
            "^[Local-Only]$",
            "^[",
            "^a\\q$",
            "^\\1$",
            "^[[:nope:]]$",
            "^a**$",
            "^)$",
            "^\\",
        ] {
            assert!(
                matches!(to_rust(go), Err(Translate::Invalid(_))),
                "{go:?} should be invalid"
            );
        }
        assert!(matches!(to_rust("^\\pL$"), Err(Translate::Unsupported(_))));
    }
}
