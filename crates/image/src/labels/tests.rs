//! Label tables; the first mirrors docker/metadata-action's README "Bake definition" example.

use std::collections::{BTreeMap, HashMap};

use chrono::{TimeZone, Utc};
use serde_json::json;

use super::*;

const SHA: &str = "860c1904a1ce19322e91ac35af1ab07466440c37";
const HEAD: &str = "0123456789abcdef0123456789abcdef01234567";

fn git(ref_: &str) -> GitContext {
    let at = Utc
        .with_ymd_and_hms(2020, 1, 10, 0, 30, 0)
        .single()
        .expect("valid date");
    let mut ctx = GitContext::from_git(SHA, None, None, at).expect("valid sha");
    ctx.ref_ = ref_.to_owned();
    ctx
}

fn hello_world() -> RepoInfo {
    RepoInfo {
        server_url: "https://github.com".to_owned(),
        repository: "octocat/Hello-World".to_owned(),
        name: Some("Hello-World".to_owned()),
        description: Some("This your first repo!".to_owned()),
        html_url: Some("https://github.com/octocat/Hello-World".to_owned()),
        license: Some("MIT".to_owned()),
    }
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn readme_bake_definition_labels() {
    // README "Bake definition": refs/tags/v1.2.3, version 1.2.3.
    let ctx = git("refs/tags/v1.2.3");
    let repo = hello_world();
    let labels = oci_labels(&LabelInputs {
        git: &ctx,
        repo: &repo,
        version: Some("1.2.3"),
        context_digest: None,
        user_labels: &[],
    })
    .expect("labels");
    assert_eq!(
        labels,
        map(&[
            (
                "org.opencontainers.image.created",
                "2020-01-10T00:30:00.000Z"
            ),
            (
                "org.opencontainers.image.description",
                "This your first repo!"
            ),
            ("org.opencontainers.image.licenses", "MIT"),
            ("org.opencontainers.image.revision", SHA),
            (
                "org.opencontainers.image.source",
                "https://github.com/octocat/Hello-World"
            ),
            ("org.opencontainers.image.title", "Hello-World"),
            (
                "org.opencontainers.image.url",
                "https://github.com/octocat/Hello-World"
            ),
            ("org.opencontainers.image.version", "1.2.3"),
        ])
    );
}

#[test]
fn user_labels_override_and_expand_expressions() {
    // README "Overwrite labels and annotations", plus a `{{sha}}` global expression.
    let ctx = git("refs/heads/main");
    let repo = hello_world();
    let user = [
        "maintainer=CrazyMax".to_owned(),
        "org.opencontainers.image.title=MyCustomTitle".to_owned(),
        "org.opencontainers.image.description=".to_owned(),
        "build=main-{{sha}}".to_owned(),
        "equation=a=b".to_owned(),
    ];
    let labels = oci_labels(&LabelInputs {
        git: &ctx,
        repo: &repo,
        version: Some("main"),
        context_digest: Some("sha256:abc"),
        user_labels: &user,
    })
    .expect("labels");
    assert_eq!(labels["maintainer"], "CrazyMax");
    assert_eq!(labels["org.opencontainers.image.title"], "MyCustomTitle");
    assert_eq!(labels["org.opencontainers.image.description"], "");
    assert_eq!(labels["build"], "main-860c190");
    assert_eq!(labels["equation"], "a=b");
    assert_eq!(labels[CONTEXT_DIGEST_LABEL], "sha256:abc");
    assert_eq!(labels["org.opencontainers.image.version"], "main");
}

#[test]
fn pull_request_revision_is_the_head_commit_and_empty_defaults_are_omitted() {
    let mut ctx = git("refs/pull/12/merge");
    ctx.pr_head_sha = Some(HEAD.to_owned());
    let repo = RepoInfo {
        server_url: "https://github.example.com/".to_owned(),
        repository: "org/app".to_owned(),
        ..RepoInfo::default()
    };
    let labels = oci_labels(&LabelInputs {
        git: &ctx,
        repo: &repo,
        version: None,
        context_digest: None,
        user_labels: &[],
    })
    .expect("labels");
    assert_eq!(
        labels,
        map(&[
            (
                "org.opencontainers.image.created",
                "2020-01-10T00:30:00.000Z"
            ),
            ("org.opencontainers.image.revision", HEAD),
            (
                "org.opencontainers.image.source",
                "https://github.example.com/org/app"
            ),
            ("org.opencontainers.image.title", "app"),
            (
                "org.opencontainers.image.url",
                "https://github.example.com/org/app"
            ),
        ])
    );
}

#[test]
fn repo_info_from_actions_environment() {
    let env: HashMap<String, String> = [
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_REPOSITORY", "Octocat/Hello-World"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let event = json!({"repository": {
        "name": "Hello-World",
        "description": "",
        "html_url": "https://github.com/Octocat/Hello-World",
        "license": {"spdx_id": "Apache-2.0"}
    }});
    let repo = RepoInfo::from_actions_env(&env, Some(&event));
    assert_eq!(repo.name.as_deref(), Some("Hello-World"));
    assert_eq!(repo.description, None);
    assert_eq!(repo.license.as_deref(), Some("Apache-2.0"));
    assert_eq!(
        repo.source_url().as_deref(),
        Some("https://github.com/Octocat/Hello-World")
    );
    let bare = RepoInfo::from_actions_env(&HashMap::new(), None);
    assert_eq!(bare.source_url(), None);
}

#[test]
fn malformed_user_labels_say_how_to_fix_them() {
    let ctx = git("refs/heads/main");
    let repo = hello_world();
    let run = |label: &str| {
        let user = [label.to_owned()];
        oci_labels(&LabelInputs {
            git: &ctx,
            repo: &repo,
            version: None,
            context_digest: None,
            user_labels: &user,
        })
        .expect_err("invalid label")
        .to_string()
    };
    assert!(run("maintainer").contains("has no `=`"));
    assert!(run(" =x").contains("empty key"));
    assert!(run("x={{shaa}}").contains("unknown expression `{{shaa}}`"));
}
