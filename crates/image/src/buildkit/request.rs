//! The Engine API's `POST /build` for BuildKit, sent on a connection of its own: bollard's
//! `build_image` starts a session of its own whenever BuildKit is asked for, and that session
//! serves neither the context nor secrets. The answer is a stream of JSON messages: BuildKit's
//! status as base64 protobuf (`moby.buildkit.trace`), the image id (`moby.image.id`), errors.

use base64::Engine;
use bollard_buildkit_proto::moby::buildkit::v1::StatusResponse;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use prost::Message as _;
use serde::Deserialize;

use crate::daemon::Daemon;
use crate::transport::dial;

/// One message of the build's answer.
#[derive(Debug)]
pub enum Message {
    /// BuildKit's progress.
    Status(Box<StatusResponse>),
    /// The image built.
    ImageId(String),
    /// The build failed.
    Error(String),
    /// Plain text (rare with BuildKit).
    Text(String),
}

/// Why the request could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The connection failed before an answer.
    #[error("{0}")]
    Connect(String),
    /// The daemon refused the request.
    #[error("{body} (HTTP {status})")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The daemon's message.
        body: String,
    },
    /// The connection broke while the build ran.
    #[error("the connection broke: {0}")]
    Lost(String),
}

#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    aux: Option<serde_json::Value>,
    #[serde(default)]
    stream: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default, rename = "errorDetail")]
    error_detail: Option<ErrorDetail>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    message: Option<String>,
}

/// An open `/build` answer, read message by message.
pub struct BuildStream {
    body: Incoming,
    pending: Vec<u8>,
    done: bool,
}

/// Posts `/build` with `query` (no body: the context comes through the session).
pub async fn post(
    daemon: &Daemon,
    query: &[(String, String)],
) -> Result<BuildStream, RequestError> {
    let connect = |e: &dyn std::fmt::Display| RequestError::Connect(e.to_string());
    let stream = dial(daemon.endpoint()).await.map_err(|e| connect(&e))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| connect(&e))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let uri = format!("{}/build?{}", daemon.api_prefix(), encode_query(query));
    let request = hyper::Request::post(uri)
        .header(hyper::header::HOST, "docker")
        .header(hyper::header::CONTENT_TYPE, "application/x-tar")
        .body(Empty::<Bytes>::new())
        .map_err(|e| connect(&e))?;
    // The daemon answered a moment ago (the version, the session): a request that breaks now
    // means it went away.
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| RequestError::Lost(e.to_string()))?;
    if !response.status().is_success() {
        let status = response.status().as_u16();
        let body = read_error_body(response).await;
        return Err(RequestError::Refused { status, body });
    }
    Ok(BuildStream {
        body: response.into_body(),
        pending: Vec::new(),
        done: false,
    })
}

/// Asks the daemon to stop build `build_id` (`POST /build/cancel`), best effort.
pub async fn cancel(daemon: &Daemon, build_id: &str) {
    let Ok(stream) = dial(daemon.endpoint()).await else {
        return;
    };
    let Ok((mut sender, connection)) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    else {
        return;
    };
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let uri = format!(
        "{}/build/cancel?{}",
        daemon.api_prefix(),
        encode_query(&[("id".to_owned(), build_id.to_owned())])
    );
    if let Ok(request) = hyper::Request::post(uri)
        .header(hyper::header::HOST, "docker")
        .body(Empty::<Bytes>::new())
    {
        let _ = sender.send_request(request).await;
    }
}

impl BuildStream {
    /// The next message; `None` at the end of the answer.
    pub async fn next(&mut self) -> Option<Result<Message, RequestError>> {
        loop {
            if let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                if let Some(message) = parse(&line) {
                    return Some(Ok(message));
                }
                continue;
            }
            if self.done {
                let rest = std::mem::take(&mut self.pending);
                return parse(&rest).map(Ok);
            }
            match self.body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.pending.extend_from_slice(&data);
                    }
                }
                Some(Err(err)) => {
                    self.done = true;
                    return Some(Err(RequestError::Lost(err.to_string())));
                }
                None => self.done = true,
            }
        }
    }
}

/// One JSON line of the answer; `None` for blank lines and messages of no interest.
fn parse(line: &[u8]) -> Option<Message> {
    let text = std::str::from_utf8(line).ok()?.trim();
    if text.is_empty() {
        return None;
    }
    let raw: Raw = serde_json::from_str(text).ok()?;
    if let Some(message) = raw.error_detail.and_then(|d| d.message).or(raw.error) {
        return Some(Message::Error(message));
    }
    match (raw.id.as_deref(), raw.aux) {
        (Some("moby.buildkit.trace"), Some(serde_json::Value::String(b64))) => {
            let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
            let status = StatusResponse::decode(bytes.as_slice()).ok()?;
            Some(Message::Status(Box::new(status)))
        }
        (Some("moby.image.id"), Some(aux)) => aux
            .get("ID")
            .and_then(|v| v.as_str())
            .map(|id| Message::ImageId(id.to_owned())),
        _ => raw.stream.map(Message::Text),
    }
}

/// The message of an error answer (`{"message": …}` or text).
pub async fn read_error_body(response: hyper::Response<Incoming>) -> String {
    let bytes = match response.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) => return err.to_string(),
    };
    let text = String::from_utf8_lossy(&bytes).trim().to_owned();
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        .unwrap_or(text)
}

/// `key=value&…`, form-encoded.
fn encode_query(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_lines_decode() {
        let status = StatusResponse::default().encode_to_vec();
        let b64 = base64::engine::general_purpose::STANDARD.encode(status);
        let line = format!("{{\"id\":\"moby.buildkit.trace\",\"aux\":\"{b64}\"}}\n");
        assert!(matches!(parse(line.as_bytes()), Some(Message::Status(_))));
        let id = br#"{"id":"moby.image.id","aux":{"ID":"sha256:abc"}}"#;
        assert!(matches!(parse(id), Some(Message::ImageId(i)) if i == "sha256:abc"));
        let err = br#"{"errorDetail":{"message":"boom"},"error":"boom"}"#;
        assert!(matches!(parse(err), Some(Message::Error(e)) if e == "boom"));
        assert!(parse(b"  \n").is_none());
        assert!(parse(b"not json").is_none());
    }

    #[test]
    fn queries_are_percent_encoded() {
        let q = [
            ("t".to_owned(), "reg:5000/a b".to_owned()),
            ("labels".to_owned(), r#"{"k":"v"}"#.to_owned()),
        ];
        assert_eq!(
            encode_query(&q),
            "t=reg%3A5000%2Fa+b&labels=%7B%22k%22%3A%22v%22%7D"
        );
    }
}
