//! HTTP requests of the health, smoke and metric gates, and the JSON conditions on their
//! answers. Errors never carry request headers (they may hold secrets), only the URL.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;

use deploy_action_lint::policy::{JsonCondition, JsonTest};
use deploy_action_sys::secret::Secret;

/// A finished HTTP exchange.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// The body (at most 1 MiB is kept).
    pub body: Vec<u8>,
    /// Time from sending to the end of the body.
    pub latency: Duration,
}

/// A client shared by every probe of one promotion.
pub fn client() -> Result<reqwest::Client, String> {
    deploy_action_sys::http::client_builder()
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .map_err(|e| format!("cannot set up an HTTP client: {e}"))
}

/// Sends one request. `Err` is a one-line reason when no answer arrived (refused, timed out).
pub async fn fetch(
    client: &reqwest::Client,
    method: &str,
    url: &str,
    headers: &[(String, Secret<String>)],
    timeout: Duration,
) -> Result<Answer, String> {
    let method = Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let mut req = client.request(method, url).timeout(timeout);
    for (name, value) in headers {
        req = req.header(name.as_str(), value.expose().as_str());
    }
    let start = Instant::now();
    let exchange = async {
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await?;
        Ok::<_, reqwest::Error>((status, body))
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(Ok((status, body))) => Ok(Answer {
            status,
            body: body.iter().take(1 << 20).copied().collect(),
            latency: start.elapsed(),
        }),
        Ok(Err(e)) if e.is_timeout() => Err(no_answer(url, timeout)),
        Ok(Err(e)) => Err(format!("{url}: {}", cause(&e))),
        Err(_) => Err(no_answer(url, timeout)),
    }
}

fn no_answer(url: &str, timeout: Duration) -> String {
    format!("{url} did not answer within {}", human(timeout))
}

/// The innermost cause of a reqwest error (its own message is only "error sending request").
fn cause(e: &reqwest::Error) -> String {
    let mut last = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}

/// A duration for people: `850ms`, `2s`, `1.5s`, `10m`.
pub fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms.is_multiple_of(60_000) {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// The value at a dotted `path` (`a.b.0.c`, optionally starting with `$.`).
pub fn lookup<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    let path = path.trim().trim_start_matches('$').trim_start_matches('.');
    let mut here = value;
    if path.is_empty() {
        return Some(here);
    }
    for part in path.split('.') {
        here = match here {
            Value::Array(items) => items.get(part.parse::<usize>().ok()?)?,
            Value::Object(map) => map.get(part)?,
            _ => return None,
        };
    }
    Some(here)
}

/// A number, or a string holding one (Prometheus answers `"0.01"`).
pub fn as_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Checks `condition` on `body`: `Ok(Ok(evidence))` holds, `Ok(Err(evidence))` does not,
/// `Err(reason)` when the body is not JSON or has no value at the path (cannot evaluate).
pub fn check_json(
    body: &[u8],
    condition: &JsonCondition,
) -> Result<Result<String, String>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the answer is not JSON ({e})"))?;
    let found = lookup(&value, &condition.path)
        .ok_or_else(|| format!("the JSON answer has nothing at `{}`", condition.path))?;
    Ok(match &condition.test {
        JsonTest::Equals(expected) => {
            let same = found == expected
                || matches!((as_number(found), as_number(expected)), (Some(a), Some(b)) if (a - b).abs() < f64::EPSILON)
                    && !matches!(found, Value::Bool(_));
            let text = format!("`{}` is {found}", condition.path);
            if same {
                Ok(text)
            } else {
                Err(format!("{text}, expected {expected}"))
            }
        }
        JsonTest::Compare(op, threshold) => {
            let n = as_number(found)
                .ok_or_else(|| format!("`{}` is {found}, not a number", condition.path))?;
            let text = format!("`{}` = {n} {} {threshold}", condition.path, op.as_str());
            if op.holds(n, *threshold) {
                Ok(text)
            } else {
                Err(format!("{text} does not hold"))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use deploy_action_lint::policy::Comparison;

    #[test]
    fn paths_reach_into_objects_and_arrays() {
        let v: Value = serde_json::json!({"data": {"result": [{"value": [1, "0.25"]}]}});
        assert_eq!(
            lookup(&v, "data.result.0.value.1").and_then(as_number),
            Some(0.25)
        );
        assert_eq!(
            lookup(&v, "$.data.result.0.value.0"),
            Some(&serde_json::json!(1))
        );
        assert!(lookup(&v, "data.nope").is_none());
    }

    #[test]
    fn json_conditions_hold_fail_or_cannot_be_evaluated() {
        let eq = JsonCondition {
            path: "status".into(),
            test: JsonTest::Equals(Value::String("ok".into())),
        };
        assert!(
            check_json(br#"{"status":"ok"}"#, &eq)
                .expect("json")
                .is_ok()
        );
        assert!(
            check_json(br#"{"status":"down"}"#, &eq)
                .expect("json")
                .is_err()
        );
        assert!(check_json(b"<html>", &eq).is_err());
        let lt = JsonCondition {
            path: "rate".into(),
            test: JsonTest::Compare(Comparison::Lt, 0.05),
        };
        assert!(
            check_json(br#"{"rate":"0.01"}"#, &lt)
                .expect("json")
                .is_ok()
        );
        assert!(check_json(br#"{"rate":0.5}"#, &lt).expect("json").is_err());
        assert!(check_json(br#"{"rate":"x"}"#, &lt).is_err());
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human(Duration::from_millis(850)), "850ms");
        assert_eq!(human(Duration::from_secs(120)), "2m");
        assert_eq!(human(Duration::from_millis(1500)), "1.5s");
    }
}
