//! Positions inside a scalar: mapping a byte offset of a scalar's parsed value back to the source.
//!
//! A value and its source differ: a block scalar (`run: |`) drops its indentation, a quoted one
//! its quotes and escapes. Rules that find something inside a value (an expression in a script,
//! an image reference in a command) use this to point at the exact line and column.

use super::yaml::{Node, Pos, Span};

/// The position of byte `offset` of `source`: 1-based line, 1-based column in characters.
pub fn pos_at(source: &str, offset: usize) -> Pos {
    let offset = floor_char_boundary(source, offset.min(source.len()));
    let before = &source[..offset];
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = crate::bytes::rfind(b'\n', before.as_bytes()).map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() as u32 + 1;
    Pos { offset, line, col }
}

/// The position of byte `offset` of `source`, counting from `base`, a known position at or
/// before it (a node's start): the cost is the distance, not the file's length.
pub fn pos_from(source: &str, base: Pos, offset: usize) -> Pos {
    let offset = floor_char_boundary(source, offset.min(source.len()));
    if base.offset > offset || !source.is_char_boundary(base.offset) {
        return pos_at(source, offset);
    }
    let between = &source[base.offset..offset];
    match crate::bytes::rfind(b'\n', between.as_bytes()) {
        Some(last) => Pos {
            offset,
            line: base.line + between.matches('\n').count() as u32,
            col: between[last + 1..].chars().count() as u32 + 1,
        },
        None => Pos {
            offset,
            line: base.line,
            col: base.col + between.chars().count() as u32,
        },
    }
}

