//! `workflow-schema`: unknown, missing, mistyped and empty keys in every section of a workflow.

use crate::expr::has_expr;
use std::collections::HashMap;

use crate::lint::schema::{self, Field, Obj, T, check, check_map, opt, req};
use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::{Job, Step, Workflow};
use crate::workflow::yaml::{Kind, Node};

/// The `workflow-schema` rule: Workflow keys: unknown, missing, mistyped or empty sections.
pub struct WorkflowSchema;

static META: RuleMeta = RuleMeta {
    id: "workflow-schema",
    zizmor: None,
    actionlint: Some("syntax-check"),
    summary: "Workflow keys: unknown, missing, mistyped or empty sections",
    severity: Severity::Error,
    actionlint_also: &[],
};

static CREDENTIALS: Obj = Obj {
    label: "credentials",
    fields: &[
        opt("username", T::NonEmptyStr),
        opt("password", T::NonEmptyStr),
    ],
    allow_empty: false,
};

const STRINGS: T = T::NonEmptyStr;

static CONTAINER: Obj = Obj {
    label: "container",
    fields: &[
        req("image", T::NonEmptyStr),
        opt("options", T::Str),
        opt("env", T::Env),
        opt("ports", T::Seq(&STRINGS)),
        opt("volumes", T::Seq(&STRINGS)),
        opt("credentials", T::Map(&CREDENTIALS)),
    ],
    allow_empty: false,
};

static SERVICE: Obj = Obj {
    label: "services",
    fields: &[
        req("image", T::NonEmptyStr),
        opt("options", T::Str),
        opt("env", T::Env),
        opt("ports", T::Seq(&STRINGS)),
        opt("volumes", T::Seq(&STRINGS)),
        opt("credentials", T::Map(&CREDENTIALS)),
        opt("entrypoint", T::Str),
        opt("command", T::Str),
    ],
    allow_empty: false,
};

static CONCURRENCY: Obj = Obj {
    label: "concurrency",
    fields: &[
        req("group", T::NonEmptyStr),
        opt("cancel-in-progress", T::Bool),
        opt("queue", T::OneOf(&["single", "max"])),
    ],
    allow_empty: false,
};

static ENVIRONMENT: Obj = Obj {
    label: "environment",
    fields: &[
        req("name", T::NonEmptyStr),
        opt("url", T::Str),
        opt("deployment", T::Bool),
    ],
    allow_empty: false,
};

static STRATEGY: Obj = Obj {
    label: "strategy",
    fields: &[
        opt("fail-fast", T::Bool),
        opt("max-parallel", T::Int),
        opt("matrix", T::Custom),
    ],
    allow_empty: false,
};

static DEFAULTS_RUN: Obj = Obj {
    label: "run",
    fields: &[
        opt("shell", T::NonEmptyStr),
        opt("working-directory", T::NonEmptyStr),
    ],
    allow_empty: false,
};

static DEFAULTS: Obj = Obj {
    label: "defaults",
    fields: &[req("run", T::Map(&DEFAULTS_RUN))],
    allow_empty: false,
};

static RUNS_ON_MAP: Obj = Obj {
    label: "runs-on",
    fields: &[opt("group", T::NonEmptyStr), opt("labels", T::StrOrSeq)],
    allow_empty: false,
};

static SNAPSHOT: Obj = Obj {
    label: "snapshot",
    fields: &[
        req("image-name", T::NonEmptyStr),
        opt("version", T::Str),
        opt("if", T::Str),
    ],
    allow_empty: false,
};

const SERVICE_T: T = T::StrOrMap(&SERVICE);
const OUTPUT_T: T = T::Str;

/// Keys of a job that runs steps.
static JOB: &[Field] = &[
    opt("name", T::Str),
    opt("needs", T::StrOrSeq),
    opt("if", T::Str),
    opt("strategy", T::Map(&STRATEGY)),
    req("runs-on", T::Custom),
    opt("timeout-minutes", T::Num),
    opt("cancel-timeout-minutes", T::Num),
    opt("continue-on-error", T::Bool),
    opt("container", T::StrOrMap(&CONTAINER)),
    opt("services", T::Dict(&SERVICE_T)),
    opt("env", T::Env),
    opt("environment", T::StrOrMap(&ENVIRONMENT)),
    opt("permissions", T::Custom),
    opt("concurrency", T::StrOrMap(&CONCURRENCY)),
    opt("outputs", T::Dict(&OUTPUT_T)),
    opt("defaults", T::Map(&DEFAULTS)),
    req("steps", T::Custom),
    opt("snapshot", T::StrOrMap(&SNAPSHOT)),
];

