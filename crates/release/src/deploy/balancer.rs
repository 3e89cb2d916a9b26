//! The docker target's load balancer: HAProxy in a container of its own (`<name>-lb`) on the
//! same daemon, so it outlives the job that started it. It publishes the service's host port;
//! the live and the new container are two server slots (`a`, `b`) of one backend on a network
//! of the service's own (`<name>-net`), and traffic moves by setting their weights through
//! HAProxy's runtime API (published on 127.0.0.1 only). A server whose weight drops to 0 gets no
//! new request and is put in maintenance once its last request has answered, so no request is
//! lost in a switch; failed connections are retried on the other server (`option redispatch`).
//!
//! After every switch the configuration file in the container is rewritten with the live server
//! (by container name, resolved by Docker's DNS when HAProxy starts), so a restarted balancer
//! comes back serving what ran before.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use bollard::Docker;
use bollard::models::{
    ContainerCreateBody, EndpointSettings, HostConfig, NetworkCreateRequest, NetworkingConfig,
    PortBinding, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{CreateContainerOptionsBuilder, UploadToContainerOptionsBuilder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::error::{BalancerError, DeployError};
use deploy_action_image::tags::ImageRef;

/// The official HAProxy image (an LTS release) used unless `--balancer-image` names another.
pub const DEFAULT_BALANCER_IMAGE: &str = "haproxy:3.0";
/// The port HAProxy listens on inside its container.
const FRONTEND_PORT: u16 = 8080;
/// The runtime API's port inside the container (published on 127.0.0.1 only).
const API_PORT: u16 = 8404;
/// Where the configuration lives (the official image's default).
const CONFIG_DIR: &str = "/usr/local/etc/haproxy";
/// The backend's name in the configuration.
const BACKEND: &str = "app";
/// The label that marks an application container's slot.
pub const SLOT_LABEL: &str = "deploy-action.balancer-slot";

/// One of the backend's two server slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// Server `a`.
    A,
    /// Server `b`.
    B,
}

impl Slot {
    /// `a` or `b`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "a",
            Self::B => "b",
        }
    }

    /// The other slot.
    pub fn other(self) -> Self {
        match self {
            Self::A => Self::B,
            Self::B => Self::A,
        }
    }

    /// Parses `a` or `b`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "a" => Some(Self::A),
            "b" => Some(Self::B),
            _ => None,
        }
    }
}

/// What the balancer needs to know about the service.
#[derive(Debug, Clone)]
pub struct BalancerSpec {
    /// The service's container name; the balancer is `<name>-lb`, the network `<name>-net`.
    pub name: String,
    /// The image to run HAProxy from.
    pub image: String,
    /// The host port users reach the service on.
    pub host_port: u16,
    /// The port the application listens on in its container.
    pub app_port: u16,
    /// The health path HAProxy checks the servers on.
    pub health_path: String,
}

impl BalancerSpec {
    /// The balancer's container name.
    pub fn container(&self) -> String {
        format!("{}-lb", self.name)
    }

    /// The service's network.
    pub fn network(&self) -> String {
        format!("{}-net", self.name)
    }

    /// The configuration with `live` (slot and host name) serving, the other slot disabled.
    pub fn config(&self, live: Option<(Slot, &str)>) -> String {
        let health = if self
            .health_path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/-._~%?&=".contains(c))
        {
            self.health_path.as_str()
        } else {
            "/"
        };
        let mut text = format!(
            "# Written by deploy-action: the docker target's load balancer of {name}.\n\
             # Weights change through the runtime API; this file holds the last switch's result.\n\
             global\n  stats socket ipv4@0.0.0.0:{API_PORT} level admin\n  stats timeout 10s\n\
             defaults\n  mode http\n  timeout connect 2s\n  timeout client 60s\n  timeout server 60s\n\
             \x20 timeout http-request 10s\n  retries 3\n  option redispatch 1\n\
             \x20 retry-on conn-failure empty-response junk-response\n\
             \x20 default-server init-addr last,libc,none check inter 1s fall 2 rise 1\n\
             frontend web\n  bind :{FRONTEND_PORT}\n  default_backend {BACKEND}\n\
             backend {BACKEND}\n  balance roundrobin\n  option httpchk\n\
             \x20 http-check send meth GET uri {health} ver HTTP/1.1 hdr Host localhost\n",
            name = self.name,
        );
        for slot in [Slot::A, Slot::B] {
            match live {
                Some((s, host)) if s == slot => text.push_str(&format!(
                    "  server {} {host}:{} weight 100\n",
                    slot.as_str(),
                    self.app_port
                )),
                _ => text.push_str(&format!(
                    "  server {} 127.0.0.1:1 weight 0 disabled\n",
                    slot.as_str()
                )),
            }
        }
        text
    }
}

