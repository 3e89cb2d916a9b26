//! Command-line interface: clap derive, one subcommand per capability. No I/O here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use deploy_action_generate::{Notify, PackageManager, Registry, Stack, Target};
use deploy_action_lint::report::Format;

/// Lint GitHub Actions workflows, build and push images, record deployments, and promote the
/// same image digest from staging to production.
///
/// Exit status: 0 success/clean, 1 lint findings at or above --fail-on (default: error), 2 usage
/// or I/O error, 3 refused by a promotion gate, 4 infrastructure failure (daemon, registry,
/// GitHub).
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
    /// Scaffold a build -> staging -> production pipeline (.github/workflows/deploy.yml and
    /// .github/promotion.yml) for this repository.
    GenWorkflow(GenWorkflowArgs),
    /// Print a workflow's job graph as a Mermaid flowchart.
    Graph(GraphArgs),
    /// Deploy an image to an environment and record the deployment.
    Deploy(DeployArgs),
    /// List an environment's deployments, newest first.
    History(HistoryArgs),
    /// Promote the digests running in one environment to the next when every gate of the
    /// promotion policy holds.
    Promote(PromoteArgs),
    /// Redeploy an environment's previous successful deployment.
    Rollback(RollbackArgs),
    /// Run a language server over stdio: lint findings as diagnostics in the editor, quick
    /// fixes, rule documentation on hover.
    Lsp(LspArgs),
}

/// Arguments of `lsp`.
#[derive(Debug, Args)]
pub struct LspArgs {
    /// The shellcheck run on `run:` scripts (as `lint --shellcheck`): a command name looked up
    /// in PATH or a path, or `off`.
    #[arg(long, value_name = "PATH|off", default_value = "shellcheck")]
    pub shellcheck: String,

    /// Talk over standard input and output (the only transport; accepted because editor
    /// clients pass it).
    #[arg(long)]
    pub stdio: bool,
}

/// Result formats of `build` and `tags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// A short summary for people.
    Human,
    /// One JSON object (`"version": 1`).
    Json,
}

/// Which builder `build` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BuilderChoice {
    /// The daemon's built-in BuildKit (`docker build` since Docker 23).
    Buildkit,
    /// The legacy builder (`DOCKER_BUILDKIT=0`).
    Classic,
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

    /// The commit the image is built from (`sha-` tags, revision label). Default: GITHUB_SHA in
    /// GitHub Actions (GITHUB_ACTIONS=true), else `git rev-parse HEAD` in the checkout.
    #[arg(long, value_name = "SHA")]
    pub sha: Option<String>,
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

    /// The platform(s) to build for, comma-separated (`linux/amd64,linux/arm64`); default the
    /// daemon's. Several platforms are built one by one, pushed by digest and joined in an
    /// OCI image index that every tag points at (BuildKit only).
    #[arg(long, value_name = "OS/ARCH[,…]")]
    pub platform: Option<String>,

    /// Cache source, as build-push-action's `cache-from`: an image (`REF`) or
    /// `type=registry,ref=REF`; repeatable. BuildKit reads the inline cache of registry
    /// images; the classic builder uses local images only.
    #[arg(long = "cache-from", value_name = "SPEC")]
    pub cache_from: Vec<String>,

    /// Cache export, as build-push-action's `cache-to`: `type=inline` writes the cache into the
    /// image (pushed with it). Other types need a builder the daemon does not provide and are
    /// refused with the reason (BuildKit only).
    #[arg(long = "cache-to", value_name = "SPEC")]
    pub cache_to: Vec<String>,

    /// A build secret for `RUN --mount=type=secret`: `id=ID,env=VARIABLE` or `id=ID,src=PATH`;
    /// repeatable. Never stored in the image, its labels or the log (BuildKit only).
    #[arg(long = "secret", value_name = "SPEC")]
    pub secrets: Vec<String>,

    /// An SSH agent for `RUN --mount=type=ssh`: `default` (SSH_AUTH_SOCK) or `ID=PATH`
    /// (an agent socket or private key files); repeatable (BuildKit only).
    #[arg(long = "ssh", value_name = "SPEC")]
    pub ssh: Vec<String>,

    /// The builder: `buildkit` (the daemon's built-in BuildKit) or `classic`. Default:
    /// BuildKit when the daemon has it, else the classic builder, with one line saying so.
    #[arg(long, value_enum, value_name = "BUILDER")]
    pub builder: Option<BuilderChoice>,

    /// The Docker context (as `docker --context`) whose daemon builds; default DOCKER_HOST,
    /// then DOCKER_CONTEXT, then the Docker CLI's current context.
    #[arg(long = "docker-context", value_name = "NAME")]
    pub docker_context: Option<String>,

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

