//! The types of a workflow's own contexts, built from the workflow (and the local actions and
//! reusable workflows it uses): `inputs`, `secrets`, `needs`, `matrix`, `steps` and `jobs`.
//! Property names are stored in lower case, as the checker looks them up.

use super::{is_whole_expression, whole_type};
use crate::expr::has_expr;
use crate::expr::{ObjectType, Type, TypeEnv, check_embedded};
use crate::lint::Config;
use crate::lint::popular_actions;
use crate::lint::project::Project;
use crate::workflow::action::Action;
use crate::workflow::model::{Job, Workflow};
use crate::workflow::yaml::{Kind, Node};

fn lower(n: &Node) -> Option<String> {
    n.as_str().map(str::to_ascii_lowercase)
}

fn strings<'a>(names: impl IntoIterator<Item = &'a str>) -> ObjectType {
    ObjectType::strict(
        names
            .into_iter()
            .map(|n| (n.to_ascii_lowercase(), Type::String)),
    )
}

fn keys(n: Option<&Node>) -> Vec<&str> {
    n.and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, _)| k.as_str())
        .collect()
}

/// The environment every expression of `wf` starts from: built-in contexts, `inputs` of
/// `workflow_dispatch` and `workflow_call`, `secrets` of `workflow_call`, and the declared
/// configuration variables.
pub fn workflow_env(wf: &Workflow<'_>, config: &Config) -> TypeEnv {
    let mut env = TypeEnv::new();
    env.set_config_vars(config.config_variables.clone());
    for t in &wf.events {
        let inputs = t
            .config
            .and_then(|c| c.get("inputs"))
            .and_then(Node::as_map);
        let typed =
            |map: fn(Option<&str>) -> Type| {
                ObjectType::strict(inputs.unwrap_or_default().iter().filter_map(|(k, v)| {
                    Some((lower(k)?, map(v.get("type").and_then(Node::as_str))))
                }))
            };
        match t.name {
            "workflow_dispatch" => env.add_dispatch_inputs(typed(|t| match t {
                Some("boolean") => Type::Bool,
                Some("number") => Type::Number,
                Some("string" | "choice" | "environment") => Type::String,
                _ => Type::Any,
            })),
            "workflow_call" => {
                env.add_inputs(typed(|t| match t {
                    Some("boolean") => Type::Bool,
                    Some("number") => Type::Number,
                    Some("string") => Type::String,
                    _ => Type::Any,
                }));
                if let Some(secrets) = t.config.and_then(|c| c.get("secrets")) {
                    env.set_workflow_call_secrets(&keys(Some(secrets)));
                }
            }
            _ => {}
        }
    }
    env
}

/// The type of the outputs of the job calling reusable workflow `uses`: its declared outputs
/// when it is local and readable, else any string.
fn call_outputs(uses: Option<&Node>, project: Option<&Project>) -> Type {
    let callee = uses
        .and_then(Node::as_str)
        .filter(|u| u.starts_with("./") && !has_expr(&u))
        .zip(project)
        .map(|(u, p)| p.workflow(u));
    match callee.as_deref().and_then(|c| c.found()) {
        Some(c) => Type::Object(strings(c.outputs.iter().map(String::as_str))),
        None => Type::map(Type::String),
    }
}

/// `needs` of `job`: each job it needs, with its declared outputs and its result.
pub fn needs_type(wf: &Workflow<'_>, job: &Job<'_>, project: Option<&Project>) -> Type {
    let mut props = Vec::new();
    for n in &job.needs {
        let Some(id) = n.as_str() else { continue };
        let Some(needed) = wf.jobs.iter().find(|j| j.id.eq_ignore_ascii_case(id)) else {
            continue;
        };
        if needed.id.eq_ignore_ascii_case(job.id) {
            continue;
        }
        let outputs = if needed.is_call() {
            call_outputs(needed.get("uses"), project)
        } else {
            Type::Object(strings(keys(needed.get("outputs"))))
        };
        let entry = Type::strict_object([("outputs", outputs), ("result", Type::String)]);
        props.push((id.to_ascii_lowercase(), entry));
    }
    Type::strict_object(props)
}

/// `jobs` of `on.workflow_call.outputs.<id>.value`: every job with its outputs and result.
pub fn jobs_type(wf: &Workflow<'_>) -> Type {
    Type::strict_object(wf.jobs.iter().map(|j| {
        let outputs = if j.is_call() {
            Type::loose_object::<&str>([])
        } else {
            Type::Object(strings(keys(j.get("outputs"))))
        };
        let entry = Type::strict_object([("outputs", outputs), ("result", Type::String)]);
        (j.id.to_ascii_lowercase(), entry)
    }))
}

/// The type of one string of a matrix: a single expression's type, else the YAML value's.
fn matrix_string(s: &str, env: &TypeEnv) -> Type {
    if is_whole_expression(s) {
        let out = check_embedded(s, env);
        return whole_type(&out, s).cloned().unwrap_or(Type::Any);
    }
    Type::of_scalar(s)
}

