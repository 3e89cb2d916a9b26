//! A fast reader for the YAML that workflows are written in: block mappings and sequences,
//! plain, quoted and block scalars, flow collections, comments, a leading `---`, anchors and
//! aliases. It builds the tree itself, each construct returning its node, and gives the
//! [`Document`] that saphyr's events give through the event builder (`events`) for the same
//! text: the same nodes at the same positions, the same issues. It gives up ([`Bail`]) on
//! anything else: tags, directives, several documents, tabs, CR line breaks, explicit
//! indentation indicators, compact nested sequences, odd indentation, every syntax error, and an
//! alias the builder would refuse. saphyr then reads the whole text, so a file is read exactly
//! as before whichever reader took it; `tests::the_fast_reader_gives_saphyrs_documents` holds
//! the two to that on every corpus file.
//!
//! Why a second reader: saphyr spends about 130 instructions per byte on these files (it counts
//! characters and tracks simple keys for every token), 38 % of a whole-corpus lint. This one
//! walks the bytes once, borrows plain and quoted scalars from the source, and needs no event
//! stream or stack of open collections in between.

use std::borrow::Cow;

use super::tree::{Anchors, Entries};
use super::{Document, Kind, MAX_DEPTH, Node, Pos, Span, Style, YamlIssue};
use scalars::Stop;

/// The text has something this reader does not take; saphyr reads it instead.
#[derive(Debug, PartialEq)]
pub(super) struct Bail;

type Read<T> = Result<T, Bail>;

/// The document in `src`, or [`Bail`] when the text is not in the subset this reader takes.
pub(super) fn read(src: &str) -> Read<Document> {
    let mut r = Reader::new(src)?;
    let root = r.stream()?;
    let mut issues = r.issues;
    r.anchors.report_unused(src, &mut issues);
    Ok(Document {
        root: Some(root),
        error: None,
        issues,
    })
}

/// How a block scalar's final line breaks are kept (`|`, `|-`, `|+`).
#[derive(Clone, Copy, PartialEq)]
enum Chomp {
    Clip,
    Strip,
    Keep,
}

struct Reader<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    line: u32,
    line_start: usize,
    ascii: bool,
    depth: usize,
    // The last (line start, byte, column in characters) computed, in a text that is not ASCII.
    last_col: std::cell::Cell<(usize, usize, usize)>,
    // Every anchor's name so far; the anchor numbered n is at n - 1.
    names: Vec<&'a str>,
    // An anchor read, waiting for its node, and where the `&` stands.
    pending: Option<(usize, Pos)>,
    anchors: Anchors,
    // Repeated keys, in the order the event builder meets them: when the value is finished.
    issues: Vec<YamlIssue>,
}

/// True for a byte that ends a token in block context: a space, a line break or the end.
fn is_sep(b: Option<&u8>) -> bool {
    matches!(b, None | Some(b' ') | Some(b'\n'))
}

/// True when the UTF-8 text `b` holds a C1 control character (U+0080 to U+009F), a byte order
/// mark (U+FEFF) or the noncharacters U+FFFE and U+FFFF. Looked for by their encodings' lead
/// bytes (`C2 80`-`C2 9F`, `EF BB BF`, `EF BF BE`, `EF BF BF`) rather than by decoding every
/// character of the text.
fn has_odd_char(b: &[u8]) -> bool {
    memchr::memchr2_iter(0xc2, 0xef, b).any(|i| {
        let next = &b[i + 1..];
        match b[i] {
            0xc2 => next.first().is_some_and(|c| (0x80..=0x9f).contains(c)),
            _ => matches!(
                next.get(..2),
                Some([0xbb, 0xbf] | [0xbf, 0xbe] | [0xbf, 0xbf])
            ),
        }
    })
}

/// True for the flow indicators, which end a plain scalar inside `[ ]` and `{ }`.
fn is_flow_indicator(c: u8) -> bool {
    matches!(c, b',' | b'[' | b']' | b'{' | b'}')
}

