//! Tokens of the `${{ }}` language.
//!
//! The lexer works on the text *inside* `${{` and `}}`: the end of that text is the end of the
//! expression. It is lazy (the parser pulls one token at a time) so that, like actionlint, a
//! syntax error found by the parser before a later lexing error is the one reported.

use super::{ExprError, Span};

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// End of the expression.
    End,
    /// An identifier: letters, digits, `_` and `-`, starting with a letter or `_`.
    Ident,
    /// A single-quoted string literal, quotes included.
    String,
    /// A decimal or `0x` hexadecimal integer.
    Int,
    /// A number with a fraction or an exponent.
    Float,
    /// `(`
    LeftParen,
    /// `)`
    RightParen,
    /// `[`
    LeftBracket,
    /// `]`
    RightBracket,
    /// `.`
    Dot,
    /// `!`
    Not,
    /// `<`
    Less,
    /// `<=`
    LessEq,
    /// `>`
    Greater,
    /// `>=`
    GreaterEq,
    /// `==`
    Eq,
    /// `!=`
    NotEq,
    /// `&&`
    And,
    /// `||`
    Or,
    /// `*`
    Star,
    /// `,`
    Comma,
}

impl TokenKind {
    /// The name actionlint uses for this kind in its messages.
    pub fn name(self) -> &'static str {
        match self {
            TokenKind::End => "END",
            TokenKind::Ident => "IDENT",
            TokenKind::String => "STRING",
            TokenKind::Int => "INTEGER",
            TokenKind::Float => "FLOAT",
            TokenKind::LeftParen => "(",
            TokenKind::RightParen => ")",
            TokenKind::LeftBracket => "[",
            TokenKind::RightBracket => "]",
            TokenKind::Dot => ".",
            TokenKind::Not => "!",
            TokenKind::Less => "<",
            TokenKind::LessEq => "<=",
            TokenKind::Greater => ">",
            TokenKind::GreaterEq => ">=",
            TokenKind::Eq => "==",
            TokenKind::NotEq => "!=",
            TokenKind::And => "&&",
            TokenKind::Or => "||",
            TokenKind::Star => "*",
            TokenKind::Comma => ",",
        }
    }
}

/// One token and where it is in the expression text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Its bytes in the expression text.
    pub span: Span,
}

const EXPECTED_PUNCT: &str =
    "''', '}', '(', ')', '[', ']', '.', '!', '<', '>', '=', '&', '|', '*', ',', ' '";
const EXPECTED_DIGIT: &str = "'0'..'9'";
const EXPECTED_ALL: &str = "'a'..'z', 'A'..'Z', '_', '0'..'9', ''', '}', '(', ')', '[', ']', '.', \
                            '!', '<', '>', '=', '&', '|', '*', ',', ' '";

fn is_white(c: u8) -> bool {
    matches!(c, b' ' | b'\n' | b'\r' | b'\t')
}

/// Whether each byte may continue an identifier: a table, as the lexer asks it of every byte
/// of every name of every expression.
static IDENT_CHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < table.len() {
        let c = i as u8;
        table[i] = c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
        i += 1;
    }
    table
};

pub(crate) fn is_ident_char(c: u8) -> bool {
    IDENT_CHAR[usize::from(c)]
}

/// White space JavaScript's `trim()` removes: GitHub trims an expression's text with it before
/// lexing, so a no-break space (or any of these) next to `${{` or `}}` is harmless, while inside
/// the expression only ASCII white space separates tokens.
pub(crate) fn is_trimmed(c: char) -> bool {
    matches!(
        c,
        '\u{9}'..='\u{d}'
            | ' '
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
            | '\u{feff}'
    )
}

/// Whether `c` is an ASCII byte [`is_trimmed`] removes.
fn is_trimmed_ascii(c: u8) -> bool {
    matches!(c, b'\t'..=b'\r' | b' ')
}

/// Where `src` starts once trimmed as GitHub trims it: ASCII white space is skipped byte by
/// byte, and only a non-ASCII character after it is decoded to see whether it is trimmed too.
fn trimmed_start(src: &str) -> usize {
    let ascii = src.bytes().take_while(|&c| is_trimmed_ascii(c)).count();
    let rest = src.get(ascii..).unwrap_or_default();
    if rest.as_bytes().first().is_none_or(u8::is_ascii) {
        return ascii;
    }
    src.len() - rest.trim_start_matches(is_trimmed).len()
}

/// Where `src` ends once trimmed as GitHub trims it (see [`trimmed_start`]).
fn trimmed_end(src: &str) -> usize {
    let ascii = src
        .bytes()
        .rev()
        .take_while(|&c| is_trimmed_ascii(c))
        .count();
    let rest = src.get(..src.len() - ascii).unwrap_or_default();
    if rest.as_bytes().last().is_none_or(u8::is_ascii) {
        return rest.len();
    }
    rest.trim_end_matches(is_trimmed).len()
}

