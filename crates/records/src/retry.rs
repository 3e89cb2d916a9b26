//! When to try a GitHub request again and how long to wait first. The decision is a pure function
//! of the answer (or the lack of one) so it can be tested without a server, and the waiting goes
//! through [`Sleeper`] so tests can record the waits instead of sitting through them.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use deploy_action_sys::backoff::Backoff;
use http::{HeaderMap, StatusCode};

/// How hard to try before giving up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Requests made at most for one operation step, the first included.
    pub max_attempts: u32,
    /// First back-off wait; doubled on each further attempt.
    pub base_delay: Duration,
    /// Longest single wait. A rate limit that asks for longer fails at once instead.
    pub max_delay: Duration,
    /// How long one request may take, from sending to the last byte of the answer.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// Waits between attempts. The default is [`TokioSleeper`]; tests pass one that records.
pub trait Sleeper: Send + Sync + fmt::Debug {
    /// Resolves after `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// Sleeps on the Tokio timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// What one attempt produced, as far as retrying is concerned.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Attempt<'a> {
    /// An answer arrived.
    Answer {
        status: StatusCode,
        headers: &'a HeaderMap,
    },
    /// The per-request timeout ran out.
    TimedOut,
    /// The connection could not be made or broke.
    ConnectionFailed,
}

/// Why an attempt is worth repeating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transient {
    /// 202 on deployment creation.
    Pending,
    /// 429, or 403 with rate-limit headers.
    RateLimited,
    /// 5xx.
    Server,
    /// Timeout or connection failure.
    Transport,
}

/// The verdict on one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttemptOutcome {
    /// Not retryable: hand the answer to the caller.
    Final,
    /// Retry after the wait.
    Retry(Transient, Duration),
    /// Retryable, but GitHub asks for a wait beyond [`RetryPolicy::max_delay`].
    WaitTooLong(Duration),
}

/// Whether an answer is one of GitHub's rate-limit answers.
pub(crate) fn is_rate_limited(status: StatusCode, headers: &HeaderMap) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || (status == StatusCode::FORBIDDEN
            && (headers.contains_key("retry-after")
                || header_u64(headers, "x-ratelimit-remaining") == Some(0)))
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// Exponential back-off for attempt `attempt` (1-based), capped at the policy's longest wait
/// (the one backoff, in deploy-action-sys).
fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    Backoff {
        attempts: policy.max_attempts,
        first_delay: policy.base_delay,
        max_delay: policy.max_delay,
    }
    .delay(attempt)
}

/// Decides whether attempt number `attempt` (1-based) should be repeated, and after how long.
/// `pending_is_transient` says that 202 means "not yet" (deployment creation) rather than success.
pub(crate) fn decide(
    policy: &RetryPolicy,
    attempt: u32,
    outcome: Attempt<'_>,
    pending_is_transient: bool,
    now: SystemTime,
) -> AttemptOutcome {
    let (kind, wait) = match outcome {
        Attempt::TimedOut | Attempt::ConnectionFailed => {
            (Transient::Transport, backoff(policy, attempt))
        }
        Attempt::Answer { status, headers } => {
            if status == StatusCode::ACCEPTED && pending_is_transient {
                (Transient::Pending, backoff(policy, attempt))
            } else if is_rate_limited(status, headers) {
                let asked = rate_limit_wait(headers, now);
                if let Some(wait) = asked.filter(|w| *w > policy.max_delay) {
                    return AttemptOutcome::WaitTooLong(wait);
                }
                (
                    Transient::RateLimited,
                    asked.unwrap_or_else(|| backoff(policy, attempt)),
                )
            } else if status.is_server_error() {
                (Transient::Server, backoff(policy, attempt))
            } else {
                return AttemptOutcome::Final;
            }
        }
    };
    if attempt >= policy.max_attempts {
        return AttemptOutcome::Final;
    }
    AttemptOutcome::Retry(kind, wait)
}

