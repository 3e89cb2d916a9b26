//! Data the security rules consult, one table per file, each with its source.

pub mod archived;
pub mod popular;
pub mod tools;
