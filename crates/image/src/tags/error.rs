//! Errors of the tag subsystem: each message names what was wrong and how to fix it.

use thiserror::Error;

/// Everything that can stop tags from being computed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TagError {
    /// A line of the `tags` input could not be parsed or evaluated.
    #[error("tags line {line} (`{text}`): {problem}")]
    Rule {
        /// 1-based line number within the `tags` input, comments and blank lines included.
        line: usize,
        /// The line as written, trimmed.
        text: String,
        /// What is wrong with it.
        problem: RuleProblem,
    },
    /// A line of the `flavor` input could not be parsed.
    #[error("flavor line {line} (`{text}`): {problem}")]
    Flavor {
        /// 1-based line number within the `flavor` input.
        line: usize,
        /// The line as written, trimmed.
        text: String,
        /// What is wrong with it.
        problem: RuleProblem,
    },
    /// A text with `{{ }}` expressions (for example a label value) could not be parsed.
    #[error("expression in `{text}`: {problem}")]
    Expression {
        /// The text as written.
        text: String,
        /// What is wrong with it.
        problem: RuleProblem,
    },
    /// An image reference is not valid.
    #[error("invalid image reference `{input}`: {problem}")]
    ImageRef {
        /// The reference as written.
        input: String,
        /// What is wrong with it.
        problem: ImageRefProblem,
    },
    /// A required GitHub Actions environment variable is missing.
    #[error(
        "{variable} is not set; run inside GitHub Actions, or set it (or build the git context \
         from `git rev-parse HEAD` instead)"
    )]
    MissingEnv {
        /// The variable's name.
        variable: &'static str,
    },
    /// A commit SHA is not 40 (SHA-1) or 64 (SHA-256) hexadecimal characters.
    #[error(
        "{origin} `{value}` is not a full commit SHA; pass 40 (or 64) hexadecimal characters, \
         as printed by `git rev-parse HEAD`"
    )]
    InvalidSha {
        /// Where the value came from (`GITHUB_SHA`, `pull_request.head.sha`, ...).
        origin: &'static str,
        /// The value as given.
        value: String,
    },
}

/// What is wrong with one line of `tags` or `flavor`, or with one expression.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RuleProblem {
    /// `type=` names no known rule type.
    #[error("unknown type `{0}`; use one of schedule, semver, pep440, match, edge, ref, raw, sha")]
    UnknownType(String),
    /// A required attribute is absent.
    #[error("missing `{attribute}` attribute; add for example `{example}`")]
    MissingAttribute {
        /// The attribute's name.
        attribute: &'static str,
        /// A working example of it.
        example: &'static str,
    },
    /// An attribute has a value outside its domain.
    #[error("`{attribute}={value}` is invalid; expected {expected}")]
    InvalidValue {
        /// The attribute's name.
        attribute: String,
        /// The value as written.
        value: String,
        /// What would be accepted.
        expected: &'static str,
    },
    /// An attribute this rule type does not take (often a typo).
    #[error("unknown attribute `{attribute}` for type={kind}; this type takes: {allowed}")]
    UnknownAttribute {
        /// The attribute's name.
        attribute: String,
        /// The rule type.
        kind: &'static str,
        /// The attributes the type takes.
        allowed: &'static str,
    },
    /// The same attribute appears twice on one line.
    #[error("attribute `{0}` is given twice; keep only one")]
    DuplicateAttribute(String),
    /// A field opens a double quote that is never closed.
    #[error("unterminated double quote; close it with `\"` (write `\"\"` for a literal quote)")]
    UnterminatedQuote,
    /// Text follows a closing double quote before the next comma.
    #[error("text after a closing double quote; put the whole field inside the quotes")]
    TextAfterQuote,
    /// A `{{ }}` expression is malformed or unknown.
    #[error("in `{attribute}`: {message}")]
    Template {
        /// The attribute holding the expression.
        attribute: String,
        /// What is wrong, with the fix.
        message: String,
    },
    /// A regular expression in `pattern=` or `match=` is malformed.
    #[error("in `{attribute}`: invalid regular expression: {message}")]
    Regex {
        /// The attribute holding the expression.
        attribute: &'static str,
        /// What is wrong.
        message: String,
    },
    /// `enable=` rendered to something other than `true` or `false`.
    #[error("`enable` evaluated to `{0}`; it must be `true` or `false`")]
    EnableNotBoolean(String),
    /// A flavor field without `=`.
    #[error("`{0}` is not key=value; write for example `latest=auto` or `prefix=dev-`")]
    FlavorNeedsValue(String),
    /// `onlatest=` without a preceding `prefix=` or `suffix=` on the same line.
    #[error("`onlatest` applies to the `prefix=` or `suffix=` before it on the same line; add one")]
    OnlatestWithoutTarget,
}

/// What is wrong with an image reference.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ImageRefProblem {
    /// Nothing was given.
    #[error("it is empty; pass a name such as `ghcr.io/owner/app`")]
    Empty,
    /// The repository path has upper-case letters.
    #[error("repository names must be lower-case; use `{suggestion}`")]
    Uppercase {
        /// The same reference with the name lower-cased.
        suggestion: String,
    },
    /// A `/`-separated path component breaks the grammar.
    #[error(
        "path component `{0}` is invalid; use lower-case letters and digits, separated by \
         `.`, `_`, `__` or dashes, neither leading nor trailing"
    )]
    Component(String),
    /// The registry host is malformed.
    #[error("registry `{0}` is invalid; write a host name or IP with an optional `:port`")]
    Registry(String),
    /// The tag breaks Docker's tag grammar.
    #[error(
        "tag `{0}` is invalid; a tag is 1 to 128 of `A-Z a-z 0-9 _ . -` and does not start \
         with `.` or `-`"
    )]
    Tag(String),
    /// The digest is malformed.
    #[error("digest `{0}` is invalid; expected `sha256:` followed by 64 lower-case hex digits")]
    Digest(String),
    /// The name is longer than the registry API allows.
    #[error("the name is {0} characters long; the limit is 255")]
    TooLong(usize),
}
