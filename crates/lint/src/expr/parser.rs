//! A recursive-descent parser for the `${{ }}` language.
//!
//! Precedence, loosest first: `||`, `&&`, `== !=`, `< <= > >=`, `!`, then postfix `.` `[]`
//! and `.*`, then primaries (literals, names, calls, `( )`). Binary operators group to the
//! left. Nesting is bounded by [`MAX_DEPTH`], so no input can exhaust the stack.

use super::ast::{CompareOp, Expr, ExprKind, LogicalOp};
use super::lexer::{Lexer, Token, TokenKind, unquote};
use super::{ExprError, Span};

/// The tallest tree the parser builds, so that no input can exhaust the stack of the passes
/// over it. GitHub's own limit ([`GITHUB_MAX_DEPTH`], counted its way) is reached first except
/// by chains of over 100 comparisons (`a == b == c ...`), which GitHub does not count.
pub const MAX_DEPTH: usize = 100;

/// GitHub's nesting limit, counted as GitHub's parser counts: one level for each expression
/// (the whole, a parenthesised one, a function argument, an index), for the operands after the
/// first of a `||` or `&&` chain, for each `!`, and for each `.name` or `[i]` of an access
/// chain. Past it GitHub refuses the workflow ("Exceeded max expression depth 50").
pub const GITHUB_MAX_DEPTH: usize = 50;

/// GitHub refuses an expression whose text (trimmed) is longer than this, in UTF-16 code units.
pub const GITHUB_MAX_LENGTH: usize = 21_000;

/// The error for an expression text longer than GitHub accepts, if it is (offset 0).
pub fn too_long(src: &str) -> Option<ExprError> {
    // A character takes no more UTF-16 units than UTF-8 bytes.
    if src.len() <= GITHUB_MAX_LENGTH {
        return None;
    }
    let len: usize = src
        .trim_matches(super::lexer::is_trimmed)
        .chars()
        .map(char::len_utf16)
        .sum();
    (len > GITHUB_MAX_LENGTH).then(|| {
        ExprError::new(
            0,
            format!(
                "expression is {len} characters long; GitHub refuses expressions over \
                 {GITHUB_MAX_LENGTH} characters (ErrorExceededMaxLength)"
            ),
        )
    })
}

/// Parses the text of one expression (what is between `${{` and `}}`).
///
/// Errors carry a byte offset into `src` and a message worded as actionlint words it.
pub fn parse(src: &str) -> Result<Expr, ExprError> {
    if let Some(chain) = property_chain(src) {
        return Ok(chain);
    }
    parse_with(src, Lexer::new(src))
}

/// The most links [`property_chain`] takes: well under both depth limits, so that a chain it
/// takes is never one the full parser refuses.
const CHAIN_MAX_LINKS: usize = 40;

/// A plain property chain (`github.event.pull_request.head.sha`, `matrix.os`), the commonest
/// expression, parsed without the descent through every level of precedence that each operand
/// takes: the tree [`parse_with`] builds for it, or `None` for any other text (which the full
/// parser then reads, errors included).
fn property_chain(src: &str) -> Option<Expr> {
    // Only names, dots and white space; anything else is no plain chain.
    let plain = |c: u8| super::lexer::is_ident_char(c) || matches!(c, b'.' | b' ');
    if src.len() > GITHUB_MAX_LENGTH || !src.bytes().all(plain) {
        return None;
    }
    let text = |t: Token| src.get(t.span.start..t.span.end);
    let mut lexer = Lexer::new(src);
    let first = lexer.next_token();
    let raw = text(first).filter(|_| first.kind == TokenKind::Ident)?;
    if matches!(raw, "null" | "true" | "false") {
        return None;
    }
    let kind = ExprKind::Variable {
        name: raw.to_ascii_lowercase(),
        raw: raw.to_string(),
    };
    let mut chain = Expr {
        kind,
        span: first.span,
    };
    for _ in 0..=CHAIN_MAX_LINKS {
        match lexer.next_token().kind {
            TokenKind::End if lexer.error().is_none() => return Some(chain),
            TokenKind::Dot => {}
            _ => return None,
        }
        let t = lexer.next_token();
        let name = text(t).filter(|_| t.kind == TokenKind::Ident)?;
        chain = Expr {
            span: Span::new(chain.span.start, t.span.end),
            kind: ExprKind::Property {
                receiver: Box::new(chain),
                name: name.to_ascii_lowercase(),
                name_span: t.span,
            },
        };
    }
    None
}

