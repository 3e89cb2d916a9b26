//! `events`: the `on:` section: event names, their filters and activity types, and the inputs,
//! secrets and outputs of `workflow_dispatch` and `workflow_call`.

use crate::lint::schema::{self, T, check, has_expr};
use crate::lint::{Ctx, Rule, RuleMeta, Severity};
use crate::workflow::model::Workflow;
use crate::workflow::yaml::{Kind, Node, ScalarType};

/// The `events` rule: Triggers: known events, valid filters and activity types, dispatch and call
/// inputs.
pub struct Events;

static META: RuleMeta = RuleMeta {
    id: "events",
    zizmor: None,
    actionlint: Some("events"),
    summary: "Triggers: known events, valid filters and activity types, dispatch and call inputs",
    severity: Severity::Error,
    actionlint_also: &["syntax-check"],
};

/// An event GitHub can trigger a workflow on: its name, the keys its mapping takes, and its
/// activity types (empty when any value is accepted, as for `repository_dispatch`).
struct EventDef {
    name: &'static str,
    keys: &'static [&'static str],
    types: &'static [&'static str],
}

const TY: &[&str] = &["types"];
const CRUD: &[&str] = &["created", "edited", "deleted"];
const PR_TYPES: &[&str] = &[
    "assigned",
    "unassigned",
    "labeled",
    "unlabeled",
    "opened",
    "edited",
    "closed",
    "reopened",
    "synchronize",
    "converted_to_draft",
    "locked",
    "unlocked",
    "enqueued",
    "dequeued",
    "milestoned",
    "demilestoned",
    "ready_for_review",
    "review_requested",
    "review_request_removed",
    "auto_merge_enabled",
    "auto_merge_disabled",
    "stacked",
];
const PR_KEYS: &[&str] = &[
    "types",
    "branches",
    "branches-ignore",
    "paths",
    "paths-ignore",
];

