//! The Docker daemon connection (bollard) and the small image operations around a build:
//! find by label, inspect, tag, pull.

use std::collections::{BTreeMap, HashMap};

use std::sync::Arc;

use bollard::Docker;
use bollard::auth::DockerCredentials;
use bollard::errors::Error as BollardError;
use bollard::query_parameters::{CreateImageOptions, ListImagesOptions, TagImageOptions};
use futures_util::StreamExt;

use super::auth::{RegistryAuth, server_address};
use super::endpoint::{Endpoint, Resolved};
use super::error::ImageError;
use super::tags::ImageRef;
use super::transport::Connector;

/// Seconds bollard waits for a response's headers.
const REQUEST_TIMEOUT: u64 = 120;

/// A connected daemon, its API version negotiated.
#[derive(Debug, Clone)]
pub struct Daemon {
    docker: Docker,
    host: String,
    endpoint: Arc<Endpoint>,
    info: DaemonInfo,
}

/// What the daemon says of itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DaemonInfo {
    /// `linux` or `windows`.
    pub os: String,
    /// The Engine API version it speaks (`1.41`).
    pub api_version: String,
    /// The engine's version (`20.10.24`).
    pub version: String,
    /// The engine's architecture (`amd64`).
    pub arch: String,
}

impl DaemonInfo {
    /// Whether the daemon has BuildKit built in: a Linux engine with the `/session` endpoint
    /// out of experimental (Engine API 1.39, Docker 18.09).
    pub fn has_buildkit(&self) -> bool {
        let mut parts = self.api_version.split('.').map(|p| p.parse::<u32>().ok());
        let version = (parts.next().flatten(), parts.next().flatten());
        self.os == "linux"
            && matches!(version, (Some(major), Some(minor)) if (major, minor) >= (1, 39))
    }
}

/// What `inspect` tells about a local image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalImage {
    /// The image ID (`sha256:` + config digest).
    pub id: String,
    /// Its config labels.
    pub labels: BTreeMap<String, String>,
    /// Its `repo@digest` entries (set once pushed or pulled).
    pub repo_digests: Vec<String>,
    /// `os/arch[/variant]` from its config.
    pub platform: String,
}

/// The daemon's images that carry one label, each with its value ([`Daemon::labelled`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labelled {
    /// `(id, created, value)` in the daemon's order.
    images: Vec<(String, i64, String)>,
}

impl Labelled {
    /// The most recently created image whose label equals `value`: what
    /// [`Daemon::find_by_label`] answers for the same key and value.
    pub fn newest(&self, value: &str) -> Option<String> {
        newest(
            self.images
                .iter()
                .filter(|(_, _, v)| v == value)
                .map(|(id, created, _)| (id.as_str(), *created)),
        )
    }
}

/// The id of the most recently created of `images` (`(id, created)`); the first listed wins a
/// tie, as a stable sort of the daemon's order would have it.
fn newest<'a>(images: impl Iterator<Item = (&'a str, i64)>) -> Option<String> {
    let mut best: Option<(&str, i64)> = None;
    for (id, created) in images {
        if best.is_none_or(|(_, c)| created > c) {
            best = Some((id, created));
        }
    }
    best.map(|(id, _)| id.to_owned())
}

