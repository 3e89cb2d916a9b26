//! `deploy-production-gate`: a job deploying to production (an environment whose name contains
//! "prod") runs only after the same change went through staging: it needs, directly or through
//! other jobs, a job deploying to a staging environment (a name containing "stag"), a
//! verification job (smoke, e2e, acceptance, verify), or it promotes with
//! `deploy-action promote`, which checks staging itself.
//!
//! Workflows started by `workflow_run` are left alone: their gate is the workflow before them.

use crate::expr::has_expr;
use std::collections::HashSet;

use crate::lint::deploy::{environment, job_deploys};
use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Workflow};
use crate::workflow::yaml::Node;

/// The `deploy-production-gate` rule: A production deploy does not follow a staging deploy or
/// verification.
pub struct DeployProductionGate;

static META: RuleMeta = RuleMeta {
    id: "deploy-production-gate",
    zizmor: None,
    actionlint: None,
    summary: "A production deploy does not follow a staging deploy or verification",
    severity: Severity::Warning,
    actionlint_also: &[],
};

/// Whether an environment name is production (and not pre-production).
fn is_production(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("prod")
        && ![
            "preprod", "pre-prod", "pre_prod", "nonprod", "non-prod", "non_prod",
        ]
        .iter()
        .any(|p| n.contains(p))
}

/// Whether an environment name is a stage before production.
fn is_staging(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("stag") || n.contains("preprod") || n.contains("pre-prod")
}

/// Whether a job is a gate: it deploys to staging, verifies, or promotes.
fn is_gate(job: &Job<'_>) -> bool {
    if environment(job).is_some_and(|(n, _)| is_staging(n)) {
        return true;
    }
    if job_deploys(job).iter().any(|d| d.promote) {
        return true;
    }
    let name = format!(
        "{} {}",
        job.id,
        job.get("name").and_then(Node::as_str).unwrap_or_default()
    )
    .to_ascii_lowercase();
    ["verif", "smoke", "e2e", "acceptance", "stag"]
        .iter()
        .any(|w| name.contains(w))
}

/// Every job `job` needs, directly or not.
fn ancestors<'w, 'a>(wf: &'w Workflow<'a>, job: &Job<'a>) -> Vec<&'w Job<'a>> {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut todo: Vec<&str> = job.needs.iter().filter_map(|n| n.as_str()).collect();
    let mut out = Vec::new();
    while let Some(id) = todo.pop() {
        if !seen.insert(id) {
            continue;
        }
        if let Some(j) = wf.job(id) {
            out.push(j);
            todo.extend(j.needs.iter().filter_map(|n| n.as_str()));
        }
    }
    out
}

impl Rule for DeployProductionGate {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn job(&self, wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        let Some((env, node)) = environment(job) else {
            return;
        };
        if has_expr(&env) || !is_production(env) || wf.event("workflow_run").is_some() {
            return;
        }
        if is_gate(job) || ancestors(wf, job).into_iter().any(|j| is_gate(j)) {
            return;
        }
        let what = match job_deploys(job).first() {
            Some(d) => format!(" ({})", d.what),
            None => String::new(),
        };
        cx.report_help(
            node.span,
            format!(
                "job {:?} deploys to {env:?}{what} without needing a staging deploy or a \
                 verification job first",
                job.id
            ),
            "deploy the same image to staging first and add that job to `needs:` (or a smoke \
             test job after it), or promote the image staging verified with \
             `deploy-action promote`",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_names() {
        assert!(is_production("Production"));
        assert!(is_production("prod-eu"));
        assert!(!is_production("preprod"));
        assert!(!is_production("staging"));
        assert!(is_staging("Staging"));
        assert!(is_staging("pre-prod"));
    }
}
