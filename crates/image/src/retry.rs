//! Bounded retries with exponential backoff for transient registry failures.

use std::future::Future;
use std::time::Duration;

/// How often and how patiently to retry (the one backoff, in deploy-action-sys).
pub use deploy_action_sys::backoff::Backoff;

/// Runs `op` until it succeeds, fails with an error `transient` rejects, or the attempts are
/// used up; `on_retry(error, attempt, wait)` is told before each wait.
pub async fn retry<T, E, Op, Fut>(
    policy: &Backoff,
    mut op: Op,
    transient: impl Fn(&E) -> bool,
    mut on_retry: impl FnMut(&E, u32, Duration),
) -> Result<T, E>
where
    Op: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut attempt = 1;
    loop {
        match op().await {
            Ok(value) => return Ok(value),
            Err(err) if attempt < policy.attempts.max(1) && transient(&err) => {
                let wait = policy.delay(attempt);
                on_retry(&err, attempt, wait);
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            Err(err) => return Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instant(attempts: u32) -> Backoff {
        Backoff {
            attempts,
            first_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
        }
    }

    fn run<T>(f: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime")
            .block_on(f)
    }

    #[test]
    fn retries_transient_errors_until_success_within_the_bound() {
        let mut calls = 0;
        let mut retries = Vec::new();
        let result: Result<u32, &str> = run(retry(
            &instant(4),
            || {
                calls += 1;
                let n = calls;
                async move { if n < 3 { Err("503") } else { Ok(n) } }
            },
            |e| *e == "503",
            |_, attempt, _| retries.push(attempt),
        ));
        assert_eq!(result, Ok(3));
        assert_eq!(retries, vec![1, 2]);
    }

    #[test]
    fn gives_up_after_the_last_attempt_and_at_once_on_permanent_errors() {
        let mut calls = 0;
        let result: Result<(), &str> = run(retry(
            &instant(3),
            || {
                calls += 1;
                async { Err("503") }
            },
            |_| true,
            |_, _, _| {},
        ));
        assert_eq!((result, calls), (Err("503"), 3));
        let mut calls = 0;
        let result: Result<(), &str> = run(retry(
            &instant(3),
            || {
                calls += 1;
                async { Err("401") }
            },
            |e| *e == "503",
            |_, _, _| {},
        ));
        assert_eq!((result, calls), (Err("401"), 1));
    }

    #[test]
    fn delays_double_up_to_the_cap() {
        let b = Backoff::default();
        let secs: Vec<f64> = (1..=5).map(|n| b.delay(n).as_secs_f64()).collect();
        assert_eq!(secs, vec![0.5, 1.0, 2.0, 4.0, 8.0]);
        assert_eq!(b.delay(30), b.max_delay);
    }
}
