//! Actions that download a tool and install its latest release unless an input names a
//! version: `(action, the version input)`.
//!
//! Source: each action's `action.yml` (the version input, default `latest` or empty):
//! aquasecurity/setup-trivy (`version`), 1password/load-secrets-action (`version`) and
//! extractions/setup-just (`just-version`); the actions zizmor 1.32's `unpinned-tools` audit
//! knows.
pub static LATEST_BY_DEFAULT: &[(&str, &str)] = &[
    ("aquasecurity/setup-trivy", "version"),
    ("1password/load-secrets-action", "version"),
    ("extractions/setup-just", "just-version"),
];
