//! Every input the fuzz targets (fuzz/, scripts/fuzz.sh) ever crashed on, replayed through the
//! same calls: fixtures/fuzz/<target>/<name>, one file per crash, named after the bug. A new
//! crash input goes there once the bug is fixed; this test then keeps it fixed.

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use deploy_action::expr::{TypeEnv, check, check_condition, check_template, parse};
use deploy_action::github::decode;
use deploy_action::image::dockerignore::{PatternMatcher, parse_ignore_file};
use deploy_action::image::tags::{
    Flavor, GitContext, ImageRef, TagOptions, TagRules, compute_tags,
};
use deploy_action::lint::{Config, FileKind, lint_source, not_utf8};

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/fuzz")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<(PathBuf, Vec<u8>)> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read fixture");
            (p, bytes)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn yaml_lint() {
    for (_, data) in inputs("yaml_lint") {
        let (kind, path) = match data.first() {
            Some(b) if b % 2 == 1 => (FileKind::Action, "action.yml"),
            _ => (FileKind::Workflow, ".github/workflows/fuzz.yml"),
        };
        match std::str::from_utf8(&data) {
            Ok(text) => {
                let _ = lint_source(path, text, kind, &Config::default());
            }
            Err(e) => {
                let _ = not_utf8(path, e.valid_up_to(), &data);
            }
        }
    }
}

#[test]
fn expr() {
    for (_, data) in inputs("expr") {
        let Ok(text) = std::str::from_utf8(&data) else {
            continue;
        };
        let env = TypeEnv::new();
        if let Ok(e) = parse(text) {
            let _ = check(&e, &env);
        }
        let _ = check_template(text, &env);
        let _ = check_condition(text, &env);
    }
}

#[test]
fn dockerignore() {
    for (_, data) in inputs("dockerignore") {
        let Ok(patterns) = parse_ignore_file(&data) else {
            continue;
        };
        let Ok(matcher) = PatternMatcher::new(&patterns) else {
            continue;
        };
        let text = String::from_utf8_lossy(&data);
        for line in text.lines().take(64) {
            let path = line.trim().trim_start_matches('!').trim_matches('/');
            let _ = matcher.matches_or_parent_matches(path);
            let _ = matcher.matches_or_parent_matches(&format!("{path}/file"));
            for pattern in matcher.patterns() {
                let _ = pattern.matches(path);
            }
        }
    }
}

#[test]
fn tag_rules() {
    let at = Utc
        .with_ymd_and_hms(2020, 1, 10, 0, 30, 0)
        .single()
        .expect("date");
    for (_, data) in inputs("tag_rules") {
        let Ok(text) = std::str::from_utf8(&data) else {
            continue;
        };
        let (rules, flavor) = text.split_once('\0').unwrap_or((text, ""));
        if let Some(first) = rules.lines().next() {
            let _ = ImageRef::parse(first);
            let _ = ImageRef::parse_lowercased(first);
        }
        let (Ok(rules), Ok(flavor)) = (TagRules::parse(rules), Flavor::parse(flavor)) else {
            continue;
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
            let sha = "90dd6032fac8bda1b6c4436a2e65de27961ed071";
            if let Ok(ctx) = GitContext::from_git(sha, symbolic, describe, at) {
                let _ = compute_tags(&ctx, &rules, &options);
            }
        }
    }
}

#[test]
fn github_decode() {
    for (_, data) in inputs("github_decode") {
        let text = String::from_utf8_lossy(&data);
        let _ = decode::deployment_page(&text);
        let _ = decode::deployment(&text);
        let _ = decode::status(&text);
    }
}

#[test]
fn ledger() {
    for (path, data) in inputs("ledger") {
        let text = String::from_utf8_lossy(&data);
        if let Ok((entries, saved)) = decode::ledger(&text) {
            let (again, _) = decode::ledger(&saved)
                .unwrap_or_else(|e| panic!("{}: saved ledger does not read: {e}", path.display()));
            assert_eq!(entries.len(), again.len(), "{}", path.display());
        }
    }
}
