//! An open document: its text, its version, and the mapping between byte offsets (what the
//! linter speaks) and LSP positions (line and character, counted in the negotiated encoding).
//!
//! Lines end at `\n`, `\r\n` or a lone `\r`, as the protocol defines them.

use lsp_types::{Position, Range, TextDocumentContentChangeEvent};

/// How the character of a position is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 bytes (offered by the client, LSP 3.17).
    Utf8,
    /// UTF-16 code units: the protocol's default.
    Utf16,
}

/// The text of an open document and where its lines start.
#[derive(Debug, Clone)]
pub struct Document {
    text: String,
    version: i32,
    line_starts: Vec<usize>,
}

impl Document {
    /// A document opened with `text` at `version`.
    pub fn new(text: String, version: i32) -> Self {
        let line_starts = line_starts(&text);
        Document {
            text,
            version,
            line_starts,
        }
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The version the client gave it.
    pub fn version(&self) -> i32 {
        self.version
    }

    /// Applies the client's changes, in order: a change without a range replaces the whole
    /// text; one with a range replaces that range (clamped to the text, so a client that is out
    /// of step gets a text it can correct with its next full change, never a failure).
    pub fn apply(
        &mut self,
        changes: Vec<TextDocumentContentChangeEvent>,
        version: i32,
        enc: Encoding,
    ) {
        for change in changes {
            match change.range {
                None => self.text = change.text,
                Some(range) => {
                    let start = self.offset(range.start, enc);
                    let end = self.offset(range.end, enc).max(start);
                    self.text.replace_range(start..end, &change.text);
                }
            }
            self.line_starts = line_starts(&self.text);
        }
        self.version = version;
    }

    /// The byte offset of `pos`; a character past the end of its line is the line's end, a
    /// line past the end of the text is the text's end.
    pub fn offset(&self, pos: Position, enc: Encoding) -> usize {
        let Some(&start) = self.line_starts.get(pos.line as usize) else {
            return self.text.len();
        };
        let end = self.line_end(pos.line as usize);
        let line = &self.text[start..end];
        let mut units = 0u32;
        for (i, c) in line.char_indices() {
            if units >= pos.character {
                return start + i;
            }
            units += width(c, enc);
        }
        end
    }

    /// The position of byte `offset` (clamped to the text and to a character boundary).
    pub fn position(&self, offset: usize, enc: Encoding) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        // An offset inside a `\r\n` pair stands at the end of its line.
        let end = offset.min(self.line_end(line)).max(start);
        let character = self.text[start..end].chars().map(|c| width(c, enc)).sum();
        Position {
            line: line as u32,
            character,
        }
    }

    /// The range of bytes `start..end`.
    pub fn range(&self, start: usize, end: usize, enc: Encoding) -> Range {
        Range {
            start: self.position(start, enc),
            end: self.position(end.max(start), enc),
        }
    }

    /// Where line `line`'s text ends (before its line break).
    fn line_end(&self, line: usize) -> usize {
        let Some(&next) = self.line_starts.get(line + 1) else {
            return self.text.len();
        };
        let bytes = self.text.as_bytes();
        let mut end = next;
        if end > 0 && bytes[end - 1] == b'\n' {
            end -= 1;
        }
        if end > 0 && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        end
    }
}

fn width(c: char, enc: Encoding) -> u32 {
    match enc {
        Encoding::Utf8 => c.len_utf8() as u32,
        Encoding::Utf16 => c.len_utf16() as u32,
    }
}

/// The offset of every line's first byte: 0, and each byte after `\n`, `\r\n` or a lone `\r`.
fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    for (i, &b) in bytes.iter().enumerate() {
        let breaks = b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
        if breaks {
            starts.push(i + 1);
        }
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn positions_count_utf16_units_or_bytes() {
        let d = Document::new("a: é😀x\r\nb\rc\n".into(), 1);
        // `x` is byte 9 (é is 2 bytes, 😀 4), character 6 in UTF-16, 9 in UTF-8.
        assert_eq!(d.position(9, Encoding::Utf16), pos(0, 6));
        assert_eq!(d.position(9, Encoding::Utf8), pos(0, 9));
        assert_eq!(d.offset(pos(0, 6), Encoding::Utf16), 9);
        // Line breaks: `\r\n`, a lone `\r`, `\n`.
        assert_eq!(d.position(12, Encoding::Utf16), pos(1, 0));
        assert_eq!(d.position(14, Encoding::Utf16), pos(2, 0));
        assert_eq!(d.position(16, Encoding::Utf16), pos(3, 0));
        // Inside `\r\n` and past the end.
        assert_eq!(d.position(11, Encoding::Utf16), pos(0, 7));
        assert_eq!(d.position(99, Encoding::Utf16), pos(3, 0));
        assert_eq!(d.offset(pos(0, 99), Encoding::Utf16), 10);
        assert_eq!(d.offset(pos(9, 0), Encoding::Utf16), 16);
        // Inside a character.
        assert_eq!(d.position(4, Encoding::Utf8), pos(0, 3));
    }

    #[test]
    fn applies_ranged_and_full_changes() {
        let mut d = Document::new("runs-on: ubuntu-latst\n".into(), 1);
        let fix = TextDocumentContentChangeEvent {
            range: Some(Range {
                start: pos(0, 9),
                end: pos(0, 21),
            }),
            range_length: None,
            text: "ubuntu-latest".into(),
        };
        d.apply(vec![fix], 2, Encoding::Utf16);
        assert_eq!(d.text(), "runs-on: ubuntu-latest\n");
        assert_eq!(d.version(), 2);
        let insert = TextDocumentContentChangeEvent {
            range: Some(Range {
                start: pos(1, 0),
                end: pos(1, 0),
            }),
            range_length: None,
            text: "x: 1\n".into(),
        };
        let full = TextDocumentContentChangeEvent {
            range: None,
            range_length: None,
            text: "y".into(),
        };
        d.apply(vec![insert], 3, Encoding::Utf16);
        assert_eq!(d.text(), "runs-on: ubuntu-latest\nx: 1\n");
        assert_eq!(d.position(d.text().len(), Encoding::Utf16), pos(2, 0));
        d.apply(vec![full], 4, Encoding::Utf16);
        assert_eq!(d.text(), "y");
        // A range past the end is clamped, never a panic.
        let stale = TextDocumentContentChangeEvent {
            range: Some(Range {
                start: pos(5, 3),
                end: pos(2, 0),
            }),
            range_length: None,
            text: "z".into(),
        };
        d.apply(vec![stale], 5, Encoding::Utf16);
        assert_eq!(d.text(), "yz");
    }
}
