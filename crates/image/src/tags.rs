//! Docker tags for a build, as pure functions of a [`GitContext`].
//!
//! Two ways to choose tags:
//! - [`default_tags`]: deploy-action's default set (`sha-<7 hex>`, the full SHA, the branch
//!   name, `pr-<n>`, `1.2.3`/`1.2`/`1` for a semver tag, `latest` for the highest stable one).
//! - [`compute_tags`] with [`TagRules`] and [`Flavor`] parsed from docker/metadata-action's
//!   `tags` and `flavor` syntax, evaluated with its documented semantics (see the README of
//!   docker/metadata-action, sections "tags input", "flavor input" and "Notes").
//!
//! [`ImageRef`] parses and validates the `--image` names the tags are attached to.
//! Nothing here reads the environment, files or git: callers pass what they read.

mod context;
mod engine;
mod error;
mod pep440;
mod reference;
mod regex;
mod rules;
mod template;

#[cfg(test)]
mod tests_events;
#[cfg(test)]
mod tests_rules;

pub use context::GitContext;
pub use engine::{TagList, TagOptions, compute_tags, default_tags, sanitize_tag};
pub use error::{ImageRefProblem, RuleProblem, TagError};
pub use reference::{DOCKER_HUB, ImageRef};
pub use rules::{Flavor, LatestMode, RefEvent, ShaFormat, TagRule, TagRules};
pub use template::expand_global_expressions;
