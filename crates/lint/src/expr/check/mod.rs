//! The type checker: infers an expression's type and reports what actionlint's `expression`
//! rule reports for it.

use std::borrow::Cow;

use super::ast::{CompareOp, Expr, ExprKind, LogicalOp};
use super::availability::special_function_places;
use super::contexts::TypeEnv;
use super::functions::{self, FuncSig, format_placeholders, format_syntax_error};
use super::json::type_of_json;
use super::types::{ArrayType, ObjectType, Type};
use super::untrusted::UntrustedChecker;
use super::{Span, go_quote, quote_list};
use fit::{comparable, misfit, signature_error};

mod fit;

/// What kind of problem a diagnostic is, so callers can group or filter them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiagKind {
    /// A lexing or parsing error (only from the string-level checks in `template`).
    Syntax,
    /// A context name that does not exist (`undefined variable "foo"`).
    UndefinedVariable,
    /// A context that exists but is not available at this place.
    ContextNotAllowed,
    /// A property that a strict object does not have.
    UndefinedProperty,
    /// A dereference, filter or index applied to a value of the wrong type.
    InvalidAccess,
    /// A function that does not exist.
    UndefinedFunction,
    /// A special function (`success()`, `hashFiles()`) called where it is not available.
    FunctionNotAllowed,
    /// Wrong number of arguments.
    WrongArity,
    /// An argument of the wrong type.
    ArgumentType,
    /// Operands that can't be compared with this operator.
    Comparison,
    /// A `format()` string that does not match its arguments.
    FormatPlaceholder,
    /// A `format()` string GitHub rejects (only with extra checks on).
    FormatSyntax,
    /// A literal `fromJSON()` argument that is not JSON.
    InvalidJson,
    /// `case()` with an even number of arguments.
    CaseArguments,
    /// A `vars.X` name that breaks the naming rules or is not declared.
    ConfigVariable,
    /// An untrusted input used directly in an inline script.
    UntrustedInput,
    /// An object, array or null evaluated into a string template (see `template`).
    TemplateEvaluation,
}

/// One problem found in an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprDiag {
    /// Where, as a byte range of the text that was checked. Its start is the column
    /// actionlint reports.
    pub span: Span,
    /// What, worded as actionlint words it.
    pub message: String,
    /// Which kind of problem.
    pub kind: DiagKind,
    /// For an unknown name with one certain replacement: where the name is (in the same text
    /// as `span`) and what to write instead.
    pub fix: Option<(Span, String)>,
    /// How to fix it, when known (the choices for an unknown name that is not certain).
    pub help: Option<String>,
}

impl ExprDiag {
    /// A diagnostic with no fix or help.
    pub fn new(span: Span, kind: DiagKind, message: String) -> Self {
        ExprDiag {
            span,
            message,
            kind,
            fix: None,
            help: None,
        }
    }

    /// The same diagnostic moved `by` bytes to the right, fix included.
    pub fn shift(self, by: usize) -> Self {
        ExprDiag {
            span: self.span.shift(by),
            fix: self.fix.map(|(s, t)| (s.shift(by), t)),
            ..self
        }
    }
}

/// An unknown name to report with the known names closest to it.
struct Unknown<'k> {
    /// Where the diagnostic points.
    span: Span,
    kind: DiagKind,
    /// What is wrong, without a list of names (`undefined function "x"`).
    message: String,
    /// The name as written.
    name: &'k str,
    /// Where the name is written, when a fix may replace it.
    at: Option<Span>,
}

const SEE_AVAILABILITY: &str = "see https://docs.github.com/en/actions/learn-github-actions/\
                                contexts#context-availability for more details";

/// Checks `expr` in `env`: returns its type and the problems found, in the order actionlint
/// finds them (untrusted inputs last). Spans are relative to the text `expr` was parsed from.
pub fn check(expr: &Expr, env: &TypeEnv) -> (Type, Vec<ExprDiag>) {
    let mut c = Checker {
        env,
        diags: Vec::new(),
        untrusted: env.check_untrusted().then(UntrustedChecker::default),
    };
    let ty = c.check(expr);
    let mut diags = c.diags;
    if let Some(u) = c.untrusted {
        diags.extend(u.finish());
    }
    (ty, diags)
}

struct Checker<'e> {
    env: &'e TypeEnv,
    diags: Vec<ExprDiag>,
    untrusted: Option<UntrustedChecker>,
}

impl<'e> Checker<'e> {
    fn report(&mut self, span: Span, kind: DiagKind, message: String) {
        self.diags.push(ExprDiag::new(span, kind, message));
    }

