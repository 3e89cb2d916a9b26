//! Event tables: which tags each GitHub event gives, with deploy-action's default set and
//! with docker/metadata-action's documented examples (README of docker/metadata-action; each
//! table names the section it mirrors), plus the git context constructors.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use super::*;

/// The SHA of metadata-action's README examples (`sha-90dd603`).
const SHA: &str = "90dd6032fac8bda1b6c4436a2e65de27961ed071";
/// A pull request's head commit, distinct from GitHub's merge commit `SHA`.
const HEAD: &str = "0123456789abcdef0123456789abcdef01234567";

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 1, 10, 0, 30, 0)
        .single()
        .expect("valid date")
}

fn ctx(event: &str, ref_: &str) -> GitContext {
    GitContext {
        sha: SHA.to_owned(),
        ref_: ref_.to_owned(),
        event_name: event.to_owned(),
        pr_number: None,
        pr_head_sha: None,
        base_ref: None,
        default_branch: Some("master".to_owned()),
        timestamp: at(),
        commit_timestamp: None,
    }
}

fn run_with(ctx: &GitContext, rules: &TagRules, flavor: &str, existing: &[&str]) -> Vec<String> {
    let options = TagOptions {
        flavor: Flavor::parse(flavor).expect("flavor parses"),
        existing_tags: existing.iter().map(|t| (*t).to_owned()).collect(),
        ..TagOptions::default()
    };
    compute_tags(ctx, rules, &options)
        .expect("tags compute")
        .tags()
        .to_vec()
}

fn run(ctx: &GitContext, rules: &str, flavor: &str) -> Vec<String> {
    run_with(
        ctx,
        &TagRules::parse(rules).expect("rules parse"),
        flavor,
        &[],
    )
}

fn defaults(ctx: &GitContext, existing: &[&str]) -> Vec<String> {
    run_with(ctx, &TagRules::deploy_action_defaults(), "", existing)
}

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn pull_request_env() -> (HashMap<String, String>, Value) {
    let env = env(&[
        ("GITHUB_SHA", SHA),
        ("GITHUB_REF", "refs/pull/12/merge"),
        ("GITHUB_EVENT_NAME", "pull_request"),
        ("GITHUB_BASE_REF", "main"),
    ]);
    let event = json!({
        "number": 12,
        "pull_request": {"number": 12, "head": {"sha": HEAD}, "base": {"ref": "main"}},
        "repository": {"default_branch": "main"}
    });
    (env, event)
}

const SHORT: &str = "sha-90dd603";

#[test]
fn deploy_action_default_set_per_event() {
    let rows: [(&str, &str, &[&str], &[&str]); 10] = [
        ("push", "refs/heads/main", &[], &["main", SHORT, SHA]),
        (
            "push",
            "refs/heads/feature/foo-bar",
            &[],
            &["feature-foo-bar", SHORT, SHA],
        ),
        (
            "push",
            "refs/heads/Fix/Case",
            &[],
            &["Fix-Case", SHORT, SHA],
        ),
        // The highest stable tag gets `latest`; a pre-release above it does not count.
        (
            "push",
            "refs/tags/v1.2.3",
            &["v1.0.0", "v1.2.2", "v1.2.3", "v2.0.0-rc.1"],
            &["1.2.3", "1.2", "1", SHORT, SHA, "latest"],
        ),
        // A patch release of an older line keeps `latest` where it is.
        (
            "push",
            "refs/tags/v1.2.3",
            &["v1.3.0"],
            &["1.2.3", "1.2", "1", SHORT, SHA],
        ),
        (
            "push",
            "refs/tags/v1.2.3-rc.1",
            &[],
            &["1.2.3-rc.1", SHORT, SHA],
        ),
        // Major version zero: no `0` tag (README "Major version zero").
        (
            "push",
            "refs/tags/v0.1.2",
            &[],
            &["0.1.2", "0.1", SHORT, SHA, "latest"],
        ),
        (
            "push",
            "refs/tags/release-2024",
            &[],
            &["release-2024", SHORT, SHA],
        ),
        ("schedule", "refs/heads/main", &[], &["main", SHORT, SHA]),
        (
            "workflow_dispatch",
            "refs/heads/main",
            &[],
            &["main", SHORT, SHA],
        ),
    ];
    for (event, ref_, existing, want) in rows {
        assert_eq!(
            defaults(&ctx(event, ref_), existing),
            want,
            "{event} {ref_}"
        );
    }
}

