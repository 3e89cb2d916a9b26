//! Popular actions, the names typosquatters imitate: lower-case `owner/repo`, sorted.
//!
//! Source: the repositories most referenced by `uses:` across the 1,805 workflows of
//! `../shared/corpus/workflows` (91 projects and GitHub's starter workflows; counted with
//! `grep -o 'uses: owner/repo'`, six uses or more, projects' own shared workflows left out),
//! together with the marketplace actions zizmor's `data/popular-actions.txt` names
//! (zizmorcore/zizmor at 11bbf7e).
pub static POPULAR: &[&str] = &[
    "1password/load-secrets-action",
    "actions/attest-build-provenance",
    "actions/cache",
    "actions/checkout",
    "actions/configure-pages",
    "actions/create-github-app-token",
    "actions/dependency-review-action",
    "actions/deploy-pages",
    "actions/download-artifact",
    "actions/github-script",
    "actions/labeler",
    "actions/setup-dotnet",
    "actions/setup-go",
    "actions/setup-java",
    "actions/setup-node",
    "actions/setup-python",
    "actions/stale",
    "actions/upload-artifact",
    "actions/upload-pages-artifact",
    "anchore/sbom-action",
    "astral-sh/setup-uv",
    "aws-actions/configure-aws-credentials",
    "azure/cli",
    "azure/login",
    "azure/webapps-deploy",
    "cachix/install-nix-action",
    "codecov/codecov-action",
    "denoland/setup-deno",
    "dependabot/fetch-metadata",
    "docker/bake-action",
    "docker/build-push-action",
    "docker/login-action",
    "docker/metadata-action",
    "docker/setup-buildx-action",
    "docker/setup-qemu-action",
    "dorny/paths-filter",
    "dtolnay/rust-toolchain",
    "golangci/golangci-lint-action",
    "google-github-actions/auth",
    "google-github-actions/setup-gcloud",
    "goreleaser/goreleaser-action",
    "gradle/actions",
    "hashicorp/setup-terraform",
    "helm/kind-action",
    "jamesives/github-pages-deploy-action",
    "mikefarah/yq",
    "ncipollo/release-action",
    "ossf/scorecard-action",
    "peaceiris/actions-gh-pages",
    "peter-evans/create-or-update-comment",
    "peter-evans/create-pull-request",
    "pnpm/action-setup",
    "pre-commit/action",
    "pyo3/maturin-action",
    "pypa/gh-action-pypi-publish",
    "release-drafter/release-drafter",
    "ruby/setup-ruby",
    "shivammathur/setup-php",
    "sigstore/cosign-installer",
    "slackapi/slack-github-action",
    "softprops/action-gh-release",
    "step-security/harden-runner",
    "styfle/cancel-workflow-action",
    "swatinem/rust-cache",
    "taiki-e/install-action",
    "tj-actions/changed-files",
];

/// Whether `slug` (lower-case `owner/repo`) is one of the popular actions.
pub fn is_popular(slug: &str) -> bool {
    POPULAR.binary_search(&slug).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_lower_case() {
        assert!(POPULAR.windows(2).all(|w| w[0] < w[1]));
        assert!(POPULAR.iter().all(|s| *s == s.to_ascii_lowercase()));
    }
}
