//! `expression`: every `${{ }}` of a workflow or action metadata, and every `if:` condition:
//! syntax, types, contexts and properties that do not exist, contexts and special functions
//! used where GitHub does not allow them, and values of the wrong type at typed keys
//! (`timeout-minutes`, `continue-on-error`, `env`, inputs of reusable workflows, ...).
//!
//! Types of `inputs`, `secrets`, `needs`, `matrix`, `steps` and `jobs` are built from the
//! workflow and the local actions and reusable workflows it uses. Untrusted inputs in inline
//! scripts are left to the `script-injection` rule.

use std::sync::Arc;

use crate::expr::has_expr;
use crate::expr::{DiagKind, ExprDiag, ObjectType, TemplateCheck, Type, TypeEnv};
use crate::expr::{check_condition_known, check_embedded_known, check_template_known};
use crate::lint::exprs::pos::value_span;
use crate::lint::exprs::{Label, Mode, Scope, Site, Want, action_sites, sites, types, whole_type};
use crate::lint::project::{Callee, Loaded};
use crate::lint::{Ctx, Fix, Rule, RuleMeta, Severity, schema};
use crate::workflow::action::{Action, Using};
use crate::workflow::model::{Job, Workflow};
use crate::workflow::yaml::Node;

/// The `expression` rule: ${{ }} expressions: syntax, types, and contexts and functions available
/// where used.
pub struct Expression;

static META: RuleMeta = RuleMeta {
    id: "expression",
    zizmor: None,
    actionlint: Some("expression"),
    summary: "${{ }} expressions: syntax, types, and contexts and functions available where used",
    severity: Severity::Error,
    actionlint_also: &[],
};

/// What GitHub refuses (syntax, unknown functions, contexts where they are not available) or
/// what fails when it runs (a broken `fromJSON` literal, a `format` placeholder without its
/// argument, a wrongly typed input to a reusable workflow) is an error. What it runs is a
/// warning: a property missing from an object reads as null (a typo, or an optional key of a
/// matrix `include`, an output set by the step at run time), doubtful comparisons and
/// conversions.
fn severity(d: &ExprDiag, _value: &str, _in_action: bool) -> Severity {
    match d.kind {
        DiagKind::UndefinedProperty => Severity::Warning,
        DiagKind::Comparison | DiagKind::ArgumentType | DiagKind::TemplateEvaluation => {
            Severity::Warning
        }
        DiagKind::InvalidAccess => Severity::Warning,
        DiagKind::FormatPlaceholder if d.message.contains("does not contain placeholder") => {
            Severity::Warning
        }
        _ => Severity::Error,
    }
}

/// Whether checking `site` reads the type environment: an `if:` condition, or text with `${{`.
fn needs_env(site: &Site<'_>) -> bool {
    site.mode == Mode::Condition || site.node.as_str().is_some_and(|s| has_expr(&s))
}

fn fits(want: Want, ty: &Type) -> bool {
    // `runs-on` may also be an object of a runner group and labels.
    if let (Want::StringOrArray, Type::Object(o)) = (want, ty) {
        return !o.is_strict() || o.props.keys().all(|k| k == "group" || k == "labels");
    }
    matches!(
        (want, ty),
        (_, Type::Any)
            | (Want::Bool, Type::Bool)
            | (Want::Number, Type::Number)
            | (Want::Object, Type::Object(_))
            | (Want::Array, Type::Array(_))
            | (Want::StringOrArray, Type::String | Type::Array(_))
    )
}

struct Checker<'c, 'x> {
    cx: &'c mut Ctx<'x>,
    /// Checking action metadata rather than a workflow.
    in_action: bool,
}

impl Checker<'_, '_> {
    /// The fix replacing bytes `at` of the value `value` of `node` with `text`, when those
    /// bytes are written as they are in the source (no escapes or folding in between).
    fn fix(&self, node: &Node, value: &str, at: crate::expr::Span, text: &str) -> Option<Fix> {
        if node.from_alias {
            return None;
        }
        let written = value.get(at.start..at.end)?;
        let span = value_span(self.cx.source, node, at.start, at.end);
        let source = self.cx.source.get(span.start.offset..span.end.offset)?;
        (source == written).then(|| Fix::replace_span(format!("replace with {text:?}"), span, text))
    }