static EVENTS: &[EventDef] = &[
    EventDef {
        name: "branch_protection_rule",
        keys: TY,
        types: CRUD,
    },
    EventDef {
        name: "check_run",
        keys: TY,
        types: &["completed", "created", "rerequested", "requested_action"],
    },
    EventDef {
        name: "check_suite",
        keys: TY,
        types: &["completed"],
    },
    EventDef {
        name: "create",
        keys: &[],
        types: &[],
    },
    EventDef {
        name: "delete",
        keys: &[],
        types: &[],
    },
    EventDef {
        name: "deployment",
        keys: &[],
        types: &[],
    },
    EventDef {
        name: "deployment_status",
        keys: &[],
        types: &[],
    },
    EventDef {
        name: "discussion",
        keys: TY,
        types: &[
            "created",
            "edited",
            "deleted",
            "transferred",
            "pinned",
            "unpinned",
            "labeled",
            "unlabeled",
            "locked",
            "unlocked",
            "category_changed",
            "answered",
            "unanswered",
        ],
    },
    EventDef {
        name: "discussion_comment",
        keys: TY,
        types: CRUD,
    },
    EventDef {
        name: "fork",
        keys: &[],
        types: &[],
    },
    EventDef {
        name: "gollum",
        keys: &[],
        types: &[],
    },
    EventDef {
        name: "image_version",
        keys: &["types", "names", "versions"],
        types: &["created", "ready", "deleted"],
    },
    EventDef {
        name: "issue_comment",
        keys: TY,
        types: CRUD,
    },
    EventDef {
        name: "issues",
        keys: TY,
        types: &[
            "opened",
            "edited",
            "deleted",
            "transferred",
            "pinned",
            "unpinned",
            "closed",
            "reopened",
            "assigned",
            "unassigned",
            "labeled",
            "unlabeled",
            "locked",
            "unlocked",
            "milestoned",
            "demilestoned",
            "field_added",
            "field_removed",
            "typed",
            "untyped",
        ],
    },
    EventDef {
        name: "label",
        keys: TY,
        types: CRUD,
    },
    EventDef {
        name: "merge_group",
        keys: &["types", "branches", "branches-ignore"],
        types: &["checks_requested"],
    },
    EventDef {
        name: "milestone",
        keys: TY,
        types: &["created", "closed", "opened", "edited", "deleted"],
    },
    EventDef {
        name: "page_build",
        keys: &[],
        types: &[],
    },
    EventDef {
        name: "project",
        keys: TY,
        types: &["created", "closed", "reopened", "edited", "deleted"],
    },
    EventDef {
        name: "project_card",
        keys: TY,
        types: &["created", "moved", "converted", "edited", "deleted"],
    },
    EventDef {
        name: "project_column",
        keys: TY,
        types: &["created", "updated", "moved", "deleted"],
    },
    EventDef {
        name: "public",
        keys: &[],
        types: &[],
    },
    EventDef {
        name: "pull_request",
        keys: PR_KEYS,
        types: PR_TYPES,
    },
    EventDef {
        name: "pull_request_comment",
        keys: TY,
        types: CRUD,
    },
    EventDef {
        name: "pull_request_review",
        keys: TY,
        types: &["submitted", "edited", "dismissed"],
    },
    EventDef {
        name: "pull_request_review_comment",
        keys: TY,
        types: CRUD,
    },
    EventDef {
        name: "pull_request_target",
        keys: PR_KEYS,
        types: PR_TYPES,
    },
    EventDef {
        name: "push",
        keys: &[
            "branches",
            "branches-ignore",
            "tags",
            "tags-ignore",
            "paths",
            "paths-ignore",
        ],
        types: &[],
    },
    EventDef {
        name: "registry_package",
        keys: TY,
        types: &["published", "updated"],
    },
    EventDef {
        name: "release",
        keys: TY,
        types: &[
            "published",
            "unpublished",
            "created",
            "edited",
            "deleted",
            "prereleased",
            "released",
        ],
    },
    EventDef {
        name: "repository_dispatch",
        keys: TY,
        types: &[],
    },
    EventDef {
        name: "schedule",
        keys: &[],
        types: &[],
    },
    EventDef {
        name: "status",
        keys: &[],
        types: &[],
    },
    EventDef {
        name: "watch",
        keys: TY,
        types: &["started"],
    },
    EventDef {
        name: "workflow_call",
        keys: &["inputs", "secrets", "outputs"],
        types: &[],
    },
    EventDef {
        name: "workflow_dispatch",
        keys: &["inputs"],
        types: &[],
    },
    EventDef {
        name: "workflow_run",
        keys: &["types", "workflows", "branches", "branches-ignore"],
        types: &["requested", "completed", "in_progress"],
    },
];

/// All keys that any event's mapping accepts, for "unexpected key" messages.
const ALL_FILTER_KEYS: &[&str] = &[
    "branches",
    "branches-ignore",
    "paths",
    "paths-ignore",
    "tags",
    "tags-ignore",
    "types",
    "workflows",
];

/// Events whose mapping takes each filter, for "not available" messages.
fn filter_events(filter: &str) -> Vec<&'static str> {
    EVENTS
        .iter()
        .filter(|e| e.keys.contains(&filter))
        .map(|e| e.name)
        .collect()
}

const WEBHOOK_DOCS: &str = "https://docs.github.com/en/actions/reference/workflows-and-actions/events-that-trigger-workflows#webhook-events";

impl Rule for Events {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn workflow(&self, wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        let Some((on_key, on)) = wf.on else { return };
        match &on.kind {
            Kind::Scalar { value, .. } if value.is_empty() => {
                cx.report(
                    schema::value_span(Some(on_key), on),
                    "\"on\" section should not be empty",
                );
                return;
            }
            Kind::Seq(items) if items.is_empty() => {
                cx.report(on.span, "\"on\" section should not be empty");
                return;
            }
            Kind::Map(items) if items.is_empty() => {
                cx.report(on.span, "\"on\" section should not be empty");
                return;
            }
            Kind::Seq(items) => {
                for i in items {
                    if i.as_str().is_none() {
                        cx.report(
                            i.span,
                            format!(
                                "event name must be a string but got {}",
                                schema::describe(i)
                            ),
                        );
                    }
                }
            }
            _ => {}
        }
        for ev in &wf.events {
            if ev.name == "schedule" && ev.config.is_none() {
                cx.report(
                    ev.name_node.span,
                    "schedule event must be configured with mapping",
                );
            }
            let Some(def) = EVENTS.iter().find(|d| d.name == ev.name) else {
                cx.report_unknown(
                    META.severity,
                    ev.name_node,
                    format!("unknown Webhook event {:?}", ev.name),
                    EVENTS.iter().map(|d| d.name),
                    || format!(". see {WEBHOOK_DOCS} for list of all Webhook event names"),
                    None,
                );
                continue;
            };
            let Some(config) = ev.config else { continue };
            if def.name == "schedule" {
                // The schedule rule checks the entries; only the shape is checked here.
                if config.as_seq().is_none() {
                    cx.report(
                        config.span,
                        format!(
                            "\"schedule\" section must be sequence node but got {}",
                            schema::describe(config)
                        ),
                    );
                } else if config.as_seq().is_some_and(<[_]>::is_empty) {
                    schema::empty_sequence(cx, config, "schedule");
                }
                continue;
            }
            check_event_config(cx, def, ev.name_node, config);
        }
    }
}

