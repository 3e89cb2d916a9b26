//! The event loop: saphyr-parser's events folded into a [`Node`] tree, one named step per kind
//! of event, with the recovery rules (duplicate keys, depth and alias budgets, a partial tree
//! kept on error) in the step that meets them. It reads the texts the fast reader leaves.

use std::borrow::Cow;
use std::ops::ControlFlow;

use saphyr_parser::{Event, Parser, ScalarStyle};

use super::fast;
use super::tree::{Anchors, Entries, null_node};
use super::{Document, Kind, MAX_DEPTH, Node, Offsets, Pos, Span, Style, YamlError, YamlIssue};

/// A collection being built: its items so far, where it starts and its anchor id.
enum Frame {
    Seq {
        items: Vec<Node>,
        start: Pos,
        anchor: usize,
    },
    Map {
        entries: Entries,
        pending_key: Option<Node>,
        start: Pos,
        anchor: usize,
    },
}

/// What one event did: nothing to attach, a finished node to attach, or stop reading.
type Step = ControlFlow<(), Option<Node>>;

/// The state of one pass over the event stream.
struct Builder<'s> {
    src: &'s str,
    doc: Document,
    stack: Vec<Frame>,
    anchors: Anchors,
    documents: usize,
}

/// Parses `src` once, without the bracket recovery of [`super::parse`]: with the fast reader
/// when it takes the text, else with saphyr.
pub(super) fn parse_once(src: &str) -> Document {
    fast::read(src).unwrap_or_else(|fast::Bail| read(src))
}

/// Reads `src` with saphyr, which takes every YAML and reports errors; what the fast reader
/// gives for a text it takes must be the same (`fast::tests`).
pub(super) fn read(src: &str) -> Document {
    let mut b = Builder::new(src);
    b.read_with_saphyr();
    if b.doc.error.is_none() {
        b.anchors.report_unused(src, &mut b.doc.issues);
    } else {
        b.unwind();
    }
    b.doc
}

impl<'s> Builder<'s> {
    fn new(src: &'s str) -> Self {
        Builder {
            src,
            doc: Document::default(),
            stack: Vec::new(),
            anchors: Anchors::default(),
            documents: 0,
        }
    }

    /// Reads the whole text with saphyr.
    fn read_with_saphyr(&mut self) {
        let offsets = Offsets::new(self.src);
        let mut parser = Parser::new_from_str(self.src);
        loop {
            let (event, span) = match parser.next_event() {
                None => break,
                Some(Ok(ev)) => ev,
                Some(Err(e)) => {
                    let pos = offsets.pos(e.marker());
                    self.doc.error = Some(YamlError {
                        message: e.info().to_string(),
                        pos,
                    });
                    break;
                }
            };
            let start = offsets.pos(&span.start);
            let end = offsets.pos(&span.end);
            if self.step(event, start, end).is_break() {
                break;
            }
        }
    }

    /// Handles one event and attaches the node it finishes; `Break` stops the reading.
    fn step(&mut self, event: Event<'s>, start: Pos, end: Pos) -> ControlFlow<()> {
        match self.event(event, start, end) {
            ControlFlow::Break(()) => ControlFlow::Break(()),
            ControlFlow::Continue(None) => ControlFlow::Continue(()),
            ControlFlow::Continue(Some(node)) => {
                self.attach(node);
                ControlFlow::Continue(())
            }
        }
    }

