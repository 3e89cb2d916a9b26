//! Parsing of the `tags` and `flavor` inputs in docker/metadata-action's syntax: one entry a
//! line, comma-separated `key=value` attributes, `#` comment lines, CSV double quotes for
//! values that hold a comma.

use std::collections::BTreeSet;

use super::error::{RuleProblem, TagError};
use super::regex::Regex;
use super::template::{Scope, Template};

/// Which ref a `type=ref` rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefEvent {
    /// `refs/heads/<branch>`.
    Branch,
    /// `refs/tags/<tag>`.
    Tag,
    /// `refs/pull/<n>/merge`.
    Pr,
}

/// Whether `type=sha` gives the short or the full SHA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShaFormat {
    /// The first 7 characters (see [`super::TagOptions::short_sha_length`]).
    Short,
    /// All 40 (or 64) characters.
    Long,
}

/// What a rule does; the payload is private to the engine.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Schedule {
        pattern: Template,
    },
    Semver {
        pattern: Template,
        value: Option<Template>,
        matcher: Option<Regex>,
        /// deploy-action's default set: no `0` tag for `0.y.z`.
        skip_major_zero: bool,
    },
    Pep440 {
        pattern: Template,
        value: Option<Template>,
        matcher: Option<Regex>,
    },
    Match {
        pattern: Regex,
        group: usize,
        value: Option<Template>,
    },
    Edge {
        branch: Option<String>,
    },
    Ref {
        event: RefEvent,
        /// deploy-action's default set: only tags that are not semver, and no `latest`.
        non_semver_only: bool,
    },
    Raw {
        value: Template,
    },
    Sha {
        format: ShaFormat,
    },
}

/// One parsed entry of the `tags` input.
#[derive(Debug, Clone, PartialEq)]
pub struct TagRule {
    pub(crate) kind: Kind,
    pub(crate) enable: Template,
    pub(crate) priority: i64,
    pub(crate) prefix: Option<Template>,
    pub(crate) suffix: Option<Template>,
    /// Built-in rules stay silent about refs they do not apply to.
    pub(crate) quiet: bool,
    line: usize,
    text: String,
}

impl TagRule {
    /// The rule's `type`: `schedule`, `semver`, `pep440`, `match`, `edge`, `ref`, `raw`, `sha`.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Schedule { .. } => "schedule",
            Kind::Semver { .. } => "semver",
            Kind::Pep440 { .. } => "pep440",
            Kind::Match { .. } => "match",
            Kind::Edge { .. } => "edge",
            Kind::Ref { .. } => "ref",
            Kind::Raw { .. } => "raw",
            Kind::Sha { .. } => "sha",
        }
    }

    /// The priority: explicit `priority=`, else the type's default (schedule 1000, semver and
    /// pep440 900, match 800, edge 700, ref 600, raw 200, sha 100). Higher comes first.
    pub fn priority(&self) -> i64 {
        self.priority
    }

    /// The 1-based line of the input the rule came from (0 for built-in rules).
    pub fn line(&self) -> usize {
        self.line
    }

    /// The rule as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn error(&self, problem: RuleProblem) -> TagError {
        TagError::Rule {
            line: self.line,
            text: self.text.clone(),
            problem,
        }
    }
}

/// A parsed `tags` input, in input order (the engine sorts by priority).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TagRules {
    pub(crate) rules: Vec<TagRule>,
}

impl TagRules {
    /// Parses a `tags` input: one rule a line; blank lines and lines starting with `#` are
    /// skipped. An empty input gives an empty set (see [`TagRules::metadata_action_defaults`]).
    pub fn parse(input: &str) -> Result<Self, TagError> {
        let mut rules = Vec::new();
        for (index, line) in input.lines().enumerate() {
            let text = line.trim();
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            let error = |problem| TagError::Rule {
                line: index + 1,
                text: text.to_owned(),
                problem,
            };
            let mut rule = parse_rule(text).map_err(error)?;
            rule.line = index + 1;
            rules.push(rule);
        }
        Ok(Self { rules })
    }

    /// The rules metadata-action uses when its `tags` input is empty.
    pub fn metadata_action_defaults() -> Self {
        Self::builtin(&[
            "type=schedule",
            "type=ref,event=branch",
            "type=ref,event=tag",
            "type=ref,event=pr",
        ])
    }

