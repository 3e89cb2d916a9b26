//! Container images: the build context sent to the Docker daemon, tag rules, build and push.

pub mod context;
pub mod dockerignore;
