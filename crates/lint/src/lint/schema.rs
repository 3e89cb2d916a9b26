//! A small schema language for YAML sections, and the walker that checks a node against it.
//!
//! Rules describe sections as data ([`Obj`] with [`Field`]s of type [`T`]); [`check`] reports
//! unknown keys, missing required keys, wrong node kinds and empty values with the node's span.

use crate::workflow::yaml::{Kind, Node, ScalarType, Span, Style};

use super::Ctx;

/// The expected shape of a value.
#[derive(Clone, Copy)]
pub enum T {
    /// Anything.
    Any,
    /// A scalar; may be empty.
    Str,
    /// A scalar that must not be empty.
    NonEmptyStr,
    /// A boolean, or a string holding an expression.
    Bool,
    /// A number, or a string holding an expression.
    Num,
    /// An integer, or a string holding an expression.
    Int,
    /// One of the listed strings (or an expression).
    OneOf(&'static [&'static str]),
    /// A sequence of values of one type, not empty.
    Seq(&'static T),
    /// A scalar or a non-empty sequence of scalars.
    StrOrSeq,
    /// A mapping with known keys.
    Map(&'static Obj),
    /// A mapping with any keys whose values have one type.
    Dict(&'static T),
    /// A scalar, or a mapping with known keys.
    StrOrMap(&'static Obj),
    /// A mapping of environment variables (or one expression).
    Env,
    /// Checked by a rule of its own; the schema only visits it.
    Custom,
}

/// A mapping section: its name in messages and its keys.
pub struct Obj {
    /// How messages name the section (`"container" section`).
    pub label: &'static str,
    /// Known keys.
    pub fields: &'static [Field],
    /// Whether an empty mapping is allowed.
    pub allow_empty: bool,
}

/// A key of a mapping section.
pub struct Field {
    /// The key.
    pub name: &'static str,
    /// Its value's type.
    pub ty: T,
    /// Whether it must be present.
    pub required: bool,
}

/// A field that may be omitted.
pub const fn opt(name: &'static str, ty: T) -> Field {
    Field {
        name,
        ty,
        required: false,
    }
}

/// A field that must be present.
pub const fn req(name: &'static str, ty: T) -> Field {
    Field {
        name,
        ty,
        required: true,
    }
}

/// True when a scalar contains a `${{ }}` expression.
pub fn has_expr(n: &Node) -> bool {
    n.as_str().is_some_and(crate::expr::has_expr)
}

/// True when the whole scalar is one `${{ ... }}` expression.
pub fn is_whole_expr(n: &Node) -> bool {
    n.as_str().is_some_and(|s| {
        let t = s.trim();
        t.starts_with("${{") && t.ends_with("}}") && t[3..].find("${{").is_none()
    })
}

/// Describes a node for messages: `scalar node with "!!int" tag`.
pub fn describe(n: &Node) -> String {
    match n.scalar_type() {
        Some(t) => format!("scalar node with \"{}\" tag", t.tag()),
        None => format!("{} node", n.kind_name()),
    }
}

/// The span a "missing key" finding points at: the key of the section, when known.
fn anchor(key: Option<&Node>, value: &Node) -> Span {
    key.map_or(value.span, |k| k.span)
}

/// Where an empty value "is": right after its key when nothing was written.
pub fn value_span(key: Option<&Node>, value: &Node) -> Span {
    match (key, &value.kind) {
        (Some(k), Kind::Scalar { value: v, .. })
            if v.is_empty() && value.span.start.line != k.span.start.line =>
        {
            let mut p = k.span.end;
            p.col += 1;
            p.offset += 1;
            Span::point(p)
        }
        _ => value.span,
    }
}

/// An empty sequence (`[]`): GitHub takes it (a filter that matches nothing, a matrix with no
/// jobs), so it is only a warning.
pub fn empty_sequence(cx: &mut Ctx<'_>, value: &Node, label: &str) {
    cx.report_with(
        crate::lint::Severity::Warning,
        value.span,
        format!("\"{label}\" section should not be empty"),
        Some("GitHub runs this, but an empty list matches or does nothing; remove the key".into()),
    );
}

/// Checks `value` (under `key`, if any) against `ty`, reporting through `cx`.
pub fn check(cx: &mut Ctx<'_>, label: &str, key: Option<&Node>, value: &Node, ty: T) {
    match ty {
        T::Any | T::Custom => {}
        T::Str => {
            if value.as_str().is_none() {
                cx.report(value.span, format!("\"{label}\" must be a string but got {}", describe(value)));
            }
        }
        T::NonEmptyStr => match value.as_str() {
            None => cx.report(value.span, format!("\"{label}\" must be a string but got {}", describe(value))),
            Some("") => cx.report(value_span(key, value), "string should not be empty"),
            Some(_) => {}
        },
        T::Bool => scalar_of(cx, label, key, value, ScalarType::Bool, "bool"),
        T::Num => scalar_of(cx, label, key, value, ScalarType::Float, "number"),
        T::Int => scalar_of(cx, label, key, value, ScalarType::Int, "integer"),
        T::OneOf(allowed) => match value.as_str() {
            Some(s) if has_expr(value) || allowed.contains(&s) => {}
            Some(s) => cx.report_unknown(
                cx.default_severity(),
                value,
                format!("invalid value {s:?} for \"{label}\""),
                allowed.iter().copied(),
                || format!(". expected one of {}", quote_list(allowed)),
                None,
            ),
            None => cx.report(value.span, format!("\"{label}\" must be a string but got {}", describe(value))),
        },
        T::Seq(item) => match &value.kind {
            Kind::Seq(items) => {
                if items.is_empty() {
                    empty_sequence(cx, value, label);
                }
                for i in items {
                    check(cx, label, None, i, *item);
                }
            }
            _ if is_whole_expr(value) => {}
            _ if value.is_null() => cx.report(value_span(key, value), format!("\"{label}\" section should not be empty")),
            _ => cx.report(
                value.span,
                format!("\"{label}\" section must be sequence node but got {}", describe(value)),
            ),
        },
        T::StrOrSeq => match &value.kind {
            Kind::Seq(items) => {
                if items.is_empty() {
                    empty_sequence(cx, value, label);
                }
                for i in items {
                    check(cx, label, None, i, T::NonEmptyStr);
                }
            }
            Kind::Scalar { value: s, .. } if s.is_empty() => {
                cx.report(value_span(key, value), format!("\"{label}\" section should not be empty"));
            }
            Kind::Scalar { .. } => {}
            Kind::Map(_) => cx.report(
                value.span,
                format!("\"{label}\" section must be sequence or string but got mapping node"),
            ),
        },
        T::Map(obj) => check_map(cx, key, value, obj),
        T::StrOrMap(obj) => {
            if let Some(s) = value.as_str() {
                if s.is_empty() {
                    cx.report(value_span(key, value), "string should not be empty");
                }
            } else {
                check_map(cx, key, value, obj);
            }
        }
        T::Dict(item) => match &value.kind {
            Kind::Map(entries) => {
                for (k, v) in entries {
                    let name = k.as_str().unwrap_or(label);
                    check(cx, name, Some(k), v, *item);
                }
            }
            _ if is_whole_expr(value) => {}
            _ if value.is_null() => {
                cx.report(
                    value_span(key, value),
                    format!("\"{label}\" section should not be empty. please remove this section if it's unnecessary"),
                );
            }
            _ => cx.report(
                value.span,
                format!("\"{label}\" section is {} but mapping node is expected", describe(value)),
            ),
        },
        T::Env => match &value.kind {
            Kind::Map(entries) => {
                for (_, v) in entries {
                    if v.as_str().is_none() {
                        cx.report(
                            v.span,
                            format!("value of environment variable must be a scalar but got {}", describe(v)),
                        );
                    }
                }
            }
            _ if is_whole_expr(value) => {}
            _ if value.is_null() => cx.report(
                value_span(key, value),
                format!("\"{label}\" section should not be empty. please remove this section if it's unnecessary"),
            ),
            _ => cx.report(
                value.span,
                format!(
                    "expecting a single ${{{{...}}}} expression or mapping value for \"{label}\" section, but found {}",
                    match &value.kind {
                        Kind::Scalar { .. } => "plain text node".to_string(),
                        _ => describe(value),
                    }
                ),
            ),
        },
    }
}

fn scalar_of(
    cx: &mut Ctx<'_>,
    label: &str,
    key: Option<&Node>,
    value: &Node,
    want: ScalarType,
    what: &str,
) {
    match value.scalar_type() {
        Some(t) if t == want || (want == ScalarType::Float && t == ScalarType::Int) => {}
        Some(_) if has_expr(value) => {}
        Some(ScalarType::Null) => cx.report(
            value_span(key, value),
            format!("\"{label}\" should not be empty"),
        ),
        _ => cx.report(
            value.span,
            format!(
                "expected {what} value for \"{label}\" but found {}",
                describe(value)
            ),
        ),
    }
}

/// Checks a mapping section: kind, emptiness, unknown and missing keys, then each field.
pub fn check_map(cx: &mut Ctx<'_>, key: Option<&Node>, value: &Node, obj: &Obj) {
    let label = obj.label;
    let entries = match &value.kind {
        Kind::Map(e) => e,
        _ if is_whole_expr(value) => return,
        _ if value.is_null()
            && value.as_str() == Some("")
            && !matches!(
                &value.kind,
                Kind::Scalar {
                    style: Style::Quoted,
                    ..
                }
            ) =>
        {
            cx.report(
                value_span(key, value),
                format!("\"{label}\" section should not be empty. please remove this section if it's unnecessary"),
            );
            return;
        }
        _ => {
            cx.report(
                value.span,
                format!(
                    "\"{label}\" section is {} but mapping node is expected",
                    describe(value)
                ),
            );
            return;
        }
    };
    if entries.is_empty() && !obj.allow_empty {
        cx.report(
            value.span,
            format!("\"{label}\" section should not be empty. please remove this section if it's unnecessary"),
        );
    }
    for (k, v) in entries {
        let Some(name) = k.as_str() else { continue };
        match obj.fields.iter().find(|f| f.name == name) {
            Some(f) => check(cx, name, Some(k), v, f.ty),
            None => unexpected_key(
                cx,
                k,
                &format!("\"{label}\" section"),
                obj.fields.iter().map(|f| f.name),
            ),
        }
    }
    for f in obj.fields.iter().filter(|f| f.required) {
        if !entries.iter().any(|(k, _)| k.as_str() == Some(f.name)) {
            cx.report(
                anchor(key, value),
                format!("\"{}\" is missing in \"{label}\" section", f.name),
            );
        }
    }
}

/// Reports `key`, which `section` (`"job" section`) does not have: `unexpected key "x" for
/// "job" section`, with the closest of the `known` keys, or all of them (sorted) when none is
/// close.
pub fn unexpected_key<'k>(
    cx: &mut Ctx<'_>,
    key: &Node,
    section: &str,
    known: impl Iterator<Item = &'k str> + Clone,
) {
    let name = key.as_str().unwrap_or_default();
    cx.report_unknown(
        cx.default_severity(),
        key,
        format!("unexpected key {name:?} for {section}"),
        known.clone(),
        || format!(". expected one of {}", quote_sorted(known)),
        None,
    );
}

/// `"a", "b", "c"` in the given order.
pub fn quote_list(items: &[&str]) -> String {
    let mut out = String::with_capacity(items.iter().map(|s| s.len() + 4).sum());
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        // A name of printable ASCII without `"` or `\` is its own Debug text between quotes;
        // `format!` costs many times the copy (a runner-label message lists 34 names).
        if s.bytes()
            .all(|b| matches!(b, b' '..=b'~') && b != b'"' && b != b'\\')
        {
            out.push('"');
            out.push_str(s);
            out.push('"');
        } else {
            out.push_str(&format!("{s:?}"));
        }
    }
    out
}

/// `"a", "b", "c"` sorted.
pub fn quote_sorted<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let mut v: Vec<&str> = items.collect();
    v.sort_unstable();
    quote_list(&v)
}

#[cfg(test)]
mod tests {
    use super::quote_list;

    proptest::proptest! {
        #[test]
        fn quote_list_is_each_debug_text_joined(
            items in proptest::collection::vec("[a-z0-9 \"\\\\\u{e9}\t\n~-]{0,6}", 0..5),
        ) {
            let items: Vec<&str> = items.iter().map(String::as_str).collect();
            let debug: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
            proptest::prop_assert_eq!(quote_list(&items), debug.join(", "));
        }
    }
}
