//! The promotion policy parser (`src/gate/policy/`): any text, with every `${NAME}` variable
//! set, must give a policy or positioned problems, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let var = |name: &str| Some(format!("http://127.0.0.1:1/{name}"));
    let _ = deploy_action_lint::policy::parse(text, &var);
});
