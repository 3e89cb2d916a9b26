//! The `${{ }}` expression language of GitHub Actions: finding expressions in strings, lexing,
//! parsing, types of contexts and functions, and a checker modelled on actionlint's
//! `expression` rule.
//!
//! Everything here works on `&str` and its own types; spans are byte ranges into the text that
//! was handed in, so a caller maps them into the YAML source by adding the scalar's offset.
//!
//! ```
//! use deploy_action_lint::expr::{check_template, TypeEnv};
//!
//! let env = TypeEnv::for_workflow_key("jobs.<job_id>.steps.run");
//! let out = check_template("echo ${{ github.shaa }}", &env);
//! assert_eq!(out.diags.len(), 1);
//! assert_eq!(out.diags[0].span.start, 9); // the `github` of `github.shaa`
//! ```

pub mod ast;
pub mod availability;
pub mod check;
pub mod contexts;
pub mod embedded;
pub mod functions;
pub mod json;
pub mod lexer;
pub mod parser;
pub mod template;
pub mod types;
pub mod untrusted;

pub use ast::{Ast, CompareOp, Expr, ExprKind, LogicalOp};
pub use availability::{Availability, availability, special_function_places};
pub use check::{DiagKind, ExprDiag, check};
pub use contexts::{TypeEnv, builtin_contexts};
pub use embedded::{Embedded, find_expressions, has_expr, is_single_expression};
pub use parser::{MAX_DEPTH, parse};
pub use template::{
    Known, TemplateCheck, TypedExpr, check_condition, check_condition_known, check_embedded,
    check_embedded_known, check_template, check_template_known,
};
pub use types::{ArrayType, ObjectType, Type};

/// A half-open byte range `start..end` in the text that was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The range `start..end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The same range moved `by` bytes to the right, to map it into an enclosing text.
    pub fn shift(self, by: usize) -> Self {
        Span::new(self.start + by, self.end + by)
    }
}

/// A syntax error in an expression: where (byte offset in the text handed in) and what.
///
/// This is a value, not a failure of the tool: callers turn it into a finding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at byte {offset})")]
pub struct ExprError {
    /// Byte offset of the error in the text that was lexed or parsed.
    pub offset: usize,
    /// What is wrong, worded like actionlint's messages.
    pub message: String,
}

impl ExprError {
    /// An error at `offset`.
    pub fn new(offset: usize, message: impl Into<String>) -> Self {
        ExprError {
            offset,
            message: message.into(),
        }
    }
}

/// Quotes a string the way Go's `%q` does, which actionlint's messages use.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `"a", "b", "c"`: names quoted and joined as actionlint lists them.
pub(crate) fn quote_list<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|s| go_quote(s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests;
