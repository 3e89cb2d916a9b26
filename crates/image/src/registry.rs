//! A small client for the registry HTTP API v2: manifest digests (`Docker-Content-Digest`),
//! an image's config labels, tag lists. Handles the Basic and Bearer token challenges with the
//! same credentials the push uses, and retries transient failures.
//!
//! Registries on loopback addresses are spoken to over plain HTTP (as the daemon does for
//! them by default); every other registry over HTTPS.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Once};

use reqwest::{Method, StatusCode, header};
use serde_json::Value;

use super::auth::RegistryAuth;
use super::error::ImageError;
use super::retry::{Backoff, retry};

/// Every manifest type a tag may point at.
const MANIFEST_TYPES: &str = "application/vnd.docker.distribution.manifest.v2+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json";

/// A registry, with credentials and a cached token.
#[derive(Debug, Clone)]
pub struct Registry {
    http: reqwest::Client,
    host: String,
    base: String,
    auth: Option<RegistryAuth>,
    token: Arc<Mutex<Option<String>>>,
    backoff: Backoff,
}

/// An image found under a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteImage {
    /// The manifest digest the registry serves for the tag.
    pub digest: String,
    /// The labels in the image's config (the first platform's, for an index).
    pub labels: BTreeMap<String, String>,
}

/// A manifest as the registry stores it: the exact bytes matter, since the digest is theirs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// `Content-Type` the registry served it with.
    pub media_type: String,
    /// The manifest's bytes, unchanged.
    pub bytes: bytes::Bytes,
    /// `sha256:…` of the bytes (the registry's `Docker-Content-Digest`).
    pub digest: String,
}

/// A request body and its media type.
struct Upload {
    media_type: String,
    bytes: bytes::Bytes,
}

/// `sha256:` and the hex digest of `bytes`.
fn sha256_digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(bytes);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// A failed request: transient ones are retried.
enum Failure {
    Transient(ImageError),
    Permanent(ImageError),
}

impl Failure {
    fn into_error(self) -> ImageError {
        match self {
            Self::Transient(e) | Self::Permanent(e) => e,
        }
    }
}

