//! `artipacked`: `actions/checkout` without `persist-credentials: false` leaves the job's token
//! on disk (in `.git/config` before v6), where later steps can read it and an uploaded artifact
//! of the workspace can publish it. Medium severity (high when a later step uploads the
//! workspace, low for checkout v6 and later, which keeps it outside the workspace), as in
//! zizmor. The fix adds `persist-credentials: false` to the step's `with:`.

use crate::expr::has_expr;
use crate::lint::sec;
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Edit, Fix, Rule, RuleMeta, Severity};
use crate::workflow::action::Action;
use crate::workflow::model::{Job, Workflow};
use crate::workflow::yaml::{Kind, Node};

/// The `artipacked` rule: actions/checkout keeps the token on disk (no persist-credentials: false).
pub struct Artipacked;

static META: RuleMeta = RuleMeta {
    id: "artipacked",
    zizmor: Some("artipacked"),
    actionlint: None,
    summary: "actions/checkout keeps the token on disk (no persist-credentials: false)",
    severity: Severity::Warning,
    actionlint_also: &[],
};

/// The checkout's major version from its ref (`v4`, `v6.0.1`); `None` for a SHA or a branch.
fn major(r: &str) -> Option<u64> {
    let digits = r.strip_prefix('v')?;
    digits.split('.').next()?.parse().ok()
}

/// Whether an `upload-artifact` step uploads the whole workspace (`.`, `..`, the workspace).
fn uploads_workspace(step: &Node) -> bool {
    if !sec::step_is(step, "actions/upload-artifact") {
        return false;
    }
    let Some(path) = sec::with_str(step, "path") else {
        return false;
    };
    path.lines().map(str::trim).any(|p| {
        matches!(p, "." | "./" | ".." | "../") || (has_expr(&p) && p.contains("github.workspace"))
    })
}

/// The start of the line holding byte `at`.
fn line_start(source: &str, at: usize) -> usize {
    source[..at.min(source.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1)
}

/// The end (before the line break) of the line holding byte `at`.
fn line_end(source: &str, at: usize) -> usize {
    let at = at.min(source.len());
    source[at..].find('\n').map_or(source.len(), |i| at + i)
}

/// The edit that sets `persist-credentials: false` on a checkout step, when the step is written
/// in a shape we can edit without guessing (block or flow `with:`, or a block step).
pub fn persist_false_fix(source: &str, step: &Node) -> Option<Fix> {
    const LINE: &str = "persist-credentials: false";
    if step.from_alias {
        return None;
    }
    let edit = match step.entry("with") {
        Some((_, with)) if with.from_alias => return None,
        Some((_, with)) => match &with.kind {
            Kind::Map(entries) if source.get(with.span.start.offset..)?.starts_with('{') => {
                let at = with.span.start.offset + 1;
                let text = if entries.is_empty() {
                    LINE.to_string()
                } else {
                    format!(" {LINE},")
                };
                Edit::insert(at, text)
            }
            Kind::Map(entries) => {
                let (first, _) = entries.first()?;
                let start = line_start(source, first.span.start.offset);
                let indent = source.get(start..first.span.start.offset)?;
                if !indent.chars().all(|c| c == ' ') {
                    return None;
                }
                Edit::insert(start, format!("{indent}{LINE}\n"))
            }
            _ => return None,
        },
        None => {
            let (uses_key, uses) = step.entry("uses")?;
            let start = line_start(source, uses_key.span.start.offset);
            let before = source.get(start..uses_key.span.start.offset)?;
            // A block step: `- uses:` or `  uses:`, keys one under the other.
            if !before
                .trim_start_matches(' ')
                .trim_start_matches("- ")
                .chars()
                .all(|c| c == ' ')
            {
                return None;
            }
            let indent = " ".repeat(before.chars().count());
            let end = line_end(
                source,
                uses.span
                    .end
                    .offset
                    .saturating_sub(1)
                    .max(uses.span.start.offset),
            );
            Edit::insert(end, format!("\n{indent}with:\n{indent}  {LINE}"))
        }
    };
    Some(Fix {
        title: "set `persist-credentials: false`".into(),
        edits: vec![edit],
    })
}

fn check_steps<'a>(cx: &mut Ctx<'_>, steps: impl Iterator<Item = &'a Node> + Clone) {
    let all: Vec<&Node> = steps.collect();
    for (i, step) in all.iter().enumerate() {
        if sec::never_runs(step) {
            continue;
        }
        let Some((uses, _)) = sec::step_uses(step) else {
            continue;
        };
        if !uses.is("actions/checkout") {
            continue;
        }
        if let Some(with) = step.get("with")
            && with.get("persist-credentials").is_some()
        {
            // `false` is right; `true` says the token is wanted; an expression may be either.
            continue;
        }
        let uploads = all[i + 1..].iter().any(|s| uploads_workspace(s));
        let v6 = uses
            .repo()
            .and_then(|r| major(r.git_ref))
            .is_some_and(|v| v >= 6);
        let (severity, confidence) = match (uploads, v6) {
            (true, false) => (AuditSeverity::High, Confidence::High),
            (true, true) => (AuditSeverity::Medium, Confidence::High),
            (false, false) => (AuditSeverity::Medium, Confidence::Low),
            (false, true) => (AuditSeverity::Low, Confidence::Low),
        };
        let message = if uploads {
            "actions/checkout leaves the token in the workspace, and a later step uploads the \
             workspace as an artifact"
        } else {
            "actions/checkout keeps the job's token on disk for every later step \
             (no `persist-credentials: false`)"
        };
        let fix = persist_false_fix(cx.source, step);
        let f = cx.audit(
            Audit::new(severity, confidence),
            step.span,
            message,
            "add `with: { persist-credentials: false }` unless a later step needs to push with \
             git; then say `persist-credentials: true`",
        );
        f.scope = Some(step.span);
        f.fix = fix;
    }
}

impl Rule for Artipacked {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        check_steps(cx, job.steps.iter().map(|s| s.node));
    }

    fn action(&self, action: &Action<'_>, cx: &mut Ctx<'_>) {
        check_steps(cx, sec::composite_steps(action).iter());
    }
}
