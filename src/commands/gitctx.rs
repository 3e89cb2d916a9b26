//! The commands' one home for git: the commit a command records or labels ([`commit_sha`]: `--sha`,
//! then `GITHUB_SHA` in GitHub Actions, then `git rev-parse HEAD`), the git facts of a build
//! shared by `build` and `tags` (from GitHub Actions' environment and event payload inside
//! Actions, else from `git` run in the checkout), and the tag list and image references from
//! `--image`, `--tags` and `--flavor`.

use std::collections::HashMap;
use std::path::Path;

use chrono::Utc;
use serde_json::Value;

use crate::cli::ImageArgs;
use deploy_action_image::ImageError;
use deploy_action_image::labels::RepoInfo;
use deploy_action_image::tags::{
    Flavor, GitContext, ImageRef, TagList, TagOptions, TagRules, compute_tags, default_tags,
};

/// What tags and labels are computed from.
#[derive(Debug, Clone)]
pub struct GitFacts {
    /// Commit, ref, event.
    pub git: GitContext,
    /// Repository facts for the OCI labels.
    pub repo: RepoInfo,
    /// The repository's tags, for `latest=auto`.
    pub existing_tags: Vec<String>,
}

/// The computed tags and the references they give.
#[derive(Debug, Clone)]
pub struct Tagging {
    /// The tags.
    pub list: TagList,
    /// The `--image` names.
    pub images: Vec<ImageRef>,
    /// Every `image:tag`, image by image.
    pub refs: Vec<ImageRef>,
}

/// Why the commit of a command is unknown or unusable.
#[derive(Debug, thiserror::Error)]
pub enum ShaError {
    /// `--sha` or `GITHUB_SHA` is not a full commit SHA.
    #[error(
        "{origin} `{value}` is not a full commit SHA; pass 40 hex digits, as `git rev-parse HEAD` \
         prints them"
    )]
    Invalid {
        /// `--sha` or `GITHUB_SHA`.
        origin: &'static str,
        /// What was given.
        value: String,
    },
    /// Nothing says which commit this is.
    #[error(
        "no commit: pass --sha SHA (GITHUB_SHA is read only in GitHub Actions, and `git rev-parse \
         HEAD` found no commit in {dir})"
    )]
    Missing {
        /// Where git was asked.
        dir: String,
    },
}

/// Where [`commit_sha`] found the commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShaSource {
    /// `--sha`.
    Flag,
    /// `GITHUB_SHA` (in GitHub Actions).
    Actions,
    /// `git rev-parse HEAD`.
    Git,
}

/// The commit a command records or labels, in the one documented order: `--sha`, then
/// `GITHUB_SHA` when running in GitHub Actions (`GITHUB_ACTIONS=true`), then `git rev-parse
/// HEAD` in `dir`. Lower-cased; 40 (or 64, SHA-256 repositories) hex digits.
pub fn commit_sha(
    flag: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    dir: &Path,
) -> Result<(String, ShaSource), ShaError> {
    if let Some(value) = flag.map(str::trim).filter(|v| !v.is_empty()) {
        return full_sha("--sha", value).map(|s| (s, ShaSource::Flag));
    }
    if in_actions(env)
        && let Some(value) = env("GITHUB_SHA").filter(|v| !v.trim().is_empty())
    {
        return full_sha("GITHUB_SHA", value.trim()).map(|s| (s, ShaSource::Actions));
    }
    match deploy_action_sys::git::head(dir) {
        Some(head) => full_sha("--sha", &head).map(|s| (s, ShaSource::Git)),
        None => Err(ShaError::Missing {
            dir: dir.display().to_string(),
        }),
    }
}

/// Whether this runs in GitHub Actions (`GITHUB_ACTIONS=true`).
pub fn in_actions(env: &dyn Fn(&str) -> Option<String>) -> bool {
    env("GITHUB_ACTIONS").is_some_and(|v| v == "true")
}

