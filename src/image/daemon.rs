//! The Docker daemon connection (bollard) and the small image operations around a build:
//! find by label, inspect, tag, pull.

use std::collections::{BTreeMap, HashMap};

use bollard::Docker;
use bollard::auth::DockerCredentials;
use bollard::errors::Error as BollardError;
use bollard::query_parameters::{CreateImageOptions, ListImagesOptions, TagImageOptions};
use futures_util::StreamExt;

use super::auth::{RegistryAuth, server_address};
use super::error::ImageError;
use super::tags::ImageRef;

/// The daemon address used when `DOCKER_HOST` is unset.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// A connected daemon, its API version negotiated.
#[derive(Debug, Clone)]
pub struct Daemon {
    docker: Docker,
    host: String,
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

impl Daemon {
    /// Connects to `host` (`unix://...`, `tcp://...`, `http://...`) and negotiates the API
    /// version down to what the daemon speaks (bollard's default is newer than Docker 20.10).
    pub async fn connect(host: &str) -> Result<Self, ImageError> {
        let unreachable = || ImageError::DaemonUnreachable {
            host: host.to_owned(),
        };
        let docker = Docker::connect_with_host(host).map_err(|_| unreachable())?;
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|_| unreachable())?;
        Ok(Self {
            docker,
            host: host.to_owned(),
        })
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
            BollardError::IOError { .. }
            | BollardError::HyperResponseError { .. }
            | BollardError::RequestTimeoutError
            | BollardError::SocketNotFoundError(_) => ImageError::DaemonUnreachable {
                host: self.host.clone(),
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
        let filters = HashMap::from([("label".to_owned(), vec![format!("{key}={value}")])]);
        let options = ListImagesOptions {
            filters: Some(filters),
            ..Default::default()
        };
        let mut images = self
            .docker
            .list_images(Some(options))
            .await
            .map_err(|e| self.error("list images", e))?;
        images.sort_by_key(|i| std::cmp::Reverse(i.created));
        Ok(images.into_iter().next().map(|i| i.id))
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