/// A lazy lexer over the text of one expression.
#[derive(Debug)]
pub struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    err: Option<ExprError>,
    eof_is_error: bool,
    /// Where the text starts once trimmed as GitHub trims it.
    lo: usize,
    /// Where it ends once trimmed.
    hi: usize,
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `src`.
    pub fn new(src: &'a str) -> Self {
        let lo = trimmed_start(src);
        let hi = trimmed_end(src).max(lo);
        Lexer {
            src,
            pos: 0,
            err: None,
            eof_is_error: false,
            lo,
            hi,
        }
    }

    /// A lexer for the text after a `${{` that has no closing `}}`: reaching the end of the
    /// text is an error, as it is for actionlint, whose lexer looks for the `}}` token.
    pub fn unterminated(src: &'a str) -> Self {
        Lexer {
            eof_is_error: true,
            ..Lexer::new(src)
        }
    }

    /// The first lexing error, if any. After an error every token is `End`.
    pub fn error(&self) -> Option<&ExprError> {
        self.err.as_ref()
    }

    /// Takes the first lexing error out of the lexer.
    pub fn take_error(&mut self) -> Option<ExprError> {
        self.err.take()
    }

    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    /// The character at the current position, for messages (a whole UTF-8 character).
    fn peek_char(&self) -> Option<char> {
        self.src.get(self.pos..).and_then(|s| s.chars().next())
    }

    fn end_token(&self) -> Token {
        Token {
            kind: TokenKind::End,
            span: Span::new(self.pos, self.pos),
        }
    }

    fn fail(&mut self, msg: String) -> Token {
        if self.err.is_none() {
            self.err = Some(ExprError::new(self.pos, msg));
        }
        // Stop lexing: everything after an error is the end.
        self.pos = self.src.len();
        self.end_token()
    }

    fn unexpected(&mut self, where_: &str, expected: &str) -> Token {
        let (what, note) = match self.peek_char() {
            None => ("EOF".to_string(), ""),
            Some(c) => (
                format!("character {}", quote_char(c)),
                if c == '"' {
                    ". do you mean string literals? only single quotes are available for string \
                     delimiter"
                } else {
                    ""
                },
            ),
        };
        self.fail(format!(
            "got unexpected {what} while lexing {where_}, expecting {expected}{note}"
        ))
    }

    fn token(&self, kind: TokenKind, start: usize) -> Token {
        Token {
            kind,
            span: Span::new(start, self.pos),
        }
    }

    /// Lexes the next token. At the end of the text, or after an error, returns `End`.
    ///
    /// Names and dots, most of the tokens of most expressions, are lexed here, inlined into
    /// the parser; everything else by [`Self::other_token`].
    #[inline]
    pub fn next_token(&mut self) -> Token {
        if self.err.is_some() {
            return self.end_token();
        }
        let bytes = self.src.as_bytes();
        let from = self.pos.max(self.lo);
        let rest = bytes.get(from..).unwrap_or_default();
        self.pos = from + rest.iter().take_while(|&&c| is_white(c)).count();
        if self.pos >= self.hi {
            self.pos = self.src.len();
        }
        let start = self.pos;
        match bytes.get(start) {
            Some(&c) if c.is_ascii_alphabetic() || c == b'_' => {
                let rest = bytes.get(start + 1..).unwrap_or_default();
                let len = rest.iter().position(|&c| !is_ident_char(c));
                self.pos = start + 1 + len.unwrap_or(rest.len());
                self.token(TokenKind::Ident, start)
            }
            Some(b'.') => {
                self.pos += 1;
                self.token(TokenKind::Dot, start)
            }
            _ => self.other_token(start),
        }
    }

    /// The token at `start` (white space skipped) when it is not a name or a dot.
    fn other_token(&mut self, start: usize) -> Token {
        let Some(c) = self.peek() else {
            if self.eof_is_error {
                return self.fail("unexpected EOF while lexing expression".to_string());
            }
            return self.end_token();
        };
        if c.is_ascii_digit() || c == b'-' {
            return self.number(start);
        }
        let two = |l: &mut Self, second: u8, one_kind: Option<TokenKind>, two_kind: TokenKind| {
            l.pos += 1;
            if l.peek() == Some(second) {
                l.pos += 1;
                return Some(l.token(two_kind, start));
            }
            one_kind.map(|k| l.token(k, start))
        };
        let single = |l: &mut Self, kind: TokenKind| {
            l.pos += 1;
            l.token(kind, start)
        };
        match c {
            b'\'' => self.string(start),
            b'}' => {
                // A lone `}`: actionlint lexes `}}` as the end marker and wants a second `}`.
                self.pos += 1;
                self.unexpected("end marker }}", "'}'")
            }
            b'!' => two(self, b'=', Some(TokenKind::Not), TokenKind::NotEq)
                .unwrap_or_else(|| self.end_token()),
            b'<' => two(self, b'=', Some(TokenKind::Less), TokenKind::LessEq)
                .unwrap_or_else(|| self.end_token()),
            b'>' => two(self, b'=', Some(TokenKind::Greater), TokenKind::GreaterEq)
                .unwrap_or_else(|| self.end_token()),
            b'=' => match two(self, b'=', None, TokenKind::Eq) {
                Some(t) => t,
                None => self.unexpected("== operator", "'='"),
            },
            b'&' => match two(self, b'&', None, TokenKind::And) {
                Some(t) => t,
                None => self.unexpected("&& operator", "'&'"),
            },
            b'|' => match two(self, b'|', None, TokenKind::Or) {
                Some(t) => t,
                None => self.unexpected("|| operator", "'|'"),
            },
            b'(' => single(self, TokenKind::LeftParen),
            b')' => single(self, TokenKind::RightParen),
            b'[' => single(self, TokenKind::LeftBracket),
            b']' => single(self, TokenKind::RightBracket),
            b'.' => single(self, TokenKind::Dot),
            b'*' => single(self, TokenKind::Star),
            b',' => single(self, TokenKind::Comma),
            _ => self.unexpected("expression", EXPECTED_ALL),
        }
    }

    fn eat_digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
    }

    fn number(&mut self, start: usize) -> Token {
        // JSON-like numbers, plus `0x` hex integers which GitHub also accepts.
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if self.peek() == Some(b'x') {
                    self.pos += 1;
                    return self.hex(start);
                }
            }
            Some(c) if c.is_ascii_digit() => self.eat_digits(),
            _ => return self.unexpected("integer part of number", EXPECTED_DIGIT),
        }
        let mut kind = TokenKind::Int;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                return self.unexpected("fraction part of float number", EXPECTED_DIGIT);
            }
            self.eat_digits();
            kind = TokenKind::Float;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if self.peek() == Some(b'-') {
                self.pos += 1;
            }
            match self.peek() {
                Some(b'0') => self.pos += 1,
                Some(c) if c.is_ascii_digit() => self.eat_digits(),
                _ => return self.unexpected("exponent part of float number", EXPECTED_DIGIT),
            }
            kind = TokenKind::Float;
        }
        if self.peek().is_some_and(|c| c.is_ascii_alphanumeric()) {
            let lexed = self
                .src
                .get(start..self.pos)
                .unwrap_or_default()
                .to_string();
            return self.unexpected(
                &format!("character following number {lexed}"),
                EXPECTED_PUNCT,
            );
        }
        self.token(kind, start)
    }

    fn hex(&mut self, start: usize) -> Token {
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(c) if c.is_ascii_hexdigit() => {
                while self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                    self.pos += 1;
                }
            }
            _ => {
                return self.unexpected(
                    "hex integer",
                    &format!("{EXPECTED_DIGIT}, 'a'..'f', 'A'..'F'"),
                );
            }
        }
        if self.peek().is_some_and(|c| c.is_ascii_alphanumeric()) {
            let lexed = self
                .src
                .get(start..self.pos)
                .unwrap_or_default()
                .to_string();
            return self.unexpected(
                &format!("character following hex integer {lexed}"),
                EXPECTED_PUNCT,
            );
        }
        self.token(TokenKind::Int, start)
    }

    fn string(&mut self, start: usize) -> Token {
        self.pos += 1; // opening quote
        loop {
            match self.peek() {
                None => return self.unexpected("end of string literal", "'''"),
                Some(b'\'') => {
                    self.pos += 1;
                    if self.peek() != Some(b'\'') {
                        return self.token(TokenKind::String, start);
                    }
                    self.pos += 1; // '' is an escaped quote
                }
                Some(_) => self.pos += 1,
            }
        }
    }
}

