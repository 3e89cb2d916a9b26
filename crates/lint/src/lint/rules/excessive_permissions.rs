//! `excessive-permissions`: the token gets more than the jobs need: `write-all` or `read-all`,
//! `<scope>: write` for the whole workflow (every job gets it), or no `permissions:` anywhere,
//! so the repository's default applies (read-write on every scope in older repositories and
//! many organisations). Rated as zizmor rates it: the workflow-level default is reported when
//! jobs can differ (more than one job, some without their own `permissions:`, and not a
//! reusable-only workflow); a job without any is reported unless its workflow is reusable-only
//! (its callers decide), a job calling a reusable workflow always.
//!
//! `--fix` adds `permissions: {}` at the top and the read scopes each job's steps need
//! ([`crate::lint::sec::permissions_fix`]), when those are known.

use crate::lint::sec::data::permissions::write_severity;
use crate::lint::sec::{self, permissions_fix};
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Fix, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Workflow};
use crate::workflow::yaml::{Node, Span};

/// The `excessive-permissions` rule: Token permissions broader than needed: write-all, read-all,
/// workflow-wide write, or none set.
pub struct ExcessivePermissions;

static META: RuleMeta = RuleMeta {
    id: "excessive-permissions",
    zizmor: Some("excessive-permissions"),
    actionlint: None,
    summary: "Token permissions broader than needed: write-all, read-all, workflow-wide write, or none set",
    severity: Severity::Warning,
    actionlint_also: &[],
};

const HELP_SCOPES: &str = "set `permissions: {}` for the workflow and give each job only the \
                           scopes it needs, e.g. `permissions: { contents: read }`";

/// Whether `on:` is only `workflow_call`: the callers then decide the permissions.
fn reusable_only(wf: &Workflow<'_>) -> bool {
    matches!(wf.events.as_slice(), [t] if t.name == "workflow_call")
}

/// A finding for a `permissions:` value that is `read-all` or `write-all`.
fn base(cx: &mut Ctx<'_>, value: &Node, whose: &str) -> bool {
    let (severity, what) = match value.as_str().map(str::trim) {
        Some("write-all") => (AuditSeverity::High, "write access to every scope"),
        Some("read-all") => (AuditSeverity::Medium, "read access to every scope"),
        _ => return false,
    };
    cx.audit(
        Audit::new(severity, Confidence::High),
        value.span,
        format!("{whose} grants the token {what}"),
        HELP_SCOPES,
    );
    true
}

fn default_job_message(job: &Job<'_>) -> String {
    format!(
        "job {:?} runs with the repository's default token permissions: neither the workflow \
         nor the job sets `permissions:`",
        job.id
    )
}

impl Rule for ExcessivePermissions {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn workflow(&self, wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        let reusable = reusable_only(wf);
        let all_jobs_set = wf.jobs.iter().all(|j| j.get("permissions").is_some());
        let workflow_level = wf.jobs.len() > 1 && !all_jobs_set && !reusable;
        // The fix (for the whole workflow) goes on the first finding about the default; it is
        // worked out only then.
        let mut fix_left = wf.root.get("permissions").is_none();
        let mut take_fix = |source: &str| -> Option<Fix> {
            std::mem::take(&mut fix_left)
                .then(|| permissions_fix::fix(source, wf))
                .flatten()
        };
        match wf.root.entry("permissions") {
            None => {
                if workflow_level {
                    let top = Span::point(wf.root.span.start);
                    let fix = take_fix(cx.source);
                    let f = cx.audit(
                        Audit::new(AuditSeverity::Medium, Confidence::Medium),
                        top,
                        "the workflow sets no `permissions:`, so every job without its own gets \
                         the repository's default token permissions",
                        HELP_SCOPES,
                    );
                    f.fix = fix;
                }
            }
            Some((_, value)) => {
                // `write-all` is too much however many jobs there are; the rest only matters
                // where jobs could be given less than the workflow has.
                let write_all = value.as_str().map(str::trim) == Some("write-all");
                if (workflow_level || write_all) && base(cx, value, "the workflow") {
                    // Reported as a whole.
                } else if let Some(scopes) = value.as_map() {
                    for (k, v) in scopes {
                        let (Some(scope), Some("write")) = (k.as_str(), v.as_str().map(str::trim))
                        else {
                            continue;
                        };
                        if !workflow_level {
                            continue;
                        }
                        cx.audit(
                            Audit::new(write_severity(scope), Confidence::High),
                            k.span,
                            format!(
                                "`{scope}: write` for the whole workflow gives it to every job"
                            ),
                            "move the write scope to the jobs that need it",
                        );
                    }
                }
            }
        }
        let workflow_set = wf.root.get("permissions").is_some();
        for job in wf.jobs.iter().filter(|j| !sec::never_runs(j.node)) {
            match job.get("permissions") {
                Some(value) => {
                    base(cx, value, &format!("job {:?}", job.id));
                }
                None if !workflow_set && (job.is_call() || !reusable) => {
                    let fix = take_fix(cx.source);
                    let f = cx.audit(
                        Audit::new(AuditSeverity::Medium, Confidence::Medium),
                        job.id_node.span,
                        default_job_message(job),
                        HELP_SCOPES,
                    );
                    f.scope = Some(Span {
                        start: job.id_node.span.start,
                        end: job.node.span.end,
                    });
                    f.fix = fix;
                }
                None => {}
            }
        }
    }
}
