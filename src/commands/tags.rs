//! `deploy-action tags`: the tags `build` would give, computed from the same git facts.

use std::collections::HashMap;

use anyhow::{Context, Result};

use super::{emit, exit, gitctx, log};
use crate::cli::{OutputFormat, TagsArgs};
use crate::runner::Runner;

/// Prints one `image:tag` per line (or JSON), sets the `tags` step output in Actions, and
/// returns the exit status.
pub fn run(args: &TagsArgs) -> Result<u8> {
    let env: HashMap<String, String> = std::env::vars().collect();
    let runner = Runner::from_env(|k| env.get(k).cloned());
    let facts = gitctx::facts(&env, &args.repo, args.image.sha.as_deref())?;
    let tagging = gitctx::tagging(&args.image, &facts)?;
    for warning in tagging.list.warnings() {
        log(&format!("warning: {warning}\n"));
    }
    let refs: Vec<String> = tagging.refs.iter().map(ToString::to_string).collect();
    let text = match args.format {
        OutputFormat::Human => refs.iter().map(|r| format!("{r}\n")).collect(),
        OutputFormat::Json => {
            let value = serde_json::json!({
                "version": 1,
                "images": tagging.images.iter().map(|i| i.name()).collect::<Vec<_>>(),
                "tags": tagging.list.tags(),
                "refs": refs,
                "image_version": tagging.list.version(),
                "revision": facts.git.revision(),
                "ref": facts.git.ref_,
                "warnings": tagging.list.warnings(),
            });
            format!("{}\n", serde_json::to_string_pretty(&value)?)
        }
    };
    emit(&text).context("cannot write to standard output")?;
    runner.set_outputs(&[("tags", &refs.join("\n"))])?;
    Ok(exit::OK)
}
