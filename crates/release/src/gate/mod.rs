//! Promotion: the policy (`.github/promotion.yml`), gate evaluation with evidence, the decision
//! record, and moving a digest to the target's tags by manifest copy.
//!
//! Nothing here reads the environment or prints; `commands/promote.rs` hands in the variables,
//! the store and a progress callback.

pub mod analysis;
mod error;
mod eval;
pub use deploy_action_lint::policy;
mod record;
mod retag;
mod staged;
pub mod steps;

pub use error::GateError;
pub use eval::{ChecksSource, GateResult, Subject, Verdict, evaluate, verify_round};
pub use policy::{DEFAULT_POLICY_PATH, Policy, PolicyProblem, parse_duration};
pub use record::{Decision, DecisionKind};
pub use retag::{registries, retag, retag_all};
pub use staged::{RECORDS_READ, staged_artifacts};
