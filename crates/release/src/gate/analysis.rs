//! The analysis of one rollout step: during the step's pause deploy-action sends its own
//! requests at a steady rate and queries the metrics, cut into samples; each sample checks every
//! threshold, and more failed samples than `failure_limit` fails the step at once (the rest of
//! the pause is not waited for).
//!
//! A sample's requests are those *sent* in its time window; it is judged once they have all
//! answered or timed out, while the next window's requests are already going out. A request is
//! an error when it answers outside 2xx or does not answer within the timeout. A metric that
//! cannot be read makes the sample an `error`, which counts as a failure: analysis fails closed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::eval::{Verdict, metric_value, percentile};
use super::policy::{Analysis, Metric, Requests};
use crate::probe::{self, human};

/// One sample of a step: what was measured and whether every threshold held.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    /// 1-based number of the sample in its step.
    pub sample: u32,
    /// Requests sent in the sample's window (0 when the analysis sends none).
    pub requests: u32,
    /// Of those, answers outside 2xx and requests without an answer in time.
    pub errors: u32,
    /// `errors / requests`, or the error-rate metric's value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<f64>,
    /// Latency percentiles of the requests, in milliseconds (`p50`, `p95`, `p99`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub latency_ms: Vec<(String, u64)>,
    /// Each metric's value (`null` when it could not be read).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<(String, Option<f64>)>,
    /// `pass`, `fail` (a threshold does not hold) or `error` (something could not be measured).
    pub verdict: Verdict,
    /// What did not hold or could not be measured, one line each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

impl Sample {
    /// The sample in one line: requests, errors, latency, metrics.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if self.requests > 0 {
            parts.push(format!(
                "{} requests, {} errors",
                self.requests, self.errors
            ));
        }
        if let Some(rate) = self.error_rate {
            parts.push(format!("error rate {}", percent(rate)));
        }
        for (p, ms) in &self.latency_ms {
            parts.push(format!("{p} {}", human(Duration::from_millis(*ms))));
        }
        for (name, value) in &self.metrics {
            match value {
                Some(v) => parts.push(format!("{name} {v}")),
                None => parts.push(format!("{name} unreadable")),
            }
        }
        parts.join(", ")
    }
}

/// How a step's analysis ended.
#[derive(Debug, Clone, PartialEq)]
pub struct StepAnalysis {
    /// The samples taken, in order.
    pub samples: Vec<Sample>,
    /// The threshold that failed the step (`sample 2/6: error rate 10.0 % > 5 %`), if one did.
    pub failed: Option<String>,
}

/// One request's outcome.
#[derive(Debug, Clone, Copy)]
struct Shot {
    ok: bool,
    latency: Duration,
}

/// Runs `analysis` for a step that lasts `pause`. `own_url` is the new version's own address
/// (the docker target knows it): requests go there when the policy names no URL. `progress`
/// gets a line per sample.
pub async fn analyse(
    analysis: &Analysis,
    pause: Duration,
    own_url: Option<&str>,
    label: &str,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<StepAnalysis, String> {
    let client = probe::client()?;
    let n = analysis.samples(pause);
    let window = pause.max(Duration::from_millis(100)) / n;
    let start = Instant::now();
    let sent: Arc<Vec<AtomicU32>> = Arc::new((0..n).map(|_| AtomicU32::new(0)).collect());
    let (tx, mut rx) = mpsc::unbounded_channel::<(u32, Shot)>();
    let sender = if analysis.needs_requests() {
        let url = request_url(&analysis.requests, own_url)?;
        let load = Load {
            client: client.clone(),
            requests: analysis.requests.clone(),
            url,
            start,
            window,
            windows: n,
        };
        Some(tokio::spawn(load.run(Arc::clone(&sent), tx)))
    } else {
        drop(tx);
        None
    };
    // Aborts the sender however this function ends (failure, interrupt, drop).
    let _stop = AbortOnDrop(sender);
    let mut arrived: Vec<Vec<Shot>> = vec![Vec::new(); n as usize];
    let mut samples = Vec::new();
    let mut failures = 0u32;
    for i in 0..n {
        let end = start + window * (i + 1);
        tokio::time::sleep_until(end).await;
        let readings = read_metrics(&client, analysis).await;
        let shots = if analysis.needs_requests() {
            // Every request of this window has been sent; wait for its answers.
            let expected = sent[i as usize].load(Ordering::SeqCst) as usize;
            let deadline = Instant::now() + analysis.requests.timeout + Duration::from_secs(1);
            while arrived[i as usize].len() < expected {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some((w, shot))) => arrived[w as usize].push(shot),
                    Ok(None) | Err(_) => break,
                }
            }
            Some(std::mem::take(&mut arrived[i as usize]))
        } else {
            None
        };
        let sample = judge(analysis, i + 1, shots.as_deref(), readings);
        progress(&format!(
            "{label}: sample {}/{n}: {}: {}{}",
            i + 1,
            sample.summary(),
            sample.verdict.as_str(),
            if sample.problems.is_empty() {
                String::new()
            } else {
                format!(" ({})", sample.problems.join("; "))
            }
        ));
        if sample.verdict != Verdict::Pass {
            failures += 1;
        }
        let over = failures > analysis.failure_limit;
        let first = sample.problems.first().cloned().unwrap_or_default();
        samples.push(sample);
        if over {
            let failed = format!(
                "sample {}/{n}: {first} ({failures} failed sample{}, limit {})",
                i + 1,
                if failures == 1 { "" } else { "s" },
                analysis.failure_limit
            );
            return Ok(StepAnalysis {
                samples,
                failed: Some(failed),
            });
        }
    }
    Ok(StepAnalysis {
        samples,
        failed: None,
    })
}

