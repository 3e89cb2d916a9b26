//! `ImageError`: everything that can stop a build, a tag computation or a push. Each message
//! names the cause and the fix; [`ImageError::exit_code`] maps it to the process status.

use thiserror::Error;

use super::context::ContextError;
use super::dockerignore::PatternError;
use super::labels::LabelError;
use super::tags::TagError;

/// Why an image could not be built, tagged or pushed.
#[derive(Debug, Error)]
pub enum ImageError {
    /// The build context could not be read or packed.
    #[error(transparent)]
    Context(#[from] ContextError),
    /// A `.dockerignore` pattern is invalid.
    #[error(transparent)]
    Pattern(#[from] PatternError),
    /// Tags could not be computed (a bad rule, a bad image name, a missing git fact).
    #[error(transparent)]
    Tag(#[from] TagError),
    /// Labels could not be computed.
    #[error(transparent)]
    Label(#[from] LabelError),
    /// A command-line value is malformed.
    #[error("{0}")]
    Usage(String),
    /// Nothing answers at the daemon's address.
    #[error(
        "cannot reach the Docker daemon at {host} ({detail}); start it, or point DOCKER_HOST \
         or --docker-context at a daemon that runs"
    )]
    DaemonUnreachable {
        /// The address tried (`unix:///var/run/docker.sock`, `tcp://...`), with the context.
        host: String,
        /// The innermost cause (`Connection refused`, a TLS error).
        detail: String,
    },
    /// The connection to the daemon broke while it was working (it stopped or restarted).
    #[error(
        "lost the connection to the Docker daemon at {host} while it was {action}; check that \
         it is still running (`docker info`) and run the build again"
    )]
    DaemonLost {
        /// The address connected to.
        host: String,
        /// What it was doing (`building the image`).
        action: String,
    },
    /// The daemon answered with an error outside a build step.
    #[error("the Docker daemon could not {action}: {message}")]
    Daemon {
        /// What was asked (`tag the image`, `inspect ...`).
        action: String,
        /// The daemon's message.
        message: String,
    },
    /// The Dockerfile could not be parsed.
    #[error("{}", dockerfile_message(.line, .source_line.as_deref(), .message))]
    DockerfileSyntax {
        /// The 1-based line the daemon named, if any.
        line: Option<usize>,
        /// That line of the Dockerfile.
        source_line: Option<String>,
        /// The daemon's message.
        message: String,
    },
    /// The image built is for another platform than `--platform` asked (the classic builder
    /// only uses the platform to pull base images, and takes local ones as they are).
    #[error(
        "the daemon built a {built} image although --platform {wanted} was asked: it cannot \
         build {wanted} from the base images it has; build on a {wanted} daemon, pull a {wanted} \
         base image first, or drop --platform"
    )]
    PlatformMismatch {
        /// The platform asked for.
        wanted: String,
        /// The platform of the image built (`linux/amd64`).
        built: String,
    },
    /// A BuildKit step failed: where in the Dockerfile, what BuildKit said, its last output.
    #[error("{}", step_message(.dockerfile, *.line, .instruction, .message, .tail))]
    StepFailed {
        /// The Dockerfile's path.
        dockerfile: String,
        /// The line the step's instruction starts on, when it could be found.
        line: Option<usize>,
        /// The instruction (`RUN make test`).
        instruction: String,
        /// BuildKit's error.
        message: String,
        /// The step's last output lines.
        tail: Vec<String>,
    },
    /// A `FROM` image could not be had.
    #[error(
        "cannot get base image {image}{}: {message}; {hint}",
        .line.map(|n| format!(" (Dockerfile line {n})")).unwrap_or_default()
    )]
    BaseImage {
        /// The image.
        image: String,
        /// The FROM line naming it, when found.
        line: Option<usize>,
        /// BuildKit's error.
        message: String,
        /// What to do, given the flags.
        hint: String,
    },
    /// A `# syntax=` frontend could not be used (offline, or the image does not exist).
    #[error(
        "the Dockerfile's `# syntax={frontend}` line (line {line}) makes BuildKit pull the \
         frontend image {frontend}, which failed: {message}; remove the line to use the \
         daemon's built-in frontend, or give the daemon access to that registry"
    )]
    Frontend {
        /// The frontend image.
        frontend: String,
        /// The directive's line.
        line: usize,
        /// BuildKit's error.
        message: String,
    },
    /// The daemon address could not be worked out.
    #[error(transparent)]
    Endpoint(#[from] super::endpoint::EndpointError),
    /// A Dockerfile step failed.
    #[error(
        "build failed at {}: {message}; fix that step (its output is above) and build again",
        .step.as_deref().unwrap_or("an unknown step")
    )]
    BuildFailed {
        /// `step 3/5: RUN make`, when the daemon printed it.
        step: Option<String>,
        /// The daemon's message.
        message: String,
    },
    /// The registry cannot be reached.
    #[error(
        "cannot reach registry {registry}: {detail}; check the address in --image and that the \
         registry is up"
    )]
    RegistryUnreachable {
        /// The registry host.
        registry: String,
        /// What failed.
        detail: String,
    },
    /// The registry refused the credentials (or their absence).
    #[error(
        "registry {registry} refused access to {repository} ({detail}); pass \
         --registry-username with --registry-password-stdin, or run `docker login {registry}`"
    )]
    RegistryAuth {
        /// The registry host.
        registry: String,
        /// The repository path.
        repository: String,
        /// The registry's answer.
        detail: String,
    },
    /// The registry answered with an unexpected error.
    #[error("registry {registry} failed: {detail}; retry later or check the registry's logs")]
    Registry {
        /// The registry host.
        registry: String,
        /// The request and the answer.
        detail: String,
    },
    /// Pushing a tag failed.
    #[error("pushing {reference} failed: {message}; check the registry and retry")]
    Push {
        /// The reference pushed.
        reference: String,
        /// The daemon's message.
        message: String,
    },
    /// The digest the daemon reported does not match what the registry serves for the tag.
    #[error(
        "pushed {reference} as {pushed} but the registry serves {served} for that tag; another \
         push raced this one: build again"
    )]
    DigestMismatch {
        /// The reference pushed.
        reference: String,
        /// The digest the push reported.
        pushed: String,
        /// The registry's `Docker-Content-Digest`.
        served: String,
    },
    /// The Docker CLI configuration could not be read.
    #[error(
        "cannot read Docker config {path}: {detail}; fix the file or point DOCKER_CONFIG elsewhere"
    )]
    DockerConfig {
        /// The `config.json` path.
        path: String,
        /// What is wrong.
        detail: String,
    },
    /// A `docker-credential-*` helper failed.
    #[error(
        "credential helper docker-credential-{helper} failed for {registry}: {detail}; install \
         it, log in again, or pass --registry-username with --registry-password-stdin"
    )]
    CredentialHelper {
        /// The helper's suffix (`desktop`, `ecr-login`, ...).
        helper: String,
        /// The registry asked about.
        registry: String,
        /// What failed.
        detail: String,
    },
}