impl<'a> Reader<'a> {
    /// Refuses text with a byte order mark, tabs, CR, control characters or C1 characters.
    fn new(src: &'a str) -> Read<Self> {
        let b = src.as_bytes();
        // In blocks without an early exit, so that the compiler can vectorise it.
        let odd = |c: u8| (c < 0x20 && c != b'\n') || c == 0x7f;
        if b.chunks(64)
            .any(|chunk| chunk.iter().fold(false, |acc, &c| acc | odd(c)))
        {
            return Err(Bail);
        }
        let ascii = src.is_ascii();
        if !ascii && has_odd_char(b) {
            return Err(Bail);
        }
        Ok(Reader {
            src,
            b,
            pos: 0,
            line: 1,
            line_start: 0,
            ascii,
            depth: 0,
            last_col: std::cell::Cell::new((0, 0, 0)),
            names: Vec::new(),
            pending: None,
            anchors: Anchors::default(),
            issues: Vec::new(),
        })
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn peek_at(&self, i: usize) -> Option<&u8> {
        self.b.get(i)
    }

    fn eof(&self) -> bool {
        self.pos >= self.b.len()
    }

    /// The column (0-based, in bytes) of the reader; only compared for indentation, which is
    /// made of ASCII spaces and `- `.
    fn col(&self) -> usize {
        self.pos - self.line_start
    }

    /// The position of byte `at` on the current line. Inlined, as it is asked for every node's
    /// start and end; the count of characters a text that is not ASCII needs is not.
    #[inline]
    fn at(&self, at: usize) -> Pos {
        let col = if self.ascii {
            at - self.line_start
        } else {
            self.chars_to(at)
        };
        Pos {
            offset: at,
            line: self.line,
            col: col as u32 + 1,
        }
    }

    /// How many characters stand before byte `at` on the current line, counted on from the
    /// last position asked on this line if it is not past `at`.
    #[inline(never)]
    fn chars_to(&self, at: usize) -> usize {
        let (line, mut from, mut chars) = self.last_col.get();
        if line != self.line_start || from > at {
            (from, chars) = (self.line_start, 0);
        }
        // Most stretches are ASCII even in such a text, and checking that is cheaper than
        // counting characters.
        let stretch = &self.b[from..at];
        chars += if stretch.is_ascii() {
            stretch.len()
        } else {
            // Every byte that does not continue a character (10xxxxxx) starts one.
            stretch.iter().filter(|&&c| (c as i8) >= -0x40).count()
        };
        self.last_col.set((self.line_start, at, chars));
        chars
    }

    fn here(&self) -> Pos {
        self.at(self.pos)
    }

    /// The anchor id of a node starting at `start` and where it starts: an anchor waiting for
    /// its node goes to the first one that starts, which then starts at the `&`.
    fn claim(&mut self, start: Pos) -> (usize, Pos) {
        self.pending.take().unwrap_or((0, start))
    }

    /// A finished node, kept for its aliases when it has an anchor. Inlined, so that the node
    /// is built where the caller wants it rather than copied there.
    #[inline]
    fn node(&mut self, anchor: usize, kind: Kind, start: Pos, end: Pos) -> Node {
        let node = Node {
            kind,
            span: Span { start, end },
            from_alias: false,
        };
        // Checked here, as nearly no node has an anchor and this is asked for every node.
        if anchor != 0 {
            self.anchors.register(anchor, &node);
        }
        node
    }

    /// A scalar node from `start` to `end`.
    #[inline]
    fn scalar(&mut self, value: Cow<'a, str>, style: Style, start: Pos, end: Pos) -> Node {
        let (anchor, start) = self.claim(start);
        let kind = Kind::Scalar {
            value: value.into_owned(),
            style,
            tag: None,
        };
        self.node(anchor, kind, start, end)
    }

    /// The index of the next line break, or the end.
    fn eol(&self) -> usize {
        memchr::memchr(b'\n', &self.b[self.pos..]).map_or(self.b.len(), |i| self.pos + i)
    }

    /// Steps over the line break at the reader.
    fn newline(&mut self) {
        self.pos += 1;
        self.line += 1;
        self.line_start = self.pos;
    }

    /// Steps over spaces. A run of them is mostly a line's indentation, so it is read eight
    /// bytes at a time: the first byte that is not a space is the lowest nonzero byte of the
    /// word XOR eight spaces.
    fn spaces(&mut self) {
        if self.peek() != Some(b' ') {
            return;
        }
        while let Some(chunk) = self.b.get(self.pos..self.pos + 8) {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            let others = u64::from_le_bytes(word) ^ u64::from_le_bytes([b' '; 8]);
            if others != 0 {
                self.pos += others.trailing_zeros() as usize / 8;
                return;
            }
            self.pos += 8;
        }
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    /// Steps over spaces and a comment after them, up to the line's break: where saphyr ends a
    /// quoted scalar or a flow bracket.
    fn ws_to_eol(&mut self) {
        let before = self.pos;
        self.spaces();
        if self.pos > before && self.peek() == Some(b'#') {
            self.pos = self.eol();
        }
    }

    /// Steps over spaces, comments and line breaks to the next token or the end. A document
    /// marker (`---`, `...`) at a line's start is refused.
    fn token(&mut self) -> Read<()> {
        self.skip_blank();
        if self.at_marker() {
            return Err(Bail);
        }
        Ok(())
    }

    /// Steps over spaces, comments and line breaks.
    fn skip_blank(&mut self) {
        loop {
            match self.peek() {
                Some(b' ') => self.spaces(),
                Some(b'\n') => self.newline(),
                Some(b'#') => self.pos = self.eol(),
                _ => break,
            }
        }
        if self.eof() && self.line_start < self.pos {
            // saphyr ends a text without a final line break on the line after it.
            self.line += 1;
            self.line_start = self.pos;
        }
    }

    /// True at a document marker (`---`, `...`) at a line's start.
    fn at_marker(&self) -> bool {
        let rest = &self.b[self.pos..];
        self.pos == self.line_start
            && (rest.starts_with(b"---") || rest.starts_with(b"..."))
            && is_sep(rest.get(3))
    }

    /// True at the end of a line's content: a break, the end, or a comment.
    fn at_line_end(&self) -> bool {
        matches!(self.peek(), None | Some(b'\n') | Some(b'#'))
    }

    /// After a value: only spaces and a comment may follow on its line.
    fn line_end(&mut self) -> Read<()> {
        let before = self.pos;
        self.spaces();
        match self.peek() {
            None | Some(b'\n') => Ok(()),
            Some(b'#') if self.pos > before => Ok(()),
            _ => Err(Bail),
        }
    }

    fn enter(&mut self) -> Read<()> {
        self.depth += 1;
        if self.depth >= MAX_DEPTH {
            return Err(Bail);
        }
        Ok(())
    }

    /// The stream: one document whose root is a block mapping or sequence.
    fn stream(&mut self) -> Read<Node> {
        self.skip_blank();
        if self.at_marker() {
            // `---` opens the document; `...` would end one that has not begun.
            if self.b[self.pos] != b'-' {
                return Err(Bail);
            }
            self.pos += 3;
            self.line_end()?;
            self.token()?;
        }
        if self.eof() {
            return Err(Bail);
        }
        let root = if self.is_entry() {
            self.block_seq(self.col(), false)?
        } else if let Some(colon) = self.key_at()? {
            self.block_map(self.col(), colon)?
        } else {
            return Err(Bail);
        };
        self.token()?;
        if !self.eof() {
            return Err(Bail);
        }
        Ok(root)
    }

    /// True at a block sequence entry: `-` then a space, a break or the end.
    fn is_entry(&self) -> bool {
        self.peek() == Some(b'-') && is_sep(self.peek_at(self.pos + 1))
    }

    /// Where the `:` stands when the line from here is an implicit key: a plain or one-line
    /// quoted scalar followed by `:` and a space, a break or the end.
    fn key_at(&self) -> Read<Option<usize>> {
        let b = self.b;
        let mut i = self.pos;
        match b.get(i) {
            Some(b'"') | Some(b'\'') => {
                let Some(end) = self.quoted_end(i) else {
                    return Ok(None);
                };
                i = end;
                while b.get(i) == Some(&b' ') {
                    i += 1;
                }
                let key = b.get(i) == Some(&b':') && is_sep(b.get(i + 1));
                return Ok(key.then_some(i));
            }
            Some(&c) if self.plain_start(i, c, false) => {}
            _ => return Ok(None),
        }
        match self.plain_stop(i) {
            (j, Stop::Colon) => Ok(Some(j)),
            _ => Ok(None),
        }
    }

    /// True when a plain scalar may start with byte `c` at `i`: not an indicator, except
    /// `-`, `?` and `:` followed by a character that is not a separator.
    fn plain_start(&self, i: usize, c: u8, flow: bool) -> bool {
        match c {
            b'-' | b'?' | b':' => {
                let next = self.b.get(i + 1);
                !(is_sep(next) || flow && next.is_some_and(|&n| is_flow_indicator(n)))
            }
            b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
            | b'"' | b'%' | b'@' | b'`' => false,
            _ => true,
        }
    }

    /// A block mapping whose keys stand at column `c`; its first key's `:` is at byte `colon`.
    fn block_map(&mut self, c: usize, mut colon: usize) -> Read<Node> {
        self.enter()?;
        let (anchor, start) = self.claim(self.here());
        let mut entries = Entries::default();
        loop {
            let (key, at) = self.key(colon)?;
            let value = self.map_value(c, at)?;
            entries.add(key, value, &mut self.issues);
            self.token()?;
            if self.eof() || self.col() < c {
                break;
            }
            match self.key_at()? {
                Some(next) if self.col() == c => colon = next,
                _ => return Err(Bail),
            }
        }
        let end = self.here();
        self.depth -= 1;
        Ok(self.node(anchor, Kind::Map(entries.list), start, end))
    }

    /// A key whose `:` is at byte `colon`, and the `:`; returns the key and where the `:` stands.
    fn key(&mut self, colon: usize) -> Read<(Node, Pos)> {
        let start = self.here();
        let (value, style) = match self.peek() {
            Some(b'"') | Some(b'\'') => (self.quoted()?, Style::Quoted),
            _ => {
                let from = self.pos;
                let mut end = colon;
                while self.b[end - 1] == b' ' {
                    end -= 1;
                }
                self.pos = end;
                (Cow::Borrowed(&self.src[from..end]), Style::Plain)
            }
        };
        let end = self.here();
        let key = self.scalar(value, style, start, end);
        self.pos = colon;
        let at = self.here();
        self.pos += 1;
        Ok((key, at))
    }

    /// The value of a key of a mapping at column `c`, whose `:` stands at `colon`.
    fn map_value(&mut self, c: usize, colon: Pos) -> Read<Node> {
        self.spaces();
        if !self.at_line_end() {
            return self.inline_value(c as isize);
        }
        self.token()?;
        let col = self.col();
        if self.eof() || col < c || (col == c && !self.is_entry()) {
            return Ok(self.scalar(Cow::Borrowed(""), Style::Plain, colon, colon));
        }
        if col == c {
            return self.block_seq(c, true);
        }
        self.block_node(c as isize)
    }

    /// A node that starts a line, indented more than `parent`.
    fn block_node(&mut self, parent: isize) -> Read<Node> {
        if self.is_entry() {
            return self.block_seq(self.col(), false);
        }
        if let Some(colon) = self.key_at()? {
            return self.block_map(self.col(), colon);
        }
        if matches!(self.peek(), Some(b'|') | Some(b'>')) {
            return Err(Bail);
        }
        self.inline_value(parent)
    }

    /// A block sequence whose entries stand at column `c`; `indentless` when it is a mapping
    /// value at the mapping's own column.
    fn block_seq(&mut self, c: usize, indentless: bool) -> Read<Node> {
        self.enter()?;
        let p = if indentless {
            // saphyr starts an indentless sequence where its first `-` token ends.
            let dash = self.pos;
            self.pos += 1;
            self.ws_to_eol();
            let q = self.here();
            self.pos = dash;
            q
        } else {
            self.here()
        };
        let (anchor, start) = self.claim(p);
        let mut items = Vec::new();
        loop {
            self.pos += 1;
            self.spaces();
            items.push(self.entry(c)?);
            self.token()?;
            if self.eof() || self.col() < c {
                break;
            }
            if self.col() > c {
                return Err(Bail);
            }
            if !self.is_entry() {
                if indentless {
                    break;
                }
                return Err(Bail);
            }
        }
        let end = self.here();
        self.depth -= 1;
        Ok(self.node(anchor, Kind::Seq(items), start, end))
    }

    /// One entry of a sequence at column `c`, read from just after its `- `.
    fn entry(&mut self, c: usize) -> Read<Node> {
        if self.at_line_end() {
            self.token()?;
            if self.eof() || self.col() <= c {
                return Err(Bail);
            }
            return self.block_node(c as isize);
        }
        if self.is_entry() {
            return Err(Bail);
        }
        if let Some(colon) = self.key_at()? {
            return self.block_map(self.col(), colon);
        }
        self.inline_value(c as isize)
    }

    /// A scalar or flow collection; a plain scalar may go on in lines indented more than
    /// `parent`.
    fn inline_value(&mut self, parent: isize) -> Read<Node> {
        match self.peek() {
            Some(b'|') | Some(b'>') => self.block_scalar(parent),
            Some(b'[') | Some(b'{') => {
                let node = self.flow_node(parent)?;
                self.line_end()?;
                Ok(node)
            }
            Some(b'"') | Some(b'\'') => {
                let start = self.here();
                let value = match self.quoted_end(self.pos) {
                    Some(end) => self.quoted_line(end)?,
                    None => self.quoted_lines(parent)?,
                };
                let end = self.here();
                let node = self.scalar(value, Style::Quoted, start, end);
                self.line_end()?;
                Ok(node)
            }
            Some(b'&') => self.anchored(parent),
            Some(b'*') => self.alias(),
            Some(c) if self.plain_start(self.pos, c, false) => self.plain(parent),
            _ => Err(Bail),
        }
    }
}

mod props;
mod scalars;

#[cfg(test)]
mod tests;
