//! Tag rules (`tags:` lines of docker/metadata-action's syntax) and `flavor`: parsed, then
//! computed against a tag push and a branch push; an image reference from the first line too.
//! Input: `rules` then an optional `\0` and the flavor.
#![no_main]

use chrono::{TimeZone, Utc};
use deploy_action_image::tags::{
    Flavor, GitContext, ImageRef, TagOptions, TagRules, compute_tags,
};
use libfuzzer_sys::fuzz_target;

const SHA: &str = "90dd6032fac8bda1b6c4436a2e65de27961ed071";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (rules, flavor) = text.split_once('\0').unwrap_or((text, ""));
    if let Some(first) = rules.lines().next() {
        let _ = ImageRef::parse(first);
        let _ = ImageRef::parse_lowercased(first);
    }
    let Ok(rules) = TagRules::parse(rules) else {
        return;
    };
    let Ok(flavor) = Flavor::parse(flavor) else {
        return;
    };
    let Some(at) = Utc.with_ymd_and_hms(2020, 1, 10, 0, 30, 0).single() else {
        return;
    };
    let options = TagOptions {
        flavor,
        existing_tags: vec!["v1.2.3".into(), "v2.0.0-rc.1".into()],
        ..TagOptions::default()
    };
    for (symbolic, describe) in [
        (None, Some("v1.2.3")),
        (Some("refs/heads/feature/x"), None),
        (None, Some("2.0.0-rc.1+build")),
    ] {
        if let Ok(ctx) = GitContext::from_git(SHA, symbolic, describe, at) {
            let _ = compute_tags(&ctx, &rules, &options);
        }
    }
});