    /// Handles one event; a finished node comes back to be attached to its parent.
    fn event(&mut self, event: Event<'_>, start: Pos, end: Pos) -> Step {
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => {
                ControlFlow::Continue(None)
            }
            Event::DocumentStart(_) => self.document_start(start),
            Event::SequenceStart(anchor, _) => self.open(
                Frame::Seq {
                    items: Vec::new(),
                    start,
                    anchor,
                },
                start,
            ),
            Event::MappingStart(anchor, _) => self.open(
                Frame::Map {
                    entries: Entries::default(),
                    pending_key: None,
                    start,
                    anchor,
                },
                start,
            ),
            Event::SequenceEnd => self.close_seq(end),
            Event::MappingEnd => self.close_map(end),
            Event::Scalar(value, style, anchor, tag) => {
                let node = scalar_node(value, style, tag, Span { start, end });
                self.anchors.register(anchor, &node);
                ControlFlow::Continue(Some(node))
            }
            Event::Alias(id) => match self.anchors.expand(id, Span { start, end }) {
                Ok(node) => ControlFlow::Continue(Some(node)),
                Err(e) => {
                    self.doc.error = Some(e);
                    ControlFlow::Break(())
                }
            },
        }
    }

    /// Only the first document is read; a second one is reported and ends the stream.
    fn document_start(&mut self, start: Pos) -> Step {
        self.documents += 1;
        if self.documents > 1 {
            self.doc.issues.push(YamlIssue {
                message: "only one YAML document is read; this one is ignored".into(),
                span: Span::point(start),
                warning: false,
            });
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(None)
    }

    /// Opens a collection, refusing nesting deeper than [`MAX_DEPTH`].
    fn open(&mut self, frame: Frame, start: Pos) -> Step {
        if self.stack.len() >= MAX_DEPTH {
            self.doc.error = Some(YamlError {
                message: format!("nesting deeper than {MAX_DEPTH} levels"),
                pos: start,
            });
            return ControlFlow::Break(());
        }
        self.stack.push(frame);
        ControlFlow::Continue(None)
    }

    fn close_seq(&mut self, end: Pos) -> Step {
        let Some(Frame::Seq {
            items,
            start,
            anchor,
        }) = self.stack.pop()
        else {
            return ControlFlow::Continue(None);
        };
        let node = Node {
            kind: Kind::Seq(items),
            span: Span { start, end },
            from_alias: false,
        };
        self.anchors.register(anchor, &node);
        ControlFlow::Continue(Some(node))
    }

    /// Closes a mapping; a key left without a value gets a null one.
    fn close_map(&mut self, end: Pos) -> Step {
        let Some(Frame::Map {
            mut entries,
            start,
            anchor,
            pending_key,
            ..
        }) = self.stack.pop()
        else {
            return ControlFlow::Continue(None);
        };
        if let Some(k) = pending_key {
            let span = Span::point(k.span.end);
            entries.list.push((k, null_node(span)));
        }
        let node = Node {
            kind: Kind::Map(entries.list),
            span: Span { start, end },
            from_alias: false,
        };
        self.anchors.register(anchor, &node);
        ControlFlow::Continue(Some(node))
    }

    /// Attaches a finished node to its parent: the root, a sequence item, a key or a value.
    fn attach(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => {
                if self.doc.root.is_none() {
                    self.doc.root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => entries.add(key, node, &mut self.doc.issues),
            },
        }
    }

    /// Keeps whatever was built before an error: unwinds the open collections into the root.
    fn unwind(&mut self) {
        while let Some(frame) = self.stack.pop() {
            let node = match frame {
                Frame::Seq { items, start, .. } => Node {
                    kind: Kind::Seq(items),
                    span: Span::point(start),
                    from_alias: false,
                },
                Frame::Map { entries, start, .. } => Node {
                    kind: Kind::Map(entries.list),
                    span: Span::point(start),
                    from_alias: false,
                },
            };
            match self.stack.last_mut() {
                None => self.doc.root = Some(node),
                Some(Frame::Seq { items, .. }) => items.push(node),
                Some(Frame::Map {
                    entries,
                    pending_key,
                    ..
                }) => {
                    if let Some(k) = pending_key.take() {
                        entries.list.push((k, node));
                    }
                }
            }
        }
    }
}

/// A scalar event as a node: its style and tag (`!!str`, `!custom`) kept for resolution.
fn scalar_node(
    value: Cow<'_, str>,
    style: ScalarStyle,
    tag: Option<Cow<'_, saphyr_parser::Tag>>,
    span: Span,
) -> Node {
    Node {
        kind: Kind::Scalar {
            value: value.into_owned(),
            style: match style {
                ScalarStyle::Plain => Style::Plain,
                ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                ScalarStyle::Literal => Style::Literal,
                ScalarStyle::Folded => Style::Folded,
            },
            tag: tag.map(|t| {
                let name = if t.handle == "tag:yaml.org,2002:" || t.handle == "!!" {
                    format!("!!{}", t.suffix)
                } else {
                    format!("{}{}", t.handle, t.suffix)
                };
                name.into_boxed_str()
            }),
        },
        span,
        from_alias: false,
    }
}
