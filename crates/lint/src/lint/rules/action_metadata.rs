//! `action-metadata`: `action.yml`: required keys, inputs and outputs, and `runs` per `using`
//! (JavaScript, composite, Docker).

use crate::lint::schema::{self, Obj, T, check, check_map, opt, req};
use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::action::{Action, Using};
use crate::workflow::yaml::{Kind, Node};

/// The `action-metadata` rule: Action metadata: required keys, inputs, outputs and runs per
/// runtime.
pub struct ActionMetadata;

static META: RuleMeta = RuleMeta {
    id: "action-metadata",
    zizmor: None,
    actionlint: Some("action"),
    summary: "Action metadata: required keys, inputs, outputs and runs per runtime",
    severity: Severity::Error,
    actionlint_also: &["syntax-check"],
};

static INPUT: Obj = Obj {
    label: "input",
    fields: &[
        opt("description", T::Str),
        opt("required", T::Bool),
        opt("default", T::Any),
        opt("deprecationMessage", T::Str),
    ],
    allow_empty: true,
};

static OUTPUT: Obj = Obj {
    label: "output",
    fields: &[opt("description", T::Str), opt("value", T::Str)],
    allow_empty: true,
};

static BRANDING: Obj = Obj {
    label: "branding",
    fields: &[opt("icon", T::NonEmptyStr), opt("color", T::NonEmptyStr)],
    allow_empty: false,
};

static NODE_RUNS: Obj = Obj {
    label: "runs",
    fields: &[
        req("using", T::NonEmptyStr),
        req("main", T::NonEmptyStr),
        opt("pre", T::NonEmptyStr),
        opt("pre-if", T::Str),
        opt("post", T::NonEmptyStr),
        opt("post-if", T::Str),
    ],
    allow_empty: false,
};

static DOCKER_RUNS: Obj = Obj {
    label: "runs",
    fields: &[
        req("using", T::NonEmptyStr),
        req("image", T::NonEmptyStr),
        opt("env", T::Env),
        opt("entrypoint", T::Str),
        opt("pre-entrypoint", T::Str),
        opt("pre-if", T::Str),
        opt("post-entrypoint", T::Str),
        opt("post-if", T::Str),
        opt("args", T::Seq(&T::Str)),
    ],
    allow_empty: false,
};

static COMPOSITE_RUNS: Obj = Obj {
    label: "runs",
    fields: &[req("using", T::NonEmptyStr), req("steps", T::Custom)],
    allow_empty: false,
};

static COMPOSITE_STEP: Obj = Obj {
    label: "step of composite action",
    fields: &[
        opt("name", T::Str),
        opt("id", T::Str),
        opt("if", T::Str),
        opt("run", T::NonEmptyStr),
        opt("shell", T::NonEmptyStr),
        opt("uses", T::NonEmptyStr),
        opt("with", T::Env),
        opt("env", T::Env),
        opt("working-directory", T::NonEmptyStr),
        opt("continue-on-error", T::Bool),
        opt("timeout-minutes", T::Num),
    ],
    allow_empty: false,
};

const ROOT_KEYS: &[&str] = &[
    "name",
    "author",
    "description",
    "inputs",
    "outputs",
    "runs",
    "branding",
];

/// Colours GitHub accepts in `branding.color`.
const COLORS: &[&str] = &[
    "white",
    "black",
    "yellow",
    "blue",
    "green",
    "orange",
    "red",
    "purple",
    "gray-dark",
];