/// Where deployments are recorded: GitHub when a token and `GITHUB_REPOSITORY` are set, the
/// local ledger otherwise.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The local ledger used when GitHub is not configured.
    #[arg(long, value_name = "PATH", default_value = deploy_action_records::DEFAULT_LEDGER_PATH)]
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
    /// The rollout happened in earlier steps: only record it (and check `--url`).
    External,
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
    /// Repeatable: the first is the one the target runs, the others (with digests) are
    /// recorded with it.
    #[arg(
        long = "image",
        value_name = "IMAGE",
        required_unless_present = "artifacts"
    )]
    pub images: Vec<String>,

    /// A non-image artifact deployed with the images, `NAME@sha256:…` (e.g. a static site
    /// bundle); repeatable.
    #[arg(long = "artifact", value_name = "NAME@DIGEST")]
    pub artifacts: Vec<String>,

    /// Commit being deployed. Default: GITHUB_SHA in GitHub Actions (GITHUB_ACTIONS=true), else
    /// `git rev-parse HEAD`.
    #[arg(long, value_name = "SHA")]
    pub sha: Option<String>,

    /// Mark the deployment as a production deployment.
    #[arg(long)]
    pub production: bool,

    /// Output format of the result.
    #[arg(long, short = 'f', value_enum, default_value_t = RecordFormat::Human)]
    pub format: RecordFormat,

    /// How the image is rolled out: target, port, URL health check, container name.
    #[command(flatten)]
    pub rollout: TargetArgs,

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

/// How `promote` and `rollback` roll out in the target environment (as `deploy` does).
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Roll out as a Docker container instead of (or besides) a command.
    #[arg(long, value_enum)]
    pub target: Option<DeployTargetKind>,

    /// HOST:CONTAINER port to publish (docker target).
    #[arg(long, value_name = "HOST:CONTAINER", value_parser = clap::value_parser!(deploy_action_release::deploy::PortMapping))]
    pub publish: Option<deploy_action_release::deploy::PortMapping>,

    /// Where users reach the environment; the rollout waits for it to answer 2xx.
    #[arg(long)]
    pub url: Option<String>,

    /// Container name for the docker target (default: from the first image's repository).
    #[arg(long)]
    pub name: Option<String>,

    /// The Docker context (as `docker --context`) whose daemon runs the docker target; default
    /// DOCKER_HOST (with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH), then DOCKER_CONTEXT, then the
    /// Docker CLI's current context, as for `build`.
    #[arg(long = "docker-context", value_name = "NAME")]
    pub docker_context: Option<String>,

    /// Path of the container's health endpoint (docker target).
    #[arg(long, default_value = "/health")]
    pub health_path: String,

    /// How long to wait for health, e.g. `60s`, `2m`.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub health_timeout: std::time::Duration,

    /// The docker target's load balancer image (HAProxy 2.2 or newer), started once as
    /// `<name>-lb` on the same daemon; it owns the published port from then on.
    #[arg(
        long,
        value_name = "IMAGE",
        env = "DEPLOY_ACTION_BALANCER_IMAGE",
        hide_env_values = true,
        default_value = deploy_action_release::deploy::DEFAULT_BALANCER_IMAGE
    )]
    pub balancer_image: String,
}

