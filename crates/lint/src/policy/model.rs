//! The policy's typed values.

use std::time::Duration;

use deploy_action_sys::secret::Secret;

/// A problem in the policy file, at a place in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyProblem {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
    /// What is wrong and how to fix it.
    pub message: String,
    /// Byte offset in the source.
    pub offset: usize,
}

impl std::fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)
    }
}

/// A whole promotion policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Source environment (`staging`).
    pub from: Option<String>,
    /// Target environment (`production`).
    pub to: Option<String>,
    /// What must hold before promoting.
    pub gates: Gates,
    /// What is re-checked against the target after promoting; failure rolls back.
    pub verify: Option<Verify>,
    /// Traffic steps of a progressive rollout; `None`: all traffic at once.
    pub rollout: Option<super::Rollout>,
    /// Thresholds checked during the steps' pauses; a failure rolls back.
    pub analysis: Option<super::Analysis>,
}

/// The gates of a policy; absent gates are not evaluated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Gates {
    /// The SHA's latest deployment to `from` succeeded.
    pub deployed: bool,
    /// Every promoted digest equals what `from`'s deployment of the SHA recorded.
    pub same_digest: bool,
    /// Time since that deployment succeeded.
    pub soak: Option<Duration>,
    /// A health endpoint, retried.
    pub health: Option<HttpProbe>,
    /// Smoke checks, run concurrently.
    pub smoke: Vec<Smoke>,
    /// Metric thresholds.
    pub metrics: Vec<Metric>,
    /// Commit check runs / statuses that must be green.
    pub checks: Vec<String>,
    /// Branch globs the ref must match.
    pub branches: Vec<String>,
}

/// A health endpoint: `GET url` until it answers `status` (and the JSON condition holds).
#[derive(Debug, Clone, PartialEq)]
pub struct HttpProbe {
    /// The URL; `/health` is used when it has no path.
    pub url: String,
    /// HTTP method, default `GET`.
    pub method: String,
    /// Expected status, default 200.
    pub status: u16,
    /// Attempts in total, default 3.
    pub retries: u32,
    /// Pause between attempts, default 5 s.
    pub interval: Duration,
    /// Timeout of one request, default 10 s.
    pub timeout: Duration,
    /// Condition on the JSON body.
    pub json: Option<JsonCondition>,
}

/// One smoke request.
#[derive(Debug, Clone, PartialEq)]
pub struct Smoke {
    /// HTTP method, default `GET`.
    pub method: String,
    /// The URL.
    pub url: String,
    /// Request headers; values may come from the environment, so they are secret.
    pub headers: Vec<(String, Secret<String>)>,
    /// Expected status, default 200.
    pub status: u16,
    /// Text the body must contain.
    pub body_contains: Option<String>,
    /// Condition on the JSON body.
    pub json: Option<JsonCondition>,
    /// Largest latency at `percentile` over the samples, default 2 s.
    pub max_latency: Duration,
    /// The latency percentile compared with `max_latency`: 50, 95 or 99 (default).
    pub percentile: u8,
    /// Requests made, default 1.
    pub samples: u32,
    /// Timeout of one request, default 10 s.
    pub timeout: Duration,
}

/// A metric threshold, like Argo Rollouts' AnalysisTemplate.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Name shown in the decision record.
    pub name: String,
    /// The URL that is fetched (with the Prometheus query already appended).
    pub url: String,
    /// Dotted path to the value in the JSON answer (`data.result.0.value.1` for Prometheus).
    pub path: String,
    /// How the value is compared with the threshold.
    pub comparison: Comparison,
    /// The threshold.
    pub threshold: f64,
    /// Samples taken, default 1.
    pub count: u32,
    /// Pause between samples, default 10 s.
    pub interval: Duration,
    /// Failed samples tolerated, default 0.
    pub failure_limit: u32,
    /// Timeout of one request, default 10 s.
    pub timeout: Duration,
}

/// A numeric comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl Comparison {
    /// Parses `<`, `<=`, `>`, `>=`, `==`, `!=`.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text.trim() {
            "<" => Self::Lt,
            "<=" => Self::Le,
            ">" => Self::Gt,
            ">=" => Self::Ge,
            "==" => Self::Eq,
            "!=" => Self::Ne,
            _ => return None,
        })
    }

    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Eq => "==",
            Self::Ne => "!=",
        }
    }

    /// Whether `value <op> threshold` holds.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Self::Lt => value < threshold,
            Self::Le => value <= threshold,
            Self::Gt => value > threshold,
            Self::Ge => value >= threshold,
            Self::Eq => (value - threshold).abs() < f64::EPSILON,
            Self::Ne => (value - threshold).abs() >= f64::EPSILON,
        }
    }
}

/// A condition on a JSON body: the value at `path` equals something or compares with a number.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonCondition {
    /// Dotted path, e.g. `status` or `checks.0.ok` (a leading `$.` is allowed).
    pub path: String,
    /// The test.
    pub test: JsonTest,
}

/// What a [`JsonCondition`] tests.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonTest {
    /// The value equals this one (strings, numbers, booleans).
    Equals(serde_json::Value),
    /// The value is a number (or a numeric string) that compares with the threshold.
    Compare(Comparison, f64),
}

/// Post-promotion verification: re-run checks against the target for a window.
#[derive(Debug, Clone, PartialEq)]
pub struct Verify {
    /// How long to keep checking, default 1 m.
    pub window: Duration,
    /// Pause between rounds, default 10 s.
    pub interval: Duration,
    /// Health of the target.
    pub health: Option<HttpProbe>,
    /// Metrics of the target.
    pub metrics: Vec<Metric>,
}