/// The error for the text after a `${{` that is never closed (there is always one).
pub(crate) fn parse_unterminated(src: &str) -> Option<ExprError> {
    parse_with(src, Lexer::unterminated(src)).err()
}

fn parse_with<'a>(src: &'a str, lexer: Lexer<'a>) -> Result<Expr, ExprError> {
    if let Some(e) = too_long(src) {
        return Err(e);
    }
    let mut p = Parser::new(src, lexer);
    let root = p.parse_or();
    if let Some(e) = p.lexer.take_error() {
        return Err(e);
    }
    let root = match (root, p.err.take()) {
        (_, Some(e)) => return Err(e),
        (Some((r, _)), None) => r,
        (None, None) => return Err(ExprError::new(p.cur.span.start, "invalid expression")),
    };
    if p.cur.kind != TokenKind::End {
        let first = p.cur;
        let mut names = vec![quoted(first.kind.name())];
        loop {
            let t = p.lexer.next_token();
            if t.kind == TokenKind::End {
                break;
            }
            names.push(quoted(t.kind.name()));
        }
        return Err(ExprError::new(
            first.span.start,
            format!(
                "parser did not reach end of input after parsing the expression. {} remaining \
                 token(s) in the input: {}",
                names.len(),
                names.join(", ")
            ),
        ));
    }
    Ok(root)
}

fn quoted(s: &str) -> String {
    format!("{s:?}")
}

/// A parsed node and the height of its tree, which [`MAX_DEPTH`] bounds.
type Node = (Expr, usize);

