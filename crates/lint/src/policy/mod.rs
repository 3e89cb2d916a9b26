//! The promotion policy (`.github/promotion.yml`) as typed values.
//!
//! Read from the position-keeping YAML tree of [`crate::workflow::yaml`], so every problem
//! points at a line and column: unknown keys, wrong types, bad durations, unset `${VAR}`s.
//! Variables are looked up through a function the caller hands in; this module reads no
//! environment. The schema is documented in `docs/promotion.md` (a test parses its example).

use std::time::Duration;

mod model;
mod progressive;

pub use model::{
    Comparison, Gates, HttpProbe, JsonCondition, JsonTest, Metric, Policy, PolicyProblem, Smoke,
    Verify,
};
pub use progressive::{Analysis, ErrorRate, LatencyLimit, Requests, Rollout, TrafficStep};

use crate::workflow::yaml::{self, Node, Pos};
use deploy_action_sys::secret::Secret;

/// Default path of the policy file, relative to the repository.
pub const DEFAULT_POLICY_PATH: &str = ".github/promotion.yml";

/// Parses a policy. `var` looks up `${NAME}` variables. Every problem found is returned, each
/// with its position.
pub fn parse(
    source: &str,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Policy, Vec<PolicyProblem>> {
    let doc = yaml::parse(source);
    let mut cx = Cx {
        problems: Vec::new(),
        var,
    };
    if let Some(e) = &doc.error {
        cx.at(e.pos, format!("YAML syntax error: {}", e.message));
        return Err(cx.problems);
    }
    for issue in doc.issues.iter().filter(|i| !i.warning) {
        cx.at(issue.span.start, issue.message.clone());
    }
    if !cx.problems.is_empty() {
        return Err(cx.problems);
    }
    match doc.root.as_ref() {
        Some(root) => parse_tree(root, var),
        None => Err(vec![empty_problem()]),
    }
}

/// Parses a policy from an already parsed YAML tree (`lint` has one); YAML-level issues are
/// the caller's to report.
pub fn parse_tree(
    root: &Node,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Policy, Vec<PolicyProblem>> {
    if root.is_null() {
        return Err(vec![empty_problem()]);
    }
    let mut cx = Cx {
        problems: Vec::new(),
        var,
    };
    let policy = cx.policy(root);
    if cx.problems.is_empty() {
        Ok(policy)
    } else {
        Err(cx.problems)
    }
}

fn empty_problem() -> PolicyProblem {
    PolicyProblem {
        line: 1,
        col: 1,
        message: "the policy is empty; it needs at least `gates:`".into(),
        offset: 0,
    }
}

/// Parses a duration such as `500ms`, `10s`, `2m`, `1h` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: f64 = number.parse().ok().filter(|n: &f64| n.is_finite())?;
    let scale = match unit.trim() {
        "" | "s" => 1.0,
        "ms" => 0.001,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(n * scale).ok()
}

struct Cx<'a> {
    problems: Vec<PolicyProblem>,
    var: &'a dyn Fn(&str) -> Option<String>,
}

const TOP_KEYS: &[&str] = &["from", "to", "gates", "verify", "rollout", "analysis"];
const GATE_KEYS: &[&str] = &[
    "deployed",
    "same_digest",
    "soak",
    "health",
    "smoke",
    "metrics",
    "checks",
    "branches",
];
const PROBE_KEYS: &[&str] = &[
    "url", "method", "status", "retries", "interval", "timeout", "json",
];
const SMOKE_KEYS: &[&str] = &[
    "method",
    "url",
    "headers",
    "status",
    "body_contains",
    "json",
    "max_latency",
    "samples",
    "percentile",
    "timeout",
];
const METRIC_KEYS: &[&str] = &[
    "name",
    "url",
    "prometheus",
    "query",
    "path",
    "comparison",
    "threshold",
    "count",
    "samples",
    "interval",
    "failure_limit",
    "timeout",
];
const JSON_KEYS: &[&str] = &["path", "equals", "comparison", "threshold"];
const VERIFY_KEYS: &[&str] = &["window", "interval", "health", "metrics"];

impl Cx<'_> {
    fn at(&mut self, pos: Pos, message: String) {
        self.problems.push(PolicyProblem {
            line: pos.line,
            col: pos.col,
            message,
            offset: pos.offset,
        });
    }

    /// The entries of a mapping (any keys).
    fn entries<'n>(&mut self, node: &'n Node, what: &str) -> &'n [(Node, Node)] {
        match node.as_map() {
            Some(entries) => entries,
            None => {
                self.at(
                    node.span.start,
                    format!("{what} must be a mapping, not a {}", node.kind_name()),
                );
                &[]
            }
        }
    }

    /// The entries of a mapping, flagging keys outside `allowed`.
    fn map<'n>(&mut self, node: &'n Node, what: &str, allowed: &[&str]) -> &'n [(Node, Node)] {
        let entries = self.entries(node, what);
        for (k, _) in entries {
            let key = k.as_str().unwrap_or_default();
            if !allowed.contains(&key) {
                self.at(
                    k.span.start,
                    format!(
                        "unknown key `{key}` in {what}; expected one of: {}",
                        allowed.join(", ")
                    ),
                );
            }
        }
        entries
    }

    /// A string scalar with `${VAR}` expanded.
    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        let Some(text) = node.as_str().filter(|_| !node.is_null()) else {
            self.at(
                node.span.start,
                format!("{what} must be a string, not a {}", node.kind_name()),
            );
            return None;
        };
        self.expand(text, node.span.start, what)
    }

    fn expand(&mut self, text: &str, pos: Pos, what: &str) -> Option<String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                self.at(pos, format!("{what}: `${{` without a closing `}}`"));
                return None;
            };
            let name = &after[..end];
            let valid = !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit());
            if !valid {
                self.at(
                    pos,
                    format!("{what}: `${{{name}}}` is not a variable name (letters, digits, _)"),
                );
                return None;
            }
            match (self.var)(name) {
                Some(value) => out.push_str(&value),
                None => {
                    self.at(
                        pos,
                        format!(
                            "{what} uses ${{{name}}}, but the environment variable {name} is not set; set it in the step's `env:`"
                        ),
                    );
                    return None;
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Some(out)
    }

    fn url(&mut self, node: &Node, what: &str) -> Option<String> {
        let url = self.string(node, what)?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            self.at(
                node.span.start,
                format!("{what} `{url}` is not an http:// or https:// URL"),
            );
            return None;
        }
        Some(url)
    }

    fn bool(&mut self, node: &Node, what: &str) -> bool {
        node.as_bool().unwrap_or_else(|| {
            self.at(node.span.start, format!("{what} must be true or false"));
            false
        })
    }

    fn number(&mut self, node: &Node, what: &str) -> Option<f64> {
        let value = node.as_f64().or_else(|| {
            node.as_str()
                .and_then(|s| self.expand(s, node.span.start, what))
                .and_then(|s| s.trim().parse().ok())
        });
        if value.is_none() {
            self.at(node.span.start, format!("{what} must be a number"));
        }
        value
    }

    fn count(&mut self, node: &Node, what: &str, min: u32) -> Option<u32> {
        let n = self.number(node, what)?;
        if n.fract() != 0.0 || n < f64::from(min) || n > f64::from(u32::MAX) {
            self.at(
                node.span.start,
                format!("{what} must be a whole number of at least {min}"),
            );
            return None;
        }
        // In range and whole, checked above.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(n as u32)
    }

    fn status(&mut self, node: &Node, what: &str) -> Option<u16> {
        let n = self.count(node, what, 100)?;
        match u16::try_from(n) {
            Ok(s) if s <= 599 => Some(s),
            _ => {
                self.at(node.span.start, format!("{what} must be 100-599"));
                None
            }
        }
    }

    fn duration(&mut self, node: &Node, what: &str) -> Option<Duration> {
        let text = match node.as_str() {
            Some(t) if !node.is_null() => self.expand(t, node.span.start, what)?,
            _ => String::new(),
        };
        let d = parse_duration(&text);
        if d.is_none() {
            self.at(
                node.span.start,
                format!("{what} `{text}` is not a duration such as 500ms, 10s, 2m or 1h"),
            );
        }
        d
    }

    fn strings(&mut self, node: &Node, what: &str) -> Vec<String> {
        if node.is_null() {
            return Vec::new();
        }
        let Some(items) = node.as_seq() else {
            self.at(
                node.span.start,
                format!("{what} must be a list such as [a, b]"),
            );
            return Vec::new();
        };
        items.iter().filter_map(|i| self.string(i, what)).collect()
    }

    fn comparison(&mut self, node: &Node, what: &str) -> Option<Comparison> {
        let text = node.as_str().unwrap_or_default();
        let c = Comparison::parse(text);
        if c.is_none() {
            self.at(
                node.span.start,
                format!("{what} `{text}` must be one of <, <=, >, >=, ==, !="),
            );
        }
        c
    }

    fn policy(&mut self, root: &Node) -> Policy {
        let entries = self.map(root, "the policy", TOP_KEYS);
        let mut policy = Policy {
            from: None,
            to: None,
            gates: Gates::default(),
            verify: None,
            rollout: None,
            analysis: None,
        };
        let mut saw_gates = false;
        let mut analysis_at = None;
        for (k, v) in entries {
            match k.as_str().unwrap_or_default() {
                "from" => policy.from = self.string(v, "`from`"),
                "to" => policy.to = self.string(v, "`to`"),
                "gates" => {
                    saw_gates = true;
                    policy.gates = self.gates(v);
                }
                "verify" => policy.verify = self.verify(v),
                "rollout" => policy.rollout = self.rollout(v),
                "analysis" => {
                    analysis_at = Some(k.span.start);
                    policy.analysis = self.analysis(v);
                }
                _ => {}
            }
        }
        if !saw_gates && root.as_map().is_some() {
            self.at(
                root.span.start,
                "the policy has no `gates:`; add at least `gates: { deployed: true }`".into(),
            );
        }
        if let Some(pos) = analysis_at {
            self.analysis_has_room(pos, &policy, root);
        }
        policy
    }

    /// `analysis` runs during the pauses of `rollout.steps`: it needs steps, and a pause.
    fn analysis_has_room(&mut self, pos: Pos, policy: &Policy, root: &Node) {
        let has_rollout = root.get("rollout").is_some();
        match &policy.rollout {
            None if !has_rollout => self.at(
                pos,
                "`analysis` runs during the pauses of `rollout.steps`; add `rollout: { steps: [{weight: 25, pause: 1m}, {weight: 100}] }`".into(),
            ),
            Some(r) if r.steps.iter().all(|s| s.pause.is_zero()) => self.at(
                pos,
                "`analysis` runs during the steps' pauses and no step has a `pause:`; give a step one, e.g. {weight: 25, pause: 1m}".into(),
            ),
            _ => {}
        }
    }

    fn gates(&mut self, node: &Node) -> Gates {
        let mut g = Gates::default();
        for (k, v) in self.map(node, "`gates`", GATE_KEYS) {
            match k.as_str().unwrap_or_default() {
                "deployed" => g.deployed = self.bool(v, "`gates.deployed`"),
                "same_digest" => g.same_digest = self.bool(v, "`gates.same_digest`"),
                "soak" => g.soak = self.duration(v, "`gates.soak`"),
                "health" => g.health = self.probe(v, "`gates.health`"),
                "smoke" => g.smoke = self.smokes(v),
                "metrics" => g.metrics = self.metrics(v, "`gates.metrics`"),
                "checks" => g.checks = self.strings(v, "`gates.checks`"),
                "branches" => {
                    g.branches = self.strings(v, "`gates.branches`");
                    for b in &g.branches {
                        if let Err(e) = globset::Glob::new(b) {
                            let msg = format!("`gates.branches` glob `{b}` is invalid: {e}");
                            self.at(v.span.start, msg);
                        }
                    }
                }
                _ => {}
            }
        }
        g
    }

    fn probe(&mut self, node: &Node, what: &str) -> Option<HttpProbe> {
        let entries = self.map(node, what, PROBE_KEYS);
        let mut p = HttpProbe {
            url: String::new(),
            method: "GET".into(),
            status: 200,
            retries: 3,
            interval: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            json: None,
        };
        let mut url = None;
        for (k, v) in entries {
            let key = k.as_str().unwrap_or_default();
            let field = sub(what, key);
            match key {
                "url" => url = self.url(v, &field),
                "method" => p.method = self.method(v, &field).unwrap_or(p.method),
                "status" => p.status = self.status(v, &field).unwrap_or(p.status),
                "retries" => p.retries = self.count(v, &field, 1).unwrap_or(p.retries),
                "interval" => p.interval = self.duration(v, &field).unwrap_or(p.interval),
                "timeout" => p.timeout = self.duration(v, &field).unwrap_or(p.timeout),
                "json" => p.json = self.json(v, &field),
                _ => {}
            }
        }
        if node.as_map().is_some() && !entries.iter().any(|(k, _)| k.as_str() == Some("url")) {
            self.at(node.span.start, format!("{what} needs `url:`"));
        }
        p.url = with_default_path(&url?, "/health");
        Some(p)
    }

    fn method(&mut self, node: &Node, what: &str) -> Option<String> {
        let m = self.string(node, what)?.to_ascii_uppercase();
        const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
        if METHODS.contains(&m.as_str()) {
            Some(m)
        } else {
            self.at(
                node.span.start,
                format!("{what} `{m}` must be one of {}", METHODS.join(", ")),
            );
            None
        }
    }

    fn json(&mut self, node: &Node, what: &str) -> Option<JsonCondition> {
        let entries = self.map(node, what, JSON_KEYS);
        let get = |key: &str| entries.iter().find(|(k, _)| k.as_str() == Some(key));
        let path = match get("path") {
            Some((_, v)) => self.string(v, &sub(what, "path"))?,
            None => {
                self.at(node.span.start, format!("{what} needs `path:`"));
                return None;
            }
        };
        let test = match (get("equals"), get("comparison"), get("threshold")) {
            (Some((_, v)), None, None) => JsonTest::Equals(scalar_json(v)),
            (None, Some((_, c)), Some((_, t))) => {
                let c = self.comparison(c, &sub(what, "comparison"))?;
                JsonTest::Compare(c, self.number(t, &sub(what, "threshold"))?)
            }
            _ => {
                self.at(
                    node.span.start,
                    format!("{what} needs either `equals:` or both `comparison:` and `threshold:`"),
                );
                return None;
            }
        };
        Some(JsonCondition { path, test })
    }

    fn smokes(&mut self, node: &Node) -> Vec<Smoke> {
        let Some(items) = node.as_seq() else {
            self.at(
                node.span.start,
                "`gates.smoke` must be a list of checks such as `- { url: ..., status: 200 }`"
                    .into(),
            );
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| self.smoke(item, &index("`gates.smoke`", i)))
            .collect()
    }

    fn smoke(&mut self, node: &Node, what: &str) -> Option<Smoke> {
        let entries = self.map(node, what, SMOKE_KEYS);
        let mut s = Smoke {
            method: "GET".into(),
            url: String::new(),
            headers: Vec::new(),
            status: 200,
            body_contains: None,
            json: None,
            max_latency: Duration::from_secs(2),
            percentile: 99,
            samples: 1,
            timeout: Duration::from_secs(10),
        };
        let mut url = None;
        for (k, v) in entries {
            let key = k.as_str().unwrap_or_default();
            let field = sub(what, key);
            match key {
                "url" => url = self.url(v, &field),
                "method" => s.method = self.method(v, &field).unwrap_or(s.method),
                "status" => s.status = self.status(v, &field).unwrap_or(s.status),
                "body_contains" => s.body_contains = self.string(v, &field),
                "json" => s.json = self.json(v, &field),
                "max_latency" => s.max_latency = self.duration(v, &field).unwrap_or(s.max_latency),
                "samples" => s.samples = self.count(v, &field, 1).unwrap_or(s.samples),
                "percentile" => s.percentile = self.percentile(v, &field).unwrap_or(s.percentile),
                "timeout" => s.timeout = self.duration(v, &field).unwrap_or(s.timeout),
                "headers" => {
                    let map = self.entries(v, &field);
                    for (hk, hv) in map {
                        let name = hk.as_str().unwrap_or_default().to_owned();
                        if let Some(value) = self.string(hv, &sub(&field, &name)) {
                            s.headers.push((name, Secret::new(value)));
                        }
                    }
                }
                _ => {}
            }
        }
        if node.as_map().is_some() && !entries.iter().any(|(k, _)| k.as_str() == Some("url")) {
            self.at(node.span.start, format!("{what} needs `url:`"));
        }
        s.url = url?;
        Some(s)
    }

    fn metrics(&mut self, node: &Node, what: &str) -> Vec<Metric> {
        let Some(items) = node.as_seq() else {
            self.at(node.span.start, format!("{what} must be a list of metrics"));
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| self.metric(item, &index(what, i), i))
            .collect()
    }

    fn metric(&mut self, node: &Node, what: &str, index: usize) -> Option<Metric> {
        let entries = self.map(node, what, METRIC_KEYS);
        let get = |key: &str| entries.iter().find(|(k, _)| k.as_str() == Some(key));
        let mut m = Metric {
            name: format!("metric {index}"),
            url: String::new(),
            path: String::new(),
            comparison: Comparison::Le,
            threshold: 0.0,
            count: 1,
            interval: Duration::from_secs(10),
            failure_limit: 0,
            timeout: Duration::from_secs(10),
        };
        if let Some((_, v)) = get("name") {
            m.name = self.string(v, &sub(what, "name"))?;
        }
        (m.url, m.path) = self.metric_source(node, what, entries)?;
        match (get("comparison"), get("threshold")) {
            (Some((_, c)), Some((_, t))) => {
                m.comparison = self.comparison(c, &sub(what, "comparison"))?;
                m.threshold = self.number(t, &sub(what, "threshold"))?;
            }
            _ => {
                self.at(
                    node.span.start,
                    format!("{what} needs `comparison:` (e.g. \"<=\") and `threshold:`"),
                );
                return None;
            }
        }
        for (k, v) in entries {
            let key = k.as_str().unwrap_or_default();
            let field = sub(what, key);
            match key {
                "count" | "samples" => m.count = self.count(v, &field, 1).unwrap_or(m.count),
                "interval" => m.interval = self.duration(v, &field).unwrap_or(m.interval),
                "failure_limit" => {
                    m.failure_limit = self.count(v, &field, 0).unwrap_or(m.failure_limit);
                }
                "timeout" => m.timeout = self.duration(v, &field).unwrap_or(m.timeout),
                _ => {}
            }
        }
        Some(m)
    }

    /// Where a metric is read: `url:` and `path:` (any JSON endpoint) or `prometheus:` and
    /// `query:` (the path defaults to the instant query's value), as the URL and path to fetch.
    fn metric_source(
        &mut self,
        node: &Node,
        what: &str,
        entries: &[(Node, Node)],
    ) -> Option<(String, String)> {
        let get = |key: &str| entries.iter().find(|(k, _)| k.as_str() == Some(key));
        let query = match get("query") {
            Some((_, v)) => Some(self.string(v, &sub(what, "query"))?),
            None => None,
        };
        let base = match (get("url"), get("prometheus")) {
            (Some((_, v)), None) => self.url(v, &sub(what, "url"))?,
            (None, Some((_, v))) => self.url(v, &sub(what, "prometheus"))?,
            _ => {
                self.at(
                    node.span.start,
                    format!("{what} needs exactly one of `url:` (a JSON endpoint) or `prometheus:` (a Prometheus server with `query:`)"),
                );
                return None;
            }
        };
        let url = match (get("prometheus").is_some(), &query) {
            (true, Some(q)) => format!(
                "{}/api/v1/query?query={}",
                base.trim_end_matches('/'),
                url_encode(q)
            ),
            (true, None) => {
                self.at(
                    node.span.start,
                    format!("{what} with `prometheus:` needs `query:`"),
                );
                return None;
            }
            (false, _) => base,
        };
        let path = match get("path") {
            Some((_, v)) => self.string(v, &sub(what, "path"))?,
            None if get("prometheus").is_some() => "data.result.0.value.1".into(),
            None => {
                self.at(
                    node.span.start,
                    format!("{what} needs `path:` (where the value is in the JSON answer)"),
                );
                return None;
            }
        };
        Some((url, path))
    }

    /// `95`, `p95`: one of the percentiles 50, 95, 99.
    fn percentile(&mut self, node: &Node, what: &str) -> Option<u8> {
        let text = node.as_str().unwrap_or_default().trim().to_owned();
        let n = text.trim_start_matches('p').parse::<u8>().ok();
        match n {
            Some(p @ (50 | 95 | 99)) => Some(p),
            _ => {
                self.at(
                    node.span.start,
                    format!("{what} `{text}` must be 50, 95 or 99 (p50, p95, p99)"),
                );
                None
            }
        }
    }

    fn verify(&mut self, node: &Node) -> Option<Verify> {
        let mut v = Verify {
            window: Duration::from_secs(60),
            interval: Duration::from_secs(10),
            health: None,
            metrics: Vec::new(),
        };
        for (k, val) in self.map(node, "`verify`", VERIFY_KEYS) {
            let key = k.as_str().unwrap_or_default();
            let field = format!("`verify.{key}`");
            match key {
                "window" => v.window = self.duration(val, &field).unwrap_or(v.window),
                "interval" => v.interval = self.duration(val, &field).unwrap_or(v.interval),
                "health" => v.health = self.probe(val, &field),
                "metrics" => v.metrics = self.metrics(val, &field),
                _ => {}
            }
        }
        if v.health.is_none() && v.metrics.is_empty() {
            self.at(
                node.span.start,
                "`verify` checks nothing; give it `health:` or `metrics:`".into(),
            );
        }
        Some(v)
    }
}

