//! The git facts of a build, shared by `build` and `tags`: from GitHub Actions' environment
//! and event payload inside Actions, else from `git` run in the checkout. Also computes the
//! tag list and the image references from `--image`, `--tags` and `--flavor`.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use chrono::Utc;
use serde_json::Value;

use crate::cli::ImageArgs;
use crate::image::ImageError;
use crate::image::labels::RepoInfo;
use crate::image::tags::{
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

/// Reads the git facts. `env` is the process environment; `dir` the checkout.
pub fn facts(env: &HashMap<String, String>, dir: &Path) -> Result<GitFacts, ImageError> {
    let now = Utc::now();
    let existing_tags = git(dir, &["tag", "-l"])
        .map(|out| out.lines().map(str::to_owned).collect())
        .unwrap_or_default();
    let in_actions = env.get("GITHUB_ACTIONS").is_some_and(|v| v == "true");
    if in_actions && env.get("GITHUB_SHA").is_some_and(|v| !v.trim().is_empty()) {
        let event = env
            .get("GITHUB_EVENT_PATH")
            .filter(|p| !p.is_empty())
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
        let git = GitContext::from_actions_env(env, event.as_ref(), now)?;
        let repo = RepoInfo::from_actions_env(env, event.as_ref());
        return Ok(GitFacts {
            git,
            repo,
            existing_tags,
        });
    }
    let head = git(dir, &["rev-parse", "HEAD"]).ok_or_else(|| {
        ImageError::Usage(format!(
            "cannot read the commit with `git rev-parse HEAD` in {}; run inside a git checkout \
             with at least one commit (or in GitHub Actions, where GITHUB_SHA is used)",
            dir.display()
        ))
    })?;
    let symbolic = git(dir, &["symbolic-ref", "-q", "HEAD"]);
    let points_at = git(dir, &["tag", "--points-at", "HEAD"]).unwrap_or_default();
    let tag = pick_tag(points_at.lines());
    let git_ctx = GitContext::from_git(head.trim(), symbolic.as_deref(), tag.as_deref(), now)?;
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

/// Runs `git -C dir args...`; `None` when git fails or is missing.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

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