fn full_sha(origin: &'static str, value: &str) -> Result<String, ShaError> {
    let ok = matches!(value.len(), 40 | 64) && value.bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(ShaError::Invalid {
            origin,
            value: value.to_owned(),
        })
    }
}

/// Reads the git facts. `env` is the process environment; `dir` the checkout; `sha` the
/// `--sha` flag, which wins over `GITHUB_SHA` and git (see [`commit_sha`]).
pub fn facts(
    env: &HashMap<String, String>,
    dir: &Path,
    sha: Option<&str>,
) -> Result<GitFacts, ImageError> {
    let now = Utc::now();
    let existing_tags = git(dir, &["tag", "-l"])
        .map(|out| out.lines().map(str::to_owned).collect())
        .unwrap_or_default();
    let get = |k: &str| env.get(k).cloned();
    let (commit, source) =
        commit_sha(sha, &get, dir).map_err(|e| ImageError::Usage(e.to_string()))?;
    if in_actions(&get) && env.get("GITHUB_SHA").is_some_and(|v| !v.trim().is_empty()) {
        let event = env
            .get("GITHUB_EVENT_PATH")
            .filter(|p| !p.is_empty())
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
        let mut git = GitContext::from_actions_env(env, event.as_ref(), now)?;
        if source == ShaSource::Flag {
            // --sha names the commit built, also over a pull request's head.
            git.sha.clone_from(&commit);
            if git.pr_head_sha.is_some() {
                git.pr_head_sha = Some(commit);
            }
        }
        let repo = RepoInfo::from_actions_env(env, event.as_ref());
        return Ok(GitFacts {
            git,
            repo,
            existing_tags,
        });
    }
    // The branch and tags of the checkout describe the commit only when it is HEAD.
    let head = deploy_action_sys::git::head(dir).map(|h| h.to_ascii_lowercase());
    let at_head = head.as_deref() == Some(commit.as_str());
    let symbolic = at_head
        .then(|| git(dir, &["symbolic-ref", "-q", "HEAD"]))
        .flatten();
    let points_at = at_head
        .then(|| git(dir, &["tag", "--points-at", "HEAD"]))
        .flatten()
        .unwrap_or_default();
    let tag = pick_tag(points_at.lines());
    let git_ctx = GitContext::from_git(&commit, symbolic.as_deref(), tag.as_deref(), now)?;
    let repo = git(dir, &["config", "--get", "remote.origin.url"])
        .and_then(|url| repo_from_remote(url.trim()))
        .unwrap_or_default();
    Ok(GitFacts {
        git: git_ctx,
        repo,
        existing_tags,
    })
}

/// Computes tags and references for `args`.
pub fn tagging(args: &ImageArgs, facts: &GitFacts) -> Result<Tagging, ImageError> {
    let mut images = Vec::new();
    for text in &args.images {
        let image = ImageRef::parse_lowercased(text)?;
        if image.tag().is_some() || image.digest().is_some() {
            return Err(ImageError::Usage(format!(
                "--image {text} has a tag or digest; pass the name alone (`{}`) and choose tags \
                 with --tags",
                image.name()
            )));
        }
        images.push(image);
    }
    let options = TagOptions {
        flavor: Flavor::parse(args.flavor.as_deref().unwrap_or(""))?,
        existing_tags: facts.existing_tags.clone(),
        ..TagOptions::default()
    };
    let list = match args.tags.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(text) => compute_tags(&facts.git, &TagRules::parse(text)?, &options)?,
        None => default_tags(&facts.git, &options)?,
    };
    if list.is_empty() {
        return Err(ImageError::Usage(
            "the tag rules give no tag for this commit and ref; add a rule that always applies \
             (e.g. `type=sha`)"
                .to_owned(),
        ));
    }
    let refs = list.references(&images);
    Ok(Tagging { list, images, refs })
}

/// Runs `git -C dir args...` (see [`deploy_action_sys::git::git`], the one place git runs).
pub use deploy_action_sys::git::git;

