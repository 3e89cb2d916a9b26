//! Typed, lenient view of a workflow file over the YAML tree.
//!
//! Building the model never fails: a section of the wrong shape is simply absent from the typed
//! fields (it is still reachable through `node`), and the schema rule reports it.

use super::yaml::{Kind, Node};

/// A workflow file (`.github/workflows/*.yml`).
#[derive(Debug)]
pub struct Workflow<'a> {
    /// The document's root node.
    pub root: &'a Node,
    /// The `on:` key and value, if present.
    pub on: Option<(&'a Node, &'a Node)>,
    /// The triggers named under `on:`.
    pub events: Vec<Trigger<'a>>,
    /// The jobs in source order.
    pub jobs: Vec<Job<'a>>,
}

/// One event under `on:`.
#[derive(Debug)]
pub struct Trigger<'a> {
    /// The event name as written (`push`, `workflow_dispatch`).
    pub name: &'a str,
    /// The node naming the event (a key, or an item of a list, or the scalar itself).
    pub name_node: &'a Node,
    /// Its configuration mapping, when written as `event: {...}`.
    pub config: Option<&'a Node>,
}

/// A job under `jobs:`.
#[derive(Debug)]
pub struct Job<'a> {
    /// The job id.
    pub id: &'a str,
    /// The key node holding the id.
    pub id_node: &'a Node,
    /// The job's mapping (or whatever was written there).
    pub node: &'a Node,
    /// `needs:` entries as nodes (a scalar or the items of a sequence).
    pub needs: Vec<&'a Node>,
    /// The steps, when `steps:` is a sequence.
    pub steps: Vec<Step<'a>>,
}

/// A step of a job.
#[derive(Debug)]
pub struct Step<'a> {
    /// Index within the job's steps.
    pub index: usize,
    /// The step's mapping.
    pub node: &'a Node,
}

impl<'a> Step<'a> {
    /// The step's `uses:` value.
    pub fn uses(&self) -> Option<&'a Node> {
        self.node.get("uses")
    }
    /// The step's `run:` value.
    pub fn run(&self) -> Option<&'a Node> {
        self.node.get("run")
    }
    /// The step's `id:` value.
    pub fn id(&self) -> Option<&'a Node> {
        self.node.get("id")
    }
}

impl<'a> Job<'a> {
    /// A key of the job's mapping.
    pub fn get(&self, key: &str) -> Option<&'a Node> {
        self.node.get(key)
    }
    /// True when the job calls a reusable workflow (`uses:` at job level).
    pub fn is_call(&self) -> bool {
        self.node.get("uses").is_some()
    }
}

impl<'a> Workflow<'a> {
    /// Builds the model over a parsed document root.
    pub fn new(root: &'a Node) -> Self {
        let on = root.entry("on");
        let events = on.map(|(_, v)| triggers(v)).unwrap_or_default();
        let jobs = root
            .get("jobs")
            .and_then(Node::as_map)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| {
                        Some(Job {
                            id: k.as_str()?,
                            id_node: k,
                            node: v,
                            needs: needs_of(v),
                            steps: steps_of(v),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Workflow {
            root,
            on,
            events,
            jobs,
        }
    }

    /// Finds a job by id.
    pub fn job(&self, id: &str) -> Option<&Job<'a>> {
        self.jobs.iter().find(|j| j.id == id)
    }

    /// Finds a trigger by event name.
    pub fn event(&self, name: &str) -> Option<&Trigger<'a>> {
        self.events.iter().find(|e| e.name == name)
    }
}

fn triggers(on: &Node) -> Vec<Trigger<'_>> {
    match &on.kind {
        Kind::Scalar { value, .. } => vec![Trigger {
            name: value,
            name_node: on,
            config: None,
        }],
        Kind::Seq(items) => items
            .iter()
            .filter_map(|n| {
                Some(Trigger {
                    name: n.as_str()?,
                    name_node: n,
                    config: None,
                })
            })
            .collect(),
        Kind::Map(entries) => entries
            .iter()
            .filter_map(|(k, v)| {
                Some(Trigger {
                    name: k.as_str()?,
                    name_node: k,
                    config: Some(v),
                })
            })
            .collect(),
    }
}

fn needs_of(job: &Node) -> Vec<&Node> {
    match job.get("needs") {
        Some(
            n @ Node {
                kind: Kind::Scalar { .. },
                ..
            },
        ) if !n.is_null() => vec![n],
        Some(Node {
            kind: Kind::Seq(items),
            ..
        }) => items.iter().collect(),
        _ => Vec::new(),
    }
}

/// The job's steps in order. A `parallel:` group is a step of its own, followed by the steps
/// it runs side by side, so rules see every step.
fn steps_of(job: &Node) -> Vec<Step<'_>> {
    let mut out = Vec::new();
    if let Some(items) = job.get("steps").and_then(Node::as_seq) {
        push_steps(items, &mut out, 0);
    }
    out
}

fn push_steps<'a>(items: &'a [Node], out: &mut Vec<Step<'a>>, depth: usize) {
    for node in items {
        out.push(Step {
            index: out.len(),
            node,
        });
        if depth < 8
            && let Some(group) = node.get("parallel").and_then(Node::as_seq)
        {
            push_steps(group, out, depth + 1);
        }
    }
}