/// Arguments of `promote`.
///
/// Exit status: 0 promoted (or already promoted), 1 rollout failed, 2 usage or policy error,
/// 3 refused by a gate (or rolled back after failed verification), 4 infrastructure failure,
/// 130 interrupted.
#[derive(Debug, Args)]
pub struct PromoteArgs {
    /// Source environment; must agree with the policy's `from` when both are given.
    #[arg(long)]
    pub from: Option<String>,

    /// Target environment; must agree with the policy's `to` when both are given.
    #[arg(long)]
    pub to: Option<String>,

    /// The promotion policy.
    #[arg(long, value_name = "FILE", default_value = deploy_action_release::gate::DEFAULT_POLICY_PATH)]
    pub policy: PathBuf,

    /// Commit being promoted. Default: GITHUB_SHA in GitHub Actions (GITHUB_ACTIONS=true), else
    /// `git rev-parse HEAD`.
    #[arg(long, value_name = "SHA")]
    pub sha: Option<String>,

    /// Image to promote, `REPOSITORY@sha256:…`; repeatable. Retagged `:TO` and `:TO-<sha7>`.
    #[arg(long = "image", value_name = "REPO@DIGEST")]
    pub images: Vec<String>,

    /// Only evaluate the gates and write the decision (`approved`): record, retag and roll out
    /// nothing, for workflows whose later steps roll out with the cloud's own tools and then
    /// record the deployment with `deploy --target external`.
    #[arg(long, conflicts_with_all = ["target", "publish", "name", "command", "traffic_command"])]
    pub gate_only: bool,

    /// A non-image artifact to promote, `NAME@sha256:…` (e.g. a site bundle); repeatable.
    #[arg(long = "artifact", value_name = "NAME@DIGEST")]
    pub artifacts: Vec<String>,

    /// Where the decision record goes (default `.deploy-action/decisions/<sha7>-<to>.json`).
    #[arg(long, value_name = "PATH")]
    pub decision_file: Option<PathBuf>,

    /// A queued or in-progress deployment of the target younger than this holds the lock.
    #[arg(long, default_value = "30m", value_parser = parse_duration)]
    pub lock_timeout: std::time::Duration,

    /// How the target is rolled out.
    #[command(flatten)]
    pub rollout: TargetArgs,

    /// Moves traffic on a target of your own, once per step of the policy's `rollout.steps`
    /// (and with weight 0 to roll back: all traffic to `{old}`, `{new}` removed). A shell
    /// command line; `{old}`, `{new}`, `{weight}` (percent for the new version) and
    /// `{old_weight}` are replaced, quoted, and also set as DEPLOY_OLD, DEPLOY_NEW,
    /// DEPLOY_WEIGHT and DEPLOY_OLD_WEIGHT.
    #[arg(long, value_name = "CMD", env = "DEPLOY_TRAFFIC_COMMAND", hide_env_values = true, conflicts_with_all = ["target", "command"])]
    pub traffic_command: Option<String>,