/// Of the tags on HEAD, the highest semver one, else the first by name.
fn pick_tag<'a>(tags: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut all: Vec<&str> = tags.map(str::trim).filter(|t| !t.is_empty()).collect();
    all.sort_unstable();
    let semver = |t: &str| semver::Version::parse(t.strip_prefix('v').unwrap_or(t)).ok();
    all.iter()
        .filter_map(|t| Some((semver(t)?, *t)))
        .max_by(|a, b| a.0.cmp_precedence(&b.0))
        .map(|(_, t)| t)
        .or_else(|| all.first().copied())
        .map(str::to_owned)
}

/// `https://github.com/o/r.git` or `git@github.com:o/r.git` → server URL and `o/r`.
fn repo_from_remote(url: &str) -> Option<RepoInfo> {
    let (host, path) = if let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .or_else(|| url.strip_prefix("ssh://"))
    {
        let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
        rest.split_once('/')?
    } else {
        let rest = url.split_once('@')?.1;
        rest.split_once(':')?
    };
    let host = host.split(':').next().unwrap_or(host);
    let path = path.trim_end_matches('/').trim_end_matches(".git");
    (path.split('/').count() == 2).then(|| RepoInfo {
        server_url: format!("https://{host}"),
        repository: path.to_owned(),
        ..RepoInfo::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_semver_tag_on_head_wins() {
        let tags = ["v1.2.0", "nightly", "v1.10.0", "v1.9.9"];
        assert_eq!(pick_tag(tags.into_iter()).as_deref(), Some("v1.10.0"));
        assert_eq!(pick_tag(["b", "a"].into_iter()).as_deref(), Some("a"));
        assert_eq!(pick_tag(std::iter::empty()), None);
    }

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn the_commit_comes_from_the_flag_then_actions_then_git() {
        let outside = tempfile::tempdir().expect("tempdir");
        let actions = env(&[("GITHUB_ACTIONS", "true"), ("GITHUB_SHA", B)]);
        // --sha wins everywhere.
        let (sha, from) = commit_sha(Some(A), &actions, outside.path()).expect("flag");
        assert_eq!((sha.as_str(), from), (A, ShaSource::Flag));
        // GITHUB_SHA in Actions, lower-cased.
        let (sha, from) = commit_sha(None, &actions, outside.path()).expect("actions");
        assert_eq!((sha, from), (B.to_ascii_lowercase(), ShaSource::Actions));
        // GITHUB_SHA outside Actions is not read: no checkout, so the error names --sha.
        let stray = env(&[("GITHUB_SHA", B)]);
        let err = commit_sha(None, &stray, outside.path()).expect_err("no commit");
        assert!(matches!(err, ShaError::Missing { .. }), "{err}");
        assert!(err.to_string().contains("pass --sha SHA"), "{err}");
    }

    #[test]
    fn a_short_or_odd_sha_is_refused_with_its_origin() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = commit_sha(Some("abc1234"), &env(&[]), dir.path()).expect_err("short");
        assert!(err.to_string().starts_with("--sha `abc1234`"), "{err}");
        let actions = env(&[("GITHUB_ACTIONS", "true"), ("GITHUB_SHA", "main")]);
        let err = commit_sha(None, &actions, dir.path()).expect_err("not hex");
        assert!(err.to_string().starts_with("GITHUB_SHA `main`"), "{err}");
    }

    #[test]
    fn remotes_give_the_repository() {
        for url in [
            "https://github.com/org/app.git",
            "git@github.com:org/app.git",
            "ssh://git@github.com:22/org/app",
            "https://token@github.com/org/app/",
        ] {
            let info = repo_from_remote(url).expect(url);
            assert_eq!(info.server_url, "https://github.com", "{url}");
            assert_eq!(info.repository, "org/app", "{url}");
        }
        assert!(repo_from_remote("/srv/git/app").is_none());
    }
}