impl Daemon {
    /// Connects to the daemon `resolved` names and negotiates the API version down to what it
    /// speaks (bollard's default is newer than Docker 20.10). Unix sockets and plain TCP use
    /// bollard's own clients; TLS and SSH daemons go through [`Connector`].
    pub async fn connect(resolved: &Resolved) -> Result<Self, ImageError> {
        let host = resolved.display.clone();
        let unreachable = |detail: String| ImageError::DaemonUnreachable {
            host: host.clone(),
            detail,
        };
        let version = bollard::API_DEFAULT_VERSION;
        let docker = match &resolved.endpoint {
            Endpoint::Unix(path) => {
                Docker::connect_with_unix(&path.to_string_lossy(), REQUEST_TIMEOUT, version)
            }
            Endpoint::Tcp {
                host,
                port,
                tls: None,
            } => Docker::connect_with_http(
                &format!("tcp://{}:{port}", bracket(host)),
                REQUEST_TIMEOUT,
                version,
            ),
            endpoint => {
                let client = hyper_util::client::legacy::Client::builder(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .build(Connector(Arc::new(endpoint.clone())));
                Docker::connect_with_custom_transport(
                    move |request: bollard::BollardRequest| {
                        let response = client.request(request);
                        async move {
                            response
                                .await
                                .map_err(|err| BollardError::HyperLegacyError { err })
                        }
                    },
                    Some("http://docker"),
                    REQUEST_TIMEOUT,
                    version,
                )
            }
        }
        .map_err(|e| unreachable(e.to_string()))?;
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|e| unreachable(connect_detail(&e)))?;
        let info = match docker.version().await {
            Ok(v) => DaemonInfo {
                os: v.os.unwrap_or_default(),
                api_version: v.api_version.unwrap_or_default(),
                version: v.version.unwrap_or_default(),
                arch: v.arch.unwrap_or_default(),
            },
            Err(e) => return Err(unreachable(connect_detail(&e))),
        };
        Ok(Self {
            docker,
            host,
            endpoint: Arc::new(resolved.endpoint.clone()),
            info,
        })
    }

    /// The daemon's address, for raw connections (BuildKit's `/build` and `/session`).
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// What the daemon said of itself when connecting.
    pub fn info(&self) -> &DaemonInfo {
        &self.info
    }

    /// The negotiated API version as a path prefix (`/v1.41`).
    pub fn api_prefix(&self) -> String {
        let v = self.docker.client_version();
        format!("/v{}.{}", v.major_version, v.minor_version)
    }

    /// The bollard client.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// The address connected to.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Maps a bollard error: transport failures mean the daemon went away.
    pub fn error(&self, action: &str, err: BollardError) -> ImageError {
        match err {
            BollardError::DockerResponseServerError { message, .. } => ImageError::Daemon {
                action: action.to_owned(),
                message,
            },
            BollardError::DockerStreamError { error } => ImageError::Daemon {
                action: action.to_owned(),
                message: error,
            },
            err @ (BollardError::IOError { .. }
            | BollardError::HyperResponseError { .. }
            | BollardError::HyperLegacyError { .. }
            | BollardError::RequestTimeoutError
            | BollardError::SocketNotFoundError(_)) => ImageError::DaemonUnreachable {
                host: self.host.clone(),
                detail: connect_detail(&err),
            },
            other => ImageError::Daemon {
                action: action.to_owned(),
                message: other.to_string(),
            },
        }
    }

    /// The most recently created image whose label `key` equals `value`.
    pub async fn find_by_label(
        &self,
        key: &str,
        value: &str,
    ) -> Result<Option<String>, ImageError> {
        let images = self.list_labelled(format!("{key}={value}")).await?;
        Ok(newest(images.iter().map(|i| (i.id.as_str(), i.created))))
    }

    /// Every image that carries label `key`, whatever its value: a listing that can be asked
    /// for before the value is known (the daemon takes as long to filter on the key alone).
    pub async fn labelled(&self, key: &str) -> Result<Labelled, ImageError> {
        let images = self.list_labelled(key.to_owned()).await?;
        Ok(Labelled {
            images: images
                .into_iter()
                .filter_map(|mut i| {
                    let value = i.labels.remove(key)?;
                    Some((i.id, i.created, value))
                })
                .collect(),
        })
    }

    /// The images whose labels match `filter` (`key` or `key=value`).
    async fn list_labelled(
        &self,
        filter: String,
    ) -> Result<Vec<bollard::models::ImageSummary>, ImageError> {
        let filters = HashMap::from([("label".to_owned(), vec![filter])]);
        let options = ListImagesOptions {
            filters: Some(filters),
            ..Default::default()
        };
        self.docker
            .list_images(Some(options))
            .await
            .map_err(|e| self.error("list images", e))
    }

