//! The progressive part of a policy: `rollout.steps` (traffic weights, each followed by a
//! pause) and `analysis` (thresholds sampled during every pause, as Argo Rollouts'
//! AnalysisTemplate: a sample count and a failure limit).
//!
//! ```yaml
//! rollout:
//!   steps:
//!     - { weight: 25, pause: 1m }
//!     - { weight: 50, pause: 1m }
//!     - { weight: 100 }
//! analysis:
//!   interval: 10s            # one sample per interval of each pause (or `count:` per step)
//!   failure_limit: 0         # failed samples tolerated per step
//!   requests: { url: "${PRODUCTION_URL}/", rate: 10, timeout: 2s }
//!   error_rate: { max: 5% }  # non-2xx and timeouts among our requests, or from a metric
//!   latency: { p95: 1s }     # percentiles of our requests' latency
//!   metrics: [ ... ]         # as `gates.metrics`, queried once per sample
//! ```

use std::time::Duration;

use super::model::Metric;
use super::{Comparison, Cx, index, sub};
use crate::workflow::yaml::Node;
use deploy_action_sys::secret::Secret;

/// Traffic steps of a progressive rollout.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollout {
    /// The steps, weights increasing, the last one 100.
    pub steps: Vec<TrafficStep>,
}

/// One step: this share of the traffic goes to the new version, then the rollout waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrafficStep {
    /// Percent of the traffic sent to the new version, 1-100.
    pub weight: u8,
    /// How long the step is watched before the next one; analysis samples fill it.
    pub pause: Duration,
}

/// Thresholds checked during every step's pause; one failing sample too many rolls back.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// Samples per step (Argo's `count`); `None`: one per `interval` of the pause.
    pub count: Option<u32>,
    /// Length of one sample when `count` is not given, default 10 s.
    pub interval: Duration,
    /// Failed samples tolerated per step, default 0.
    pub failure_limit: u32,
    /// The requests deploy-action sends itself (error rate and latency are measured on them).
    pub requests: Requests,
    /// Largest error rate.
    pub error_rate: Option<ErrorRate>,
    /// Largest latency percentiles.
    pub latency: Vec<LatencyLimit>,
    /// Metric thresholds, each queried once per sample.
    pub metrics: Vec<Metric>,
}

impl Analysis {
    /// How many samples a step with this pause takes (at least one).
    pub fn samples(&self, pause: Duration) -> u32 {
        if let Some(n) = self.count {
            return n.max(1);
        }
        let ratio = pause.as_secs_f64() / self.interval.as_secs_f64().max(0.001);
        // Rounded ratio of two durations; a policy never asks for billions of samples.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = ratio.round().clamp(1.0, 1e6) as u32;
        n
    }

    /// Whether deploy-action must send requests itself.
    pub fn needs_requests(&self) -> bool {
        !self.latency.is_empty() || self.error_rate.as_ref().is_some_and(|e| e.source.is_none())
    }
}

/// The requests deploy-action sends during a step, at a steady rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Requests {
    /// Where they go; `None`: the new version itself (the docker target knows its address).
    pub url: Option<String>,
    /// The path used with the new version's own address, default `/`.
    pub path: String,
    /// HTTP method, default `GET`.
    pub method: String,
    /// Requests per second, default 10.
    pub rate: u32,
    /// An answer later than this counts as an error (a timeout), default 2 s.
    pub timeout: Duration,
    /// Request headers; values may come from the environment, so they are secret.
    pub headers: Vec<(String, Secret<String>)>,
}

impl Default for Requests {
    fn default() -> Self {
        Self {
            url: None,
            path: "/".into(),
            method: "GET".into(),
            rate: 10,
            timeout: Duration::from_secs(2),
            headers: Vec::new(),
        }
    }
}

/// The largest share of failed requests.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorRate {
    /// A fraction (0.05 for 5 %).
    pub max: f64,
    /// Where the rate comes from: `None` for our requests (non-2xx and timeouts), else a metric
    /// whose value is the rate as a fraction.
    pub source: Option<Metric>,
}

/// A latency percentile and its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencyLimit {
    /// 50, 95 or 99.
    pub percentile: u8,
    /// The largest latency allowed.
    pub max: Duration,
}

const ROLLOUT_KEYS: &[&str] = &["steps"];
const STEP_KEYS: &[&str] = &["weight", "pause"];
const ANALYSIS_KEYS: &[&str] = &[
    "count",
    "samples",
    "interval",
    "failure_limit",
    "requests",
    "error_rate",
    "latency",
    "metrics",
];
const REQUEST_KEYS: &[&str] = &["url", "path", "method", "rate", "timeout", "headers"];
const ERROR_RATE_KEYS: &[&str] = &["max", "prometheus", "query", "url", "path", "timeout"];
const LATENCY_KEYS: &[&str] = &["p50", "p95", "p99"];
/// Keys of a metric that belong to the analysis as a whole when the metric is in `analysis`.
const PER_ANALYSIS: &[&str] = &["count", "samples", "interval", "failure_limit"];