#[test]
fn default_set_for_a_pull_request_uses_the_head_commit() {
    let (env, event) = pull_request_env();
    let ctx = GitContext::from_actions_env(&env, Some(&event), at()).expect("context");
    let tags = default_tags(&ctx, &TagOptions::default()).expect("tags");
    assert_eq!(tags.tags(), ["pr-12", "sha-0123456", HEAD]);
    assert_eq!(tags.version(), Some("pr-12"));
    assert!(!tags.has_latest());
}

#[test]
fn default_set_on_a_detached_head_has_only_sha_tags() {
    let ctx = GitContext::from_git(SHA, None, None, at()).expect("context");
    assert_eq!(defaults(&ctx, &[]), [SHORT, SHA]);
}

#[test]
fn readme_basic_table() {
    // README "Usage > Basic": empty `tags` input, i.e. metadata-action's default rules.
    let rules = TagRules::metadata_action_defaults();
    let rows: [(&str, &str, &[&str]); 6] = [
        ("pull_request", "refs/pull/2/merge", &["pr-2"]),
        ("push", "refs/heads/master", &["master"]),
        ("push", "refs/heads/releases/v1", &["releases-v1"]),
        ("push", "refs/tags/v1.2.3", &["v1.2.3", "latest"]),
        (
            "push",
            "refs/tags/v2.0.8-beta.67",
            &["v2.0.8-beta.67", "latest"],
        ),
        ("workflow_dispatch", "refs/heads/master", &["master"]),
    ];
    for (event, ref_, want) in rows {
        assert_eq!(run_with(&ctx(event, ref_), &rules, "", &[]), want, "{ref_}");
    }
    // `type=schedule` is among the default rules: `nightly` on a schedule event.
    assert_eq!(
        run_with(&ctx("schedule", "refs/heads/master"), &rules, "", &[]),
        ["nightly", "master"]
    );
}

#[test]
fn readme_semver_table() {
    // README "Usage > Semver".
    let rules = "type=ref,event=branch\n\
                 type=ref,event=pr\n\
                 type=semver,pattern={{version}}\n\
                 type=semver,pattern={{major}}.{{minor}}";
    let rows: [(&str, &str, &[&str]); 5] = [
        ("pull_request", "refs/pull/2/merge", &["pr-2"]),
        ("push", "refs/heads/master", &["master"]),
        ("push", "refs/heads/releases/v1", &["releases-v1"]),
        ("push", "refs/tags/v1.2.3", &["1.2.3", "1.2", "latest"]),
        ("push", "refs/tags/v2.0.8-beta.67", &["2.0.8-beta.67"]),
    ];
    for (event, ref_, want) in rows {
        assert_eq!(run(&ctx(event, ref_), rules, ""), want, "{ref_}");
    }
}

#[test]
fn readme_bake_definition_tags() {
    // README "Usage > Bake definition": `refs/tags/v1.2.3`.
    let rules = "type=ref,event=branch\n\
                 type=ref,event=pr\n\
                 type=semver,pattern={{version}}\n\
                 type=semver,pattern={{major}}.{{minor}}\n\
                 type=sha";
    let tags = run(&ctx("push", "refs/tags/v1.2.3"), rules, "");
    assert_eq!(tags, ["1.2.3", "1.2", "sha-90dd603", "latest"]);
}

#[test]
fn readme_type_ref_table() {
    // README "type=ref" table (with `latest=false` to show the rule's own output).
    let rows = [
        (
            "pull_request",
            "refs/pull/2/merge",
            "type=ref,event=pr",
            "pr-2",
        ),
        (
            "push",
            "refs/heads/master",
            "type=ref,event=branch",
            "master",
        ),
        (
            "push",
            "refs/heads/my/branch",
            "type=ref,event=branch",
            "my-branch",
        ),
        ("push", "refs/tags/v1.2.3", "type=ref,event=tag", "v1.2.3"),
        (
            "push",
            "refs/tags/v2.0.8-beta.67",
            "type=ref,event=tag",
            "v2.0.8-beta.67",
        ),
        (
            "workflow_dispatch",
            "refs/heads/master",
            "type=ref,event=branch",
            "master",
        ),
    ];
    for (event, ref_, rule, want) in rows {
        assert_eq!(
            run(&ctx(event, ref_), rule, "latest=false"),
            [want],
            "{ref_}"
        );
    }
    // A rule for another kind of ref produces nothing.
    assert!(run(&ctx("push", "refs/heads/master"), "type=ref,event=tag", "").is_empty());
    assert!(run(&ctx("push", "refs/tags/v1"), "type=ref,event=pr", "").is_empty());
}

