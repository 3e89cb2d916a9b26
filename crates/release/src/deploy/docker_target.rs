//! The Docker target: one long-running container per image repository and environment, named
//! `deploy-action-<repo>-<env>`, behind a load balancer of its own (see [`super::balancer`]),
//! which publishes the host port.
//!
//! A switch: start the new image as `<name>-next` on the service's network (with a loopback port
//! of its own for the health check and the analysis), wait for its health path, put it in the
//! balancer's free slot with no traffic, then move the weights, all at once or step by step. When
//! it has all the traffic the old container is drained and removed and `<name>-next` is renamed
//! `<name>`; a rollback moves the weights back and removes `<name>-next`. A candidate that never
//! gets healthy is removed and the live container keeps serving.
//!
//! A container deployed before the balancer existed holds the host port itself: the first switch
//! starts a copy of it on the network, removes it and starts the balancer on the port at once
//! (a fraction of a second without a listener, once: about 0.2 s in the tests).

use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use bollard::Docker;
use bollard::errors::Error as BollardError;
use bollard::models::{
    ContainerCreateBody, HostConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, CreateImageOptionsBuilder, RemoveContainerOptionsBuilder,
    RenameContainerOptionsBuilder, StopContainerOptionsBuilder,
};
use futures_util::StreamExt;

use super::balancer::{Balancer, BalancerSpec, SLOT_LABEL, Slot, ensure_network};
use super::error::DeployError;
use super::health::{HealthCheck, wait_healthy};
use deploy_action_image::ImageError;
use deploy_action_image::daemon::Daemon;
use deploy_action_image::endpoint;
use deploy_action_image::tags::ImageRef;

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
    /// The image the load balancer runs from (HAProxy).
    pub balancer_image: String,
}

/// A new version started beside the live one, in the balancer's free slot.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The service's container name (the live container's, the candidate's once it takes over).
    pub name: String,
    /// The candidate's container, `<name>-next`.
    pub next: String,
    /// The candidate's own address, `http://127.0.0.1:PORT` (requests there bypass the balancer).
    pub own_url: String,
    slot: Slot,
    /// The live container and its slot, when one runs.
    old: Option<(String, Slot)>,
    balancer: Balancer,
}

impl Candidate {
    /// Whether an older version serves beside the candidate.
    pub fn has_old(&self) -> bool {
        self.old.is_some()
    }
}

/// How long a drained server may take to answer its last requests.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

