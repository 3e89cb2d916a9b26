//! `env-var`: names of environment variables under every `env:`.

use crate::expr::has_expr;
use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::yaml::Node;

/// The `env-var` rule: Environment variable names.
pub struct EnvVar;

static META: RuleMeta = RuleMeta {
    id: "env-var",
    zizmor: None,
    actionlint: Some("env-var"),
    summary: "Environment variable names",
    severity: Severity::Error,
    actionlint_also: &[],
};

fn check(cx: &mut Ctx<'_>, env: Option<&Node>) {
    let Some(entries) = env.and_then(Node::as_map) else {
        return;
    };
    for (k, _) in entries {
        let Some(name) = k.as_str() else { continue };
        if has_expr(&name) {
            continue;
        }
        if name.is_empty() || name.contains(['&', '=', ' ']) {
            cx.report(
                k.span,
                format!("environment variable name {name:?} is invalid. '&', '=' and spaces should not be contained"),
            );
        }
    }
}

impl Rule for EnvVar {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn workflow(&self, wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        check(cx, wf.root.get("env"));
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        check(cx, job.get("env"));
        check(cx, job.get("container").and_then(|c| c.get("env")));
        if let Some(services) = job.get("services").and_then(Node::as_map) {
            for (_, s) in services {
                check(cx, s.get("env"));
            }
        }
    }

    fn step(&self, _wf: &Workflow<'_>, _job: &Job<'_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        check(cx, step.node.get("env"));
    }
}