    /// deploy-action's default set: `1.2.3`, `1.2`, `1` for a stable semver tag (no `1.2`,
    /// `1` for a pre-release, no `0` for `0.y.z`), the branch name, `pr-<n>`, a non-semver
    /// tag's name, `sha-<7 hex>` and the full SHA. With `latest=auto`, `latest` is added for
    /// a stable semver tag that no existing tag outranks.
    pub fn deploy_action_defaults() -> Self {
        let mut set = Self::builtin(&[
            "type=semver,pattern={{version}}",
            "type=semver,pattern={{major}}.{{minor}}",
            "type=semver,pattern={{major}}",
            "type=ref,event=branch",
            "type=ref,event=pr",
            "type=ref,event=tag",
            "type=sha",
            "type=sha,format=long,prefix=",
        ]);
        for rule in &mut set.rules {
            match (&mut rule.kind, rule.text.as_str()) {
                (
                    Kind::Semver {
                        skip_major_zero, ..
                    },
                    "type=semver,pattern={{major}}",
                ) => {
                    *skip_major_zero = true;
                }
                (
                    Kind::Ref {
                        event: RefEvent::Tag,
                        non_semver_only,
                    },
                    _,
                ) => *non_semver_only = true,
                _ => {}
            }
        }
        set
    }

    fn builtin(lines: &[&str]) -> Self {
        let rules = lines
            .iter()
            .filter_map(|line| parse_rule(line).ok())
            .map(|mut rule| {
                rule.quiet = true;
                rule
            })
            .collect();
        Self { rules }
    }

    /// The rules in input order.
    pub fn rules(&self) -> &[TagRule] {
        &self.rules
    }

    /// Whether there is no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

impl std::str::FromStr for TagRules {
    type Err = TagError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse(input)
    }
}

const COMMON: &str = "enable, priority, prefix, suffix";

/// Attributes each type takes beyond `type` and [`COMMON`].
fn specific_attributes(kind: &str) -> &'static [&'static str] {
    match kind {
        "schedule" => &["pattern"],
        "semver" | "pep440" => &["pattern", "value", "match"],
        "match" => &["pattern", "group", "value"],
        "edge" => &["branch"],
        "ref" => &["event"],
        "raw" => &["value"],
        _ => &["format"],
    }
}

fn allowed_text(kind: &str) -> &'static str {
    match kind {
        "schedule" => "pattern, enable, priority, prefix, suffix",
        "semver" | "pep440" => "pattern, value, match, enable, priority, prefix, suffix",
        "match" => "pattern, group, value, enable, priority, prefix, suffix",
        "edge" => "branch, enable, priority, prefix, suffix",
        "ref" => "event, enable, priority, prefix, suffix",
        "raw" => "value, enable, priority, prefix, suffix",
        _ => "format, enable, priority, prefix, suffix",
    }
}

/// Splits one line into CSV fields, honouring double quotes.
pub(crate) fn split_fields(line: &str) -> Result<Vec<String>, RuleProblem> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
            chars.next();
        }
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err(RuleProblem::UnterminatedQuote),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                }
            }
            while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
                chars.next();
            }
            if chars.peek().is_some_and(|c| *c != ',') {
                return Err(RuleProblem::TextAfterQuote);
            }
        } else {
            while let Some(c) = chars.peek().copied().filter(|c| *c != ',') {
                field.push(c);
                chars.next();
            }
        }
        fields.push(field);
        if chars.next().is_none() {
            return Ok(fields);
        }
    }
}

/// Splits fields into `(key, value)`: the key is lower-cased, both are trimmed, and a field
/// without `=` is a bare `value`. Empty fields are dropped; repeated keys are errors.
fn attributes(line: &str) -> Result<Vec<(String, String)>, RuleProblem> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for field in split_fields(line)? {
        if field.trim().is_empty() {
            continue;
        }
        let (key, value) = match field.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                (key.trim().to_ascii_lowercase(), value.trim().to_owned())
            }
            _ => ("value".to_owned(), field.trim().to_owned()),
        };
        if !seen.insert(key.clone()) {
            return Err(RuleProblem::DuplicateAttribute(key));
        }
        out.push((key, value));
    }
    Ok(out)
}

/// A bag of attributes that remembers which were consumed.
struct Attrs(Vec<(String, String)>);

impl Attrs {
    fn take(&mut self, key: &str) -> Option<String> {
        let index = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(index).1)
    }
}

fn template(attribute: &str, text: &str, scope: Scope) -> Result<Template, RuleProblem> {
    Template::parse(text, scope).map_err(|message| RuleProblem::Template {
        attribute: attribute.to_owned(),
        message,
    })
}

fn regex(attribute: &'static str, text: &str, literal: bool) -> Result<Regex, RuleProblem> {
    let compiled = if literal {
        Regex::from_literal_or_pattern(text)
    } else {
        Regex::new(text, "")
    };
    compiled.map_err(|message| RuleProblem::Regex { attribute, message })
}

fn non_empty_value(attrs: &mut Attrs) -> Result<Option<Template>, RuleProblem> {
    match attrs.take("value").filter(|v| !v.is_empty()) {
        Some(v) => Ok(Some(template("value", &v, Scope::Global)?)),
        None => Ok(None),
    }
}

