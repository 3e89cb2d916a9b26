//! The value of an expression that needs no context: literals, and the functions and operators
//! whose result then follows (`format('{0}', '')`, `fromJSON('false')`, `!true`).

use crate::expr::ast::{Expr, ExprKind, LogicalOp};

/// A constant value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    String(String),
}

impl Value {
    /// GitHub's truthiness: `null`, `false`, `0`, `NaN` and `''` are falsy.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::String(s) => !s.is_empty(),
        }
    }

    fn text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
        }
    }
}

/// The value of `e` when it needs no context; `None` otherwise.
pub fn eval(e: &Expr) -> Option<Value> {
    match &e.kind {
        ExprKind::Null => Some(Value::Null),
        ExprKind::Bool(b) => Some(Value::Bool(*b)),
        ExprKind::Int(i) => Some(Value::Number(*i as f64)),
        ExprKind::Float(f) => Some(Value::Number(*f)),
        ExprKind::String(s) => Some(Value::String(s.clone())),
        ExprKind::Not(inner) => Some(Value::Bool(!eval(inner)?.truthy())),
        ExprKind::Logical { op, left, right } => {
            let l = eval(left)?;
            match (op, l.truthy()) {
                (LogicalOp::And, false) | (LogicalOp::Or, true) => Some(l),
                _ => eval(right),
            }
        }
        ExprKind::Call { name, args } => {
            let name = name.to_ascii_lowercase();
            let values: Option<Vec<Value>> = args.iter().map(eval).collect();
            let values = values?;
            match (name.as_str(), values.as_slice()) {
                ("format", [Value::String(fmt), rest @ ..]) => {
                    Some(Value::String(format(fmt, rest)?))
                }
                ("fromjson", [Value::String(json)]) => from_json(json),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `format()` with `{N}` placeholders and `{{`/`}}` escapes.
fn format(fmt: &str, args: &[Value]) -> Option<String> {
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut n = String::new();
                for d in chars.by_ref() {
                    if d == '}' {
                        break;
                    }
                    n.push(d);
                }
                out.push_str(&args.get(n.trim().parse::<usize>().ok()?)?.text());
            }
            _ => out.push(c),
        }
    }
    Some(out)
}

/// A JSON scalar; objects and arrays are not constants here.
fn from_json(json: &str) -> Option<Value> {
    match serde_json::from_str::<serde_json::Value>(json).ok()? {
        serde_json::Value::Null => Some(Value::Null),
        serde_json::Value::Bool(b) => Some(Value::Bool(b)),
        serde_json::Value::Number(n) => n.as_f64().map(Value::Number),
        serde_json::Value::String(s) => Some(Value::String(s)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    fn truthy(s: &str) -> Option<bool> {
        eval(&parse(s).expect("parse")).map(|v| v.truthy())
    }

    #[test]
    fn values() {
        assert_eq!(truthy("''"), Some(false));
        assert_eq!(truthy("0"), Some(false));
        assert_eq!(truthy("null"), Some(false));
        assert_eq!(truthy("fromJSON('false')"), Some(false));
        assert_eq!(truthy("format('{0}', '')"), Some(false));
        assert_eq!(truthy("format('{0}x', '')"), Some(true));
        assert_eq!(truthy("!false"), Some(true));
        assert_eq!(truthy("github.ref"), None);
    }
}
