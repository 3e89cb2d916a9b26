//! `script-injection`: a `${{ }}` expression inside code: a `run:` script, or an input that
//! an action runs as code (`actions/github-script`'s `script`, `azure/cli`'s `inlineScript`,
//! ... [`crate::lint::sec::data::sinks`]), in workflows and composite actions alike. GitHub
//! substitutes the text before the shell or interpreter reads it, so whoever controls the value
//! writes part of the program.
//!
//! Each context that reaches the value is rated as zizmor's `template-injection` rates it
//! ([`crate::lint::sec::taint`]): an issue title or a branch name high (a warning), an
//! undeclared input or a computed `env` value low, a step's output informational (notes).
//! Secrets, fixed values (numbers, SHAs, booleans) and values set in the file are left alone.
//! In a bash, sh or PowerShell `run:` script, `--fix` moves the expression to the step's
//! `env:` and reads the variable instead ([`crate::lint::sec::env_fix`]).

use crate::expr::untrusted::{UntrustedSet, find_untrusted};
use crate::lint::sec::data::sinks::CODE_INPUTS;
use crate::lint::sec::env_fix::{self, Injection};
use crate::lint::sec::taint::{self, Scope};
use crate::lint::sec::{self};
use crate::lint::{Audit, AuditSeverity, Confidence, Ctx, Rule, RuleMeta, Severity};
use crate::workflow::action::Action;
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::position::value_span;
use crate::workflow::yaml::Node;

/// The `script-injection` rule: ${{ }} expanded into a run script or an action's code input
/// (template injection).
pub struct ScriptInjection;

static META: RuleMeta = RuleMeta {
    id: "script-injection",
    zizmor: Some("template-injection"),
    actionlint: Some("expression"),
    summary: "${{ }} expanded into a run script or an action's code input (template injection)",
    severity: Severity::Warning,
    actionlint_also: &[],
};

/// Which interpreter reads the code, for the message and the hint.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Code<'a> {
    /// A `run:` script.
    Run,
    /// An input an action runs as code (`with.<name>`).
    Input(&'a str),
}

/// The code of a step: its `run:`, or the code inputs of a known action.
fn code_of(step: &Node) -> Vec<(&Node, Code<'static>)> {
    let mut out = Vec::new();
    if let Some(run) = step.get("run") {
        out.push((run, Code::Run));
    }
    // `with:` first: most steps have none, and the list of actions is long.
    if let Some(with) = step.get("with")
        && let Some((uses, _)) = sec::step_uses(step)
        && let Some((_, inputs)) = uses.find_in(CODE_INPUTS, |(a, _)| a)
    {
        for input in inputs.iter() {
            if let Some(v) = with.get(input) {
                out.push((v, Code::Input(input)));
            }
        }
    }
    out
}

fn message(text: &str, severity: AuditSeverity, code: Code<'_>) -> String {
    let place = match code {
        Code::Run => "the script".to_string(),
        Code::Input(i) => format!("the action's `{i}` code"),
    };
    match severity {
        AuditSeverity::High => format!(
            "`{text}` can be chosen by whoever triggers the workflow, and is pasted into \
             {place} before it runs"
        ),
        AuditSeverity::Medium => format!(
            "`{text}` is not fixed text (a URL or address someone chooses part of, or a value \
             an expression computes), and is pasted into {place} before it runs"
        ),
        AuditSeverity::Low => {
            format!("`{text}` is not a fixed value here, and is pasted into {place} before it runs")
        }
        AuditSeverity::Informational => format!(
            "`{text}` is pasted into {place} before it runs: if it ever holds untrusted text, \
             that text runs as code"
        ),
    }
}

