//! One home each for what talks to the machine: exit statuses, secrets (typed, never printed),
//! backoff, the environment, git, and (behind the `signals` feature, so crates without an async runtime
//! can use the rest) SIGINT/SIGTERM.

pub mod backoff;
pub mod env;
pub mod exit;
pub mod git;
pub mod secret;
#[cfg(feature = "signals")]
pub mod signals;
