//! Evaluation of tag rules against a git context, following docker/metadata-action:
//! rules run by descending priority, the first tag produced is the image version and decides
//! `latest`, duplicates are dropped, and `latest` comes last.

use std::cmp::{Ordering, Reverse};

use semver::Version;

use super::context::GitContext;
use super::error::{RuleProblem, TagError};
use super::pep440::Pep440;
use super::reference::ImageRef;
use super::rules::{Flavor, Kind, LatestMode, RefEvent, ShaFormat, TagRule, TagRules};
use super::template::{RenderEnv, Template, VersionVars};

/// Settings that apply to every rule.
#[derive(Debug, Clone, PartialEq)]
pub struct TagOptions {
    /// The parsed `flavor` input.
    pub flavor: Flavor,
    /// The repository's git tags (`v1.2.3` or `refs/tags/v1.2.3`). With `latest=auto`, a
    /// version that a stable semver tag in this list outranks does not get `latest`, so a
    /// patch release of an older line does not move `latest` back. Empty: no such check.
    pub existing_tags: Vec<String>,
    /// Characters in `sha-<short>` and `{{sha}}`; metadata-action's
    /// `DOCKER_METADATA_SHORT_SHA_LENGTH`. Default 7.
    pub short_sha_length: usize,
}

impl Default for TagOptions {
    fn default() -> Self {
        Self {
            flavor: Flavor::default(),
            existing_tags: Vec::new(),
            short_sha_length: 7,
        }
    }
}

/// The computed tags, in output order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TagList {
    tags: Vec<String>,
    latest: bool,
    warnings: Vec<String>,
}

impl TagList {
    /// The image version: the first (highest-priority) tag, as metadata-action's `version`
    /// output and `org.opencontainers.image.version` label use it.
    pub fn version(&self) -> Option<&str> {
        self.tags.first().map(String::as_str)
    }

    /// Every tag, de-duplicated, `latest` (with its flavor affixes) last when present.
    pub fn tags(&self) -> &[String] {
        &self.tags
    }

    /// Whether a `latest` tag was added by the flavor.
    pub fn has_latest(&self) -> bool {
        self.latest
    }

    /// Rules that applied but produced nothing (an invalid semver value, a pattern that did
    /// not match); metadata-action logs these as warnings.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Whether no tag was produced.
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    /// `image:tag` for every image and tag, image by image, as metadata-action's `tags`
    /// output lists them.
    pub fn references(&self, images: &[ImageRef]) -> Vec<ImageRef> {
        images
            .iter()
            .flat_map(|image| self.tags.iter().map(|tag| image.with_tag(tag)))
            .collect()
    }

    fn push(&mut self, tag: String) {
        if !self.tags.contains(&tag) {
            self.tags.push(tag);
        }
    }
}

/// Computes tags with deploy-action's default set ([`TagRules::deploy_action_defaults`]).
pub fn default_tags(ctx: &GitContext, options: &TagOptions) -> Result<TagList, TagError> {
    compute_tags(ctx, &TagRules::deploy_action_defaults(), options)
}

/// Computes tags from `rules`.
///
/// With `latest=auto`, `latest` is added when the first tag comes from a stable
/// `semver`/`pep440` version, a `match` rule or a `ref,event=tag` rule (metadata-action's
/// rule) and, in addition, no stable semver tag in [`TagOptions::existing_tags`] is higher.
pub fn compute_tags(
    ctx: &GitContext,
    rules: &TagRules,
    options: &TagOptions,
) -> Result<TagList, TagError> {
    let mut ordered: Vec<&TagRule> = rules.rules.iter().collect();
    // A stable sort: equal priorities keep input order, as in metadata-action.
    ordered.sort_by_key(|rule| Reverse(rule.priority));
    let env = RenderEnv {
        ctx,
        short_sha_length: options.short_sha_length,
        version: None,
    };

    let mut list = TagList::default();
    let mut latest = None;
    for rule in ordered {
        match rule.enable.render(&env).as_str() {
            "true" => {}
            "false" => continue,
            other => return Err(rule.error(RuleProblem::EnableNotBoolean(other.to_owned()))),
        }
        let Some(emitted) = evaluate(rule, &env, &mut list.warnings) else {
            continue;
        };
        let prefix = affix(rule.prefix.as_ref(), options.flavor.prefix.as_ref(), &env);
        let suffix = affix(rule.suffix.as_ref(), options.flavor.suffix.as_ref(), &env);
        let Some(tag) = sanitize_tag(&format!("{prefix}{}{suffix}", emitted.value)) else {
            continue;
        };
        if latest.is_none() {
            latest = Some(match options.flavor.latest {
                LatestMode::True => true,
                LatestMode::False => false,
                LatestMode::Auto => {
                    emitted.auto_latest
                        && !emitted
                            .candidate
                            .is_some_and(|v| outranked(&v, &options.existing_tags))
                }
            });
        }
        list.push(tag);
    }

    if latest == Some(true) {
        let flavor = &options.flavor;
        let render = |t: Option<&Template>, on: bool| match t {
            Some(t) if on => t.render(&env),
            _ => String::new(),
        };
        let prefix = render(flavor.prefix.as_ref(), flavor.prefix_on_latest);
        let suffix = render(flavor.suffix.as_ref(), flavor.suffix_on_latest);
        if let Some(tag) = sanitize_tag(&format!("{prefix}latest{suffix}")) {
            list.push(tag);
            list.latest = true;
        }
    }
    Ok(list)
}

