//! The Markdown reference of an action's inputs and outputs, generated from its `action.yml`
//! (README's "Use it as an action" section is this text between [`START`] and [`END`]).

use std::fmt::Write as _;

use super::action::Action;
use super::yaml::{self, Node};

/// The marker line that opens the generated section.
pub const START: &str = "<!-- action-docs:start: generated from action.yml by `UPDATE_DOCS=1 cargo test --test it docs::` -->";
/// The marker line that closes it.
pub const END: &str = "<!-- action-docs:end -->";

/// Why the reference could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum ActionDocsError {
    /// The metadata is not valid YAML.
    #[error(
        "action.yml is not valid YAML: {0}; fix it (`deploy-action lint action.yml` shows where)"
    )]
    Yaml(String),
    /// The document does not have both markers, in order.
    #[error(
        "the document has no `{START}` ... `{END}` section; add the two marker lines where the tables go"
    )]
    NoMarkers,
}

/// The inputs table and the outputs table of the action metadata `text`.
pub fn markdown(text: &str) -> Result<String, ActionDocsError> {
    let doc = yaml::parse(text);
    if let Some(e) = &doc.error {
        return Err(ActionDocsError::Yaml(e.message.clone()));
    }
    let Some(root) = &doc.root else {
        return Err(ActionDocsError::Yaml("the file is empty".to_owned()));
    };
    let action = Action::new(root);
    let field = |node: &Node, key: &str| node.get(key).and_then(Node::as_str).map(cell);
    let mut md = String::from(
        "#### Inputs\n\n| Input | Description | Default | Required |\n|---|---|---|---|\n",
    );
    for (name, spec) in action.inputs() {
        let default = field(spec, "default")
            .filter(|d| !d.is_empty())
            .map(|d| format!("`{d}`"))
            .unwrap_or_default();
        let required = spec
            .get("required")
            .and_then(Node::as_bool)
            .unwrap_or(false);
        let _ = writeln!(
            md,
            "| `{name}` | {} | {default} | {} |",
            field(spec, "description").unwrap_or_default(),
            if required { "yes" } else { "no" }
        );
    }
    md.push_str("\n#### Outputs\n\n| Output | Description |\n|---|---|\n");
    for (name, spec) in action.outputs() {
        let _ = writeln!(
            md,
            "| `{name}` | {} |",
            field(spec, "description").unwrap_or_default()
        );
    }
    Ok(md)
}

/// `document` with the text between its markers replaced by `generated`.
pub fn splice(document: &str, generated: &str) -> Result<String, ActionDocsError> {
    let start = document.find(START).ok_or(ActionDocsError::NoMarkers)?;
    let body = start + START.len();
    let end = document[body..]
        .find(END)
        .map(|i| body + i)
        .ok_or(ActionDocsError::NoMarkers)?;
    Ok(format!(
        "{}\n\n{generated}\n{}",
        &document[..body],
        &document[end..]
    ))
}

/// A table cell: one line, pipes escaped.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTION: &str = "name: a\ndescription: d\ninputs:\n  who:\n    description: \"one | two\"\n    required: true\n  greeting:\n    description: Word\n    default: hi\noutputs:\n  said:\n    description: What was said\n    value: x\nruns:\n  using: composite\n  steps: []\n";

    #[test]
    fn tables_list_inputs_and_outputs_in_order() {
        let md = markdown(ACTION).expect("markdown");
        assert!(
            md.contains("| `who` | one \\| two |  | yes |\n| `greeting` | Word | `hi` | no |\n"),
            "{md}"
        );
        assert!(md.contains("| `said` | What was said |\n"), "{md}");
    }

    #[test]
    fn splice_replaces_only_between_markers() {
        let doc = format!("intro\n{START}\nold\n{END}\noutro\n");
        let out = splice(&doc, "new\n").expect("splice");
        assert_eq!(out, format!("intro\n{START}\n\nnew\n\n{END}\noutro\n"));
        assert!(matches!(
            splice("none", "x"),
            Err(ActionDocsError::NoMarkers)
        ));
    }
}
