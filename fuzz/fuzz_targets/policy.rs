//! SLOT: the promotion policy parser (`src/gate/`, from the promote branch).
//!
//! Built only with `--features gate` (scripts/fuzz.sh turns it on when src/gate/ exists). When
//! the gate module lands, replace the call below with its policy parser's entry point, e.g.
//! `deploy_action::gate::Policy::parse(text)`, and check the name against src/gate/.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = deploy_action::gate::Policy::parse(text);
});
