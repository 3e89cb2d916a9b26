//! YAML with source positions: a small tree, built by `fast`, a reader for the YAML workflows
//! are written in, or, for any other text, from saphyr-parser's events (`events`); both give the
//! same tree at the same positions, by the same rules (`tree`; see `fast`).
//!
//! Every key and value keeps where it stands in the source, so that a rule can point at the
//! offending node. Aliases are expanded into copies of their anchor, under a budget that stops
//! alias bombs; merge keys (`<<`) are kept as ordinary keys so the schema can flag them, since
//! GitHub Actions does not support them.

mod events;
mod fast;
mod tree;

use events::parse_once;

/// A place in the source: byte offset, 1-based line, 1-based column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Pos {
    /// Byte offset into the source text.
    pub offset: usize,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub col: u32,
}

/// A half-open range of the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Span {
    /// First character of the node.
    pub start: Pos,
    /// One past the last character of the node.
    pub end: Pos,
}

impl Span {
    /// A span covering a single position.
    pub fn point(p: Pos) -> Self {
        Span { start: p, end: p }
    }
}

/// How a scalar was written, which decides how GitHub interprets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `foo`: subject to type resolution (null, bool, number, string).
    Plain,
    /// `'foo'` or `"foo"`: always a string.
    Quoted,
    /// `|` block: always a string; line breaks kept.
    Literal,
    /// `>` block: always a string; lines folded.
    Folded,
}

/// The resolved type of a scalar under YAML 1.2's core schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarType {
    /// `~`, `null`, empty.
    Null,
    /// `true` / `false` in any of the core spellings.
    Bool,
    /// Integer.
    Int,
    /// Floating point.
    Float,
    /// Anything else.
    Str,
}

impl ScalarType {
    /// The YAML tag name actionlint and users know (`!!str`, ...).
    pub fn tag(self) -> &'static str {
        match self {
            ScalarType::Null => "!!null",
            ScalarType::Bool => "!!bool",
            ScalarType::Int => "!!int",
            ScalarType::Float => "!!float",
            ScalarType::Str => "!!str",
        }
    }
}

/// The shape of a node.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A scalar with its text as parsed (quotes and escapes resolved).
    Scalar {
        /// The scalar's value.
        value: String,
        /// How it was written.
        style: Style,
        /// An explicit tag (`!!str`), if any. Boxed, as it is rare: a smaller node is cheaper to
        /// move while the tree is built.
        tag: Option<Box<str>>,
    },
    /// A sequence of nodes.
    Seq(Vec<Node>),
    /// A mapping in source order; duplicate keys are reported, the first one is kept.
    Map(Vec<(Node, Node)>),
}

/// A YAML node with its source span.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Its shape and content.
    pub kind: Kind,
    /// Where it is written. For an alias, where the alias is written.
    pub span: Span,
    /// True when this node is the expansion of an alias (`*name`).
    pub from_alias: bool,
}

impl Node {
    /// The scalar's text, if this is a scalar (of any resolved type).
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The mapping's entries, if this is a mapping.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The sequence's items, if this is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// Looks up a key in a mapping (exact match).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// Looks up a key in a mapping and returns the key node too.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, v)| (k, v))
    }

    /// True for a scalar that resolves to null (`~`, `null`, nothing at all).
    pub fn is_null(&self) -> bool {
        matches!(self.scalar_type(), Some(ScalarType::Null))
    }

    /// The core-schema type of a scalar; `None` for collections.
    pub fn scalar_type(&self) -> Option<ScalarType> {
        match &self.kind {
            Kind::Scalar { value, style, tag } => Some(resolve(value, *style, tag.as_deref())),
            _ => None,
        }
    }

    /// A short description of the node kind for messages: "mapping", "sequence", "scalar".
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            Kind::Scalar { .. } => "scalar",
            Kind::Seq(_) => "sequence",
            Kind::Map(_) => "mapping",
        }
    }

    /// The boolean value of a scalar (`true`/`false` in any core-schema spelling).
    pub fn as_bool(&self) -> Option<bool> {
        if self.scalar_type()? != ScalarType::Bool {
            return None;
        }
        Some(self.as_str()?.eq_ignore_ascii_case("true"))
    }

    /// The numeric value of an int or float scalar.
    pub fn as_f64(&self) -> Option<f64> {
        match self.scalar_type()? {
            ScalarType::Int | ScalarType::Float => parse_number(self.as_str()?),
            _ => None,
        }
    }
}

