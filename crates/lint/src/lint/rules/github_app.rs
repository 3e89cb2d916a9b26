//! `github-app`: `actions/create-github-app-token` asked for more than the job needs: no
//! `permission-*` input (the token gets every permission of the installation), `owner:` without
//! `repositories:` (every repository of the owner), or `skip-token-revoke: true` (the token
//! outlives the job).

use crate::expr::has_expr;
use crate::lint::sec;
use crate::lint::sec::data::github_app::ORG_ONLY_PERMISSIONS;
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Rule, RuleMeta, Severity};
use crate::workflow::action::Action;
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::yaml::Node;

/// The `github-app` rule: GitHub App token with every permission, every repository, or no
/// revocation.
pub struct GithubApp;

static META: RuleMeta = RuleMeta {
    id: "github-app",
    zizmor: Some("github-app"),
    actionlint: None,
    summary: "GitHub App token with every permission, every repository, or no revocation",
    severity: Severity::Warning,
    actionlint_also: &[],
};

/// The actions toolkit's boolean (`true`, `True`, `TRUE`, and the same for false).
fn toolkit_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn check(cx: &mut Ctx<'_>, step: &Node) {
    if sec::never_runs(step) || !sec::step_is(step, "actions/create-github-app-token") {
        return;
    }
    let (Some(uses), Some(with)) = (step.get("uses"), step.get("with")) else {
        // Without `with:` the action cannot authenticate; the schema says so.
        return;
    };
    let Some(inputs) = with.as_map() else { return };
    let high = |c| Audit::new(AuditSeverity::High, c);
    if let Some((key, v)) = with.entry("skip-token-revoke")
        && let Some(s) = v.as_str()
    {
        let confidence = match toolkit_bool(s) {
            Some(true) => Some(Confidence::High),
            None if has_expr(&s) => Some(Confidence::Low),
            _ => None,
        };
        if let Some(c) = confidence {
            cx.audit(
                high(c),
                key.span,
                "`skip-token-revoke` keeps the app token valid after the job (up to an hour)",
                "remove `skip-token-revoke`, so the token is revoked when the job ends",
            )
            .scope = Some(step.span);
        }
    }
    let names: Vec<&str> = inputs.iter().filter_map(|(k, _)| k.as_str()).collect();
    let permissions: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| n.starts_with("permission-"))
        .collect();
    let org_only = !permissions.is_empty()
        && permissions
            .iter()
            .all(|p| ORG_ONLY_PERMISSIONS.binary_search(p).is_ok());
    if let Some((key, _)) = with.entry("owner")
        && !names.contains(&"repositories")
        && !org_only
    {
        cx.audit(
            high(Confidence::High),
            key.span,
            "`owner:` without `repositories:` gives the token every repository the app is \
             installed on",
            "add `repositories:` with the repositories the job works on",
        )
        .scope = Some(step.span);
    }
    if permissions.is_empty() {
        cx.audit(
            high(Confidence::High),
            uses.span,
            "the app token gets every permission of the installation: no `permission-*` input",
            "add a `permission-<name>: <level>` input for each permission the job needs",
        )
        .scope = Some(step.span);
    }
}

impl Rule for GithubApp {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn step(&self, _wf: &Workflow<'_>, _job: &Job<'_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        check(cx, step.node);
    }

    fn composite_step(&self, _action: &Action<'_>, step: &Node, cx: &mut Ctx<'_>) {
        check(cx, step);
    }
}