fn help(code: Code<'_>) -> &'static str {
    match code {
        Code::Run => {
            "pass it through `env:` and read the variable: `env: { NAME: ${{ ... }} }` on the \
             step, then \"${NAME}\" in the script (`lint --fix` does this)"
        }
        Code::Input(_) => {
            "pass it through `env:` and read the variable from the environment \
             (`process.env.NAME` in github-script)"
        }
    }
}

/// Whether a scalar equal to the alias `node` sits, not aliased, where code goes (so that its
/// findings are already there).
fn anchor_reported(cx: &Ctx<'_>, node: &Node) -> bool {
    let value = node.as_str();
    cx.expressions().iter().any(|s| {
        !s.node.from_alias
            && s.node.as_str() == value
            && s.key.is_some_and(|k| {
                k == "run" || CODE_INPUTS.iter().any(|(_, inputs)| inputs.contains(&k))
            })
    })
}

fn check(cx: &mut Ctx<'_>, scope: &Scope<'_>, shell: &str) {
    for (node, code) in code_of(scope.step) {
        // An alias repeats its anchor: reported once, where the anchor is, when the anchor
        // is code too.
        if node.from_alias && anchor_reported(cx, node) {
            continue;
        }
        let Some(site) = cx.expressions_of(node) else {
            continue;
        };
        let value = node.as_str().unwrap_or_default();
        for p in site.exprs.iter().filter(|p| p.fenced) {
            let inner = p.at.inner_text(value);
            let mut flows = Vec::new();
            taint::dataflow(&p.ast, &mut flows);
            // actionlint's words for the inputs it knows, so its users see the same message.
            let actionlint = find_untrusted(&p.ast, UntrustedSet::Actionlint);
            let mut fixable = code == Code::Run;
            // actionlint also looks inside computed indices (`pages[x.title]`): what it finds
            // there that does not reach the value directly is reported too.
            for d in &actionlint {
                if !flows.iter().any(|c| c.span.start == d.span.start) {
                    let (start, end) = (
                        p.at.inner.start + d.span.start,
                        p.at.inner.start + d.span.end,
                    );
                    cx.audit(
                        Audit::new(AuditSeverity::High, Confidence::High),
                        value_span(cx.source, node, start, end),
                        d.message.clone(),
                        help(code),
                    )
                    .scope = Some(scope.step.span);
                }
            }
            for context in flows {
                let Some(mut audit) = taint::rate(scope, context, inner) else {
                    continue;
                };
                if actionlint
                    .iter()
                    .any(|d| d.span.start == context.span.start)
                {
                    audit = Audit::new(AuditSeverity::High, Confidence::High);
                }
                let (start, end) = (
                    p.at.inner.start + context.span.start,
                    p.at.inner.start + context.span.end,
                );
                let text = value.get(start..end).unwrap_or_default();
                let fix = if std::mem::take(&mut fixable) {
                    env_fix::fix(
                        cx.source,
                        &Injection {
                            step: scope.step,
                            job: scope.job,
                            workflow: scope.workflow.map(|w| w.root),
                            run: node,
                            shell,
                            whole: (p.at.whole.start, p.at.whole.end),
                            ast: &p.ast,
                            inner,
                        },
                    )
                } else {
                    None
                };
                let known = actionlint
                    .iter()
                    .find(|d| d.span.start == context.span.start)
                    .map(|d| d.message.clone());
                let f = cx.audit(
                    audit,
                    value_span(cx.source, node, start, end),
                    known.unwrap_or_else(|| message(text, audit.severity, code)),
                    help(code),
                );
                f.scope = Some(scope.step.span);
                f.fix = fix;
            }
        }
    }
}

impl Rule for ScriptInjection {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn step(&self, wf: &Workflow<'_>, job: &Job<'_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        let scope = Scope {
            workflow: Some(wf),
            job: Some(job.node),
            step: step.node,
            action_inputs: None,
        };
        let shell = sec::shell_of(Some(wf), Some(job.node), step.node);
        check(cx, &scope, shell);
    }

    fn action(&self, action: &Action<'_>, cx: &mut Ctx<'_>) {
        let inputs: Vec<&str> = action.inputs().into_iter().map(|(n, _)| n).collect();
        for step in sec::composite_steps(action) {
            let scope = Scope {
                workflow: None,
                job: None,
                step,
                action_inputs: Some(&inputs),
            };
            let shell = sec::shell_of(None, None, step);
            check(cx, &scope, shell);
        }
    }
}
