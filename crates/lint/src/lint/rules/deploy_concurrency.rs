//! `deploy-concurrency`: a job that deploys is in a `concurrency:` group (its own or the
//! workflow's), so that two runs never deploy at the same time and an older run cannot
//! overwrite a newer one.

use crate::expr::has_expr;
use crate::lint::deploy::{environment, job_deploys};
use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Workflow};

/// The `deploy-concurrency` rule: A deploy job has no concurrency group.
pub struct DeployConcurrency;

static META: RuleMeta = RuleMeta {
    id: "deploy-concurrency",
    zizmor: None,
    actionlint: None,
    summary: "A deploy job has no concurrency group",
    severity: Severity::Warning,
    actionlint_also: &[],
};

impl Rule for DeployConcurrency {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn job(&self, wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        if job.get("concurrency").is_some() || wf.root.get("concurrency").is_some() {
            return;
        }
        let deploys = job_deploys(job);
        let Some(first) = deploys.first() else {
            return;
        };
        let group = match environment(job) {
            Some((name, _)) if !has_expr(&name) => format!("deploy-{name}"),
            _ => format!("deploy-{}", job.id),
        };
        cx.report_help(
            job.id_node.span,
            format!(
                "job {:?} deploys ({} at line {}) without a concurrency group, so two runs can \
                 deploy at once",
                job.id, first.what, first.node.span.start.line
            ),
            format!(
                "add `concurrency: {{ group: {group}, cancel-in-progress: false }}` to the job \
                 (or the workflow); runs then deploy one after another, never half-cancelled"
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{Config, FileKind, lint_source};

    fn findings(src: &str) -> Vec<(u32, String)> {
        let r = lint_source("w.yml", src, FileKind::Workflow, &Config::default());
        r.findings
            .iter()
            .filter(|f| f.rule == META.id)
            .map(|f| (f.span.start.line, f.help.clone().unwrap_or_default()))
            .collect()
    }

    #[test]
    fn group_named_after_the_environment() {
        let src = "on: push\njobs:\n  ship:\n    runs-on: x\n    environment: production\n    steps:\n      - run: kubectl apply -f k8s\n";
        let got = findings(src);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, 3);
        assert!(
            got[0].1.contains("group: deploy-production"),
            "{}",
            got[0].1
        );
    }

    #[test]
    fn job_level_group_is_enough() {
        let src = "on: push\njobs:\n  ship:\n    runs-on: x\n    concurrency: ship\n    steps:\n      - run: kubectl apply -f k8s\n";
        assert!(findings(src).is_empty());
    }
}
