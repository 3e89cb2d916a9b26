//! One home each for what talks to the machine: exit statuses, secrets (typed, never printed).

pub mod exit;
pub mod secret;
