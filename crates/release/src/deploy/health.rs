//! Waiting for a service to answer `2xx` on an HTTP URL.
//!
//! The request goes through the same HTTP client as the promotion gates' probes (reqwest with
//! rustls), so `https://` staging and production URLs work as well as a local `http://` port.

use std::time::Duration;

use crate::probe;

/// Where and how long to wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    /// An `http://host:port/path` URL.
    pub url: String,
    /// How long to keep trying.
    pub timeout: Duration,
    /// Pause between attempts.
    pub interval: Duration,
}

impl HealthCheck {
    /// A check of `url` for at most `timeout`, trying every 250 ms.
    pub fn new(url: impl Into<String>, timeout: Duration) -> Self {
        Self {
            url: url.into(),
            timeout,
            interval: Duration::from_millis(250),
        }
    }
}

/// Tries `check.url` until it answers `2xx` or the timeout passes. `Ok(())` when healthy,
/// `Err(last problem)` otherwise, e.g. `answered HTTP 404` or `connection refused`.
/// `http://` and `https://` (rustls with the system's roots) are both fine.
pub async fn wait_healthy(check: &HealthCheck) -> Result<(), String> {
    let client = probe::client()?;
    let deadline = tokio::time::Instant::now() + check.timeout;
    loop {
        let attempt_left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let per_attempt = attempt_left
            .min(Duration::from_secs(5))
            .max(Duration::from_millis(100));
        let problem = match probe::fetch(&client, "GET", &check.url, &[], per_attempt).await {
            Ok(answer) if (200..300).contains(&answer.status) => return Ok(()),
            Ok(answer) => format!("{} answered HTTP {}", check.url, answer.status),
            Err(e) => e,
        };
        if tokio::time::Instant::now() + check.interval >= deadline {
            return Err(problem);
        }
        tokio::time::sleep(check.interval).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unreachable_https_url_is_a_reason_not_a_refusal_of_the_scheme() {
        let check = HealthCheck {
            url: "https://127.0.0.1:9/health".into(),
            timeout: Duration::from_millis(300),
            interval: Duration::from_millis(50),
        };
        let err = wait_healthy(&check).await.expect_err("nothing listens");
        assert!(err.contains("https://127.0.0.1:9/health"), "{err}");
        assert!(!err.contains("only http://"), "{err}");
    }
}
