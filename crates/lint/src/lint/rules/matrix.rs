//! `matrix`: `strategy.matrix` structure: rows are non-empty sequences without duplicates,
//! `include`/`exclude` are lists of mappings, and `exclude` names keys and values the matrix has.

use crate::lint::schema::{self, is_whole_expr};
use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Workflow};
use crate::workflow::yaml::{Kind, Node};

/// The `matrix` rule: Matrix rows, include and exclude.
pub struct Matrix;

static META: RuleMeta = RuleMeta {
    id: "matrix",
    zizmor: None,
    actionlint: Some("matrix"),
    summary: "Matrix rows, include and exclude",
    severity: Severity::Error,
    actionlint_also: &["syntax-check"],
};

/// Renders a node as compact JSON-like text for messages.
pub fn render(n: &Node) -> String {
    match &n.kind {
        Kind::Scalar { value, .. } => format!("{value:?}"),
        Kind::Seq(items) => format!(
            "[{}]",
            items.iter().map(render).collect::<Vec<_>>().join(", ")
        ),
        Kind::Map(entries) => {
            let mut parts: Vec<(String, String)> = entries
                .iter()
                .map(|(k, v)| (k.as_str().unwrap_or("").to_string(), render(v)))
                .collect();
            parts.sort();
            format!(
                "{{{}}}",
                parts
                    .iter()
                    .map(|(k, v)| format!("{k:?}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }
}

/// True when an expression appears anywhere in the value.
fn contains_expr(n: &Node) -> bool {
    match &n.kind {
        Kind::Scalar { .. } => schema::has_expr(n),
        Kind::Seq(items) => items.iter().any(contains_expr),
        Kind::Map(entries) => entries
            .iter()
            .any(|(k, v)| contains_expr(k) || contains_expr(v)),
    }
}

/// True when `pat` (an exclude value) matches `val` (a matrix value): equal scalars and
/// sequences, and for mappings every key of `pat` matching in `val`.
pub fn matches(pat: &Node, val: &Node) -> bool {
    match (&pat.kind, &val.kind) {
        (Kind::Scalar { value: a, .. }, Kind::Scalar { value: b, .. }) => a == b,
        (Kind::Seq(a), Kind::Seq(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| matches(x, y))
        }
        (Kind::Map(a), Kind::Map(_)) => a.iter().all(|(k, v)| {
            k.as_str()
                .and_then(|k| val.get(k))
                .is_some_and(|w| matches(v, w))
        }),
        _ => false,
    }
}

impl Rule for Matrix {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        let Some((mkey, matrix)) = job.get("strategy").and_then(|s| s.entry("matrix")) else {
            return;
        };
        let entries = match &matrix.kind {
            Kind::Map(e) => e,
            _ if is_whole_expr(matrix) => return,
            _ if matrix.is_null() => {
                cx.report(
                    schema::value_span(Some(mkey), matrix),
                    "\"matrix\" section should not be empty",
                );
                return;
            }
            _ => {
                cx.report(
                    matrix.span,
                    format!(
                        "\"matrix\" section is {} but mapping node is expected",
                        schema::describe(matrix)
                    ),
                );
                return;
            }
        };
        let (rows, dynamic_rows) = check_rows(entries, cx);
        let dynamic_lists = check_lists(matrix, cx);
        if dynamic_rows || dynamic_lists || rows.is_empty() {
            return;
        }
        check_excludes(matrix, &rows, cx);
    }
}

/// Checks each matrix row (a non-empty sequence without duplicate values, keys unique ignoring
/// case); returns the rows and whether any row is an expression.
fn check_rows<'n>(
    entries: &'n [(Node, Node)],
    cx: &mut Ctx<'_>,
) -> (Vec<(&'n str, &'n Node)>, bool) {
    let mut rows: Vec<(&str, &Node)> = Vec::new();
    let mut seen_keys: Vec<(String, &Node)> = Vec::new();
    let mut dynamic = false;
    for (k, v) in entries {
        let Some(name) = k.as_str() else { continue };
        if name == "include" || name == "exclude" {
            continue;
        }
        if let Some((_, prev)) = seen_keys.iter().find(|(s, _)| s.eq_ignore_ascii_case(name)) {
            cx.report(
                k.span,
                format!(
                    "key {name:?} is duplicated in \"matrix\" section. previously defined at line:{},col:{}. note that this key is case insensitive",
                    prev.span.start.line, prev.span.start.col
                ),
            );
        }
        seen_keys.push((name.to_string(), k));
        match &v.kind {
            Kind::Seq(items) => {
                if items.is_empty() {
                    schema::empty_sequence(cx, v, "matrix values");
                }
                for (i, item) in items.iter().enumerate() {
                    if let Some(prev) = items[..i]
                        .iter()
                        .find(|p| matches(p, item) && matches(item, p))
                    {
                        cx.report(
                            item.span,
                            format!(
                                "duplicate value {} is found in matrix {name:?}. the same value is at line:{},col:{}",
                                render(item),
                                prev.span.start.line,
                                prev.span.start.col
                            ),
                        );
                    }
                }
                rows.push((name, v));
            }
            _ if is_whole_expr(v) => dynamic = true,
            _ => cx.report(
                v.span,
                format!(
                    "matrix values of {name:?} must be a sequence but got {}",
                    schema::describe(v)
                ),
            ),
        }
    }
    (rows, dynamic)
}

/// Checks that `include` and `exclude` are lists of mappings; returns whether either is an
/// expression.
fn check_lists(matrix: &Node, cx: &mut Ctx<'_>) -> bool {
    let mut dynamic = false;
    for key in ["include", "exclude"] {
        let Some((k, list)) = matrix.entry(key) else {
            continue;
        };
        match &list.kind {
            Kind::Seq(items) => {
                if items.is_empty() {
                    schema::empty_sequence(cx, list, key);
                }
                for item in items {
                    if item.as_map().is_none() && !is_whole_expr(item) {
                        cx.report(
                            item.span,
                            format!(
                                "element of \"{key}\" section must be mapping but got {}",
                                schema::describe(item)
                            ),
                        );
                    }
                }
            }
            _ if is_whole_expr(list) => dynamic = true,
            _ => cx.report(
                schema::value_span(Some(k), list),
                format!(
                    "\"{key}\" section must be sequence node but got {}",
                    schema::describe(list)
                ),
            ),
        }
    }
    dynamic
}

/// Checks that every `exclude` entry names a row the matrix has, with a value it has.
fn check_excludes(matrix: &Node, rows: &[(&str, &Node)], cx: &mut Ctx<'_>) {
    let Some(excludes) = matrix.get("exclude").and_then(Node::as_seq) else {
        return;
    };
    let mut names: Vec<&str> = rows.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    for ex in excludes {
        let Some(pairs) = ex.as_map() else { continue };
        for (k, v) in pairs {
            let Some(name) = k.as_str() else { continue };
            let Some((_, row)) = rows.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) else {
                cx.report_unknown(
                    cx.default_severity(),
                    k,
                    format!("{name:?} in \"exclude\" section does not exist in matrix"),
                    names.iter().copied(),
                    || {
                        format!(
                            ". available matrix configurations are {}",
                            schema::quote_list(&names)
                        )
                    },
                    None,
                );
                continue;
            };
            if contains_expr(v) {
                continue;
            }
            let values = row.as_seq().unwrap_or(&[]);
            if values.iter().any(contains_expr) {
                continue;
            }
            if !values.iter().any(|rv| matches(v, rv)) {
                cx.report(
                    v.span,
                    format!(
                        "value {} in \"exclude\" does not match in matrix {name:?} combinations. possible values are {}",
                        render(v),
                        values.iter().map(render).collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        }
    }
}
