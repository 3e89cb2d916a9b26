//! Deploying an image to an environment: record the deployment, roll the image out with a
//! target (the user's command or a Docker container), wait for health, record the outcome.
//!
//! Nothing here reads the environment or prints; `commands/deploy.rs` hands in what is needed
//! and receives progress through a callback.

mod balancer;
mod command_target;
mod docker_target;
mod error;
mod health;
mod run;
mod store;
mod traffic;

pub use balancer::DEFAULT_BALANCER_IMAGE;
pub use command_target::{CommandTarget, OutputTo, Running};
pub use docker_target::{
    Candidate, DaemonChoice, DockerTarget, PortMapping, ResolvedImage, connect, container_name,
    resolve_image,
};
pub use error::{BalancerError, DeployError};
pub use health::{HealthCheck, wait_healthy};
pub use run::{
    DeployOutcome, DeployPlan, Target, deploy, deploy_recorded, docker_labels, docker_name, record,
};
pub use store::AnyStore;
pub use traffic::{CommandTraffic, DockerTraffic, Traffic};