/// The wait a rate-limit answer asks for: `retry-after` seconds, else until `x-ratelimit-reset`
/// (epoch seconds) when no requests remain.
fn rate_limit_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(secs) = header_u64(headers, "retry-after") {
        return Some(Duration::from_secs(secs));
    }
    if header_u64(headers, "x-ratelimit-remaining") == Some(0) {
        let reset = header_u64(headers, "x-ratelimit-reset")?;
        let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
        // One second more, because the reset time is rounded down to whole seconds.
        return Some(Duration::from_secs(reset.saturating_sub(now) + 1));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            request_timeout: Duration::from_secs(1),
        }
    }

    fn answer(status: u16, headers: &HeaderMap) -> Attempt<'_> {
        Attempt::Answer {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT),
            headers,
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                *k,
                v.parse()
                    .unwrap_or_else(|_| http::HeaderValue::from_static("")),
            );
        }
        h
    }

    #[test]
    fn server_errors_back_off_exponentially_then_stop() {
        let h = HeaderMap::new();
        let now = SystemTime::now();
        let p = policy();
        assert_eq!(
            decide(&p, 1, answer(502, &h), false, now),
            AttemptOutcome::Retry(Transient::Server, Duration::from_millis(100))
        );
        assert_eq!(
            decide(&p, 2, answer(503, &h), false, now),
            AttemptOutcome::Retry(Transient::Server, Duration::from_millis(200))
        );
        assert_eq!(
            decide(&p, 3, answer(502, &h), false, now),
            AttemptOutcome::Final
        );
    }

    #[test]
    fn retry_after_is_honoured_and_bounded() {
        let now = SystemTime::now();
        let h = headers(&[("retry-after", "2")]);
        assert_eq!(
            decide(&policy(), 1, answer(429, &h), false, now),
            AttemptOutcome::Retry(Transient::RateLimited, Duration::from_secs(2))
        );
        let h = headers(&[("retry-after", "600")]);
        assert_eq!(
            decide(&policy(), 1, answer(403, &h), false, now),
            AttemptOutcome::WaitTooLong(Duration::from_secs(600))
        );
    }

    #[test]
    fn exhausted_primary_limit_waits_until_reset() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let h = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1003"),
        ]);
        assert_eq!(
            decide(&policy(), 1, answer(403, &h), false, now),
            AttemptOutcome::Retry(Transient::RateLimited, Duration::from_secs(4))
        );
    }

    #[test]
    fn plain_403_and_4xx_are_final() {
        let h = headers(&[("x-ratelimit-remaining", "4999")]);
        let now = SystemTime::now();
        assert_eq!(
            decide(&policy(), 1, answer(403, &h), false, now),
            AttemptOutcome::Final
        );
        assert_eq!(
            decide(&policy(), 1, answer(404, &h), false, now),
            AttemptOutcome::Final
        );
        assert_eq!(
            decide(&policy(), 1, answer(409, &h), false, now),
            AttemptOutcome::Final
        );
    }

    #[test]
    fn accepted_is_retried_only_where_it_means_pending() {
        let h = HeaderMap::new();
        let now = SystemTime::now();
        assert_eq!(
            decide(&policy(), 1, answer(202, &h), false, now),
            AttemptOutcome::Final
        );
        assert!(matches!(
            decide(&policy(), 1, answer(202, &h), true, now),
            AttemptOutcome::Retry(Transient::Pending, _)
        ));
    }

    #[test]
    fn transport_failures_are_retried_and_backoff_is_capped() {
        let p = RetryPolicy {
            max_attempts: 40,
            ..policy()
        };
        let now = SystemTime::now();
        assert_eq!(
            decide(&p, 30, Attempt::TimedOut, false, now),
            AttemptOutcome::Retry(Transient::Transport, Duration::from_secs(5))
        );
        assert!(matches!(
            decide(&p, 1, Attempt::ConnectionFailed, false, now),
            AttemptOutcome::Retry(Transient::Transport, _)
        ));
    }
}
