//! Actions that download a tool and install its latest release unless `with: version:` says
//! otherwise.
//!
//! Source: each action's `action.yml` (`version` input, default `latest`):
//! aquasecurity/setup-trivy and 1password/load-secrets-action; the same two zizmor's
//! `unpinned-tools` audit knows (zizmorcore/zizmor at 11bbf7e).
pub static LATEST_BY_DEFAULT: &[&str] =
    &["aquasecurity/setup-trivy", "1password/load-secrets-action"];
