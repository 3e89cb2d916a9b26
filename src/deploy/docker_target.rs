//! The Docker target: one long-running container per image repository and environment, named
//! `deploy-action-<repo>-<env>`, replaced only once its successor has proven healthy.
//!
//! Rollout: start the new image as `<name>-next` on a free loopback port, wait for its health
//! path, then replace the live container with one on the requested host port and check it
//! again. A candidate that never gets healthy is removed and the live container keeps serving.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use bollard::Docker;
use bollard::errors::Error as BollardError;
use bollard::models::{
    ContainerCreateBody, HostConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, CreateImageOptionsBuilder, RemoveContainerOptionsBuilder,
    StopContainerOptionsBuilder,
};
use futures_util::StreamExt;

use super::error::DeployError;
use super::health::{HealthCheck, wait_healthy};
use crate::image::tags::ImageRef;

/// `--publish HOST:CONTAINER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortMapping {
    /// Port on the host.
    pub host: u16,
    /// Port inside the container.
    pub container: u16,
}

impl FromStr for PortMapping {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (h, c) = s
            .split_once(':')
            .ok_or_else(|| format!("`{s}` is not HOST:CONTAINER, e.g. 8080:80"))?;
        let port = |p: &str| {
            p.parse::<u16>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("`{p}` is not a port number (1-65535)"))
        };
        Ok(Self {
            host: port(h)?,
            container: port(c)?,
        })
    }
}

/// The live container's name for an image repository (`ghcr.io/o/app` → `app`) and environment.
pub fn container_name(image_name: &str, environment: &str) -> String {
    let repo = image_name.rsplit('/').next().unwrap_or(image_name);
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect()
    };
    format!("deploy-action-{}-{}", clean(repo), clean(environment))
}

/// An image resolved by the daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedImage {
    /// The image id (`sha256:` of its configuration); what containers are created from.
    pub id: String,
    /// The manifest digest when the image came from a registry, the image id otherwise.
    pub digest: String,
}

/// Rolls images out as containers on one Docker daemon.
#[derive(Debug, Clone)]
pub struct DockerTarget {
    docker: Docker,
    /// The host and container ports to publish.
    pub publish: PortMapping,
    /// Path answered with `2xx` when the service is healthy, e.g. `/health`.
    pub health_path: String,
    /// How long each health wait may take.
    pub health_timeout: Duration,
}