/// Line starts of a text, to turn many byte offsets into positions by binary search.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `source`.
    pub fn new(source: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(crate::bytes::positions(b'\n', source.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }

    /// The position of byte `offset` of `source` (the text indexed).
    pub fn pos(&self, source: &str, offset: usize) -> Pos {
        let offset = floor_char_boundary(source, offset.min(source.len()));
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self
            .starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        Pos {
            offset,
            line: line as u32,
            col: source.get(start..offset).map_or(0, |t| t.chars().count()) as u32 + 1,
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Where the bytes `start..end` of `node`'s value are written in `source`.
///
/// The value is aligned with the source text of the node character by character, skipping
/// what the source has and the value lacks (indentation, quotes, the block indicator). Where
/// the two cannot be aligned (escapes, folded lines, an alias), the node's own span is returned,
/// so the finding still points at the right scalar.
pub fn value_span(source: &str, node: &Node, start: usize, end: usize) -> Span {
    let Some(value) = node.as_str() else {
        return node.span;
    };
    if node.from_alias || start > end || end > value.len() {
        return node.span;
    }
    let (lo, hi) = (
        node.span.start.offset,
        node.span.end.offset.min(source.len()),
    );
    let Some(text) = source.get(lo..hi) else {
        return node.span;
    };
    // An anchor or a tag (`&run |`, `!!str x`) is part of the node's span, not of its value.
    let mut lo = lo;
    let mut text = text;
    while text.starts_with(['&', '!']) {
        let skip = text.find(char::is_whitespace).unwrap_or(text.len());
        let rest = &text[skip..];
        let rest = rest.trim_start_matches([' ', '\t']);
        lo += text.len() - rest.len();
        text = rest;
        if text.starts_with(['|', '>']) {
            // The block header, which the span of an un-anchored block scalar leaves out.
            let body = text.find('\n').map_or(text.len(), |i| i + 1);
            lo += body;
            text = &text[body..];
        }
    }
    match align(text, value, start, end) {
        (Some(s), Some(e)) if s <= e => {
            let start = pos_from(source, node.span.start, lo + s);
            Span {
                start,
                end: pos_from(source, start, lo + e),
            }
        }
        _ => node.span,
    }
}

/// The offsets in `text` (the node's source) of bytes `start` and `end` of `value`
/// (`start <= end`), in one walk over both: each character of the value is looked for at or
/// after the current source position, but never past a line break the value does not have (so
/// that a mismatch cannot run off into later lines). A start is where the character at `start`
/// is written; an end is just past the character before `end`. `None` for an offset the walk
/// gives up before.
fn align(text: &str, value: &str, start: usize, end: usize) -> (Option<usize>, Option<usize>) {
    let mut walk = Walk {
        text,
        next: 0,
        last: 0,
        start: None,
        end: None,
    };
    let mut vi = 0;
    while let Some(vc) = value[vi..].chars().next() {
        // Bytes written in the source as in the value, before the next offset looked for, are
        // passed at once (each would match the next source character): a script's lines, all
        // but their indentation.
        let limit = match (walk.start.is_none(), walk.end.is_none()) {
            (true, true) => start.min(end),
            (true, false) => start,
            (false, true) => end,
            (false, false) => vi,
        };
        let mut run = same_prefix(
            &value.as_bytes()[vi..],
            &text.as_bytes()[walk.next..],
            limit.saturating_sub(vi),
        );
        while run > 0 && !value.is_char_boundary(vi + run) {
            run -= 1;
        }
        if run > 0 {
            vi += run;
            walk.next += run;
            walk.last = walk.next;
            continue;
        }
        if !walk.step(vi, vc, start, end) {
            return (walk.start, walk.end);
        }
        vi += vc.len_utf8();
    }
    // An offset at the end of the value.
    let at_end = |target: usize| (target >= value.len()).then_some(walk.last);
    (
        walk.start.or_else(|| at_end(start)),
        walk.end.or_else(|| at_end(end)),
    )
}

/// The state of [`align`]'s walk over the source.
struct Walk<'t> {
    text: &'t str,
    /// The next source byte to look at.
    next: usize,
    /// Just past the source character matched last.
    last: usize,
    start: Option<usize>,
    end: Option<usize>,
}

impl Walk<'_> {
    /// Matches the value's character `vc` (at byte `vi`) with the next source character equal
    /// to it; false when the walk is over (both offsets found, the source ended, or a line
    /// break the value does not have).
    fn step(&mut self, vi: usize, vc: char, start: usize, end: usize) -> bool {
        if vi >= end && self.end.is_none() {
            self.end = Some(self.last);
        }
        if self.start.is_some() && self.end.is_some() {
            return false;
        }
        loop {
            let Some(sc) = self.text[self.next..].chars().next() else {
                return false;
            };
            let si = self.next;
            self.next += sc.len_utf8();
            if sc == vc {
                if vi >= start && self.start.is_none() {
                    self.start = Some(si);
                }
                self.last = self.next;
                return true;
            }
            if sc == '\n' && vc != '\n' && vc != ' ' {
                // Folded or escaped text: give up rather than guess.
                return false;
            }
        }
    }
}

/// How many of the first `max` bytes of `a` and `b` are equal.
fn same_prefix(a: &[u8], b: &[u8], max: usize) -> usize {
    let max = max.min(a.len()).min(b.len());
    let (a, b) = (&a[..max], &b[..max]);
    let mut n = 0;
    while n + 16 <= max && a[n..n + 16] == b[n..n + 16] {
        n += 16;
    }
    n + a[n..]
        .iter()
        .zip(&b[n..])
        .take_while(|(x, y)| x == y)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::yaml;

    fn at(src: &str, key: &str, needle: &str) -> (u32, u32) {
        let root = yaml::parse(src).root.expect("root");
        let node = root.get(key).expect("key");
        let v = node.as_str().expect("scalar");
        let i = v.find(needle).expect("needle");
        let s = value_span(src, node, i, i + needle.len());
        assert_eq!(&src[s.start.offset..s.end.offset], needle);
        (s.start.line, s.start.col)
    }

    #[test]
    fn plain_and_quoted() {
        assert_eq!(at("run: echo ${{ x }}\n", "run", "x"), (1, 15));
        assert_eq!(at("run: 'it''s ${{ x }}'\n", "run", "x"), (1, 17));
        assert_eq!(at("run: \"a ${{ x }}\"\n", "run", "x"), (1, 13));
    }

    #[test]
    fn literal_block() {
        let src = "run: |\n  echo a\n  echo ${{ github.head_ref }}\nnext: 1\n";
        assert_eq!(at(src, "run", "github.head_ref"), (3, 12));
    }

    #[test]
    fn start_of_an_indented_line() {
        let src = "images: |\n  a:1\n  b\n";
        assert_eq!(at(src, "images", "b"), (3, 3));
    }

    #[test]
    fn plain_multiline_and_folded() {
        let src = "run: echo a\n  echo ${{ b }}\n";
        assert_eq!(at(src, "run", "b"), (2, 12));
        let src = "run: >\n  echo a\n  echo ${{ b }}\n";
        assert_eq!(at(src, "run", "b"), (3, 12));
    }

    #[test]
    fn escapes_fall_back_to_the_node() {
        let src = "run: \"a\\tb ${{ x }}\"\n";
        let root = yaml::parse(src).root.expect("root");
        let node = root.get("run").expect("run");
        let v = node.as_str().expect("scalar");
        let i = v.find('x').expect("x");
        let s = value_span(src, node, i, i + 1);
        assert_eq!(s.start.line, 1);
    }

    #[test]
    fn anchors_and_tags_are_skipped() {
        let src = "run: &r |\n  echo ${{ x }}\n";
        assert_eq!(at(src, "run", "x"), (2, 12));
        let src = "run: !!str echo ${{ x }}\n";
        assert_eq!(at(src, "run", "x"), (1, 21));
    }

    #[test]
    fn positions_from_a_base_and_by_index_agree() {
        let src = "a: 1\nbé: |\n  x\n  yz\n";
        let idx = LineIndex::new(src);
        for off in 0..=src.len() {
            if !src.is_char_boundary(off) {
                continue;
            }
            let want = pos_at(src, off);
            assert_eq!(idx.pos(src, off), want, "{off}");
            assert_eq!(
                pos_from(src, pos_at(src, 5), off.max(5)),
                pos_at(src, off.max(5))
            );
        }
    }

    /// What [`align`] answers, as first written: a walk from the value's start for each
    /// offset, a character at a time (the reference its shortcuts must agree with).
    fn align_char_by_char(
        text: &str,
        value: &str,
        start: usize,
        end: usize,
    ) -> (Option<usize>, Option<usize>) {
        (
            align_one(text, value, start, false),
            align_one(text, value, end, true),
        )
    }

    /// The offset in `text` (the node's source) of byte `target` of `value`: each character of the
    /// value is looked for at or after the current source position, but never past a line break
    /// the value does not have (so that a mismatch cannot run off into later lines). A start
    /// (`is_end` false) is where the character at `target` is written; an end is just past the
    /// character before it.
    fn align_one(text: &str, value: &str, target: usize, is_end: bool) -> Option<usize> {
        let mut src = text.char_indices();
        let mut last = 0;
        for (vi, vc) in value.char_indices() {
            if vi >= target && is_end {
                return Some(last);
            }
            loop {
                let (si, sc) = src.next()?;
                if sc == vc {
                    if vi >= target {
                        return Some(si);
                    }
                    last = si + sc.len_utf8();
                    break;
                }
                if sc == '\n' && vc != '\n' && vc != ' ' {
                    // Folded or escaped text: give up rather than guess.
                    return None;
                }
            }
        }
        // `target` is the end of the value.
        (target >= value.len()).then_some(last)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        #[test]
        fn align_agrees_with_the_walk_a_character_at_a_time(
            noise in "[ab \n\u{e9}|&]{0,40}",
            value in "[ab \n\u{e9}]{0,30}",
            junk in proptest::collection::vec("[ \n|&a]{0,2}", 0..31),
            derived in proptest::bool::ANY,
            a in 0usize..35,
            b in 0usize..35,
        ) {
            // Mostly a source the value can be found in (indentation, quotes, noise between its
            // characters), sometimes any text.
            let text = if derived {
                let mut t = String::new();
                for (i, c) in value.chars().enumerate() {
                    t.push_str(junk.get(i).map_or("", String::as_str));
                    t.push(c);
                }
                t.extend(noise.chars().take(2));
                t
            } else {
                noise.clone()
            };
            let (start, end) = (a.min(b), a.max(b));
            let floor = |i: usize| {
                let mut i = i.min(value.len());
                while i > 0 && !value.is_char_boundary(i) {
                    i -= 1;
                }
                i
            };
            let (start, end) = (floor(start), floor(end));
            proptest::prop_assert_eq!(
                align(&text, &value, start, end),
                align_char_by_char(&text, &value, start, end)
            );
        }
    }

    #[test]
    fn pos_counts_characters() {
        let p = pos_at("ü\nab", 4);
        assert_eq!((p.line, p.col), (2, 2));
    }
}
