//! `deploy-action graph WORKFLOW`: the job graph as a Mermaid flowchart.

use anyhow::{Context, Result};

use crate::cli::GraphArgs;
use deploy_action_generate::graph;

use super::{emit, exit};

/// Prints the graph; exit status 0, or an error for an unreadable or non-workflow file.
pub fn run(args: &GraphArgs) -> Result<u8> {
    let path = &args.workflow;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let lines = graph::mermaid(&path.display().to_string(), &text)?;
    emit(&format!("{}\n", lines.join("\n"))).context("cannot write to standard output")?;
    Ok(exit::OK)
}