fn step_message(
    dockerfile: &str,
    line: Option<usize>,
    instruction: &str,
    message: &str,
    tail: &[String],
) -> String {
    let at = match line {
        Some(n) => format!("{dockerfile}:{n}"),
        None => dockerfile.to_owned(),
    };
    let mut text = format!("build failed at {at} `{instruction}`: {message}");
    if !tail.is_empty() {
        text.push_str("\nlast output of the step:");
        for line in tail {
            text.push_str("\n  | ");
            text.push_str(line);
        }
        text.push('\n');
    } else {
        text.push_str("; ");
    }
    text.push_str("fix that step and build again");
    text
}

fn dockerfile_message(line: &Option<usize>, source_line: Option<&str>, message: &str) -> String {
    match (line, source_line) {
        (Some(n), Some(text)) => format!(
            "Dockerfile syntax error at line {n} `{}`: {message}; fix that line",
            text.trim()
        ),
        _ => format!("Dockerfile syntax error: {message}; fix the Dockerfile"),
    }
}

impl ImageError {
    /// The process exit status for this error: 1 when the build itself failed, 4 when the
    /// daemon or a registry failed, 2 for usage and configuration problems.
    pub fn exit_code(&self) -> u8 {
        use deploy_action_sys::exit;
        match self {
            Self::DockerfileSyntax { .. }
            | Self::BuildFailed { .. }
            | Self::StepFailed { .. }
            | Self::BaseImage { .. }
            | Self::Frontend { .. }
            | Self::PlatformMismatch { .. } => exit::BUILD_FAILED,
            Self::DaemonUnreachable { .. }
            | Self::DaemonLost { .. }
            | Self::Daemon { .. }
            | Self::RegistryUnreachable { .. }
            | Self::RegistryAuth { .. }
            | Self::Registry { .. }
            | Self::Push { .. }
            | Self::DigestMismatch { .. } => exit::INFRA,
            Self::Context(_)
            | Self::Pattern(_)
            | Self::Tag(_)
            | Self::Label(_)
            | Self::Usage(_)
            | Self::Endpoint(_)
            | Self::DockerConfig { .. }
            | Self::CredentialHelper { .. } => exit::USAGE,
        }
    }
}