/// A running balancer and how to reach its runtime API.
#[derive(Debug, Clone)]
pub struct Balancer {
    docker: Docker,
    spec: BalancerSpec,
    api: SocketAddr,
}

impl Balancer {
    /// Finds the service's balancer (starting it when stopped), or `None` when there is none.
    pub async fn find(docker: &Docker, spec: &BalancerSpec) -> Result<Option<Self>, DeployError> {
        let container = spec.container();
        let info = match docker.inspect_container(&container, None).await {
            Ok(i) => i,
            Err(e) if super::docker_target::is_not_found(&e) => return Ok(None),
            Err(e) => {
                return Err(DeployError::docker(format!(
                    "inspect container {container}"
                ))(e));
            }
        };
        if !info.state.and_then(|s| s.running).unwrap_or(false) {
            docker
                .start_container(&container, None)
                .await
                .map_err(DeployError::docker(format!("start container {container}")))?;
        }
        let balancer = Self {
            docker: docker.clone(),
            spec: spec.clone(),
            api: api_address(docker, &container).await?,
        };
        balancer.wait_ready().await?;
        Ok(Some(balancer))
    }

    /// Creates and starts the balancer with `live` serving; the host port must be free.
    pub async fn create(
        docker: &Docker,
        spec: &BalancerSpec,
        live: Option<(Slot, &str)>,
    ) -> Result<Self, DeployError> {
        Self::prepare(docker, spec, live).await?;
        Self::start(docker, spec).await
    }

