//! `id`: job and step ids: allowed characters, and unique (case-insensitively) where they must be.

use crate::expr::has_expr;
use std::collections::HashMap;

use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Workflow};
use crate::workflow::yaml::Span;

/// The `id` rule: Job and step ids: syntax and uniqueness.
pub struct Id;

static META: RuleMeta = RuleMeta {
    id: "id",
    zizmor: None,
    actionlint: Some("id"),
    summary: "Job and step ids: syntax and uniqueness",
    severity: Severity::Error,
    actionlint_also: &["syntax-check"],
};

/// GitHub's id syntax: starts with a letter or `_`, then letters, digits, `-` or `_`.
pub fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// GitHub refuses ids of this many characters or more.
const MAX_ID_LEN: usize = 100;

fn bad(cx: &mut Ctx<'_>, span: Span, what: &str, id: &str) {
    cx.report(
        span,
        format!(
            "invalid {what} ID {id:?}. {what} ID must start with a letter or _ and contain only alphanumeric characters, - or _"
        ),
    );
}

/// What GitHub refuses besides the syntax: ids it reserves (`__...`) and long ones. Returns
/// whether the id was reported.
fn reserved_or_long(cx: &mut Ctx<'_>, span: Span, what: &str, id: &str) -> bool {
    if id.starts_with("__") {
        cx.report(
            span,
            format!("{what} ID {id:?} is invalid: IDs starting with \"__\" are reserved by GitHub"),
        );
        return true;
    }
    if id.chars().count() >= MAX_ID_LEN {
        cx.report(
            span,
            format!("{what} ID {id:?} is too long: GitHub takes IDs of less than {MAX_ID_LEN} characters"),
        );
        return true;
    }
    false
}

impl Rule for Id {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn workflow(&self, wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        for job in &wf.jobs {
            if has_expr(&job.id) {
                continue;
            }
            if !valid_id(job.id) {
                bad(cx, job.id_node.span, "job", job.id);
            } else {
                reserved_or_long(cx, job.id_node.span, "job", job.id);
            }
        }
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        let mut seen: HashMap<String, (Span, String)> = HashMap::new();
        for step in &job.steps {
            let Some(node) = step.id() else { continue };
            let Some(id) = node.as_str() else { continue };
            if has_expr(&id) {
                continue;
            }
            if !valid_id(id) {
                bad(cx, node.span, "step", id);
                continue;
            }
            if reserved_or_long(cx, node.span, "step", id) {
                continue;
            }
            let key = id.to_ascii_lowercase();
            if let Some((prev, prev_id)) = seen.get(&key) {
                // GitHub refuses the same id twice; ids differing only in case it runs, but
                // `steps.<id>` cannot tell them apart.
                let severity = if prev_id == id {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                cx.report_with(
                    severity,
                    node.span,
                    format!(
                        "step ID {id:?} duplicates. previously defined at line:{},col:{}. step ID must be unique within a job. note that step ID is case insensitive",
                        prev.start.line, prev.start.col
                    ),
                    None,
                );
            } else {
                seen.insert(key, (node.span, id.to_string()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::valid_id;

    #[test]
    fn ids() {
        assert!(valid_id("build"));
        assert!(valid_id("_x-1"));
        assert!(!valid_id("1st"));
        assert!(!valid_id("a.b"));
        assert!(!valid_id(""));
    }
}
