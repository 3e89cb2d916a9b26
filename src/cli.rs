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
    /// Build an image through the Docker daemon, tag it by commit, push it, print its digest.
    Build(BuildArgs),
    /// Print the tags `build` would give the images, without building.
    Tags(TagsArgs),
}

/// Result formats of `build` and `tags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// A short summary for people.
    Human,
    /// One JSON object (`"version": 1`).
    Json,
}

/// Which images and tags: shared by `build` and `tags`.
#[derive(Debug, Args)]
pub struct ImageArgs {
    /// An image name without a tag, one per registry (e.g. `ghcr.io/org/app`); repeatable.
    #[arg(long = "image", value_name = "NAME", required = true)]
    pub images: Vec<String>,

    /// Tag rules in docker/metadata-action's `tags` syntax, one per line (e.g.
    /// `type=sha` / `type=ref,event=branch` / `type=semver,pattern={{version}}`).
    /// Default: `sha-<7>`, the full SHA, the branch or `pr-<n>`, semver tags and `latest`.
    #[arg(long, value_name = "RULES")]
    pub tags: Option<String>,

    /// docker/metadata-action's `flavor` input (`latest=auto|true|false`, `prefix=`,
    /// `suffix=`), one per line.
    #[arg(long, value_name = "FLAVOR")]
    pub flavor: Option<String>,
}

/// Arguments of `build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The build context directory.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub context: PathBuf,

    /// The Dockerfile, relative to the current directory. Default: `<context>/Dockerfile`.
    #[arg(long, short = 'f', value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Images and tag rules.
    #[command(flatten)]
    pub image: ImageArgs,

    /// A build argument `KEY=VALUE` (`KEY` alone takes the environment's value); repeatable.
    #[arg(long = "build-arg", value_name = "KEY=VALUE")]
    pub build_args: Vec<String>,

    /// The Dockerfile stage to build.
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,

    /// An extra image label `KEY=VALUE`, overriding the OCI defaults; repeatable.
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,

    /// The platform to build for (`linux/amd64`); default the daemon's.
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,

    /// An image to use as layer cache; repeatable.
    #[arg(long = "cache-from", value_name = "IMAGE")]
    pub cache_from: Vec<String>,

    /// Always pull newer base images (implies --rebuild).
    #[arg(long)]
    pub pull: bool,

    /// Do not use the daemon's layer cache (implies --rebuild).
    #[arg(long)]
    pub no_cache: bool,

    /// Push every tag to its registry and report the manifest digest.
    #[arg(long)]
    pub push: bool,

    /// Build even when an image with the same build key exists in the daemon or registry.
    #[arg(long)]
    pub rebuild: bool,

    /// Registry user name, used with --registry-password-stdin for every --image registry.
    #[arg(long, value_name = "USER", requires = "registry_password_stdin")]
    pub registry_username: Option<String>,

    /// Read the registry password (or token) from standard input.
    #[arg(long, requires = "registry_username")]
    pub registry_password_stdin: bool,

    /// Result format on standard output (progress always goes to standard error).
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

/// Arguments of `tags`.
#[derive(Debug, Args)]
pub struct TagsArgs {
    /// Images and tag rules.
    #[command(flatten)]
    pub image: ImageArgs,

    /// The git checkout to read the commit, branch and tags from (outside GitHub Actions).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,

    /// Output: one `image:tag` per line, or JSON.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
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
