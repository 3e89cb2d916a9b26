//! One file per rule; each file's name is the rule id with `_` for `-`.

pub mod action;
pub mod action_metadata;
pub mod credentials;
pub mod deprecated_commands;
pub mod env_var;
pub mod events;
pub mod expression;
pub mod glob;
pub mod id;
pub mod if_cond;
pub mod job_needs;
pub mod matrix;
pub mod permissions;
pub mod runner_label;
pub mod schedule;
pub mod shell_name;
pub mod uses_format;
pub mod workflow_call;
pub mod workflow_schema;