fn check_event_config(cx: &mut Ctx<'_>, def: &EventDef, name_node: &Node, config: &Node) {
    let entries = match &config.kind {
        Kind::Map(e) => e,
        _ if config.is_null() => return,
        _ => {
            cx.report(
                config.span,
                format!(
                    "{:?} section is {} but mapping node is expected",
                    def.name,
                    schema::describe(config)
                ),
            );
            return;
        }
    };
    for (k, v) in entries {
        let Some(key) = k.as_str() else { continue };
        if !def.keys.contains(&key) {
            if def.name == "workflow_dispatch" || def.name == "workflow_call" {
                schema::unexpected_key(
                    cx,
                    k,
                    &format!("{:?} section", def.name),
                    def.keys.iter().copied(),
                );
            } else if ALL_FILTER_KEYS.contains(&key) {
                let avail = filter_events(key);
                cx.report(
                    k.span,
                    format!(
                        "{key:?} filter is not available for {} event. it is only for {} event{}",
                        def.name,
                        avail.join(", "),
                        if avail.len() > 1 { "s" } else { "" }
                    ),
                );
            } else {
                schema::unexpected_key(
                    cx,
                    k,
                    &format!("{:?} section", def.name),
                    ALL_FILTER_KEYS.iter().copied(),
                );
            }
            continue;
        }
        match key {
            "types" => check_types(cx, def, k, v),
            "inputs" if def.name == "workflow_dispatch" => dispatch_inputs(cx, name_node, v),
            "inputs" => call_inputs(cx, v),
            "secrets" => call_secrets(cx, v),
            "outputs" => call_outputs(cx, v),
            "names" | "versions" => check(cx, key, Some(k), v, T::Seq(&T::NonEmptyStr)),
            _ => check(cx, key, Some(k), v, T::StrOrSeq),
        }
    }
    for (a, b) in [
        ("branches", "branches-ignore"),
        ("tags", "tags-ignore"),
        ("paths", "paths-ignore"),
    ] {
        if config.get(a).is_some() && config.get(b).is_some() {
            let later = [a, b]
                .iter()
                .filter_map(|k| config.entry(k))
                .map(|(k, _)| k)
                .max_by_key(|k| k.span.start.offset);
            cx.report(
                later.map_or(name_node.span, |k| k.span),
                format!(
                    "both {a:?} and {b:?} filters cannot be used for the same event {:?}. note: use '!' to negate patterns",
                    def.name
                ),
            );
        }
    }
}

fn check_types(cx: &mut Ctx<'_>, def: &EventDef, key: &Node, v: &Node) {
    check(cx, "types", Some(key), v, T::StrOrSeq);
    if def.types.is_empty() {
        return;
    }
    let items: Vec<&Node> = match &v.kind {
        Kind::Seq(items) => items.iter().collect(),
        Kind::Scalar { .. } => vec![v],
        Kind::Map(_) => Vec::new(),
    };
    for i in items {
        let Some(t) = i.as_str() else { continue };
        if t.is_empty() || has_expr(i) || def.types.contains(&t) {
            continue;
        }
        cx.report_unknown(
            META.severity,
            i,
            format!(
                "invalid activity type {t:?} for {:?} Webhook event",
                def.name
            ),
            def.types.iter().copied(),
            || format!(". available types are {}", schema::quote_list(def.types)),
            None,
        );
    }
}

