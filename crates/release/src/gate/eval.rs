//! Gate evaluation: every gate of a policy gives a verdict with evidence and a duration.
//!
//! Independent gates run concurrently. A gate that cannot be evaluated (network error, garbage
//! answer, timeout, a store that does not answer) gets [`Verdict::Error`], which refuses the
//! promotion just like a failure: the gate fails closed.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::Serialize;

use super::policy::{Gates, HttpProbe, Metric, Smoke};
use super::staged;
use crate::probe::{self, check_json, human};
use deploy_action_records::{Artifact, CommitCheck, DeploymentStore, GithubError, HistoryEntry};

/// A gate's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The gate holds.
    Pass,
    /// The gate does not hold.
    Fail,
    /// The gate could not be evaluated; it blocks like a failure.
    Error,
}

impl Verdict {
    /// `pass`, `fail` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Error => "error",
        }
    }
}

/// One gate's verdict with its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateResult {
    /// Gate name, e.g. `health` or `smoke GET http://…/`.
    pub gate: String,
    /// The verdict.
    pub verdict: Verdict,
    /// What was seen, in one line.
    pub evidence: String,
    /// How long the evaluation took, in milliseconds.
    pub duration_ms: u64,
}

/// What is being promoted.
#[derive(Debug, Clone)]
pub struct Subject {
    /// The commit.
    pub sha: String,
    /// The images and artifacts, each with its digest.
    pub artifacts: Vec<Artifact>,
    /// The branch (from GITHUB_REF or git), for `branches`.
    pub branch: Option<String>,
}

/// Where commit checks come from: GitHub, or nowhere (the local ledger has none).
pub trait ChecksSource: Sync {
    /// The check runs and statuses of `sha`.
    fn commit_checks(
        &self,
        sha: &str,
    ) -> impl Future<Output = Result<Vec<CommitCheck>, GithubError>> + Send;
}

impl ChecksSource for deploy_action_records::GithubStore {
    async fn commit_checks(&self, sha: &str) -> Result<Vec<CommitCheck>, GithubError> {
        deploy_action_records::GithubStore::commit_checks(self, sha).await
    }
}

type GateFuture<'a> = Pin<Box<dyn Future<Output = GateResult> + Send + 'a>>;

/// Evaluates every gate in `gates` for `subject` coming from environment `from`, concurrently.
/// `progress` gets a line when each gate starts and finishes. `checks` is `None` with the local
/// ledger: a non-empty `checks` gate then has verdict `error`.
pub async fn evaluate<S: DeploymentStore, C: ChecksSource>(
    gates: &Gates,
    store: &S,
    checks: Option<&C>,
    from: &str,
    subject: &Subject,
    progress: &(dyn Fn(&str) + Sync),
) -> Vec<GateResult> {
    let client = match probe::client() {
        Ok(c) => c,
        Err(e) => {
            return vec![GateResult {
                gate: "http".into(),
                verdict: Verdict::Error,
                evidence: e,
                duration_ms: 0,
            }];
        }
    };
    let needs_record = gates.deployed || gates.same_digest || gates.soak.is_some();
    let record: Option<Result<Vec<HistoryEntry>, String>> = if needs_record {
        Some(
            store
                .history(from, Some(staged::RECORDS_READ))
                .await
                .map_err(|e| format!("cannot read {from}'s deployments: {e}")),
        )
    } else {
        None
    };
    let now = Utc::now();
    let mut list: Vec<GateFuture<'_>> = Vec::new();
    let record = record.as_ref();
    if gates.deployed
        && let Some(r) = record
    {
        list.push(timed("deployed", progress, async move {
            staged::deployed(r, from, subject)
        }));
    }
    if gates.same_digest
        && let Some(r) = record
    {
        list.push(timed("same_digest", progress, async move {
            staged::same_digest(r, from, subject)
        }));
    }
    if let (Some(soak_for), Some(r)) = (gates.soak, record) {
        list.push(timed("soak", progress, async move {
            staged::soak(r, from, subject, soak_for, now)
        }));
    }
    if let Some(h) = &gates.health {
        let client = client.clone();
        list.push(timed("health", progress, async move {
            health(&client, h).await
        }));
    }
    for s in &gates.smoke {
        let client = client.clone();
        let name = format!("smoke {} {}", s.method, s.url);
        list.push(timed_owned(name, progress, async move {
            smoke(&client, s).await
        }));
    }
    for m in &gates.metrics {
        let client = client.clone();
        let name = format!("metric {}", m.name);
        list.push(timed_owned(name, progress, async move {
            metric(&client, m).await
        }));
    }
    if !gates.checks.is_empty() {
        list.push(timed("checks", progress, async move {
            required_checks(checks, &gates.checks, &subject.sha).await
        }));
    }
    if !gates.branches.is_empty() {
        list.push(timed("branches", progress, async move {
            branches(&gates.branches, subject.branch.as_deref())
        }));
    }
    futures_util::future::join_all(list).await
}

