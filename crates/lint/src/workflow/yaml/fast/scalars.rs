//! The fast reader's scalars and flow collections.

use std::borrow::Cow;

use super::{Bail, Chomp, Entries, Kind, Node, Read, Reader, Style, is_flow_indicator, is_sep};

/// What ends a plain scalar's line: a comment, the line's end, or a `:` before a space or the
/// end, which makes what came before it a key.
pub(super) enum Stop {
    Comment,
    Break,
    Colon,
}

impl<'a> Reader<'a> {
    /// A plain scalar in block context; it goes on in the following lines indented more than
    /// `parent` (folded: one break is a space, blank lines are breaks).
    pub(super) fn plain(&mut self, parent: isize) -> Read<Node> {
        let from = self.pos;
        let start = self.here();
        let (mut end, mut stop) = self.plain_line()?;
        let mut end_pos = self.at(end);
        let mut owned: Option<String> = None;
        // Whether the reader stopped on a line after the scalar's: the breaks, blank lines and
        // indentation it stepped over are what the search for the next token steps over, so it
        // stays there rather than going back to read them again.
        let mut past = false;
        while let Stop::Break = stop {
            let saved = (self.pos, self.line, self.line_start);
            let Some(breaks) = self.continuation(parent) else {
                past = self.line != saved.1;
                if !past {
                    (self.pos, self.line, self.line_start) = saved;
                }
                break;
            };
            let seg = self.pos;
            let (seg_end, seg_stop) = self.plain_line()?;
            let s = owned.get_or_insert_with(|| self.src[from..end].to_string());
            if breaks == 0 {
                s.push(' ');
            } else {
                s.extend(std::iter::repeat_n('\n', breaks));
            }
            s.push_str(&self.src[seg..seg_end]);
            end = seg_end;
            end_pos = self.at(end);
            stop = seg_stop;
        }
        let value = owned.map_or(Cow::Borrowed(&self.src[from..end]), Cow::Owned);
        let node = self.scalar(value, Style::Plain, start, end_pos);
        if !past {
            self.pos = end;
            self.line_end()?;
        }
        Ok(node)
    }

    /// From the end of a plain scalar's line: moves to the next line that goes on with it and
    /// returns how many blank lines came between, or `None` when the scalar ends here.
    fn continuation(&mut self, parent: isize) -> Option<usize> {
        self.spaces();
        let mut breaks = 0;
        loop {
            if self.peek() != Some(b'\n') {
                return None;
            }
            self.newline();
            self.spaces();
            if self.peek() != Some(b'\n') {
                break;
            }
            breaks += 1;
        }
        let c = self.peek()?;
        if (self.col() as isize) <= parent || c == b'#' {
            return None;
        }
        Some(breaks)
    }

    /// One line of a plain scalar: its end (trailing spaces dropped) and what stopped it. A
    /// `: ` inside is a key where none may be, so the reader gives up.
    fn plain_line(&mut self) -> Read<(usize, Stop)> {
        let (mut i, stop) = self.plain_stop(self.pos);
        if let Stop::Colon = stop {
            return Err(Bail);
        }
        while i > self.pos && self.b[i - 1] == b' ' {
            i -= 1;
        }
        self.pos = i;
        Ok((i, stop))
    }

    /// Where the plain text from `from` stops on its line, and why: the `:` of a key, the space
    /// before a comment, or the line's end. Jumps with memchr3 from one `:`, `#` or break to the
    /// next: most scalars hold none of the first two.
    pub(super) fn plain_stop(&self, from: usize) -> (usize, Stop) {
        let b = self.b;
        let mut i = from;
        loop {
            let Some(j) = memchr::memchr3(b':', b'#', b'\n', &b[i..]).map(|j| i + j) else {
                return (b.len(), Stop::Break);
            };
            match b[j] {
                b'\n' => return (j, Stop::Break),
                b':' if is_sep(b.get(j + 1)) => return (j, Stop::Colon),
                b'#' if j > from && b[j - 1] == b' ' => return (j - 1, Stop::Comment),
                _ => i = j + 1,
            }
        }
    }

