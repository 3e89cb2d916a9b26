//! deploy-action: lint GitHub Actions workflows, build and push images, record deployments and
//! promote the same digest from staging to production.
//!
//! The binary in `main.rs` is thin; everything it does is reachable from here so that tests,
//! benchmarks and fuzz targets call the same code.

pub mod cli;
pub mod commands;
pub mod deploy;
pub mod expr;
pub mod gate;
pub mod generate;
pub mod github;
pub mod image;
pub mod lint;
pub mod lsp;
pub mod report;
pub mod runner;
pub mod secret;
pub mod suggest;
pub mod workflow;