/// Keys of a job that calls a reusable workflow.
static CALL_JOB: &[Field] = &[
    opt("name", T::Str),
    req("uses", T::NonEmptyStr),
    opt("with", T::Env),
    opt("secrets", T::Custom),
    opt("needs", T::StrOrSeq),
    opt("if", T::Str),
    opt("permissions", T::Custom),
    opt("concurrency", T::StrOrMap(&CONCURRENCY)),
    opt("strategy", T::Map(&STRATEGY)),
];

static RUN_STEP: Obj = Obj {
    label: "step to run shell command",
    fields: &[
        opt("name", T::Str),
        opt("id", T::Str),
        opt("if", T::Str),
        opt("timeout-minutes", T::Num),
        opt("run", T::NonEmptyStr),
        opt("continue-on-error", T::Bool),
        opt("env", T::Env),
        opt("working-directory", T::NonEmptyStr),
        opt("shell", T::NonEmptyStr),
        opt("background", T::Bool),
    ],
    allow_empty: false,
};

static USES_STEP: Obj = Obj {
    label: "step to execute action",
    fields: &[
        opt("name", T::Str),
        opt("id", T::Str),
        opt("if", T::Str),
        opt("continue-on-error", T::Bool),
        opt("timeout-minutes", T::Num),
        opt("uses", T::NonEmptyStr),
        opt("with", T::Env),
        opt("env", T::Env),
        opt("background", T::Bool),
    ],
    allow_empty: false,
};

// Background steps (`background: true` on a run or uses step) are waited for or cancelled by
// steps of their own, shaped as GitHub's workflow schema has them.
static WAIT_STEP: Obj = Obj {
    label: "step to wait for background steps",
    fields: &[
        opt("name", T::Str),
        opt("id", T::Str),
        opt("continue-on-error", T::Bool),
        opt("wait", T::StrOrSeq),
    ],
    allow_empty: false,
};

static WAIT_ALL_STEP: Obj = Obj {
    label: "step to wait for all background steps",
    fields: &[
        opt("name", T::Str),
        opt("id", T::Str),
        opt("continue-on-error", T::Bool),
        opt("wait-all", T::Custom),
    ],
    allow_empty: false,
};

static CANCEL_STEP: Obj = Obj {
    label: "step to cancel a background step",
    fields: &[
        opt("name", T::Str),
        opt("id", T::Str),
        opt("continue-on-error", T::Bool),
        opt("cancel", T::NonEmptyStr),
    ],
    allow_empty: false,
};

static PARALLEL_STEP: Obj = Obj {
    label: "parallel steps",
    fields: &[
        opt("name", T::Str),
        opt("id", T::Str),
        opt("if", T::Str),
        opt("parallel", T::Custom),
        opt("continue-on-error", T::Bool),
        opt("timeout-minutes", T::Num),
    ],
    allow_empty: false,
};

static ROOT: &[Field] = &[
    req("on", T::Custom),
    opt("name", T::Str),
    opt("description", T::Str),
    opt("run-name", T::Str),
    opt("defaults", T::Map(&DEFAULTS)),
    opt("env", T::Env),
    opt("permissions", T::Custom),
    opt("concurrency", T::StrOrMap(&CONCURRENCY)),
    req("jobs", T::Custom),
];

