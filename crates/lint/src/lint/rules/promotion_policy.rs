//! `promotion-policy`: `.github/promotion.yml` follows the schema `deploy-action promote` reads
//! (docs/promotion.md): known keys only, the right types, valid durations, URLs and
//! comparisons; `rollout.steps` whose weights rise to 100, and `analysis` thresholds that run in
//! the steps' pauses. `${VAR}`s are not expanded here (the variables exist only in the promote job),
//! only checked for shape.

use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::policy::parse_tree;
use crate::workflow::yaml::{Node, Pos, Span};

/// The `promotion-policy` rule: The promotion policy (.github/promotion.yml) does not follow
/// promote's schema.
pub struct PromotionPolicy;

static META: RuleMeta = RuleMeta {
    id: "promotion-policy",
    zizmor: None,
    actionlint: None,
    summary: "The promotion policy (.github/promotion.yml) does not follow promote's schema",
    severity: Severity::Error,
    actionlint_also: &[],
};

/// Stands in for every `${VAR}`, so URL checks see an absolute URL.
const PLACEHOLDER: &str = "http://variable.invalid";

impl Rule for PromotionPolicy {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn policy(&self, root: &Node, cx: &mut Ctx<'_>) {
        let Err(problems) = parse_tree(root, &|_| Some(PLACEHOLDER.to_owned())) else {
            return;
        };
        for p in problems {
            let pos = Pos {
                offset: p.offset,
                line: p.line,
                col: p.col,
            };
            cx.report_help(
                Span::point(pos),
                p.message,
                "see docs/promotion.md for the schema of `deploy-action promote`'s policy",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::{Config, FileKind, lint_source};

    fn findings(src: &str) -> Vec<(u32, u32, String)> {
        let kind = FileKind::of_path(".github/promotion.yml");
        assert_eq!(kind, FileKind::Policy);
        lint_source(".github/promotion.yml", src, kind, &Config::default())
            .findings
            .into_iter()
            .map(|f| {
                (
                    f.span.start.line,
                    f.span.start.col,
                    format!("{}: {}", f.rule, f.message),
                )
            })
            .collect()
    }

    #[test]
    fn a_generated_policy_is_clean() {
        let src = "from: staging\nto: production\ngates:\n  deployed: true\n  soak: 10m\n  health:\n    url: ${STAGING_URL}/health\n  checks: [test]\n";
        assert_eq!(findings(src), []);
    }

    #[test]
    fn problems_point_at_their_key() {
        let f =
            findings("gates:\n  deployed: true\n  smoke:\n    - { url: \"${U}/\", latncy: 2s }\n");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!((f[0].0, f[0].1), (4, 23));
        assert!(
            f[0].2.starts_with("promotion-policy: unknown key `latncy`"),
            "{f:?}"
        );
    }

    #[test]
    fn a_progressive_policy_is_clean() {
        let src = "from: staging\nto: production\ngates:\n  deployed: true\nrollout:\n  steps:\n    - { weight: 25, pause: 1m }\n    - { weight: 50, pause: 1m }\n    - { weight: 100 }\nanalysis:\n  requests: { url: \"${PRODUCTION_URL}/health\" }\n  error_rate: { max: 5% }\n  latency: { p95: 1s }\n";
        assert_eq!(findings(src), []);
    }

    #[test]
    fn steps_and_thresholds_are_checked_where_they_are() {
        let f = findings(
            "gates: {}\nrollout:\n  steps:\n    - { weight: 25, pause: 1m }\n    - { weight: 20, pause: soon }\n    - { weight: 100 }\nanalysis:\n  error_rate: { max: 500% }\n  latency: { p95: 1s, p999: 2s }\n",
        );
        let at: Vec<(u32, u32)> = f.iter().map(|x| (x.0, x.1)).collect();
        assert!(at.contains(&(5, 28)), "pause: {f:?}");
        assert!(at.contains(&(5, 7)), "weight: {f:?}");
        assert!(at.contains(&(8, 22)), "max: {f:?}");
        assert!(at.contains(&(9, 23)), "p999: {f:?}");
        assert!(
            f.iter().all(|x| x.2.starts_with("promotion-policy: ")),
            "{f:?}"
        );
        assert!(
            f.iter()
                .any(|x| x.2.contains("weight 20 does not increase")),
            "{f:?}"
        );
    }

    #[test]
    fn workflows_are_not_policies() {
        assert_eq!(
            FileKind::of_path(".github/workflows/promotion.yml"),
            FileKind::Workflow
        );
        assert_eq!(FileKind::of_path("promotion.yml"), FileKind::Workflow);
    }
}
