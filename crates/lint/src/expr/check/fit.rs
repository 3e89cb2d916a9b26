//! Whether arguments fit a function's signature and operands fit a comparison.

use super::super::ast::{CompareOp, Expr};
use super::super::functions::FuncSig;
use super::super::types::Type;
use super::super::{Span, go_quote};
use super::{DiagKind, ExprDiag};

/// `1st`, `2nd`, `3rd`, `11th`...: how actionlint names an argument's position.
pub(super) fn ordinal(i: usize) -> String {
    let suffix = match (i % 10, i % 100) {
        (1, r) if r != 11 => "st",
        (2, r) if r != 12 => "nd",
        (3, r) if r != 13 => "rd",
        _ => "th",
    };
    format!("{i}{suffix}")
}

/// Why a call does not fit a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Misfit {
    /// Too few or too many arguments.
    Arity,
    /// The argument at this index has a type the parameter does not take.
    Argument(usize),
}

/// Whether a call with arguments of types `tys` fits `sig`, and if not, why: the cheap test
/// made of every call, before any message is written.
pub(super) fn misfit(sig: &FuncSig, tys: &[Type]) -> Option<Misfit> {
    let (np, na) = (sig.params.len(), tys.len());
    if (sig.variadic && np > na) || (!sig.variadic && np != na) {
        return Some(Misfit::Arity);
    }
    tys.iter()
        .enumerate()
        .position(|(i, a)| !param(sig, i).assignable(a))
        .map(Misfit::Argument)
}

/// The parameter the argument at index `i` is passed to (the last one for the extra arguments
/// of a variadic function).
fn param(sig: &FuncSig, i: usize) -> &Type {
    static ANY: Type = Type::Any;
    sig.params.get(i).or(sig.params.last()).unwrap_or(&ANY)
}

/// Checks a call against one signature; the diagnostic says why it does not fit.
pub(super) fn signature_error(
    span: Span,
    sig: &FuncSig,
    args: &[Expr],
    tys: &[Type],
) -> Option<ExprDiag> {
    match misfit(sig, tys)? {
        Misfit::Arity => {
            let (np, na) = (sig.params.len(), tys.len());
            let at_least = if sig.variadic { "at least " } else { "" };
            Some(ExprDiag::new(
                span,
                DiagKind::WrongArity,
                format!(
                    "number of arguments is wrong. function {} takes {at_least}{np} parameters \
                     but {na} arguments are given",
                    go_quote(&sig.to_string())
                ),
            ))
        }
        Misfit::Argument(i) => {
            let (a, arg) = (tys.get(i)?, args.get(i)?);
            Some(ExprDiag::new(
                arg.span,
                DiagKind::ArgumentType,
                format!(
                    "{} argument of function call is not assignable. {} cannot be assigned to \
                     {}. called function type is {}",
                    ordinal(i + 1),
                    go_quote(&a.to_string()),
                    go_quote(&param(sig, i).to_string()),
                    go_quote(&sig.to_string())
                ),
            ))
        }
    }
}

/// Whether actionlint accepts comparing `l` and `r` with `op`. Equality is loose (GitHub
/// coerces), except that objects and arrays compared with scalars are always unequal; ordering
/// needs numbers or strings.
pub(super) fn comparable(op: CompareOp, l: &Type, r: &Type) -> bool {
    if op.is_equality() {
        match l {
            Type::Any | Type::Null => true,
            Type::Number | Type::Bool | Type::String => {
                !matches!(r, Type::Object(_) | Type::Array(_))
            }
            Type::Object(_) => matches!(r, Type::Object(_) | Type::Null | Type::Any),
            Type::Array(la) => match r {
                Type::Array(ra) => comparable(op, &la.elem, &ra.elem),
                Type::Null | Type::Any => true,
                _ => false,
            },
        }
    } else {
        match l {
            Type::Any | Type::Number | Type::String => !matches!(
                r,
                Type::Null | Type::Bool | Type::Object(_) | Type::Array(_)
            ),
            Type::Null | Type::Bool | Type::Object(_) | Type::Array(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ordinal;

    #[test]
    fn ordinals() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111]
            .into_iter()
            .map(ordinal)
            .collect();
        assert_eq!(
            got,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st",
                "111th"
            ]
        );
    }
}
