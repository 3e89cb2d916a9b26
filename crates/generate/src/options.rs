//! What a generated pipeline is made of: stack, registry, target, services and the rest, as
//! typed values. [`Options`] is complete and validated; it is what the templates are rendered
//! from (through [`crate::plan`]).

use std::fmt;

use super::GenerateError;

/// Declares a closed set of names with their kebab-case spelling, used by the CLI, the config
/// file and `--list`.
macro_rules! names {
    ($(#[$doc:meta])* $ty:ident { $($(#[$vdoc:meta])* $var:ident = $name:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
        pub enum $ty {
            $($(#[$vdoc])* #[value(name = $name)] $var),+
        }

        impl $ty {
            /// Every value, in the order `--list` shows them.
            pub const ALL: &'static [$ty] = &[$($ty::$var),+];

            /// The kebab-case name used on the command line and in templates.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$var => $name),+ }
            }

            /// Parses the kebab-case name.
            pub fn parse(s: &str) -> Option<$ty> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

names! {
    /// The language and toolchain of the project, which decides the test job.
    Stack {
        /// pytest, ruff, mypy with uv or pip.
        Python = "python",
        /// lint, vitest or jest, tsc with npm or pnpm.
        Node = "node",
        /// cargo fmt, clippy, test.
        Rust = "rust",
        /// go vet, go test.
        Go = "go",
        /// Only Dockerfiles: `docker build --check`.
        Docker = "docker",
    }
}

names! {
    /// Where images are pushed.
    Registry {
        /// GitHub Container Registry (the workflow's token).
        Ghcr = "ghcr",
        /// Azure Container Registry (azure/login with OIDC).
        Acr = "acr",
        /// Amazon ECR (configure-aws-credentials with OIDC).
        Ecr = "ecr",
        /// Google Artifact Registry (workload identity federation).
        Gar = "gar",
        /// Docker Hub (user name and access token).
        Dockerhub = "dockerhub",
        /// Any registry with a user name and password.
        Generic = "generic",
    }
}

names! {
    /// Where the images (or the static site) are deployed.
    Target {
        /// Azure Container Apps: a new revision per deploy.
        ContainerApps = "container-apps",
        /// Azure Static Web Apps: the frontend's static site.
        StaticWebApps = "static-web-apps",
        /// Azure App Service with a staging slot and a swap.
        AppService = "app-service",
        /// Kubernetes with kubectl set image and rollout status.
        Kubernetes = "kubernetes",
        /// Helm upgrade --install --atomic on AKS.
        Helm = "helm",
        /// A Docker host running docker compose, over SSH.
        Ssh = "ssh",
        /// A command of your own (--deploy-command).
        Command = "command",
        /// The runner's own Docker (deploy-action deploy --target docker).
        Docker = "docker",
        /// Google Cloud Run.
        CloudRun = "cloud-run",
        /// Amazon ECS.
        Ecs = "ecs",
    }
}

names! {
    /// Where to send the outcome of a run.
    Notify {
        /// A Slack incoming webhook (SLACK_WEBHOOK_URL).
        Slack = "slack",
        /// A JSON POST to any URL (DEPLOY_WEBHOOK_URL).
        Webhook = "webhook",
    }
}

names! {
    /// The package manager of a Python or Node project.
    PackageManager {
        /// uv (uv.lock).
        Uv = "uv",
        /// pip (requirements.txt or pyproject.toml).
        Pip = "pip",
        /// npm (package-lock.json).
        Npm = "npm",
        /// pnpm (pnpm-lock.yaml).
        Pnpm = "pnpm",
    }
}

impl PackageManager {
    /// Whether this package manager belongs to the stack.
    pub fn fits(self, stack: Stack) -> bool {
        matches!(
            (self, stack),
            (PackageManager::Uv | PackageManager::Pip, Stack::Python)
                | (PackageManager::Npm | PackageManager::Pnpm, Stack::Node)
        )
    }
}

impl Target {
    /// Whether the target runs container images (all but Static Web Apps).
    pub fn runs_images(self) -> bool {
        self != Target::StaticWebApps
    }

    /// Whether the target logs in to a cloud with OIDC (`id-token: write` on its jobs).
    pub fn uses_oidc(self) -> bool {
        matches!(
            self,
            Target::ContainerApps
                | Target::AppService
                | Target::Helm
                | Target::CloudRun
                | Target::Ecs
        )
    }
}

impl Registry {
    /// Whether logging in to the registry uses OIDC (`id-token: write`).
    pub fn uses_oidc(self) -> bool {
        matches!(self, Registry::Acr | Registry::Ecr | Registry::Gar)
    }
}

/// A container image built from a Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Lower-case name: job ids, Kubernetes names and variable prefixes derive from it.
    pub name: String,
    /// Path of the Dockerfile, relative to the repository, with `/`.
    pub dockerfile: String,
    /// Build context: the Dockerfile's folder (`.` for the root).
    pub context: String,
}

impl Service {
    /// Parses `NAME=PATH/Dockerfile`; the context is the Dockerfile's folder.
    pub fn parse(spec: &str) -> Result<Service, GenerateError> {
        let bad = |why: &str| GenerateError::BadService {
            spec: spec.to_string(),
            why: why.to_string(),
        };
        let (name, path) = spec
            .split_once('=')
            .ok_or_else(|| bad("expected NAME=PATH/Dockerfile"))?;
        let name = name.trim();
        let path = path.trim().trim_start_matches("./").replace('\\', "/");
        Service::new(name, &path).map_err(|e| match e {
            GenerateError::BadService { why, .. } => bad(&why),
            other => other,
        })
    }

    /// A service from its name and Dockerfile path.
    pub fn new(name: &str, dockerfile: &str) -> Result<Service, GenerateError> {
        let bad = |why: &str| GenerateError::BadService {
            spec: format!("{name}={dockerfile}"),
            why: why.to_string(),
        };
        if !valid_name(name) {
            return Err(bad(
                "the name must be lower-case letters, digits and '-', starting with a letter",
            ));
        }
        if dockerfile.is_empty() || dockerfile.ends_with('/') {
            return Err(bad("the path must name a Dockerfile"));
        }
        if !safe_path(dockerfile) {
            return Err(bad(
                "the path must be relative, inside the repository, without spaces, quotes or `..`",
            ));
        }
        let context = match dockerfile.rsplit_once('/') {
            Some((dir, _)) => dir.to_string(),
            None => ".".to_string(),
        };
        Ok(Service {
            name: name.to_string(),
            dockerfile: dockerfile.to_string(),
            context,
        })
    }
}

/// Whether `s` is a usable job-id and Kubernetes name: `[a-z][a-z0-9-]*`, at most 40 long.
pub fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z'))
        && s.len() <= 40
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.ends_with('-')
}

/// Whether a repository path can be written into YAML and shell unquoted: relative, no `..`,
/// only `[A-Za-z0-9._/-]`.
pub fn safe_path(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && !p.split('/').any(|part| part == "..")
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'))
}

/// Whether a branch name is safe in a YAML flow list and an `if:` string.
pub fn valid_branch(b: &str) -> bool {
    !b.is_empty()
        && !b.starts_with(['-', '/', '.'])
        && b.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'))
}

/// The frontend deployed to Azure Static Web Apps as a static site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frontend {
    /// Its folder (`.` for the root), holding package.json.
    pub dir: String,
    /// npm or pnpm.
    pub package_manager: PackageManager,
    /// The build's output folder, relative to `dir`.
    pub output: String,
    /// Whether package.json names its pnpm version (`packageManager`).
    pub pnpm_pinned: bool,
}

/// Facts about a Node project that change its test steps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeFacts {
    /// tsconfig.json exists: type-check with tsc.
    pub typescript: bool,
    /// The test runner named in package.json.
    pub runner: Option<NodeTestRunner>,
    /// package.json names its pnpm version (`packageManager`).
    pub pnpm_pinned: bool,
}

/// A Node test runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeTestRunner {
    /// vitest run.
    Vitest,
    /// jest --ci.
    Jest,
}