    /// The index just past the closing quote of the quoted scalar opening at `i`, or `None`
    /// when it does not close on its line.
    pub(super) fn quoted_end(&self, i: usize) -> Option<usize> {
        let b = self.b;
        let q = b[i];
        let mut j = i + 1;
        loop {
            match b.get(j) {
                None | Some(b'\n') => return None,
                Some(b'\\') if q == b'"' => {
                    if matches!(b.get(j + 1), None | Some(b'\n')) {
                        return None;
                    }
                    j += 2;
                }
                Some(&c) if c == q => {
                    if q == b'\'' && b.get(j + 1) == Some(&b'\'') {
                        j += 2;
                    } else {
                        return Some(j + 1);
                    }
                }
                _ => j += 1,
            }
        }
    }

    /// A quoted scalar that goes on over lines, each indented more than `parent`: a break
    /// folds to a space, blank lines to breaks, spaces around a break go, and in `"..."` a `\`
    /// before the break joins the lines.
    pub(super) fn quoted_lines(&mut self, parent: isize) -> Read<Cow<'a, str>> {
        let single = self.peek() == Some(b'\'');
        let mut s = String::new();
        self.pos += 1;
        loop {
            if self.eof() || (self.col() as isize) <= parent || self.at_marker() {
                return Err(Bail);
            }
            let mut leading_blanks = false;
            loop {
                match self.peek() {
                    None | Some(b' ') | Some(b'\n') => break,
                    Some(b'\'') if single && self.peek_at(self.pos + 1) == Some(&b'\'') => {
                        s.push('\'');
                        self.pos += 2;
                    }
                    Some(b'\'') if single => break,
                    Some(b'"') if !single => break,
                    Some(b'\\') if !single && self.peek_at(self.pos + 1) == Some(&b'\n') => {
                        self.pos += 1;
                        self.newline();
                        leading_blanks = true;
                        break;
                    }
                    Some(b'\\') if !single => {
                        let mut rest = self.src[self.pos + 1..].chars();
                        s.push(unescape(&mut rest)?);
                        self.pos = self.src.len() - rest.as_str().len();
                    }
                    Some(_) => {
                        let c = self.src[self.pos..].chars().next().ok_or(Bail)?;
                        s.push(c);
                        self.pos += c.len_utf8();
                    }
                }
            }
            if self.peek() == Some(if single { b'\'' } else { b'"' }) {
                break;
            }
            self.fold_blanks(&mut s, leading_blanks);
        }
        self.pos += 1;
        self.ws_to_eol();
        Ok(Cow::Owned(s))
    }

    /// The spaces and breaks inside a quoted scalar, folded into `s`.
    fn fold_blanks(&mut self, s: &mut String, mut leading_blanks: bool) {
        let from = self.pos;
        let mut first_break = false;
        let mut breaks = 0;
        loop {
            match self.peek() {
                Some(b' ') => self.pos += 1,
                Some(b'\n') => {
                    if leading_blanks {
                        breaks += 1;
                    } else {
                        first_break = true;
                        leading_blanks = true;
                    }
                    self.newline();
                }
                _ => break,
            }
        }
        if !leading_blanks {
            s.push_str(&self.src[from..self.pos]);
        } else if first_break && breaks == 0 {
            s.push(' ');
        } else {
            s.extend(std::iter::repeat_n('\n', breaks));
        }
    }

    /// A one-line quoted scalar at the reader; the reader ends past it.
    pub(super) fn quoted(&mut self) -> Read<Cow<'a, str>> {
        let end = self.quoted_end(self.pos).ok_or(Bail)?;
        self.quoted_line(end)
    }

    /// The one-line quoted scalar at the reader, whose closing quote ends before `end`: `'...'`
    /// (`''` is a quote) or `"..."` with its escapes. The reader ends past it.
    pub(super) fn quoted_line(&mut self, end: usize) -> Read<Cow<'a, str>> {
        let single = self.peek() == Some(b'\'');
        let body = &self.src[self.pos + 1..end - 1];
        self.pos = end;
        self.ws_to_eol();
        if single {
            let value = if body.contains("''") {
                Cow::Owned(body.replace("''", "'"))
            } else {
                Cow::Borrowed(body)
            };
            return Ok(value);
        }
        if !body.contains('\\') {
            return Ok(Cow::Borrowed(body));
        }
        let mut s = String::with_capacity(body.len());
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                s.push(c);
                continue;
            }
            s.push(unescape(&mut chars)?);
        }
        Ok(Cow::Owned(s))
    }

    /// A block scalar (`|` or `>`, with an optional chomping indicator) under a node indented
    /// at `parent`. Its span runs from its first content character to where its last line
    /// break's following indentation ends, as saphyr has it.
    pub(super) fn block_scalar(&mut self, parent: isize) -> Read<Node> {
        let literal = self.peek() == Some(b'|');
        self.pos += 1;
        let chomp = match self.peek() {
            Some(b'-') => Chomp::Strip,
            Some(b'+') => Chomp::Keep,
            _ => Chomp::Clip,
        };
        if chomp != Chomp::Clip {
            self.pos += 1;
        }
        if self.peek().is_some_and(|c| c.is_ascii_digit()) {
            return Err(Bail);
        }
        self.line_end()?;
        self.pos = self.eol();
        if self.eof() {
            return Err(Bail);
        }
        self.newline();
        self.spaces();
        let indent = self.col();
        if matches!(self.peek(), None | Some(b'\n')) || (indent as isize) <= parent || indent == 0 {
            return Err(Bail);
        }
        let start = self.here();
        let text = self.block_lines(literal, indent, chomp);
        let end = self.here();
        let style = if literal {
            Style::Literal
        } else {
            Style::Folded
        };
        Ok(self.scalar(Cow::Owned(text), style, start, end))
    }

    /// A block scalar's lines from its first content character, folded or not, chomped.
    fn block_lines(&mut self, literal: bool, indent: usize, chomp: Chomp) -> String {
        let mut text = String::new();
        let mut leading_break = false;
        let mut leading_blank = false;
        let mut breaks = 0;
        loop {
            let trailing_blank = self.peek() == Some(b' ');
            if !literal && leading_break && !leading_blank && !trailing_blank {
                if breaks == 0 {
                    text.push(' ');
                }
            } else if leading_break {
                text.push('\n');
            }
            text.extend(std::iter::repeat_n('\n', breaks));
            leading_break = false;
            breaks = 0;
            leading_blank = trailing_blank;
            let eol = self.eol();
            text.push_str(&self.src[self.pos..eol]);
            self.pos = eol;
            if self.eof() {
                break;
            }
            self.newline();
            leading_break = true;
            loop {
                while self.col() < indent && self.peek() == Some(b' ') {
                    self.pos += 1;
                }
                if self.peek() != Some(b'\n') {
                    break;
                }
                breaks += 1;
                self.newline();
            }
            if self.col() < indent || self.eof() {
                break;
            }
        }
        if chomp != Chomp::Strip {
            if leading_break {
                text.push('\n');
            }
            if self.eof() && self.col() >= indent.max(1) {
                text.push('\n');
            }
        }
        if chomp == Chomp::Keep {
            text.extend(std::iter::repeat_n('\n', breaks));
        }
        text
    }

    /// A flow collection (`[a, "b", {c: d}]`) in a node indented at `parent`; its lines after
    /// the first must be indented more than that.
    pub(super) fn flow_node(&mut self, parent: isize) -> Read<Node> {
        self.enter()?;
        let seq = self.peek() == Some(b'[');
        let close = if seq { b']' } else { b'}' };
        let (anchor, start) = self.claim(self.here());
        self.pos += 1;
        self.ws_to_eol();
        self.flow_ws(parent)?;
        let mut items = Vec::new();
        let mut entries = Entries::default();
        // saphyr ends a mapping closed after a trailing comma where the comma's token ends.
        let mut comma = None;
        while self.peek() != Some(close) {
            let item = self.flow_item(parent)?;
            self.flow_ws(parent)?;
            if seq {
                items.push(item);
            } else {
                if self.peek() != Some(b':') || !is_sep(self.peek_at(self.pos + 1)) {
                    return Err(Bail);
                }
                self.pos += 1;
                self.flow_ws(parent)?;
                let value = self.flow_item(parent)?;
                entries.add(item, value, &mut self.issues);
                self.flow_ws(parent)?;
            }
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.ws_to_eol();
                    comma = (!seq).then(|| self.here());
                    self.flow_ws(parent)?;
                }
                Some(c) if c == close => {
                    comma = None;
                    break;
                }
                _ => return Err(Bail),
            }
        }
        self.pos += 1;
        self.ws_to_eol();
        let end = comma.unwrap_or_else(|| self.here());
        self.depth -= 1;
        let kind = if seq {
            Kind::Seq(items)
        } else {
            Kind::Map(entries.list)
        };
        Ok(self.node(anchor, kind, start, end))
    }

    /// Steps over spaces, comments and line breaks inside a flow collection; a line that goes
    /// on with it must be indented more than `parent`.
    fn flow_ws(&mut self, parent: isize) -> Read<()> {
        let line = self.line;
        loop {
            let before = self.pos;
            self.spaces();
            match self.peek() {
                Some(b'#') if self.pos > before || self.pos == self.line_start => {
                    self.pos = self.eol();
                }
                Some(b'\n') => self.newline(),
                _ => break,
            }
        }
        if self.line != line && ((self.col() as isize) <= parent || self.at_marker()) {
            return Err(Bail);
        }
        Ok(())
    }

    /// One item of a flow collection.
    fn flow_item(&mut self, parent: isize) -> Read<Node> {
        let start = self.here();
        let (value, style) = match self.peek() {
            Some(b'[') | Some(b'{') => return self.flow_node(parent),
            Some(b'"') | Some(b'\'') => (self.quoted()?, Style::Quoted),
            Some(c) if self.plain_start(self.pos, c, true) => {
                let from = self.pos;
                let end = self.flow_plain_end()?;
                self.pos = end;
                (Cow::Borrowed(&self.src[from..end]), Style::Plain)
            }
            _ => return Err(Bail),
        };
        let end = self.here();
        Ok(self.scalar(value, style, start, end))
    }

    /// Where a plain scalar inside a flow collection ends (trailing spaces dropped). saphyr
    /// refuses a `-` after a space there when a flow indicator follows it.
    fn flow_plain_end(&self) -> Read<usize> {
        let b = self.b;
        let mut i = self.pos;
        loop {
            match b.get(i) {
                None | Some(b'\n') => break,
                Some(&c) if is_flow_indicator(c) => break,
                Some(b':')
                    if b.get(i + 1)
                        .is_none_or(|&n| n == b' ' || n == b'\n' || is_flow_indicator(n)) =>
                {
                    break;
                }
                Some(b' ') if b.get(i + 1) == Some(&b'#') => break,
                Some(b' ')
                    if b.get(i + 1) == Some(&b'-')
                        && b.get(i + 2).is_some_and(|&n| is_flow_indicator(n)) =>
                {
                    return Err(Bail);
                }
                _ => i += 1,
            }
        }
        while i > self.pos && b[i - 1] == b' ' {
            i -= 1;
        }
        Ok(i)
    }
}

/// The character a double-quoted escape stands for (the `\` already read).
fn unescape(chars: &mut std::str::Chars<'_>) -> Read<char> {
    let hex = |chars: &mut std::str::Chars<'_>, n: usize| -> Read<char> {
        let digits: String = chars.by_ref().take(n).collect();
        if digits.len() != n {
            return Err(Bail);
        }
        let v = u32::from_str_radix(&digits, 16).map_err(|_| Bail)?;
        char::from_u32(v).ok_or(Bail)
    };
    Ok(match chars.next().ok_or(Bail)? {
        '0' => '\0',
        'a' => '\x07',
        'b' => '\x08',
        't' => '\t',
        'n' => '\n',
        'v' => '\x0b',
        'f' => '\x0c',
        'r' => '\r',
        'e' => '\x1b',
        ' ' => ' ',
        '"' => '"',
        '/' => '/',
        '\\' => '\\',
        'N' => '\u{85}',
        '_' => '\u{a0}',
        'L' => '\u{2028}',
        'P' => '\u{2029}',
        'x' => hex(chars, 2)?,
        'u' => hex(chars, 4)?,
        'U' => hex(chars, 8)?,
        _ => return Err(Bail),
    })
}
