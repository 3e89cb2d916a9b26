//! The metadata of a local action (`uses: ./path`), summarised for the checks made where it is
//! used: its inputs and outputs, how it runs, and what is wrong with it.

use std::path::{Path, PathBuf};

use super::Loaded;
use crate::workflow::yaml::{self, Node};

/// One declared input.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionInput {
    /// The name as declared (callers may use any case).
    pub name: String,
    /// `required: true` without a default.
    pub required: bool,
    /// Whether it has a `deprecationMessage`.
    pub deprecated: bool,
    /// The deprecation message, trimmed (may be empty).
    pub deprecation_message: String,
}

/// The `runs:` section; absent keys are empty strings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Runs {
    /// `using`.
    pub using: String,
    /// `main`, `pre`, `pre-if`, `post`, `post-if` (JavaScript actions).
    pub main: String,
    /// See `main`.
    pub pre: String,
    /// See `main`.
    pub pre_if: String,
    /// See `main`.
    pub post: String,
    /// See `main`.
    pub post_if: String,
    /// `image`, `pre-entrypoint`, `entrypoint`, `post-entrypoint` (Docker actions).
    pub image: String,
    /// See `image`.
    pub pre_entrypoint: String,
    /// See `image`.
    pub entrypoint: String,
    /// See `image`.
    pub post_entrypoint: String,
    /// Whether `steps` is present (composite actions), and whether it has any step.
    pub steps: Option<usize>,
    /// Whether `args` is present.
    pub args: bool,
    /// Whether `env` is present.
    pub env: bool,
}

/// A local action's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalAction {
    /// The `uses:` value that names it (`./path/to/action`), for messages.
    pub spec: String,
    /// Its directory.
    pub dir: PathBuf,
    /// `name`.
    pub name: String,
    /// `description`.
    pub description: String,
    /// Declared inputs in source order.
    pub inputs: Vec<ActionInput>,
    /// Declared output names in source order.
    pub outputs: Vec<String>,
    /// The `runs:` section.
    pub runs: Runs,
    /// `branding.color`, when set.
    pub color: String,
    /// Oddities GitHub tolerates (unknown keys of an input), reported as warnings.
    pub notes: Vec<String>,
}

/// Reads `action.yaml` or `action.yml` in `dir`.
pub fn load(dir: &Path, spec: &str) -> Loaded<LocalAction> {
    let text = ["action.yaml", "action.yml"]
        .iter()
        .find_map(|f| std::fs::read_to_string(dir.join(f)).ok());
    let Some(text) = text else {
        return Loaded::Absent(format!("no action.yml or action.yaml in {spec:?}"));
    };
    match LocalAction::parse(dir, spec, &text) {
        Ok(a) => Loaded::Found(a),
        Err(why) => Loaded::Invalid(format!(
            "could not parse action metadata in {spec:?}: {why}"
        )),
    }
}

fn text_of(n: Option<&Node>) -> String {
    n.and_then(Node::as_str)
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// `true`, `yes` and `on` in any case: action metadata is read as YAML 1.1.
fn yaml11_true(n: Option<&Node>) -> bool {
    n.and_then(Node::as_str).is_some_and(|s| {
        ["true", "yes", "on", "y"]
            .iter()
            .any(|t| s.eq_ignore_ascii_case(t))
    })
}

fn mapping<'a>(root: &'a Node, key: &str, errors: &mut Vec<String>) -> &'a [(Node, Node)] {
    match root.get(key) {
        Some(n) if n.as_map().is_none() && !n.is_null() => {
            errors.push(format!(
                "line {}: {key} must be mapping node but {} node was found",
                n.span.start.line,
                n.kind_name()
            ));
            &[]
        }
        Some(n) => n.as_map().unwrap_or_default(),
        None => &[],
    }
}

/// Reports a name used twice (names are case-insensitive).
fn duplicate(seen: &mut Vec<String>, k: &Node, what: &str, errors: &mut Vec<String>) {
    let name = k.as_str().unwrap_or_default();
    if seen.iter().any(|s| s.eq_ignore_ascii_case(name)) {
        errors.push(format!(
            "line {}: {what} {name:?} is duplicated",
            k.span.start.line
        ));
    }
    seen.push(name.to_string());
}