#[test]
fn readme_global_expression_tables() {
    // README "Global expressions": `{{branch}}`, `{{tag}}` and `{{base_ref}}` tables.
    let expand = |ctx: &GitContext, text: &str| {
        expand_global_expressions(text, ctx, 7).expect("expression parses")
    };
    let mut pr = ctx("pull_request", "refs/pull/2/merge");
    pr.base_ref = Some("master".to_owned());
    let mut tag = ctx("push", "refs/tags/v1.2.3");
    tag.base_ref = Some("master".to_owned());
    let mut master = ctx("push", "refs/heads/master");
    master.base_ref = Some("master".to_owned());
    let my_branch = ctx("push", "refs/heads/my/branch");
    let rows = [
        (&pr, "", "", "master"),
        (&master, "master", "", ""),
        (&my_branch, "my/branch", "", ""),
        (&tag, "", "v1.2.3", "master"),
    ];
    for (ctx, branch, tag, base_ref) in rows {
        assert_eq!(expand(ctx, "{{branch}}"), branch, "{}", ctx.ref_);
        assert_eq!(expand(ctx, "{{tag}}"), tag, "{}", ctx.ref_);
        assert_eq!(expand(ctx, "{{base_ref}}"), base_ref, "{}", ctx.ref_);
        assert_eq!(expand(ctx, "{{sha}}"), "90dd603");
    }
    // `{{branch}}` as a tag is sanitized: the README's `my-branch`.
    assert_eq!(
        run(&my_branch, "type=raw,value={{branch}}", ""),
        ["my-branch"]
    );
    // README: `type=sha,prefix={{branch}}-` and `type=raw,value=mytag-{{branch}}-{{sha}}`.
    assert_eq!(
        run(
            &master,
            "type=sha,prefix={{branch}}-\ntype=raw,value=mytag-{{branch}}-{{sha}}",
            ""
        ),
        ["mytag-master-90dd603", "master-90dd603"]
    );
}

#[test]
fn readme_latest_tag_notes() {
    // README "Notes > Latest tag": latest for the default branch only.
    let rule = "type=raw,value=latest,enable={{is_default_branch}}";
    assert_eq!(run(&ctx("push", "refs/heads/master"), rule, ""), ["latest"]);
    assert!(run(&ctx("push", "refs/heads/dev"), rule, "").is_empty());
    let rule = "type=ref,event=branch,enable={{is_not_default_branch}}";
    assert_eq!(run(&ctx("push", "refs/heads/dev"), rule, ""), ["dev"]);
    // Events GitHub only fires on the default branch count as the default branch.
    let mut schedule = ctx("schedule", "refs/heads/nightly");
    schedule.default_branch = None;
    assert!(schedule.is_default_branch());
}

#[test]
fn readme_major_version_zero() {
    // README "Notes > Major version zero": refs/tags/v0.1.2.
    let rules = "type=semver,pattern={{version}}\n\
                 type=semver,pattern={{major}}.{{minor}}\n\
                 type=semver,pattern={{major}},enable=false";
    assert_eq!(
        run(&ctx("push", "refs/tags/v0.1.2"), rules, ""),
        ["0.1.2", "0.1", "latest"]
    );
    // Without the `enable` guard metadata-action gives `0`; rules keep that behaviour.
    assert_eq!(
        run(
            &ctx("push", "refs/tags/v0.1.2"),
            "type=semver,pattern={{major}}",
            ""
        ),
        ["0", "latest"]
    );
}

#[test]
fn latest_auto_is_withheld_when_an_existing_tag_is_higher() {
    let rules = TagRules::parse("type=semver,pattern={{version}}\ntype=ref,event=tag")
        .expect("rules parse");
    let tag = ctx("push", "refs/tags/v1.2.3");
    assert_eq!(
        run_with(&tag, &rules, "", &["v1.2.2"]),
        ["1.2.3", "v1.2.3", "latest"]
    );
    assert_eq!(
        run_with(&tag, &rules, "", &["refs/tags/v1.10.0"]),
        ["1.2.3", "v1.2.3"]
    );
    // `latest=true` forces it regardless.
    assert_eq!(
        run_with(&tag, &rules, "latest=true", &["v9.0.0"]),
        ["1.2.3", "v1.2.3", "latest"]
    );
}

#[test]
fn references_list_every_tag_image_by_image() {
    let tags = compute_tags(
        &ctx("push", "refs/tags/v1.2.3"),
        &TagRules::parse("type=semver,pattern={{version}}").expect("rules parse"),
        &TagOptions::default(),
    )
    .expect("tags");
    let images = [
        ImageRef::parse("name/app").expect("valid"),
        ImageRef::parse("ghcr.io/name/app").expect("valid"),
    ];
    let refs: Vec<String> = tags
        .references(&images)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        refs,
        [
            "name/app:1.2.3",
            "name/app:latest",
            "ghcr.io/name/app:1.2.3",
            "ghcr.io/name/app:latest"
        ]
    );
}