/// Where our requests go: the policy's URL, else the new version's own address and the path.
fn request_url(requests: &Requests, own_url: Option<&str>) -> Result<String, String> {
    match (&requests.url, own_url) {
        (Some(url), _) => Ok(url.clone()),
        (None, Some(base)) => Ok(format!("{}{}", base.trim_end_matches('/'), requests.path)),
        (None, None) => Err(
            "the analysis measures our own requests and this target has no address of the new version; set `analysis.requests.url`".into(),
        ),
    }
}

/// Every metric of the sample, read concurrently: the error-rate source first, then `metrics`.
async fn read_metrics<'a>(
    client: &reqwest::Client,
    analysis: &'a Analysis,
) -> Vec<(&'a Metric, Result<f64, String>)> {
    let all: Vec<&Metric> = analysis
        .error_rate
        .iter()
        .filter_map(|e| e.source.as_ref())
        .chain(&analysis.metrics)
        .collect();
    let values = futures_util::future::join_all(all.iter().map(|m| metric_value(client, m))).await;
    all.into_iter().zip(values).collect()
}

/// Checks every threshold on one sample.
fn judge(
    analysis: &Analysis,
    index: u32,
    shots: Option<&[Shot]>,
    readings: Vec<(&Metric, Result<f64, String>)>,
) -> Sample {
    let mut s = Sample {
        sample: index,
        requests: 0,
        errors: 0,
        error_rate: None,
        latency_ms: Vec::new(),
        metrics: Vec::new(),
        verdict: Verdict::Pass,
        problems: Vec::new(),
    };
    let mut failed = false;
    let mut unmeasured = false;
    if let Some(shots) = shots {
        s.requests = u32::try_from(shots.len()).unwrap_or(u32::MAX);
        s.errors = u32::try_from(shots.iter().filter(|x| !x.ok).count()).unwrap_or(u32::MAX);
        if shots.is_empty() {
            unmeasured = true;
            s.problems.push(
                "no request in this sample; raise `analysis.requests.rate` or lengthen the pause"
                    .into(),
            );
        } else {
            let mut latencies: Vec<Duration> = shots.iter().map(|x| x.latency).collect();
            latencies.sort();
            for limit in &analysis.latency {
                let at = percentile(&latencies, f64::from(limit.percentile) / 100.0);
                let name = format!("p{}", limit.percentile);
                s.latency_ms.push((
                    name.clone(),
                    u64::try_from(at.as_millis()).unwrap_or(u64::MAX),
                ));
                if at > limit.max {
                    failed = true;
                    s.problems
                        .push(format!("{name} {} > {}", human(at), human(limit.max)));
                }
            }
            if let Some(e) = analysis.error_rate.as_ref().filter(|e| e.source.is_none()) {
                let rate = f64::from(s.errors) / f64::from(s.requests);
                s.error_rate = Some(rate);
                if rate > e.max {
                    failed = true;
                    s.problems.push(format!(
                        "error rate {} ({} of {}) > {}",
                        percent(rate),
                        s.errors,
                        s.requests,
                        percent(e.max)
                    ));
                }
            }
        }
    }
    for (m, value) in readings {
        let is_rate = analysis
            .error_rate
            .as_ref()
            .and_then(|e| e.source.as_ref())
            .is_some_and(|src| std::ptr::eq(src, m));
        match value {
            Ok(v) if is_rate => {
                s.error_rate = Some(v);
                if !m.comparison.holds(v, m.threshold) {
                    failed = true;
                    s.problems.push(format!(
                        "error rate {} > {}",
                        percent(v),
                        percent(m.threshold)
                    ));
                }
            }
            Ok(v) => {
                s.metrics.push((m.name.clone(), Some(v)));
                if !m.comparison.holds(v, m.threshold) {
                    failed = true;
                    s.problems.push(format!(
                        "metric {} = {v}, not {} {}",
                        m.name,
                        m.comparison.as_str(),
                        m.threshold
                    ));
                }
            }
            Err(reason) => {
                unmeasured = true;
                if !is_rate {
                    s.metrics.push((m.name.clone(), None));
                }
                s.problems.push(format!("metric {}: {reason}", m.name));
            }
        }
    }
    s.verdict = if failed {
        Verdict::Fail
    } else if unmeasured {
        Verdict::Error
    } else {
        Verdict::Pass
    };
    s
}