fn required(
    attrs: &mut Attrs,
    attribute: &'static str,
    example: &'static str,
) -> Result<String, RuleProblem> {
    attrs
        .take(attribute)
        .ok_or(RuleProblem::MissingAttribute { attribute, example })
}

fn parse_rule(text: &str) -> Result<TagRule, RuleProblem> {
    let mut attrs = Attrs(attributes(text)?);
    let kind_name = attrs.take("type").unwrap_or_else(|| "raw".to_owned());
    let kind_name: &'static str = match kind_name.as_str() {
        "schedule" => "schedule",
        "semver" => "semver",
        "pep440" => "pep440",
        "match" => "match",
        "edge" => "edge",
        "ref" => "ref",
        "raw" => "raw",
        "sha" => "sha",
        _ => return Err(RuleProblem::UnknownType(kind_name)),
    };
    let specific = specific_attributes(kind_name);
    if let Some((unknown, _)) = attrs.0.iter().find(|(k, _)| {
        !specific.contains(&k.as_str()) && !COMMON.split(", ").any(|common| common == k)
    }) {
        return Err(RuleProblem::UnknownAttribute {
            attribute: unknown.clone(),
            kind: kind_name,
            allowed: allowed_text(kind_name),
        });
    }

    let enable_text = attrs.take("enable").unwrap_or_else(|| "true".to_owned());
    let enable = template("enable", &enable_text, Scope::Global)?;
    if let Some(literal) = enable.as_literal()
        && literal != "true"
        && literal != "false"
    {
        return Err(RuleProblem::InvalidValue {
            attribute: "enable".to_owned(),
            value: literal,
            expected: "`true`, `false` or an expression such as `{{is_default_branch}}`",
        });
    }
    let priority = match attrs.take("priority") {
        Some(p) => p.parse().map_err(|_| RuleProblem::InvalidValue {
            attribute: "priority".to_owned(),
            value: p,
            expected: "an integer; higher comes first (semver's default is 900)",
        })?,
        None => default_priority(kind_name),
    };
    let mut prefix = attrs.take("prefix");
    let suffix = attrs.take("suffix");

    let kind = kind_of(kind_name, &mut attrs, &mut prefix)?;

    Ok(TagRule {
        kind,
        enable,
        priority,
        prefix: prefix
            .map(|p| template("prefix", &p, Scope::Global))
            .transpose()?,
        suffix: suffix
            .map(|s| template("suffix", &s, Scope::Global))
            .transpose()?,
        quiet: false,
        line: 0,
        text: text.to_owned(),
    })
}

/// The rule's kind from its `type` and the attributes that type takes; `prefix` gets the
/// kind's default (`pr-`, `sha-`) when none was given.
fn kind_of(
    kind_name: &str,
    attrs: &mut Attrs,
    prefix: &mut Option<String>,
) -> Result<Kind, RuleProblem> {
    Ok(match kind_name {
        "schedule" => {
            let pattern = attrs
                .take("pattern")
                .unwrap_or_else(|| "nightly".to_owned());
            Kind::Schedule {
                pattern: template("pattern", &pattern, Scope::Global)?,
            }
        }
        "semver" | "pep440" => {
            let pattern = required(attrs, "pattern", "pattern={{version}}")?;
            let pattern = template("pattern", &pattern, Scope::Version)?;
            let value = non_empty_value(attrs)?;
            let matcher = match attrs.take("match").filter(|m| !m.is_empty()) {
                Some(m) => Some(regex("match", &m, false)?),
                None => None,
            };
            if kind_name == "semver" {
                Kind::Semver {
                    pattern,
                    value,
                    matcher,
                    skip_major_zero: false,
                }
            } else {
                Kind::Pep440 {
                    pattern,
                    value,
                    matcher,
                }
            }
        }
        "match" => {
            let pattern = required(attrs, "pattern", r"pattern=v(\d.\d.\d),group=1")?;
            let pattern = regex("pattern", &pattern, true)?;
            let group_text = attrs.take("group").unwrap_or_else(|| "0".to_owned());
            let group = group_text.parse().map_err(|_| RuleProblem::InvalidValue {
                attribute: "group".to_owned(),
                value: group_text,
                expected: "a capture group number: 0 for the whole match, 1 for the first `(...)`",
            })?;
            Kind::Match {
                pattern,
                group,
                value: non_empty_value(attrs)?,
            }
        }
        "edge" => Kind::Edge {
            // The README writes the default as `branch=$repo.default_branch`.
            branch: attrs
                .take("branch")
                .filter(|b| !b.is_empty() && b != "$repo.default_branch"),
        },
        "ref" => {
            let event_text = required(attrs, "event", "event=branch")?;
            let event = match event_text.as_str() {
                "branch" => RefEvent::Branch,
                "tag" => RefEvent::Tag,
                "pr" => RefEvent::Pr,
                _ => {
                    return Err(RuleProblem::InvalidValue {
                        attribute: "event".to_owned(),
                        value: event_text,
                        expected: "`branch`, `tag` or `pr`",
                    });
                }
            };
            if event == RefEvent::Pr && prefix.is_none() {
                *prefix = Some("pr-".to_owned());
            }
            Kind::Ref {
                event,
                non_semver_only: false,
            }
        }
        "raw" => {
            let value = required(attrs, "value", "value=latest")?;
            Kind::Raw {
                value: template("value", &value, Scope::Global)?,
            }
        }
        _ => {
            let format_text = attrs.take("format").unwrap_or_else(|| "short".to_owned());
            let format = match format_text.as_str() {
                "short" => ShaFormat::Short,
                "long" => ShaFormat::Long,
                _ => {
                    return Err(RuleProblem::InvalidValue {
                        attribute: "format".to_owned(),
                        value: format_text,
                        expected: "`short` or `long`",
                    });
                }
            };
            if prefix.is_none() {
                *prefix = Some("sha-".to_owned());
            }
            Kind::Sha { format }
        }
    })
}

