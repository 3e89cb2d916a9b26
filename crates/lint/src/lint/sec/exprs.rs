//! Every `${{ }}` expression of a file, found and parsed once and shared by the rules that look
//! at expressions (`obfuscation`, `unsound-ternary`, `unredacted-secrets`, ...), so that a
//! file's expressions are parsed once however many rules read them; and likewise the commands
//! of its `run:` scripts.

use crate::expr::has_expr;
use std::cell::{OnceCell, RefCell};
// Keyed by node addresses: FxHash, not SipHash (no text of the file is hashed).
use rustc_hash::FxHashMap;
use std::rc::Rc;

use crate::lint::deploy::{Word, commands};

use crate::expr::ast::Expr;
use crate::expr::{Embedded, find_expressions, parse};
use crate::workflow::yaml::{Kind, Node};

/// One parsed expression and where it is.
#[derive(Debug)]
pub struct Parsed {
    /// Where it is in the scalar's value: for `${{ }}` the embedding, for a bare `if:` the whole
    /// value.
    pub at: Embedded,
    /// Its syntax tree.
    pub ast: Expr,
    /// Written inside `${{ }}` (false for a bare `if:` condition).
    pub fenced: bool,
}

/// A scalar holding expressions.
#[derive(Debug)]
pub struct Site<'a> {
    /// The mapping key the scalar is the value of (`run`, `if`, `image`), if any.
    pub key: Option<&'a str>,
    /// The scalar.
    pub node: &'a Node,
    /// True for an `if:` condition, which is an expression even without `${{ }}`.
    pub condition: bool,
    /// Its expressions that parse.
    pub exprs: Vec<Parsed>,
}

/// The expressions of one file, built on first use.
#[derive(Debug)]
pub struct FileExprs<'a> {
    root: &'a Node,
    sites: OnceCell<Vec<Site<'a>>>,
    by_node: OnceCell<FxHashMap<usize, usize>>,
    commands: RefCell<FxHashMap<usize, Rc<Vec<Vec<Word>>>>>,
}

impl<'a> FileExprs<'a> {
    /// The (not yet built) index of `root`'s expressions.
    pub fn new(root: &'a Node) -> Self {
        FileExprs {
            root,
            sites: OnceCell::new(),
            by_node: OnceCell::new(),
            commands: RefCell::new(FxHashMap::default()),
        }
    }

    /// Every scalar with expressions, in document order.
    pub fn sites(&self) -> &[Site<'a>] {
        self.sites.get_or_init(|| {
            let mut out = Vec::new();
            walk(self.root, None, &mut out, 0);
            out
        })
    }
}

impl<'a> FileExprs<'a> {
    /// The expressions of one scalar node of the file.
    pub fn site_of(&self, node: &Node) -> Option<&Site<'a>> {
        let sites = self.sites();
        let index = self.by_node.get_or_init(|| {
            sites
                .iter()
                .enumerate()
                .map(|(i, s)| (std::ptr::from_ref(s.node) as usize, i))
                .collect()
        });
        sites.get(*index.get(&(std::ptr::from_ref(node) as usize))?)
    }
}

impl FileExprs<'_> {
    /// The simple commands of a script scalar (`run:`), split once for all rules.
    pub fn commands_of(&self, node: &Node) -> Rc<Vec<Vec<Word>>> {
        let key = std::ptr::from_ref(node) as usize;
        if let Some(c) = self.commands.borrow().get(&key) {
            return Rc::clone(c);
        }
        let c = Rc::new(commands(node.as_str().unwrap_or_default()));
        self.commands.borrow_mut().insert(key, Rc::clone(&c));
        c
    }
}

/// Nesting is bounded by the parser; this is a second guard.
const MAX_DEPTH: usize = 300;

fn walk<'a>(node: &'a Node, key: Option<&'a str>, out: &mut Vec<Site<'a>>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match &node.kind {
        Kind::Scalar { value, .. } => {
            let condition = key == Some("if");
            if let Some(site) = site(node, value, key, condition) {
                out.push(site);
            }
        }
        Kind::Seq(items) => {
            for item in items {
                walk(item, None, out, depth + 1);
            }
        }
        Kind::Map(entries) => {
            for (k, v) in entries {
                if let Some(s) = k.as_str()
                    && has_expr(&s)
                    && let Some(site) = site(k, s, None, false)
                {
                    out.push(site);
                }
                walk(v, k.as_str(), out, depth + 1);
            }
        }
    }
}

fn site<'a>(
    node: &'a Node,
    value: &str,
    key: Option<&'a str>,
    condition: bool,
) -> Option<Site<'a>> {
    let mut exprs = Vec::new();
    if has_expr(&value) {
        for at in find_expressions(value) {
            if at.error.is_some() {
                continue;
            }
            if let Ok(ast) = parse(at.inner_text(value)) {
                exprs.push(Parsed {
                    at,
                    ast,
                    fenced: true,
                });
            }
        }
    } else if condition && !value.trim().is_empty() && !node.is_null() {
        let whole = crate::expr::Span::new(0, value.len());
        if let Ok(ast) = parse(value) {
            exprs.push(Parsed {
                at: Embedded {
                    whole,
                    inner: whole,
                    error: None,
                },
                ast,
                fenced: false,
            });
        }
    }
    (!exprs.is_empty()).then_some(Site {
        key,
        node,
        condition,
        exprs,
    })
}

/// Calls `f` on `e` and every node under it, parents first.
pub fn visit<'e>(e: &'e Expr, f: &mut impl FnMut(&'e Expr)) {
    f(e);
    for c in e.children() {
        visit(c, f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::yaml;

    #[test]
    fn finds_templates_and_bare_conditions() {
        let src = "on: push\njobs:\n  a:\n    if: github.ref == 'x'\n    steps:\n      - run: echo ${{ a }} ${{ b.c }}\n        env: { X: plain }\n";
        let root = yaml::parse(src).root.expect("root");
        let fx = FileExprs::new(&root);
        let sites = fx.sites();
        assert_eq!(sites.len(), 2);
        assert!(sites[0].condition && sites[0].key == Some("if"));
        assert_eq!(sites[1].key, Some("run"));
        assert_eq!(sites[1].exprs.len(), 2);
    }
}