pub(super) fn is_not_found(e: &BollardError) -> bool {
    matches!(
        e,
        BollardError::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

impl DockerTarget {
    /// Connects to the daemon `choice` names and agrees on an API version.
    pub async fn connect(
        choice: &DaemonChoice<'_>,
        publish: PortMapping,
        health_path: &str,
        health_timeout: Duration,
        balancer_image: &str,
    ) -> Result<Self, DeployError> {
        let docker = connect(choice).await?;
        Ok(Self {
            docker,
            publish,
            health_path: health_path.to_owned(),
            health_timeout,
            balancer_image: balancer_image.to_owned(),
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

    fn spec(&self, name: &str) -> BalancerSpec {
        BalancerSpec {
            name: name.to_owned(),
            image: self.balancer_image.clone(),
            host_port: self.publish.host,
            app_port: self.publish.container,
            health_path: self.health_path.clone(),
        }
    }

    /// Replaces container `name` with one running `image_id`, all at once through the balancer.
    /// `Ok(Ok(url))` with the service URL when the new container serves, `Ok(Err(reason))` when
    /// it never got healthy (the previous one keeps serving).
    pub async fn roll_out(
        &self,
        image_id: &str,
        name: &str,
        labels: HashMap<String, String>,
        progress: &mut (dyn FnMut(&str) + Send),
    ) -> Result<Result<String, String>, DeployError> {
        match self
            .start_candidate(image_id, name, labels, progress)
            .await?
        {
            Ok(candidate) => self.finish(candidate, progress).await,
            Err(reason) => Ok(Err(reason)),
        }
    }

    /// Starts `image_id` as `<name>-next` beside the live container and puts it in the
    /// balancer with no traffic. `Ok(Err(reason))` when it never got healthy (it is removed).
    pub async fn start_candidate(
        &self,
        image_id: &str,
        name: &str,
        mut labels: HashMap<String, String>,
        progress: &mut (dyn FnMut(&str) + Send),
    ) -> Result<Result<Candidate, String>, DeployError> {
        let spec = self.spec(name);
        ensure_network(&self.docker, &spec.network()).await?;
        let next = format!("{name}-next");
        let retired = format!("{name}-old");
        // What an earlier run left behind (stopped mid-way): back to the live container.
        if self.slot_of(&next).await?.is_some() || self.slot_of(&retired).await?.is_some() {
            self.abort(name).await?;
            self.remove(&retired).await?;
        }
        let live = self.slot_of(name).await?;
        let slot = live.flatten().map_or(Slot::A, Slot::other);
        labels.insert(SLOT_LABEL.to_owned(), slot.as_str().to_owned());
        let own_url = self
            .start_app(&next, image_id, labels, &spec.network())
            .await?;
        progress(&format!("started {next} on {own_url}; waiting for health"));
        let check = HealthCheck::new(
            format!("{own_url}{}", self.health_path),
            self.health_timeout,
        );
        if let Err(problem) = wait_healthy(&check).await {
            self.remove(&next).await?;
            return Ok(Err(format!(
                "new container never got healthy ({problem}); the previous one keeps serving"
            )));
        }
        let placed = self.place(&spec, live, slot, &next, progress).await;
        let (balancer, old) = match placed {
            Ok(Ok(placed)) => placed,
            Ok(Err(reason)) => {
                self.remove(&next).await?;
                return Ok(Err(reason));
            }
            Err(e) => {
                // The balancer could not take the candidate: it must not stay behind.
                let _ = self.remove(&next).await;
                return Err(e);
            }
        };
        progress(&format!(
            "{next} is healthy and in the balancer {} (slot {}, no traffic yet)",
            spec.container(),
            slot.as_str()
        ));
        Ok(Ok(Candidate {
            name: name.to_owned(),
            next,
            own_url,
            slot,
            old,
            balancer,
        }))
    }

    /// The balancer (found, created, or taking the port over from a container that had it)
    /// with the candidate `next` in `slot` at weight 0, and the live container and its slot.
    async fn place(
        &self,
        spec: &BalancerSpec,
        live: Option<Option<Slot>>,
        slot: Slot,
        next: &str,
        progress: &mut (dyn FnMut(&str) + Send),
    ) -> Result<Result<(Balancer, Option<(String, Slot)>), String>, DeployError> {
        let name = spec.name.as_str();
        let (balancer, old) = match (Balancer::find(&self.docker, spec).await?, live) {
            (Some(b), Some(Some(s))) => (b, Some((name.to_owned(), s))),
            (Some(b), None) => (b, None),
            (Some(_), Some(None)) => {
                return Ok(Err(format!(
                    "{name} runs beside the balancer {} without a slot in it (started by hand?); remove one of them",
                    spec.container()
                )));
            }
            (None, Some(Some(s))) => (
                Balancer::create(&self.docker, spec, Some((s, name))).await?,
                Some((name.to_owned(), s)),
            ),
            (None, None) => (Balancer::create(&self.docker, spec, None).await?, None),
            (None, Some(None)) => self.adopt(spec, slot.other(), progress).await?,
        };
        let address = self.network_ip(next, &spec.network()).await?;
        balancer.enable(slot, &address, 0).await?;
        Ok(Ok((balancer, old)))
    }

    /// Sends `weight` % of the new requests to the candidate, the rest to the live container.
    pub async fn shift(&self, c: &Candidate, weight: u8) -> Result<(), DeployError> {
        let weight = weight.min(100);
        match &c.old {
            Some((_, old)) => {
                // Raise one side before lowering the other, so a server is always weighted.
                if weight >= 50 {
                    c.balancer.set_weight(c.slot, weight).await?;
                    c.balancer.set_weight(*old, 100 - weight).await
                } else {
                    c.balancer.set_weight(*old, 100 - weight).await?;
                    c.balancer.set_weight(c.slot, weight).await
                }
            }
            // Nothing else serves: the candidate takes every request whatever the weight.
            None => c.balancer.set_weight(c.slot, weight.max(1)).await,
        }
    }

    /// Gives the candidate all the traffic, drains and removes the old container and renames
    /// the candidate `<name>`. `Ok(Ok(url))` when it then answers on the published port.
    pub async fn finish(
        &self,
        c: Candidate,
        progress: &mut (dyn FnMut(&str) + Send),
    ) -> Result<Result<String, String>, DeployError> {
        self.shift(&c, 100).await?;
        let retired = format!("{}-old", c.name);
        if let Some((old, slot)) = &c.old {
            progress(&format!("{} has all the traffic; draining {old}", c.next));
            c.balancer.drain(*slot, DRAIN_TIMEOUT).await?;
            // Renames first, so the new container carries the service's name from here on even
            // if the run stops while the old one shuts down.
            self.remove(&retired).await?;
            self.rename(old, &retired).await?;
        }
        self.rename(&c.next, &c.name).await?;
        c.balancer.persist(Some((c.slot, &c.name))).await?;
        if c.old.is_some() {
            self.remove(&retired).await?;
        }
        let url = c.balancer.url();
        let check = HealthCheck::new(format!("{url}{}", self.health_path), self.health_timeout);
        match wait_healthy(&check).await {
            Ok(()) => Ok(Ok(url)),
            Err(problem) => Ok(Err(format!(
                "{} did not answer through the balancer on port {} ({problem})",
                c.name, self.publish.host
            ))),
        }
    }

    /// Puts all the traffic back on the live container and removes `<name>-next`, from what
    /// runs (so it also works after an interrupted rollout, wherever it stopped). Nothing to
    /// undo is fine.
    pub async fn abort(&self, name: &str) -> Result<(), DeployError> {
        let spec = self.spec(name);
        let next = format!("{name}-next");
        let retired = format!("{name}-old");
        // Stopped between the two renames of `finish`: the old container goes back first.
        if self.slot_of(name).await?.is_none() && self.slot_of(&retired).await?.is_some() {
            self.rename(&retired, name).await?;
        }
        if let Some(balancer) = Balancer::find(&self.docker, &spec).await? {
            let old = self.slot_of(name).await?.flatten();
            let new = self.slot_of(&next).await?.flatten();
            if let Some(old) = old {
                let address = self.network_ip(name, &spec.network()).await?;
                balancer.enable(old, &address, 100).await?;
            }
            if let Some(new) = new.filter(|n| Some(*n) != old) {
                balancer.drain(new, DRAIN_TIMEOUT).await?;
            }
            balancer.persist(old.map(|s| (s, name))).await?;
        }
        self.remove(&next).await
    }

    /// Removes the candidate left by an interrupted rollout, putting the traffic back first.
    pub async fn discard_candidate(&self, name: &str) -> Result<(), DeployError> {
        self.abort(name).await
    }

    /// A container published on the host port before the balancer existed: a copy of it joins
    /// the network in `slot`, the original is removed, and the balancer takes the port.
    async fn adopt(
        &self,
        spec: &BalancerSpec,
        slot: Slot,
        progress: &mut (dyn FnMut(&str) + Send),
    ) -> Result<(Balancer, Option<(String, Slot)>), DeployError> {
        let name = &spec.name;
        let info = self
            .docker
            .inspect_container(name, None)
            .await
            .map_err(DeployError::docker(format!("inspect container {name}")))?;
        let image = info.image.unwrap_or_default();
        let mut labels = info.config.and_then(|c| c.labels).unwrap_or_default();
        labels.insert(SLOT_LABEL.to_owned(), slot.as_str().to_owned());
        let copy = format!("{name}-prev");
        self.remove(&copy).await?;
        let url = self
            .start_app(&copy, &image, labels, &spec.network())
            .await?;
        let check = HealthCheck::new(format!("{url}{}", self.health_path), self.health_timeout);
        if let Err(problem) = wait_healthy(&check).await {
            self.remove(&copy).await?;
            progress(&format!(
                "{name} does not run again on the balancer's network ({problem}); it is replaced without a balancer-side copy"
            ));
            self.remove(name).await?;
            return Ok((Balancer::create(&self.docker, spec, None).await?, None));
        }
        progress(&format!(
            "moving port {} from {name} to the load balancer {}",
            spec.host_port,
            spec.container()
        ));
        Balancer::prepare(&self.docker, spec, Some((slot, &copy))).await?;
        self.kill(name).await?;
        let balancer = Balancer::start(&self.docker, spec).await?;
        self.rename(&copy, name).await?;
        balancer.persist(Some((slot, name))).await?;
        Ok((balancer, Some((name.clone(), slot))))
    }

    /// Whether `name` runs: `None` when it does not, `Some(slot)` with its balancer slot
    /// (`Some(None)`: a container from before the balancer).
    async fn slot_of(&self, name: &str) -> Result<Option<Option<Slot>>, DeployError> {
        match self.docker.inspect_container(name, None).await {
            Ok(info) => {
                Ok(Some(info.config.and_then(|c| c.labels).and_then(|l| {
                    l.get(SLOT_LABEL).and_then(|s| Slot::parse(s))
                })))
            }
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(DeployError::docker(format!("inspect container {name}"))(e)),
        }
    }

    /// Creates and starts an application container on `network`, with its port published on
    /// a free loopback port; returns `http://127.0.0.1:PORT`.
    async fn start_app(
        &self,
        name: &str,
        image_id: &str,
        labels: HashMap<String, String>,
        network: &str,
    ) -> Result<String, DeployError> {
        let port_key = format!("{}/tcp", self.publish.container);
        let binding = PortBinding {
            host_ip: Some("127.0.0.1".to_owned()),
            host_port: Some(String::new()),
        };
        let body = ContainerCreateBody {
            image: Some(image_id.to_owned()),
            labels: Some(labels),
            exposed_ports: Some(vec![port_key.clone()]),
            host_config: Some(HostConfig {
                port_bindings: Some(HashMap::from([(port_key, Some(vec![binding]))])),
                network_mode: Some(network.to_owned()),
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
            .map_err(DeployError::docker(format!("start container {name}")))?;
        let port = published_port(&self.docker, name, self.publish.container).await?;
        Ok(format!("http://127.0.0.1:{port}"))
    }

    /// The container's address on `network`.
    async fn network_ip(&self, name: &str, network: &str) -> Result<String, DeployError> {
        let info = self
            .docker
            .inspect_container(name, None)
            .await
            .map_err(DeployError::docker(format!("inspect container {name}")))?;
        info.network_settings
            .and_then(|n| n.networks)
            .and_then(|mut n| n.remove(network))
            .and_then(|e| e.ip_address)
            .filter(|ip| !ip.is_empty())
            .ok_or_else(|| DeployError::NoHostPort {
                container: name.to_owned(),
                container_port: self.publish.container,
            })
    }

    async fn rename(&self, from: &str, to: &str) -> Result<(), DeployError> {
        let options = RenameContainerOptionsBuilder::new().name(to).build();
        self.docker
            .rename_container(from, options)
            .await
            .map_err(DeployError::docker(format!(
                "rename container {from} to {to}"
            )))
    }

    /// Removes `name` at once (SIGKILL): used when its successor already serves.
    async fn kill(&self, name: &str) -> Result<(), DeployError> {
        let rm = RemoveContainerOptionsBuilder::new().force(true).build();
        match self.docker.remove_container(name, Some(rm)).await {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(DeployError::docker(format!("remove container {name}"))(e)),
        }
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
        self.kill(name).await
    }
}

/// The host port `container_port` of `name` is published on.
pub(super) async fn published_port(
    docker: &Docker,
    name: &str,
    container_port: u16,
) -> Result<u16, DeployError> {
    let info = docker
        .inspect_container(name, None)
        .await
        .map_err(DeployError::docker(format!("inspect container {name}")))?;
    let key = format!("{container_port}/tcp");
    info.network_settings
        .and_then(|n| n.ports)
        .and_then(|mut p| p.remove(&key))
        .flatten()
        .into_iter()
        .flatten()
        .find_map(|b| b.host_port.and_then(|p| p.parse().ok()))
        .ok_or_else(|| DeployError::NoHostPort {
            container: name.to_owned(),
            container_port,
        })
}

/// Which daemon the docker target runs on, decided as the Docker CLI and `build` decide it:
/// `--docker-context`, else `DOCKER_HOST` (with `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH`),
/// else `DOCKER_CONTEXT`, else the Docker config's current context, else the local socket.
pub struct DaemonChoice<'a> {
    /// `--docker-context`.
    pub context: Option<&'a str>,
    /// The environment (the library reads none itself).
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The Docker CLI's configuration folder (`DOCKER_CONFIG`, else `~/.docker`), where contexts
    /// and `currentContext` live.
    pub config_dir: Option<PathBuf>,
}

/// Connects to the daemon `choice` names (a Unix socket, plain or TLS TCP, SSH, a context)
/// and negotiates the API version (older daemons reject newer versions).
pub async fn connect(choice: &DaemonChoice<'_>) -> Result<Docker, DeployError> {
    let resolved = endpoint::resolve(choice.context, choice.env, choice.config_dir.as_deref())
        .map_err(ImageError::from)?;
    let daemon = Daemon::connect(&resolved).await?;
    Ok(daemon.docker().clone())
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
