//! `.dockerignore`: the file's lines become patterns; the paths to match come from the same
//! input (every line, and every line's parent directories), so patterns meet paths like them.
#![no_main]

use deploy_action_image::dockerignore::{PatternMatcher, parse_ignore_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(patterns) = parse_ignore_file(data) else {
        return;
    };
    let Ok(matcher) = PatternMatcher::new(&patterns) else {
        return;
    };
    let text = String::from_utf8_lossy(data);
    for line in text.lines().take(64) {
        let path = line.trim().trim_start_matches('!').trim_matches('/');
        let _ = matcher.matches_or_parent_matches(path);
        let _ = matcher.matches_or_parent_matches(&format!("{path}/file"));
        for pattern in matcher.patterns() {
            let _ = pattern.matches(path);
        }
    }
});