/// Resolves a scalar's type under the YAML 1.2 core schema, as GitHub's parser does.
pub fn resolve(value: &str, style: Style, tag: Option<&str>) -> ScalarType {
    if let Some(t) = tag {
        return match t {
            "!!str" => ScalarType::Str,
            "!!bool" => ScalarType::Bool,
            "!!int" => ScalarType::Int,
            "!!float" => ScalarType::Float,
            "!!null" => ScalarType::Null,
            _ => ScalarType::Str,
        };
    }
    if style != Style::Plain {
        return ScalarType::Str;
    }
    match value {
        "" | "~" | "null" | "Null" | "NULL" => ScalarType::Null,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => ScalarType::Bool,
        _ if is_int(value) => ScalarType::Int,
        _ if parse_number(value).is_some() => ScalarType::Float,
        _ => ScalarType::Str,
    }
}

fn is_int(v: &str) -> bool {
    let digits = v.strip_prefix(['-', '+']).unwrap_or(v);
    if let Some(hex) = digits.strip_prefix("0x") {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    if let Some(oct) = digits.strip_prefix("0o") {
        return !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b));
    }
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Parses a YAML 1.2 core-schema number (int, float, `.inf`, `.nan`).
pub fn parse_number(v: &str) -> Option<f64> {
    match v {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    let body = v.strip_prefix(['-', '+']).unwrap_or(v);
    if let Some(hex) = body.strip_prefix("0x") {
        let n = i64::from_str_radix(hex, 16).ok()? as f64;
        return Some(if v.starts_with('-') { -n } else { n });
    }
    if let Some(oct) = body.strip_prefix("0o") {
        let n = i64::from_str_radix(oct, 8).ok()? as f64;
        return Some(if v.starts_with('-') { -n } else { n });
    }
    // The core schema's float: digits with an optional fraction and exponent; no "inf" words.
    let b = body.as_bytes();
    if b.is_empty() || !(b[0].is_ascii_digit() || b[0] == b'.') {
        return None;
    }
    if !b.iter().any(u8::is_ascii_digit) {
        return None;
    }
    if b.iter()
        .any(|c| !(c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-')))
    {
        return None;
    }
    v.parse::<f64>().ok()
}

/// Why YAML could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    /// What the parser said.
    pub message: String,
    /// Where.
    pub pos: Pos,
}

/// Something odd but parseable found while building the tree.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlIssue {
    /// What is wrong.
    pub message: String,
    /// Where.
    pub span: Span,
    /// Harmless but worth knowing (an unused anchor), rather than wrong.
    pub warning: bool,
}

/// The result of reading one YAML document.
#[derive(Debug, Default)]
pub struct Document {
    /// The root node; `None` for an empty stream.
    pub root: Option<Node>,
    /// A syntax error that stopped the parse (the tree holds what came before it).
    pub error: Option<YamlError>,
    /// Duplicate keys, unused anchors, extra documents, and other oddities.
    pub issues: Vec<YamlIssue>,
}

/// How many nodes alias expansion may produce before the document is refused: a billion-laughs
/// document expands exponentially, so it stops here instead of eating memory.
pub const ALIAS_EXPANSION_BUDGET: usize = 100_000;
/// How deep collections may nest; deeper input is refused as a syntax error.
pub const MAX_DEPTH: usize = 256;

/// Converts saphyr's character-indexed markers into byte offsets.
struct Offsets<'a> {
    src: &'a str,
    ascii: bool,
    // Byte offset of every 1024th character, so a lookup walks at most 1023 characters.
    checkpoints: Vec<usize>,
    // The last (character index, byte offset) looked up: events come in source order, so the
    // next lookup usually walks a few characters on from it.
    cursor: std::cell::Cell<(usize, usize)>,
}

