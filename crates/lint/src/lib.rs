//! Lints GitHub Actions workflows and `action.yml` files: YAML with spans, the workflow model,
//! the `${{ }}` language, the rules and the renderers. No async runtime, no Docker, no HTTP:
//! pre-commit hooks and editors link only this.

pub mod bytes;
pub mod expr;
pub mod lint;
pub mod policy;
pub mod report;
pub mod suggest;
pub mod workflow;
