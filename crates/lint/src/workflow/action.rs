//! Typed, lenient view of action metadata (`action.yml`) over the YAML tree.

use super::yaml::Node;

/// How an action runs, from `runs.using`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Using {
    /// `node12`/`node16`/`node20`/`node24`: a JavaScript action.
    Node,
    /// `composite`: a list of steps.
    Composite,
    /// `docker`: a container action.
    Docker,
}

impl Using {
    /// Classifies a `runs.using` value; `None` for an unknown runtime.
    pub fn parse(s: &str) -> Option<Using> {
        match s {
            "node12" | "node16" | "node20" | "node24" => Some(Using::Node),
            "composite" => Some(Using::Composite),
            "docker" => Some(Using::Docker),
            _ => None,
        }
    }
}

/// An action's metadata file.
#[derive(Debug)]
pub struct Action<'a> {
    /// The document's root.
    pub root: &'a Node,
    /// The `runs:` section.
    pub runs: Option<&'a Node>,
    /// The runtime named by `runs.using`, when known.
    pub using: Option<Using>,
}

impl<'a> Action<'a> {
    /// Builds the model over a parsed document root.
    pub fn new(root: &'a Node) -> Self {
        let runs = root.get("runs");
        let using = runs
            .and_then(|r| r.get("using"))
            .and_then(Node::as_str)
            .and_then(Using::parse);
        Action { root, runs, using }
    }

    /// Declared input names with their nodes.
    pub fn inputs(&self) -> Vec<(&'a str, &'a Node)> {
        self.root
            .get("inputs")
            .and_then(Node::as_map)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.as_str()?, v)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Declared output names with their nodes.
    pub fn outputs(&self) -> Vec<(&'a str, &'a Node)> {
        self.root
            .get("outputs")
            .and_then(Node::as_map)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.as_str()?, v)))
                    .collect()
            })
            .unwrap_or_default()
    }
}
