//! The syntax tree of one expression.
//!
//! Every node carries a byte span in the expression text (the text between `${{` and `}}`).
//! As in actionlint, a node built from a receiver or a left operand (`a.b`, `a[0]`, `a == b`,
//! `a && b`) starts where that operand starts, and parentheses are not nodes: the span of a
//! diagnostic's node therefore starts exactly where actionlint would put its column.

use std::fmt;

use super::Span;

/// One node of an expression and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What the node is.
    pub kind: ExprKind,
    /// Its bytes in the expression text.
    pub span: Span,
}

/// The syntax tree of a whole expression: its root node.
pub type Ast = Expr;

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `<`
    Less,
    /// `<=`
    LessEq,
    /// `>`
    Greater,
    /// `>=`
    GreaterEq,
    /// `==`
    Eq,
    /// `!=`
    NotEq,
}

impl CompareOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Less => "<",
            CompareOp::LessEq => "<=",
            CompareOp::Greater => ">",
            CompareOp::GreaterEq => ">=",
            CompareOp::Eq => "==",
            CompareOp::NotEq => "!=",
        }
    }

    /// Whether this is `==` or `!=`.
    pub fn is_equality(self) -> bool {
        matches!(self, CompareOp::Eq | CompareOp::NotEq)
    }
}

/// Logical operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogicalOp {
    /// `&&`
    And,
    /// `||`
    Or,
}

impl LogicalOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            LogicalOp::And => "&&",
            LogicalOp::Or => "||",
        }
    }
}

/// The kinds of node.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// `null` (keywords are case-sensitive: `NULL` is a variable).
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer literal, decimal or `0x` hex; it fits in 32 bits as actionlint requires.
    Int(i64),
    /// A number with a fraction or an exponent.
    Float(f64),
    /// A string literal, unescaped (`'it''s'` is `it's`).
    String(String),
    /// A context name such as `github`.
    Variable {
        /// The name in lower case: context names are case-insensitive.
        name: String,
        /// The name as written, for messages.
        raw: String,
    },
    /// `receiver.name`.
    Property {
        /// The object.
        receiver: Box<Expr>,
        /// The property name in lower case: property names are case-insensitive.
        name: String,
        /// Where the property name is.
        name_span: Span,
    },
    /// `receiver.*`, the object filter.
    Filter {
        /// The array or object filtered.
        receiver: Box<Expr>,
    },
    /// `receiver[index]`.
    Index {
        /// The object or array.
        receiver: Box<Expr>,
        /// The index or property-name expression.
        index: Box<Expr>,
    },
    /// `name(args...)`.
    Call {
        /// The function name as written (function names are case-insensitive).
        name: String,
        /// The arguments.
        args: Vec<Expr>,
    },
    /// `!operand`.
    Not(Box<Expr>),
    /// `left op right`.
    Compare {
        /// The operator.
        op: CompareOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// `left && right` or `left || right`.
    Logical {
        /// The operator.
        op: LogicalOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
}

impl Expr {
    /// The children of this node, in source order. An iterator, not a `Vec`: passes over a
    /// file's expressions ask every node for its children (200,000 times on the corpus).
    pub fn children(&self) -> impl Iterator<Item = &Expr> {
        let (first, second, rest): (Option<&Expr>, Option<&Expr>, &[Expr]) = match &self.kind {
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::String(_)
            | ExprKind::Variable { .. } => (None, None, &[]),
            ExprKind::Property { receiver, .. } | ExprKind::Filter { receiver } => {
                (Some(receiver), None, &[])
            }
            ExprKind::Index { receiver, index } => (Some(receiver), Some(index), &[]),
            ExprKind::Call { args, .. } => (None, None, args),
            ExprKind::Not(operand) => (Some(operand), None, &[]),
            ExprKind::Compare { left, right, .. } | ExprKind::Logical { left, right, .. } => {
                (Some(left), Some(right), &[])
            }
        };
        first.into_iter().chain(second).chain(rest)
    }

    /// Whether the value is known without any context: literals, operators over literals and
    /// calls of pure functions over literals (actionlint's `IsConstant`, used by the `if-cond`
    /// check).
    pub fn is_constant(&self) -> bool {
        match &self.kind {
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::String(_) => true,
            ExprKind::Variable { .. }
            | ExprKind::Property { .. }
            | ExprKind::Filter { .. }
            | ExprKind::Index { .. } => false,
            ExprKind::Not(o) => o.is_constant(),
            ExprKind::Compare { left, right, .. } | ExprKind::Logical { left, right, .. } => {
                left.is_constant() && right.is_constant()
            }
            ExprKind::Call { name, args } => {
                args.iter().all(Expr::is_constant)
                    && super::functions::lookup(name).is_some_and(|f| f.pure)
            }
        }
    }

    /// The dotted path of a plain property chain, such as `github.event.issue.title`
    /// (lower case; `*` for filters; `None` when the chain has an index or a call).
    pub fn property_path(&self) -> Option<String> {
        match &self.kind {
            ExprKind::Variable { name, .. } => Some(name.clone()),
            ExprKind::Property { receiver, name, .. } => {
                receiver.property_path().map(|p| format!("{p}.{name}"))
            }
            ExprKind::Filter { receiver } => receiver.property_path().map(|p| format!("{p}.*")),
            _ => None,
        }
    }
}

fn write_string_literal(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    write!(f, "'{}'", s.replace('\'', "''"))
}

fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Logical {
            op: LogicalOp::Or, ..
        } => 1,
        ExprKind::Logical {
            op: LogicalOp::And, ..
        } => 2,
        ExprKind::Compare { op, .. } if op.is_equality() => 3,
        ExprKind::Compare { .. } => 4,
        ExprKind::Not(_) => 5,
        _ => 6,
    }
}

