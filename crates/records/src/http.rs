//! One GitHub REST call with deploy-action's semantics: a per-request timeout, bounded retries
//! for the answers that deserve them, and every failure turned into a [`GithubError`] that says
//! what permission or fix is needed. octocrab carries the bytes; this layer owns the policy.

use std::sync::Arc;
use std::time::SystemTime;

use http::{HeaderMap, Method, StatusCode};
use octocrab::Octocrab;
use serde_json::Value;
use tokio::sync::OnceCell;

use super::error::GithubError;
use super::retry::{self, Attempt, AttemptOutcome, RetryPolicy, Sleeper};
use deploy_action_sys::secret::Secret;

/// What an operation is, for error messages and retry decisions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Op {
    /// Verb phrase, e.g. `create a deployment`.
    pub action: &'static str,
    /// Permission GITHUB_TOKEN needs, e.g. `deployments: write`.
    pub permission: &'static str,
    /// 202 means "not yet" and is retried.
    pub pending_is_transient: bool,
}

/// A final answer with a 2xx status.
#[derive(Debug)]
pub(crate) struct Reply {
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    /// The body as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self, op: &Op) -> Result<T, GithubError> {
        serde_json::from_str(&self.body).map_err(|e| GithubError::BadResponse {
            action: op.action,
            reason: e.to_string(),
        })
    }
}

enum Failure {
    TimedOut,
    Connection(String),
}

