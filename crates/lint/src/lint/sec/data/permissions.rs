//! Token permission scopes: how much harm `write` on each can do, and what the token needs
//! for the actions whose needs are known.
//!
//! Source: GitHub's "Controlling permissions for GITHUB_TOKEN" and "Permissions required for
//! GitHub Apps" (what each scope allows); the ratings follow zizmor's `excessive-permissions`
//! audit (zizmorcore/zizmor at 11bbf7e). The actions' needs come from their documentation
//! and `action.yml` (a `token` input defaulting to `github.token` means the action uses it).

use crate::lint::AuditSeverity;

/// zizmor's severity of `<scope>: write` at the workflow level, by scope.
pub static WRITE_SEVERITY: &[(&str, AuditSeverity)] = &[
    ("actions", AuditSeverity::High),
    ("artifact-metadata", AuditSeverity::Medium),
    ("attestations", AuditSeverity::High),
    ("checks", AuditSeverity::Medium),
    ("code-quality", AuditSeverity::Medium),
    ("contents", AuditSeverity::High),
    ("deployments", AuditSeverity::High),
    ("discussions", AuditSeverity::Medium),
    ("id-token", AuditSeverity::High),
    ("issues", AuditSeverity::High),
    ("models", AuditSeverity::Low),
    ("packages", AuditSeverity::High),
    ("pages", AuditSeverity::High),
    ("pull-requests", AuditSeverity::High),
    ("repository-projects", AuditSeverity::Medium),
    ("security-events", AuditSeverity::Medium),
    ("statuses", AuditSeverity::Low),
];

/// The severity of `<scope>: write`; medium for scopes not in the table.
pub fn write_severity(scope: &str) -> AuditSeverity {
    WRITE_SEVERITY
        .iter()
        .find(|(s, _)| *s == scope)
        .map_or(AuditSeverity::Medium, |(_, sev)| *sev)
}

/// Actions whose token needs are known, with the scopes they need (`read` each). Everything
/// else may use the token in ways we cannot see.
pub static KNOWN_NEEDS: &[(&str, &[&str])] = &[
    ("actions/cache", &[]),
    ("actions/cache/restore", &[]),
    ("actions/cache/save", &[]),
    ("actions/checkout", &["contents"]),
    ("actions/download-artifact", &[]),
    ("actions/setup-dotnet", &[]),
    ("actions/setup-go", &[]),
    ("actions/setup-java", &[]),
    ("actions/setup-node", &[]),
    ("actions/setup-python", &[]),
    ("actions/upload-artifact", &[]),
    ("astral-sh/setup-uv", &[]),
    ("docker/setup-buildx-action", &[]),
    ("docker/setup-qemu-action", &[]),
    ("dtolnay/rust-toolchain", &[]),
    ("swatinem/rust-cache", &[]),
];
