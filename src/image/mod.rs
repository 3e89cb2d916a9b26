//! Container images: build context, tag rules, OCI labels, build and push.
//!
//! Every submodule is pure: callers in `commands/` read the environment, files and git, and
//! hand the results in as values.

pub mod labels;
pub mod tags;
