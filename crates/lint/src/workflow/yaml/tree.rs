//! The rules both readers build the tree by, kept in one place so that a text reads the same
//! whichever reader took it: a repeated key is reported and dropped, an alias is a copy of its
//! anchor within a budget, an anchor no alias uses is a warning, a missing value is null.

use std::collections::HashMap;

use super::{ALIAS_EXPANSION_BUDGET, Kind, Node, Pos, Span, Style, YamlError, YamlIssue};
use crate::workflow::position::pos_at;

/// A mapping's entries as they are read: a repeated key is reported and dropped, the first kept.
#[derive(Default)]
pub(super) struct Entries {
    /// The entries kept, in source order.
    pub(super) list: Vec<(Node, Node)>,
    // The keys by text, made once the mapping is too large to search in place.
    index: Option<HashMap<String, Span>>,
}

impl Entries {
    /// Adds an entry, or reports its key in `issues` when the mapping already has it.
    #[inline]
    pub(super) fn add(&mut self, key: Node, value: Node, issues: &mut Vec<YamlIssue>) {
        match duplicate_key(&self.list, &mut self.index, &key) {
            Some(issue) => issues.push(issue),
            None => self.list.push((key, value)),
        }
    }
}

/// The issue for `key` when the mapping already has it, else `None` (and `key` is indexed).
///
/// Small mappings (nearly all) are searched in place; a large one gets an index of its keys, so
/// 20k keys stay linear.
fn duplicate_key(
    entries: &[(Node, Node)],
    index: &mut Option<HashMap<String, Span>>,
    key: &Node,
) -> Option<YamlIssue> {
    const SCAN: usize = 24;
    let k = key.as_str()?;
    let first = if entries.len() < SCAN {
        entries
            .iter()
            .find(|(ek, _)| ek.as_str() == Some(k))
            .map(|(ek, _)| ek.span)
    } else {
        indexed(entries, index, k, key.span)
    };
    first.map(|first| duplicated(k, first, key.span))
}

/// Where `k` first stands in a mapping too large to search in place, or `None` (and `k` is
/// indexed, at `span`). The index is made from the entries the first time it is needed, so
/// that it holds the first of each repeated key. Out of line, as few mappings are this large.
#[cold]
#[inline(never)]
fn indexed(
    entries: &[(Node, Node)],
    index: &mut Option<HashMap<String, Span>>,
    k: &str,
    span: Span,
) -> Option<Span> {
    let seen = index.get_or_insert_with(|| {
        let mut seen = HashMap::new();
        for (ek, _) in entries {
            if let Some(e) = ek.as_str() {
                seen.entry(e.to_string()).or_insert(ek.span);
            }
        }
        seen
    });
    if let Some(first) = seen.get(k) {
        return Some(*first);
    }
    seen.insert(k.to_string(), span);
    None
}

/// The issue for a key at `span` written already at `first`.
#[cold]
fn duplicated(k: &str, first: Span, span: Span) -> YamlIssue {
    YamlIssue {
        message: format!(
            "key {k:?} is duplicated; the first one is at line {}, column {}",
            first.start.line, first.start.col
        ),
        span,
        warning: false,
    }
}

/// An empty plain scalar: the value of a key written without one.
pub(super) fn null_node(span: Span) -> Node {
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

/// The anchored nodes of a document, by anchor id (saphyr's numbering: from 1, in source
/// order), whether an alias used each, and what is left of the expansion budget.
pub(super) struct Anchors {
    nodes: HashMap<usize, (Node, bool)>,
    budget: usize,
}

impl Default for Anchors {
    fn default() -> Self {
        Anchors {
            nodes: HashMap::new(),
            budget: ALIAS_EXPANSION_BUDGET,
        }
    }
}

impl Anchors {
    /// Keeps a copy of a finished node for its aliases; id 0 is a node without an anchor.
    pub(super) fn register(&mut self, id: usize, node: &Node) {
        if id != 0 {
            self.nodes.insert(id, (node.clone(), false));
        }
    }

    /// The copy an alias written at `span` stands for, or why there is none: the anchor is
    /// unknown (or its node not finished), or the copies would outgrow the budget.
    pub(super) fn expand(&mut self, id: usize, span: Span) -> Result<Node, YamlError> {
        let Some((target, used)) = self.nodes.get_mut(&id) else {
            return Err(YamlError {
                message: "unknown anchor referenced".into(),
                pos: span.start,
            });
        };
        let size = node_size(target);
        if size > self.budget {
            return Err(YamlError {
                message: format!(
                    "aliases expand to more than {ALIAS_EXPANSION_BUDGET} nodes \
                     (an alias bomb?)"
                ),
                pos: span.start,
            });
        }
        self.budget -= size;
        *used = true;
        let mut n = target.clone();
        n.span = span;
        n.from_alias = true;
        Ok(n)
    }

    /// Warns about anchors no alias refers to, in source order.
    pub(super) fn report_unused(&self, src: &str, issues: &mut Vec<YamlIssue>) {
        let mut unused: Vec<Pos> = self
            .nodes
            .values()
            .filter(|(_, used)| !used)
            .map(|(n, _)| n.span.start)
            .collect();
        unused.sort_by_key(|p| p.offset);
        for pos in unused {
            if let Some((name, at)) = anchor_name_before(src, pos) {
                issues.push(YamlIssue {
                    message: format!("anchor {name:?} is defined but not used"),
                    span: Span::point(at),
                    warning: true,
                });
            }
        }
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
    Some((name, pos_at(src, window_start + amp)))
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