impl LocalAction {
    /// Summarises metadata text; `Err` says why it cannot be used.
    pub fn parse(dir: &Path, spec: &str, text: &str) -> Result<LocalAction, String> {
        let doc = yaml::parse(text);
        if let Some(e) = doc.error {
            return Err(format!("line {}: {}", e.pos.line, e.message));
        }
        let root = doc.root.unwrap_or_else(|| Node {
            kind: yaml::Kind::Map(Vec::new()),
            span: Default::default(),
            from_alias: false,
        });
        if root.as_map().is_none() && !root.is_null() {
            return Err("action metadata must be a mapping".into());
        }
        let mut errors = Vec::new();
        let mut notes = Vec::new();
        let mut inputs = Vec::new();
        let mut seen = Vec::new();
        for (k, v) in mapping(&root, "inputs", &mut errors) {
            duplicate(&mut seen, k, "input", &mut errors);
            let name = k.as_str().unwrap_or_default().to_string();
            for (key, val) in v.as_map().unwrap_or_default() {
                match key.as_str().unwrap_or_default() {
                    "description" | "default" | "deprecationMessage" => {}
                    "required" if val.as_str().is_some() => {}
                    "required" => errors.push(format!(
                        "line {}: \"required\" of input {name:?} must be a boolean but got a {} \
                         node",
                        val.span.start.line,
                        val.kind_name()
                    )),
                    // GitHub ignores other keys; actionlint refuses the metadata for them.
                    other => notes.push(format!(
                        "unexpected key {other:?} at line {} for definition of input {name:?} \
                         in metadata of action {spec:?}; GitHub ignores it",
                        key.span.start.line
                    )),
                }
            }
            inputs.push(ActionInput {
                required: yaml11_true(v.get("required")) && v.get("default").is_none(),
                deprecated: v.get("deprecationMessage").is_some(),
                deprecation_message: text_of(v.get("deprecationMessage")),
                name,
            });
        }
        let mut outputs = Vec::new();
        let mut seen = Vec::new();
        for (k, _) in mapping(&root, "outputs", &mut errors) {
            duplicate(&mut seen, k, "output", &mut errors);
            outputs.push(k.as_str().unwrap_or_default().to_string());
        }
        if !errors.is_empty() {
            return Err(errors.join("; "));
        }
        let runs = root.get("runs");
        let get = |k: &str| text_of(runs.and_then(|r| r.get(k)));
        let runs = Runs {
            using: get("using"),
            main: get("main"),
            pre: get("pre"),
            pre_if: get("pre-if"),
            post: get("post"),
            post_if: get("post-if"),
            image: get("image"),
            pre_entrypoint: get("pre-entrypoint"),
            entrypoint: get("entrypoint"),
            post_entrypoint: get("post-entrypoint"),
            steps: runs
                .and_then(|r| r.get("steps"))
                .filter(|s| !s.is_null())
                .map(|s| s.as_seq().map_or(1, <[Node]>::len)),
            args: runs
                .and_then(|r| r.get("args"))
                .is_some_and(|a| !a.is_null()),
            env: runs
                .and_then(|r| r.get("env"))
                .is_some_and(|a| !a.is_null()),
        };
        Ok(LocalAction {
            spec: spec.to_string(),
            dir: dir.to_path_buf(),
            name: text_of(root.get("name")),
            description: text_of(root.get("description")),
            inputs,
            outputs,
            runs,
            color: text_of(root.get("branding").and_then(|b| b.get("color"))),
            notes,
        })
    }

    /// The input named `name`, compared case-insensitively.
    pub fn input(&self, name: &str) -> Option<&ActionInput> {
        self.inputs
            .iter()
            .find(|i| i.name.eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarises_metadata() {
        let a = LocalAction::parse(
            Path::new("."),
            "./a",
            "name: A\ndescription: d\ninputs:\n  x: {required: yes}\n  y:\n    required: true\n    \
             default: v\n  z:\n    deprecationMessage: ' use x '\noutputs:\n  OUT: {}\nruns:\n  \
             using: composite\n  steps: []\n",
        )
        .expect("metadata");
        assert!(a.input("X").is_some_and(|i| i.required));
        assert!(a.input("y").is_some_and(|i| !i.required));
        assert_eq!(
            a.input("z").map(|i| i.deprecation_message.as_str()),
            Some("use x")
        );
        assert_eq!(a.outputs, ["OUT"]);
        assert_eq!(a.runs.steps, Some(0));
    }

    #[test]
    fn rejects_broken_metadata() {
        let e = LocalAction::parse(Path::new("."), "./a", "inputs:\n  a: {}\n  A: {}\n")
            .expect_err("duplicate");
        assert_eq!(e, "line 3: input \"A\" is duplicated");
        let e = LocalAction::parse(Path::new("."), "./a", "outputs: oops\n").expect_err("scalar");
        assert!(e.contains("outputs must be mapping node"));
    }
}
