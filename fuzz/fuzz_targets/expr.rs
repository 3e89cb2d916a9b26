//! The `${{ }}` language: the parser and type checker on one expression, and the template
//! scanner on the same text as a value with embedded expressions and as an `if:` condition.
#![no_main]

use deploy_action_lint::expr::{TypeEnv, check, check_condition, check_template, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let env = TypeEnv::new();
    if let Ok(expr) = parse(text) {
        let _ = check(&expr, &env);
    }
    let _ = check_template(text, &env);
    let _ = check_condition(text, &env);
});
