//! Untrusted inputs used directly in inline scripts (`github.event.issue.title` in `run:`).
//!
//! The checker walks property chains bottom-up as the type checker leaves each node, the way
//! actionlint does: a chain that ends on a known untrusted leaf is reported at the start of the
//! chain. Arguments of `contains`, `startsWith` and `endsWith` are safe (they yield a bool).

use std::sync::LazyLock;

use super::ast::{Expr, ExprKind};
use super::check::{DiagKind, ExprDiag};
use super::{Span, quote_list};

/// A node of the tree of untrusted paths.
struct PathNode {
    name: &'static str,
    parent: Option<usize>,
    children: Vec<usize>,
}

struct Tree {
    nodes: Vec<PathNode>,
    roots: Vec<usize>,
}

/// A path spec: `(name, children)`.
struct Spec(&'static str, &'static [Spec]);

const fn leaf(name: &'static str) -> Spec {
    Spec(name, &[])
}

/// The untrusted parts of the `github` context, as actionlint knows them.
const GITHUB: Spec = Spec(
    "github",
    &[
        Spec(
            "event",
            &[
                Spec("issue", &[leaf("title"), leaf("body")]),
                Spec(
                    "pull_request",
                    &[
                        leaf("title"),
                        leaf("body"),
                        Spec(
                            "head",
                            &[
                                leaf("ref"),
                                leaf("label"),
                                Spec("repo", &[leaf("default_branch")]),
                            ],
                        ),
                    ],
                ),
                Spec("comment", &[leaf("body")]),
                Spec("review", &[leaf("body")]),
                Spec("review_comment", &[leaf("body")]),
                Spec("pages", &[Spec("*", &[leaf("page_name")])]),
                Spec(
                    "commits",
                    &[Spec(
                        "*",
                        &[
                            leaf("message"),
                            Spec("author", &[leaf("email"), leaf("name")]),
                        ],
                    )],
                ),
                Spec(
                    "head_commit",
                    &[
                        leaf("message"),
                        Spec("author", &[leaf("email"), leaf("name")]),
                    ],
                ),
                Spec("discussion", &[leaf("title"), leaf("body")]),
            ],
        ),
        leaf("head_ref"),
    ],
);

fn add(nodes: &mut Vec<PathNode>, spec: &Spec, parent: Option<usize>) -> usize {
    let id = nodes.len();
    nodes.push(PathNode {
        name: spec.0,
        parent,
        children: Vec::new(),
    });
    for c in spec.1 {
        let child = add(nodes, c, Some(id));
        if let Some(n) = nodes.get_mut(id) {
            n.children.push(child);
        }
    }
    id
}

static TREE: LazyLock<Tree> = LazyLock::new(|| {
    let mut nodes = Vec::new();
    let root = add(&mut nodes, &GITHUB, None);
    Tree {
        nodes,
        roots: vec![root],
    }
});

impl Tree {
    fn node(&self, id: usize) -> Option<&PathNode> {
        self.nodes.get(id)
    }

    fn child(&self, id: usize, name: &str) -> Option<usize> {
        self.node(id)?
            .children
            .iter()
            .copied()
            .find(|&c| self.node(c).is_some_and(|n| n.name == name))
    }

    fn is_leaf(&self, id: usize) -> bool {
        self.node(id).is_some_and(|n| n.children.is_empty())
    }

    fn path(&self, id: usize) -> String {
        let mut parts = Vec::new();
        let mut cur = Some(id);
        while let Some(n) = cur.and_then(|i| self.node(i)) {
            parts.push(n.name);
            cur = n.parent;
        }
        parts.reverse();
        parts.join(".")
    }
}

fn is_safe_call(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Call { name, .. } => ["contains", "startswith", "endswith"]
            .iter()
            .any(|s| name.eq_ignore_ascii_case(s)),
        _ => false,
    }
}

/// Tracks property chains over the untrusted tree while the checker walks an expression.
#[derive(Debug, Default)]
pub(crate) struct UntrustedChecker {
    filtering: bool,
    cur: Vec<usize>,
    start: Option<Span>,
    safe_calls: usize,
    diags: Vec<ExprDiag>,
}

impl UntrustedChecker {
    /// Called when the checker enters a node.
    pub(crate) fn enter(&mut self, e: &Expr) {
        if is_safe_call(e) {
            self.safe_calls += 1;
        }
    }

    /// Called when the checker leaves a node (children first, index before receiver).
    pub(crate) fn leave(&mut self, e: &Expr) {
        if self.safe_calls > 0 {
            if is_safe_call(e) {
                self.safe_calls -= 1;
            }
            return;
        }
        let tree = &*TREE;
        match &e.kind {
            ExprKind::Variable { name, .. } => {
                self.end();
                if let Some(&root) = tree
                    .roots
                    .iter()
                    .find(|&&r| tree.node(r).is_some_and(|n| n.name == name.as_str()))
                {
                    self.start = Some(e.span);
                    self.cur.push(root);
                }
            }
            ExprKind::Property { name, .. } => self.prop(name),
            ExprKind::Index { index, .. } => match &index.kind {
                ExprKind::String(s) => self.prop(s),
                _ => self.index(),
            },
            ExprKind::Filter { .. } => self.filter(),
            _ => self.end(),
        }
    }

    fn prop(&mut self, name: &str) {
        let tree = &*TREE;
        self.cur = self
            .cur
            .iter()
            .filter_map(|&c| tree.child(c, name))
            .collect();
    }

    fn index(&mut self) {
        if self.filtering {
            // `github.event.*.body[0]` is `github.event.commits[0].body` and the like.
            self.filtering = false;
            return;
        }
        self.prop("*");
    }

    fn filter(&mut self) {
        let tree = &*TREE;
        self.filtering = true;
        let mut next = Vec::new();
        for &c in &self.cur {
            if let Some(star) = tree.child(c, "*") {
                next.push(star);
            } else if let Some(n) = tree.node(c) {
                next.extend(n.children.iter().copied());
            }
        }
        self.cur = next;
    }

    /// Ends the current chain, reporting it if it reached untrusted leaves.
    fn end(&mut self) {
        let tree = &*TREE;
        let mut leaves: Vec<String> = self
            .cur
            .iter()
            .filter(|&&c| tree.is_leaf(c))
            .map(|&c| tree.path(c))
            .collect();
        leaves.sort();
        leaves.dedup();
        if let Some(span) = self.start {
            const SEE: &str = "see https://docs.github.com/en/actions/reference/security/\
                               secure-use#good-practices-for-mitigating-script-injection-attacks \
                               for more details";
            match leaves.as_slice() {
                [] => {}
                [one] => self.diags.push(ExprDiag {
                    span,
                    message: format!(
                        "{} is potentially untrusted. avoid using it directly in inline \
                         scripts. instead, pass it through an environment variable. {SEE}",
                        super::go_quote(one)
                    ),
                    kind: DiagKind::UntrustedInput,
                }),
                many => self.diags.push(ExprDiag {
                    span,
                    message: format!(
                        "object filter extracts potentially untrusted properties {}. avoid \
                         using the value directly in inline scripts. instead, pass the value \
                         through an environment variable. {SEE}",
                        quote_list(many)
                    ),
                    kind: DiagKind::UntrustedInput,
                }),
            }
        }
        self.start = None;
        self.filtering = false;
        self.cur.clear();
    }

    /// Ends the walk and returns what was found.
    pub(crate) fn finish(mut self) -> Vec<ExprDiag> {
        self.end();
        self.diags
    }
}
