//! `deploy-mutable-tag`: a deploy names its image by a tag that moves (`:latest`, `:main`, a
//! branch name, or no tag at all), so what runs is whatever was pushed last, not what was built
//! and tested by this run, and a rollback cannot name the previous image.
//!
//! Images are read from the deploy step's inputs (`image`, `images`, `imageToDeploy`) and
//! commands (`--image`, `kubectl set image c=IMAGE`, `helm --set image.tag=TAG`); see
//! [`crate::lint::deploy::images`]. Tags in variables we cannot see through are not reported.

use crate::lint::deploy::{Tag, classify, classify_tag, images, job_deploys};
use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Workflow};
use crate::workflow::position::value_span;

/// The `deploy-mutable-tag` rule: A deploy names its image by a mutable tag.
pub struct DeployMutableTag;

static META: RuleMeta = RuleMeta {
    id: "deploy-mutable-tag",
    zizmor: None,
    actionlint: None,
    summary: "A deploy names its image by a mutable tag",
    severity: Severity::Warning,
    actionlint_also: &[],
};

impl Rule for DeployMutableTag {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        for d in job_deploys(job) {
            for r in images(&d) {
                let tag = if r.tag_only {
                    classify_tag(&r.text)
                } else {
                    classify(&r.text)
                };
                let Tag::Mutable(t) = tag else { continue };
                let message = match (r.tag_only, t.is_empty()) {
                    (true, _) => format!("{} deploys the image tag {t:?}, which moves", d.what),
                    (false, true) => format!(
                        "{} deploys {:?} without a tag, which means the moving tag \"latest\"",
                        d.what, r.text
                    ),
                    (false, false) => format!(
                        "{} deploys {:?} by the tag {t:?}, which moves",
                        d.what, r.text
                    ),
                };
                cx.report_help(
                    value_span(cx.source, r.node, r.start, r.end),
                    message,
                    "deploy an immutable reference: the digest (`image@sha256:...`) or the \
                     commit's tag (`image:${{ github.sha }}`) that this run built and tested",
                );
            }
        }
    }
}