struct Parser<'a> {
    src: &'a str,
    lexer: Lexer<'a>,
    cur: Token,
    err: Option<ExprError>,
    depth: usize,
    /// The nesting as GitHub counts it ([`GITHUB_MAX_DEPTH`]).
    gh: usize,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, mut lexer: Lexer<'a>) -> Self {
        let cur = lexer.next_token();
        Parser {
            src,
            lexer,
            cur,
            err: None,
            depth: 0,
            gh: 0,
        }
    }

    fn text(&self, span: Span) -> &'a str {
        self.src.get(span.start..span.end).unwrap_or_default()
    }

    fn bump(&mut self) -> Token {
        let t = self.cur;
        self.cur = self.lexer.next_token();
        t
    }

    fn error<T>(&mut self, msg: String) -> Option<T> {
        if self.err.is_none() {
            self.err = Some(ExprError::new(self.cur.span.start, msg));
        }
        None
    }

    fn unexpected<T>(&mut self, where_: &str, expected: &[TokenKind]) -> Option<T> {
        let what = if self.cur.kind == TokenKind::End {
            "end of input".to_string()
        } else {
            format!("token {}", quoted(self.cur.kind.name()))
        };
        let expected: Vec<String> = expected.iter().map(|k| quoted(k.name())).collect();
        self.error(format!(
            "unexpected {what} while parsing {where_}. expecting {}",
            expected.join(", ")
        ))
    }

    fn too_deep<T>(&mut self) -> Option<T> {
        self.error(format!(
            "expression is nested too deeply. the maximum depth of nesting is {MAX_DEPTH}"
        ))
    }

    /// One more level as GitHub counts them; fails past [`GITHUB_MAX_DEPTH`].
    fn gh_enter(&mut self) -> Option<()> {
        self.gh += 1;
        if self.gh > GITHUB_MAX_DEPTH {
            return self.error(format!(
                "expression is nested deeper than {GITHUB_MAX_DEPTH} levels, the most GitHub \
                 accepts (Exceeded max expression depth {GITHUB_MAX_DEPTH})"
            ));
        }
        Some(())
    }

    /// Runs `f` one level of recursion deeper; fails past [`MAX_DEPTH`] levels.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        if self.depth >= MAX_DEPTH {
            return self.too_deep();
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    /// Builds a node over children of height `child_height`; fails past [`MAX_DEPTH`].
    fn node(&mut self, kind: ExprKind, span: Span, child_height: usize) -> Option<Node> {
        let h = child_height + 1;
        if h > MAX_DEPTH {
            return self.too_deep();
        }
        Some((Expr { kind, span }, h))
    }

    fn parse_or(&mut self) -> Option<Node> {
        self.nested(|p| {
            p.gh_enter()?;
            let r = p.logical_chain(TokenKind::Or, LogicalOp::Or, |p| p.parse_and());
            p.gh -= 1;
            r
        })
    }

    fn parse_and(&mut self) -> Option<Node> {
        self.logical_chain(TokenKind::And, LogicalOp::And, |p| p.parse_equality())
    }

    /// `operand (op operand)*` for `||` or `&&`. The result is the same however the operands
    /// are grouped (both are associative and evaluate left to right), so the tree is balanced:
    /// a chain of thousands of conditions, which GitHub accepts, stays a shallow tree.
    fn logical_chain(
        &mut self,
        token: TokenKind,
        op: LogicalOp,
        mut operand: impl FnMut(&mut Self) -> Option<Node>,
    ) -> Option<Node> {
        let first = operand(self)?;
        if self.cur.kind != token {
            return Some(first);
        }
        self.gh_enter()?;
        let mut items = vec![first];
        while self.cur.kind == token {
            self.bump();
            items.push(operand(self)?);
        }
        self.gh -= 1;
        self.balanced(op, items)
    }

    fn balanced(&mut self, op: LogicalOp, mut items: Vec<Node>) -> Option<Node> {
        if items.len() == 1 {
            return items.pop();
        }
        let right_items = items.split_off(items.len() / 2);
        let (left, lh) = self.balanced(op, items)?;
        let (right, rh) = self.balanced(op, right_items)?;
        let span = Span::new(left.span.start, right.span.end);
        let kind = ExprKind::Logical {
            op,
            left: Box::new(left),
            right: Box::new(right),
        };
        self.node(kind, span, lh.max(rh))
    }

    fn parse_equality(&mut self) -> Option<Node> {
        self.binary_chain(
            |p| p.parse_relational(),
            |k| match k {
                TokenKind::Eq => Some(CompareOp::Eq),
                TokenKind::NotEq => Some(CompareOp::NotEq),
                _ => None,
            },
            |op, left, right| ExprKind::Compare { op, left, right },
        )
    }

    fn parse_relational(&mut self) -> Option<Node> {
        self.binary_chain(
            |p| p.parse_not(),
            |k| match k {
                TokenKind::Less => Some(CompareOp::Less),
                TokenKind::LessEq => Some(CompareOp::LessEq),
                TokenKind::Greater => Some(CompareOp::Greater),
                TokenKind::GreaterEq => Some(CompareOp::GreaterEq),
                _ => None,
            },
            |op, left, right| ExprKind::Compare { op, left, right },
        )
    }

    /// Parses `operand (op operand)*`, grouping to the left.
    fn binary_chain<Op: Copy>(
        &mut self,
        mut operand: impl FnMut(&mut Self) -> Option<Node>,
        op_of: impl Fn(TokenKind) -> Option<Op>,
        build: impl Fn(Op, Box<Expr>, Box<Expr>) -> ExprKind,
    ) -> Option<Node> {
        let (mut left, mut lh) = operand(self)?;
        while let Some(op) = op_of(self.cur.kind) {
            self.bump();
            let (right, rh) = operand(self)?;
            let span = Span::new(left.span.start, right.span.end);
            (left, lh) = self.node(build(op, Box::new(left), Box::new(right)), span, lh.max(rh))?;
        }
        Some((left, lh))
    }

    fn parse_not(&mut self) -> Option<Node> {
        if self.cur.kind != TokenKind::Not {
            return self.parse_postfix();
        }
        let bang = self.bump();
        self.gh_enter()?;
        let (operand, h) = self.nested(|p| p.parse_not())?;
        self.gh -= 1;
        let span = Span::new(bang.span.start, operand.span.end);
        self.node(ExprKind::Not(Box::new(operand)), span, h)
    }

    fn parse_postfix(&mut self) -> Option<Node> {
        // GitHub counts a level per access after a name, a call or a parenthesised expression.
        let counts = matches!(self.cur.kind, TokenKind::Ident | TokenKind::LeftParen);
        let before = self.gh;
        let r = self.postfix_chain(counts);
        self.gh = before;
        r
    }

    fn postfix_chain(&mut self, counts: bool) -> Option<Node> {
        let (mut e, mut h) = self.parse_primary()?;
        loop {
            match self.cur.kind {
                TokenKind::Dot => {
                    self.bump();
                    if counts {
                        self.gh_enter()?;
                    }
                    match self.cur.kind {
                        TokenKind::Star => {
                            let star = self.bump();
                            let span = Span::new(e.span.start, star.span.end);
                            let kind = ExprKind::Filter {
                                receiver: Box::new(e),
                            };
                            (e, h) = self.node(kind, span, h)?;
                        }
                        TokenKind::Ident => {
                            let t = self.bump();
                            let span = Span::new(e.span.start, t.span.end);
                            let kind = ExprKind::Property {
                                receiver: Box::new(e),
                                name: self.text(t.span).to_ascii_lowercase(),
                                name_span: t.span,
                            };
                            (e, h) = self.node(kind, span, h)?;
                        }
                        _ => {
                            return self.unexpected(
                                "object property dereference like 'a.b' or array element \
                                 dereference like 'a.*'",
                                &[TokenKind::Ident, TokenKind::Star],
                            );
                        }
                    }
                }
                TokenKind::LeftBracket => {
                    self.bump();
                    let (index, ih) = self.parse_or()?;
                    if self.cur.kind != TokenKind::RightBracket {
                        return self.unexpected(
                            "closing bracket ']' for index access",
                            &[TokenKind::RightBracket],
                        );
                    }
                    let close = self.bump();
                    if counts {
                        self.gh_enter()?;
                    }
                    let span = Span::new(e.span.start, close.span.end);
                    let kind = ExprKind::Index {
                        receiver: Box::new(e),
                        index: Box::new(index),
                    };
                    (e, h) = self.node(kind, span, h.max(ih))?;
                }
                _ => return Some((e, h)),
            }
        }
    }

    fn parse_primary(&mut self) -> Option<Node> {
        match self.cur.kind {
            TokenKind::Ident => self.parse_ident(),
            TokenKind::LeftParen => {
                self.bump();
                let inner = self.parse_or()?;
                if self.cur.kind != TokenKind::RightParen {
                    return self.unexpected(
                        "closing ')' of nested expression (...)",
                        &[TokenKind::RightParen],
                    );
                }
                self.bump();
                // Parentheses are not nodes: the inner node keeps its own span, as in
                // actionlint, so diagnostics land on the same column.
                Some(inner)
            }
            TokenKind::Int => self.parse_int(),
            TokenKind::Float => self.parse_float(),
            TokenKind::String => {
                let t = self.bump();
                let kind = ExprKind::String(unquote(self.text(t.span)));
                Some((Expr { kind, span: t.span }, 1))
            }
            _ => self.unexpected(
                "variable access, function call, null, bool, int, float or string",
                &[
                    TokenKind::Ident,
                    TokenKind::LeftParen,
                    TokenKind::Int,
                    TokenKind::Float,
                    TokenKind::String,
                ],
            ),
        }
    }

    fn parse_ident(&mut self) -> Option<Node> {
        let t = self.bump();
        let raw = self.text(t.span);
        if self.cur.kind != TokenKind::LeftParen {
            // Keywords are case-sensitive: `TRUE` is a (probably undefined) context name.
            let kind = match raw {
                "null" => ExprKind::Null,
                "true" => ExprKind::Bool(true),
                "false" => ExprKind::Bool(false),
                _ => ExprKind::Variable {
                    name: raw.to_ascii_lowercase(),
                    raw: raw.to_string(),
                },
            };
            return Some((Expr { kind, span: t.span }, 1));
        }
        self.bump(); // '('
        let mut args = Vec::new();
        let mut h = 0;
        if self.cur.kind != TokenKind::RightParen {
            loop {
                let (arg, ah) = self.parse_or()?;
                args.push(arg);
                h = h.max(ah);
                match self.cur.kind {
                    TokenKind::Comma => {
                        self.bump();
                    }
                    TokenKind::RightParen => break,
                    _ => {
                        return self.unexpected(
                            "arguments of function call",
                            &[TokenKind::Comma, TokenKind::RightParen],
                        );
                    }
                }
            }
        }
        let close = self.bump(); // ')'
        let kind = ExprKind::Call {
            name: raw.to_string(),
            args,
        };
        self.node(kind, Span::new(t.span.start, close.span.end), h)
    }

    fn parse_int(&mut self) -> Option<Node> {
        let t = self.cur;
        let text = self.text(t.span);
        // actionlint parses integers as 32-bit (Go's `strconv.ParseInt(s, 0, 32)`).
        let (neg, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let magnitude = match digits.strip_prefix("0x") {
            Some(hex) => i64::from_str_radix(hex, 16).ok(),
            None => digits.parse::<i64>().ok(),
        };
        let value = magnitude
            .map(|m| if neg { -m } else { m })
            .filter(|v| i32::try_from(*v).is_ok());
        let Some(value) = value else {
            return self.error(format!(
                "parsing invalid integer literal \"{text}\": strconv.ParseInt: parsing \"{text}\": \
                 value out of range"
            ));
        };
        self.bump();
        Some((
            Expr {
                kind: ExprKind::Int(value),
                span: t.span,
            },
            1,
        ))
    }

    fn parse_float(&mut self) -> Option<Node> {
        let t = self.cur;
        let text = self.text(t.span);
        let Some(value) = text.parse::<f64>().ok().filter(|v| v.is_finite()) else {
            return self.error(format!(
                "parsing invalid float literal \"{text}\": strconv.ParseFloat: parsing \"{text}\": \
                 value out of range"
            ));
        };
        self.bump();
        Some((
            Expr {
                kind: ExprKind::Float(value),
                span: t.span,
            },
            1,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree or error of the full parser.
    fn full(src: &str) -> Result<Expr, ExprError> {
        parse_with(src, Lexer::new(src))
    }

    #[test]
    fn chains_take_the_fast_path() {
        for src in [
            " github.event.pull_request.head.sha ",
            "matrix.OS",
            "a . b",
            "x-y._z",
        ] {
            let chain = property_chain(src);
            assert!(chain.is_some(), "{src}");
            assert_eq!(chain.ok_or(()), full(src).map_err(|_| ()), "{src}");
        }
        for src in [
            "true", "null.x", "a.", "a..b", "a.*", "a.1", "f(x)", "", " ", "1.5", "a b",
        ] {
            assert_eq!(property_chain(src), None, "{src}");
        }
        let long = vec!["a"; CHAIN_MAX_LINKS + 2].join(".");
        assert_eq!(property_chain(&long), None);
        assert_eq!(parse(&long), full(&long));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5000))]
        /// Whatever the fast path takes, it parses as the full parser does.
        #[test]
        fn fast_path_agrees_with_the_full_parser(
            src in "( |\\.|a|Bc|_|x-y|-|1|null|true|\\*|\\(|==|'s'|\u{a0}){0,12}"
        ) {
            if let Some(chain) = property_chain(&src) {
                proptest::prop_assert_eq!(Ok(chain), full(&src));
            }
            proptest::prop_assert_eq!(parse(&src), full(&src));
        }
    }
}
