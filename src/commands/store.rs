//! Chooses where deployments are recorded from the environment: GitHub when a token and
//! `GITHUB_REPOSITORY` are set, the local ledger otherwise.

use anyhow::{Context, bail};

use crate::cli::StoreArgs;
use deploy_action_records::{GithubConfig, GithubStore, LedgerStore, Secret};
use deploy_action_release::deploy::AnyStore;

/// The chosen store and the token it uses, if any (to mask it in the job log).
#[derive(Debug)]
pub struct Selected {
    /// The store.
    pub store: AnyStore,
    /// The GitHub token, when the store is GitHub.
    pub token: Option<Secret<String>>,
}

/// Picks the backend. `get` reads an environment variable.
pub fn select(args: &StoreArgs, get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<Selected> {
    let token = get(&args.github_token_env).filter(|t| !t.trim().is_empty());
    let repository = get("GITHUB_REPOSITORY").filter(|r| !r.is_empty());
    let (Some(token), Some(repository)) = (token, repository) else {
        return Ok(Selected {
            store: AnyStore::Ledger(LedgerStore::new(&args.ledger)),
            token: None,
        });
    };
    let token = Secret::new(token);
    let Some((owner, repo)) = repository.split_once('/') else {
        bail!("GITHUB_REPOSITORY is `{repository}`, not owner/name; set it as GitHub does");
    };
    let api_url = get("GITHUB_API_URL")
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "https://api.github.com".to_owned());
    let store = GithubStore::new(GithubConfig::new(&api_url, owner, repo, token.clone()))
        .context("cannot use GitHub deployments")?;
    Ok(Selected {
        store: AnyStore::Github(Box::new(store)),
        token: Some(token),
    })
}

/// [`select`], then the token's `::add-mask::` line on stdout when running in Actions, before
/// anything else is printed.
pub fn select_masked(
    args: &StoreArgs,
    get: &impl Fn(&str) -> Option<String>,
    runner: &crate::runner::Runner,
) -> anyhow::Result<Selected> {
    let selected = select(args, get)?;
    if let Some(mask) = selected
        .token
        .as_ref()
        .and_then(|t| runner.mask_command(t.expose()))
    {
        super::emit(&mask)?;
    }
    Ok(selected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> StoreArgs {
        StoreArgs {
            ledger: "l.json".into(),
            github_token_env: "GITHUB_TOKEN".into(),
        }
    }

    #[test]
    fn github_needs_both_token_and_repository() {
        let only_token = |k: &str| (k == "GITHUB_TOKEN").then(|| "t".to_owned());
        let s = select(&args(), &only_token).expect("ledger");
        assert!(matches!(s.store, AnyStore::Ledger(_)));
        let both = |k: &str| match k {
            "GITHUB_TOKEN" => Some("t".to_owned()),
            "GITHUB_REPOSITORY" => Some("o/r".to_owned()),
            _ => None,
        };
        let s = select(&args(), &both).expect("github");
        assert!(matches!(s.store, AnyStore::Github(_)));
        assert!(s.token.is_some());
    }
}
