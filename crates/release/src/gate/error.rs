//! The error type of the promotion gate: every message says the cause and the fix.

use std::path::PathBuf;

use super::policy::PolicyProblem;
use crate::deploy::DeployError;
use deploy_action_image::ImageError;
use deploy_action_records::GithubError;

/// Why a promotion could not be carried out by deploy-action itself. A gate that refuses is not
/// an error: it is a [`GateResult`](super::GateResult) with a failing verdict.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GateError {
    /// The policy file could not be read.
    #[error(
        "cannot read the promotion policy {path}: {source}; pass --policy FILE or create it (deploy-action gen-workflow writes one)"
    )]
    PolicyRead {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },

    /// The policy file has problems.
    #[error("{path}:{first}{more}")]
    Policy {
        /// The file.
        path: PathBuf,
        /// The first problem.
        first: PolicyProblem,
        /// `" (and N more problems)"` or empty.
        more: String,
        /// Every problem.
        all: Vec<PolicyProblem>,
    },

    /// The command line and the policy disagree, or something is missing.
    #[error("{0}")]
    Usage(String),

    /// Retagging in the registry failed.
    #[error("cannot retag {image} as :{tag} in its registry: {source}")]
    Retag {
        /// The image.
        image: String,
        /// The tag.
        tag: String,
        /// The registry error.
        source: Box<ImageError>,
    },

    /// The deployment records could not be read or written.
    #[error(transparent)]
    Store(#[from] GithubError),

    /// The rollout could not be carried out.
    #[error(transparent)]
    Deploy(#[from] DeployError),
}

impl GateError {
    /// The process exit status for this error: the policy and the command line are the
    /// user's to fix (usage); the registry, the store and the rollout are infrastructure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::PolicyRead { .. } | Self::Policy { .. } | Self::Usage(_) => {
                deploy_action_sys::exit::USAGE
            }
            Self::Retag { .. } => deploy_action_sys::exit::INFRA,
            Self::Store(e) => e.exit_code(),
            Self::Deploy(e) => e.exit_code(),
        }
    }

    /// The error for a policy with `problems` (not empty).
    pub fn policy(path: PathBuf, problems: Vec<PolicyProblem>) -> Self {
        let more = match problems.len() {
            0 | 1 => String::new(),
            n => format!(
                " (and {} more problem{})",
                n - 1,
                if n == 2 { "" } else { "s" }
            ),
        };
        let first = problems.first().cloned().unwrap_or(PolicyProblem {
            line: 1,
            col: 1,
            message: "invalid policy".into(),
            offset: 0,
        });
        Self::Policy {
            path,
            first,
            more,
            all: problems,
        }
    }
}
