//! The small session services: health (the daemon drops a session that stops answering) and
//! registry credentials for the pulls BuildKit makes itself (base images, cache sources,
//! `# syntax=` frontends).

use std::collections::HashMap;
use std::sync::Arc;

use bollard_buildkit_proto::health::health_check_response::ServingStatus;
use bollard_buildkit_proto::health::health_server;
use bollard_buildkit_proto::health::{
    HealthCheckRequest, HealthCheckResponse, HealthListRequest, HealthListResponse,
};
use bollard_buildkit_proto::moby::filesync::v1::auth_server;
use bollard_buildkit_proto::moby::filesync::v1::{
    CredentialsRequest, CredentialsResponse, FetchTokenRequest, FetchTokenResponse,
    GetTokenAuthorityRequest, GetTokenAuthorityResponse, VerifyTokenAuthorityRequest,
    VerifyTokenAuthorityResponse,
};
use tonic::{Request, Response, Status};

pub use super::secrets::Secrets;
pub use super::ssh::SshAgents;
use crate::auth::{DockerConfig, RegistryAuth, registry_host};

/// Always serving while the session lives.
pub struct Health;

#[tonic::async_trait]
impl health_server::Health for Health {
    async fn check(
        &self,
        _: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        Ok(Response::new(HealthCheckResponse {
            status: ServingStatus::Serving as i32,
        }))
    }

    async fn list(
        &self,
        _: Request<HealthListRequest>,
    ) -> Result<Response<HealthListResponse>, Status> {
        Err(Status::unimplemented("list"))
    }

    type WatchStream = tokio_stream::Empty<Result<HealthCheckResponse, Status>>;

    async fn watch(
        &self,
        _: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        Err(Status::unimplemented("watch"))
    }
}

/// Credentials by registry host: the explicit ones for the `--image` registries, else the
/// Docker config's (`auths`, `credHelpers`, `credsStore`), looked up when the daemon asks.
#[derive(Clone, Default)]
pub struct Auth {
    explicit: Arc<HashMap<String, RegistryAuth>>,
    config: Option<Arc<DockerConfig>>,
}

impl Auth {
    /// `explicit` maps registry hosts to credentials given on the command line.
    pub fn new(explicit: HashMap<String, RegistryAuth>, config: Option<DockerConfig>) -> Self {
        Self {
            explicit: Arc::new(
                explicit
                    .into_iter()
                    .map(|(k, v)| (registry_host(&k), v))
                    .collect(),
            ),
            config: config.map(Arc::new),
        }
    }
}

#[tonic::async_trait]
impl auth_server::Auth for Auth {
    async fn credentials(
        &self,
        request: Request<CredentialsRequest>,
    ) -> Result<Response<CredentialsResponse>, Status> {
        let host = registry_host(&request.into_inner().host);
        let found = match self.explicit.get(&host) {
            Some(auth) => Some(auth.clone()),
            None => match &self.config {
                Some(config) => {
                    let config = Arc::clone(config);
                    let lookup = host.clone();
                    // A credential helper is a process: keep it off the async threads.
                    tokio::task::spawn_blocking(move || config.credentials(&lookup))
                        .await
                        .map_err(|e| Status::internal(e.to_string()))?
                        // A broken helper means anonymous access, as the Docker CLI does.
                        .unwrap_or(None)
                }
                None => None,
            },
        };
        let response = match found {
            Some(RegistryAuth::Basic { username, password }) => CredentialsResponse {
                username,
                secret: password.expose().clone(),
            },
            Some(RegistryAuth::IdentityToken(token)) => CredentialsResponse {
                username: String::new(),
                secret: token.expose().clone(),
            },
            None => CredentialsResponse::default(),
        };
        Ok(Response::new(response))
    }

    async fn fetch_token(
        &self,
        _: Request<FetchTokenRequest>,
    ) -> Result<Response<FetchTokenResponse>, Status> {
        Err(Status::unimplemented("fetch_token"))
    }

    async fn get_token_authority(
        &self,
        _: Request<GetTokenAuthorityRequest>,
    ) -> Result<Response<GetTokenAuthorityResponse>, Status> {
        Err(Status::unimplemented("get_token_authority"))
    }

    async fn verify_token_authority(
        &self,
        _: Request<VerifyTokenAuthorityRequest>,
    ) -> Result<Response<VerifyTokenAuthorityResponse>, Status> {
        Err(Status::unimplemented("verify_token_authority"))
    }
}
