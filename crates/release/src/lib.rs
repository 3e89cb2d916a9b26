//! Releases: promotion gates and policy evaluation, rollout targets, deployment runs.
//!
//! The modules depend one way: `gate` (policy evaluation, the step walk, the decision record)
//! uses `deploy` (targets, traffic, runs) and `probe`; `deploy` uses `probe`; `probe` (HTTP
//! checks against a running service) uses neither. `rollback` (the rollback state machine)
//! sits on top of `gate` and `deploy`.

pub mod deploy;
pub mod gate;
pub mod probe;
pub mod rollback;
