//! Where a byte of a scalar's value stands in the source.
//!
//! The expression checker reports byte offsets into a scalar's *value*; a finding needs the line
//! and column in the *file*. For a plain scalar on one line the two differ by the scalar's start;
//! quotes, escapes, folded line breaks and the indentation of block scalars (`|`, `>`) make the
//! mapping less direct, so the value is walked against its source text.

use crate::workflow::yaml::{Kind, Node, Pos, Span, Style};

/// The source position of byte `offset` of the value of scalar `node` in `source`.
///
/// Falls back to the node's start when the node is not a scalar, was expanded from an alias
/// (its text is elsewhere), or its span does not fit the source.
pub fn value_pos(source: &str, node: &Node, offset: usize) -> Pos {
    let Kind::Scalar { value, style, .. } = &node.kind else {
        return node.span.start;
    };
    let (start, end) = (node.span.start.offset, node.span.end.offset);
    if node.from_alias || start > end {
        return node.span.start;
    }
    let Some(text) = source.get(start..end) else {
        return node.span.start;
    };
    let mut w = Walker {
        text,
        at: 0,
        pos: node.span.start,
        indent: None,
    };
    match style {
        Style::Plain => {}
        Style::Quoted => w.bump(),
        Style::Literal | Style::Folded => w.enter_block(source),
    }
    w.seek(value, offset, *style, text.starts_with('"'));
    w.pos
}

/// The source span of bytes `start..end` of the value of scalar `node`.
pub fn value_span(source: &str, node: &Node, start: usize, end: usize) -> Span {
    Span {
        start: value_pos(source, node, start),
        end: value_pos(source, node, end.max(start)),
    }
}

struct Walker<'s> {
    text: &'s str,
    at: usize,
    pos: Pos,
    /// The content indentation of a block scalar; `None` for flow scalars.
    indent: Option<usize>,
}

impl Walker<'_> {
    fn peek(&self) -> Option<char> {
        self.text.get(self.at..).and_then(|r| r.chars().next())
    }

    fn peek2(&self) -> Option<char> {
        self.text.get(self.at..).and_then(|r| r.chars().nth(1))
    }

    fn bump(&mut self) {
        let Some(c) = self.peek() else { return };
        self.at += c.len_utf8();
        self.pos.offset += c.len_utf8();
        if c == '\n' {
            self.pos.line += 1;
            self.pos.col = 1;
        } else {
            self.pos.col += 1;
        }
    }

    /// Learns the content indentation of a block scalar. Its span starts at its content (the
    /// `|` header is not part of it), so the indentation is that of its first non-blank line.
    fn enter_block(&mut self, source: &str) {
        let start = self.pos.offset;
        let line_start = source
            .get(..start)
            .and_then(|s| s.rfind('\n'))
            .map_or(0, |i| i + 1);
        let indent = source
            .get(line_start..)
            .unwrap_or_default()
            .lines()
            .find(|l| !l.trim().is_empty())
            .map_or(0, |l| l.len() - l.trim_start_matches(' ').len());
        self.indent = Some(indent);
        if start == line_start {
            self.skip_indent();
        }
    }

    /// After a line break: the block indentation, or all leading blanks of a flow scalar.
    fn skip_indent(&mut self) {
        match self.indent {
            Some(n) => {
                for _ in 0..n {
                    if self.peek() != Some(' ') {
                        break;
                    }
                    self.bump();
                }
            }
            None => {
                while matches!(self.peek(), Some(' ' | '\t')) {
                    self.bump();
                }
            }
        }
    }

    fn line_break(&mut self) {
        if self.peek() == Some('\r') {
            self.bump();
        }
        self.bump();
        self.skip_indent();
    }

    /// Walks the source until `offset` bytes of `value` have been produced.
    fn seek(&mut self, value: &str, offset: usize, style: Style, double: bool) {
        let mut vi = 0;
        // Leading empty lines of a block scalar come before its span.
        if self.indent.is_some() {
            vi = value.len() - value.trim_start_matches('\n').len();
        }
        // Each step consumes source; the bound only guards against a mismatch loop.
        let mut budget = self.text.len() * 2 + 8;
        while vi < offset && budget > 0 {
            budget -= 1;
            let Some(vc) = value.get(vi..).and_then(|r| r.chars().next()) else {
                return;
            };
            let Some(sc) = self.peek() else { return };
            if style == Style::Quoted && double && sc == '\\' {
                self.bump();
                match self.peek() {
                    // An escaped line break produces nothing.
                    Some('\n' | '\r') => {
                        self.line_break();
                        continue;
                    }
                    Some('x') => self.bump_n(3),
                    Some('u') => self.bump_n(5),
                    Some('U') => self.bump_n(9),
                    _ => self.bump(),
                }
                vi += vc.len_utf8();
                continue;
            }
            if style == Style::Quoted && !double && sc == '\'' && self.peek2() == Some('\'') {
                self.bump_n(2);
                vi += vc.len_utf8();
                continue;
            }
            if sc == vc && sc != '\n' {
                self.bump();
                vi += vc.len_utf8();
            } else if sc == '\n' || sc == '\r' {
                // A kept line break (`\n` in the value) or a folded one (a space) consumes the
                // break; a line break that produced nothing (before an empty line) does not.
                self.line_break();
                if vc == '\n' || vc == ' ' {
                    vi += 1;
                }
            } else {
                // Trailing blanks before a fold, or text the value does not hold: skip it.
                self.bump();
            }
        }
    }

    fn bump_n(&mut self, n: usize) {
        for _ in 0..n {
            self.bump();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::yaml;

    /// (line, col) of `needle`'s first byte in the value of key `key` of a one-level map.
    fn at(src: &str, key: &str, needle: &str) -> (u32, u32) {
        let doc = yaml::parse(src);
        let root = doc.root.expect("root");
        let node = root.get(key).expect("key");
        let value = node.as_str().expect("scalar");
        let off = value.find(needle).expect("needle in value");
        let p = value_pos(src, node, off);
        (p.line, p.col)
    }

    #[test]
    fn plain_and_quoted() {
        assert_eq!(at("k: echo ${{ x }}\n", "k", "x"), (1, 13));
        assert_eq!(at("k: 'echo ${{ x }}'\n", "k", "x"), (1, 14));
        assert_eq!(at("k: \"echo ${{ x }}\"\n", "k", "x"), (1, 14));
        assert_eq!(at("k: 'it''s ${{ x }}'\n", "k", "x"), (1, 15));
        assert_eq!(at("k: \"a\\\"b ${{ x }}\"\n", "k", "x"), (1, 14));
        assert_eq!(at("k: \"é ${{ x }}\"\n", "k", "x"), (1, 11));
    }

    #[test]
    fn block_scalars() {
        let src = "k: |\n  echo one\n  echo ${{ x }}\n";
        assert_eq!(at(src, "k", "x"), (3, 12));
        let src = "k: >-\n    first\n    second ${{ x }}\n";
        assert_eq!(at(src, "k", "x"), (3, 16));
        let src = "k: |\n\n  a\n    b ${{ x }}\n";
        assert_eq!(at(src, "k", "x"), (4, 11));
        let src = "k: >\n\n  a\n  b\n\n  c ${{ x }}\n";
        assert_eq!(at(src, "k", "x"), (6, 9));
    }

    #[test]
    fn multi_line_flow_scalars() {
        let src = "k: first\n  second ${{ x }}\n";
        assert_eq!(at(src, "k", "x"), (2, 14));
        let src = "k: \"first\n  \\\n  second ${{ x }}\"\n";
        assert_eq!(at(src, "k", "x"), (3, 14));
    }
}
