//! `workflow-call`: a job calling a local reusable workflow (`uses: ./.github/workflows/x.yml`)
//! must name a readable workflow with an `on.workflow_call` trigger, pass every required input
//! and secret, and pass no input or secret the callee does not declare (unless
//! `secrets: inherit`). The types of the values passed are checked by `expression`, and the
//! callee's outputs type `needs.<job>.outputs` there too.

use crate::expr::has_expr;
use crate::expr::quote_list;
use crate::lint::project::{Callee, Loaded};
use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Workflow};
use crate::workflow::yaml::Node;

/// The `workflow-call` rule: Calls of local reusable workflows: the file, its inputs and its
/// secrets.
pub struct WorkflowCall;

static META: RuleMeta = RuleMeta {
    id: "workflow-call",
    zizmor: None,
    actionlint: Some("workflow-call"),
    summary: "Calls of local reusable workflows: the file, its inputs and its secrets",
    severity: Severity::Error,
    actionlint_also: &[],
};

/// `defined inputs are "a", "b"`, or its singular or empty form.
fn defined(what: &str, names: &[&str]) -> String {
    let mut names = names.to_vec();
    names.sort_unstable();
    match names.as_slice() {
        [] => format!("no {what} is defined"),
        [one] => format!("defined {what} is {one:?}"),
        _ => format!("defined {what}s are {}", quote_list(&names)),
    }
}

fn check(cx: &mut Ctx<'_>, job: &Job<'_>, uses: &Node, spec: &str, callee: &Callee) {
    let passed = |key: &str| job.get(key).and_then(Node::as_map).unwrap_or_default();
    let with = passed("with");
    let mut required: Vec<&str> = callee
        .inputs
        .iter()
        .filter(|i| i.required)
        .map(|i| i.name.as_str())
        .filter(|n| {
            !with
                .iter()
                .any(|(k, _)| k.as_str().is_some_and(|k| k.eq_ignore_ascii_case(n)))
        })
        .collect();
    required.sort_unstable();
    for name in required {
        cx.report(
            uses.span,
            format!("input {name:?} is required by {spec:?} reusable workflow"),
        );
    }
    let inputs: Vec<&str> = callee.inputs.iter().map(|i| i.name.as_str()).collect();
    for (k, _) in with {
        let Some(name) = k.as_str() else { continue };
        if callee.input(name).is_none() {
            cx.report_unknown(
                cx.default_severity(),
                k,
                format!("input {name:?} is not defined in {spec:?} reusable workflow"),
                inputs.iter().copied(),
                || format!(". {}", defined("input", &inputs)),
                None,
            );
        }
    }
    if job.get("secrets").and_then(Node::as_str) == Some("inherit") {
        return;
    }
    let secrets = passed("secrets");
    let declared = callee.secrets.as_deref().unwrap_or_default();
    let mut required: Vec<&str> = declared
        .iter()
        .filter(|s| s.required)
        .map(|s| s.name.as_str())
        .filter(|n| {
            !secrets
                .iter()
                .any(|(k, _)| k.as_str().is_some_and(|k| k.eq_ignore_ascii_case(n)))
        })
        .collect();
    required.sort_unstable();
    for name in required {
        cx.report(
            uses.span,
            format!("secret {name:?} is required by {spec:?} reusable workflow"),
        );
    }
    let names: Vec<&str> = declared.iter().map(|s| s.name.as_str()).collect();
    for (k, _) in secrets {
        let Some(name) = k.as_str() else { continue };
        if callee.secret(name).is_none() {
            cx.report_unknown(
                cx.default_severity(),
                k,
                format!("secret {name:?} is not defined in {spec:?} reusable workflow"),
                names.iter().copied(),
                || format!(". {}", defined("secret", &names)),
                None,
            );
        }
    }
}

impl Rule for WorkflowCall {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        let Some(uses) = job.get("uses") else { return };
        let Some(spec) = uses.as_str() else { return };
        let local = spec.starts_with("./") && !spec.contains('@') && !has_expr(&spec);
        let Some(project) = cx.project.filter(|_| local) else {
            return;
        };
        match &*project.workflow(spec) {
            Loaded::Found(callee) => check(cx, job, uses, spec, callee),
            Loaded::Absent(why) | Loaded::Invalid(why) => cx.report(uses.span, why.clone()),
        }
    }
}
