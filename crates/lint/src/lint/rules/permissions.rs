//! `permissions`: `permissions:` scopes and levels at workflow and job level.

use crate::lint::schema::{self, has_expr};
use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Workflow};
use crate::workflow::yaml::{Kind, Node};

/// The `permissions` rule: Permission scopes and levels.
pub struct Permissions;

static META: RuleMeta = RuleMeta {
    id: "permissions",
    zizmor: None,
    actionlint: Some("permissions"),
    summary: "Permission scopes and levels",
    severity: Severity::Error,
    actionlint_also: &[],
};

/// Every scope with the levels it accepts.
pub const SCOPES: &[(&str, &[&str])] = &[
    ("actions", ANY),
    ("artifact-metadata", ANY),
    ("attestations", ANY),
    ("checks", ANY),
    ("code-quality", ANY),
    ("contents", ANY),
    ("copilot-requests", WRITE_ONLY),
    ("deployments", ANY),
    ("discussions", ANY),
    ("drives", ANY),
    ("id-token", WRITE_ONLY),
    ("issues", ANY),
    ("models", READ_ONLY),
    ("packages", ANY),
    ("pages", ANY),
    ("pull-requests", ANY),
    ("repository-projects", ANY),
    ("security-events", ANY),
    ("statuses", ANY),
    ("vulnerability-alerts", READ_ONLY),
];

const ANY: &[&str] = &["read", "write", "none"];
const WRITE_ONLY: &[&str] = &["write", "none"];
const READ_ONLY: &[&str] = &["read", "none"];

/// Checks a `permissions:` value wherever it stands.
pub fn check_permissions(cx: &mut Ctx<'_>, key: &Node, value: &Node) {
    match &value.kind {
        Kind::Scalar { value: s, .. } => {
            if value.is_null() && s.is_empty() && key.span.start.line != value.span.start.line {
                // `permissions:` with nothing is `{}`-like on GitHub? No: it is an error there.
                cx.report(
                    schema::value_span(Some(key), value),
                    "\"\" is invalid for permission for all the scopes. available values are \"read-all\", \"write-all\" or {}",
                );
                return;
            }
            if has_expr(value) {
                return;
            }
            if s != "read-all" && s != "write-all" {
                cx.report(
                    value.span,
                    format!("{s:?} is invalid for permission for all the scopes. available values are \"read-all\", \"write-all\" or {{}}"),
                );
            }
        }
        Kind::Map(entries) => {
            for (k, v) in entries {
                let Some(scope) = k.as_str() else { continue };
                let Some((_, levels)) = SCOPES.iter().find(|(s, _)| *s == scope) else {
                    let names: Vec<&str> = SCOPES.iter().map(|(s, _)| *s).collect();
                    cx.report_unknown(
                        cx.default_severity(),
                        k,
                        format!("unknown permission scope {scope:?}"),
                        names.iter().copied(),
                        || format!(". all available permission scopes are {}", schema::quote_list(&names)),
                        None,
                    );
                    continue;
                };
                match v.as_str() {
                    Some(l) if levels.contains(&l) || has_expr(v) => {}
                    Some(l) => cx.report_unknown(
                        cx.default_severity(),
                        v,
                        format!("{l:?} is invalid as permission of scope {scope:?}"),
                        levels.iter().copied(),
                        || format!(". available values are {}", schema::quote_list(levels)),
                        None,
                    ),
                    None => cx.report(v.span, format!("permission of scope {scope:?} must be a string but got {}", schema::describe(v))),
                }
            }
        }
        Kind::Seq(_) => cx.report(
            value.span,
            format!("\"permissions\" section must be \"read-all\", \"write-all\" or a mapping but got {}", schema::describe(value)),
        ),
    }
}

impl Rule for Permissions {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn workflow(&self, wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        if let Some((k, v)) = wf.root.entry("permissions") {
            check_permissions(cx, k, v);
        }
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        if let Some((k, v)) = job.node.entry("permissions") {
            check_permissions(cx, k, v);
        }
    }
}