/// `` `a`.b `` → `` `a.b` ``: a field of a section named in backticks.
fn sub(what: &str, key: &str) -> String {
    format!("{}.{key}`", what.trim_end_matches('`'))
}

/// `` `a` `` and 2 → `` `a[2]` ``.
fn index(what: &str, i: usize) -> String {
    format!("{}[{i}]`", what.trim_end_matches('`'))
}

/// `url` with `path` when it has none (`http://h:1` → `http://h:1/health`).
fn with_default_path(url: &str, path: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    if rest.trim_end_matches('/').contains('/') {
        url.to_owned()
    } else {
        format!("{}{path}", url.trim_end_matches('/'))
    }
}

/// Percent-encodes a query value.
fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A scalar as the JSON value it reads as (number, boolean, null, string).
fn scalar_json(node: &Node) -> serde_json::Value {
    match node.scalar_type() {
        Some(yaml::ScalarType::Bool) => serde_json::Value::Bool(node.as_bool().unwrap_or(false)),
        Some(yaml::ScalarType::Int | yaml::ScalarType::Float) => node
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        Some(yaml::ScalarType::Null) => serde_json::Value::Null,
        _ => serde_json::Value::String(node.as_str().unwrap_or_default().to_owned()),
    }
}

#[cfg(test)]
mod tests;