/// A GitHub REST client for one repository.
pub(crate) struct Api {
    client: OnceCell<Octocrab>,
    base_uri: http::Uri,
    api_url: String,
    token: Secret<String>,
    /// `owner/name`, for messages.
    pub repo: String,
    policy: RetryPolicy,
    sleeper: Arc<dyn Sleeper>,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("api_url", &self.api_url)
            .field("repo", &self.repo)
            .field("token", &self.token)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Api {
    pub fn new(
        api_url: &str,
        repo: String,
        token: Secret<String>,
        policy: RetryPolicy,
        sleeper: Arc<dyn Sleeper>,
    ) -> Result<Self, GithubError> {
        let bad = |reason: String| GithubError::BadConfig {
            what: "GitHub API URL",
            value: api_url.to_owned(),
            reason,
            fix: "pass an http(s) URL such as https://api.github.com (GITHUB_API_URL)",
        };
        let base_uri: http::Uri = api_url
            .parse()
            .map_err(|e: http::uri::InvalidUri| bad(e.to_string()))?;
        match base_uri.scheme_str() {
            Some("http" | "https") if base_uri.authority().is_some() => {}
            _ => return Err(bad("it needs an http or https scheme and a host".into())),
        }
        Ok(Self {
            client: OnceCell::new(),
            base_uri,
            api_url: api_url.to_owned(),
            token,
            repo,
            policy,
            sleeper,
        })
    }

    /// octocrab's client, built on first use: it spawns a worker on the Tokio runtime that is
    /// current then, so it cannot be built before one runs.
    async fn client(&self) -> Result<&Octocrab, GithubError> {
        self.client
            .get_or_try_init(|| async {
                Octocrab::builder()
                    .base_uri(self.base_uri.clone())
                    .map_err(|e| GithubError::BadConfig {
                        what: "GitHub API URL",
                        value: self.api_url.clone(),
                        reason: first_line(&e.to_string()),
                        fix: "pass an http(s) URL such as https://api.github.com (GITHUB_API_URL)",
                    })?
                    .personal_token(self.token.expose().clone())
                    .set_connect_timeout(Some(self.policy.request_timeout))
                    .set_read_timeout(Some(self.policy.request_timeout))
                    .build()
                    .map_err(|e| GithubError::BadConfig {
                        what: "GitHub API URL",
                        value: self.api_url.clone(),
                        reason: first_line(&e.to_string()),
                        fix: "check the URL and the machine's TLS certificates",
                    })
            })
            .await
    }

    /// One request, bounded by the per-request timeout.
    async fn once(
        &self,
        client: &Octocrab,
        method: &Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, HeaderMap, String), Failure> {
        let exchange = async {
            let builder = http::Request::builder()
                .method(method.clone())
                .uri(path)
                .header(http::header::ACCEPT, "application/vnd.github+json");
            let request = client
                .build_request(builder, body)
                .map_err(|e| Failure::Connection(error_chain(&e)))?;
            let response = client
                .execute(request)
                .await
                .map_err(|e| Failure::Connection(error_chain(&e)))?;
            let status = response.status();
            let headers = response.headers().clone();
            let text = client
                .body_to_string(response)
                .await
                .map_err(|e| Failure::Connection(error_chain(&e)))?;
            Ok((status, headers, text))
        };
        match tokio::time::timeout(self.policy.request_timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(Failure::TimedOut),
        }
    }

    /// Sends a request, retrying what deserves it, and returns the final 2xx answer or the error
    /// that explains the final non-2xx one.
    pub async fn call(
        &self,
        op: &Op,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, GithubError> {
        let client = self.client().await?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.once(client, &method, path, body).await;
            let outcome = match &result {
                Ok((status, headers, _)) => Attempt::Answer {
                    status: *status,
                    headers,
                },
                Err(Failure::TimedOut) => Attempt::TimedOut,
                Err(Failure::Connection(_)) => Attempt::ConnectionFailed,
            };
            let verdict = retry::decide(
                &self.policy,
                attempt,
                outcome,
                op.pending_is_transient,
                SystemTime::now(),
            );
            match verdict {
                AttemptOutcome::Retry(_, wait) => {
                    self.sleeper.sleep(wait).await;
                    continue;
                }
                AttemptOutcome::WaitTooLong(wait) => {
                    return Err(GithubError::RateLimitWaitTooLong {
                        action: op.action,
                        wait_secs: wait.as_secs(),
                        max_secs: self.policy.max_delay.as_secs(),
                    });
                }
                AttemptOutcome::Final => {}
            }
            return match result {
                Ok((status, headers, text)) => self.finish(op, attempt, status, headers, text),
                Err(Failure::TimedOut) => Err(GithubError::Timeout {
                    action: op.action,
                    timeout_secs: self.policy.request_timeout.as_secs(),
                    attempts: attempt,
                }),
                Err(Failure::Connection(reason)) => Err(GithubError::Connection {
                    action: op.action,
                    api_url: self.api_url.clone(),
                    reason,
                    attempts: attempt,
                }),
            };
        }
    }

    /// Maps a final answer to a reply or an error.
    fn finish(
        &self,
        op: &Op,
        attempts: u32,
        status: StatusCode,
        headers: HeaderMap,
        body: String,
    ) -> Result<Reply, GithubError> {
        if status == StatusCode::ACCEPTED && op.pending_is_transient {
            return Err(GithubError::StillPending { attempts });
        }
        if status.is_success() {
            return Ok(Reply { headers, body });
        }
        let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let message = github_message(&json, status);
        Err(match status.as_u16() {
            401 => GithubError::Unauthorized { action: op.action },
            403 | 429 if retry::is_rate_limited(status, &headers) => GithubError::RateLimited {
                action: op.action,
                attempts,
            },
            403 => GithubError::Forbidden {
                action: op.action,
                repo: self.repo.clone(),
                permission: op.permission,
            },
            404 => GithubError::NotFound {
                action: op.action,
                repo: self.repo.clone(),
                permission: op.permission,
            },
            409 => {
                let contexts = failing_contexts(&json);
                if contexts.is_empty() {
                    GithubError::Conflict { message }
                } else {
                    GithubError::ChecksFailed { contexts }
                }
            }
            422 => GithubError::Invalid {
                action: op.action,
                message: validation_details(&json, message),
            },
            500..=599 => GithubError::ServerError {
                action: op.action,
                status: status.as_u16(),
                attempts,
            },
            other => GithubError::Unexpected {
                action: op.action,
                status: other,
                message,
            },
        })
    }

    /// One page of a list endpoint and the path of the next page, if the `Link` header has one.
    pub async fn page(
        &self,
        op: &Op,
        path: &str,
    ) -> Result<(Vec<Value>, Option<String>), GithubError> {
        let reply = self.call(op, Method::GET, path, None).await?;
        let items: Vec<Value> = reply.json(op)?;
        Ok((items, next_link(&reply.headers)))
    }
}

/// The one-line message from a GitHub error body.
fn github_message(json: &Value, status: StatusCode) -> String {
    json.get("message")
        .and_then(Value::as_str)
        .map(first_line)
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("no message").to_owned())
}

