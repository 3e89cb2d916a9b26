//! Untrusted inputs used directly in inline scripts (`github.event.issue.title` in `run:`).
//!
//! The checker walks property chains bottom-up as the type checker leaves each node, the way
//! actionlint does: a chain that ends on a known untrusted leaf is reported at the start of the
//! chain. Arguments of `contains`, `startsWith` and `endsWith` are safe (they yield a bool).
//!
//! Two lists exist: actionlint's own ([`UntrustedSet::Actionlint`], used by the type checker so
//! its diagnostics match actionlint's), and a wider one ([`UntrustedSet::Extended`]) that adds
//! inputs zizmor and GitHub's guidance also treat as attacker-controlled (`workflow_run` branch
//! names and commit data, committer identities), used by the `script-injection` rule through
//! [`find_untrusted`].

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

/// Inputs beyond actionlint's list that an outsider controls: the branch name, title and head
/// commit of the run that triggered `workflow_run` (a fork's pull request), the PR branches it
/// lists, and committer identities (free text, like author identities).
const GITHUB_EXTRA: Spec = Spec(
    "github",
    &[Spec(
        "event",
        &[
            Spec(
                "workflow_run",
                &[
                    leaf("head_branch"),
                    leaf("display_title"),
                    Spec(
                        "head_commit",
                        &[
                            leaf("message"),
                            Spec("author", &[leaf("email"), leaf("name")]),
                            Spec("committer", &[leaf("email"), leaf("name")]),
                        ],
                    ),
                    Spec(
                        "pull_requests",
                        &[Spec("*", &[Spec("head", &[leaf("ref")])])],
                    ),
                ],
            ),
            Spec(
                "head_commit",
                &[Spec("committer", &[leaf("email"), leaf("name")])],
            ),
            Spec(
                "commits",
                &[Spec(
                    "*",
                    &[Spec("committer", &[leaf("email"), leaf("name")])],
                )],
            ),
        ],
    )],
);

/// Which list of untrusted inputs to look for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UntrustedSet {
    /// actionlint's list, so that diagnostics match actionlint's.
    #[default]
    Actionlint,
    /// actionlint's list plus the inputs of `GITHUB_EXTRA` (see the module docs).
    Extended,
}

/// Adds `spec` under `parent`, merging into a child of the same name when there is one, so
/// that a second spec can extend the tree built from a first.
fn add(nodes: &mut Vec<PathNode>, roots: &mut Vec<usize>, spec: &Spec, parent: Option<usize>) {
    let siblings = match parent {
        Some(p) => nodes.get(p).map(|n| n.children.clone()).unwrap_or_default(),
        None => roots.clone(),
    };
    let existing = siblings
        .into_iter()
        .find(|&c| nodes.get(c).is_some_and(|n| n.name == spec.0));
    let id = match existing {
        Some(id) => id,
        None => {
            let id = nodes.len();
            nodes.push(PathNode {
                name: spec.0,
                parent,
                children: Vec::new(),
            });
            match parent.and_then(|p| nodes.get_mut(p)) {
                Some(p) => p.children.push(id),
                None => roots.push(id),
            }
            id
        }
    };
    for c in spec.1 {
        add(nodes, roots, c, Some(id));
    }
}

fn build(specs: &[&Spec]) -> Tree {
    let mut nodes = Vec::new();
    let mut roots = Vec::new();
    for spec in specs {
        add(&mut nodes, &mut roots, spec, None);
    }
    Tree { nodes, roots }
}

static TREE: LazyLock<Tree> = LazyLock::new(|| build(&[&GITHUB]));
static TREE_EXTENDED: LazyLock<Tree> = LazyLock::new(|| build(&[&GITHUB, &GITHUB_EXTRA]));