    /// Creates the balancer with `live` serving, without starting it (nothing binds the host
    /// port yet), so a port handover only waits for [`Balancer::start`].
    pub async fn prepare(
        docker: &Docker,
        spec: &BalancerSpec,
        live: Option<(Slot, &str)>,
    ) -> Result<(), DeployError> {
        let container = spec.container();
        let network = spec.network();
        // The image is pulled when absent (the official one comes from Docker Hub).
        let parsed = ImageRef::parse(&spec.image).map_err(|e| DeployError::BadImage {
            image: spec.image.clone(),
            reason: e.to_string(),
        })?;
        super::docker_target::resolve_image(docker, &spec.image, &parsed).await?;
        let front = format!("{FRONTEND_PORT}/tcp");
        let api = format!("{API_PORT}/tcp");
        let bindings = HashMap::from([
            (
                front.clone(),
                Some(vec![PortBinding {
                    host_ip: None,
                    host_port: Some(spec.host_port.to_string()),
                }]),
            ),
            (
                api.clone(),
                Some(vec![PortBinding {
                    host_ip: Some("127.0.0.1".into()),
                    host_port: Some(String::new()),
                }]),
            ),
        ]);
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            cmd: Some(vec![
                "haproxy".into(),
                "-f".into(),
                format!("{CONFIG_DIR}/haproxy.cfg"),
            ]),
            labels: Some(HashMap::from([(
                "deploy-action.balancer-for".to_owned(),
                spec.name.clone(),
            )])),
            exposed_ports: Some(vec![front, api]),
            host_config: Some(HostConfig {
                port_bindings: Some(bindings),
                network_mode: Some(network.clone()),
                restart_policy: Some(RestartPolicy {
                    name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
                    maximum_retry_count: None,
                }),
                ..Default::default()
            }),
            networking_config: Some(NetworkingConfig {
                endpoints_config: Some(HashMap::from([(network, EndpointSettings::default())])),
            }),
            ..Default::default()
        };
        let options = CreateContainerOptionsBuilder::new()
            .name(&container)
            .build();
        docker
            .create_container(Some(options), body)
            .await
            .map_err(DeployError::docker(format!("create container {container}")))?;
        if let Err(e) = write_config(docker, &container, &spec.config(live)).await {
            discard(docker, &container).await;
            return Err(e);
        }
        Ok(())
    }

    /// Starts the balancer [`Balancer::prepare`] created; it binds the host port.
    pub async fn start(docker: &Docker, spec: &BalancerSpec) -> Result<Self, DeployError> {
        let container = spec.container();
        let started = docker
            .start_container(&container, None)
            .await
            .map_err(DeployError::docker(format!(
                "start container {container} (is port {} free?)",
                spec.host_port
            )));
        if let Err(e) = started {
            discard(docker, &container).await;
            return Err(e);
        }
        let balancer = Self {
            docker: docker.clone(),
            spec: spec.clone(),
            api: api_address(docker, &container).await?,
        };
        balancer.wait_ready().await?;
        Ok(balancer)
    }

    /// The URL users reach the service on.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.spec.host_port)
    }

    /// Points `slot` at `address` (the container's IP on the service's network) with `weight`,
    /// and takes it out of maintenance.
    pub async fn enable(&self, slot: Slot, address: &str, weight: u8) -> Result<(), DeployError> {
        let server = format!("{BACKEND}/{}", slot.as_str());
        self.command(&format!(
            "set server {server} addr {address} port {}",
            self.spec.app_port
        ))
        .await?;
        self.command(&format!("set weight {server} {weight}"))
            .await?;
        self.command(&format!("set server {server} state ready"))
            .await?;
        Ok(())
    }

    /// Sets a slot's weight (0-100: its share of new requests against the other slot's).
    pub async fn set_weight(&self, slot: Slot, weight: u8) -> Result<(), DeployError> {
        self.command(&format!("set weight {BACKEND}/{} {weight}", slot.as_str()))
            .await
            .map(|_| ())
    }

    /// Takes `slot` out of the rotation without cutting a request: weight 0, then maintenance
    /// once its last request has answered (or after `timeout`).
    pub async fn drain(&self, slot: Slot, timeout: Duration) -> Result<(), DeployError> {
        self.set_weight(slot, 0).await?;
        let deadline = tokio::time::Instant::now() + timeout;
        while self.sessions(slot).await? > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.command(&format!(
            "set server {BACKEND}/{} state maint",
            slot.as_str()
        ))
        .await
        .map(|_| ())
    }

    /// Rewrites the configuration file so a restart serves `live` (slot and container name).
    pub async fn persist(&self, live: Option<(Slot, &str)>) -> Result<(), DeployError> {
        write_config(
            &self.docker,
            &self.spec.container(),
            &self.spec.config(live),
        )
        .await
    }

    /// Requests in progress on `slot`'s server (`scur` of `show stat`).
    async fn sessions(&self, slot: Slot) -> Result<u64, DeployError> {
        let stat = self.command("show stat").await?;
        let mut lines = stat.lines();
        let header: Vec<&str> = lines
            .next()
            .unwrap_or_default()
            .trim_start_matches("# ")
            .split(',')
            .collect();
        let col = |name: &str| header.iter().position(|h| *h == name);
        let (Some(px), Some(sv), Some(scur)) = (col("pxname"), col("svname"), col("scur")) else {
            return Err(self.error("read `show stat`", format!("unexpected header: {header:?}")));
        };
        for line in lines {
            let f: Vec<&str> = line.split(',').collect();
            if f.get(px) == Some(&BACKEND) && f.get(sv) == Some(&slot.as_str()) {
                return Ok(f.get(scur).and_then(|v| v.parse().ok()).unwrap_or(0));
            }
        }
        Err(self.error(
            "read `show stat`",
            format!("no server {BACKEND}/{}", slot.as_str()),
        ))
    }

    /// Sends one runtime API command and returns the answer; HAProxy's complaints are errors.
    async fn command(&self, line: &str) -> Result<String, DeployError> {
        let exchange = async {
            let mut stream = tokio::net::TcpStream::connect(self.api).await?;
            stream.write_all(format!("{line}\n").as_bytes()).await?;
            let mut answer = String::new();
            stream.read_to_string(&mut answer).await?;
            Ok::<_, std::io::Error>(answer)
        };
        let answer = match tokio::time::timeout(Duration::from_secs(5), exchange).await {
            Ok(Ok(a)) => a,
            Ok(Err(e)) => return Err(self.error(line, e.to_string())),
            Err(_) => return Err(self.error(line, "no answer within 5s".into())),
        };
        // Docker's port proxy accepts the connection even before HAProxy listens, then closes
        // it: an answer without a single byte means the command was never read.
        if answer.is_empty() {
            return Err(self.error(line, "the runtime API closed without answering".into()));
        }
        let lower = answer.to_ascii_lowercase();
        let refused = [
            "unknown command",
            "no such",
            "invalid",
            "require",
            "not found",
        ]
        .iter()
        .any(|w| lower.contains(w));
        if refused {
            return Err(self.error(line, answer.trim().to_owned()));
        }
        Ok(answer)
    }

    /// Waits until the runtime API answers (HAProxy has read its configuration).
    async fn wait_ready(&self) -> Result<(), DeployError> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            match self.command("show info").await {
                Ok(info) if info.contains("Name: HAProxy") => return Ok(()),
                Ok(info) if tokio::time::Instant::now() >= deadline => {
                    return Err(self.error("answer `show info`", info));
                }
                Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                Err(e) if tokio::time::Instant::now() >= deadline => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    fn error(&self, action: &str, reason: String) -> DeployError {
        BalancerError {
            container: self.spec.container(),
            action: action.to_owned(),
            reason,
        }
        .into()
    }
}

