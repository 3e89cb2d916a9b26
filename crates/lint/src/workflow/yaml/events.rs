//! The event loop: saphyr-parser's events folded into a [`Node`] tree, one named step per kind
//! of event, with the recovery rules (duplicate keys, depth and alias budgets, a partial tree
//! kept on error) in the step that meets them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::ControlFlow;

use saphyr_parser::{Event, Parser, ScalarStyle};

use super::fast;
use super::{
    ALIAS_EXPANSION_BUDGET, Document, Kind, MAX_DEPTH, Node, Offsets, Pos, Span, Style, YamlError,
    YamlIssue,
};

/// A collection being built: its items so far, where it starts and its anchor id.
enum Frame {
    Seq {
        items: Vec<Node>,
        start: Pos,
        anchor: usize,
    },
    Map {
        entries: Vec<(Node, Node)>,
        pending_key: Option<Node>,
        start: Pos,
        anchor: usize,
        seen: HashMap<String, Span>,
    },
}

/// What one event did: nothing to attach, a finished node to attach, or stop reading.
type Step = ControlFlow<(), Option<Node>>;

/// The state of one pass over the event stream.
struct Builder<'s> {
    src: &'s str,
    doc: Document,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    anchor_used: HashMap<usize, bool>,
    budget: usize,
    documents: usize,
    // An event stopped the reading (an error, a second document): the rest are ignored.
    stopped: bool,
}

/// Parses `src` once, without the bracket recovery of [`super::parse`]: with the fast reader
/// when it takes the text, else with saphyr.
pub(super) fn parse_once(src: &str) -> Document {
    let mut b = Builder::new(src);
    if fast::read(src, &mut b).is_err() {
        b = Builder::new(src);
        b.read_with_saphyr();
    }
    if b.doc.error.is_none() {
        b.report_unused_anchors();
    } else {
        b.unwind();
    }
    b.doc
}

impl<'s> fast::Sink<'s> for Builder<'s> {
    fn event(&mut self, ev: Event<'s>, start: Pos, end: Pos) {
        if !self.stopped {
            self.stopped = self.step(ev, start, end).is_break();
        }
    }
}

impl<'s> Builder<'s> {
    fn new(src: &'s str) -> Self {
        Builder {
            src,
            doc: Document::default(),
            stack: Vec::new(),
            anchors: HashMap::new(),
            anchor_used: HashMap::new(),
            budget: ALIAS_EXPANSION_BUDGET,
            documents: 0,
            stopped: false,
        }
    }

    /// Reads the whole text with saphyr, which takes every YAML and reports errors.
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
                    entries: Vec::new(),
                    pending_key: None,
                    start,
                    anchor,
                    seen: HashMap::new(),
                },
                start,
            ),
            Event::SequenceEnd => self.close_seq(end),
            Event::MappingEnd => self.close_map(end),
            Event::Scalar(value, style, anchor, tag) => {
                let node = scalar_node(value, style, tag, Span { start, end });
                self.register_anchor(anchor, &node);
                ControlFlow::Continue(Some(node))
            }
            Event::Alias(id) => self.alias(id, start, end),
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
        self.register_anchor(anchor, &node);
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
            entries.push((k, null_node(span)));
        }
        let node = Node {
            kind: Kind::Map(entries),
            span: Span { start, end },
            from_alias: false,
        };
        self.register_anchor(anchor, &node);
        ControlFlow::Continue(Some(node))
    }

    /// Expands an alias into a copy of its anchor, within the expansion budget.
    fn alias(&mut self, id: usize, start: Pos, end: Pos) -> Step {
        let Some(target) = self.anchors.get(&id) else {
            self.doc.error = Some(YamlError {
                message: "unknown anchor referenced".into(),
                pos: start,
            });
            return ControlFlow::Break(());
        };
        let size = node_size(target);
        if size > self.budget {
            self.doc.error = Some(YamlError {
                message: format!(
                    "aliases expand to more than {ALIAS_EXPANSION_BUDGET} nodes \
                     (an alias bomb?)"
                ),
                pos: start,
            });
            return ControlFlow::Break(());
        }
        self.budget -= size;
        let mut n = target.clone();
        self.anchor_used.insert(id, true);
        n.span = Span { start, end };
        n.from_alias = true;
        ControlFlow::Continue(Some(n))
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
                seen,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => {
                    if let Some(issue) = duplicate_key(entries, seen, &key) {
                        self.doc.issues.push(issue);
                        return;
                    }
                    entries.push((key, node));
                }
            },
        }
    }

    /// Warns about anchors no alias refers to, in source order.
    fn report_unused_anchors(&mut self) {
        let mut unused: Vec<(usize, Pos)> = self
            .anchor_used
            .iter()
            .filter(|(_, used)| !**used)
            .filter_map(|(id, _)| self.anchors.get(id).map(|n| (*id, n.span.start)))
            .collect();
        unused.sort_by_key(|(_, p)| p.offset);
        for (_, pos) in unused {
            if let Some((name, at)) = anchor_name_before(self.src, pos) {
                self.doc.issues.push(YamlIssue {
                    message: format!("anchor {name:?} is defined but not used"),
                    span: Span::point(at),
                    warning: true,
                });
            }
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
                    kind: Kind::Map(entries),
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
                        entries.push((k, node));
                    }
                }
            }
        }
    }

    fn register_anchor(&mut self, id: usize, node: &Node) {
        if id != 0 {
            self.anchors.insert(id, node.clone());
            self.anchor_used.entry(id).or_insert(false);
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
                if t.handle == "tag:yaml.org,2002:" || t.handle == "!!" {
                    format!("!!{}", t.suffix)
                } else {
                    format!("{}{}", t.handle, t.suffix)
                }
            }),
        },
        span,
        from_alias: false,
    }
}