/// GitHub's 422 message with the field errors it lists.
fn validation_details(json: &Value, message: String) -> String {
    let details: Vec<String> = json
        .get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| match e {
            Value::String(s) => first_line(s),
            _ => {
                let field = e.get("field").and_then(Value::as_str).unwrap_or("?");
                let text = e
                    .get("message")
                    .or_else(|| e.get("code"))
                    .and_then(Value::as_str)
                    .unwrap_or("invalid");
                format!("{field}: {}", first_line(text))
            }
        })
        .collect();
    if details.is_empty() {
        message
    } else {
        format!("{message} ({})", details.join("; "))
    }
}

/// The contexts of a 409 body that are not `success`, as `name (state)`.
///
/// GitHub answers `{"errors":[{"contexts":[{"context":"ci","state":"failure"}], ...}]}`.
fn failing_contexts(json: &Value) -> Vec<String> {
    json.get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("contexts").and_then(Value::as_array))
        .flatten()
        .filter_map(|c| {
            let name = c.get("context").and_then(Value::as_str)?;
            let state = c.get("state").and_then(Value::as_str).unwrap_or("missing");
            (state != "success").then(|| format!("{name} ({state})"))
        })
        .collect()
}

/// The path and query of the `rel="next"` link. Only the path is kept so that the request goes
/// to the configured host with the token, never to a host named by the answer.
pub(crate) fn next_link(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(http::header::LINK)?.to_str().ok()?;
    value.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| matches!(p.trim(), "rel=\"next\"" | "rel=next"));
        if !is_next {
            return None;
        }
        let target = target.trim().trim_start_matches('<').trim_end_matches('>');
        let uri: http::Uri = target.parse().ok()?;
        uri.path_and_query().map(|pq| pq.as_str().to_owned())
    })
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    let mut out: String = line.chars().take(300).collect();
    if line.chars().count() > 300 {
        out.push('…');
    }
    out
}

/// An error and its sources on one line, each cut to its first line (octocrab appends
/// backtraces on later lines).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = current {
        let line = first_line(&e.to_string());
        if !line.is_empty() && !parts.iter().any(|p| p.contains(&line)) {
            parts.push(line);
        }
        current = e.source();
    }
    parts.join(": ")
}

/// Percent-encodes a path segment or query value (everything but RFC 3986 unreserved bytes).
pub(crate) fn encode(component: &str) -> String {
    let mut out = String::with_capacity(component.len());
    for b in component.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_keeps_only_path_and_query() {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::LINK,
            "<https://api.github.com/repos/o/r/deployments?page=2&per_page=100>; rel=\"next\", \
             <https://api.github.com/repos/o/r/deployments?page=3&per_page=100>; rel=\"last\""
                .parse()
                .expect("header value"),
        );
        assert_eq!(
            next_link(&h).as_deref(),
            Some("/repos/o/r/deployments?page=2&per_page=100")
        );
        h.insert(
            http::header::LINK,
            "<https://x/a?page=1>; rel=\"prev\""
                .parse()
                .expect("header value"),
        );
        assert_eq!(next_link(&h), None);
    }

    #[test]
    fn failing_contexts_skip_green_ones() {
        let body: Value = serde_json::json!({
            "message": "Conflict: Commit status checks failed for main.",
            "errors": [{"contexts": [
                {"context": "ci/build", "state": "success"},
                {"context": "security/scan", "state": "failure"},
                {"context": "ci/e2e", "state": "pending"}
            ], "resource": "Deployment", "field": "required_contexts", "code": "invalid"}]
        });
        assert_eq!(
            failing_contexts(&body),
            vec!["security/scan (failure)", "ci/e2e (pending)"]
        );
    }

    #[test]
    fn encode_escapes_reserved_characters() {
        assert_eq!(encode("prod eu/1"), "prod%20eu%2F1");
        assert_eq!(encode("a-b_c.d~"), "a-b_c.d~");
        assert_eq!(encode("é"), "%C3%A9");
    }
}
