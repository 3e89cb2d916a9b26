//! The progressive part of a generated pipeline: traffic steps and the thresholds that roll a
//! promotion back, as flags or `gen-workflow:` keys, written into the promotion policy
//! (`rollout:` and `analysis:`), and the targets whose templates move the traffic.
//!
//! ```yaml
//! gen-workflow:
//!   traffic-steps: 25 50 100        # percent of production's traffic on the new version
//!   step-pause: 1m                  # watched after each step but the last
//!   max-error-rate: 5%              # roll back above this
//!   max-latency: p95=1s             # roll back above this (p50, p95, p99; comma-separated)
//!   staging-max-latency: p95=200ms  # a staging smoke gate before promoting
//! ```

use super::GenerateError;
use super::options::Target;

/// Steps used when a threshold is given without `traffic-steps`.
pub const DEFAULT_STEPS: &[u8] = &[25, 50, 100];
/// Pause after each step unless configured.
pub const DEFAULT_PAUSE: &str = "1m";
/// Error rate that rolls back unless configured.
pub const DEFAULT_MAX_ERROR_RATE: &str = "5%";
/// Latency that rolls back unless configured.
pub const DEFAULT_MAX_LATENCY: &str = "p95=1s";

/// Progressive settings from one source; `None` means "this source does not say".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgressiveSettings {
    /// `25 50 100` or `25,50,100`.
    pub traffic_steps: Option<String>,
    /// A duration.
    pub step_pause: Option<String>,
    /// `5%` or `0.05`.
    pub max_error_rate: Option<String>,
    /// `p95=1s,p99=2s`.
    pub max_latency: Option<String>,
    /// `p95=200ms`.
    pub staging_max_latency: Option<String>,
}

/// A latency limit: percentile and duration, as written (`p95`, `1s`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Latency {
    /// `p50`, `p95` or `p99`.
    pub percentile: String,
    /// A duration such as `1s`.
    pub max: String,
}

/// The progressive rollout of a pipeline, validated.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Progressive {
    /// Weights, rising, the last 100.
    pub steps: Vec<u8>,
    /// Pause after each step but the last.
    pub pause: String,
    /// Largest error rate, as written (`5%`).
    pub max_error_rate: String,
    /// Largest latencies.
    pub max_latency: Vec<Latency>,
}

/// The keys this module reads in `gen-workflow:`.
pub const KEYS: &[&str] = &[
    "traffic-steps",
    "step-pause",
    "max-error-rate",
    "max-latency",
    "staging-max-latency",
];

impl ProgressiveSettings {
    /// Takes `key: value` from the config file when it is one of [`KEYS`]; `false` otherwise.
    pub fn set(&mut self, key: &str, value: String) -> bool {
        let slot = match key {
            "traffic-steps" => &mut self.traffic_steps,
            "step-pause" => &mut self.step_pause,
            "max-error-rate" => &mut self.max_error_rate,
            "max-latency" => &mut self.max_latency,
            "staging-max-latency" => &mut self.staging_max_latency,
            _ => return false,
        };
        *slot = Some(value);
        true
    }

    /// Fills every field this source leaves open from `lower`.
    pub fn layer(self, lower: Self) -> Self {
        Self {
            traffic_steps: self.traffic_steps.or(lower.traffic_steps),
            step_pause: self.step_pause.or(lower.step_pause),
            max_error_rate: self.max_error_rate.or(lower.max_error_rate),
            max_latency: self.max_latency.or(lower.max_latency),
            staging_max_latency: self.staging_max_latency.or(lower.staging_max_latency),
        }
    }

    /// Validates: `None` when no step or threshold was asked for. `target`, the number of
    /// services decide whether the pipeline can move traffic step by step.
    pub fn resolve(
        &self,
        target: Target,
        services: usize,
    ) -> Result<(Option<Progressive>, Option<Latency>), GenerateError> {
        let staging = self
            .staging_max_latency
            .as_deref()
            .map(|t| latencies("staging-max-latency", t))
            .transpose()?
            .and_then(|l| l.into_iter().next());
        let asked = self.traffic_steps.is_some()
            || self.max_error_rate.is_some()
            || self.max_latency.is_some()
            || self.step_pause.is_some();
        if !asked {
            return Ok((None, staging));
        }
        if !matches!(
            target,
            Target::Docker | Target::ContainerApps | Target::AppService | Target::Kubernetes
        ) {
            return Err(GenerateError::BadValue {
                what: "traffic-steps".into(),
                value: target.to_string(),
                fix: "progressive rollouts are generated for the docker, container-apps, \
                      app-service and kubernetes targets; for another target, promote with \
                      --traffic-command (docs/promotion.md)"
                    .into(),
            });
        }
        if services != 1 {
            return Err(GenerateError::BadValue {
                what: "traffic-steps".into(),
                value: format!("{services} services"),
                fix: "a generated progressive rollout moves one service's traffic; generate one \
                      pipeline per service"
                    .into(),
            });
        }
        let steps = match &self.traffic_steps {
            Some(text) => weights(text)?,
            None => DEFAULT_STEPS.to_vec(),
        };
        let pause = self
            .step_pause
            .clone()
            .unwrap_or_else(|| DEFAULT_PAUSE.into());
        if deploy_action_lint::policy::parse_duration(&pause).is_none_or(|d| d.is_zero()) {
            return Err(GenerateError::BadValue {
                what: "step-pause".into(),
                value: pause,
                fix: "use a duration such as 1m or 30s (the analysis runs during it)".into(),
            });
        }
        let max_error_rate = self
            .max_error_rate
            .clone()
            .unwrap_or_else(|| DEFAULT_MAX_ERROR_RATE.into());
        let rate = match max_error_rate.strip_suffix('%') {
            Some(p) => p.trim().parse::<f64>().ok().map(|p| p / 100.0),
            None => max_error_rate.trim().parse::<f64>().ok(),
        };
        if !rate.is_some_and(|r| (0.0..=1.0).contains(&r)) {
            return Err(GenerateError::BadValue {
                what: "max-error-rate".into(),
                value: max_error_rate,
                fix: "use a percentage such as 5% or a fraction such as 0.05".into(),
            });
        }
        let max_latency = latencies(
            "max-latency",
            self.max_latency.as_deref().unwrap_or(DEFAULT_MAX_LATENCY),
        )?;
        Ok((
            Some(Progressive {
                steps,
                pause,
                max_error_rate,
                max_latency,
            }),
            staging,
        ))
    }
}

