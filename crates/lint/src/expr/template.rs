//! Checking whole strings of a workflow: templates with `${{ }}` in them, and `if:` conditions.
//!
//! These follow how actionlint's `expression` rule treats a string value: expressions are
//! checked left to right and the first one with a problem ends the string's check. All spans
//! here are byte ranges of the string handed in.

use std::borrow::Cow;

use super::ast::Expr;
use super::check::{DiagKind, ExprDiag, check};
use super::contexts::TypeEnv;
use super::embedded::has_expr;
use super::embedded::{Embedded, find_close, find_expressions, is_single_expression};
use super::parser::parse;
use super::types::Type;
use super::{ExprError, Span};

/// An expression of a string that checked cleanly, and its type.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedExpr {
    /// Where it is in the string.
    pub embedded: Embedded,
    /// Its type.
    pub ty: Type,
}

/// The result of checking one string.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TemplateCheck {
    /// The expressions checked, with their types; empty when a problem stopped the check.
    pub exprs: Vec<TypedExpr>,
    /// The problems, spans relative to the string.
    pub diags: Vec<ExprDiag>,
}

impl TemplateCheck {
    /// Whether every expression checked cleanly.
    pub fn ok(&self) -> bool {
        self.diags.is_empty()
    }

    /// The type of the value when the string is exactly one `${{ }}` (ignoring surrounding
    /// white space) that checked cleanly: what actionlint compares with the type a key
    /// expects (a bool for `continue-on-error`, an object for `env`, ...).
    pub fn single_type(&self, s: &str) -> Option<&Type> {
        match self.exprs.as_slice() {
            [one] if is_single_expression(s) => Some(&one.ty),
            _ => None,
        }
    }
}

fn syntax_diag(e: &ExprError, base: usize) -> ExprDiag {
    ExprDiag::new(
        Span::new(base + e.offset, base + e.offset),
        DiagKind::Syntax,
        e.message.clone(),
    )
}

/// Parses and checks every `${{ }}` in `s` (actionlint's `checkExprsIn`). Stops at the first
/// expression with a syntax error or any diagnostic; then `exprs` is empty.
pub fn check_embedded(s: &str, env: &TypeEnv) -> TemplateCheck {
    check_embedded_known(s, env, &|_| None)
}

/// The syntax trees of a string's expressions parsed before, by the span of the text they were
/// parsed from (inside `${{ }}`, or the whole of a bare condition): a file's expressions are
/// parsed once and checked here without parsing them again. `None` parses.
pub type Known<'k> = dyn Fn(Span) -> Option<&'k Expr> + 'k;

/// The tree of `text`, at `at` in the string: the one [`Known`] before, else parsed.
fn tree<'k>(known: &Known<'k>, at: Span, text: &str) -> Result<Cow<'k, Expr>, ExprError> {
    match known(at) {
        Some(ast) => Ok(Cow::Borrowed(ast)),
        None => parse(text).map(Cow::Owned),
    }
}

/// [`check_embedded`] with the trees [`Known`] before.
pub fn check_embedded_known<'k>(s: &str, env: &TypeEnv, known: &Known<'k>) -> TemplateCheck {
    let mut out = TemplateCheck::default();
    for emb in find_expressions(s) {
        if let Some(e) = &emb.error {
            out.diags.push(syntax_diag(e, 0));
            out.exprs.clear();
            return out;
        }
        // GitHub reports an over-long expression at its `${{`.
        if let Some(e) = super::parser::too_long(emb.inner_text(s)) {
            out.diags.push(syntax_diag(&e, emb.whole.start));
            out.exprs.clear();
            return out;
        }
        let ast = match tree(known, emb.inner, emb.inner_text(s)) {
            Ok(ast) => ast,
            Err(e) => {
                out.diags.push(syntax_diag(&e, emb.inner.start));
                out.exprs.clear();
                return out;
            }
        };
        let (ty, diags) = check(&ast, env);
        if !diags.is_empty() {
            let base = emb.inner.start;
            out.diags.extend(diags.into_iter().map(|d| d.shift(base)));
            out.exprs.clear();
            return out;
        }
        out.exprs.push(TypedExpr { embedded: emb, ty });
    }
    out
}

/// Checks a string whose expressions are interpolated into text (most values of a workflow):
/// [`check_embedded`], then an error for each object, array or null value, which would print
/// as `Object`, `Array` or nothing. That error points at the `${{`.
pub fn check_template(s: &str, env: &TypeEnv) -> TemplateCheck {
    check_template_known(s, env, &|_| None)
}

/// [`check_template`] with the trees [`Known`] before.
pub fn check_template_known<'k>(s: &str, env: &TypeEnv, known: &Known<'k>) -> TemplateCheck {
    let mut out = check_embedded_known(s, env, known);
    for t in &out.exprs {
        if matches!(t.ty, Type::Object(_) | Type::Array(_) | Type::Null) {
            out.diags.push(ExprDiag::new(
                Span::new(t.embedded.whole.start, t.embedded.whole.start + 3),
                DiagKind::TemplateEvaluation,
                format!(
                    "object, array, and null values should not be evaluated in template with \
                     ${{{{ }}}} but evaluating the value of type {}",
                    t.ty
                ),
            ));
        }
    }
    out
}

/// Checks an `if:` condition. With `${{ }}` it is a template ([`check_template`]); without,
/// the whole string is one expression (GitHub evaluates it even with operators in it), ending
/// at a `}}` outside string literals if there is one, as actionlint reads it.
pub fn check_condition(s: &str, env: &TypeEnv) -> TemplateCheck {
    check_condition_known(s, env, &|_| None)
}

/// [`check_condition`] with the trees [`Known`] before.
pub fn check_condition_known<'k>(s: &str, env: &TypeEnv, known: &Known<'k>) -> TemplateCheck {
    if has_expr(&s) {
        return check_template_known(s, env, known);
    }
    let text = s.get(..expression_end(s)).unwrap_or(s);
    let mut out = TemplateCheck::default();
    let ast = match tree(known, Span::new(0, text.len()), text) {
        Ok(ast) => ast,
        Err(e) => {
            out.diags.push(syntax_diag(&e, 0));
            return out;
        }
    };
    let (ty, diags) = check(&ast, env);
    if diags.is_empty() {
        out.exprs.push(TypedExpr {
            embedded: Embedded {
                whole: Span::new(0, s.len()),
                inner: Span::new(0, text.len()),
                error: None,
            },
            ty,
        });
    }
    out.diags = diags;
    out
}

/// The offset of the first `}}` outside string literals, or the length of `s`.
fn expression_end(s: &str) -> usize {
    find_close(s.as_bytes(), 0).unwrap_or(s.len())
}