/// The type of a YAML value written in a matrix.
fn raw_type(n: &Node, env: &TypeEnv) -> Type {
    match &n.kind {
        Kind::Scalar { value, .. } => matrix_string(value, env),
        Kind::Seq(items) => {
            let mut elems = items.iter().map(|i| raw_type(i, env));
            let first = elems.next().unwrap_or(Type::Any);
            Type::array(elems.fold(first, Type::merge))
        }
        Kind::Map(entries) => Type::strict_object(
            entries
                .iter()
                .filter_map(|(k, v)| Some((lower(k)?, raw_type(v, env)))),
        ),
    }
}

/// `matrix` of a job with `strategy.matrix`, typed from its rows and `include`; `env` is the
/// environment at `jobs.<job_id>.strategy`. `None` when the job has no matrix.
pub fn matrix_type(job: &Job<'_>, env: &TypeEnv) -> Option<Type> {
    let m = job.get("strategy")?.get("matrix")?;
    let Some(entries) = m.as_map() else {
        let Type::Object(mut o) = matrix_string(m.as_str()?, env) else {
            return Some(Type::loose_object::<&str>([]));
        };
        let include = o.props.remove("include");
        o.props.remove("exclude");
        let mut ty = Type::Object(o);
        if let Some(Type::Array(a)) = include
            && let Type::Object(_) = *a.elem
        {
            ty = ty.merge(*a.elem);
        }
        return Some(ty);
    };
    let mut o = Type::empty_strict_object();
    for (k, v) in entries {
        let Some(name) = lower(k) else { continue };
        if name == "include" || name == "exclude" {
            continue;
        }
        let row = match raw_type(v, env) {
            Type::Array(a) => *a.elem,
            _ => Type::Any,
        };
        if let Some(obj) = o.as_object_mut() {
            obj.props.insert(name, row);
        }
    }
    let Some(include) = m.get("include") else {
        return Some(o);
    };
    let Some(items) = include.as_seq() else {
        return Some(match raw_type(include, env) {
            Type::Array(a) if matches!(*a.elem, Type::Object(_)) => o.merge(*a.elem),
            _ => Type::loose_object::<&str>([]),
        });
    };
    for item in items {
        match raw_type(item, env) {
            Type::Object(add) if item.as_map().is_some() => {
                let Some(obj) = o.as_object_mut() else { break };
                for (k, t) in add.props {
                    let merged = match obj.props.remove(&k) {
                        Some(cur) => cur.merge(t),
                        None => t,
                    };
                    obj.props.insert(k, merged);
                }
            }
            t @ Type::Object(_) => o = o.merge(t),
            _ => {
                if let Some(obj) = o.as_object_mut() {
                    obj.make_loose();
                }
            }
        }
    }
    Some(o)
}

/// The outputs of the action a step runs (`uses`): declared outputs of a local action or a
/// popular action, anything for `actions/github-script`, else any string.
pub fn action_outputs(uses: Option<&str>, project: Option<&Project>) -> Type {
    let Some(uses) = uses.filter(|u| !has_expr(&u)) else {
        return Type::map(Type::String);
    };
    if uses.starts_with("./") {
        let action = project.map(|p| p.action(uses));
        return match action.as_deref().and_then(|a| a.found()) {
            Some(a) => Type::Object(strings(a.outputs.iter().map(String::as_str))),
            None => Type::map(Type::String),
        };
    }
    if uses.starts_with("actions/github-script@") {
        return Type::loose_object::<&str>([]);
    }
    match popular_actions::lookup(uses) {
        Some(a) if a.dynamic_outputs => Type::loose_object::<&str>([]),
        Some(a) => Type::Object(strings(a.outputs.iter().copied())),
        None => Type::map(Type::String),
    }
}

/// Adds the step `step` (a mapping) to `steps` when it has an id: its outputs, outcome and
/// conclusion. A computed id makes `steps` loose, since any id may exist.
pub fn add_step(steps: &mut Type, step: &Node, project: Option<&Project>) {
    let Some(id) = step.get("id").and_then(Node::as_str) else {
        return;
    };
    let Some(obj) = steps.as_object_mut() else {
        return;
    };
    if has_expr(&id) {
        obj.make_loose();
    }
    let uses = step.get("uses").and_then(Node::as_str);
    let entry = Type::strict_object([
        ("outputs", action_outputs(uses, project)),
        ("conclusion", Type::String),
        ("outcome", Type::String),
    ]);
    obj.props.insert(id.to_ascii_lowercase(), entry);
}

/// The environment of action metadata: `inputs` are the declared inputs (strings).
pub fn action_env(action: &Action<'_>, config: &Config) -> TypeEnv {
    let mut env = TypeEnv::new();
    env.set_config_vars(config.config_variables.clone());
    env.set_context(
        "inputs",
        Type::Object(strings(action.inputs().into_iter().map(|(n, _)| n))),
    );
    env
}
