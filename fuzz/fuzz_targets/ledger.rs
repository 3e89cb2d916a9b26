//! The ledger file: whatever decodes must save to text that decodes to the same history.
#![no_main]

use deploy_action_records::decode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok((entries, saved)) = decode::ledger(text) {
        let (again, _) = decode::ledger(&saved).expect("a saved ledger reads back");
        assert_eq!(entries.len(), again.len(), "a saved ledger keeps every record");
    }
});
