//! One home each for what talks to the machine: exit statuses, secrets (typed, never printed),
//! backoff, the environment, git, and, behind features (so crates without an async runtime or HTTP,
//! such as lint, can use the rest), the HTTP client set-up (`http`) and SIGINT/SIGTERM
//! (`signals`).

pub mod backoff;
pub mod env;
pub mod exit;
pub mod git;
#[cfg(feature = "http")]
pub mod http;
pub mod secret;
#[cfg(feature = "signals")]
pub mod signals;
