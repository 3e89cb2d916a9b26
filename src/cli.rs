//! Command-line interface: clap derive, one subcommand per capability. No I/O here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::Format;

/// Lint GitHub Actions workflows, build and push images, record deployments, and promote the
/// same image digest from staging to production.
///
/// Exit status: 0 success/clean, 1 lint findings at error severity, 2 usage or I/O error,
/// 3 refused by a promotion gate, 4 infrastructure failure (daemon, registry, GitHub).
#[derive(Debug, Parser)]
#[command(name = "deploy-action", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check workflow files and action metadata.
    Lint(LintArgs),
    /// Deploy an image to an environment and record the deployment.
    Deploy(DeployArgs),
    /// List an environment's deployments, newest first.
    History(HistoryArgs),
}

/// Where deployments are recorded: GitHub when a token and `GITHUB_REPOSITORY` are set, the
/// local ledger otherwise.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The local ledger used when GitHub is not configured.
    #[arg(long, value_name = "PATH", default_value = crate::github::DEFAULT_LEDGER_PATH)]
    pub ledger: PathBuf,

    /// The environment variable that holds the GitHub token.
    #[arg(long, value_name = "NAME", default_value = "GITHUB_TOKEN")]
    pub github_token_env: String,
}

/// Result format of `deploy` and `history`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum RecordFormat {
    /// Lines for people.
    #[default]
    Human,
    /// A versioned JSON document (`"version": 1`).
    Json,
}

/// How `deploy` rolls the image out besides running a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeployTargetKind {
    /// One container per image repository and environment on the Docker daemon.
    Docker,
}

/// Arguments of `deploy`.
///
/// Exit status: 0 deployed, 1 deploy failed (command non-zero, service unhealthy), 2 usage,
/// 4 infrastructure (GitHub, ledger or Docker daemon unreachable), 130 interrupted.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// Target environment, e.g. `staging`.
    #[arg(long, short = 'e')]
    pub environment: String,

    /// Image to deploy, `[registry/]name[:tag][@sha256:…]`; a tag is resolved to a digest.
    #[arg(long)]
    pub image: String,

    /// Where users reach the environment; deploy waits for it to answer 2xx.
    #[arg(long)]
    pub url: Option<String>,

    /// Roll out as a Docker container instead of (or besides) a command.
    #[arg(long, value_enum)]
    pub target: Option<DeployTargetKind>,

    /// HOST:CONTAINER port to publish (docker target).
    #[arg(long, value_name = "HOST:CONTAINER", value_parser = clap::value_parser!(crate::deploy::PortMapping))]
    pub publish: Option<crate::deploy::PortMapping>,

    /// Path of the container's health endpoint (docker target).
    #[arg(long, default_value = "/health")]
    pub health_path: String,

    /// How long to wait for health, e.g. `60s`, `2m`.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub health_timeout: std::time::Duration,

    /// Commit being deployed. Default: GITHUB_SHA, else `git rev-parse HEAD`.
    #[arg(long)]
    pub sha: Option<String>,

    /// Mark the deployment as a production deployment.
    #[arg(long)]
    pub production: bool,

    /// Output format of the result.
    #[arg(long, short = 'f', value_enum, default_value_t = RecordFormat::Human)]
    pub format: RecordFormat,

    /// Where deployments are recorded.
    #[command(flatten)]
    pub store: StoreArgs,

    /// Deploy command, run with DEPLOY_IMAGE, DEPLOY_DIGEST, DEPLOY_ENVIRONMENT and DEPLOY_SHA.
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// Arguments of `history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The environment.
    pub environment: String,

    /// Show at most this many deployments.
    #[arg(long, short = 'n')]
    pub limit: Option<usize>,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = RecordFormat::Human)]
    pub format: RecordFormat,

    /// Where deployments are recorded.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Parses `90`, `90s`, `2m`, `500ms`, `1h`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 60s or 2m"))?;
    let secs = |m: u64| std::time::Duration::from_secs(n.saturating_mul(m));
    match unit {
        "" | "s" => Ok(secs(1)),
        "m" => Ok(secs(60)),
        "h" => Ok(secs(3600)),
        "ms" => Ok(std::time::Duration::from_millis(n)),
        _ => Err(format!(
            "unknown unit `{unit}` in `{text}`; use ms, s, m or h"
        )),
    }
}

/// When to colour human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Arguments of `lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files or directories to lint; `-` reads standard input. Default: the repository's
    /// `.github/workflows/*.y{a,}ml` and every `action.y{a,}ml`.
    pub paths: Vec<PathBuf>,

    /// Output format. Default: human (plus GitHub annotations when GITHUB_ACTIONS=true).
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<Format>,

    /// The path to report for standard input (`-`); also decides workflow vs action metadata.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<String>,

    /// Configuration file. Default: `.github/deploy-action.yml` of the repository, if present.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// When to use colour in human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Set by GitHub Actions; adds annotations to human output.
    #[arg(long, env = "GITHUB_ACTIONS", hide = true, value_parser = clap::builder::FalseyValueParser::new())]
    pub github_actions: bool,

    /// Print the rules (id, severity, summary) and exit; `--format json` prints JSON, any other
    /// format the Markdown reference (docs/rules.md).
    #[arg(long)]
    pub list_rules: bool,

    /// Set by the environment to disable colour.
    #[arg(long, env = "NO_COLOR", hide = true, value_parser = clap::builder::FalseyValueParser::new())]
    pub no_color: bool,
}