/// A `wait`, `wait-all` or `cancel` step: its shape, and the steps it names, which must be
/// earlier steps of the job with an `id` (GitHub refuses the workflow otherwise). Returns
/// whether the step is one of these.
fn background_control(cx: &mut Ctx<'_>, job: &Job<'_>, step: &Step<'_>) -> bool {
    let node = step.node;
    let (obj, targets): (&Obj, Vec<&Node>) = if let Some(w) = node.get("wait") {
        let targets = match w.as_seq() {
            Some(items) => items.iter().collect(),
            None => vec![w],
        };
        (&WAIT_STEP, targets)
    } else if let Some(w) = node.get("wait-all") {
        let ok = w.is_null() || w.as_str().is_some_and(|v| v == "true" || has_expr(&v));
        if !ok {
            cx.report(w.span, "the value of \"wait-all\" must be true or omitted");
        }
        (&WAIT_ALL_STEP, Vec::new())
    } else if let Some(c) = node.get("cancel") {
        (&CANCEL_STEP, vec![c])
    } else {
        return false;
    };
    check_map(cx, None, node, obj);
    let own = step.id().and_then(Node::as_str);
    let earlier: Vec<&str> = job.steps[..step.index.min(job.steps.len())]
        .iter()
        .filter_map(|s| s.id().and_then(Node::as_str))
        .collect();
    for t in targets {
        let Some(name) = t.as_str() else { continue };
        if has_expr(&name) || name.is_empty() {
            continue;
        }
        let problem = if name.starts_with("__") {
            format!("step ID {name:?} is invalid: IDs starting with \"__\" are reserved by GitHub")
        } else if own.is_some_and(|o| o.eq_ignore_ascii_case(name)) {
            format!("step {name:?} cannot wait for or cancel itself")
        } else if !earlier.contains(&name) {
            format!(
                "step ID {name:?} is not the id of an earlier step of this job; wait and cancel \
                 name background steps that run before them"
            )
        } else {
            continue;
        };
        cx.report(t.span, problem);
    }
    true
}

impl Rule for WorkflowSchema {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn workflow(&self, wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        let root = wf.root;
        let entries = match &root.kind {
            Kind::Map(e) => e,
            _ if root.is_null() => {
                cx.report(root.span, "workflow is empty");
                return;
            }
            _ => {
                cx.report(
                    root.span,
                    format!(
                        "workflow must be a mapping but got {}",
                        schema::describe(root)
                    ),
                );
                return;
            }
        };
        for (k, v) in entries {
            let Some(name) = k.as_str() else { continue };
            match ROOT.iter().find(|f| f.name == name) {
                Some(f) => check(cx, name, Some(k), v, f.ty),
                None if name == "<<" => cx.report(
                    k.span,
                    "GitHub Actions does not support YAML merge key \"<<\"",
                ),
                None => schema::unexpected_key(
                    cx,
                    k,
                    "\"workflow\" section",
                    ROOT.iter().map(|f| f.name),
                ),
            }
        }
        dup_keys(cx, root.get("jobs"), "jobs");
        dup_keys(cx, root.get("env"), "env");
        for ev in ["workflow_call", "workflow_dispatch"] {
            if let Some(cfg) = wf.event(ev).and_then(|e| e.config) {
                for section in ["inputs", "secrets", "outputs"] {
                    dup_keys(cx, cfg.get(section), section);
                }
            }
        }
        let first = entries.first().map(|(k, _)| k.span).unwrap_or(root.span);
        for f in ROOT.iter().filter(|f| f.required) {
            if root.get(f.name).is_none() {
                cx.report(
                    first,
                    format!("\"{}\" section is missing in workflow", f.name),
                );
            }
        }
        if let Some((k, jobs)) = root.entry("jobs") {
            match &jobs.kind {
                Kind::Map(e) if e.is_empty() => cx.report(jobs.span, "\"jobs\" section should not be empty. please remove this section if it's unnecessary"),
                Kind::Map(_) => {}
                _ if jobs.is_null() => cx.report(schema::value_span(Some(k), jobs), "\"jobs\" section should not be empty. please remove this section if it's unnecessary"),
                _ => cx.report(jobs.span, format!("\"jobs\" section is {} but mapping node is expected", schema::describe(jobs))),
            }
        }
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        let Some(entries) = job.node.as_map() else {
            if job.node.is_null() {
                cx.report(
                    job.id_node.span,
                    format!("job {:?} should not be empty", job.id),
                );
            } else {
                cx.report(
                    job.node.span,
                    format!(
                        "job {:?} must be a mapping but got {}",
                        job.id,
                        schema::describe(job.node)
                    ),
                );
            }
            return;
        };
        let call = job.is_call();
        let fields = if call { CALL_JOB } else { JOB };
        for section in ["env", "services", "with", "secrets", "outputs"] {
            dup_keys(cx, job.get(section), section);
        }
        dup_keys(cx, job.get("container").and_then(|c| c.get("env")), "env");
        credentials_complete(cx, job.get("container"));
        for (_, svc) in job.get("services").and_then(Node::as_map).unwrap_or(&[]) {
            credentials_complete(cx, Some(svc));
        }
        if let Some(secrets) = job.get("secrets")
            && call
            && secrets.as_str().is_some_and(|s| s != "inherit")
        {
            cx.report(
                secrets.span,
                format!(
                    "expected mapping node for secrets or \"inherit\" string node but found {:?} node",
                    secrets.as_str().unwrap_or("")
                ),
            );
        }
        for (k, v) in entries {
            let Some(name) = k.as_str() else { continue };
            match fields.iter().find(|f| f.name == name) {
                Some(f) => {
                    check(cx, name, Some(k), v, f.ty);
                    if name == "timeout-minutes" {
                        positive(cx, v, name);
                    }
                }
                None if call && JOB.iter().any(|f| f.name == name) => cx.report(
                    k.span,
                    format!(
                        "when a reusable workflow is called with \"uses\", {name:?} is not available. \
                         only following keys are allowed: \"name\", \"uses\", \"with\", \"secrets\", \
                         \"needs\", \"if\", and \"permissions\" in job {:?}",
                        job.id
                    ),
                ),
                None if !call && CALL_JOB.iter().any(|f| f.name == name) => cx.report(
                    k.span,
                    format!(
                        "{name:?} is only available for a reusable workflow call with \"uses\" but \
                         \"uses\" is not found in job {:?}",
                        job.id
                    ),
                ),
                None => {
                    schema::unexpected_key(cx, k, "\"job\" section", JOB.iter().map(|f| f.name))
                }
            }
        }
        if let Some(s) = job.get("strategy").and_then(|s| s.get("max-parallel")) {
            positive(cx, s, "max-parallel");
        }
        if !call {
            for f in JOB.iter().filter(|f| f.required) {
                if job
                    .get(f.name)
                    .is_none_or(|v| f.name == "steps" && v.is_null())
                {
                    cx.report(
                        job.id_node.span,
                        format!("\"{}\" section is missing in job {:?}", f.name, job.id),
                    );
                }
            }
            if let Some(runs_on) = job.get("runs-on") {
                match &runs_on.kind {
                    Kind::Map(_) => check_map(cx, None, runs_on, &RUNS_ON_MAP),
                    _ => check(
                        cx,
                        "runs-on",
                        job.node.entry("runs-on").map(|(k, _)| k),
                        runs_on,
                        T::StrOrSeq,
                    ),
                }
            }
            if let Some((k, steps)) = job.node.entry("steps") {
                match &steps.kind {
                    Kind::Seq(items) if items.is_empty() => {
                        cx.report(steps.span, "\"steps\" section should not be empty")
                    }
                    Kind::Seq(_) => {}
                    _ if schema::is_whole_expr(steps) => {}
                    _ => cx.report(
                        schema::value_span(Some(k), steps),
                        format!(
                            "\"steps\" section must be sequence node but got {}",
                            schema::describe(steps)
                        ),
                    ),
                }
            }
        }
    }

