//! Data the security rules consult, one table per file, each with its source.

pub mod archived;
pub mod cache;
pub mod contexts;
pub mod github_app;
pub mod permissions;
pub mod popular;
pub mod publishing;
pub mod sinks;
pub mod tools;
