//! YAML with spans, and the typed models of workflows and action metadata built on it.
//! No rule logic lives here: the model is lenient and rules report what is wrong.

pub mod action;
pub mod action_docs;
pub mod model;
pub mod position;
pub mod yaml;
