//! The walk through a progressive rollout's steps: each step moves a share of the traffic to
//! the new version, then the analysis watches the step's pause. The walk stops at the first
//! step that fails, at a traffic change that fails, or at a signal; putting the traffic back is
//! the caller's (it knows the target).

use std::time::{Duration, Instant};

use serde::Serialize;

use super::analysis::{Sample, analyse};
use super::eval::Verdict;
use super::policy::{Analysis, TrafficStep};
use crate::deploy::Traffic;

/// One step as it went, for the decision record and the step summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepRecord {
    /// 1-based number of the step.
    pub step: usize,
    /// Percent of the traffic on the new version.
    pub weight: u8,
    /// The step's pause in milliseconds.
    pub pause_ms: u64,
    /// The analysis's samples (none without analysis or pause).
    pub samples: Vec<Sample>,
    /// `pass`; `fail` (a threshold did not hold); `error` (the traffic did not move, or the
    /// step was interrupted).
    pub verdict: Verdict,
    /// Why the step did not pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// How long the step took, in milliseconds.
    pub duration_ms: u64,
}

/// How the walk ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkEnd {
    /// Every step passed; the new version has all the traffic.
    Completed,
    /// A step's analysis failed: `step 1 (25 %): sample 1/3: error rate 10.0 % > 5.0 % …`.
    Failed(String),
    /// The target did not take a traffic change (or the analysis could not start).
    Broken(String),
    /// A signal arrived (its name).
    Interrupted(String),
}

/// Walks `steps` with `traffic`, analysing each pause with `analysis` (requests go to
/// `own_url`, the new version's own address, when the policy names none). `interrupt` makes a
/// future that resolves when a signal arrives. Every step is pushed to `records` as it ends.
pub async fn walk<T, I, F>(
    steps: &[TrafficStep],
    analysis: Option<&Analysis>,
    traffic: &mut T,
    own_url: Option<&str>,
    interrupt: I,
    progress: &(dyn Fn(&str) + Sync),
    records: &mut Vec<StepRecord>,
) -> WalkEnd
where
    T: Traffic,
    I: Fn() -> F,
    F: Future<Output = String>,
{
    let total = steps.len();
    for (i, step) in steps.iter().enumerate() {
        let began = Instant::now();
        let label = format!("step {}/{total} ({} %)", i + 1, step.weight);
        let mut record = StepRecord {
            step: i + 1,
            weight: step.weight,
            pause_ms: millis(step.pause),
            samples: Vec::new(),
            verdict: Verdict::Pass,
            reason: None,
            duration_ms: 0,
        };
        progress(&format!(
            "{label}: sending {} % of the traffic to the new version",
            step.weight
        ));
        let shifted = tokio::select! {
            r = traffic.shift(step.weight) => r,
            signal = interrupt() => {
                return stop(records, record, began, WalkEnd::Interrupted(signal));
            }
        };
        if let Err(reason) = shifted {
            let why = format!("{label}: the traffic did not move: {reason}");
            return stop(records, record, began, WalkEnd::Broken(why));
        }
        if !step.pause.is_zero() {
            let watched = async {
                match analysis {
                    Some(a) => analyse(a, step.pause, own_url, &label, progress).await,
                    None => {
                        progress(&format!(
                            "{label}: pausing {} (no analysis)",
                            crate::probe::human(step.pause)
                        ));
                        tokio::time::sleep(step.pause).await;
                        Ok(super::analysis::StepAnalysis {
                            samples: Vec::new(),
                            failed: None,
                        })
                    }
                }
            };
            let analysed = tokio::select! {
                r = watched => r,
                signal = interrupt() => {
                    return stop(records, record, began, WalkEnd::Interrupted(signal));
                }
            };
            match analysed {
                Ok(a) => {
                    record.samples = a.samples;
                    if let Some(failed) = a.failed {
                        record.verdict = Verdict::Fail;
                        let why = format!("{label}: {failed}");
                        return stop(records, record, began, WalkEnd::Failed(why));
                    }
                }
                Err(reason) => {
                    let why = format!("{label}: the analysis could not run: {reason}");
                    return stop(records, record, began, WalkEnd::Broken(why));
                }
            }
        }
        record.duration_ms = millis(began.elapsed());
        progress(&format!("{label}: pass"));
        records.push(record);
    }
    WalkEnd::Completed
}

/// Ends the walk at `record`'s step.
fn stop(
    records: &mut Vec<StepRecord>,
    mut record: StepRecord,
    began: Instant,
    end: WalkEnd,
) -> WalkEnd {
    let reason = match &end {
        WalkEnd::Completed => None,
        WalkEnd::Failed(why) | WalkEnd::Broken(why) => Some(why.clone()),
        WalkEnd::Interrupted(signal) => Some(format!("interrupted by {signal}")),
    };
    if record.verdict == Verdict::Pass {
        record.verdict = Verdict::Error;
    }
    record.reason = reason;
    record.duration_ms = millis(began.elapsed());
    records.push(record);
    end
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Recorder(Vec<u8>, Option<u8>);

    impl Traffic for Recorder {
        async fn shift(&mut self, weight: u8) -> Result<(), String> {
            self.0.push(weight);
            if Some(weight) == self.1 {
                return Err("refused".into());
            }
            Ok(())
        }
    }

    fn steps(weights: &[u8]) -> Vec<TrafficStep> {
        weights
            .iter()
            .map(|w| TrafficStep {
                weight: *w,
                pause: Duration::from_millis(5),
            })
            .collect()
    }

    #[tokio::test]
    async fn every_step_moves_the_traffic_in_order() {
        let mut t = Recorder(Vec::new(), None);
        let mut records = Vec::new();
        let end = walk(
            &steps(&[25, 50, 100]),
            None,
            &mut t,
            None,
            std::future::pending::<String>,
            &|_| {},
            &mut records,
        )
        .await;
        assert_eq!(end, WalkEnd::Completed);
        assert_eq!(t.0, [25, 50, 100]);
        assert!(records.iter().all(|r| r.verdict == Verdict::Pass));
    }

    #[tokio::test]
    async fn a_refused_change_stops_the_walk() {
        let mut t = Recorder(Vec::new(), Some(50));
        let mut records = Vec::new();
        let end = walk(
            &steps(&[25, 50, 100]),
            None,
            &mut t,
            None,
            std::future::pending::<String>,
            &|_| {},
            &mut records,
        )
        .await;
        assert!(
            matches!(end, WalkEnd::Broken(ref w) if w.contains("step 2/3 (50 %)")),
            "{end:?}"
        );
        assert_eq!(t.0, [25, 50]);
        assert_eq!(records[1].verdict, Verdict::Error);
    }

    #[tokio::test]
    async fn a_signal_stops_the_walk() {
        let mut t = Recorder(Vec::new(), None);
        let mut records = Vec::new();
        let end = walk(
            &steps(&[25, 100]),
            None,
            &mut t,
            None,
            || async { "SIGTERM".to_owned() },
            &|_| {},
            &mut records,
        )
        .await;
        assert_eq!(end, WalkEnd::Interrupted("SIGTERM".into()));
        assert_eq!(records.len(), 1);
    }
}