/// Removes a balancer that never started: every later run would find it, and fail.
async fn discard(docker: &Docker, container: &str) {
    let rm = bollard::query_parameters::RemoveContainerOptionsBuilder::new()
        .force(true)
        .build();
    let _ = docker.remove_container(container, Some(rm)).await;
}

/// Creates the service's network when it does not exist yet.
pub async fn ensure_network(docker: &Docker, network: &str) -> Result<(), DeployError> {
    match docker.inspect_network(network, None).await {
        Ok(_) => Ok(()),
        Err(e) if super::docker_target::is_not_found(&e) => {
            let request = NetworkCreateRequest {
                name: network.to_owned(),
                driver: Some("bridge".into()),
                labels: Some(HashMap::from([(
                    "deploy-action.network".to_owned(),
                    "1".to_owned(),
                )])),
                ..Default::default()
            };
            match docker.create_network(request).await {
                Ok(_) => Ok(()),
                // Created concurrently by another run: fine.
                Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 409, ..
                }) => Ok(()),
                Err(e) => Err(DeployError::docker(format!("create network {network}"))(e)),
            }
        }
        Err(e) => Err(DeployError::docker(format!("inspect network {network}"))(e)),
    }
}

/// 127.0.0.1 and the host port the runtime API is published on.
async fn api_address(docker: &Docker, container: &str) -> Result<SocketAddr, DeployError> {
    let port = super::docker_target::published_port(docker, container, API_PORT).await?;
    Ok(SocketAddr::from(([127, 0, 0, 1], port)))
}

/// Writes `haproxy.cfg` into the container (a one-file tar through the archive endpoint).
async fn write_config(docker: &Docker, container: &str, text: &str) -> Result<(), DeployError> {
    let mut archive = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(text.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_cksum();
    let tarred = archive
        .append_data(&mut header, "haproxy.cfg", text.as_bytes())
        .and_then(|()| archive.into_inner());
    let bytes = tarred.map_err(|e| {
        DeployError::from(BalancerError {
            container: container.to_owned(),
            action: "write its configuration".into(),
            reason: e.to_string(),
        })
    })?;
    let options = UploadToContainerOptionsBuilder::new()
        .path(CONFIG_DIR)
        .build();
    docker
        .upload_to_container(
            container,
            Some(options),
            bollard::body_full(bytes::Bytes::from(bytes)),
        )
        .await
        .map_err(DeployError::docker(format!(
            "write {CONFIG_DIR}/haproxy.cfg into {container}"
        )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configuration_names_the_live_server_only() {
        let spec = BalancerSpec {
            name: "deploy-action-web-production".into(),
            image: DEFAULT_BALANCER_IMAGE.into(),
            host_port: 9080,
            app_port: 8000,
            health_path: "/health".into(),
        };
        let cfg = spec.config(Some((Slot::B, "deploy-action-web-production")));
        assert!(
            cfg.contains("  server a 127.0.0.1:1 weight 0 disabled\n"),
            "{cfg}"
        );
        assert!(
            cfg.contains("  server b deploy-action-web-production:8000 weight 100\n"),
            "{cfg}"
        );
        assert!(cfg.contains("uri /health ver HTTP/1.1"), "{cfg}");
        assert!(cfg.contains("bind :8080"), "{cfg}");
        assert_eq!(spec.container(), "deploy-action-web-production-lb");
        let odd = BalancerSpec {
            health_path: "/h\nx".into(),
            ..spec
        };
        assert!(
            odd.config(None).contains("uri / ver"),
            "no line breaks in the file"
        );
    }
}