/// `0.05` → `5.0 %`.
fn percent(fraction: f64) -> String {
    format!("{:.1} %", fraction * 100.0)
}

/// The requests of a step, sent at a steady rate until the pause ends.
struct Load {
    client: reqwest::Client,
    requests: Requests,
    url: String,
    start: Instant,
    window: Duration,
    windows: u32,
}

impl Load {
    async fn run(self, sent: Arc<Vec<AtomicU32>>, tx: mpsc::UnboundedSender<(u32, Shot)>) {
        let period = Duration::from_secs(1) / self.requests.rate.max(1);
        let end = self.start + self.window * self.windows;
        let mut ticker = tokio::time::interval_at(self.start, period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let me = Arc::new(self);
        loop {
            let at = ticker.tick().await;
            if at >= end {
                return;
            }
            let elapsed = at.saturating_duration_since(me.start);
            let w = elapsed.as_nanos() / me.window.as_nanos().max(1);
            let w = u32::try_from(w).unwrap_or(u32::MAX).min(me.windows - 1);
            sent[w as usize].fetch_add(1, Ordering::SeqCst);
            let tx = tx.clone();
            let me = Arc::clone(&me);
            tokio::spawn(async move {
                let began = Instant::now();
                let r = &me.requests;
                let answer =
                    probe::fetch(&me.client, &r.method, &me.url, &r.headers, r.timeout).await;
                let shot = match answer {
                    Ok(a) => Shot {
                        ok: (200..300).contains(&a.status),
                        latency: a.latency,
                    },
                    // Refused, reset or timed out: an error; a timeout counts at its length.
                    Err(_) => Shot {
                        ok: false,
                        latency: began.elapsed().min(r.timeout),
                    },
                };
                let _ = tx.send((w, shot));
            });
        }
    }
}

struct AbortOnDrop(Option<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(h) = self.0.take() {
            h.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use deploy_action_lint::policy::{ErrorRate, LatencyLimit};

    fn analysis() -> Analysis {
        Analysis {
            count: None,
            interval: Duration::from_secs(10),
            failure_limit: 0,
            requests: Requests::default(),
            error_rate: Some(ErrorRate {
                max: 0.05,
                source: None,
            }),
            latency: vec![LatencyLimit {
                percentile: 95,
                max: Duration::from_millis(200),
            }],
            metrics: Vec::new(),
        }
    }

    fn shots(ok: usize, bad: usize, ms: u64) -> Vec<Shot> {
        let one = |good| Shot {
            ok: good,
            latency: Duration::from_millis(ms),
        };
        (0..ok)
            .map(|_| one(true))
            .chain((0..bad).map(|_| one(false)))
            .collect()
    }

    #[test]
    fn samples_fill_the_pause() {
        let mut a = analysis();
        assert_eq!(a.samples(Duration::from_secs(60)), 6);
        assert_eq!(a.samples(Duration::from_secs(1)), 1);
        a.count = Some(3);
        assert_eq!(a.samples(Duration::from_secs(60)), 3);
    }

    #[test]
    fn error_rate_and_latency_are_judged_per_sample() {
        let a = analysis();
        let good = judge(&a, 1, Some(&shots(99, 1, 20)), Vec::new());
        assert_eq!(good.verdict, Verdict::Pass, "{good:?}");
        assert_eq!(good.error_rate, Some(0.01));
        let bad = judge(&a, 1, Some(&shots(90, 10, 20)), Vec::new());
        assert_eq!(bad.verdict, Verdict::Fail);
        assert_eq!(bad.problems, ["error rate 10.0 % (10 of 100) > 5.0 %"]);
        let slow = judge(&a, 1, Some(&shots(100, 0, 1500)), Vec::new());
        assert_eq!(slow.verdict, Verdict::Fail);
        assert_eq!(slow.problems, ["p95 1.5s > 200ms"]);
        let empty = judge(&a, 1, Some(&[]), Vec::new());
        assert_eq!(
            empty.verdict,
            Verdict::Error,
            "nothing measured fails closed"
        );
    }

    #[test]
    fn requests_go_to_the_policy_url_or_the_new_version() {
        let mut r = Requests::default();
        assert_eq!(
            request_url(&r, Some("http://127.0.0.1:9/")).as_deref(),
            Ok("http://127.0.0.1:9/")
        );
        r.url = Some("https://prod.test/api".into());
        assert_eq!(
            request_url(&r, Some("http://127.0.0.1:9")).as_deref(),
            Ok("https://prod.test/api")
        );
        r.url = None;
        assert!(request_url(&r, None).is_err());
    }
}
