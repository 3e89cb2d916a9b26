//! `bot-conditions`: an `if:` that trusts a run because `github.actor` (or
//! `github.triggering_actor`, or an actor id) is a bot such as `dependabot[bot]`. The actor is
//! whoever acted last, not who wrote the code: anyone can push a commit onto a branch a bot
//! updated, or make the bot act on their pull request, and pass the check. Confidence is high
//! when the check decides the condition on its own (alone, or joined by `||`), medium when it
//! is one part of an `&&`.

use crate::expr::ast::{CompareOp, Expr, ExprKind, LogicalOp};
use crate::lint::sec;
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::Workflow;
use crate::workflow::position::value_span;

/// The `bot-conditions` rule: if: trusts github.actor being a bot, which anyone can arrange.
pub struct BotConditions;

static META: RuleMeta = RuleMeta {
    id: "bot-conditions",
    zizmor: Some("bot-conditions"),
    actionlint: None,
    summary: "if: trusts github.actor being a bot, which anyone can arrange",
    severity: Severity::Warning,
    actionlint_also: &[],
};

/// Actor names that can be spoofed.
const NAME_CONTEXTS: &[&str] = &[
    "github.actor",
    "github.triggering_actor",
    "github.event.pull_request.sender.login",
];
/// Actor ids that can be spoofed.
const ID_CONTEXTS: &[&str] = &["github.actor_id", "github.event.pull_request.sender.id"];
/// Ids of bot accounts: dependabot's integration and user, dependabot-preview, renovate.
const BOT_IDS: &[&str] = &["29110", "49699333", "27856297", "29139614"];

fn literal_text(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::String(s) => Some(s.clone()),
        ExprKind::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

/// Whether `e` compares a spoofable actor with a bot.
fn is_bot_check(ctx: &Expr, lit: &Expr) -> bool {
    let (Some(path), Some(text)) = (sec::context_path(ctx), literal_text(lit)) else {
        return false;
    };
    (NAME_CONTEXTS.contains(&path.as_str()) && text.ends_with("[bot]"))
        || (ID_CONTEXTS.contains(&path.as_str()) && BOT_IDS.contains(&text.as_str()))
}

fn is_context(e: &Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::Variable { .. }
            | ExprKind::Property { .. }
            | ExprKind::Index { .. }
            | ExprKind::Filter { .. }
    )
}

/// The bot check in `e`, and whether it decides `e` (not under `&&`, `!` or a call).
fn walk(e: &Expr, dominating: bool) -> (Option<&Expr>, bool) {
    match &e.kind {
        ExprKind::Call { args, .. } => {
            let found = args.iter().find_map(|a| walk(a, false).0);
            (found, if args.is_empty() { dominating } else { false })
        }
        ExprKind::Logical {
            op: LogicalOp::Or,
            left,
            right,
        } => (walk(left, true).0.or_else(|| walk(right, true).0), true),
        ExprKind::Logical {
            op: LogicalOp::And,
            left,
            right,
        } => (walk(left, false).0.or_else(|| walk(right, false).0), false),
        ExprKind::Compare {
            op: CompareOp::Eq,
            left,
            right,
        } => {
            let hit = (is_context(left) && is_bot_check(left, right))
                || (is_context(right) && is_bot_check(right, left));
            if hit {
                (Some(e), true)
            } else if is_context(left) || is_context(right) {
                (None, true)
            } else {
                (walk(left, true).0.or_else(|| walk(right, true).0), true)
            }
        }
        ExprKind::Compare { left, right, .. } => {
            (walk(left, false).0.or_else(|| walk(right, false).0), false)
        }
        ExprKind::Not(inner) => walk(inner, false),
        ExprKind::Index { receiver, .. } => walk(receiver, dominating),
        _ => (None, dominating),
    }
}

fn check(cx: &mut Ctx<'_>) {
    for site in cx.expressions().iter().filter(|s| s.condition) {
        for p in &site.exprs {
            let (Some(found), dominating) = walk(&p.ast, true) else {
                continue;
            };
            let confidence = if dominating {
                Confidence::High
            } else {
                Confidence::Medium
            };
            let (start, end) = (
                p.at.inner.start + found.span.start,
                p.at.inner.start + found.span.end,
            );
            cx.audit(
                Audit::new(AuditSeverity::High, confidence),
                value_span(cx.source, site.node, start, end),
                "the actor is whoever acted last, not who wrote the code: anyone can make this \
                 bot check pass",
                "check who opened the pull request (`github.event.pull_request.user.login`) and \
                 avoid `pull_request_target` for bot automation",
            );
        }
    }
}

impl Rule for BotConditions {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn workflow(&self, _wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        check(cx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    fn found(s: &str) -> Option<bool> {
        let e = parse(s).expect("parse");
        let (f, d) = walk(&e, true);
        f.map(|_| d)
    }

    #[test]
    fn bot_checks() {
        assert_eq!(found("github.actor == 'dependabot[bot]'"), Some(true));
        assert_eq!(found("'dependabot[bot]' == GitHub.actor"), Some(true));
        assert_eq!(
            found("github.actor == 'dependabot[bot]' && github.repository == 'a/b'"),
            Some(false)
        );
        assert_eq!(found("github.actor == 'dependabot[bot]' || x"), Some(true));
        assert_eq!(found("github.actor_id == 49699333"), Some(true));
        assert_eq!(found("github.actor == 'octocat'"), None);
        assert_eq!(
            found("github.event.pull_request.user.login == 'dependabot[bot]'"),
            None
        );
    }
}