impl Rule for ActionMetadata {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn action(&self, action: &Action<'_>, cx: &mut Ctx<'_>) {
        let root = action.root;
        let Some(entries) = root.as_map() else {
            cx.report(
                root.span,
                format!(
                    "action metadata must be a mapping but got {}",
                    schema::describe(root)
                ),
            );
            return;
        };
        for (k, v) in entries {
            let Some(key) = k.as_str() else { continue };
            match key {
                "name" | "description" => check(cx, key, Some(k), v, T::NonEmptyStr),
                "author" => check(cx, key, Some(k), v, T::Str),
                "inputs" => {
                    check(cx, key, Some(k), v, T::Dict(&T::Any));
                    for (name, input) in v.as_map().unwrap_or(&[]) {
                        if !input.is_null() {
                            check_map(cx, Some(name), input, &INPUT);
                        }
                        if let Some(m) = input.get("deprecationMessage")
                            && m.as_str() == Some("")
                        {
                            cx.report(
                                m.span,
                                format!(
                                    "input {:?} is deprecated but \"deprecationMessage\" is empty",
                                    name.as_str().unwrap_or("")
                                ),
                            );
                        }
                    }
                }
                "outputs" => {
                    check(cx, key, Some(k), v, T::Dict(&T::Any));
                    for (name, output) in v.as_map().unwrap_or(&[]) {
                        if !output.is_null() {
                            check_map(cx, Some(name), output, &OUTPUT);
                        }
                        if action.using == Some(Using::Composite) && output.get("value").is_none() {
                            cx.report(
                                name.span,
                                format!(
                                    "output {:?} of a composite action must have \"value\"",
                                    name.as_str().unwrap_or("")
                                ),
                            );
                        }
                    }
                }
                "runs" => check_runs(cx, k, v),
                "branding" => {
                    check_map(cx, Some(k), v, &BRANDING);
                    if let Some(c) = v.get("color")
                        && let Some(s) = c.as_str()
                        && !COLORS.contains(&s)
                    {
                        cx.report_unknown(
                            cx.default_severity(),
                            c,
                            format!("incorrect color {s:?} at branding.color"),
                            COLORS.iter().copied(),
                            || format!(". available colors are {}", schema::quote_list(COLORS)),
                            None,
                        );
                    }
                }
                _ => cx.report_unknown(
                    cx.default_severity(),
                    k,
                    format!("unexpected key {key:?} for action metadata"),
                    ROOT_KEYS.iter().copied(),
                    || format!(". expected one of {}", schema::quote_list(ROOT_KEYS)),
                    None,
                ),
            }
        }
        let first = entries.first().map_or(root.span, |(k, _)| k.span);
        for key in ["name", "description", "runs"] {
            if root.get(key).is_none() {
                cx.report(first, format!("\"{key}\" is required in action metadata"));
            }
        }
    }
}

fn check_runs(cx: &mut Ctx<'_>, key: &Node, runs: &Node) {
    if runs.as_map().is_none() {
        check(cx, "runs", Some(key), runs, T::Dict(&T::Any));
        return;
    }
    let Some(using_node) = runs.get("using") else {
        cx.report(key.span, "\"using\" is missing in \"runs\" section");
        return;
    };
    let using = using_node.as_str().unwrap_or("");
    let obj = match Using::parse(using) {
        Some(Using::Node) => {
            if using == "node12" || using == "node16" {
                cx.report_with(
                    Severity::Warning,
                    using_node.span,
                    format!("runtime {using:?} is no longer supported by GitHub; actions run on node20 or node24"),
                    Some("set `using: node24`".into()),
                );
            }
            &NODE_RUNS
        }
        Some(Using::Docker) => &DOCKER_RUNS,
        Some(Using::Composite) => &COMPOSITE_RUNS,
        None => {
            cx.report(
                using_node.span,
                format!("invalid runner name {using:?} at runs.using. valid runners are \"composite\", \"docker\", \"node20\", and \"node24\""),
            );
            return;
        }
    };
    check_map(cx, Some(key), runs, obj);
    if std::ptr::eq(obj, &COMPOSITE_RUNS) {
        match runs.get("steps").map(|s| &s.kind) {
            Some(Kind::Seq(steps)) => {
                for step in steps {
                    check_map(cx, None, step, &COMPOSITE_STEP);
                    if step.get("run").is_none() && step.get("uses").is_none() {
                        cx.report(step.span, "step must run script with \"run\" section or run action with \"uses\" section");
                    }
                }
            }
            Some(_) => {
                if let Some(s) = runs.get("steps") {
                    cx.report(
                        s.span,
                        format!(
                            "\"steps\" section must be sequence node but got {}",
                            schema::describe(s)
                        ),
                    );
                }
            }
            None => {}
        }
    }
}
