//! One file per rule; each file's name is the rule id with `_` for `-`.

pub mod action_metadata;
pub mod credentials;
pub mod deploy_concurrency;
pub mod deploy_environment;
pub mod deploy_from_fork;
pub mod deploy_mutable_tag;
pub mod deploy_production_gate;
pub mod env_var;
pub mod events;
pub mod excessive_permissions;
pub mod glob;
pub mod id;
pub mod job_needs;
pub mod matrix;
pub mod permissions;
pub mod pr_target_checkout;
pub mod runner_label;
pub mod schedule;
pub mod script_injection;
pub mod secrets_inherit;
pub mod shell_name;
pub mod uses_format;
pub mod workflow_schema;
