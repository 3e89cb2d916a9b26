//! The `{{ }}` expressions metadata-action accepts in `value`, `prefix`, `suffix`, `enable`
//! and `pattern`: a small, fixed subset of Handlebars, parsed once and rendered per context.
//!
//! Unknown expressions are errors here, where Handlebars would render them as empty text:
//! a typo in a tag rule should stop the build, not push a wrong tag.

use chrono::{DateTime, Datelike, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use super::context::GitContext;

/// Which expressions a template may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// `{{branch}}`, `{{tag}}`, `{{sha}}`, `{{base_ref}}`, `{{is_default_branch}}`,
    /// `{{is_not_default_branch}}`, `{{date ...}}`, `{{commit_date ...}}`.
    Global,
    /// A semver or PEP 440 `pattern`: `{{raw}}`, `{{version}}`, `{{major}}`, `{{minor}}`,
    /// `{{patch}}`.
    Version,
}

/// A parsed template: literal text and expressions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Expr(Expr),
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Branch,
    Tag,
    Sha,
    BaseRef,
    IsDefaultBranch,
    IsNotDefaultBranch,
    Date { format: String, tz: Option<Tz> },
    CommitDate { format: String, tz: Option<Tz> },
    Raw,
    Version,
    Major,
    Minor,
    Patch,
}

/// The parts of a version a `pattern` can refer to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VersionVars {
    pub raw: String,
    pub version: String,
    pub major: String,
    pub minor: String,
    pub patch: String,
}

/// What a template is rendered against.
pub(crate) struct RenderEnv<'a> {
    pub ctx: &'a GitContext,
    pub short_sha_length: usize,
    pub version: Option<&'a VersionVars>,
}

impl Template {
    /// Parses `text`; the error message says what is wrong and what would work.
    pub(crate) fn parse(text: &str, scope: Scope) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or_else(|| "`{{` is never closed; close the expression with `}}`".to_owned())?;
            parts.push(Part::Expr(parse_expr(after[..close].trim(), scope)?));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Self { parts })
    }

    /// The text when the template has no expression.
    pub(crate) fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Expr(_) => return None,
            }
        }
        Some(out)
    }

    /// Whether the template is exactly `{{raw}}`, which keeps a pre-release's raw form.
    pub(crate) fn is_raw(&self) -> bool {
        matches!(self.parts.as_slice(), [Part::Expr(Expr::Raw)])
    }

    /// Renders the template.
    pub(crate) fn render(&self, env: &RenderEnv<'_>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Expr(e) => out.push_str(&render_expr(e, env)),
            }
        }
        out
    }
}

fn render_expr(expr: &Expr, env: &RenderEnv<'_>) -> String {
    let ctx = env.ctx;
    let version = |pick: fn(&VersionVars) -> &String| env.version.map(pick).cloned();
    let text = match expr {
        Expr::Branch => ctx.branch().map(str::to_owned),
        Expr::Tag => ctx.tag().map(str::to_owned),
        Expr::Sha => Some(ctx.short_sha(env.short_sha_length).to_owned()),
        // Like metadata-action: only pull requests and tag pushes have a base ref.
        Expr::BaseRef if ctx.branch().is_some() => None,
        Expr::BaseRef => ctx.base_ref.clone(),
        Expr::IsDefaultBranch => Some(ctx.is_default_branch().to_string()),
        Expr::IsNotDefaultBranch => Some((!ctx.is_default_branch()).to_string()),
        Expr::Date { format, tz } => Some(format_date(ctx.timestamp, format, *tz)),
        Expr::CommitDate { format, tz } => Some(format_date(
            ctx.commit_timestamp.unwrap_or(ctx.timestamp),
            format,
            *tz,
        )),
        Expr::Raw => version(|v| &v.raw),
        Expr::Version => version(|v| &v.version),
        Expr::Major => version(|v| &v.major),
        Expr::Minor => version(|v| &v.minor),
        Expr::Patch => version(|v| &v.patch),
    };
    text.unwrap_or_default()
}

