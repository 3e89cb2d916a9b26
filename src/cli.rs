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
