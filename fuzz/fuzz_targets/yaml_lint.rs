//! YAML text through the workflow model and every rule: `lint_source` on one file, as a
//! workflow or (first byte odd) as an action metadata file.
#![no_main]

use deploy_action_lint::lint::{Config, FileKind, lint_source, not_utf8};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (kind, path) = match data.first() {
        Some(b) if b % 2 == 1 => (FileKind::Action, "action.yml"),
        _ => (FileKind::Workflow, ".github/workflows/fuzz.yml"),
    };
    let config = Config::default();
    match std::str::from_utf8(data) {
        Ok(text) => {
            let _ = lint_source(path, text, kind, &config);
        }
        Err(e) => {
            let _ = not_utf8(path, e.valid_up_to(), data);
        }
    }
});
