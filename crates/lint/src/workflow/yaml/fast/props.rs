//! The fast reader's anchors (`&name`) and aliases (`*name`), numbered as saphyr numbers them:
//! from 1, in the order they are written, an alias taking the latest anchor of its name.

use saphyr_parser::{Event, ScalarStyle};

use super::{Bail, Read, Reader, Sink, is_flow_indicator};

impl<'a, S: Sink<'a>> Reader<'a, '_, S> {
    /// The name after `&` or `*` at the reader, which ends past it.
    fn name(&mut self) -> Read<&'a str> {
        self.pos += 1;
        let from = self.pos;
        while let Some(c) = self.peek() {
            if c == b' ' || c == b'\n' || is_flow_indicator(c) {
                break;
            }
            self.pos += 1;
        }
        if self.pos == from {
            return Err(Bail);
        }
        Ok(&self.src[from..self.pos])
    }

    /// A node with an anchor, in a node indented at `parent`: on the same line, on the lines
    /// after it, or none (an empty scalar). saphyr starts the node's span at the `&`.
    pub(super) fn anchored(&mut self, parent: isize) -> Read<()> {
        let at = self.here();
        let name = self.name()?;
        let name_end = self.here();
        let id = self.anchors.len() + 1;
        self.anchors.push(name);
        self.pending = Some((id, at));
        self.spaces();
        if !self.at_line_end() {
            if matches!(self.peek(), Some(b'&') | Some(b'*') | Some(b'!'))
                || self.key_at()?.is_some()
            {
                return Err(Bail);
            }
            return self.inline_value(parent);
        }
        self.token()?;
        let col = self.col() as isize;
        if !self.eof() && col == parent && self.is_entry() {
            return Err(Bail);
        }
        if self.eof() || col <= parent {
            self.pending = None;
            let empty = Event::Scalar("".into(), ScalarStyle::Plain, id, None);
            self.push(empty, at, name_end);
            return Ok(());
        }
        self.block_node(parent)
    }

    /// An alias, standing for the latest anchor of its name.
    pub(super) fn alias(&mut self) -> Read<()> {
        if self.pending.is_some() {
            return Err(Bail);
        }
        let at = self.here();
        let name = self.name()?;
        let index = self.anchors.iter().rposition(|a| *a == name).ok_or(Bail)?;
        let end = self.here();
        self.push(Event::Alias(index + 1), at, end);
        self.line_end()
    }

    /// Gives an anchor waiting for its node to the event that starts the node.
    pub(super) fn anchor(&mut self, ev: Event<'a>, start: super::Pos) -> (Event<'a>, super::Pos) {
        let Some((id, at)) = self.pending else {
            return (ev, start);
        };
        self.pending = None;
        match ev {
            Event::Scalar(v, style, _, tag) => (Event::Scalar(v, style, id, tag), at),
            Event::SequenceStart(_, tag) => (Event::SequenceStart(id, tag), at),
            Event::MappingStart(_, tag) => (Event::MappingStart(id, tag), at),
            other => {
                self.pending = Some((id, at));
                (other, start)
            }
        }
    }
}
