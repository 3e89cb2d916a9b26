//! `deploy-environment`: a job that deploys names the environment it deploys to.
//!
//! Without `environment:` GitHub records no deployment, shows no URL, and applies none of the
//! environment's protection rules (required reviewers, wait timers, branch restrictions), and
//! the job can read no environment secrets. What counts as a deploy is decided in
//! [`crate::lint::deploy`].

use crate::lint::deploy::job_deploys;
use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Workflow};

/// The `deploy-environment` rule: A deploy job has no environment.
pub struct DeployEnvironment;

static META: RuleMeta = RuleMeta {
    id: "deploy-environment",
    zizmor: None,
    actionlint: None,
    summary: "A deploy job has no environment",
    severity: Severity::Warning,
    actionlint_also: &[],
};

impl Rule for DeployEnvironment {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        if job.get("environment").is_some() {
            return;
        }
        let deploys = job_deploys(job);
        let Some(first) = deploys.first() else {
            return;
        };
        cx.report_help(
            job.id_node.span,
            format!(
                "job {:?} deploys ({} at line {}) but names no environment",
                job.id, first.what, first.node.span.start.line
            ),
            "add `environment: <name>` (e.g. `environment: staging`) to the job, so the \
             deployment is recorded and the environment's protection rules and secrets apply",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{Config, FileKind, lint_source};

    fn lines(src: &str) -> Vec<u32> {
        let r = lint_source("w.yml", src, FileKind::Workflow, &Config::default());
        r.findings
            .iter()
            .filter(|f| f.rule == META.id)
            .map(|f| f.span.start.line)
            .collect()
    }

    #[test]
    fn only_deploy_jobs_need_an_environment() {
        let src = "on: push\njobs:\n  build:\n    runs-on: x\n    steps:\n      - run: make\n  deploy:\n    runs-on: x\n    steps:\n      - run: helm upgrade a ./chart\n";
        assert_eq!(lines(src), vec![7]);
    }

    #[test]
    fn an_environment_expression_counts() {
        let src = "on: push\njobs:\n  deploy:\n    runs-on: x\n    environment: ${{ inputs.env }}\n    steps:\n      - run: helm upgrade a ./chart\n";
        assert!(lines(src).is_empty());
    }
}