/// The receiver of `.name` or `.*`. A number is parenthesised: `0x1f.null` printed as
/// `31.null` would lex as the float `31.` followed by `null`.
fn write_dotted_receiver(f: &mut fmt::Formatter<'_>, receiver: &Expr) -> fmt::Result {
    match receiver.kind {
        ExprKind::Int(_) | ExprKind::Float(_) => write!(f, "({receiver})"),
        _ => write_operand(f, receiver, 6),
    }
}

fn write_operand(f: &mut fmt::Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if precedence(e) < min {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

/// Prints the expression back in canonical form (lower-case property names, minimal
/// parentheses); the
/// result parses to the same tree.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Null => f.write_str("null"),
            ExprKind::Bool(b) => write!(f, "{b}"),
            ExprKind::Int(i) => write!(f, "{i}"),
            ExprKind::Float(x) => write!(f, "{x:?}"),
            ExprKind::String(s) => write_string_literal(f, s),
            ExprKind::Variable { raw, .. } => f.write_str(raw),
            ExprKind::Property { receiver, name, .. } => {
                write_dotted_receiver(f, receiver)?;
                write!(f, ".{name}")
            }
            ExprKind::Filter { receiver } => {
                write_dotted_receiver(f, receiver)?;
                f.write_str(".*")
            }
            ExprKind::Index { receiver, index } => {
                write_operand(f, receiver, 6)?;
                write!(f, "[{index}]")
            }
            ExprKind::Call { name, args } => {
                write!(f, "{name}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
            ExprKind::Not(o) => {
                f.write_str("!")?;
                write_operand(f, o, 5)
            }
            ExprKind::Compare { op, left, right } => {
                let p = precedence(self);
                write_operand(f, left, p)?;
                write!(f, " {} ", op.as_str())?;
                write_operand(f, right, p + 1)
            }
            ExprKind::Logical { op, left, right } => {
                let p = precedence(self);
                write_operand(f, left, p)?;
                write!(f, " {} ", op.as_str())?;
                write_operand(f, right, p + 1)
            }
        }
    }
}
