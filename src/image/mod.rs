//! Images: the build context (`.dockerignore`, tar, content digest), tag rules and OCI labels.

pub mod context;
pub mod dockerignore;
pub mod labels;
pub mod tags;