/// `25 50 100` or `25,50,100`: rising percentages ending at 100.
fn weights(text: &str) -> Result<Vec<u8>, GenerateError> {
    let bad = || GenerateError::BadValue {
        what: "traffic-steps".into(),
        value: text.to_owned(),
        fix: "give rising percentages ending at 100, e.g. \"25 50 100\"".into(),
    };
    let mut out: Vec<u8> = Vec::new();
    for part in text.split([',', ' ']).filter(|p| !p.trim().is_empty()) {
        let w: u8 = part
            .trim()
            .trim_end_matches('%')
            .parse()
            .map_err(|_| bad())?;
        if w == 0 || w > 100 || out.last().is_some_and(|l| *l >= w) {
            return Err(bad());
        }
        out.push(w);
    }
    if out.last() != Some(&100) {
        return Err(bad());
    }
    Ok(out)
}

/// `p95=1s,p99=2s`.
fn latencies(what: &str, text: &str) -> Result<Vec<Latency>, GenerateError> {
    let bad = || GenerateError::BadValue {
        what: what.into(),
        value: text.to_owned(),
        fix: "use PERCENTILE=DURATION, e.g. p95=1s (p50, p95 or p99; several comma-separated)"
            .into(),
    };
    let mut out = Vec::new();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let (p, d) = part.trim().split_once('=').ok_or_else(bad)?;
        let p = p.trim();
        if !matches!(p, "p50" | "p95" | "p99")
            || deploy_action_lint::policy::parse_duration(d.trim()).is_none()
        {
            return Err(bad());
        }
        out.push(Latency {
            percentile: p.to_owned(),
            max: d.trim().to_owned(),
        });
    }
    if out.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> ProgressiveSettings {
        let mut s = ProgressiveSettings::default();
        for (k, v) in pairs {
            assert!(s.set(k, (*v).to_owned()));
        }
        s
    }

    #[test]
    fn nothing_asked_is_all_at_once() {
        let (p, staging) = ProgressiveSettings::default()
            .resolve(Target::Kubernetes, 1)
            .expect("ok");
        assert!(p.is_none() && staging.is_none());
    }

    #[test]
    fn steps_and_thresholds_with_defaults() {
        let (p, staging) = settings(&[
            ("max-error-rate", "5%"),
            ("max-latency", "p95=1s"),
            ("staging-max-latency", "p95=200ms"),
        ])
        .resolve(Target::AppService, 1)
        .expect("ok");
        let p = p.expect("progressive");
        assert_eq!(p.steps, [25, 50, 100]);
        assert_eq!(p.pause, "1m");
        assert_eq!(p.max_latency[0].percentile, "p95");
        assert_eq!(staging.expect("staging").max, "200ms");
        let (p, _) = settings(&[("traffic-steps", "10,100"), ("step-pause", "30s")])
            .resolve(Target::Docker, 1)
            .expect("ok");
        assert_eq!(p.expect("p").steps, [10, 100]);
    }

    #[test]
    fn bad_values_are_refused() {
        for (k, v) in [
            ("traffic-steps", "50 25 100"),
            ("traffic-steps", "25 50"),
            ("traffic-steps", "0 100"),
            ("step-pause", "0s"),
            ("max-error-rate", "500%"),
            ("max-latency", "p90=1s"),
        ] {
            assert!(
                settings(&[(k, v)]).resolve(Target::Docker, 1).is_err(),
                "{k}: {v}"
            );
        }
        let s = settings(&[("traffic-steps", "25 100")]);
        assert!(s.resolve(Target::Helm, 1).is_err());
        assert!(s.resolve(Target::Docker, 2).is_err());
    }
}
