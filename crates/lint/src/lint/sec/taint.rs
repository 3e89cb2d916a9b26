//! Template injection: which contexts of an expression reach its value (`a && b` gives `b`,
//! `format()` gives its arguments, `contains()` only a boolean), and how much of each an
//! outsider can choose, rated as zizmor rates it.

use super::data::contexts::{Capability, capability};
use super::{context_path, matrix};
use crate::expr::ast::{Expr, ExprKind, LogicalOp};
use crate::expr::has_expr;
use crate::lint::{Audit, AuditSeverity, Confidence};
use crate::workflow::model::Workflow;
use crate::workflow::yaml::Node;

/// What the step around an expression tells about its contexts.
pub struct Scope<'a> {
    /// The workflow (for its inputs and `env:`); `None` in an action.
    pub workflow: Option<&'a Workflow<'a>>,
    /// The job (for its `env:` and matrix); `None` in an action.
    pub job: Option<&'a Node>,
    /// The step (for its `env:`).
    pub step: &'a Node,
    /// The action's declared inputs, in an action.
    pub action_inputs: Option<&'a [&'a str]>,
}

/// The contexts whose value reaches the value of `e`.
pub fn dataflow<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match &e.kind {
        ExprKind::Variable { .. }
        | ExprKind::Property { .. }
        | ExprKind::Index { .. }
        | ExprKind::Filter { .. } => out.push(e),
        ExprKind::Call { name, args } => {
            let n = name.to_ascii_lowercase();
            if matches!(n.as_str(), "tojson" | "format" | "join") {
                for a in args {
                    dataflow(a, out);
                }
            }
        }
        ExprKind::Logical {
            op: LogicalOp::And,
            right,
            ..
        } => dataflow(right, out),
        ExprKind::Logical {
            op: LogicalOp::Or,
            left,
            right,
        } => {
            dataflow(left, out);
            dataflow(right, out);
        }
        _ => {}
    }
}

/// `env.NAME` values set by the runner, and whether an outsider may choose them.
fn default_env(name: &str) -> Option<bool> {
    let outside = matches!(
        name,
        "GITHUB_HEAD_REF" | "GITHUB_BASE_REF" | "GITHUB_REF" | "GITHUB_REF_NAME" | "GITHUB_ACTOR"
    );
    let default = name.starts_with("GITHUB_") || name.starts_with("RUNNER_") || name == "CI";
    default.then_some(outside)
}

/// Whether `env.<name>` holds a fixed value where the step runs: the nearest `env:` that sets
/// it (step, then job, then workflow) has no expression. A variable no `env:` sets may come
/// from `$GITHUB_ENV`, so it is not fixed.
fn env_is_static(scope: &Scope<'_>, name: &str) -> bool {
    if let Some(outside) = default_env(name) {
        return !outside;
    }
    let envs = [Some(scope.step), scope.job, scope.workflow.map(|w| w.root)];
    for owner in envs.into_iter().flatten() {
        let Some(env) = owner.get("env") else {
            continue;
        };
        let Some(entries) = env.as_map() else {
            return false;
        };
        if let Some((_, v)) = entries.iter().find(|(k, _)| k.as_str() == Some(name)) {
            return v.as_str().is_none_or(|s| !has_expr(&s));
        }
    }
    false
}

/// How an input expands: `Some(Fixed)` for typed workflow inputs (boolean, number, choice,
/// environment), `Some(Arbitrary)` for strings and an action's declared inputs, `None` when the
/// input is not declared.
fn input_capability(scope: &Scope<'_>, name: &str) -> Option<Capability> {
    if let Some(declared) = scope.action_inputs {
        return declared
            .iter()
            .any(|d| d.eq_ignore_ascii_case(name))
            .then_some(Capability::Arbitrary);
    }
    let wf = scope.workflow?;
    let mut found: Option<Capability> = None;
    for event in ["workflow_call", "workflow_dispatch"] {
        let Some(inputs) = wf
            .event(event)
            .and_then(|t| t.config)
            .and_then(|c| c.get("inputs"))
            .and_then(Node::as_map)
        else {
            continue;
        };
        let Some((_, def)) = inputs
            .iter()
            .find(|(k, _)| k.as_str().is_some_and(|s| s.eq_ignore_ascii_case(name)))
        else {
            continue;
        };
        let ty = def.get("type").and_then(Node::as_str).unwrap_or("string");
        let cap = if ty.trim() == "string" {
            Capability::Arbitrary
        } else {
            Capability::Fixed
        };
        found = Some(match found {
            Some(Capability::Arbitrary) => Capability::Arbitrary,
            _ => cap,
        });
    }
    found
}

