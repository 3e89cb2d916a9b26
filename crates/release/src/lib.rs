//! Releases: promotion gates and policy evaluation, rollout targets, deployment runs.
//!
//! The modules depend one way: `gate` (policy evaluation, the step walk, the decision record)
//! uses `deploy` (targets, traffic, runs) and `probe`; `deploy` uses `probe`; `probe` (HTTP
//! checks against a running service) uses neither. `promote` and `rollback` (the
//! state machines) sit on top of `gate` and `deploy`; `promote` uses `rollback` too.

pub mod deploy;
pub mod gate;
pub mod probe;
pub mod promote;
pub mod rollback;