/// GitHub refuses a `workflow_dispatch` with more inputs than this.
const MAX_DISPATCH_INPUTS: usize = 25;

const INPUT_TYPES: &[&str] = &["string", "boolean", "number", "environment", "choice"];

fn dispatch_inputs(cx: &mut Ctx<'_>, event: &Node, inputs: &Node) {
    let Some(entries) = section_map(cx, "inputs", inputs) else {
        return;
    };
    if entries.len() > MAX_DISPATCH_INPUTS {
        cx.report(
            event.span,
            format!(
                "maximum number of inputs for \"workflow_dispatch\" event is {MAX_DISPATCH_INPUTS} but {} inputs are provided",
                entries.len()
            ),
        );
    }
    for (name_node, input) in entries {
        let name = name_node.as_str().unwrap_or("");
        let Some(fields) = input.as_map() else {
            if !input.is_null() {
                cx.report(
                    input.span,
                    format!(
                        "input {name:?} must be a mapping but got {}",
                        schema::describe(input)
                    ),
                );
            }
            continue;
        };
        for (k, v) in fields {
            let key = k.as_str().unwrap_or("");
            match key {
                "description" => check(cx, key, Some(k), v, T::Str),
                "required" => check(cx, key, Some(k), v, T::Bool),
                "default" => {}
                "type" => {
                    if let Some(t) = v.as_str()
                        && !INPUT_TYPES.contains(&t)
                    {
                        cx.report(
                            v.span,
                            format!(
                                "input type of {name:?} must be one of {} but got {t:?}",
                                schema::quote_list(INPUT_TYPES)
                            ),
                        );
                    }
                }
                "options" => {
                    check(cx, key, Some(k), v, T::Seq(&T::NonEmptyStr));
                    let items = v.as_seq().unwrap_or(&[]);
                    for (i, o) in items.iter().enumerate() {
                        if let Some(t) = o.as_str()
                            && items[..i].iter().any(|p| p.as_str() == Some(t))
                        {
                            cx.report(
                                o.span,
                                format!("option {t:?} is duplicated in options of {name:?} input"),
                            );
                        }
                    }
                }
                _ => schema::unexpected_key(
                    cx,
                    k,
                    "\"inputs\" section",
                    ["default", "description", "options", "required", "type"].into_iter(),
                ),
            }
        }
        let ty = input.get("type").and_then(Node::as_str).unwrap_or("");
        let default = input.get("default");
        if input.get("options").is_some() && ty != "choice" {
            cx.report(
                name_node.span,
                format!("\"options\" can not be set to {name:?} input because its input type is not \"choice\""),
            );
        }
        if ty == "choice" {
            match input
                .get("options")
                .and_then(Node::as_seq)
                .filter(|o| !o.is_empty())
            {
                None => cx.report(
                    name_node.span,
                    format!("input type of {name:?} is \"choice\" but \"options\" is not set"),
                ),
                Some(opts) => {
                    if let Some(d) = default.and_then(Node::as_str)
                        && !d.is_empty()
                        && !opts.iter().any(|o| o.as_str() == Some(d))
                    {
                        let list = opts
                            .iter()
                            .filter_map(Node::as_str)
                            .map(|s| format!("{s:?}"))
                            .collect::<Vec<_>>()
                            .join(", ");
                        cx.report(
                            default.map_or(name_node.span, |d| d.span),
                            format!("default value {d:?} of {name:?} input is not included in its options {list:?}"),
                        );
                    }
                }
            }
        }
        if let Some(d) = default {
            check_default(cx, name, ty, d);
        }
    }
}

fn check_default(cx: &mut Ctx<'_>, name: &str, ty: &str, d: &Node) {
    let Some(s) = d.as_str() else { return };
    if has_expr(d) {
        return;
    }
    match ty {
        "boolean" if !matches!(d.scalar_type(), Some(ScalarType::Bool)) && s != "true" && s != "false" => cx.report(
            d.span,
            format!("type of {name:?} input is \"boolean\". its default value {s:?} must be \"true\" or \"false\""),
        ),
        "number" if s.trim().parse::<f64>().is_err() => cx.report(
            d.span,
            format!("type of {name:?} input is \"number\" but its default value {s:?} cannot be parsed as a float number"),
        ),
        _ => {}
    }
}

