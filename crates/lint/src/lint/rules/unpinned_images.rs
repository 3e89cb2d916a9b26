//! `unpinned-images`: a container image (job `container`, `services`, a `docker://` step or a
//! Docker action's `image`) with no tag or the `latest` tag and no digest: whatever the
//! registry serves today runs in the job. An image from a matrix is checked value by value;
//! one from another expression cannot be, and is reported with low confidence, as in zizmor.
//! A fixed tag without a digest is left alone (zizmor's pedantic level).

use crate::expr::ast::{Expr, ExprKind, LogicalOp};
use crate::expr::has_expr;
use crate::expr::{find_expressions, parse};
use crate::lint::sec::uses::Image;
use crate::lint::sec::{self, Uses, matrix};
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Rule, RuleMeta, Severity};
use crate::workflow::action::{Action, Using};
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::position::value_span;
use crate::workflow::yaml::Node;

/// The `unpinned-images` rule: Container image without a tag, or tagged latest, and no digest.
pub struct UnpinnedImages;

static META: RuleMeta = RuleMeta {
    id: "unpinned-images",
    zizmor: Some("unpinned-images"),
    actionlint: None,
    summary: "Container image without a tag, or tagged latest, and no digest",
    severity: Severity::Warning,
    actionlint_also: &[],
};

const HELP: &str = "pin the image by digest (`image: name:1.2@sha256:...`); \
                    `docker inspect --format '{{.RepoDigests}}' name:1.2` prints it";

/// What is wrong with one image reference, if anything.
fn problem(image: &str) -> Option<&'static str> {
    let image = image.trim();
    if image.is_empty() {
        return None;
    }
    let i = Image::parse(image);
    match (i.tag, i.digest) {
        (_, Some(_)) => None,
        (Some("latest"), None) => Some("uses the moving `latest` tag"),
        (Some(_), None) => None,
        (None, None) => Some("has no tag or digest"),
    }
}

/// The values an image expression can take: `a && b` gives `b`, `a || b` either.
fn leaves<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match &e.kind {
        ExprKind::Logical {
            op: LogicalOp::And,
            right,
            ..
        } => leaves(right, out),
        ExprKind::Logical {
            op: LogicalOp::Or,
            left,
            right,
        } => {
            leaves(left, out);
            leaves(right, out);
        }
        _ => out.push(e),
    }
}

/// The problems of an image value: `(image, problem)` for literal images and matrix values,
/// and `None` as the image for one computed some other way.
fn problems(job: Option<&Node>, value: &str) -> Vec<(Option<String>, &'static str)> {
    let embedded = find_expressions(value);
    let lead = value.len() - value.trim_start().len();
    let whole = match embedded.as_slice() {
        [one] if one.whole.start == lead && one.whole.end == value.trim_end().len() => Some(one),
        _ => None,
    };
    // A literal, or text around expressions (`gcc:${{ matrix.v }}`): the text as written
    // decides whether there is a tag.
    let Some(one) = whole else {
        return problem(value)
            .map(|p| (Some(value.trim().to_string()), p))
            .into_iter()
            .collect();
    };
    let Ok(ast) = parse(one.inner_text(value)) else {
        return Vec::new();
    };
    let mut ls = Vec::new();
    leaves(&ast, &mut ls);
    let mut out = Vec::new();
    for leaf in ls {
        match &leaf.kind {
            ExprKind::String(s) => {
                if let Some(p) = problem(s) {
                    out.push((Some(s.clone()), p));
                }
            }
            ExprKind::Null | ExprKind::Bool(_) => {}
            _ => {
                let key = leaf
                    .property_path()
                    .and_then(|p| p.strip_prefix("matrix.").map(str::to_string));
                let values = key.and_then(|k| job.and_then(|j| matrix::values_at(j, &k)));
                match values {
                    Some(vs) => {
                        for v in vs {
                            match v.as_str() {
                                Some(s) if has_expr(&s) => out.push((
                                    None,
                                    "comes from a matrix value computed by an expression",
                                )),
                                Some(s) => {
                                    if let Some(p) = problem(s) {
                                        out.push((Some(s.trim().to_string()), p));
                                    }
                                }
                                None => {}
                            }
                        }
                    }
                    None => out.push((None, "is computed by an expression and may be unpinned")),
                }
            }
        }
    }
    out.dedup();
    out
}

fn check(cx: &mut Ctx<'_>, job: Option<&Node>, node: &Node, what: &str) {
    let Some(value) = node.as_str() else { return };
    for (image, p) in problems(job, value) {
        let (audit, message) = match &image {
            Some(i) => (
                Audit::new(AuditSeverity::High, Confidence::High),
                format!("{what} {i:?} {p}"),
            ),
            None => (
                Audit::new(AuditSeverity::High, Confidence::Low),
                format!("{what} {p}"),
            ),
        };
        // A literal inside an expression is pointed at where it is written.
        let span = image
            .as_deref()
            .filter(|i| has_expr(&value) && !i.is_empty())
            .and_then(|i| {
                value
                    .find(&format!("'{i}'"))
                    .map(|at| (at + 1, at + 1 + i.len()))
            })
            .map_or(node.span, |(a, b)| value_span(cx.source, node, a, b));
        cx.audit(audit, span, message, HELP).scope = job.map(|j| j.span);
    }
}

fn check_container(cx: &mut Ctx<'_>, job: &Node, c: &Node, what: &str) {
    match c.get("image") {
        Some(image) => check(cx, Some(job), image, what),
        None if c.as_str().is_some() => check(cx, Some(job), c, what),
        None => {}
    }
}

/// A `uses: docker://...` step.
fn docker_step(cx: &mut Ctx<'_>, step: &Node, job: Option<&Node>) {
    if sec::never_runs(step) {
        return;
    }
    let Some((Uses::Docker(_), node)) = sec::step_uses(step) else {
        return;
    };
    let value = node.as_str().unwrap_or_default().trim();
    let reference = value.trim_start_matches("docker://");
    if let Some(p) = problem(reference) {
        cx.audit(
            Audit::new(AuditSeverity::High, Confidence::High),
            node.span,
            format!("the step's image {reference:?} {p}"),
            HELP,
        )
        .scope = Some(job.map_or(step.span, |j| j.span));
    }
}

impl Rule for UnpinnedImages {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        if let Some(c) = job.get("container") {
            check_container(cx, job.node, c, "the job's container image");
        }
        if let Some(services) = job.get("services").and_then(Node::as_map) {
            for (name, s) in services {
                let what = format!("the image of service {:?}", name.as_str().unwrap_or(""));
                check_container(cx, job.node, s, &what);
            }
        }
    }

    fn step(&self, _wf: &Workflow<'_>, job: &Job<'_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        docker_step(cx, step.node, Some(job.node));
    }

    fn composite_step(&self, _action: &Action<'_>, step: &Node, cx: &mut Ctx<'_>) {
        docker_step(cx, step, None);
    }

    fn action(&self, action: &Action<'_>, cx: &mut Ctx<'_>) {
        if action.using != Some(Using::Docker) {
            return;
        }
        let Some(image) = action.runs.and_then(|r| r.get("image")) else {
            return;
        };
        let Some(s) = image.as_str() else { return };
        if let Some(reference) = s.trim().strip_prefix("docker://")
            && let Some(p) = problem(reference)
        {
            cx.audit(
                Audit::new(AuditSeverity::High, Confidence::High),
                image.span,
                format!("the action's image {reference:?} {p}"),
                HELP,
            );
        }
    }
}