const GLOBAL_NAMES: &str = "branch, tag, sha, base_ref, is_default_branch, \
                            is_not_default_branch, date 'FORMAT', commit_date 'FORMAT'";
const VERSION_NAMES: &str = "raw, version, major, minor, patch";

fn parse_expr(inner: &str, scope: Scope) -> Result<Expr, String> {
    let (name, args) = match inner.find(char::is_whitespace) {
        Some(i) => (&inner[..i], inner[i..].trim()),
        None => (inner, ""),
    };
    let simple = match (scope, name) {
        (Scope::Global, "branch") => Some(Expr::Branch),
        (Scope::Global, "tag") => Some(Expr::Tag),
        (Scope::Global, "sha") => Some(Expr::Sha),
        (Scope::Global, "base_ref") => Some(Expr::BaseRef),
        (Scope::Global, "is_default_branch") => Some(Expr::IsDefaultBranch),
        (Scope::Global, "is_not_default_branch") => Some(Expr::IsNotDefaultBranch),
        (Scope::Version, "raw") => Some(Expr::Raw),
        (Scope::Version, "version") => Some(Expr::Version),
        (Scope::Version, "major") => Some(Expr::Major),
        (Scope::Version, "minor") => Some(Expr::Minor),
        (Scope::Version, "patch") => Some(Expr::Patch),
        _ => None,
    };
    if let Some(expr) = simple {
        if !args.is_empty() {
            return Err(format!(
                "`{{{{{name}}}}}` takes no arguments; remove `{args}`"
            ));
        }
        return Ok(expr);
    }
    if scope == Scope::Global && (name == "date" || name == "commit_date") {
        let (format, tz) = parse_date_args(name, args)?;
        return Ok(if name == "date" {
            Expr::Date { format, tz }
        } else {
            Expr::CommitDate { format, tz }
        });
    }
    let known = match scope {
        Scope::Global => GLOBAL_NAMES,
        Scope::Version => VERSION_NAMES,
    };
    Err(format!(
        "unknown expression `{{{{{inner}}}}}`; available here: {known}"
    ))
}

/// Parses `'FORMAT' tz='Area/City'`.
fn parse_date_args(name: &str, args: &str) -> Result<(String, Option<Tz>), String> {
    let usage =
        format!("write `{{{{{name} 'YYYYMMDD'}}}}` or `{{{{{name} 'YYYYMMDD' tz='Asia/Tokyo'}}}}`");
    let (format, mut rest) =
        take_quoted(args).ok_or_else(|| format!("`{name}` needs a quoted format; {usage}"))?;
    let mut tz = None;
    while !rest.trim().is_empty() {
        let trimmed = rest.trim_start();
        let (key, after) = trimmed
            .split_once('=')
            .ok_or_else(|| format!("unexpected `{trimmed}`; {usage}"))?;
        if key.trim() != "tz" {
            return Err(format!(
                "unknown attribute `{}` for `{name}`; only `tz=` is supported",
                key.trim()
            ));
        }
        let (zone, after) = take_quoted(after.trim_start())
            .ok_or_else(|| format!("`tz` needs a quoted value; {usage}"))?;
        tz = Some(zone.parse::<Tz>().map_err(|_| {
            format!("unknown time zone `{zone}`; use an IANA name such as `Europe/Paris`")
        })?);
        rest = after;
    }
    Ok((format, tz))
}

/// Splits a leading `'...'` or `"..."` off `text`.
fn take_quoted(text: &str) -> Option<(String, &str)> {
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let body = &text[1..];
    let end = body.find(quote)?;
    Some((body[..end].to_owned(), &body[end + 1..]))
}

/// Renders `at` with a moment.js format string (the tokens metadata-action's users write).
pub(crate) fn format_date(at: DateTime<Utc>, format: &str, tz: Option<Tz>) -> String {
    match tz {
        Some(tz) => format_in(&at.with_timezone(&tz), format),
        None => format_in(&at, format),
    }
}