impl Cx<'_> {
    pub(super) fn rollout(&mut self, node: &Node) -> Option<Rollout> {
        let entries = self.map(node, "`rollout`", ROLLOUT_KEYS);
        let Some((_, steps)) = entries.iter().find(|(k, _)| k.as_str() == Some("steps")) else {
            if node.as_map().is_some() {
                self.at(
                    node.span.start,
                    "`rollout` needs `steps:`, e.g. [{weight: 25, pause: 1m}, {weight: 100}]"
                        .into(),
                );
            }
            return None;
        };
        let Some(items) = steps.as_seq().filter(|s| !s.is_empty()) else {
            self.at(
                steps.span.start,
                "`rollout.steps` must be a non-empty list such as [{weight: 25, pause: 1m}, {weight: 100}]".into(),
            );
            return None;
        };
        let mut out = Vec::new();
        let mut last = 0u8;
        for (i, item) in items.iter().enumerate() {
            let what = index("`rollout.steps`", i);
            let Some(step) = self.step(item, &what) else {
                continue;
            };
            if step.weight <= last {
                self.at(
                    item.span.start,
                    format!(
                        "{what}: weight {} does not increase on the step before ({last}); weights go up, e.g. 25, 50, 100",
                        step.weight
                    ),
                );
            }
            last = last.max(step.weight);
            out.push(step);
        }
        if out.len() == items.len() && last != 100 {
            let end = items.last().map_or(steps.span.start, |n| n.span.start);
            self.at(
                end,
                "the last of `rollout.steps` must send all the traffic: add `- weight: 100`".into(),
            );
        }
        Some(Rollout { steps: out })
    }

    fn step(&mut self, node: &Node, what: &str) -> Option<TrafficStep> {
        let entries = self.map(node, what, STEP_KEYS);
        let mut weight = None;
        let mut pause = Duration::ZERO;
        for (k, v) in entries {
            let key = k.as_str().unwrap_or_default();
            let field = sub(what, key);
            match key {
                "weight" => {
                    weight = self
                        .count(v, &field, 1)
                        .and_then(|w| match u8::try_from(w) {
                            Ok(w) if w <= 100 => Some(w),
                            _ => {
                                self.at(
                                    v.span.start,
                                    format!("{field} must be a percentage, 1-100"),
                                );
                                None
                            }
                        });
                }
                "pause" => pause = self.duration(v, &field).unwrap_or(pause),
                _ => {}
            }
        }
        if node.as_map().is_some() && !entries.iter().any(|(k, _)| k.as_str() == Some("weight")) {
            self.at(
                node.span.start,
                format!("{what} needs `weight:` (percent of the traffic)"),
            );
        }
        Some(TrafficStep {
            weight: weight?,
            pause,
        })
    }

    pub(super) fn analysis(&mut self, node: &Node) -> Option<Analysis> {
        let entries = self.map(node, "`analysis`", ANALYSIS_KEYS);
        let mut a = Analysis {
            count: None,
            interval: Duration::from_secs(10),
            failure_limit: 0,
            requests: Requests::default(),
            error_rate: None,
            latency: Vec::new(),
            metrics: Vec::new(),
        };
        let mut interval_at = None;
        for (k, v) in entries {
            let key = k.as_str().unwrap_or_default();
            let field = format!("`analysis.{key}`");
            match key {
                "count" | "samples" => a.count = self.count(v, &field, 1),
                "interval" => {
                    interval_at = Some(k.span.start);
                    a.interval = self.duration(v, &field).unwrap_or(a.interval);
                    if a.interval.is_zero() {
                        self.at(v.span.start, format!("{field} must be longer than 0s"));
                    }
                }
                "failure_limit" => a.failure_limit = self.count(v, &field, 0).unwrap_or(0),
                "requests" => a.requests = self.requests(v),
                "error_rate" => a.error_rate = self.error_rate(v),
                "latency" => a.latency = self.latency(v),
                "metrics" => {
                    a.metrics = self.metrics(v, &field);
                    self.per_analysis_keys(v);
                }
                _ => {}
            }
        }
        if let (Some(pos), Some(_)) = (interval_at, a.count) {
            self.at(
                pos,
                "`analysis` takes `count:` (samples per step) or `interval:` (one sample per interval of the pause), not both".into(),
            );
        }
        if node.as_map().is_some()
            && a.error_rate.is_none()
            && a.latency.is_empty()
            && a.metrics.is_empty()
        {
            self.at(
                node.span.start,
                "`analysis` checks nothing; give it `error_rate:`, `latency:` or `metrics:`".into(),
            );
        }
        Some(a)
    }

    /// `count`, `interval` and `failure_limit` of a metric inside `analysis` would be ignored:
    /// they are the analysis's own.
    fn per_analysis_keys(&mut self, node: &Node) {
        for item in node.as_seq().unwrap_or_default() {
            for (k, _) in item.as_map().unwrap_or_default() {
                let key = k.as_str().unwrap_or_default();
                if PER_ANALYSIS.contains(&key) {
                    self.at(
                        k.span.start,
                        format!("`{key}` of a metric in `analysis.metrics` is not used: each metric is queried once per sample; set `analysis.{}` instead", if key == "samples" { "count" } else { key }),
                    );
                }
            }
        }
    }

    fn requests(&mut self, node: &Node) -> Requests {
        let mut r = Requests::default();
        for (k, v) in self.map(node, "`analysis.requests`", REQUEST_KEYS) {
            let key = k.as_str().unwrap_or_default();
            let field = format!("`analysis.requests.{key}`");
            match key {
                "url" => r.url = self.url(v, &field),
                "path" => {
                    if let Some(p) = self.string(v, &field) {
                        if p.starts_with('/') {
                            r.path = p;
                        } else {
                            self.at(v.span.start, format!("{field} must start with /"));
                        }
                    }
                }
                "method" => r.method = self.method(v, &field).unwrap_or(r.method),
                "rate" => r.rate = self.count(v, &field, 1).unwrap_or(r.rate),
                "timeout" => r.timeout = self.duration(v, &field).unwrap_or(r.timeout),
                "headers" => {
                    for (hk, hv) in self.entries(v, &field) {
                        let name = hk.as_str().unwrap_or_default().to_owned();
                        if let Some(value) = self.string(hv, &sub(&field, &name)) {
                            r.headers.push((name, Secret::new(value)));
                        }
                    }
                }
                _ => {}
            }
        }
        if r.rate > 1000 {
            self.at(
                node.span.start,
                "`analysis.requests.rate` is at most 1000 requests per second".into(),
            );
        }
        r
    }

    fn error_rate(&mut self, node: &Node) -> Option<ErrorRate> {
        let what = "`analysis.error_rate`";
        let entries = self.map(node, what, ERROR_RATE_KEYS);
        let get = |key: &str| entries.iter().find(|(k, _)| k.as_str() == Some(key));
        let Some((_, max_node)) = get("max") else {
            if node.as_map().is_some() {
                self.at(
                    node.span.start,
                    format!("{what} needs `max:`, e.g. 5% or 0.05"),
                );
            }
            return None;
        };
        let max = self.fraction(max_node, &sub(what, "max"))?;
        let sourced = get("prometheus").is_some() || get("url").is_some();
        let source = if sourced {
            let (url, path) = self.metric_source(node, what, entries)?;
            let mut timeout = Duration::from_secs(10);
            if let Some((_, t)) = get("timeout") {
                timeout = self.duration(t, &sub(what, "timeout")).unwrap_or(timeout);
            }
            Some(Metric {
                name: "error rate".into(),
                url,
                path,
                comparison: Comparison::Le,
                threshold: max,
                count: 1,
                interval: Duration::ZERO,
                failure_limit: 0,
                timeout,
            })
        } else {
            for key in ["query", "path", "timeout"] {
                if let Some((k, _)) = get(key) {
                    self.at(
                        k.span.start,
                        format!("{what}.{key} needs `prometheus:` or `url:` (a metric source); without one the rate is measured on our own requests"),
                    );
                }
            }
            None
        };
        Some(ErrorRate { max, source })
    }

    /// `5%` or `0.05` as a fraction in 0..=1.
    fn fraction(&mut self, node: &Node, what: &str) -> Option<f64> {
        let text = node.as_str().unwrap_or_default().trim().to_owned();
        let value = match text.strip_suffix('%') {
            Some(percent) => percent.trim().parse::<f64>().ok().map(|p| p / 100.0),
            None => self.number(node, what),
        };
        match value {
            Some(v) if (0.0..=1.0).contains(&v) => Some(v),
            Some(_) => {
                self.at(
                    node.span.start,
                    format!(
                        "{what} `{text}` is not a rate: give a percentage (5%) or a fraction (0.05)"
                    ),
                );
                None
            }
            None if text.ends_with('%') => {
                self.at(
                    node.span.start,
                    format!("{what} `{text}` is not a percentage"),
                );
                None
            }
            None => None,
        }
    }

    fn latency(&mut self, node: &Node) -> Vec<LatencyLimit> {
        let mut out = Vec::new();
        for (k, v) in self.map(node, "`analysis.latency`", LATENCY_KEYS) {
            let key = k.as_str().unwrap_or_default();
            let Some(percentile) = key.strip_prefix('p').and_then(|p| p.parse::<u8>().ok()) else {
                continue;
            };
            if let Some(max) = self.duration(v, &format!("`analysis.latency.{key}`")) {
                out.push(LatencyLimit { percentile, max });
            }
        }
        if node.as_map().is_some_and(<[_]>::is_empty) {
            self.at(
                node.span.start,
                "`analysis.latency` needs p50, p95 or p99, e.g. { p95: 1s }".into(),
            );
        }
        out
    }
}
