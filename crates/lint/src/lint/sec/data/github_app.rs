//! GitHub App permissions that concern only the organisation, never a repository: a token
//! limited to them cannot touch a repository, so it needs no `repositories:` list.
//!
//! Source: the `permission-*` inputs of actions/create-github-app-token (its `action.yml`),
//! against GitHub's "Permissions required for GitHub Apps" (organization permissions); the same
//! set zizmor's `github-app` audit uses (zizmorcore/zizmor at 11bbf7e). Sorted.
pub static ORG_ONLY_PERMISSIONS: &[&str] = &[
    "permission-custom-properties-for-organizations",
    "permission-enterprise-custom-properties-for-organizations",
    "permission-members",
    "permission-organization-administration",
    "permission-organization-announcement-banners",
    "permission-organization-copilot-seat-management",
    "permission-organization-custom-org-roles",
    "permission-organization-custom-properties",
    "permission-organization-custom-roles",
    "permission-organization-events",
    "permission-organization-hooks",
    "permission-organization-packages",
    "permission-organization-personal-access-token-requests",
    "permission-organization-personal-access-tokens",
    "permission-organization-plan",
    "permission-organization-projects",
    "permission-organization-secrets",
    "permission-organization-self-hosted-runners",
    "permission-organization-user-blocking",
];

#[cfg(test)]
mod tests {
    #[test]
    fn sorted() {
        assert!(super::ORG_ONLY_PERMISSIONS.windows(2).all(|w| w[0] < w[1]));
    }
}
