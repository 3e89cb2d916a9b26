//! A BuildKit session: the client's half of the daemon's `/session` endpoint. The request is
//! upgraded to a raw connection (`Upgrade: h2c`) on which the daemon is the HTTP/2 client and
//! this process serves gRPC: the build context and Dockerfile (filesync), secrets, SSH agent
//! forwarding, registry credentials and health. The headers announce the session's id, name,
//! shared key (which keys the daemon's cache of earlier context transfers) and every gRPC
//! method served, as the Docker CLI does.

use std::sync::{Arc, Mutex};

use bollard_buildkit_proto::health::health_server::HealthServer;
use bollard_buildkit_proto::moby::buildkit::secrets::v1::secrets_server::SecretsServer;
use bollard_buildkit_proto::moby::filesync::v1::auth_server::AuthServer;
use bollard_buildkit_proto::moby::filesync::v1::file_sync_server::FileSyncServer;
use bollard_buildkit_proto::moby::sshforward::v1::ssh_server::SshServer;
use bytes::Bytes;
use http_body_util::Empty;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use tokio::task::JoinHandle;
use tonic::service::Routes;

use super::filesync::FileSync;
use super::services::{Auth, Health, Secrets, SshAgents};
use crate::daemon::Daemon;
use crate::transport::dial;

/// Why a session could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The connection for the session failed.
    #[error("cannot open a BuildKit session with the daemon at {host}: {detail}")]
    Open {
        /// The daemon.
        host: String,
        /// What failed.
        detail: String,
    },
    /// The daemon refused the upgrade (no BuildKit, or an API that lacks `/session`).
    #[error("the daemon at {host} refused a BuildKit session ({status}: {body})")]
    Refused {
        /// The daemon.
        host: String,
        /// The HTTP status it answered.
        status: u16,
        /// Its message.
        body: String,
    },
}

/// What a session offers the daemon.
pub struct Services {
    /// The context and Dockerfile directories.
    pub filesync: FileSync,
    /// `--secret` values.
    pub secrets: Secrets,
    /// `--ssh` agents.
    pub ssh: SshAgents,
    /// Registry credentials for pulls (base images, cache sources, frontends).
    pub auth: Auth,
}

/// An open session; dropping it ends the connection.
pub struct Session {
    id: String,
    task: JoinHandle<()>,
    failure: Arc<Mutex<Option<String>>>,
}

impl Session {
    /// The id the build request names.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Why the session's connection failed, if it did (an HTTP/2 error).
    pub fn failure(&self) -> Option<String> {
        self.failure.lock().ok().and_then(|f| f.clone())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The gRPC methods served, announced in the upgrade request.
fn methods(services: &Services) -> Vec<&'static str> {
    let mut m = vec![
        "/grpc.health.v1.Health/Check",
        "/moby.filesync.v1.FileSync/DiffCopy",
        "/moby.filesync.v1.FileSync/TarStream",
        "/moby.filesync.v1.Auth/Credentials",
        "/moby.buildkit.secrets.v1.Secrets/GetSecret",
    ];
    if !services.ssh.is_empty() {
        m.extend([
            "/moby.sshforward.v1.SSH/CheckAgent",
            "/moby.sshforward.v1.SSH/ForwardAgent",
        ]);
    }
    m
}

/// Opens a session named `name` whose context cache is keyed by `shared_key`.
pub async fn start(
    daemon: &Daemon,
    name: &str,
    shared_key: &str,
    services: Services,
) -> Result<Session, SessionError> {
    let host = daemon.host().to_owned();
    let open = |detail: String| SessionError::Open {
        host: host.clone(),
        detail,
    };
    let id = random_id();
    let stream = dial(daemon.endpoint())
        .await
        .map_err(|e| open(e.to_string()))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| open(e.to_string()))?;
    tokio::spawn(async move {
        // Ends when the upgraded connection is dropped.
        let _ = connection.with_upgrades().await;
    });
    let mut request = hyper::Request::post(format!("{}/session", daemon.api_prefix()))
        .header(hyper::header::HOST, "docker")
        .header(hyper::header::CONNECTION, "Upgrade")
        .header(hyper::header::UPGRADE, "h2c")
        .header("X-Docker-Expose-Session-Uuid", &id)
        .header("X-Docker-Expose-Session-Name", name)
        .header("X-Docker-Expose-Session-Sharedkey", shared_key);
    for method in methods(&services) {
        request = request.header("X-Docker-Expose-Session-Grpc-Method", method);
    }
    let request = request
        .body(Empty::<Bytes>::new())
        .map_err(|e| open(e.to_string()))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| open(e.to_string()))?;
    if response.status() != hyper::StatusCode::SWITCHING_PROTOCOLS {
        let status = response.status().as_u16();
        let body = super::request::read_error_body(response).await;
        return Err(SessionError::Refused { host, status, body });
    }
    let upgraded = hyper::upgrade::on(response)
        .await
        .map_err(|e| open(e.to_string()))?;

    let io = upgraded;
    let Services {
        filesync,
        secrets,
        ssh,
        auth,
    } = services;
    let mut routes = Routes::new(HealthServer::new(Health))
        .add_service(FileSyncServer::new(filesync))
        .add_service(AuthServer::new(auth))
        .add_service(SecretsServer::new(secrets));
    if !ssh.is_empty() {
        routes = routes.add_service(SshServer::new(ssh));
    }
    // The connection is served here, not by tonic's `Server`, so that it lives exactly as
    // long as the session and its failure can be told.
    let service = TowerToHyperService::new(routes.prepare());
    let connection = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
        .serve_connection(io, service);
    let failure: Arc<Mutex<Option<String>>> = Arc::default();
    let slot = Arc::clone(&failure);
    let task = tokio::spawn(async move {
        if let Err(err) = connection.await
            && let Ok(mut slot) = slot.lock()
        {
            let mut text = err.to_string();
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            *slot = Some(text);
        }
    });
    Ok(Session { id, task, failure })
}

/// A random session id (BuildKit takes any unique string).
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No entropy source: time and pid are unique enough for one daemon's sessions.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        bytes[..8].copy_from_slice(&(nanos as u64).to_le_bytes());
        bytes[8..12].copy_from_slice(&std::process::id().to_le_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