#[test]
fn context_from_actions_push() {
    let env = env(&[
        ("GITHUB_SHA", &SHA.to_uppercase()),
        ("GITHUB_REF", "refs/heads/main"),
        ("GITHUB_EVENT_NAME", "push"),
    ]);
    let event = json!({
        "repository": {"default_branch": "main"},
        "head_commit": {"id": SHA, "timestamp": "2020-01-09T23:00:00+01:00"}
    });
    let ctx = GitContext::from_actions_env(&env, Some(&event), at()).expect("context");
    assert_eq!(ctx.sha, SHA);
    assert_eq!(ctx.branch(), Some("main"));
    assert_eq!(ctx.default_branch.as_deref(), Some("main"));
    assert!(ctx.is_default_branch());
    assert_eq!(ctx.revision(), SHA);
    assert_eq!(
        ctx.commit_timestamp,
        Utc.with_ymd_and_hms(2020, 1, 9, 22, 0, 0).single()
    );
    assert_eq!(ctx.pr_number, None);
}

#[test]
fn context_from_actions_pull_request_and_target() {
    let (env, event) = pull_request_env();
    let ctx = GitContext::from_actions_env(&env, Some(&event), at()).expect("context");
    assert_eq!(
        (ctx.pr_number, ctx.pr_head_sha.as_deref()),
        (Some(12), Some(HEAD))
    );
    assert_eq!(ctx.sha, SHA, "GITHUB_SHA (the merge commit) is kept");
    assert_eq!(ctx.revision(), HEAD);
    assert_eq!(ctx.base_ref.as_deref(), Some("main"));
    assert_eq!(ctx.pull_request_ref(), Some("12"));

    // pull_request_target runs on the base branch; metadata-action tags it as the PR.
    let mut target_env = env.clone();
    target_env.insert(
        "GITHUB_EVENT_NAME".to_owned(),
        "pull_request_target".to_owned(),
    );
    target_env.insert("GITHUB_REF".to_owned(), "refs/heads/main".to_owned());
    let ctx = GitContext::from_actions_env(&target_env, Some(&event), at()).expect("context");
    assert_eq!(ctx.ref_, "refs/pull/12/merge");
    assert_eq!(defaults(&ctx, &[])[0], "pr-12");
}

#[test]
fn context_from_actions_errors() {
    let err = GitContext::from_actions_env(&env(&[("GITHUB_EVENT_NAME", "push")]), None, at())
        .expect_err("no sha");
    assert_eq!(
        err,
        TagError::MissingEnv {
            variable: "GITHUB_SHA"
        }
    );
    assert!(err.to_string().contains("GITHUB_SHA is not set"));
    let err = GitContext::from_actions_env(
        &env(&[("GITHUB_SHA", "abc123"), ("GITHUB_EVENT_NAME", "push")]),
        None,
        at(),
    )
    .expect_err("short sha");
    assert!(
        err.to_string()
            .contains("`abc123` is not a full commit SHA"),
        "{err}"
    );
    let err = GitContext::from_actions_env(&env(&[("GITHUB_SHA", SHA)]), None, at())
        .expect_err("no event");
    assert_eq!(
        err,
        TagError::MissingEnv {
            variable: "GITHUB_EVENT_NAME"
        }
    );
    // No GITHUB_REF (events without a branch or tag): only SHA tags.
    let ctx = GitContext::from_actions_env(
        &env(&[("GITHUB_SHA", SHA), ("GITHUB_EVENT_NAME", "workflow_run")]),
        None,
        at(),
    )
    .expect("context");
    assert_eq!(defaults(&ctx, &[]), [SHORT, SHA]);
}

#[test]
fn context_from_git() {
    let rows = [
        (Some("refs/heads/main\n"), Some("v1.2.3"), "refs/heads/main"),
        (Some("main"), None, "refs/heads/main"),
        (None, Some("v1.2.3\n"), "refs/tags/v1.2.3"),
        (None, Some("v1.2.3-4-g90dd603"), ""),
        (
            None,
            Some("release-2-candidate"),
            "refs/tags/release-2-candidate",
        ),
        (Some(""), None, ""),
    ];
    for (symbolic, describe, want) in rows {
        let ctx =
            GitContext::from_git(&format!("{SHA}\n"), symbolic, describe, at()).expect("context");
        assert_eq!(ctx.ref_, want, "{symbolic:?} {describe:?}");
        assert_eq!((ctx.sha.as_str(), ctx.event_name.as_str()), (SHA, "push"));
    }
    assert!(GitContext::from_git("HEAD", None, None, at()).is_err());
}
