//! The string values of action metadata (`action.yml`) that may hold expressions.
//!
//! Action metadata has no availability table of its own in GitHub's docs; the lists here follow
//! the runner's action manifest schema, leaning towards allowing a context when unsure (a
//! missed report is better than a false one). `secrets` is never available in an action.

use super::{Mode, Scope, Site};
use crate::workflow::action::Action;
use crate::workflow::yaml::{Kind, Node};

const STEP: &[&str] = &[
    "env", "github", "inputs", "job", "matrix", "runner", "steps", "strategy", "vars",
];
const NO_STEPS: &[&str] = &[
    "env", "github", "inputs", "job", "matrix", "runner", "strategy", "vars",
];
const INPUT_DEFAULT: &[&str] = &["github", "job", "matrix", "runner", "strategy", "vars"];
const HASH_FILES: &[&str] = &["hashfiles"];
const CONDITION: &[&str] = &["always", "cancelled", "failure", "hashfiles", "success"];

fn add<'a>(out: &mut Vec<Site<'a>>, n: Option<&'a Node>, scope: Scope, mode: Mode) {
    if let Some(s) = n.and_then(|n| Site::new(n, scope, mode)) {
        out.push(s);
    }
}

fn all<'a>(out: &mut Vec<Site<'a>>, n: Option<&'a Node>, scope: Scope) {
    let Some(n) = n else { return };
    match &n.kind {
        Kind::Scalar { .. } => add(out, Some(n), scope, Mode::Template),
        Kind::Seq(items) => items.iter().for_each(|i| all(out, Some(i), scope)),
        Kind::Map(entries) => entries.iter().for_each(|(_, v)| all(out, Some(v), scope)),
    }
}

/// Input defaults and the Docker and JavaScript `runs` values (not composite steps or
/// outputs: see [`composite_step_sites`] and [`output_sites`]).
pub fn action_sites<'a>(action: &Action<'a>) -> Vec<Site<'a>> {
    let mut out = Vec::new();
    for (_, input) in action.inputs() {
        let scope = Scope::List(INPUT_DEFAULT, HASH_FILES);
        add(&mut out, input.get("default"), scope, Mode::Template);
    }
    if let Some(runs) = action.runs {
        all(&mut out, runs.get("env"), Scope::List(NO_STEPS, &[]));
        all(&mut out, runs.get("args"), Scope::List(NO_STEPS, &[]));
        for k in ["pre-if", "post-if"] {
            add(
                &mut out,
                runs.get(k),
                Scope::List(NO_STEPS, CONDITION),
                Mode::Condition,
            );
        }
    }
    out
}

/// The values of one step of a composite action.
pub fn composite_step_sites(step: &Node) -> Vec<Site<'_>> {
    let mut out = Vec::new();
    let scope = Scope::List(STEP, HASH_FILES);
    add(
        &mut out,
        step.get("if"),
        Scope::List(STEP, CONDITION),
        Mode::Condition,
    );
    add(&mut out, step.get("run"), scope, Mode::Script);
    for k in ["name", "shell", "working-directory", "uses", "id"] {
        add(&mut out, step.get(k), scope, Mode::Template);
    }
    for k in ["continue-on-error", "timeout-minutes"] {
        add(&mut out, step.get(k), scope, Mode::Plain);
    }
    all(&mut out, step.get("with"), scope);
    all(&mut out, step.get("env"), scope);
    out
}

/// `outputs.<id>.value`, which see every step.
pub fn output_sites<'a>(action: &Action<'a>) -> Vec<Site<'a>> {
    let mut out = Vec::new();
    let outputs = action.root.get("outputs").and_then(Node::as_map);
    for (_, o) in outputs.unwrap_or_default() {
        add(
            &mut out,
            o.get("value"),
            Scope::List(STEP, &[]),
            Mode::Template,
        );
    }
    out
}