/// Re-runs `health` and `metrics` once against the target (post-promotion verification).
pub async fn verify_round(
    health_probe: Option<&HttpProbe>,
    metrics: &[Metric],
    progress: &(dyn Fn(&str) + Sync),
) -> Vec<GateResult> {
    let client = match probe::client() {
        Ok(c) => c,
        Err(e) => {
            return vec![GateResult {
                gate: "http".into(),
                verdict: Verdict::Error,
                evidence: e,
                duration_ms: 0,
            }];
        }
    };
    let mut list: Vec<GateFuture<'_>> = Vec::new();
    if let Some(h) = health_probe {
        let client = client.clone();
        list.push(timed("verify health", progress, async move {
            health(&client, h).await
        }));
    }
    for m in metrics {
        let client = client.clone();
        list.push(timed_owned(
            format!("verify metric {}", m.name),
            progress,
            async move { metric(&client, m).await },
        ));
    }
    futures_util::future::join_all(list).await
}

fn timed<'a>(
    gate: &'static str,
    progress: &'a (dyn Fn(&str) + Sync),
    work: impl Future<Output = (Verdict, String)> + Send + 'a,
) -> GateFuture<'a> {
    timed_owned(gate.to_owned(), progress, work)
}

fn timed_owned<'a>(
    gate: String,
    progress: &'a (dyn Fn(&str) + Sync),
    work: impl Future<Output = (Verdict, String)> + Send + 'a,
) -> GateFuture<'a> {
    Box::pin(async move {
        progress(&format!("gate {gate}: started"));
        let start = Instant::now();
        let (verdict, evidence) = work.await;
        let duration_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
        progress(&format!("gate {gate}: {} ({evidence})", verdict.as_str()));
        GateResult {
            gate,
            verdict,
            evidence,
            duration_ms,
        }
    })
}

async fn health(client: &reqwest::Client, h: &HttpProbe) -> (Verdict, String) {
    let mut last = (Verdict::Error, String::from("not tried"));
    for attempt in 1..=h.retries {
        if attempt > 1 {
            tokio::time::sleep(h.interval).await;
        }
        let tries = format!("attempt {attempt}/{}", h.retries);
        last = match probe::fetch(client, &h.method, &h.url, &[], h.timeout).await {
            Err(reason) => (Verdict::Error, format!("{reason} ({tries})")),
            Ok(a) if a.status != h.status => (
                Verdict::Fail,
                format!(
                    "{} {} answered {}, expected {} ({tries})",
                    h.method, h.url, a.status, h.status
                ),
            ),
            Ok(a) => match &h.json {
                None => {
                    return (
                        Verdict::Pass,
                        format!(
                            "{} {} answered {} in {} ({tries})",
                            h.method,
                            h.url,
                            a.status,
                            human(a.latency)
                        ),
                    );
                }
                Some(cond) => match check_json(&a.body, cond) {
                    Ok(Ok(text)) => {
                        return (
                            Verdict::Pass,
                            format!("{} answered {}, {text} ({tries})", h.url, a.status),
                        );
                    }
                    Ok(Err(text)) => (Verdict::Fail, format!("{}: {text} ({tries})", h.url)),
                    Err(reason) => (Verdict::Error, format!("{}: {reason} ({tries})", h.url)),
                },
            },
        };
    }
    last
}

async fn smoke(client: &reqwest::Client, s: &Smoke) -> (Verdict, String) {
    let mut latencies = Vec::new();
    for _ in 0..s.samples {
        let a = match probe::fetch(client, &s.method, &s.url, &s.headers, s.timeout).await {
            Ok(a) => a,
            Err(reason) => return (Verdict::Error, reason),
        };
        if a.status != s.status {
            return (
                Verdict::Fail,
                format!("answered {}, expected {}", a.status, s.status),
            );
        }
        if let Some(text) = &s.body_contains
            && !String::from_utf8_lossy(&a.body).contains(text.as_str())
        {
            return (Verdict::Fail, format!("the body does not contain `{text}`"));
        }
        if let Some(cond) = &s.json {
            match check_json(&a.body, cond) {
                Ok(Ok(_)) => {}
                Ok(Err(text)) => return (Verdict::Fail, text),
                Err(reason) => return (Verdict::Error, reason),
            }
        }
        latencies.push(a.latency);
    }
    latencies.sort();
    let at = percentile(&latencies, f64::from(s.percentile) / 100.0);
    let text = format!(
        "{} ok, p{} {} (max {})",
        latencies.len(),
        s.percentile,
        human(at),
        human(s.max_latency)
    );
    if at <= s.max_latency {
        (Verdict::Pass, text)
    } else {
        (Verdict::Fail, text)
    }
}

