//! `secrets-inherit`: `secrets: inherit` hands every secret of the repository (and its
//! organisation and environments) to the called workflow, whatever it needs. Reported at the
//! call's `uses:`, as zizmor does. A workflow of another repository gets a warning (offline we
//! cannot tell who owns it); a local one (`./` or `$/`) a note, since the same people write
//! both files.

use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Workflow};

/// The `secrets-inherit` rule: secrets: inherit hands every secret to a reusable workflow.
pub struct SecretsInherit;

static META: RuleMeta = RuleMeta {
    id: "secrets-inherit",
    zizmor: Some("secrets-inherit"),
    actionlint: None,
    summary: "secrets: inherit hands every secret to a reusable workflow",
    severity: Severity::Warning,
    actionlint_also: &[],
};

impl Rule for SecretsInherit {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        let Some(uses_node) = job.get("uses") else {
            return;
        };
        let Some(uses) = uses_node.as_str().map(str::trim) else {
            return;
        };
        let Some(secrets) = job.get("secrets") else {
            return;
        };
        if secrets.as_str().map(str::trim) != Some("inherit") {
            return;
        }
        let (severity, whose) = if is_local(uses) {
            (AuditSeverity::Low, "a workflow of this repository")
        } else {
            (AuditSeverity::Medium, "a workflow of another repository")
        };
        cx.audit(
            Audit::new(severity, Confidence::High),
            uses_node.span,
            format!(
                "job {:?} passes every secret of this repository to {uses:?}, {whose}",
                job.id
            ),
            "pass only the secrets the called workflow declares under `on.workflow_call.secrets`, \
             e.g. `secrets: { TOKEN: ${{ secrets.TOKEN }} }`",
        )
        .scope = Some(job.node.span);
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
    fn only_inherit_is_reported_at_the_call() {
        let src = "on: push\njobs:\n  a:\n    uses: o/r/.github/workflows/x.yml@v1\n    secrets: inherit\n  b:\n    uses: o/r/.github/workflows/x.yml@v1\n    secrets: {}\n";
        assert_eq!(lines(src), vec![4]);
    }

    #[test]
    fn local_calls_get_a_note() {
        let src =
            "on: push\njobs:\n  a:\n    uses: ./.github/workflows/x.yml\n    secrets: inherit\n";
        let r = lint_source("w.yml", src, FileKind::Workflow, &Config::default());
        let f: Vec<_> = r.findings.iter().filter(|f| f.rule == META.id).collect();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Note);
    }
}
