//! The process environment: the one place deploy-action reads it. Library crates never call
//! this; `commands/` reads what a library needs and hands it over.

/// Reads an environment variable; unset, empty and non-UTF-8 values are all `None`.
pub fn var(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// The URL of the workflow run, when in GitHub Actions (`GITHUB_SERVER_URL`,
/// `GITHUB_REPOSITORY` and `GITHUB_RUN_ID` all set, as `get` reads them).
pub fn run_url(get: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    match (
        get("GITHUB_SERVER_URL"),
        get("GITHUB_REPOSITORY"),
        get("GITHUB_RUN_ID"),
    ) {
        (Some(server), Some(repo), Some(run)) => Some(format!(
            "{}/{repo}/actions/runs/{run}",
            server.trim_end_matches('/')
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_url_needs_all_three_variables() {
        let all = |k: &str| match k {
            "GITHUB_SERVER_URL" => Some("https://github.com/".to_owned()),
            "GITHUB_REPOSITORY" => Some("org/app".to_owned()),
            "GITHUB_RUN_ID" => Some("42".to_owned()),
            _ => None,
        };
        assert_eq!(
            run_url(&all).as_deref(),
            Some("https://github.com/org/app/actions/runs/42")
        );
        let partial = |k: &str| all(k).filter(|_| k != "GITHUB_RUN_ID");
        assert_eq!(run_url(&partial), None);
    }
}