impl UntrustedSet {
    fn tree(self) -> &'static Tree {
        match self {
            UntrustedSet::Actionlint => &TREE,
            UntrustedSet::Extended => &TREE_EXTENDED,
        }
    }
}

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
    set: UntrustedSet,
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
        let tree = self.set.tree();
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
            _ => {
                self.end();
                return;
            }
        }
        // The reported span covers the chain so far; its start stays where actionlint puts it.
        if let Some(span) = self.start.as_mut()
            && !self.cur.is_empty()
        {
            span.end = span.end.max(e.span.end);
        }
    }

    fn prop(&mut self, name: &str) {
        let tree = self.set.tree();
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
        let tree = self.set.tree();
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
        let tree = self.set.tree();
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
                [one] => self.diags.push(ExprDiag::new(
                    span,
                    DiagKind::UntrustedInput,
                    format!(
                        "{} is potentially untrusted. avoid using it directly in inline \
                         scripts. instead, pass it through an environment variable. {SEE}",
                        super::go_quote(one)
                    ),
                )),
                many => self.diags.push(ExprDiag::new(
                    span,
                    DiagKind::UntrustedInput,
                    format!(
                        "object filter extracts potentially untrusted properties {}. avoid \
                         using the value directly in inline scripts. instead, pass the value \
                         through an environment variable. {SEE}",
                        quote_list(many)
                    ),
                )),
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

/// Finds the untrusted inputs of `set` in `expr`, walking it as actionlint's expression visitor
/// does (each node entered, then its children, an index before its receiver, then left).
/// Spans are relative to the text `expr` was parsed from.
pub fn find_untrusted(expr: &Expr, set: UntrustedSet) -> Vec<ExprDiag> {
    let mut c = UntrustedChecker {
        set,
        ..UntrustedChecker::default()
    };
    walk(expr, &mut c, 0);
    c.finish()
}

fn walk(e: &Expr, c: &mut UntrustedChecker, depth: usize) {
    // The parser bounds nesting already; this only keeps a hand-built tree from overflowing.
    if depth > super::MAX_DEPTH * 4 {
        return;
    }
    c.enter(e);
    match &e.kind {
        ExprKind::Property { receiver, .. } | ExprKind::Filter { receiver } => {
            walk(receiver, c, depth + 1);
        }
        ExprKind::Index { receiver, index } => {
            walk(index, c, depth + 1);
            walk(receiver, c, depth + 1);
        }
        ExprKind::Call { args, .. } => {
            for a in args {
                walk(a, c, depth + 1);
            }
        }
        ExprKind::Not(operand) => walk(operand, c, depth + 1),
        ExprKind::Compare { left, right, .. } | ExprKind::Logical { left, right, .. } => {
            walk(left, c, depth + 1);
            walk(right, c, depth + 1);
        }
        _ => {}
    }
    c.leave(e);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    fn found(src: &str, set: UntrustedSet) -> Vec<(usize, String)> {
        let ast = parse(src).expect("parses");
        find_untrusted(&ast, set)
            .into_iter()
            .map(|d| {
                let path = d.message.split(' ').next().unwrap_or("").to_string();
                (d.span.start, path)
            })
            .collect()
    }

    #[test]
    fn actionlint_set_is_unchanged() {
        assert_eq!(
            found("github.event.issue.title", UntrustedSet::Actionlint),
            vec![(0, "\"github.event.issue.title\"".to_string())]
        );
        assert!(
            found(
                "github.event.workflow_run.head_branch",
                UntrustedSet::Actionlint
            )
            .is_empty()
        );
    }

    #[test]
    fn extended_set_adds_workflow_run_and_committers() {
        for p in [
            "github.event.workflow_run.head_branch",
            "github.event.workflow_run.display_title",
            "github.event.workflow_run.head_commit.message",
            "github.event.workflow_run.head_commit.author.name",
            "github.event.workflow_run.pull_requests[0].head.ref",
            "github.event.head_commit.committer.email",
            "github.event.commits[1].committer.name",
            "github.event.pull_request.head.ref",
        ] {
            assert_eq!(found(p, UntrustedSet::Extended).len(), 1, "{p}");
        }
        assert!(found("github.event.workflow_run.head_sha", UntrustedSet::Extended).is_empty());
    }

    #[test]
    fn walk_matches_the_checker() {
        // Nested indexes: the index chains end before the receiver's chain goes on.
        let got = found(
            "github.event.pages[github.event.commits[github.event.issue.title].author.name].page_name",
            UntrustedSet::Actionlint,
        );
        let starts: Vec<usize> = got.iter().map(|(s, _)| *s).collect();
        assert_eq!(starts, vec![40, 19, 0]);
        assert!(
            found(
                "contains(github.event.issue.title, 'x')",
                UntrustedSet::Extended
            )
            .is_empty()
        );
        assert_eq!(
            found("a || github.head_ref", UntrustedSet::Extended).len(),
            1
        );
    }
}