/// Makes `raw` a valid Docker tag: each run of characters outside `[A-Za-z0-9_.-]` becomes
/// one `-` (so `feature/foo` gives `feature-foo`), leading `.` and `-` are dropped, and the
/// result is cut to 128 characters. Case is kept: tags are case-sensitive. `None` when
/// nothing is left.
pub fn sanitize_tag(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut replacing = false;
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
            out.push(c);
            replacing = false;
        } else if !replacing {
            out.push('-');
            replacing = true;
        }
    }
    let tag: String = out
        .trim_start_matches(['.', '-'])
        .chars()
        .take(128)
        .collect();
    (!tag.is_empty()).then_some(tag)
}

/// What one rule produced, before prefix and suffix.
struct Emitted {
    value: String,
    /// Whether `latest=auto` adds `latest` when this is the first tag.
    auto_latest: bool,
    /// The version compared with existing tags for `latest=auto`.
    candidate: Option<Version>,
}

impl Emitted {
    fn plain(value: String) -> Option<Self> {
        Some(Self {
            value,
            auto_latest: false,
            candidate: None,
        })
    }
}

fn affix(own: Option<&Template>, flavor: Option<&Template>, env: &RenderEnv<'_>) -> String {
    // A rule's own prefix or suffix, even an empty one, replaces the flavor's.
    own.or(flavor).map(|t| t.render(env)).unwrap_or_default()
}

fn evaluate(rule: &TagRule, env: &RenderEnv<'_>, warnings: &mut Vec<String>) -> Option<Emitted> {
    let ctx = env.ctx;
    let mut warn = |message: String| {
        if !rule.quiet {
            warnings.push(format!(
                "tags line {} (`{}`): {message}",
                rule.line(),
                rule.text()
            ));
        }
    };
    match &rule.kind {
        Kind::Schedule { pattern } if ctx.event_name.contains("schedule") => {
            Emitted::plain(pattern.render(env))
        }
        Kind::Schedule { .. } => None,
        Kind::Semver {
            pattern,
            value,
            matcher,
            skip_major_zero,
        } => {
            let raw = version_input(value.as_ref(), matcher.as_ref(), env, &mut warn)?;
            semver_tag(pattern, &raw, *skip_major_zero, env, &mut warn)
        }
        Kind::Pep440 {
            pattern,
            value,
            matcher,
        } => {
            let raw = version_input(value.as_ref(), matcher.as_ref(), env, &mut warn)?;
            pep440_tag(pattern, &raw, env, &mut warn)
        }
        Kind::Match {
            pattern,
            group,
            value,
        } => match_tag(pattern, *group, value.as_ref(), env, &mut warn),
        Kind::Edge { branch } => {
            let current = ctx.branch()?;
            let Some(target) = branch.as_deref().or(ctx.default_branch.as_deref()) else {
                warn("the default branch is unknown; add `branch=<name>`".to_owned());
                return None;
            };
            (current == target).then(|| Emitted::plain("edge".to_owned()))?
        }
        Kind::Ref {
            event: RefEvent::Branch,
            ..
        } => Emitted::plain(ctx.branch()?.to_owned()),
        Kind::Ref {
            event: RefEvent::Pr,
            ..
        } => Emitted::plain(ctx.pull_request_ref()?.to_owned()),
        Kind::Ref {
            event: RefEvent::Tag,
            non_semver_only,
        } => {
            let tag = ctx.tag()?;
            let candidate = parse_semver(tag);
            if *non_semver_only && candidate.is_some() {
                return None;
            }
            Some(Emitted {
                value: tag.to_owned(),
                auto_latest: !non_semver_only,
                candidate,
            })
        }
        Kind::Raw { value } => Emitted::plain(value.render(env)),
        Kind::Sha { format } => Emitted::plain(match format {
            ShaFormat::Short => ctx.short_sha(env.short_sha_length).to_owned(),
            ShaFormat::Long => ctx.revision().to_owned(),
        }),
    }
}

