//! `action`: the action a step runs (`uses:`). A local action (`./path`) is read from the
//! repository: its metadata must be valid, and the step's `with:` must match its inputs. A
//! popular action at a known version (`actions/checkout@v4`, ...) is checked against the
//! inputs that version declares, and flagged when it runs on a retired Node.js runtime.

use crate::expr::has_expr;
use std::collections::HashSet;

use crate::expr::quote_list;
use crate::lint::popular_actions;
use crate::lint::project::{Loaded, LocalAction};
use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::action::{Action, Using};
use crate::workflow::model::Workflow;
use crate::workflow::yaml::Node;

/// The `action` rule: Actions run by steps: local action metadata, inputs of local and popular
/// actions.
pub struct ActionRule;

static META: RuleMeta = RuleMeta {
    id: "action",
    zizmor: None,
    actionlint: Some("action"),
    summary: "Actions run by steps: local action metadata, inputs of local and popular actions",
    severity: Severity::Error,
    actionlint_also: &[],
};

/// One input as both kinds of metadata describe it.
struct Input<'a> {
    name: &'a str,
    required: bool,
    deprecation: Option<&'a str>,
}

/// Checks `with:` of `step` against `inputs`; `what` names the action in messages.
fn check_inputs(cx: &mut Ctx<'_>, step: &Node, uses: &Node, inputs: &[Input<'_>], what: &str) {
    let with = step.get("with").and_then(Node::as_map).unwrap_or_default();
    let mut names: Vec<&str> = inputs.iter().map(|i| i.name).collect();
    names.sort_unstable();
    for (k, _) in with {
        let Some(key) = k.as_str() else { continue };
        // The runner only warns about an input the action does not declare ("Unexpected
        // input(s)") and runs the step: a warning here too.
        let Some(input) = inputs.iter().find(|i| i.name.eq_ignore_ascii_case(key)) else {
            cx.report_unknown(
                Severity::Warning,
                k,
                format!("input {key:?} is not defined in action {what}"),
                names.iter().copied(),
                || format!(". available inputs are {}", quote_list(&names)),
                None,
            );
            continue;
        };
        if let Some(msg) = input.deprecation.filter(|_| !input.required) {
            let msg = msg
                .trim_end_matches(['.', ' '])
                .split_whitespace()
                .collect::<Vec<_>>();
            let mut text = format!("avoid using deprecated input {key:?} in action {what}");
            if !msg.is_empty() {
                text = format!("{text}: {}", msg.join(" "));
            }
            cx.report_with(Severity::Warning, k.span, text, None);
        }
    }
    let given = |n: &str| {
        with.iter()
            .any(|(k, _)| k.as_str().is_some_and(|k| k.eq_ignore_ascii_case(n)))
    };
    let mut required: Vec<&str> = inputs
        .iter()
        .filter(|i| i.required)
        .map(|i| i.name)
        .collect();
    required.sort_unstable();
    // The runner does not enforce `required:` either: the action gets an empty input. Most
    // actions then fail, some take the empty value; GitHub runs the step, so a warning.
    for name in required.iter().filter(|n| !given(n)) {
        cx.report_with(
            Severity::Warning,
            uses.span,
            format!(
                "missing input {name:?} which is required by action {what}. all required inputs \
                 are {}",
                quote_list(&required)
            ),
            None,
        );
    }
}

/// Checks a step running local action `spec`. Problems of the action itself are reported at
/// its first use in the file only (`seen` holds the actions already reported).
fn local(cx: &mut Ctx<'_>, step: &Node, uses: &Node, spec: &str, seen: &mut HashSet<String>) {
    let Some(project) = cx.project else { return };
    let loaded = project.action(spec);
    let first = seen.insert(spec.to_string());
    let action: &LocalAction = match &*loaded {
        Loaded::Found(a) => a,
        Loaded::Absent(_) => return,
        Loaded::Invalid(why) => {
            if first {
                cx.report(uses.span, why.clone());
            }
            return;
        }
    };
    for p in action.problems().into_iter().filter(|_| first) {
        let severity = if p.warning {
            Severity::Warning
        } else {
            Severity::Error
        };
        cx.report_with(severity, uses.span, p.message, None);
    }
    let docker = action.runs.using == "docker";
    let mut inputs: Vec<Input<'_>> = action
        .inputs
        .iter()
        .map(|i| Input {
            name: &i.name,
            required: i.required,
            deprecation: i.deprecated.then_some(i.deprecation_message.as_str()),
        })
        .collect();
    // A Docker action's container takes `with.args` and `with.entrypoint` besides its inputs.
    for extra in ["args", "entrypoint"] {
        if docker && !inputs.iter().any(|i| i.name.eq_ignore_ascii_case(extra)) {
            inputs.push(Input {
                name: extra,
                required: false,
                deprecation: None,
            });
        }
    }
    let what = format!("{:?} defined at {spec:?}", action.name);
    check_inputs(cx, step, uses, &inputs, &what);
}

fn popular(cx: &mut Ctx<'_>, step: &Node, uses: &Node, spec: &str) {
    let Some(entry) = popular_actions::lookup(spec) else {
        return;
    };
    if entry.old_runtime {
        cx.report_with(
            Severity::Warning,
            uses.span,
            format!(
                "the runner of {spec:?} action is too old to run on GitHub Actions: it targets a \
                 Node.js version GitHub retired. update the action's version to fix this issue"
            ),
            None,
        );
    }
    if entry.any_input {
        return;
    }
    let inputs: Vec<Input<'_>> = entry
        .inputs
        .iter()
        .map(|i| Input {
            name: i.name,
            required: i.required,
            deprecation: i.deprecation,
        })
        .collect();
    check_inputs(cx, step, uses, &inputs, &format!("{spec:?}"));
}

fn check_step(cx: &mut Ctx<'_>, step: &Node, seen: &mut HashSet<String>) {
    let Some(uses) = step.get("uses") else { return };
    let Some(spec) = uses.as_str() else { return };
    if has_expr(&spec) {
        return;
    }
    if spec.starts_with("./") {
        local(cx, step, uses, spec, seen);
    } else if let Some(image) = spec.strip_prefix("docker://") {
        if let Some(name) = image.strip_suffix(':').filter(|n| !n.contains(':')) {
            cx.report(
                uses.span,
                format!("tag of Docker action should not be empty: \"docker://{name}\""),
            );
        }
    } else {
        popular(cx, step, uses, spec);
    }
}

impl Rule for ActionRule {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn workflow(&self, wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        let mut seen = HashSet::new();
        for step in wf.jobs.iter().flat_map(|j| &j.steps) {
            check_step(cx, step.node, &mut seen);
        }
    }

    fn action(&self, action: &Action<'_>, cx: &mut Ctx<'_>) {
        if action.using != Some(Using::Composite) {
            return;
        }
        let steps = action
            .runs
            .and_then(|r| r.get("steps"))
            .and_then(Node::as_seq);
        let mut seen = HashSet::new();
        for step in steps.unwrap_or_default() {
            check_step(cx, step, &mut seen);
        }
    }
}
