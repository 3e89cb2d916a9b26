//! The one list of rules. Adding a rule means adding it here and to `docs/rules.md`.

use super::rules::action::ActionRule;
use super::rules::deprecated_commands::DeprecatedCommands;
use super::rules::expression::Expression;
use super::rules::if_cond::IfCond;
use super::rules::workflow_call::WorkflowCall;
use super::rules::{
    action_metadata::ActionMetadata, credentials::Credentials, env_var::EnvVar, events::Events,
    glob::Glob, id::Id, job_needs::JobNeeds, matrix::Matrix, permissions::Permissions,
    runner_label::RunnerLabel, schedule::Schedule, shell_name::ShellName, uses_format::UsesFormat,
    workflow_schema::WorkflowSchema,
};
use super::{Rule, RuleMeta, YAML_SYNTAX};

static RULES: &[&dyn Rule] = &[
    &WorkflowSchema,
    &Events,
    &Schedule,
    &Glob,
    &RunnerLabel,
    &JobNeeds,
    &Id,
    &UsesFormat,
    &Matrix,
    &Permissions,
    &ShellName,
    &EnvVar,
    &Credentials,
    &ActionMetadata,
    &Expression,
    &IfCond,
    &DeprecatedCommands,
    &WorkflowCall,
    &ActionRule,
];

/// Every rule, in the order they run.
pub fn all() -> &'static [&'static dyn Rule] {
    RULES
}

/// Metadata of every rule id a finding can carry, including `yaml-syntax`.
pub fn metas() -> Vec<&'static RuleMeta> {
    std::iter::once(&YAML_SYNTAX)
        .chain(RULES.iter().map(|r| r.meta()))
        .collect()
}

/// Looks up a rule's metadata by id.
pub fn meta(id: &str) -> Option<&'static RuleMeta> {
    metas().into_iter().find(|m| m.id == id)
}
