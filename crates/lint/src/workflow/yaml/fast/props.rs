//! The fast reader's anchors (`&name`) and aliases (`*name`), numbered as saphyr numbers them:
//! from 1, in the order they are written, an alias taking the latest anchor of its name.

use super::{Bail, Node, Read, Reader, Span, is_flow_indicator};
use crate::workflow::yaml::tree::null_node;

impl<'a> Reader<'a> {
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
    pub(super) fn anchored(&mut self, parent: isize) -> Read<Node> {
        let at = self.here();
        let name = self.name()?;
        let name_end = self.here();
        let id = self.names.len() + 1;
        self.names.push(name);
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
            let empty = null_node(Span {
                start: at,
                end: name_end,
            });
            self.anchors.register(id, &empty);
            return Ok(empty);
        }
        self.block_node(parent)
    }

    /// An alias, standing for a copy of the latest anchor of its name; one the event builder
    /// would refuse (its node not finished, or over the expansion budget) is left to saphyr, so
    /// that the error and the partial tree come from the one place that makes them.
    pub(super) fn alias(&mut self) -> Read<Node> {
        if self.pending.is_some() {
            return Err(Bail);
        }
        let at = self.here();
        let name = self.name()?;
        let index = self.names.iter().rposition(|a| *a == name).ok_or(Bail)?;
        let end = self.here();
        let node = self
            .anchors
            .expand(index + 1, Span { start: at, end })
            .map_err(|_| Bail)?;
        self.line_end()?;
        Ok(node)
    }
}