    /// Starts the new version beside the old one with no traffic, before the first step (a
    /// shell command line, run with DEPLOY_IMAGE, DEPLOY_DIGEST, DEPLOY_ENVIRONMENT, DEPLOY_SHA).
    /// It may write `old=NAME` and `new=NAME` lines to the file $DEPLOY_OUTPUT to name the
    /// versions for the traffic command (default: the image references).
    #[arg(
        long,
        value_name = "CMD",
        env = "DEPLOY_START_COMMAND",
        hide_env_values = true,
        requires = "traffic_command"
    )]
    pub start_command: Option<String>,

    /// Output format of the result (`json`: the decision record).
    #[arg(long, short = 'f', value_enum, default_value_t = RecordFormat::Human)]
    pub format: RecordFormat,

    /// Where deployments are recorded.
    #[command(flatten)]
    pub store: StoreArgs,

    /// Deploy command, run with DEPLOY_IMAGE, DEPLOY_DIGEST, DEPLOY_ENVIRONMENT and DEPLOY_SHA.
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// Arguments of `rollback`.
///
/// Exit status: 0 rolled back, 1 the redeploy failed, 2 usage (nothing to roll back to),
/// 4 infrastructure failure, 130 interrupted.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The environment to roll back.
    #[arg(long, short = 'e')]
    pub environment: String,

    /// The deployment to restore, by commit SHA (7+ hex digits) or digest; default: the last
    /// successful one before the live one.
    #[arg(long = "to", value_name = "SHA|DIGEST")]
    pub to: Option<String>,

    /// How the restored deployment is rolled out.
    #[command(flatten)]
    pub rollout: TargetArgs,

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

/// The least severe finding that fails `lint` (exit status 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Only errors: what GitHub refuses or fails on (the default).
    Error,
    /// Errors and warnings.
    Warning,
    /// Any finding.
    Note,
}

/// Arguments of `lint`.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 no finding at or above --fail-on; 1 findings at or \
above --fail-on (default: error, which is what GitHub refuses or fails on; warnings are what it \
runs but is probably wrong or unsafe); 2 usage or I/O error."
)]
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

    /// The shellcheck run on `run:` scripts of bash and sh steps: a command name looked up in
    /// PATH or a path, or `off`. When the default is not installed, lint notes it on stderr and
    /// checks everything else.
    #[arg(long, value_name = "PATH|off", default_value = "shellcheck")]
    pub shellcheck: String,

    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = FailOn::Error)]
    pub fail_on: FailOn,

    /// Print the rules (id, severity, summary) and exit; `--format json` prints JSON, any other
    /// format the Markdown reference (docs/rules.md).
    #[arg(long)]
    pub list_rules: bool,

    /// Set by the environment to disable colour.
    #[arg(long, env = "NO_COLOR", hide = true, value_parser = clap::builder::FalseyValueParser::new())]
    pub no_color: bool,

    /// Fix what is safe to fix mechanically (template injection moved to `env:`,
    /// `persist-credentials: false`, `permissions: {}`...), editing the files in place, then
    /// report what is left; `--fix=dry-run` prints the changes as a unified diff and writes
    /// nothing.
    #[arg(long, value_enum, value_name = "MODE", num_args = 0..=1, require_equals = true, default_missing_value = "apply")]
    pub fix: Option<FixMode>,
}

/// What `lint --fix` does with the fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FixMode {
    /// Rewrite the files.
    Apply,
    /// Print a unified diff; change nothing.
    DryRun,
}

/// Arguments of `gen-workflow`. Flags left out come from the `gen-workflow:` section of the
/// config file, then from what the repository's files show, then from the defaults.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 written, printed or up to date; 1 --check found drift; \
2 usage or I/O error.\nRun `deploy-action gen-workflow --list` for every stack, registry and target."
)]
pub struct GenWorkflowArgs {
    /// The project's language (default: detected, else docker).
    #[arg(long, value_enum)]
    pub stack: Option<Stack>,

    /// Where images are pushed (default: ghcr).
    #[arg(long, value_enum)]
    pub registry: Option<Registry>,

    /// Where they are deployed (default: detected, else docker: the runner's own Docker).
    #[arg(long, value_enum)]
    pub target: Option<Target>,

    /// Write the workflow here [default: .github/workflows/deploy.yml in --dir]; the promotion
    /// policy goes to .github/promotion.yml beside it.
    #[arg(long, short = 'o', value_name = "FILE", conflicts_with = "dry_run")]
    pub output: Option<PathBuf>,

    /// Print the files instead of writing them.
    #[arg(long)]
    pub dry_run: bool,

