//! Finding `${{ ... }}` in a string.

use super::lexer::{Lexer, TokenKind};
use super::parser;
use super::{ExprError, Span};

/// One `${{ ... }}` found in a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embedded {
    /// The whole `${{ ... }}`, or from `${{` to the end of the string when unterminated.
    pub whole: Span,
    /// The expression text between `${{` and `}}` (to the end of the string when unterminated).
    pub inner: Span,
    /// Set when the `${{` is not closed: the error actionlint reports for it, with its offset
    /// in the whole string. An unterminated expression is always the last one found.
    pub error: Option<ExprError>,
}

impl Embedded {
    /// The expression text in `s` (the string that was searched).
    pub fn inner_text<'a>(&self, s: &'a str) -> &'a str {
        s.get(self.inner.start..self.inner.end).unwrap_or_default()
    }
}

/// Whether `s` holds `${{`: the test the rules make of nearly every scalar, so a byte search
/// ([`crate::bytes`]) rather than a substring search set up anew for each short text.
#[inline]
pub fn has_expr(s: &(impl AsRef<str> + ?Sized)) -> bool {
    find_open(s.as_ref().as_bytes(), 0).is_some()
}

/// The offset of the first `${{` in `bytes` at or after `from`.
#[inline]
fn find_open(bytes: &[u8], from: usize) -> Option<usize> {
    let rest = bytes.get(from..)?;
    crate::bytes::positions(b'$', rest)
        .find(|&i| rest[i + 1..].starts_with(b"{{"))
        .map(|i| from + i)
}

/// Locates every `${{ ... }}` in `s`.
///
/// The end is the first `}}` outside a single-quoted string literal (where `''` is an escaped
/// quote), so `${{ '}}' }}` is one expression. An unterminated `${{` ends the search and carries
/// the error actionlint gives for it.
pub fn find_expressions(s: &str) -> Vec<Embedded> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = find_open(bytes, from) {
        let inner_start = start + 3;
        match find_close(bytes, inner_start) {
            Some(close) => {
                out.push(Embedded {
                    whole: Span::new(start, close + 2),
                    inner: Span::new(inner_start, close),
                    error: None,
                });
                from = close + 2;
            }
            None => {
                let inner = s.get(inner_start..).unwrap_or_default();
                let mut err = unterminated_error(inner);
                err.offset += inner_start;
                out.push(Embedded {
                    whole: Span::new(start, s.len()),
                    inner: Span::new(inner_start, s.len()),
                    error: Some(err),
                });
                break;
            }
        }
    }
    out
}

/// The offset of the first `}}` at or after `from` outside single-quoted string literals
/// (`''` inside one is two quotes, which toggle twice). Jumps from one quote or brace to the
/// next: every `${{ }}` of a file is found twice or more, the text of `run:` scripts included.
pub(crate) fn find_close(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    let mut in_string = false;
    loop {
        let at = i + crate::bytes::find2(b'\'', b'}', bytes.get(i..)?)?;
        if bytes[at] == b'\'' {
            in_string = !in_string;
        } else if !in_string && bytes.get(at + 1) == Some(&b'}') {
            return Some(at);
        }
        i = at + 1;
    }
}

/// The error actionlint reports for `${{` followed by `rest` with no closing `}}`: its lexer
/// reads on to the end of the string, so the first syntax error found on the way wins, and
/// otherwise it is the end of input itself.
fn unterminated_error(rest: &str) -> ExprError {
    match parser::parse_unterminated(rest) {
        Some(e) => e,
        None => {
            let mut l = Lexer::new(rest);
            while l.next_token().kind != TokenKind::End {}
            l.take_error().unwrap_or_else(|| {
                ExprError::new(rest.len(), "unexpected EOF while lexing expression")
            })
        }
    }
}

/// Whether the whole string, ignoring surrounding white space, is exactly one `${{ ... }}`
/// (actionlint's "expression assigned" test, which decides whether the value's type is the
/// expression's type).
pub fn is_single_expression(s: &str) -> bool {
    let t = s.trim();
    t.starts_with("${{")
        && t.ends_with("}}")
        && t.matches("${{").count() == 1
        && t.matches("}}").count() == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inners(s: &str) -> Vec<&str> {
        find_expressions(s)
            .iter()
            .map(|e| e.inner_text(s))
            .collect()
    }

    #[test]
    fn finds_all() {
        assert_eq!(inners("a ${{ x }} b ${{y}}"), vec![" x ", "y"]);
        assert_eq!(inners("no expressions"), Vec::<&str>::new());
        assert_eq!(inners("$${{ x }}"), vec![" x "]);
    }

    #[test]
    fn spans() {
        let e = &find_expressions("ab ${{ x }}cd")[0];
        assert_eq!(e.whole, Span::new(3, 11));
        assert_eq!(e.inner, Span::new(6, 9));
        assert!(e.error.is_none());
    }

    #[test]
    fn braces_inside_strings() {
        assert_eq!(inners("${{ '}}' }}"), vec![" '}}' "]);
        assert_eq!(inners("${{ 'it''s }}' }} z"), vec![" 'it''s }}' "]);
        assert_eq!(
            inners("${{ format('{0}}}', 1) }}"),
            vec![" format('{0}}}', 1) "]
        );
    }

    #[test]
    fn unterminated() {
        let es = find_expressions("x ${{ a }} y ${{ b ");
        assert_eq!(es.len(), 2);
        let err = es[1].error.as_ref().expect("error");
        assert_eq!(err.message, "unexpected EOF while lexing expression");
        assert_eq!(err.offset, 19);

        let es = find_expressions("${{ a }");
        let err = es[0].error.as_ref().expect("error");
        assert_eq!(
            err.message,
            "got unexpected EOF while lexing end marker }}, expecting '}'"
        );

        let es = find_expressions("${{ 'abc }}");
        let err = es[0].error.as_ref().expect("error");
        assert!(
            err.message.contains("end of string literal"),
            "{}",
            err.message
        );
        assert_eq!(err.offset, 11);
    }

    #[test]
    fn unterminated_reports_earlier_syntax_errors() {
        let es = find_expressions("${{ a b");
        let err = es[0].error.as_ref().expect("error");
        assert!(
            err.message.starts_with("parser did not reach end of input"),
            "{}",
            err.message
        );
        assert_eq!(err.offset, 6);
    }

    /// The end of an expression as a byte-at-a-time scan finds it.
    fn close_by_scan(bytes: &[u8], from: usize) -> Option<usize> {
        let mut in_string = false;
        for (i, &c) in bytes.iter().enumerate().skip(from) {
            match c {
                b'\'' => in_string = !in_string,
                b'}' if !in_string && bytes.get(i + 1) == Some(&b'}') => return Some(i),
                _ => {}
            }
        }
        None
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5000))]
        #[test]
        fn close_agrees_with_a_scan(text in "(\\$|\\{|\\}|'|a| ){0,40}", from in 0usize..44) {
            let b = text.as_bytes();
            proptest::prop_assert_eq!(find_close(b, from), close_by_scan(b, from));
        }
    }

    #[test]
    fn single_expression() {
        assert!(is_single_expression("  ${{ a }}\n"));
        assert!(!is_single_expression("x ${{ a }}"));
        assert!(!is_single_expression("${{ a }} ${{ b }}"));
    }
}