const CHECKPOINT: usize = 1024;

impl<'a> Offsets<'a> {
    fn new(src: &'a str) -> Self {
        let ascii = src.is_ascii();
        let checkpoints = if ascii {
            Vec::new()
        } else {
            src.char_indices()
                .step_by(CHECKPOINT)
                .map(|(b, _)| b)
                .collect()
        };
        Offsets {
            src,
            ascii,
            checkpoints,
            cursor: std::cell::Cell::new((0, 0)),
        }
    }

    fn byte_of(&self, idx: usize) -> usize {
        if self.ascii {
            return idx.min(self.src.len());
        }
        let Some(&checkpoint) = self.checkpoints.get(idx / CHECKPOINT) else {
            return self.src.len();
        };
        let (cur_idx, cur_byte) = self.cursor.get();
        let (base_idx, base) = if cur_idx <= idx && idx - cur_idx < idx % CHECKPOINT {
            (cur_idx, cur_byte)
        } else {
            (idx - idx % CHECKPOINT, checkpoint)
        };
        let byte = self
            .src
            .get(base..)
            .unwrap_or_default()
            .char_indices()
            .nth(idx - base_idx)
            .map_or(self.src.len(), |(b, _)| base + b);
        self.cursor.set((idx, byte));
        byte
    }

    fn pos(&self, m: &saphyr_parser::Marker) -> Pos {
        Pos {
            offset: self.byte_of(m.index()),
            line: m.line() as u32,
            col: m.col() as u32 + 1,
        }
    }
}

/// Parses the first document of `src` into a tree with spans.
///
/// libyaml and Go's yaml.v3 (and so GitHub) accept a flow collection whose closing `]` or `}`
/// stands on its own line less indented than its content; saphyr does not. When that is the
/// only problem, the bracket is moved to the end of the previous line (keeping the text's length
/// and line count, so positions stay right) and the text is parsed again.
pub fn parse(src: &str) -> Document {
    let doc = parse_once(src);
    let Some(err) = &doc.error else { return doc };
    if err.message != "invalid indentation" {
        return doc;
    }
    let mut fixed = src.to_string();
    let mut pos = err.pos;
    for _ in 0..64 {
        if !move_bracket_up(&mut fixed, pos) {
            return doc;
        }
        let retry = parse_once(&fixed);
        match &retry.error {
            Some(e) if e.message == "invalid indentation" => pos = e.pos,
            Some(_) => return doc,
            None => return retry,
        }
    }
    doc
}

/// Moves a lone closing flow bracket at `pos` to the end of the previous content line.
fn move_bracket_up(text: &mut String, pos: Pos) -> bool {
    let bytes = text.as_bytes();
    let at = pos.offset;
    if !matches!(bytes.get(at), Some(b']') | Some(b'}')) {
        return false;
    }
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    if !text[line_start..at].bytes().all(|b| b == b' ') || line_start == at {
        return false;
    }
    // The previous line with content, which must not end in a comment.
    let mut prev_end = line_start.saturating_sub(1);
    loop {
        let prev_start = text[..prev_end].rfind('\n').map_or(0, |i| i + 1);
        let line = &text[prev_start..prev_end];
        if !line.trim().is_empty() {
            if line.contains('#') {
                return false;
            }
            break;
        }
        if prev_start == 0 {
            return false;
        }
        prev_end = prev_start - 1;
    }
    let bracket = text.as_bytes()[at] as char;
    // Same length: the bracket becomes a space, one leading space goes, the bracket is appended.
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..prev_end]);
    out.push(bracket);
    out.push_str(&text[prev_end..line_start]);
    out.push_str(&text[line_start + 1..at]);
    out.push(' ');
    out.push_str(&text[at + 1..]);
    *text = out;
    true
}

#[cfg(test)]
mod tests;