/// The entries of a mapping section; a null section has none, any other kind is reported.
fn section_map<'n>(cx: &mut Ctx<'_>, label: &str, node: &'n Node) -> Option<&'n [(Node, Node)]> {
    if node.as_map().is_none() && !node.is_null() {
        cx.report(
            node.span,
            format!(
                "\"{label}\" section is {} but mapping node is expected",
                schema::describe(node)
            ),
        );
    }
    node.as_map()
}

const CALL_INPUT_TYPES: &[&str] = &["string", "boolean", "number"];

fn call_inputs(cx: &mut Ctx<'_>, inputs: &Node) {
    let Some(entries) = section_map(cx, "inputs", inputs) else {
        return;
    };
    for (name_node, input) in entries {
        let name = name_node.as_str().unwrap_or("");
        let Some(fields) = input.as_map() else {
            cx.report(
                name_node.span,
                format!("\"type\" is missing at {name:?} input of workflow_call event"),
            );
            continue;
        };
        for (k, v) in fields {
            let key = k.as_str().unwrap_or("");
            match key {
                "description" => check(cx, key, Some(k), v, T::Str),
                "required" => check(cx, key, Some(k), v, T::Bool),
                "default" => {}
                "type" if v.as_str().is_none() => cx.report(
                    v.span,
                    format!(
                        "expected scalar node for string value but found {}",
                        schema::describe(v)
                    ),
                ),
                "type" => {
                    if let Some(t) = v.as_str()
                        && !CALL_INPUT_TYPES.contains(&t)
                    {
                        cx.report(
                            v.span,
                            format!(
                                "invalid value {t:?} for input type of workflow_call event. it must be one of {}",
                                schema::quote_list(CALL_INPUT_TYPES)
                            ),
                        );
                    }
                }
                _ => schema::unexpected_key(
                    cx,
                    k,
                    "inputs at workflow_call event",
                    ["default", "description", "required", "type"].into_iter(),
                ),
            }
        }
        match input.get("type").and_then(Node::as_str) {
            None => cx.report(
                name_node.span,
                format!("\"type\" is missing at {name:?} input of workflow_call event"),
            ),
            Some(ty) => {
                if let Some(d) = input.get("default") {
                    check_default(cx, name, ty, d);
                    if input.get("required").and_then(Node::as_bool) == Some(true) {
                        cx.report_with(
                            Severity::Warning,
                            d.span,
                            format!(
                                "input {name:?} of workflow_call event has the default value {:?}, but it is also required. if an input is marked as required, its default value will never be used",
                                d.as_str().unwrap_or("")
                            ),
                            None,
                        );
                    }
                }
            }
        }
    }
}

fn call_secrets(cx: &mut Ctx<'_>, secrets: &Node) {
    let Some(entries) = section_map(cx, "secrets", secrets) else {
        return;
    };
    for (_, s) in entries {
        let Some(fields) = s.as_map() else { continue };
        for (k, v) in fields {
            match k.as_str().unwrap_or("") {
                "description" => check(cx, "description", Some(k), v, T::Str),
                "required" => check(cx, "required", Some(k), v, T::Bool),
                _ => schema::unexpected_key(
                    cx,
                    k,
                    "\"secrets\" section",
                    ["description", "required"].into_iter(),
                ),
            }
        }
    }
}

fn call_outputs(cx: &mut Ctx<'_>, outputs: &Node) {
    let Some(entries) = section_map(cx, "outputs", outputs) else {
        return;
    };
    for (name_node, o) in entries {
        let name = name_node.as_str().unwrap_or("");
        if let Some(fields) = o.as_map() {
            for (k, v) in fields {
                match k.as_str().unwrap_or("") {
                    "description" => check(cx, "description", Some(k), v, T::Str),
                    "value" => check(cx, "value", Some(k), v, T::NonEmptyStr),
                    _ => schema::unexpected_key(
                        cx,
                        k,
                        "outputs at workflow_call event",
                        ["description", "value"].into_iter(),
                    ),
                }
            }
        }
        if o.get("value").is_none() {
            cx.report(
                name_node.span,
                format!("\"value\" is missing at {name:?} output of workflow_call event"),
            );
        }
    }
}