impl Registry {
    /// A client for `host` (with port) using `auth`, retrying transient failures per `backoff`.
    pub fn new(
        host: &str,
        auth: Option<RegistryAuth>,
        backoff: Backoff,
    ) -> Result<Self, ImageError> {
        static PROVIDER: Once = Once::new();
        // reqwest is built without a default TLS provider; ring is the one linked in.
        PROVIDER.call_once(|| {
            let _ = rustls::crypto::ring::default_provider().install_default();
        });
        let api_host = if host == "docker.io" {
            "registry-1.docker.io"
        } else {
            host
        };
        let scheme = if is_loopback(api_host) {
            "http"
        } else {
            "https"
        };
        let http = deploy_action_sys::http::client_builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|e| ImageError::Registry {
                registry: host.to_owned(),
                detail: format!("cannot set up an HTTP client: {e}"),
            })?;
        Ok(Self {
            http,
            host: host.to_owned(),
            base: format!("{scheme}://{api_host}"),
            auth,
            token: Arc::new(Mutex::new(None)),
            backoff,
        })
    }

    /// The registry host this client talks to.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The digest the registry serves for `repository:reference`, `None` when there is no
    /// such tag.
    pub async fn manifest_digest(
        &self,
        repository: &str,
        reference: &str,
    ) -> Result<Option<String>, ImageError> {
        let path = format!("/v2/{repository}/manifests/{reference}");
        let Some(resp) = self
            .send(Method::HEAD, &path, repository, MANIFEST_TYPES, None)
            .await?
        else {
            return Ok(None);
        };
        Ok(resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned))
    }

    /// The digest and config labels of `repository:reference`, `None` when there is no such
    /// tag.
    pub async fn image(
        &self,
        repository: &str,
        reference: &str,
    ) -> Result<Option<RemoteImage>, ImageError> {
        let path = format!("/v2/{repository}/manifests/{reference}");
        let Some(resp) = self
            .send(Method::GET, &path, repository, MANIFEST_TYPES, None)
            .await?
        else {
            return Ok(None);
        };
        let digest = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_default();
        let mut manifest = self.json(resp, &path).await?;
        if let Some(first) = manifest
            .pointer("/manifests/0/digest")
            .and_then(Value::as_str)
        {
            let path = format!("/v2/{repository}/manifests/{first}");
            let Some(resp) = self
                .send(Method::GET, &path, repository, MANIFEST_TYPES, None)
                .await?
            else {
                return Ok(None);
            };
            manifest = self.json(resp, &path).await?;
        }
        let Some(config) = manifest.pointer("/config/digest").and_then(Value::as_str) else {
            return Ok(None);
        };
        let path = format!("/v2/{repository}/blobs/{config}");
        let Some(resp) = self
            .send(Method::GET, &path, repository, "*/*", None)
            .await?
        else {
            return Ok(None);
        };
        let config = self.json(resp, &path).await?;
        let labels = config
            .pointer("/config/Labels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Some(RemoteImage { digest, labels }))
    }

    /// The tags of `repository` (empty when the repository does not exist).
    pub async fn tags(&self, repository: &str) -> Result<Vec<String>, ImageError> {
        let path = format!("/v2/{repository}/tags/list");
        let Some(resp) = self
            .send(Method::GET, &path, repository, "application/json", None)
            .await?
        else {
            return Ok(Vec::new());
        };
        let body = self.json(resp, &path).await?;
        Ok(body
            .get("tags")
            .and_then(Value::as_array)
            .map(|t| {
                t.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The manifest stored under `reference` (a tag or digest) exactly as the registry serves
    /// it, with its media type and digest; `None` when there is no such manifest.
    pub async fn manifest(
        &self,
        repository: &str,
        reference: &str,
    ) -> Result<Option<Manifest>, ImageError> {
        let path = format!("/v2/{repository}/manifests/{reference}");
        let Some(resp) = self
            .send(Method::GET, &path, repository, MANIFEST_TYPES, None)
            .await?
        else {
            return Ok(None);
        };
        let header_value = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let media_type = header_value("content-type").unwrap_or_default();
        let served_digest = header_value("docker-content-digest");
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| self.error(&path, &e.to_string()))?;
        let digest = served_digest.unwrap_or_else(|| sha256_digest(&bytes));
        Ok(Some(Manifest {
            media_type,
            bytes,
            digest,
        }))
    }

    /// Stores `manifest` under `tag` (a manifest copy: no layer moves, no pull), returning the
    /// digest the registry reports for it.
    pub async fn put_manifest(
        &self,
        repository: &str,
        tag: &str,
        manifest: &Manifest,
    ) -> Result<String, ImageError> {
        let path = format!("/v2/{repository}/manifests/{tag}");
        let upload = Upload {
            media_type: manifest.media_type.clone(),
            bytes: manifest.bytes.clone(),
        };
        let resp = self
            .send(Method::PUT, &path, repository, "*/*", Some(&upload))
            .await?
            .ok_or_else(|| self.error(&path, "HTTP 404: the repository does not exist"))?;
        Ok(resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .map_or_else(|| manifest.digest.clone(), str::to_owned))
    }

    async fn json(&self, resp: reqwest::Response, path: &str) -> Result<Value, ImageError> {
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| self.error(path, &e.to_string()))?;
        serde_json::from_slice(&bytes).map_err(|e| self.error(path, &format!("bad JSON: {e}")))
    }

    fn error(&self, path: &str, detail: &str) -> ImageError {
        ImageError::Registry {
            registry: self.host.clone(),
            detail: format!("{path}: {detail}"),
        }
    }

    /// Sends a request with retries; `None` for 404.
    async fn send(
        &self,
        method: Method,
        path: &str,
        repository: &str,
        accept: &str,
        body: Option<&Upload>,
    ) -> Result<Option<reqwest::Response>, ImageError> {
        retry(
            &self.backoff,
            || self.send_once(method.clone(), path, repository, accept, body),
            |f| matches!(f, Failure::Transient(_)),
            |_, _, _| {},
        )
        .await
        .map_err(Failure::into_error)
    }

    async fn send_once(
        &self,
        method: Method,
        path: &str,
        repository: &str,
        accept: &str,
        body: Option<&Upload>,
    ) -> Result<Option<reqwest::Response>, Failure> {
        let mut authorized_once = false;
        loop {
            let mut req = self
                .http
                .request(method.clone(), format!("{}{path}", self.base))
                .header(header::ACCEPT, accept);
            if let Some(upload) = body {
                req = req
                    .header(header::CONTENT_TYPE, &upload.media_type)
                    .body(upload.bytes.clone());
            }
            let token = self.token.lock().ok().and_then(|t| t.clone());
            if let Some(token) = &token {
                req = req.header(header::AUTHORIZATION, token);
            }
            let resp = req.send().await.map_err(|e| self.transport(&e))?;
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED && !authorized_once {
                let challenge = resp
                    .headers()
                    .get(header::WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let push = method == Method::PUT;
                let value = self.authorize(&challenge, repository, push).await?;
                if let Ok(mut slot) = self.token.lock() {
                    *slot = Some(value);
                }
                authorized_once = true;
                continue;
            }
            return match status {
                s if s.is_success() => Ok(Some(resp)),
                StatusCode::NOT_FOUND => Ok(None),
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                    Err(Failure::Permanent(self.refused(repository, status)))
                }
                s if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS => {
                    Err(Failure::Transient(self.error(path, &format!("HTTP {s}"))))
                }
                s => Err(Failure::Permanent(self.error(path, &format!("HTTP {s}")))),
            };
        }
    }

    fn refused(&self, repository: &str, status: StatusCode) -> ImageError {
        let detail = match (&self.auth, status) {
            (None, _) => format!("HTTP {status} without credentials"),
            (Some(_), StatusCode::FORBIDDEN) => format!("HTTP {status}: no permission"),
            (Some(_), _) => format!("HTTP {status}: the credentials were rejected"),
        };
        ImageError::RegistryAuth {
            registry: self.host.clone(),
            repository: repository.to_owned(),
            detail,
        }
    }

    fn transport(&self, err: &reqwest::Error) -> Failure {
        // Keep the cause chain: reqwest's top-level message is only "error sending request".
        let mut detail = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(s) = source {
            detail = format!("{detail}: {s}");
            source = s.source();
        }
        let error = ImageError::RegistryUnreachable {
            registry: self.host.clone(),
            detail,
        };
        if err.is_connect() {
            Failure::Permanent(error)
        } else {
            Failure::Transient(error)
        }
    }

    /// The `Authorization` value that answers `challenge`.
    async fn authorize(
        &self,
        challenge: &str,
        repository: &str,
        push: bool,
    ) -> Result<String, Failure> {
        let (scheme, params) = parse_challenge(challenge);
        let basic = match &self.auth {
            Some(RegistryAuth::Basic { username, password }) => {
                Some((username.clone(), password.expose().clone()))
            }
            _ => None,
        };
        if scheme.eq_ignore_ascii_case("basic") {
            let Some((user, pass)) = basic else {
                return Err(Failure::Permanent(
                    self.refused(repository, StatusCode::UNAUTHORIZED),
                ));
            };
            use base64::Engine;
            let raw = format!("{user}:{pass}");
            return Ok(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(raw)
            ));
        }
        let Some(realm) = params.get("realm") else {
            return Err(Failure::Permanent(self.error(
                "/v2/",
                &format!("unsupported authentication challenge `{challenge}`"),
            )));
        };
        let actions = if push { "pull,push" } else { "pull" };
        let mut query = vec![(
            "scope".to_owned(),
            format!("repository:{repository}:{actions}"),
        )];
        if let Some(service) = params.get("service") {
            query.push(("service".to_owned(), service.clone()));
        }
        let url = reqwest::Url::parse_with_params(realm, &query)
            .map_err(|e| Failure::Permanent(self.error(realm, &format!("bad token realm: {e}"))))?;
        let mut req = self.http.get(url);
        if let Some((user, pass)) = basic {
            req = req.basic_auth(user, Some(pass));
        }
        let resp = req.send().await.map_err(|e| self.transport(&e))?;
        let status = resp.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(Failure::Permanent(self.refused(repository, status)));
        }
        if !status.is_success() {
            let failure = self.error(realm, &format!("token request: HTTP {status}"));
            return Err(if status.is_server_error() {
                Failure::Transient(failure)
            } else {
                Failure::Permanent(failure)
            });
        }
        let body: Value = resp
            .json_value()
            .await
            .map_err(|e: String| Failure::Permanent(self.error(realm, &e)))?;
        let token = body
            .get("token")
            .or_else(|| body.get("access_token"))
            .and_then(Value::as_str)
            .ok_or_else(|| Failure::Permanent(self.error(realm, "no token in the answer")))?;
        Ok(format!("Bearer {token}"))
    }
}

