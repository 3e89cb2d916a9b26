//! `cache-poisoning`: a release job (started by a `release` event or a tag push, or one that
//! publishes with a known action) restores a GitHub Actions cache. Any workflow of the
//! repository, a pull request's included, can write cache entries its key matches, so what the
//! release builds may include what someone else put there. The cache-aware actions and the
//! inputs that turn their cache on are [`crate::lint::sec::data::cache`]. Confidence is low, as
//! in zizmor: the cache may hold nothing the build uses.

use crate::expr::ast::{CompareOp, Expr, ExprKind, LogicalOp};
use crate::expr::{find_expressions, parse};
use crate::lint::sec::control::{self, Control, Kind, Tri};
use crate::lint::sec::data::cache::{CACHE_AWARE, PUBLISHERS};
use crate::lint::sec::{self};
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Workflow};
use crate::workflow::yaml::Node;

/// The `cache-poisoning` rule: A release or publishing job restores a cache any workflow can write.
pub struct CachePoisoning;

static META: RuleMeta = RuleMeta {
    id: "cache-poisoning",
    zizmor: Some("cache-poisoning"),
    actionlint: None,
    summary: "A release or publishing job restores a cache any workflow can write",
    severity: Severity::Warning,
    actionlint_also: &[],
};

const HIGH_LOW: Audit = Audit::new(AuditSeverity::High, Confidence::Low);

/// Why the job counts as a release job.
enum Release {
    /// Only tag pushes and `release` events start the workflow.
    TagOrReleaseOnly,
    /// A release trigger among others (a push to a release branch).
    Triggers,
    /// A step publishes (the `uses:` node).
    Publishes,
}

fn release_triggers(wf: &Workflow<'_>) -> Option<Release> {
    let mut tag_or_release = false;
    let mut branch = false;
    for t in &wf.events {
        match t.name {
            "release" => tag_or_release = true,
            "push" => {
                let Some(c) = t.config else { continue };
                if c.get("tags").is_some() || c.get("tags-ignore").is_some() {
                    tag_or_release = true;
                }
                let release_branch = c.get("branches").and_then(Node::as_seq).is_some_and(|bs| {
                    bs.iter().any(|b| {
                        b.as_str()
                            .is_some_and(|s| s.to_ascii_lowercase().contains("release"))
                    })
                });
                branch |= release_branch;
            }
            _ => {}
        }
    }
    match (tag_or_release, branch) {
        (_, true) => Some(Release::Triggers),
        (true, false) => Some(Release::TagOrReleaseOnly),
        _ => None,
    }
}

/// The value of a cache switch's expression in a run started by a tag push or a release, when
/// it is one of the usual guards (`startsWith(github.ref, 'refs/tags/')`, `github.ref_type ==
/// 'tag'`, `true`, and their negations).
fn on_tag_push(e: &Expr) -> Option<bool> {
    match &e.kind {
        ExprKind::Bool(b) => Some(*b),
        ExprKind::Not(inner) => on_tag_push(inner).map(|v| !v),
        ExprKind::Call { name, args } if name.eq_ignore_ascii_case("startswith") => {
            let [what, prefix] = args.as_slice() else {
                return None;
            };
            let is_ref = sec::context_path(what).as_deref() == Some("github.ref");
            let tags =
                matches!(&prefix.kind, ExprKind::String(p) if p.eq_ignore_ascii_case("refs/tags/"));
            (is_ref && tags).then_some(true)
        }
        ExprKind::Logical {
            op: LogicalOp::And,
            left,
            right,
        } => {
            let guard = |x: &Expr| {
                let ExprKind::Compare {
                    op: CompareOp::Eq,
                    left,
                    right,
                } = &x.kind
                else {
                    return None;
                };
                let path = sec::context_path(left)?;
                let ExprKind::String(v) = &right.kind else {
                    return None;
                };
                Some((path, v.clone()))
            };
            let mut pair = [guard(left)?, guard(right)?];
            pair.sort();
            let want = [
                ("github.event_name".to_string(), "push".to_string()),
                ("github.ref_type".to_string(), "tag".to_string()),
            ];
            (pair == want).then_some(true)
        }
        _ => None,
    }
}

/// For a "maybe" answer of a one-switch action: whether its switch turns the cache on in a run
/// started by a tag push or a release (`None`: cannot tell).
fn switch_on_for_tags(when: &Control, step: &Node) -> Option<bool> {
    let Control::Input {
        name,
        kind: Kind::Bool,
        on,
        ..
    } = when
    else {
        return None;
    };
    let value = step.get("with")?.get(name)?.as_str()?;
    let embedded = find_expressions(value);
    let [one] = embedded.as_slice() else {
        return None;
    };
    let v = on_tag_push(&parse(one.inner_text(value)).ok()?)?;
    Some(v == *on)
}

impl Rule for CachePoisoning {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn job(&self, wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        let release = release_triggers(wf).or_else(|| {
            job.steps
                .iter()
                .any(|s| {
                    control::usage(PUBLISHERS, s.node, cx.source).is_some_and(|(_, t)| t.possible())
                })
                .then_some(Release::Publishes)
        });
        let Some(release) = release else { return };
        for step in &job.steps {
            if sec::never_runs(step.node) {
                continue;
            }
            let Some((coord, answer)) = control::usage(CACHE_AWARE, step.node, cx.source) else {
                continue;
            };
            let report = match answer {
                Tri::No => false,
                Tri::Yes => true,
                Tri::Maybe => match release {
                    Release::TagOrReleaseOnly => {
                        switch_on_for_tags(&coord.when, step.node).unwrap_or(true)
                    }
                    _ => true,
                },
            };
            if !report {
                continue;
            }
            let why = match release {
                Release::Publishes => "a job that publishes",
                _ => "a release workflow",
            };
            let Some(uses) = step.uses() else { continue };
            cx.audit(
                HIGH_LOW,
                uses.span,
                format!(
                    "{} restores a cache in {why}; any workflow of the repository, a pull \
                     request's too, can write that cache",
                    coord.action
                ),
                "turn the cache off in release and publishing jobs (the action's cache input, or \
                 `if: ${{ !startsWith(github.ref, 'refs/tags/') }}` on the step)",
            )
            .scope = Some(step.node.span);
        }
    }
}