    fn step(&self, _wf: &Workflow<'_>, job: &Job<'_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        let node = step.node;
        if background_control(cx, job, step) {
            return;
        }
        let Some(entries) = node.as_map() else {
            if node.is_null() || node.as_map().is_some_and(<[_]>::is_empty) {
                cx.report(node.span, "element of \"steps\" section should not be empty. please remove this section if it's unnecessary");
            } else {
                cx.report(
                    node.span,
                    format!(
                        "element of \"steps\" section is {} but mapping node is expected",
                        schema::describe(node)
                    ),
                );
            }
            return;
        };
        if entries.is_empty() {
            cx.report(node.span, "element of \"steps\" section should not be empty. please remove this section if it's unnecessary");
            return;
        }
        dup_keys(cx, node.get("env"), "env");
        dup_keys(cx, node.get("with"), "with");
        if let Some(group) = node.get("parallel") {
            check_map(cx, None, node, &PARALLEL_STEP);
            if group.as_seq().is_none() {
                cx.report(
                    group.span,
                    format!(
                        "\"parallel\" section must be sequence node but got {}",
                        schema::describe(group)
                    ),
                );
            }
            return;
        }
        let run = step.run();
        let uses = step.uses();
        let uses_is_last = match (node.entry("run"), node.entry("uses")) {
            (Some((rk, _)), Some((uk, _))) => {
                // Whichever of the two comes last decides the kind; the other is unexpected.
                let (odd, kind) = if uk.span.start.offset > rk.span.start.offset {
                    (rk, &USES_STEP)
                } else {
                    (uk, &RUN_STEP)
                };
                cx.report(
                    odd.span,
                    format!(
                        "unexpected key {:?} for {}. a step either runs a script with \"run\" or an action with \"uses\", not both",
                        odd.as_str().unwrap_or(""),
                        kind.label
                    ),
                );
                uk.span.start.offset > rk.span.start.offset
            }
            (None, None) => {
                cx.report(
                    node.span,
                    "step must run script with \"run\" section or run action with \"uses\" section",
                );
                false
            }
            (_, u) => u.is_some(),
        };
        let _ = (run, uses);
        let obj = if uses_is_last { &USES_STEP } else { &RUN_STEP };
        for (k, v) in entries {
            let Some(name) = k.as_str() else { continue };
            if (name == "run" || name == "uses") && run.is_some() && uses.is_some() {
                // Already reported above; check the value of the key that counts.
                if let Some(f) = obj.fields.iter().find(|f| f.name == name) {
                    check(cx, name, Some(k), v, f.ty);
                }
                continue;
            }
            match obj.fields.iter().find(|f| f.name == name) {
                Some(f) => check(cx, name, Some(k), v, f.ty),
                None => schema::unexpected_key(
                    cx,
                    k,
                    &format!("\"{}\" section", obj.label),
                    obj.fields.iter().map(|f| f.name),
                ),
            }
        }
        if let Some(t) = node.get("timeout-minutes") {
            positive(cx, t, "timeout-minutes");
        }
    }
}

