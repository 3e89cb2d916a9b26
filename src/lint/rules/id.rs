//! `id`: job and step ids: allowed characters, and unique (case-insensitively) where they must be.

use std::collections::HashMap;

use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Workflow};
use crate::workflow::yaml::Span;

/// See the module docs.
pub struct Id;

static META: RuleMeta = RuleMeta {
    id: "id",
    zizmor: None,
    actionlint: Some("id"),
    summary: "Job and step ids: syntax and uniqueness",
    severity: Severity::Error,
};

/// GitHub's id syntax: starts with a letter or `_`, then letters, digits, `-` or `_`.
pub fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn bad(cx: &mut Ctx<'_>, span: Span, what: &str, id: &str) {
    cx.report(
        span,
        format!(
            "invalid {what} ID {id:?}. {what} ID must start with a letter or _ and contain only alphanumeric characters, - or _"
        ),
    );
}

impl Rule for Id {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn workflow(&self, wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        for job in &wf.jobs {
            if !job.id.contains("${{") && !valid_id(job.id) {
                bad(cx, job.id_node.span, "job", job.id);
            }
        }
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        let mut seen: HashMap<String, Span> = HashMap::new();
        for step in &job.steps {
            let Some(node) = step.id() else { continue };
            let Some(id) = node.as_str() else { continue };
            if id.contains("${{") {
                continue;
            }
            if !valid_id(id) {
                bad(cx, node.span, "step", id);
                continue;
            }
            let key = id.to_ascii_lowercase();
            if let Some(prev) = seen.get(&key) {
                cx.report(
                    node.span,
                    format!(
                        "step ID {id:?} duplicates. previously defined at line:{},col:{}. step ID must be unique within a job. note that step ID is case insensitive",
                        prev.start.line, prev.start.col
                    ),
                );
            } else {
                seen.insert(key, node.span);
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
