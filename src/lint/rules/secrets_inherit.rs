//! `secrets-inherit`: `secrets: inherit` hands every secret of the repository (and its
//! organisation and environments) to the called workflow. Offline we cannot tell who owns a
//! remote workflow, so any call that is not local (`./` or `$/`) is reported.

use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Workflow};
use crate::workflow::yaml::Node;

/// See the module docs.
pub struct SecretsInherit;

static META: RuleMeta = RuleMeta {
    id: "secrets-inherit",
    summary: "secrets: inherit passed to a reusable workflow of another repository",
    severity: Severity::Warning,
};

impl Rule for SecretsInherit {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        let Some(uses) = job.get("uses").and_then(Node::as_str) else {
            return;
        };
        let uses = uses.trim();
        if is_local(uses) {
            return;
        }
        let Some(secrets) = job.get("secrets") else {
            return;
        };
        if secrets.as_str().map(str::trim) != Some("inherit") {
            return;
        }
        cx.report_help(
            secrets.span,
            format!(
                "job {:?} passes every secret of this repository to {uses:?}, a workflow of \
                 another repository",
                job.id
            ),
            "pass only the secrets the called workflow declares under `on.workflow_call.secrets`, \
             e.g. `secrets: { TOKEN: ${{ secrets.TOKEN }} }`",
        );
    }
}

/// Whether a reusable workflow lives in this repository.
fn is_local(uses: &str) -> bool {
    uses.starts_with("./") || uses.starts_with("$/") || uses.starts_with("../")
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
    fn local_calls_keep_their_secrets() {
        assert!(is_local("./.github/workflows/a.yml"));
        assert!(is_local("$/.github/workflows/a.yml"));
        assert!(!is_local("org/repo/.github/workflows/a.yml@v1"));
    }

    #[test]
    fn only_inherit_is_reported() {
        let src = "on: push\njobs:\n  a:\n    uses: o/r/.github/workflows/x.yml@v1\n    secrets: inherit\n  b:\n    uses: o/r/.github/workflows/x.yml@v1\n    secrets: {}\n";
        assert_eq!(lines(src), vec![5]);
    }
}