/// Registry credentials need both halves.
fn credentials_complete(cx: &mut Ctx<'_>, container: Option<&Node>) {
    let Some(container) = container else { return };
    if let Some((k, c)) = container.entry("credentials")
        && c.as_map().is_some_and(|m| !m.is_empty())
        && (c.get("username").is_none() || c.get("password").is_none())
    {
        cx.report(
            k.span,
            "both \"username\" and \"password\" must be specified in \"credentials\" section",
        );
    }
}

/// Up to this many keys, [`dup_keys`] first compares every pair in place: most sections are
/// this small and repeat no key, and the map of spellings costs a string per key.
const SMALL_SECTION: usize = 16;

/// Whether two keys of `entries` are equal ignoring ASCII case (spelled alike or not).
fn any_same_ignoring_case(entries: &[(Node, Node)]) -> bool {
    entries.iter().enumerate().any(|(i, (a, _))| {
        a.as_str().is_some_and(|a| {
            entries[i + 1..]
                .iter()
                .any(|(b, _)| b.as_str().is_some_and(|b| a.eq_ignore_ascii_case(b)))
        })
    })
}

/// Keys that GitHub compares case-insensitively must not repeat in another case.
fn dup_keys(cx: &mut Ctx<'_>, section: Option<&Node>, label: &str) {
    let Some(entries) = section.and_then(Node::as_map) else {
        return;
    };
    if entries.len() <= SMALL_SECTION && !any_same_ignoring_case(entries) {
        return;
    }
    // Each distinct spelling of a key, first occurrence first, under its lowercase form: one
    // pass instead of comparing every key with every earlier one (an `env` of 100,000 keys).
    let mut spellings: HashMap<String, Vec<(&str, &Node)>> = HashMap::new();
    for (k, _) in entries {
        let Some(name) = k.as_str() else { continue };
        let seen = spellings.entry(name.to_ascii_lowercase()).or_default();
        if let Some((_, prev)) = seen.iter().find(|(p, _)| *p != name) {
            cx.report(
                k.span,
                format!(
                    "key {name:?} is duplicated in {label:?} section. previously defined at line:{},col:{}. note that this key is case insensitive",
                    prev.span.start.line, prev.span.start.col
                ),
            );
        }
        if !seen.iter().any(|(p, _)| *p == name) {
            seen.push((name, k));
        }
    }
}

fn positive(cx: &mut Ctx<'_>, v: &Node, name: &str) {
    if let Some(n) = v.as_f64()
        && n <= 0.0
    {
        cx.report(
            v.span,
            format!(
                "value at {name:?} must be greater than zero: {}",
                v.as_str().unwrap_or("")
            ),
        );
    }
}