/// moment.js tokens, longest first so that `YYYY` wins over `YY`.
const TOKENS: [&str; 38] = [
    "YYYY", "YY", "Q", "MMMM", "MMM", "MM", "M", "DDDD", "DDD", "DD", "Do", "D", "dddd", "ddd",
    "dd", "d", "E", "HH", "H", "hh", "h", "kk", "k", "mm", "m", "ss", "s", "SSS", "SS", "S", "A",
    "a", "ZZ", "Z", "X", "x", "ww", "w",
];

fn format_in<T: TimeZone>(at: &DateTime<T>, format: &str) -> String {
    let mut out = String::new();
    let mut rest = format;
    while let Some(c) = rest.chars().next() {
        if c == '[' {
            // `[text]` is literal text in moment formats.
            if let Some(end) = rest.find(']') {
                out.push_str(&rest[1..end]);
                rest = &rest[end + 1..];
                continue;
            }
        }
        match TOKENS.iter().find(|t| rest.starts_with(**t)) {
            Some(token) => {
                out.push_str(&render_token(at, token));
                rest = &rest[token.len()..];
            }
            None => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

fn render_token<T: TimeZone>(at: &DateTime<T>, token: &str) -> String {
    let month = at.month0() as usize;
    let weekday = at.weekday().num_days_from_sunday() as usize;
    let hour12 = match at.hour() % 12 {
        0 => 12,
        h => h,
    };
    let offset_secs = at.offset().fix().local_minus_utc();
    let offset = |sep: &str| {
        let sign = if offset_secs < 0 { '-' } else { '+' };
        let abs = offset_secs.unsigned_abs();
        format!("{sign}{:02}{sep}{:02}", abs / 3600, abs % 3600 / 60)
    };
    match token {
        "YYYY" => format!("{:04}", at.year()),
        "YY" => format!("{:02}", at.year().rem_euclid(100)),
        "Q" => (month / 3 + 1).to_string(),
        "MMMM" => MONTHS[month].to_owned(),
        "MMM" => MONTHS[month][..3].to_owned(),
        "MM" => format!("{:02}", month + 1),
        "M" => (month + 1).to_string(),
        "DDDD" => format!("{:03}", at.ordinal()),
        "DDD" => at.ordinal().to_string(),
        "DD" => format!("{:02}", at.day()),
        "Do" => ordinal(at.day()),
        "D" => at.day().to_string(),
        "dddd" => WEEKDAYS[weekday].to_owned(),
        "ddd" => WEEKDAYS[weekday][..3].to_owned(),
        "dd" => WEEKDAYS[weekday][..2].to_owned(),
        "d" => weekday.to_string(),
        "E" => at.weekday().number_from_monday().to_string(),
        "HH" => format!("{:02}", at.hour()),
        "H" => at.hour().to_string(),
        "hh" => format!("{hour12:02}"),
        "h" => hour12.to_string(),
        "kk" => format!("{:02}", at.hour() + 1),
        "k" => (at.hour() + 1).to_string(),
        "mm" => format!("{:02}", at.minute()),
        "m" => at.minute().to_string(),
        "ss" => format!("{:02}", at.second()),
        "s" => at.second().to_string(),
        "SSS" => format!("{:03}", at.timestamp_subsec_millis()),
        "SS" => format!("{:02}", at.timestamp_subsec_millis() / 10),
        "S" => (at.timestamp_subsec_millis() / 100).to_string(),
        "A" => if at.hour() < 12 { "AM" } else { "PM" }.to_owned(),
        "a" => if at.hour() < 12 { "am" } else { "pm" }.to_owned(),
        "ZZ" => offset(""),
        "Z" => offset(":"),
        "X" => at.timestamp().to_string(),
        "x" => at.timestamp_millis().to_string(),
        "ww" => format!("{:02}", week_of_year(at)),
        _ => week_of_year(at).to_string(),
    }
}

/// moment's locale week (`w`) for the default `en` locale: weeks start on Sunday and week 1
/// contains January 1st.
fn week_of_year<T: TimeZone>(at: &DateTime<T>) -> u32 {
    let jan1_weekday = (at.weekday().num_days_from_sunday() + 7 * 53 - (at.ordinal0() % 7)) % 7;
    (at.ordinal0() + jan1_weekday) / 7 + 1
}

fn ordinal(day: u32) -> String {
    let suffix = match (day % 10, day % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{day}{suffix}")
}

/// Parses `text` with the global expressions and renders it; used for label values, which
/// metadata-action also expands.
pub fn expand_global_expressions(
    text: &str,
    ctx: &GitContext,
    short_sha_length: usize,
) -> Result<String, super::TagError> {
    let template =
        Template::parse(text, Scope::Global).map_err(|message| super::TagError::Expression {
            text: text.to_owned(),
            problem: super::RuleProblem::Template {
                attribute: "value".to_owned(),
                message,
            },
        })?;
    Ok(template.render(&RenderEnv {
        ctx,
        short_sha_length,
        version: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2020, 1, 10, 0, 30, 0)
            .single()
            .expect("valid date")
    }

    #[test]
    fn moment_formats_from_metadata_action_readme() {
        // README "{{date '<format>' tz='<timezone>'}}" table (times differ: the README's
        // examples were taken at different moments).
        assert_eq!(format_date(at(), "YYYYMMDD", None), "20200110");
        let tokyo: Tz = "Asia/Tokyo".parse().expect("known zone");
        assert_eq!(
            format_date(at(), "YYYYMMDD-HHmmss", Some(tokyo)),
            "20200110-093000"
        );
        assert_eq!(
            format_date(at(), "dddd, MMMM Do YYYY, h:mm:ss a", None),
            "Friday, January 10th 2020, 12:30:00 am"
        );
        assert_eq!(
            format_date(at(), "YYYY-MM-DDTHH:mm:ss.SSS[Z]", None),
            "2020-01-10T00:30:00.000Z"
        );
        assert_eq!(
            format_date(at(), "Z ZZ X", Some(tokyo)),
            "+09:00 +0900 1578616200"
        );
        assert_eq!(format_date(at(), "w", None), "2");
    }

    #[test]
    fn parse_errors_explain_the_fix() {
        let err = Template::parse("{{branhc}}", Scope::Global).expect_err("typo");
        assert!(err.contains("unknown expression `{{branhc}}`"), "{err}");
        let err = Template::parse("{{version}}", Scope::Global).expect_err("wrong scope");
        assert!(err.contains("available here: branch"), "{err}");
        let err = Template::parse("{{date}}", Scope::Global).expect_err("no format");
        assert!(err.contains("needs a quoted format"), "{err}");
        let err =
            Template::parse("{{date 'YYYY' tz='Mars/Base'}}", Scope::Global).expect_err("bad zone");
        assert!(err.contains("unknown time zone"), "{err}");
        let err = Template::parse("a{{sha", Scope::Global).expect_err("unclosed");
        assert!(err.contains("never closed"), "{err}");
        let err = Template::parse("{{sha 7}}", Scope::Global).expect_err("argument");
        assert!(err.contains("takes no arguments"), "{err}");
    }

    #[test]
    fn raw_detection_and_literals() {
        let raw = Template::parse("{{ raw }}", Scope::Version).expect("parses");
        assert!(raw.is_raw());
        let not_raw = Template::parse("v{{raw}}", Scope::Version).expect("parses");
        assert!(!not_raw.is_raw());
        assert_eq!(
            Template::parse("nightly", Scope::Global)
                .expect("parses")
                .as_literal(),
            Some("nightly".to_owned())
        );
    }
}
