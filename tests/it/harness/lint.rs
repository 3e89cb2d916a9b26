//! `deploy-action lint --format json` read back: the one parser of the JSON contract the lint
//! tests share (each keeps its own view of the findings).

use std::path::Path;

use serde_json::Value;

/// The `findings` array of `deploy-action lint --format json ARGS`, run from `cwd` with the
/// scrubbed environment of [`super::bin`]. Panics, with the output, when stdout is not the
/// JSON document the contract describes.
pub fn findings(cwd: impl AsRef<Path>, args: &[&str]) -> Vec<Value> {
    let out = super::bin()
        .current_dir(cwd)
        .args(["lint", "--format", "json"])
        .args(args)
        .output()
        .expect("run lint");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "lint --format json printed no JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    doc["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings array: {doc}"))
        .clone()
}

/// A string field of a finding, empty when absent.
pub fn text(finding: &Value, key: &str) -> String {
    finding[key].as_str().unwrap_or_default().to_owned()
}