/// Everything a pipeline is generated from, complete and validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The project's language.
    pub stack: Stack,
    /// uv/pip for Python, npm/pnpm for Node; `None` for the others.
    pub package_manager: Option<PackageManager>,
    /// Where the stack's project lives (`.` or `backend`, ...), for the test job.
    pub app_dir: String,
    /// `pip install` line when the Python project has no uv.lock.
    pub python_requirements: Option<String>,
    /// Node test facts.
    pub node: NodeFacts,
    /// Where images are pushed.
    pub registry: Registry,
    /// Where they are deployed.
    pub target: Target,
    /// The images, one build job each. Empty only for Static Web Apps.
    pub services: Vec<Service>,
    /// A static site deployed to Azure Static Web Apps (alone, or beside the services).
    pub frontend: Option<Frontend>,
    /// Pushes here deploy to staging.
    pub staging_branch: String,
    /// Pushes here deploy to staging, then promote to production.
    pub production_branch: String,
    /// Add a Trivy scan job before the builds.
    pub trivy: bool,
    /// Add a notification job.
    pub notify: Option<Notify>,
    /// Base image name; services add `-<name>` when there are several.
    pub image_name: String,
    /// Health check path on the app's URL.
    pub health_path: String,
    /// The port the app listens on in its container.
    pub app_port: u16,
    /// The promotion policy's soak time, e.g. `10m`.
    pub soak: String,
    /// The docker target's host port for the first service in staging; production's is 1000
    /// above, each further service one above.
    pub host_port: u16,
    /// The command of the `command` target, one line each.
    pub deploy_command: Vec<String>,
    /// `uses:` reference of deploy-action itself.
    pub action_ref: String,
    /// Helm chart folder (helm target).
    pub helm_chart: String,
    /// Per-environment values files of the chart: (staging, production).
    pub helm_values: (Option<String>, Option<String>),
    /// Where the promotion policy is written, relative to the repository.
    pub policy_path: String,
    /// Traffic steps and rollback thresholds of the promotion; `None`: all at once.
    pub progressive: Option<super::progressive::Progressive>,
    /// A latency percentile staging must keep before promoting (a smoke gate).
    pub staging_latency: Option<super::progressive::Latency>,
}