fn is_not_found(e: &BollardError) -> bool {
    matches!(
        e,
        BollardError::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

impl DockerTarget {
    /// Connects to the daemon (DOCKER_HOST or the default socket) and agrees on an API version.
    pub async fn connect(
        publish: PortMapping,
        health_path: &str,
        health_timeout: Duration,
    ) -> Result<Self, DeployError> {
        let docker = connect().await?;
        Ok(Self {
            docker,
            publish,
            health_path: health_path.to_owned(),
            health_timeout,
        })
    }

    /// Finds `image` locally, pulling it when absent, and returns its id and digest.
    pub async fn resolve(
        &self,
        image: &str,
        parsed: &ImageRef,
    ) -> Result<ResolvedImage, DeployError> {
        resolve_image(&self.docker, image, parsed).await
    }

    /// Replaces container `name` with one running `image_id`. `Ok(Ok(url))` with the service
    /// URL when the new container is healthy, `Ok(Err(reason))` when it is not.
    pub async fn roll_out(
        &self,
        image_id: &str,
        name: &str,
        labels: HashMap<String, String>,
        progress: &mut (dyn FnMut(&str) + Send),
    ) -> Result<Result<String, String>, DeployError> {
        let candidate = format!("{name}-next");
        self.remove(&candidate).await?;
        self.create_and_start(&candidate, image_id, labels.clone(), Some("127.0.0.1"), 0)
            .await?;
        let tmp_port = self.host_port(&candidate).await?;
        progress(&format!(
            "started {candidate} on 127.0.0.1:{tmp_port}; waiting for health"
        ));
        let check = HealthCheck::new(
            format!("http://127.0.0.1:{tmp_port}{}", self.health_path),
            self.health_timeout,
        );
        if let Err(problem) = wait_healthy(&check).await {
            self.remove(&candidate).await?;
            return Ok(Err(format!(
                "new container never got healthy ({problem}); the previous one keeps serving"
            )));
        }
        progress(&format!("{candidate} is healthy; replacing {name}"));
        self.remove(name).await?;
        self.remove(&candidate).await?;
        self.create_and_start(name, image_id, labels, None, self.publish.host)
            .await?;
        let url = format!("http://127.0.0.1:{}", self.publish.host);
        let check = HealthCheck::new(format!("{url}{}", self.health_path), self.health_timeout);
        match wait_healthy(&check).await {
            Ok(()) => Ok(Ok(url)),
            Err(problem) => Ok(Err(format!(
                "{name} did not get healthy on its published port ({problem})"
            ))),
        }
    }

    /// Removes the candidate container left by an interrupted rollout, if any.
    pub async fn discard_candidate(&self, name: &str) -> Result<(), DeployError> {
        self.remove(&format!("{name}-next")).await
    }

    async fn create_and_start(
        &self,
        name: &str,
        image_id: &str,
        labels: HashMap<String, String>,
        host_ip: Option<&str>,
        host_port: u16,
    ) -> Result<(), DeployError> {
        let port_key = format!("{}/tcp", self.publish.container);
        let binding = PortBinding {
            host_ip: host_ip.map(str::to_owned),
            host_port: Some(if host_port == 0 {
                String::new()
            } else {
                host_port.to_string()
            }),
        };
        let body = ContainerCreateBody {
            image: Some(image_id.to_owned()),
            labels: Some(labels),
            exposed_ports: Some(vec![port_key.clone()]),
            host_config: Some(HostConfig {
                port_bindings: Some(HashMap::from([(port_key, Some(vec![binding]))])),
                restart_policy: Some(RestartPolicy {
                    name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
                    maximum_retry_count: None,
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let options = CreateContainerOptionsBuilder::new().name(name).build();
        self.docker
            .create_container(Some(options), body)
            .await
            .map_err(DeployError::docker(format!("create container {name}")))?;
        self.docker
            .start_container(name, None)
            .await
            .map_err(DeployError::docker(format!("start container {name}")))
    }

    async fn host_port(&self, name: &str) -> Result<u16, DeployError> {
        let info = self
            .docker
            .inspect_container(name, None)
            .await
            .map_err(DeployError::docker(format!("inspect container {name}")))?;
        let key = format!("{}/tcp", self.publish.container);
        info.network_settings
            .and_then(|n| n.ports)
            .and_then(|mut p| p.remove(&key))
            .flatten()
            .into_iter()
            .flatten()
            .find_map(|b| b.host_port.and_then(|p| p.parse().ok()))
            .ok_or_else(|| DeployError::NoHostPort {
                container: name.to_owned(),
                container_port: self.publish.container,
            })
    }

    /// Stops and removes `name`; a missing container is fine.
    async fn remove(&self, name: &str) -> Result<(), DeployError> {
        let stop = StopContainerOptionsBuilder::new().t(10).build();
        match self.docker.stop_container(name, Some(stop)).await {
            Ok(()) => {}
            Err(e) if is_not_found(&e) => return Ok(()),
            // 304: already stopped.
            Err(BollardError::DockerResponseServerError {
                status_code: 304, ..
            }) => {}
            Err(e) => return Err(DeployError::docker(format!("stop container {name}"))(e)),
        }
        let rm = RemoveContainerOptionsBuilder::new().force(true).build();
        match self.docker.remove_container(name, Some(rm)).await {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(DeployError::docker(format!("remove container {name}"))(e)),
        }
    }
}

/// Connects to the daemon from DOCKER_HOST or the platform default and negotiates the API
/// version (older daemons reject newer versions).
pub async fn connect() -> Result<Docker, DeployError> {
    Docker::connect_with_defaults()
        .map_err(DeployError::docker("connect"))?
        .negotiate_version()
        .await
        .map_err(DeployError::docker("answer a version request"))
}

/// Finds `image` locally, pulling it when absent; the digest is the registry's manifest digest
/// when known, the image id for images that were only built locally.
pub async fn resolve_image(
    docker: &Docker,
    image: &str,
    parsed: &ImageRef,
) -> Result<ResolvedImage, DeployError> {
    let inspect = match docker.inspect_image(image).await {
        Ok(i) => i,
        Err(e) if is_not_found(&e) => {
            pull(docker, image, parsed).await?;
            docker
                .inspect_image(image)
                .await
                .map_err(DeployError::docker(format!("inspect image {image}")))?
        }
        Err(e) => return Err(DeployError::docker(format!("inspect image {image}"))(e)),
    };
    let id = inspect.id.unwrap_or_default();
    let name = parsed.name();
    let digest = parsed
        .digest()
        .map(str::to_owned)
        .or_else(|| {
            inspect
                .repo_digests
                .unwrap_or_default()
                .into_iter()
                .find_map(|rd| {
                    let (repo, digest) = rd.split_once('@')?;
                    (repo == name).then(|| digest.to_owned())
                })
        })
        .unwrap_or_else(|| id.clone());
    Ok(ResolvedImage { id, digest })
}

async fn pull(docker: &Docker, image: &str, parsed: &ImageRef) -> Result<(), DeployError> {
    let reference = parsed.digest().or(parsed.tag()).unwrap_or("latest");
    let options = CreateImageOptionsBuilder::new()
        .from_image(&parsed.name())
        .tag(reference)
        .build();
    let mut stream = docker.create_image(Some(options), None, None);
    while let Some(item) = stream.next().await {
        if let Err(e) = item {
            return Err(DeployError::ImageNotFound {
                image: image.to_owned(),
                reason: e.to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_is_host_then_container() {
        assert_eq!(
            "18181:8080".parse::<PortMapping>(),
            Ok(PortMapping {
                host: 18181,
                container: 8080
            })
        );
        assert!("8080".parse::<PortMapping>().is_err());
        assert!("0:80".parse::<PortMapping>().is_err());
    }

    #[test]
    fn container_names_use_the_last_path_segment() {
        assert_eq!(
            container_name("ghcr.io/o/App", "staging"),
            "deploy-action-app-staging"
        );
        assert_eq!(container_name("web", "pr 7"), "deploy-action-web-pr-7");
    }
}
