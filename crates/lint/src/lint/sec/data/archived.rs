//! Repositories of actions and reusable workflows that their owners have archived (read-only,
//! no more fixes), lower-case `owner/repo`, sorted.
//!
//! Source: the "This repository has been archived by the owner" state of each repository on
//! github.com; the selection is the archived actions that real workflows still use, checked
//! against zizmor's `crates/zizmor/data/archived-repos.txt` (zizmorcore/zizmor at 11bbf7e,
//! 2026-08-22). Add a repository here when GitHub shows it archived.
pub static ARCHIVED: &[&str] = &[
    "8398a7/action-slack",
    "actions-rs/audit-check",
    "actions-rs/cargo",
    "actions-rs/clippy-check",
    "actions-rs/components-nightly",
    "actions-rs/grcov",
    "actions-rs/install",
    "actions-rs/tarpaulin",
    "actions-rs/toolchain",
    "actions/create-release",
    "actions/setup-elixir",
    "actions/setup-haskell",
    "actions/setup-ruby",
    "actions/upload-release-asset",
    "azure/appservice-actions",
    "azure/container-actions",
    "azure/container-scan",
    "azure/get-keyvault-secrets",
    "azure/k8s-actions",
    "azure/manage-azure-policy",
    "azure/spring-cloud-deploy",
    "azure/webapps-container-deploy",
    "cedrickring/golang-action",
    "cirrus-actions/rebase",
    "crazy-max/ghaction-docker-buildx",
    "facebook/pysa-action",
    "gradle/gradle-build-action",
    "ilshidur/action-slack",
    "jakejarvis/s3-sync-action",
    "marvinpinto/action-automatic-releases",
    "marvinpinto/actions",
    "maxheld83/ghpages",
    "paambaati/codeclimate-action",
    "repo-sync/pull-request",
    "repo-sync/repo-sync",
    "semgrep/semgrep-action",
    "sonarsource/sonarcloud-github-action",
    "svenstaro/upx-action",
    "technote-space/auto-cancel-redundant-workflow",
    "technote-space/get-diff-action",
    "tibdex/github-app-token",
];

/// Whether `owner/repo` (any case) is archived.
pub fn is_archived(owner: &str, repo: &str) -> bool {
    // `owner/repo` in lower case, made on the stack (every step's `uses:` is looked up), then
    // found by comparing whole slices: no entry is longer than the buffer.
    let mut buf = [0u8; 64];
    let len = owner.len() + 1 + repo.len();
    let Some(slug) = buf.get_mut(..len) else {
        return false;
    };
    slug[..owner.len()].copy_from_slice(owner.as_bytes());
    slug[owner.len()] = b'/';
    slug[owner.len() + 1..].copy_from_slice(repo.as_bytes());
    slug.make_ascii_lowercase();
    let slug: &[u8] = slug;
    ARCHIVED
        .binary_search_by(|entry| entry.as_bytes().cmp(slug))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_lower_case() {
        assert!(ARCHIVED.windows(2).all(|w| w[0] < w[1]));
        assert!(ARCHIVED.iter().all(|s| *s == s.to_ascii_lowercase()));
        assert!(is_archived("Actions", "Setup-Ruby"));
        assert!(!is_archived("ruby", "setup-ruby"));
        // Every entry fits the buffer the look-up lowers into; a longer name is none of them.
        assert!(ARCHIVED.iter().all(|s| s.len() <= 64));
        assert!(!is_archived(&"a".repeat(70), "x"));
        for entry in ARCHIVED {
            let (owner, repo) = entry.split_once('/').expect("owner/repo");
            assert!(is_archived(&owner.to_ascii_uppercase(), repo));
        }
    }
}