    /// Compare the files on disk with what would be generated; print a unified diff and exit 1
    /// when they differ.
    #[arg(long, conflicts_with = "dry_run")]
    pub check: bool,

    /// Print every stack, registry, target and notification, and exit.
    #[arg(long)]
    pub list: bool,

    /// Configuration file [default: .github/deploy-action.yml in --dir, if present].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The repository to detect from and write into.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,

    /// Pushes to this branch deploy to staging [default: develop].
    #[arg(long, value_name = "BRANCH")]
    pub staging_branch: Option<String>,

    /// Pushes to this branch deploy to staging, then promote to production [default: main].
    #[arg(long, value_name = "BRANCH")]
    pub production_branch: Option<String>,

    /// An image to build and deploy, NAME=PATH/Dockerfile (repeat for several; default: the
    /// Dockerfiles found, else app=Dockerfile).
    #[arg(long = "service", value_name = "NAME=PATH")]
    pub services: Vec<String>,

    /// A static frontend folder to deploy to Azure Static Web Apps beside the services
    /// (default: a folder with staticwebapp.config.json).
    #[arg(long, value_name = "DIR")]
    pub frontend: Option<String>,

    /// uv or pip (python), npm or pnpm (node) [default: detected from lock files].
    #[arg(long, value_enum)]
    pub package_manager: Option<PackageManager>,

    /// Scan the repository with Trivy before building.
    #[arg(long)]
    pub trivy: bool,

    /// Send the outcome of each run to Slack or a webhook.
    #[arg(long, value_enum)]
    pub notify: Option<Notify>,

    /// Base image name [default: the repository folder's name].
    #[arg(long, value_name = "NAME")]
    pub image_name: Option<String>,

    /// Health check path on the app's URL [default: /health; / for static-web-apps].
    #[arg(long, value_name = "PATH")]
    pub health_path: Option<String>,

    /// The port the app listens on in its container [default: the Dockerfile's EXPOSE, else 8080].
    #[arg(long, value_name = "PORT")]
    pub app_port: Option<u16>,

    /// The promotion policy's soak time: how long staging must have run the digest [default: 10m].
    #[arg(long, value_name = "DURATION")]
    pub soak: Option<String>,

    /// Promote step by step: percentages of production's traffic on the new version, rising to
    /// 100, e.g. "25 50 100" (docker, container-apps, app-service, kubernetes targets).
    #[arg(long, value_name = "PERCENTS")]
    pub traffic_steps: Option<String>,

    /// How long each traffic step is watched before the next [default: 1m].
    #[arg(long, value_name = "DURATION")]
    pub step_pause: Option<String>,

    /// Roll back when the error rate (non-2xx and timeouts) exceeds this during a step
    /// [default: 5%].
    #[arg(long, value_name = "RATE")]
    pub max_error_rate: Option<String>,

    /// Roll back when a latency percentile exceeds this during a step, e.g. p95=1s (p50, p95,
    /// p99; comma-separated) [default: p95=1s].
    #[arg(long, value_name = "PCT=DURATION")]
    pub max_latency: Option<String>,

    /// A latency percentile staging must keep before promoting (a smoke gate), e.g. p95=200ms.
    #[arg(long, value_name = "PCT=DURATION")]
    pub staging_max_latency: Option<String>,

    /// The docker target's host port for the first service in staging; production's is 1000
    /// above, each further service one above [default: 8080].
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..=64000))]
    pub host_port: Option<u16>,

    /// The command of the `command` target [default: ./deploy.sh "$DEPLOY_ENVIRONMENT"].
    #[arg(long, value_name = "CMD")]
    pub deploy_command: Option<String>,

    /// How generated workflows reference deploy-action [default: org/deploy-action@v1].
    #[arg(long, value_name = "OWNER/REPO@REF")]
    pub action_ref: Option<String>,
}

/// Arguments of `graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The workflow file.
    pub workflow: PathBuf,
}