    /// Inspects `reference` (a name or ID); `None` when the daemon has no such image.
    pub async fn inspect(&self, reference: &str) -> Result<Option<LocalImage>, ImageError> {
        match self.docker.inspect_image(reference).await {
            Ok(image) => Ok(Some(LocalImage {
                platform: [image.os, image.architecture, image.variant]
                    .into_iter()
                    .flatten()
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join("/"),
                id: image.id.unwrap_or_default(),
                labels: image
                    .config
                    .and_then(|c| c.labels)
                    .unwrap_or_default()
                    .into_iter()
                    .collect(),
                repo_digests: image.repo_digests.unwrap_or_default(),
            })),
            Err(BollardError::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(e) => Err(self.error(&format!("inspect {reference}"), e)),
        }
    }

    /// Tags image `id` as `reference`.
    pub async fn tag(&self, id: &str, reference: &ImageRef) -> Result<(), ImageError> {
        let options = TagImageOptions {
            repo: Some(reference.name()),
            tag: reference.tag().map(str::to_owned),
        };
        self.docker
            .tag_image(id, Some(options))
            .await
            .map_err(|e| self.error(&format!("tag {id} as {reference}"), e))
    }

    /// Pulls `reference` (with a tag or digest) with `auth`.
    pub async fn pull(
        &self,
        reference: &ImageRef,
        auth: Option<&RegistryAuth>,
    ) -> Result<(), ImageError> {
        let (image, tag) = match (reference.digest(), reference.tag()) {
            (Some(digest), _) => (format!("{}@{digest}", reference.name()), None),
            (None, tag) => (reference.name(), tag.map(str::to_owned)),
        };
        let options = CreateImageOptions {
            from_image: Some(image),
            tag,
            ..Default::default()
        };
        let mut stream = self.docker.create_image(
            Some(options),
            None,
            Some(credentials(reference.registry(), auth)),
        );
        while let Some(item) = stream.next().await {
            item.map_err(|e| self.error(&format!("pull {reference}"), e))?;
        }
        Ok(())
    }
}

/// An IPv6 address in brackets, anything else as it is.
fn bracket(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

/// The innermost cause of a connection failure (`Connection refused`, a TLS alert), short.
fn connect_detail(err: &BollardError) -> String {
    let mut source: &dyn std::error::Error = err;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}

/// The credentials sent with a push or pull. An empty set is still sent: Docker 20.10
/// rejects a push without an `X-Registry-Auth` header.
pub fn credentials(registry: &str, auth: Option<&RegistryAuth>) -> DockerCredentials {
    let serveraddress = Some(server_address(registry));
    match auth {
        Some(RegistryAuth::Basic { username, password }) => DockerCredentials {
            username: Some(username.clone()),
            password: Some(password.expose().clone()),
            serveraddress,
            ..Default::default()
        },
        Some(RegistryAuth::IdentityToken(token)) => DockerCredentials {
            identitytoken: Some(token.expose().clone()),
            serveraddress,
            ..Default::default()
        },
        None => DockerCredentials {
            serveraddress,
            ..Default::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::Labelled;

    fn labelled(images: &[(&str, i64, &str)]) -> Labelled {
        Labelled {
            images: images
                .iter()
                .map(|(id, created, value)| ((*id).to_owned(), *created, (*value).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn the_newest_image_with_the_value_wins() {
        let images = labelled(&[("a", 10, "k1"), ("b", 30, "k2"), ("c", 20, "k1")]);
        assert_eq!(images.newest("k1").as_deref(), Some("c"));
        assert_eq!(images.newest("k2").as_deref(), Some("b"));
        assert_eq!(images.newest("k3"), None);
    }

    #[test]
    fn a_tie_goes_to_the_first_listed() {
        let images = labelled(&[("a", 10, "k"), ("b", 10, "k")]);
        assert_eq!(images.newest("k").as_deref(), Some("a"));
    }
}