/// Reads a JSON body (reqwest's `json` feature is not enabled).
trait JsonValue {
    async fn json_value(self) -> Result<Value, String>;
}

impl JsonValue for reqwest::Response {
    async fn json_value(self) -> Result<Value, String> {
        let bytes = self.bytes().await.map_err(|e| e.to_string())?;
        serde_json::from_slice(&bytes).map_err(|e| format!("bad JSON: {e}"))
    }
}

/// Whether `host` (with optional port) is a loopback name or address.
fn is_loopback(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Splits `Bearer realm="...",service="..."` into the scheme and its parameters.
fn parse_challenge(text: &str) -> (String, BTreeMap<String, String>) {
    let text = text.trim();
    let (scheme, rest) = text.split_once(' ').unwrap_or((text, ""));
    let mut params = BTreeMap::new();
    let mut rest = rest.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = after.trim_start();
        let (value, tail) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            (&quoted[..end], quoted.get(end + 1..).unwrap_or(""))
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        params.insert(key, value.to_owned());
        rest = tail.trim_start_matches([',', ' ']);
    }
    (scheme.to_owned(), params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_are_parsed() {
        let (scheme, p) = parse_challenge(
            r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/a:pull""#,
        );
        assert_eq!(scheme, "Bearer");
        assert_eq!(p["realm"], "https://ghcr.io/token");
        assert_eq!(p["service"], "ghcr.io");
        assert_eq!(p["scope"], "repository:o/a:pull");
        let (scheme, p) = parse_challenge(r#"Basic realm="Registry Realm""#);
        assert_eq!(
            (scheme.as_str(), p["realm"].as_str()),
            ("Basic", "Registry Realm")
        );
    }

    #[test]
    fn loopback_registries_use_plain_http() {
        for host in [
            "127.0.0.1:5000",
            "localhost:5000",
            "[::1]:5000",
            "localhost",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["ghcr.io", "10.0.0.1:5000", "registry.local:5000"] {
            assert!(!is_loopback(host), "{host}");
        }
    }
}
