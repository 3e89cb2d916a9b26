//! A workflow's job graph as a Mermaid flowchart (`flowchart LR`): one node per job, labelled
//! with its `name:` (or id), and an edge for each `needs:`. `deploy-action graph` prints it;
//! generated workflows write it into their run summary.

use deploy_action_lint::workflow::yaml::{self, Node};

use super::GenerateError;

/// The Mermaid lines of the job graph of a workflow's YAML text.
pub fn mermaid(path: &str, source: &str) -> Result<Vec<String>, GenerateError> {
    let doc = yaml::parse(source);
    let not_workflow = |why: String| GenerateError::Graph {
        path: path.to_string(),
        why,
    };
    if let Some(e) = doc.error {
        return Err(not_workflow(format!(
            "{}:{}: {}",
            e.pos.line, e.pos.col, e.message
        )));
    }
    let root = doc
        .root
        .ok_or_else(|| not_workflow("the file is empty".into()))?;
    let jobs = root
        .get("jobs")
        .and_then(Node::as_map)
        .ok_or_else(|| not_workflow("it has no `jobs:` mapping".into()))?;
    let mut lines = vec!["flowchart LR".to_string()];
    let mut edges = Vec::new();
    for (k, job) in jobs {
        let id = k.as_str().unwrap_or_default();
        let label = job.get("name").and_then(Node::as_str).unwrap_or(id);
        lines.push(format!("  {}[\"{}\"]", node_id(id), escape(label)));
        let needs: Vec<&str> = match job.get("needs") {
            Some(n) => match n.as_seq() {
                Some(seq) => seq.iter().filter_map(Node::as_str).collect(),
                None => n.as_str().into_iter().collect(),
            },
            None => Vec::new(),
        };
        for need in needs {
            edges.push(format!("  {} --> {}", node_id(need), node_id(id)));
        }
    }
    lines.extend(edges);
    Ok(lines)
}

/// Mermaid node ids: letters, digits and `_` only.
fn node_id(id: &str) -> String {
    id.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Quotes and angle brackets as Mermaid entities, so a label cannot end its string.
fn escape(label: &str) -> String {
    label
        .replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_and_needs_become_nodes_and_edges() {
        let wf = "on: push\njobs:\n  test:\n    runs-on: x\n  build-app:\n    name: Build \"app\"\n    needs: test\n  deploy:\n    needs: [test, build-app]\n";
        let lines = mermaid("wf.yml", wf).expect("graph");
        assert_eq!(
            lines,
            [
                "flowchart LR",
                "  test[\"test\"]",
                "  build_app[\"Build #quot;app#quot;\"]",
                "  deploy[\"deploy\"]",
                "  test --> build_app",
                "  test --> deploy",
                "  build_app --> deploy",
            ]
        );
        assert!(mermaid("x.yml", "on: push\n").is_err());
    }
}