    /// Checks one site in `env`, whose availability lists it sets for the site (so one
    /// environment serves a whole job without copies); `call` is the reusable workflow a job
    /// calls, for its `with:`.
    fn site(
        &mut self,
        site: &Site<'_>,
        env: &mut TypeEnv,
        call: Option<(&str, &Callee, &Job<'_>)>,
    ) {
        let Some(s) = site.node.as_str() else { return };
        if !needs_env(site) {
            // Text without `${{`: nothing to check but a literal's type against a callee's input.
            if let (Mode::CallWith, Some((uses, callee, job))) = (&site.mode, call) {
                self.call_input(site.node, &TemplateCheck::default(), uses, callee, job);
            }
            return;
        }
        site.scope.apply(env);
        // The file's expressions were parsed once for all rules: check those trees.
        let parsed = self.cx.expressions_of(site.node);
        let known = |at: crate::expr::Span| {
            let p = parsed?.exprs.iter().find(|p| p.at.inner == at)?;
            Some(&p.ast)
        };
        let out: TemplateCheck = match site.mode {
            Mode::Template | Mode::Script | Mode::CallWith => check_template_known(s, env, &known),
            Mode::Plain | Mode::Typed(..) => check_embedded_known(s, env, &known),
            Mode::Condition => check_condition_known(s, env, &known),
        };
        for d in &out.diags {
            let span = value_span(self.cx.source, site.node, d.span.start, d.span.end);
            let mut severity = severity(d, s, self.in_action);
            let mut help = None;
            // Where GitHub evaluates no expression at all, the text is used as written.
            let unevaluated = site.scope == Scope::Key("")
                && matches!(
                    d.kind,
                    DiagKind::ContextNotAllowed | DiagKind::FunctionNotAllowed
                );
            if unevaluated {
                severity = Severity::Warning;
                help = Some(
                    "GitHub does not evaluate ${{ }} here; the text is used as written".into(),
                );
            }
            let fix = d
                .fix
                .as_ref()
                .and_then(|(at, text)| self.fix(site.node, s, *at, text));
            let help = help.or_else(|| d.help.clone());
            self.cx
                .report_fix(severity, span, d.message.clone(), help, fix);
        }
        if !out.ok() {
            return;
        }
        match &site.mode {
            Mode::Typed(want, label) => {
                let Some(ty) = whole_type(&out, s) else {
                    return;
                };
                if fits(*want, ty) {
                    return;
                }
                let w = want.name();
                let msg = match label {
                    Label::Bare => format!("type of expression must be {w} but found type {ty}"),
                    Label::Input(n) => {
                        format!("type of input {n:?} must be {w} but found type {ty}")
                    }
                    Label::At(what) if *want == Want::StringOrArray => format!(
                        "type of expression at {what:?} must be {w} but found type \"{ty}\""
                    ),
                    Label::At(what) => {
                        format!("type of expression at {what:?} must be {w} but found type {ty}")
                    }
                };
                self.cx.report(site.node.span, msg);
            }
            Mode::CallWith => {
                if let Some((uses, callee, job)) = call {
                    self.call_input(site.node, &out, uses, callee, job);
                }
            }
            _ => {}
        }
    }

    /// A `with:` value of a job calling a local reusable workflow must fit the input's type.
    fn call_input(
        &mut self,
        v: &Node,
        out: &TemplateCheck,
        uses: &str,
        callee: &Callee,
        job: &Job<'_>,
    ) {
        let entries = job.get("with").and_then(Node::as_map).unwrap_or_default();
        let Some((k, _)) = entries.iter().find(|(_, n)| std::ptr::eq(n, v)) else {
            return;
        };
        let Some(input) = k.as_str().and_then(|k| callee.input(k)) else {
            return;
        };
        if input.ty == Type::Any {
            return;
        }
        let s = v.as_str().unwrap_or_default();
        let ty = match out.exprs.len() {
            0 => match s.trim() {
                "null" | "~" => Type::Null,
                "true" | "false" => Type::Bool,
                t if !t.is_empty() && t.parse::<f64>().is_ok() => Type::Number,
                _ => Type::String,
            },
            _ => whole_type(out, s).cloned().unwrap_or(Type::String),
        };
        if !input.ty.assignable(&ty) {
            // An empty value has no text of its own: point just after the key's colon.
            let span = if s.is_empty() {
                let mut p = k.span.end;
                p.col += 1;
                p.offset += 1;
                crate::workflow::yaml::Span::point(p)
            } else {
                schema::value_span(Some(k), v)
            };
            self.cx.report(
                span,
                format!(
                    "input {:?} is typed as {} by reusable workflow {uses:?}. {ty} value cannot \
                     be assigned",
                    input.name, input.ty
                ),
            );
        }
    }

    fn all(&mut self, sites: &[Site<'_>], env: &mut TypeEnv) {
        for s in sites {
            self.site(s, env, None);
        }
    }
}

impl Rule for Expression {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn workflow(&self, wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        let project = cx.project;
        let base = types::workflow_env(wf, cx.config);
        let mut ck = Checker {
            cx,
            in_action: false,
        };
        ck.all(&sites::workflow_sites(wf), &mut base.clone());
        let mut env = base.clone();
        let mut inputs = ObjectType::default();
        for input in sites::call_input_defaults(wf) {
            env.set_context("inputs", Type::Object(inputs.clone()));
            if let Some(site) = &input.default {
                ck.site(site, &mut env, None);
            }
            inputs.props.insert(input.name, input.ty);
        }
        for job in &wf.jobs {
            let job_sites = sites::job_sites(job);
            let step_sites: Vec<Vec<Site<'_>>> = job.steps.iter().map(sites::step_sites).collect();
            let post_sites = sites::job_post_sites(job);
            let mut env = base.clone();
            // The job's types are built only when an expression of the job can read them.
            let any = |sites: &[Site<'_>]| sites.iter().any(needs_env);
            if any(&job_sites) || step_sites.iter().any(|s| any(s)) || any(&post_sites) {
                env.set_context("needs", types::needs_type(wf, job, project));
                // The clone shares `env`'s contexts; it is gone before `env` changes them.
                let mut strategy = env.clone();
                strategy.set_workflow_key("jobs.<job_id>.strategy");
                let matrix = types::matrix_type(job, &strategy);
                drop(strategy);
                if let Some(m) = matrix {
                    env.set_context("matrix", m);
                }
            }
            let uses = job
                .get("uses")
                .and_then(Node::as_str)
                .filter(|u| u.starts_with("./"));
            let callee = uses.zip(project).map(|(u, p)| (u, p.workflow(u)));
            let call = callee.as_ref().and_then(|(u, c)| match &**c {
                Loaded::Found(c) => Some((*u, c, job)),
                _ => None,
            });
            for s in &job_sites {
                ck.site(s, &mut env, call);
            }
            // `steps` is read by the steps after a step and by the job's outputs.
            let read_until = match any(&post_sites) {
                true => step_sites.len(),
                false => step_sites.iter().rposition(|s| any(s)).unwrap_or(0),
            };
            let mut steps = Arc::new(Type::empty_strict_object());
            for (i, (step, sites)) in job.steps.iter().zip(&step_sites).enumerate() {
                if any(sites) {
                    env.set_context_shared("steps", Arc::clone(&steps));
                    ck.all(sites, &mut env);
                    // The step is added to `steps` in place, not to a copy.
                    env.reset_context("steps");
                }
                if i < read_until {
                    types::add_step(Arc::make_mut(&mut steps), step.node, project);
                }
            }
            env.set_context_shared("steps", steps);
            ck.all(&post_sites, &mut env);
        }
        let outputs = sites::call_output_sites(wf);
        if !outputs.is_empty() {
            let mut env = base;
            env.set_context("jobs", types::jobs_type(wf));
            ck.all(&outputs, &mut env);
        }
    }

    fn action(&self, action: &Action<'_>, cx: &mut Ctx<'_>) {
        let project = cx.project;
        let mut env = types::action_env(action, cx.config);
        let mut ck = Checker {
            cx,
            in_action: true,
        };
        ck.all(&action_sites::action_sites(action), &mut env);
        let mut steps = Type::empty_strict_object();
        if action.using == Some(Using::Composite) {
            let list = action
                .runs
                .and_then(|r| r.get("steps"))
                .and_then(Node::as_seq);
            for step in list.unwrap_or_default() {
                env.set_context("steps", steps.clone());
                ck.all(&action_sites::composite_step_sites(step), &mut env);
                types::add_step(&mut steps, step, project);
            }
        }
        // Only a composite action's outputs take a `value`.
        if action.using == Some(Using::Composite) {
            env.set_context("steps", steps);
            ck.all(&action_sites::output_sites(action), &mut env);
        }
    }
}
