//! `uses-format`: `uses:` of steps and jobs: `owner/repo[/path]@ref`, `./local/path`, or
//! `docker://image`; reusable workflows as `owner/repo/.github/workflows/x.yml@ref` or local.

use crate::expr::has_expr;
use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::yaml::Node;

/// The `uses-format` rule: Format of uses: for actions and reusable workflows.
pub struct UsesFormat;

static META: RuleMeta = RuleMeta {
    id: "uses-format",
    zizmor: None,
    actionlint: Some("syntax-check"),
    summary: "Format of uses: for actions and reusable workflows",
    severity: Severity::Error,
    actionlint_also: &["action", "workflow-call"],
};

/// Checks a step's `uses:`; returns what is wrong.
pub fn check_action_ref(s: &str) -> Option<String> {
    // `$/path` is the calling repository at the same commit, like `./path`.
    if s.starts_with("./") || s.starts_with("../") || s.starts_with("$/") {
        return None;
    }
    if let Some(image) = s.strip_prefix("docker://") {
        return image
            .is_empty()
            .then(|| "docker image name is empty".to_string());
    }
    let Some(at) = crate::bytes::find(b'@', s.as_bytes()) else {
        return Some(format!(
            "specifying action {s:?} in invalid format because ref is missing. available formats are \"{{owner}}/{{repo}}@{{ref}}\" or \"{{owner}}/{{repo}}/{{path}}@{{ref}}\""
        ));
    };
    let (path, git_ref) = (&s[..at], &s[at + 1..]);
    if git_ref.is_empty() || !slash_parts(path) {
        return Some(format!(
            "specifying action {s:?} in invalid format because owner, repo or ref is empty. available formats are \"{{owner}}/{{repo}}@{{ref}}\" or \"{{owner}}/{{repo}}/{{path}}@{{ref}}\""
        ));
    }
    None
}

/// Whether `path` is two parts or more between slashes, none of them empty
/// (`owner/repo[/path]`): looked at in place, every step's `uses:` is.
fn slash_parts(path: &str) -> bool {
    let b = path.as_bytes();
    b.first().is_some_and(|&c| c != b'/')
        && b.last().is_some_and(|&c| c != b'/')
        && b.contains(&b'/')
        && !b.windows(2).any(|w| w == b"//")
}

/// Checks a job's `uses:` (reusable workflow); returns what is wrong.
pub fn check_workflow_ref(s: &str) -> Option<String> {
    if let Some(local) = s.strip_prefix("./").or_else(|| s.strip_prefix("$/")) {
        if s.contains('@') {
            return Some(format!(
                "reusable workflow call {s:?} at \"uses\" is not following the format \"./.github/workflows/{{filename}}\": a local workflow takes no ref"
            ));
        }
        return (!local.starts_with(".github/workflows/")).then(|| {
            format!("reusable workflow call {s:?} at \"uses\" is not following the format \"./.github/workflows/{{filename}}\"")
        });
    }
    let valid = s.split_once('@').is_some_and(|(path, r)| {
        let parts: Vec<&str> = path.splitn(3, '/').collect();
        !r.is_empty() && parts.len() == 3 && parts.iter().all(|p| !p.is_empty())
    });
    (!valid).then(|| {
        format!(
            "reusable workflow call {s:?} at \"uses\" is not following the format \"owner/repo/.github/workflows/{{filename}}@{{ref}}\" nor \"./.github/workflows/{{filename}}\""
        )
    })
}

fn literal(n: &Node) -> Option<&str> {
    n.as_str().filter(|s| !s.is_empty() && !has_expr(&s))
}

impl Rule for UsesFormat {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        if let Some(u) = job.get("uses")
            && let Some(s) = literal(u)
            && let Some(msg) = check_workflow_ref(s)
        {
            cx.report(u.span, msg);
        }
    }

    fn step(&self, _wf: &Workflow<'_>, _job: &Job<'_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        if let Some(u) = step.uses()
            && let Some(s) = literal(u)
            && let Some(msg) = check_action_ref(s)
        {
            cx.report(u.span, msg);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// `slash_parts` answers as a split on `/` does.
        #[test]
        fn slash_parts_is_a_split(path in "[a/é]{0,8}") {
            let parts: Vec<&str> = path.split('/').collect();
            let want = parts.len() >= 2 && parts.iter().all(|p| !p.is_empty());
            proptest::prop_assert_eq!(slash_parts(&path), want);
        }
    }

    #[test]
    fn action_refs() {
        assert!(check_action_ref("actions/checkout@v4").is_none());
        assert!(check_action_ref("github/codeql-action/init@v3").is_none());
        assert!(check_action_ref("./.github/actions/x").is_none());
        assert!(check_action_ref("docker://alpine:3").is_none());
        assert!(check_action_ref("actions/checkout").is_some());
        assert!(check_action_ref("checkout@v4").is_some());
        assert!(check_action_ref("actions/checkout@").is_some());
    }

    #[test]
    fn workflow_refs() {
        assert!(check_workflow_ref("o/r/.github/workflows/x.yml@main").is_none());
        assert!(check_workflow_ref("./.github/workflows/x.yml").is_none());
        assert!(check_workflow_ref("$/.github/workflows/x.yml").is_none());
        assert!(check_workflow_ref("o/x.yml@main").is_some());
        assert!(check_workflow_ref("o/r/.github/workflows/x.yml").is_some());
    }
}