/// The name of `env.NAME` or `env['NAME']` as written (environment variables are
/// case-sensitive; the syntax tree keeps property names in lower case), from the expression's
/// text `text`.
pub fn env_name(context: &Expr, text: &str) -> Option<String> {
    match &context.kind {
        ExprKind::Property {
            receiver,
            name_span,
            ..
        } if matches!(&receiver.kind, ExprKind::Variable { name, .. } if name == "env") => {
            text.get(name_span.start..name_span.end).map(str::to_string)
        }
        ExprKind::Index { receiver, index } if matches!(&receiver.kind, ExprKind::Variable { name, .. } if name == "env") => {
            match &index.kind {
                ExprKind::String(s) => Some(s.clone()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// zizmor's rating of one context reaching a script, or `None` when it cannot carry
/// attacker-controlled text. `text` is the expression's text (for `env` names as written).
pub fn rate(scope: &Scope<'_>, context: &Expr, text: &str) -> Option<Audit> {
    let audit = Audit::new;
    let Some(path) = context_path(context) else {
        // `fromJSON(x).y` and the like: the value is whatever the call makes of its input.
        return Some(audit(AuditSeverity::Informational, Confidence::Low));
    };
    let parts: Vec<&str> = path.split('.').collect();
    match parts.as_slice() {
        ["secrets", ..] => return None,
        ["needs", _, "result"] | ["steps", _, "outcome" | "conclusion"] => return None,
        _ => {}
    }
    if let Some(cap) = capability(&path) {
        return match cap {
            Capability::Fixed => None,
            Capability::Structured => Some(audit(AuditSeverity::Medium, Confidence::High)),
            Capability::Arbitrary => Some(audit(AuditSeverity::High, Confidence::High)),
        };
    }
    match parts.as_slice() {
        ["github", ..] => Some(audit(AuditSeverity::High, Confidence::High)),
        ["inputs", name] => match input_capability(scope, name) {
            Some(Capability::Fixed) => None,
            Some(Capability::Structured) => Some(audit(AuditSeverity::Medium, Confidence::High)),
            Some(Capability::Arbitrary) => Some(audit(AuditSeverity::High, Confidence::High)),
            None => Some(audit(AuditSeverity::Low, Confidence::Low)),
        },
        ["env", _] => {
            let name = env_name(context, text).unwrap_or_default();
            (!env_is_static(scope, &name)).then(|| audit(AuditSeverity::Low, Confidence::High))
        }
        ["matrix", rest @ ..] if !rest.is_empty() => {
            let job = scope.job?;
            // No matrix at all: an invalid reference, which the expression rule reports.
            job.get("strategy").and_then(|s| s.get("matrix"))?;
            (!matrix::is_static(job, &rest.join(".")))
                .then(|| audit(AuditSeverity::Medium, Confidence::Medium))
        }
        _ => Some(audit(AuditSeverity::Informational, Confidence::Low)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    fn flows(s: &str) -> Vec<String> {
        let e = parse(s).expect("parse");
        let mut out = Vec::new();
        dataflow(&e, &mut out);
        out.iter()
            .map(|x| s[x.span.start..x.span.end].to_string())
            .collect()
    }

    #[test]
    fn what_flows() {
        assert_eq!(flows("a.b && c.d || e"), ["c.d", "e"]);
        assert_eq!(flows("format('{0}', github.head_ref)"), ["github.head_ref"]);
        assert!(flows("contains(github.head_ref, 'x')").is_empty());
        assert!(flows("github.head_ref == 'x'").is_empty());
        assert_eq!(flows("fromJSON(x).y"), ["fromJSON(x).y"]);
    }

    #[test]
    fn env_names_keep_their_case() {
        let s = "env.Foo_Bar";
        let e = parse(s).expect("parse");
        assert_eq!(env_name(&e, s).as_deref(), Some("Foo_Bar"));
    }
}