fn default_priority(kind: &str) -> i64 {
    match kind {
        "schedule" => 1000,
        "semver" | "pep440" => 900,
        "match" => 800,
        "edge" => 700,
        "ref" => 600,
        "raw" => 200,
        _ => 100,
    }
}

/// The flavor's `latest=` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LatestMode {
    /// `latest` when the first tag comes from a stable `semver`/`pep440`, a `match`, or a
    /// `ref,event=tag` rule (see [`super::compute_tags`]).
    #[default]
    Auto,
    /// Always add `latest`.
    True,
    /// Never add `latest`.
    False,
}

/// The `flavor` input: global behaviour for every tag.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Flavor {
    /// `latest=auto|true|false`.
    pub latest: LatestMode,
    pub(crate) prefix: Option<Template>,
    /// `onlatest=true` after `prefix=`: the prefix also goes on `latest`.
    pub prefix_on_latest: bool,
    pub(crate) suffix: Option<Template>,
    /// `onlatest=true` after `suffix=`: the suffix also goes on `latest`.
    pub suffix_on_latest: bool,
}

impl Flavor {
    /// Parses a `flavor` input: `latest=auto`, `prefix=dev-,onlatest=true`, `suffix=-slim`.
    pub fn parse(input: &str) -> Result<Self, TagError> {
        let mut flavor = Self::default();
        for (index, line) in input.lines().enumerate() {
            let text = line.trim();
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            flavor
                .parse_line(text)
                .map_err(|problem| TagError::Flavor {
                    line: index + 1,
                    text: text.to_owned(),
                    problem,
                })?;
        }
        Ok(flavor)
    }

    fn parse_line(&mut self, text: &str) -> Result<(), RuleProblem> {
        let mut onlatest_for = None;
        for field in split_fields(text)? {
            let Some((key, value)) = field.split_once('=') else {
                return Err(RuleProblem::FlavorNeedsValue(field.trim().to_owned()));
            };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            match key.as_str() {
                "latest" => {
                    self.latest = match value {
                        "auto" => LatestMode::Auto,
                        "true" => LatestMode::True,
                        "false" => LatestMode::False,
                        _ => {
                            return Err(RuleProblem::InvalidValue {
                                attribute: key,
                                value: value.to_owned(),
                                expected: "`auto`, `true` or `false`",
                            });
                        }
                    }
                }
                "prefix" | "suffix" => {
                    let parsed = template(&key, value, Scope::Global)?;
                    let parsed = Some(parsed).filter(|_| !value.is_empty());
                    if key == "prefix" {
                        self.prefix = parsed;
                    } else {
                        self.suffix = parsed;
                    }
                    onlatest_for = Some(key);
                }
                "onlatest" => {
                    let on = match value {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(RuleProblem::InvalidValue {
                                attribute: key,
                                value: value.to_owned(),
                                expected: "`true` or `false`",
                            });
                        }
                    };
                    match onlatest_for.as_deref() {
                        Some("prefix") => self.prefix_on_latest = on,
                        Some(_) => self.suffix_on_latest = on,
                        None => return Err(RuleProblem::OnlatestWithoutTarget),
                    }
                }
                _ => {
                    return Err(RuleProblem::UnknownAttribute {
                        attribute: key,
                        kind: "flavor",
                        allowed: "latest, prefix, suffix, onlatest",
                    });
                }
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for Flavor {
    type Err = TagError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse(input)
    }
}
