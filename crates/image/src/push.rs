//! Pushing a tag through the daemon, with retries of transient registry failures, and the
//! manifest digest it produced, checked against the registry.

use bollard::errors::Error as BollardError;
use bollard::query_parameters::PushImageOptions;
use futures_util::StreamExt;

use super::auth::RegistryAuth;
use super::daemon::{Daemon, credentials};
use super::error::ImageError;
use super::registry::Registry;
use super::retry::{Backoff, retry};
use super::tags::ImageRef;

/// What a push tells its caller while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushEvent {
    /// A finished layer or the final digest line (`<id>: Pushed`, `<tag>: digest: ...`).
    Status(String),
    /// A transient failure; the push is tried again after `wait_ms`.
    Retry {
        /// The attempt that failed (1-based).
        attempt: u32,
        /// The wait before the next.
        wait_ms: u128,
        /// Why.
        message: String,
    },
}

/// Pushes `reference` (which carries a tag) and returns the manifest digest, after checking
/// that `registry` serves that digest for the tag.
pub async fn push(
    daemon: &Daemon,
    registry: &Registry,
    reference: &ImageRef,
    auth: Option<&RegistryAuth>,
    backoff: &Backoff,
    emit: &(dyn Fn(PushEvent) + Sync),
) -> Result<String, ImageError> {
    let tag = reference.tag().unwrap_or("latest").to_owned();
    let digest = retry(
        backoff,
        || push_once(daemon, reference, &tag, auth, emit),
        |e: &PushFailure| e.transient,
        |e, attempt, wait| {
            emit(PushEvent::Retry {
                attempt,
                wait_ms: wait.as_millis(),
                message: e.message.clone(),
            });
        },
    )
    .await
    .map_err(|e| e.into_error(reference))?;

    let served = registry
        .manifest_digest(reference.repository(), &tag)
        .await?
        .unwrap_or_default();
    if served != digest {
        return Err(ImageError::DigestMismatch {
            reference: reference.to_string(),
            pushed: digest,
            served,
        });
    }
    Ok(digest)
}

struct PushFailure {
    message: String,
    transient: bool,
    daemon_gone: Option<ImageError>,
}

impl PushFailure {
    fn into_error(self, reference: &ImageRef) -> ImageError {
        if let Some(err) = self.daemon_gone {
            return err;
        }
        let lower = self.message.to_ascii_lowercase();
        let registry = reference.registry().to_owned();
        if [
            "unauthorized",
            "authentication required",
            "denied",
            "forbidden",
        ]
        .iter()
        .any(|w| lower.contains(w))
        {
            ImageError::RegistryAuth {
                registry,
                repository: reference.repository().to_owned(),
                detail: self.message,
            }
        } else if ["connection refused", "no such host", "no route to host"]
            .iter()
            .any(|w| lower.contains(w))
        {
            ImageError::RegistryUnreachable {
                registry,
                detail: self.message,
            }
        } else {
            ImageError::Push {
                reference: reference.to_string(),
                message: self.message,
            }
        }
    }
}

async fn push_once(
    daemon: &Daemon,
    reference: &ImageRef,
    tag: &str,
    auth: Option<&RegistryAuth>,
    emit: &(dyn Fn(PushEvent) + Sync),
) -> Result<String, PushFailure> {
    let options = PushImageOptions {
        tag: Some(tag.to_owned()),
        platform: None,
    };
    let creds = credentials(reference.registry(), auth);
    let mut stream = daemon
        .docker()
        .push_image(&reference.name(), Some(options), Some(creds));
    let mut digest = None;
    while let Some(item) = stream.next().await {
        let info = match item {
            Ok(info) => info,
            Err(err) => {
                let message = match err {
                    BollardError::DockerStreamError { error } => error,
                    BollardError::DockerResponseServerError { message, .. } => message,
                    other => {
                        return Err(PushFailure {
                            message: other.to_string(),
                            transient: false,
                            daemon_gone: Some(daemon.error("push", other)),
                        });
                    }
                };
                let transient = is_transient(&message);
                return Err(PushFailure {
                    message,
                    transient,
                    daemon_gone: None,
                });
            }
        };
        let Some(status) = info.status else { continue };
        // bollard's push model drops the `aux` object; its `Digest` is also in this line.
        if let Some(found) = digest_of_status(&status) {
            digest = Some(found.to_owned());
            emit(PushEvent::Status(status.clone()));
        } else if status == "Pushed"
            || status == "Layer already exists"
            || status.starts_with("Mounted from")
        {
            emit(PushEvent::Status(status));
        }
    }
    digest.ok_or_else(|| PushFailure {
        message: "the daemon finished the push without reporting a digest".to_owned(),
        transient: false,
        daemon_gone: None,
    })
}

/// The digest in the daemon's last push status: `<tag>: digest: sha256:<hex> size: <n>`.
pub fn digest_of_status(status: &str) -> Option<&str> {
    let rest = &status[status.find("digest: ")? + "digest: ".len()..];
    let digest = rest.split_whitespace().next()?;
    let hex = digest.strip_prefix("sha256:")?;
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(digest)
}

/// Whether a registry failure reported by the daemon is worth another attempt: 5xx answers,
/// rate limits, dropped or timed-out connections.
pub fn is_transient(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    [
        "500 internal server error",
        "502 bad gateway",
        "503 service unavailable",
        "504 gateway timeout",
        "429 too many requests",
        "received unexpected http status: 5",
        "toomanyrequests",
        "connection reset",
        "broken pipe",
        "unexpected eof",
        ": eof",
        "i/o timeout",
        "tls handshake timeout",
        "timeout exceeded",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_comes_from_the_final_status_line() {
        let d = "sha256:".to_owned() + &"a1".repeat(32);
        assert_eq!(
            digest_of_status(&format!("v1: digest: {d} size: 527")),
            Some(d.as_str())
        );
        assert_eq!(digest_of_status("Pushed"), None);
        assert_eq!(digest_of_status("x: digest: sha256:abc size: 1"), None);
    }

    #[test]
    fn transient_failures_are_told_apart() {
        for msg in [
            "received unexpected HTTP status: 503 Service Unavailable",
            "Patch http://r/v2/a/blobs/uploads/x: read tcp 1->2: read: connection reset by peer",
            "Put http://r/v2/a/manifests/v1: EOF",
        ] {
            assert!(is_transient(msg), "{msg}");
        }
        for msg in [
            "unauthorized: authentication required",
            "Get http://127.0.0.1:1/v2/: dial tcp 127.0.0.1:1: connect: connection refused",
            "denied: requested access to the resource is denied",
        ] {
            assert!(!is_transient(msg), "{msg}");
        }
    }
}