/// The issue for `key` when the mapping already has it, else `None` (and `key` is indexed).
///
/// Small mappings (nearly all) are searched in place; a large one gets an index of its keys, so
/// 20k keys stay linear.
fn duplicate_key(
    entries: &[(Node, Node)],
    seen: &mut HashMap<String, Span>,
    key: &Node,
) -> Option<YamlIssue> {
    const SCAN: usize = 24;
    let k = key.as_str()?;
    if entries.len() == SCAN {
        for (ek, _) in entries.iter() {
            if let Some(e) = ek.as_str() {
                seen.entry(e.to_string()).or_insert(ek.span);
            }
        }
    }
    let first = if entries.len() < SCAN {
        entries
            .iter()
            .find(|(ek, _)| ek.as_str() == Some(k))
            .map(|(ek, _)| ek.span)
    } else {
        seen.get(k).copied()
    };
    if let Some(first) = first {
        return Some(YamlIssue {
            message: format!(
                "key {k:?} is duplicated; the first one is at line {}, column {}",
                first.start.line, first.start.col
            ),
            span: key.span,
            warning: false,
        });
    }
    if entries.len() >= SCAN {
        seen.insert(k.to_string(), key.span);
    }
    None
}

/// An empty plain scalar: the value of a key written without one.
fn null_node(span: Span) -> Node {
    Node {
        kind: Kind::Scalar {
            value: String::new(),
            style: Style::Plain,
            tag: None,
        },
        span,
        from_alias: false,
    }
}

/// Finds the `&name` written just before a node (on its line or the line above).
fn anchor_name_before(src: &str, pos: Pos) -> Option<(String, Pos)> {
    let end = pos.offset.min(src.len());
    let window_start = src[..end]
        .rmatch_indices('\n')
        .nth(1)
        .map_or(0, |(i, _)| i + 1);
    let window = &src[window_start..end.min(src.len())];
    // The node may start at its anchor, so look a little past the start too.
    let tail_end = src[end..].find('\n').map_or(src.len(), |i| end + i);
    let region = &src[window_start..tail_end];
    let amp = region.rfind('&').filter(|i| {
        window_start + i <= end || region[..*i].trim_end().is_empty() || *i < window.len() + 1
    })?;
    let name: String = region[amp + 1..]
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | '[' | ']' | '{' | '}'))
        .collect();
    if name.is_empty() {
        return None;
    }
    let abs = window_start + amp;
    let line_start = src[..abs].rfind('\n').map_or(0, |i| i + 1);
    let line = src[..abs].matches('\n').count() as u32 + 1;
    let col = src[line_start..abs].chars().count() as u32 + 1;
    Some((
        name,
        Pos {
            offset: abs,
            line,
            col,
        },
    ))
}

/// How many nodes `n` holds, itself included: what expanding an alias of it costs.
fn node_size(n: &Node) -> usize {
    match &n.kind {
        Kind::Scalar { .. } => 1,
        Kind::Seq(items) => 1 + items.iter().map(node_size).sum::<usize>(),
        Kind::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| node_size(k) + node_size(v))
                .sum::<usize>()
        }
    }
}
