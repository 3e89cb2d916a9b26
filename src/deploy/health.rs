//! Waiting for a service to answer `2xx` on an HTTP URL.
//!
//! A deliberately small HTTP/1.1 client over a TCP socket: health endpoints are plain `http://`
//! on the host the deploy runs on, and this keeps the check free of TLS and proxies.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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
/// `Err(last problem)` otherwise, e.g. `HTTP 404` or `connection refused`.
pub async fn wait_healthy(check: &HealthCheck) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + check.timeout;
    loop {
        let attempt_left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let per_attempt = attempt_left
            .min(Duration::from_secs(5))
            .max(Duration::from_millis(100));
        let problem = match tokio::time::timeout(per_attempt, probe(&check.url)).await {
            Ok(Ok(status)) if (200..300).contains(&status) => return Ok(()),
            Ok(Ok(status)) => format!("{} answered HTTP {status}", check.url),
            Ok(Err(e)) => format!("{}: {e}", check.url),
            Err(_) => format!("{} did not answer in time", check.url),
        };
        if tokio::time::Instant::now() + check.interval >= deadline {
            return Err(problem);
        }
        tokio::time::sleep(check.interval).await;
    }
}

/// One `GET`, returning the status code.
async fn probe(url: &str) -> Result<u16, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| "only http:// health URLs are supported".to_owned())?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let mut stream = TcpStream::connect(&addr).await.map_err(|e| e.to_string())?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: deploy-action\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut head = Vec::new();
    let mut buf = [0u8; 512];
    while !head.windows(2).any(|w| w == b"\r\n") {
        let n = stream.read(&mut buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    parse_status(&head).ok_or_else(|| "the answer is not HTTP".to_owned())
}

/// The status code of an HTTP status line.
fn parse_status(head: &[u8]) -> Option<u16> {
    let line = head.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split_whitespace();
    parts.next().filter(|v| v.starts_with("HTTP/"))?;
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_are_parsed() {
        assert_eq!(parse_status(b"HTTP/1.1 200 OK\r\n"), Some(200));
        assert_eq!(parse_status(b"HTTP/1.0 404 Not Found\r\nX: y"), Some(404));
        assert_eq!(parse_status(b"garbage"), None);
    }

    #[tokio::test]
    async fn https_is_refused_with_a_reason() {
        let check = HealthCheck {
            url: "https://example.invalid/".into(),
            timeout: Duration::from_millis(10),
            interval: Duration::from_millis(1),
        };
        let err = wait_healthy(&check).await.expect_err("unsupported");
        assert!(err.contains("only http://"), "{err}");
    }
}
