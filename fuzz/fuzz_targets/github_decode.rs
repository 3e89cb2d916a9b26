//! GitHub's JSON answers, decoded as the GitHub store decodes them: a page of deployments, one
//! deployment, one status.
#![no_main]

use deploy_action_records::decode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = decode::deployment_page(text);
    let _ = decode::deployment(text);
    let _ = decode::status(text);
});
