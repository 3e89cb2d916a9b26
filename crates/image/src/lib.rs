//! Images: the build context (`.dockerignore`, tar, content digest), tag rules, OCI labels,
//! and building, tagging and pushing through the Docker daemon.

pub mod auth;
pub mod build;
pub mod build_job;
pub mod buildkey;
pub mod buildkit;
pub mod cache;
pub mod context;
pub mod daemon;
pub mod dockerignore;
pub mod endpoint;
pub mod error;
pub mod index;
pub mod labels;
pub mod push;
pub mod registry;
pub mod retry;
pub mod tags;
pub mod transport;

pub use error::ImageError;