/// A semver rule's tag for version text `raw`: no tag (a warning) when it is not semver.
fn semver_tag(
    pattern: &Template,
    raw: &str,
    skip_major_zero: bool,
    env: &RenderEnv<'_>,
    warn: &mut impl FnMut(String),
) -> Option<Emitted> {
    let Some(version) = parse_semver(raw) else {
        warn(format!(
            "`{raw}` is not a valid semver version (https://semver.org); no tag"
        ));
        return None;
    };
    let main = format!("{}.{}.{}", version.major, version.minor, version.patch);
    let full = if version.pre.is_empty() {
        main
    } else {
        format!("{main}-{}", version.pre)
    };
    if skip_major_zero && version.major == 0 {
        return None;
    }
    let stable = version.pre.is_empty();
    let vars = VersionVars {
        raw: raw.to_owned(),
        version: full.clone(),
        major: version.major.to_string(),
        minor: version.minor.to_string(),
        patch: version.patch.to_string(),
    };
    Some(Emitted {
        value: render_version(pattern, stable, &vars, env),
        auto_latest: stable,
        candidate: Some(version),
    })
}

/// A PEP 440 rule's tag for version text `raw`: no tag (a warning) when it does not conform.
fn pep440_tag(
    pattern: &Template,
    raw: &str,
    env: &RenderEnv<'_>,
    warn: &mut impl FnMut(String),
) -> Option<Emitted> {
    let Some(version) = Pep440::parse(raw) else {
        warn(format!(
            "`{raw}` does not conform to PEP 440 (https://peps.python.org/pep-0440/); \
             no tag"
        ));
        return None;
    };
    let vars = VersionVars {
        raw: raw.to_owned(),
        version: version.normalized(),
        major: version.major().to_string(),
        minor: version.minor().to_string(),
        patch: version.patch().to_string(),
    };
    let stable = version.is_final();
    Some(Emitted {
        value: render_version(pattern, stable, &vars, env),
        auto_latest: stable,
        candidate: parse_semver(&vars.version),
    })
}

/// A match rule's tag: capture group `group` of `pattern` in `value` (default: the git tag).
fn match_tag(
    pattern: &super::regex::Regex,
    group: usize,
    value: Option<&Template>,
    env: &RenderEnv<'_>,
    warn: &mut impl FnMut(String),
) -> Option<Emitted> {
    let ctx = env.ctx;
    let input = match value {
        Some(v) => v.render(env),
        None => ctx.tag()?.to_owned(),
    };
    let Some(captures) = pattern.captures(&input) else {
        warn(format!("the pattern does not match `{input}`; no tag"));
        return None;
    };
    let Some(Some(matched)) = captures.get(group).cloned() else {
        warn(format!(
            "group {group} did not capture anything in `{input}`; no tag"
        ));
        return None;
    };
    Some(Emitted {
        candidate: parse_semver(&matched),
        value: matched,
        auto_latest: true,
    })
}

/// The string a semver or PEP 440 rule reads: `value=` when set, else the git tag; then
/// narrowed by `match=` (its first group) and with `/` replaced by `-`.
fn version_input(
    value: Option<&Template>,
    matcher: Option<&super::regex::Regex>,
    env: &RenderEnv<'_>,
    warn: &mut impl FnMut(String),
) -> Option<String> {
    let mut raw = match value {
        Some(v) => v.render(env),
        None => env.ctx.tag()?.to_owned(),
    };
    if raw.is_empty() {
        return None;
    }
    if let Some(matcher) = matcher {
        match matcher.captures(&raw) {
            Some(captures) => {
                let group = captures.get(1).or_else(|| captures.first());
                if let Some(Some(matched)) = group {
                    raw = matched.clone();
                }
            }
            None => warn(format!("`match` does not match `{raw}`; using it whole")),
        }
    }
    Some(raw.replace('/', "-"))
}

/// A pre-release keeps only `{{version}}`, or `{{raw}}` when the pattern is exactly that.
fn render_version(
    pattern: &Template,
    stable: bool,
    vars: &VersionVars,
    env: &RenderEnv<'_>,
) -> String {
    if !stable {
        return if pattern.is_raw() {
            vars.raw.clone()
        } else {
            vars.version.clone()
        };
    }
    pattern.render(&RenderEnv {
        ctx: env.ctx,
        short_sha_length: env.short_sha_length,
        version: Some(vars),
    })
}

/// Strict semver after one optional leading `v` (and `refs/tags/`), as node-semver's
/// `valid()` reads git tags.
fn parse_semver(text: &str) -> Option<Version> {
    let text = text.trim();
    let text = text.strip_prefix("refs/tags/").unwrap_or(text);
    Version::parse(text.strip_prefix('v').unwrap_or(text)).ok()
}

/// Whether a stable semver tag among `existing` is strictly higher than `candidate`.
fn outranked(candidate: &Version, existing: &[String]) -> bool {
    existing
        .iter()
        .filter_map(|t| parse_semver(t))
        .filter(|v| v.pre.is_empty())
        .any(|v| v.cmp_precedence(candidate) == Ordering::Greater)
}
