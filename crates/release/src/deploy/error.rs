//! The error type of the deploy subsystem: every message says the cause and the fix.

use deploy_action_records::GithubError;

/// Why a deployment could not be carried out by deploy-action itself. A deployment that ran and
/// failed (command exit status, unhealthy service) is not an error: see
/// [`DeployOutcome`](super::DeployOutcome).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeployError {
    /// The deployment record could not be written or read.
    #[error(transparent)]
    Store(#[from] GithubError),

    /// The Docker daemon could not be reached or refused a request.
    #[error(
        "Docker daemon failed to {action}: {source}; check that DOCKER_HOST points at a running daemon you may use"
    )]
    Docker {
        /// What deploy-action was doing.
        action: String,
        /// bollard's error.
        source: bollard::errors::Error,
    },

    /// The daemon could not be chosen (a bad `DOCKER_HOST`, an unknown context) or reached.
    #[error(transparent)]
    Daemon(#[from] deploy_action_image::ImageError),

    /// The image is neither present locally nor pullable.
    #[error(
        "image {image} was not found locally or in its registry: {reason}; build or push it first, or check the reference"
    )]
    ImageNotFound {
        /// The reference as given.
        image: String,
        /// What the daemon said.
        reason: String,
    },

    /// The image reference has a tag but no digest and there is no way to resolve it.
    #[error(
        "image {image} has no digest and no Docker daemon could resolve it ({reason}); pass IMAGE@sha256:… or make DOCKER_HOST reachable"
    )]
    UnresolvedDigest {
        /// The reference as given.
        image: String,
        /// Why resolving failed.
        reason: String,
    },

    /// The image reference could not be parsed.
    #[error("invalid --image {image}: {reason}; use [registry/]name[:tag][@sha256:…]")]
    BadImage {
        /// The reference as given.
        image: String,
        /// The parser's complaint.
        reason: String,
    },

    /// The user's command could not be started.
    #[error(
        "cannot start the deploy command `{program}`: {source}; check that it is installed and on PATH"
    )]
    Spawn {
        /// The program.
        program: String,
        /// The I/O error.
        source: std::io::Error,
    },

    /// The load balancer of the docker target failed.
    #[error(transparent)]
    Balancer(#[from] BalancerError),

    /// The container never got a host port from Docker.
    #[error(
        "Docker gave container {container} no host port for {container_port}; check the daemon's port publishing (docker-proxy)"
    )]
    NoHostPort {
        /// Container name.
        container: String,
        /// The container port.
        container_port: u16,
    },
}

/// The docker target's load balancer could not be set up or did not do what it was told.
#[derive(Debug, thiserror::Error)]
#[error(
    "the load balancer {container} failed to {action}: {reason}; check `docker logs {container}` (its image must be HAProxy 2.2 or newer: --balancer-image)"
)]
pub struct BalancerError {
    /// The balancer's container.
    pub container: String,
    /// What deploy-action was doing.
    pub action: String,
    /// What went wrong.
    pub reason: String,
}

impl DeployError {
    /// The process exit status for this error: a deployment that could not be carried out is
    /// an infrastructure failure (the rollout itself failing is an outcome, not an error), a
    /// daemon address or context that cannot be used a usage error.
    pub fn exit_code(&self) -> u8 {
        match self {
            // A bad daemon address or context is a usage error, as it is for `build`.
            Self::Daemon(e) => e.exit_code(),
            _ => deploy_action_sys::exit::INFRA,
        }
    }

    /// Wraps a bollard error with what was being done.
    pub(crate) fn docker(action: impl Into<String>) -> impl FnOnce(bollard::errors::Error) -> Self {
        let action = action.into();
        move |source| Self::Docker { action, source }
    }
}