/// Quotes a character the way Go's `strconv.QuoteRune` does for the common cases.
pub(crate) fn quote_char(c: char) -> String {
    match c {
        '\'' => "'\\''".to_string(),
        '\\' => "'\\\\'".to_string(),
        '\n' => "'\\n'".to_string(),
        '\r' => "'\\r'".to_string(),
        '\t' => "'\\t'".to_string(),
        '\0' => "'\\x00'".to_string(),
        c if c.is_control() => {
            let n = c as u32;
            if n < 0x80 {
                format!("'\\x{n:02x}'")
            } else {
                format!("'\\u{n:04x}'")
            }
        }
        c => format!("'{c}'"),
    }
}

/// Unescapes the contents of a string literal token (`'it''s'` -> `it's`).
pub fn unquote(token_text: &str) -> String {
    let inner = token_text
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .unwrap_or(token_text);
    // Most literals have no escaped quote: copy them without a search for one.
    if crate::bytes::find(b'\'', inner.as_bytes()).is_some() {
        inner.replace("''", "'")
    } else {
        inner.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        let mut l = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let t = l.next_token();
            out.push(t.kind);
            if t.kind == TokenKind::End {
                break;
            }
        }
        assert!(l.error().is_none(), "{src}: {:?}", l.error());
        out
    }

    fn lex_err(src: &str) -> ExprError {
        let mut l = Lexer::new(src);
        while l.next_token().kind != TokenKind::End {}
        l.take_error().expect("lexing error")
    }

    #[test]
    fn operators_and_punctuation() {
        use TokenKind::*;
        assert_eq!(
            kinds("( ) [ ] . ! < <= > >= == != && || * ,"),
            vec![
                LeftParen,
                RightParen,
                LeftBracket,
                RightBracket,
                Dot,
                Not,
                Less,
                LessEq,
                Greater,
                GreaterEq,
                Eq,
                NotEq,
                And,
                Or,
                Star,
                Comma,
                End
            ]
        );
    }

    #[test]
    fn numbers() {
        use TokenKind::*;
        assert_eq!(
            kinds("0 42 -7 0x1F 0xff"),
            vec![Int, Int, Int, Int, Int, End]
        );
        assert_eq!(
            kinds("1.5 -0.25 1e3 2E-4 1.0e0"),
            vec![Float, Float, Float, Float, Float, End]
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5000))]
        /// The byte-wise trims agree with `str`'s trims by character.
        #[test]
        fn trims_agree_with_str(src in "( |\t|\n|\u{b}|a|\u{a0}|\u{3000}|\u{e9}|\u{feff}){0,10}") {
            let lo = src.len() - src.trim_start_matches(is_trimmed).len();
            proptest::prop_assert_eq!(trimmed_start(&src), lo);
            proptest::prop_assert_eq!(trimmed_end(&src), src.trim_end_matches(is_trimmed).len());
        }
    }

    #[test]
    fn ident_table_matches_the_rule() {
        for c in 0..=u8::MAX {
            let want = c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
            assert_eq!(is_ident_char(c), want, "byte {c}");
        }
    }

    #[test]
    fn identifiers_with_dashes() {
        assert_eq!(
            kinds("strategy.fail-fast _x a1"),
            vec![
                TokenKind::Ident,
                TokenKind::Dot,
                TokenKind::Ident,
                TokenKind::Ident,
                TokenKind::Ident,
                TokenKind::End
            ]
        );
    }

    #[test]
    fn strings_with_escaped_quotes() {
        let mut l = Lexer::new(" 'it''s' ");
        let t = l.next_token();
        assert_eq!(t.kind, TokenKind::String);
        assert_eq!(t.span, Span::new(1, 8));
        assert_eq!(unquote(&" 'it''s' "[1..8]), "it's");
        assert_eq!(unquote("''"), "");
    }

    #[test]
    fn double_quote_hint() {
        let e = lex_err("a == \"x\"");
        assert_eq!(e.offset, 5);
        assert!(
            e.message
                .starts_with("got unexpected character '\"' while lexing expression")
        );
        assert!(
            e.message
                .ends_with("only single quotes are available for string delimiter")
        );
    }

    #[test]
    fn bad_numbers() {
        assert_eq!(
            lex_err("1.").message,
            "got unexpected EOF while lexing fraction part of float number, expecting '0'..'9'"
        );
        let e = lex_err("12ab");
        assert_eq!(e.offset, 2);
        assert!(e.message.contains("character following number 12"));
        assert!(lex_err("0xg").message.contains("hex integer"));
        assert!(lex_err("1e+").message.contains("exponent part"));
        assert!(lex_err("-x").message.contains("integer part of number"));
    }

    #[test]
    fn unterminated_string() {
        let e = lex_err("'abc");
        assert_eq!(e.offset, 4);
        assert_eq!(
            e.message,
            "got unexpected EOF while lexing end of string literal, expecting '''"
        );
    }

    #[test]
    fn single_operator_chars() {
        assert!(lex_err("a = b").message.contains("== operator"));
        assert!(lex_err("a & b").message.contains("&& operator"));
        assert!(lex_err("a | b").message.contains("|| operator"));
        assert!(lex_err("a } b").message.contains("end marker }}"));
        let e = lex_err("a + b");
        assert_eq!(e.offset, 2);
        assert!(
            e.message
                .starts_with("got unexpected character '+' while lexing expression")
        );
    }
}