    /// Reports an unknown name with `. did you mean "x"?` (and a fix when one name is certain),
    /// or with `otherwise()` (the list of every known name) when none is close.
    fn report_unknown<'k>(
        &mut self,
        u: Unknown<'_>,
        known: impl IntoIterator<Item = &'k str>,
        otherwise: impl FnOnce() -> String,
    ) {
        let closest = crate::suggest::closest(u.name, known);
        let mut d = ExprDiag::new(u.span, u.kind, u.message);
        match closest.did_you_mean() {
            None => d.message.push_str(&otherwise()),
            Some(dym) => {
                d.message = format!("{}. {dym}", d.message);
                d.fix = closest
                    .certain()
                    .and_then(|k| u.at.map(|at| (at, k.to_string())));
                d.help = closest.choice_help(u.name);
            }
        }
        self.diags.push(d);
    }

    fn check(&mut self, e: &Expr) -> Type {
        self.check_ref(e).into_owned()
    }

    /// The type of `e`, borrowed when it is a context's or a property of one (`github.event.x`),
    /// so that looking up a large context type does not copy it.
    fn check_ref(&mut self, e: &Expr) -> Cow<'e, Type> {
        if let Some(u) = self.untrusted.as_mut() {
            u.enter(e);
        }
        let ty = match &e.kind {
            ExprKind::Null => Cow::Owned(Type::Null),
            ExprKind::Bool(_) => Cow::Owned(Type::Bool),
            ExprKind::Int(_) | ExprKind::Float(_) => Cow::Owned(Type::Number),
            ExprKind::String(_) => Cow::Owned(Type::String),
            ExprKind::Variable { name, raw } => self.variable(e.span, name, raw),
            ExprKind::Property {
                receiver,
                name,
                name_span,
            } => self.property(e.span, receiver, name, *name_span),
            ExprKind::Filter { receiver } => Cow::Owned(self.filter(e.span, receiver)),
            ExprKind::Index { receiver, index } => Cow::Owned(self.index(e.span, receiver, index)),
            ExprKind::Call { name, args } => Cow::Owned(self.call(e.span, name, args)),
            ExprKind::Not(operand) => {
                // Anything can be negated: `!` converts its operand to bool.
                self.check_ref(operand);
                Cow::Owned(Type::Bool)
            }
            ExprKind::Compare { op, left, right } => {
                Cow::Owned(self.compare(e.span, *op, left, right))
            }
            ExprKind::Logical { op, left, right } => Cow::Owned(self.logical(*op, left, right)),
        };
        if let Some(u) = self.untrusted.as_mut() {
            u.leave(e);
        }
        ty
    }

    fn variable(&mut self, span: Span, name: &str, raw: &str) -> Cow<'e, Type> {
        let env: &'e TypeEnv = self.env;
        let Some(ty) = env.context(name) else {
            let names: Vec<&str> = self.env.context_names().collect();
            let unknown = Unknown {
                span,
                kind: DiagKind::UndefinedVariable,
                message: format!("undefined variable {}", go_quote(raw)),
                name: raw,
                at: Some(span),
            };
            self.report_unknown(unknown, names.iter().copied(), || {
                format!(". available variables are {}", quote_list(&names))
            });
            return Cow::Owned(Type::Any);
        };
        if !self.env.is_context_available(name) {
            let avail = self.env.available_contexts().unwrap_or_default();
            let notes = match avail.as_slice() {
                [] => "no context is available here".to_string(),
                [_] => format!("available context is {}", quote_list(&avail)),
                _ => format!("available contexts are {}", quote_list(&avail)),
            };
            self.report(
                span,
                DiagKind::ContextNotAllowed,
                format!(
                    "context {} is not allowed here. {notes}. {SEE_AVAILABILITY}",
                    go_quote(name)
                ),
            );
        }
        Cow::Borrowed(ty)
    }

    fn property(
        &mut self,
        span: Span,
        receiver: &Expr,
        name: &str,
        name_span: Span,
    ) -> Cow<'e, Type> {
        let recv = self.check_ref(receiver);
        if let Cow::Borrowed(Type::Object(o)) = recv {
            if let Some(t) = o.props.get(name) {
                return Cow::Borrowed(t);
            }
            if let Some(m) = &o.mapped {
                if matches!(&receiver.kind, ExprKind::Variable { name: v, .. } if v == "vars") {
                    self.config_variable(span, name, name_span);
                }
                return Cow::Borrowed(m);
            }
        }
        Cow::Owned(self.property_of(span, recv.into_owned(), receiver, name, name_span))
    }

    /// `property` on a receiver of an owned type.
    fn property_of(
        &mut self,
        span: Span,
        recv: Type,
        receiver: &Expr,
        name: &str,
        name_span: Span,
    ) -> Type {
        match recv {
            Type::Any => Type::Any,
            Type::Object(o) => {
                if let Some(t) = o.props.get(name) {
                    return t.clone();
                }
                if let Some(m) = o.mapped {
                    if matches!(&receiver.kind, ExprKind::Variable { name: v, .. } if v == "vars") {
                        self.config_variable(span, name, name_span);
                    }
                    return *m;
                }
                let unknown = Unknown {
                    span,
                    kind: DiagKind::UndefinedProperty,
                    message: format!(
                        "property {} is not defined in object type {o}",
                        go_quote(name)
                    ),
                    name,
                    at: Some(name_span),
                };
                self.report_unknown(unknown, o.props.keys().map(String::as_str), String::new);
                Type::Any
            }
            Type::Array(a) if a.deref => match *a.elem {
                Type::Any => Type::Array(a),
                Type::Object(o) => {
                    let elem = if let Some(t) = o.props.get(name) {
                        t.clone()
                    } else if let Some(m) = o.mapped {
                        *m
                    } else {
                        let unknown = Unknown {
                            span,
                            kind: DiagKind::UndefinedProperty,
                            message: format!(
                                "property {} is not defined in object type {o} as element of \
                                 filtered array",
                                go_quote(name)
                            ),
                            name,
                            at: Some(name_span),
                        };
                        let known = o.props.keys().map(String::as_str);
                        self.report_unknown(unknown, known, String::new);
                        Type::Any
                    };
                    Type::Array(ArrayType {
                        elem: Box::new(elem),
                        deref: true,
                    })
                }
                other => {
                    self.report(
                        span,
                        DiagKind::InvalidAccess,
                        format!(
                            "property filtered by {} at object filtering must be type of object \
                             but got {}",
                            go_quote(name),
                            go_quote(&other.to_string())
                        ),
                    );
                    Type::Any
                }
            },
            other => {
                self.report(
                    span,
                    DiagKind::InvalidAccess,
                    format!(
                        "receiver of object dereference {} must be type of object but got {}",
                        go_quote(name),
                        go_quote(&other.to_string())
                    ),
                );
                Type::Any
            }
        }
    }

    fn config_variable(&mut self, span: Span, name: &str, name_span: Span) {
        const SEE: &str = "note: see the convention at https://docs.github.com/en/actions/\
                           learn-github-actions/variables#naming-conventions-for-configuration-\
                           variables";
        if name.starts_with("github_") {
            self.report(
                span,
                DiagKind::ConfigVariable,
                format!(
                    "configuration variable name {} must not start with the GITHUB_ prefix \
                     (case insensitive). {SEE}",
                    go_quote(name)
                ),
            );
            return;
        }
        if !name
            .bytes()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase() || c == b'_')
        {
            self.report(
                span,
                DiagKind::ConfigVariable,
                format!(
                    "configuration variable name {} can only contain alphabets, decimal \
                     numbers, and '_'. {SEE}",
                    go_quote(name)
                ),
            );
            return;
        }
        let Some(declared) = self.env.config_vars() else {
            return;
        };
        if declared.is_empty() {
            self.report(
                span,
                DiagKind::ConfigVariable,
                format!(
                    "no configuration variable is allowed since the variables list is empty in \
                     actionlint.yaml. you may forget adding the variable {} to the list",
                    go_quote(name)
                ),
            );
            return;
        }
        if declared.iter().any(|v| v.eq_ignore_ascii_case(name)) {
            return;
        }
        let mut sorted = declared.to_vec();
        sorted.sort();
        let unknown = Unknown {
            span,
            kind: DiagKind::ConfigVariable,
            message: format!("undefined configuration variable {}", go_quote(name)),
            name,
            at: Some(name_span),
        };
        let known = sorted.iter().map(String::as_str);
        self.report_unknown(unknown, known, || {
            format!(
                ". defined configuration variables in actionlint.yaml are {}",
                quote_list(&sorted)
            )
        });
    }

    fn filter(&mut self, span: Span, receiver: &Expr) -> Type {
        let any_filtered = || {
            Type::Array(ArrayType {
                elem: Box::new(Type::Any),
                deref: true,
            })
        };
        match self.check(receiver) {
            Type::Any => any_filtered(),
            Type::Array(a) => Type::Array(ArrayType { deref: true, ..a }),
            Type::Object(o) => match o.mapped.as_deref() {
                Some(Type::Any) => any_filtered(),
                Some(Type::Object(elem)) => Type::Array(ArrayType {
                    elem: Box::new(Type::Object(elem.clone())),
                    deref: true,
                }),
                Some(other) => {
                    let msg = format!(
                        "elements of object at receiver of object filtering `.*` must be type of \
                         object but got {}. the type of receiver was {}",
                        go_quote(&other.to_string()),
                        go_quote(&o.to_string())
                    );
                    self.report(span, DiagKind::InvalidAccess, msg);
                    Type::Any
                }
                None => {
                    if o.props.values().any(|t| matches!(t, Type::Object(_))) {
                        return any_filtered();
                    }
                    self.report(
                        span,
                        DiagKind::InvalidAccess,
                        format!(
                            "object type {} cannot be filtered by object filtering `.*` since it \
                             has no object element",
                            go_quote(&o.to_string())
                        ),
                    );
                    Type::Any
                }
            },
            other => {
                self.report(
                    span,
                    DiagKind::InvalidAccess,
                    format!(
                        "receiver of object filtering `.*` must be type of array or object but \
                         got {}",
                        go_quote(&other.to_string())
                    ),
                );
                Type::Any
            }
        }
    }

    fn index(&mut self, span: Span, receiver: &Expr, index: &Expr) -> Type {
        // The index is checked first, as in actionlint: the untrusted-input walk relies on it.
        let idx = self.check(index);
        let recv = self.check_ref(receiver);
        match &*recv {
            Type::Any => Type::Any,
            Type::Array(a) => match idx {
                Type::Any | Type::Number => (*a.elem).clone(),
                other => {
                    self.report(
                        index.span,
                        DiagKind::InvalidAccess,
                        format!(
                            "index access of array must be type of number but got {}",
                            go_quote(&other.to_string())
                        ),
                    );
                    Type::Any
                }
            },
            Type::Object(o) => match idx {
                Type::Any => Type::Any,
                Type::String => self.object_index(span, o, index),
                other => {
                    self.report(
                        index.span,
                        DiagKind::InvalidAccess,
                        format!(
                            "property access of object must be type of string but got {}",
                            go_quote(&other.to_string())
                        ),
                    );
                    Type::Any
                }
            },
            other => {
                self.report(
                    span,
                    DiagKind::InvalidAccess,
                    format!(
                        "index access operand must be type of object or array but got {}",
                        go_quote(&other.to_string())
                    ),
                );
                Type::Any
            }
        }
    }

    fn object_index(&mut self, span: Span, o: &ObjectType, index: &Expr) -> Type {
        // `a['NAME']` is `a.name`: GitHub compares property names without case either way.
        if let ExprKind::String(lit) = &index.kind {
            let found = o.props.get(lit).or_else(|| {
                o.props
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(lit))
                    .map(|(_, t)| t)
            });
            if let Some(t) = found {
                return t.clone();
            }
            if o.is_strict() {
                self.report(
                    span,
                    DiagKind::UndefinedProperty,
                    format!(
                        "property {} is not defined in object type {o}",
                        go_quote(lit)
                    ),
                );
            }
        }
        match &o.mapped {
            Some(m) => (**m).clone(),
            None => Type::Any,
        }
    }

    fn call(&mut self, span: Span, name: &str, args: &[Expr]) -> Type {
        let Some(def) = functions::lookup(name) else {
            let names: Vec<&str> = functions::all().iter().map(|f| f.name).collect();
            let unknown = Unknown {
                span,
                kind: DiagKind::UndefinedFunction,
                message: format!("undefined function {}", go_quote(name)),
                name,
                // A call's span starts at its name.
                at: Some(Span::new(span.start, span.start + name.len())),
            };
            // Suggested as GitHub documents them (`startsWith`); listed as actionlint lists them.
            let documented = functions::all()
                .iter()
                .map(|f| f.sigs.first().map_or(f.name, |s| s.name));
            self.report_unknown(unknown, documented, || {
                format!(". available functions are {}", quote_list(&names))
            });
            return Type::Any;
        };
        let tys: Vec<Type> = args.iter().map(|a| self.check(a)).collect();
        if let Some(sig) = def.sigs.iter().find(|sig| misfit(sig, &tys).is_none()) {
            return self.builtin_call(span, def.name, name, sig, args);
        }
        // No signature fits: why, for each of them.
        let errors = def.sigs.iter();
        let errors = errors.filter_map(|sig| signature_error(span, sig, args, &tys));
        self.diags.extend(errors);
        Type::Any
    }

    fn builtin_call(
        &mut self,
        span: Span,
        lower: &str,
        name: &str,
        sig: &FuncSig,
        args: &[Expr],
    ) -> Type {
        if !self.env.is_special_function_available(lower)
            && let Some(places) = special_function_places(lower)
        {
            self.report(
                span,
                DiagKind::FunctionNotAllowed,
                format!(
                    "calling function {q} is not allowed here. {q} is only available in {}. \
                         {SEE_AVAILABILITY}",
                    quote_list(&places),
                    q = go_quote(name),
                ),
            );
        }
        match lower {
            "format" => {
                if let Some(Expr {
                    kind: ExprKind::String(fmt),
                    ..
                }) = args.first()
                {
                    self.format_call(span, fmt, args.len() - 1);
                }
            }
            "fromjson" => {
                if let Some(Expr {
                    kind: ExprKind::String(lit),
                    span: lit_span,
                }) = args.first()
                {
                    match type_of_json(lit) {
                        Ok(t) => return t,
                        Err(e) => self.report(
                            *lit_span,
                            DiagKind::InvalidJson,
                            format!(
                                "broken JSON string is passed to fromJSON() at offset {}: {}",
                                e.offset, e.message
                            ),
                        ),
                    }
                }
            }
            "case" if args.len().is_multiple_of(2) => self.report(
                span,
                DiagKind::CaseArguments,
                format!(
                    "case() requires an odd number of arguments (pred/value pairs + default) but \
                     got {}",
                    args.len()
                ),
            ),
            _ => {}
        }
        sig.ret.clone()
    }

    fn format_call(&mut self, span: Span, fmt: &str, nargs: usize) {
        let mut holders = format_placeholders(fmt);
        for i in 0..nargs {
            if !holders.remove(&i) {
                self.report(
                    span,
                    DiagKind::FormatPlaceholder,
                    format!(
                        "format string {} does not contain placeholder {{{i}}}. remove argument \
                         which is unused in the format string",
                        go_quote(fmt)
                    ),
                );
            }
        }
        for i in holders {
            self.report(
                span,
                DiagKind::FormatPlaceholder,
                format!(
                    "format string {} contains placeholder {{{i}}} but only {nargs} arguments \
                     are given to format",
                    go_quote(fmt)
                ),
            );
        }
        if self.env.extra_checks()
            && let Some((at, brace)) = format_syntax_error(fmt)
        {
            let doubled = format!("{brace}{brace}");
            self.report(
                span,
                DiagKind::FormatSyntax,
                format!(
                    "format string {} is invalid: '{brace}' at byte {at} is neither part of a \
                         placeholder like {{0}} nor escaped as '{doubled}'",
                    go_quote(fmt)
                ),
            );
        }
    }

    fn compare(&mut self, span: Span, op: CompareOp, left: &Expr, right: &Expr) -> Type {
        let l = self.check(left);
        let r = self.check(right);
        if !comparable(op, &l, &r) {
            self.report(
                span,
                DiagKind::Comparison,
                format!(
                    "{} value cannot be compared to {} value with {} operator",
                    go_quote(&l.to_string()),
                    go_quote(&r.to_string()),
                    go_quote(op.as_str())
                ),
            );
        }
        Type::Bool
    }

    /// `l && r` is `l` when `l` is falsy, else `r`; `l || r` is `l` when truthy, else `r`.
    fn logical(&mut self, op: LogicalOp, left: &Expr, right: &Expr) -> Type {
        let l = self.check_narrowed(left, op == LogicalOp::Or);
        let r = self.check(right);
        l.merge(r)
    }

    /// The type of `e` assuming its value is truthy (or falsy): `a && b` assumed truthy is `b`.
    fn check_narrowed(&mut self, e: &Expr, truthy: bool) -> Type {
        match &e.kind {
            ExprKind::Logical { op, left, right } => {
                let narrows = match op {
                    LogicalOp::And => truthy,
                    LogicalOp::Or => !truthy,
                };
                if narrows {
                    self.check(left);
                    self.check(right)
                } else {
                    self.logical(*op, left, right)
                }
            }
            ExprKind::Not(operand) => self.check_narrowed(operand, !truthy),
            _ => self.check(e),
        }
    }
}