/// The `q` percentile of sorted samples (nearest rank).
pub(crate) fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    // Rank within 1..=len, so the cast and index are in range.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

async fn metric(client: &reqwest::Client, m: &Metric) -> (Verdict, String) {
    let mut failures = 0u32;
    let mut values = Vec::new();
    for sample in 0..m.count {
        if sample > 0 {
            tokio::time::sleep(m.interval).await;
        }
        let n = match metric_value(client, m).await {
            Ok(n) => n,
            Err(reason) => return (Verdict::Error, reason),
        };
        if !m.comparison.holds(n, m.threshold) {
            failures += 1;
        }
        values.push(n.to_string());
    }
    let text = format!(
        "values [{}] {} {}: {failures} of {} samples failed (limit {})",
        values.join(", "),
        m.comparison.as_str(),
        m.threshold,
        m.count,
        m.failure_limit
    );
    if failures > m.failure_limit {
        (Verdict::Fail, text)
    } else {
        (Verdict::Pass, text)
    }
}

/// One reading of a metric: the number at its path in the JSON its URL answers; `Err` with the
/// reason when there is none (the metric cannot be evaluated).
pub(crate) async fn metric_value(client: &reqwest::Client, m: &Metric) -> Result<f64, String> {
    let a = probe::fetch(client, "GET", &m.url, &[], m.timeout).await?;
    if !(200..300).contains(&a.status) {
        return Err(format!("the metric endpoint answered HTTP {}", a.status));
    }
    let value = serde_json::from_slice::<serde_json::Value>(&a.body)
        .map_err(|e| format!("the metric endpoint's answer is not JSON ({e})"))?;
    probe::lookup(&value, &m.path)
        .and_then(probe::as_number)
        .ok_or_else(|| format!("the metric answer has no number at `{}`", m.path))
}

async fn required_checks<C: ChecksSource>(
    source: Option<&C>,
    required: &[String],
    sha: &str,
) -> (Verdict, String) {
    let Some(source) = source else {
        return (
            Verdict::Error,
            "commit checks live on GitHub and this run records deployments in the local ledger; set GITHUB_TOKEN and GITHUB_REPOSITORY, or remove `checks` from the policy for local runs".into(),
        );
    };
    let found = match source.commit_checks(sha).await {
        Ok(f) => f,
        Err(e) => return (Verdict::Error, e.to_string()),
    };
    let mut bad = Vec::new();
    let mut good = Vec::new();
    for name in required {
        let matching: Vec<&CommitCheck> = found.iter().filter(|c| &c.name == name).collect();
        if matching.is_empty() {
            bad.push(format!("{name}: not reported"));
        } else if let Some(c) = matching.iter().find(|c| c.state != "success") {
            bad.push(format!("{name}: {} {}", c.kind, c.state));
        } else {
            good.push(name.clone());
        }
    }
    if bad.is_empty() {
        (Verdict::Pass, format!("green: {}", good.join(", ")))
    } else {
        (Verdict::Fail, bad.join("; "))
    }
}

fn branches(globs: &[String], branch: Option<&str>) -> (Verdict, String) {
    let Some(branch) = branch else {
        return (
            Verdict::Error,
            "the branch is unknown; run in a git checkout or set GITHUB_REF".into(),
        );
    };
    let matches = globs.iter().any(|g| {
        globset::Glob::new(g)
            .map(|g| g.compile_matcher().is_match(branch))
            .unwrap_or(false)
    });
    let text = format!("branch `{branch}` against [{}]", globs.join(", "));
    if matches {
        (Verdict::Pass, text)
    } else {
        (Verdict::Fail, format!("{text}: no match"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentile() {
        let ms = |n: u64| Duration::from_millis(n);
        let samples: Vec<Duration> = (1..=100).map(ms).collect();
        assert_eq!(percentile(&samples, 0.99), ms(99));
        assert_eq!(percentile(&[ms(5)], 0.99), ms(5));
        assert_eq!(percentile(&[], 0.99), Duration::ZERO);
    }

    #[test]
    fn branch_globs() {
        let globs = vec!["main".to_owned(), "release/*".to_owned()];
        assert_eq!(branches(&globs, Some("release/1.2")).0, Verdict::Pass);
        assert_eq!(branches(&globs, Some("feature/x")).0, Verdict::Fail);
        assert_eq!(branches(&globs, None).0, Verdict::Error);
    }
}
