//! Releases: promotion gates and policy evaluation, rollout targets, deployment runs.

pub mod deploy;
pub mod gate;
