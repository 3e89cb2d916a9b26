//! Builds through the daemon's built-in BuildKit, as `docker build` does with
//! `DOCKER_BUILDKIT=1`: a session serves the context and the Dockerfile (filesync), secrets, SSH
//! agents and registry credentials; `POST /build?version=2` names the session, and BuildKit's
//! status stream is printed as plain progress. The labels, which carry the context digest, go
//! into that one request, so the image needs no second build and keeps its inline cache.

pub mod dockerfile;
pub mod filesync;
pub mod progress;
pub mod request;
pub mod secrets;
pub mod services;
pub mod session;
pub mod ssh;

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use self::progress::{FailedStep, Progress};
use self::request::{Message, RequestError};
use self::session::{Services, SessionError};
use super::ImageError;
use super::context::BuildContext;
use super::daemon::Daemon;

/// The build argument that makes BuildKit write its cache into the image (`--cache-to
/// type=inline`).
pub const INLINE_CACHE_ARG: &str = "BUILDKIT_INLINE_CACHE";

/// What the daemon is asked to build.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    /// A reference to tag the image with; `None` leaves it untagged (its id is returned).
    pub tag: Option<String>,
    /// Labels of the image.
    pub labels: BTreeMap<String, String>,
    /// `--build-arg` values.
    pub build_args: BTreeMap<String, String>,
    /// The stage to build.
    pub target: Option<String>,
    /// `os/arch[/variant]`.
    pub platform: Option<String>,
    /// Registry references whose inline cache may serve.
    pub cache_from: Vec<String>,
    /// Write the inline cache into the image.
    pub inline_cache: bool,
    /// Pull base images even when the daemon has them.
    pub pull: bool,
    /// Ignore the cache.
    pub no_cache: bool,
}

/// A finished build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The image id.
    pub image_id: String,
    /// Steps that came from the cache.
    pub cached_steps: usize,
    /// Steps that finished, run or cached.
    pub steps: usize,
}

/// Why a BuildKit build could not run, where the classic builder may still.
#[derive(Debug)]
pub enum Failure {
    /// The daemon has no usable BuildKit (the session or the request was refused as unknown).
    Unsupported(String),
    /// Anything else.
    Image(ImageError),
}

impl From<ImageError> for Failure {
    fn from(err: ImageError) -> Self {
        Self::Image(err)
    }
}

/// Builds `context` as `spec` says with the session's `services` (its filesync is made here),
/// printing progress to `log` with `redactions` replaced.
pub async fn build(
    daemon: &Daemon,
    context: &BuildContext,
    spec: &Spec,
    services: Services,
    redactions: Vec<String>,
    log: &mut dyn FnMut(&str),
) -> Result<Built, Failure> {
    let dockerfile_text =
        std::fs::read_to_string(context.root().join(context.dockerfile())).unwrap_or_default();
    let outline = dockerfile::outline(&dockerfile_text);
    let name = context
        .root()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "context".to_owned());
    let session = session::start(daemon, &name, &shared_key(context), services)
        .await
        .map_err(|err| match err {
            SessionError::Refused {
                status: 400 | 404 | 501,
                body,
                ..
            } => Failure::Unsupported(format!("the daemon refused a BuildKit session: {body}")),
            other => Failure::Image(ImageError::Daemon {
                action: "open a BuildKit session".to_owned(),
                message: other.to_string(),
            }),
        })?;
    let build_id = session::random_id();
    let query = query(context, spec, session.id(), &build_id);
    let mut answer = request::post(daemon, &query)
        .await
        .map_err(|err| match err {
            RequestError::Refused { status: 400, body } if body.contains("version") => {
                Failure::Unsupported(body)
            }
            other => Failure::Image(lost_or_daemon(daemon, &other)),
        })?;

    let mut progress = Progress::new(log, redactions);
    let mut image_id = None;
    let mut error = None;
    while let Some(message) = answer.next().await {
        match message {
            Ok(Message::Status(status)) => progress.update(&status),
            Ok(Message::ImageId(id)) => image_id = Some(id),
            Ok(Message::Error(message)) => error = Some(message),
            Ok(Message::Text(_)) => {}
            Err(err) => {
                drop(session);
                request::cancel(daemon, &build_id).await;
                return Err(Failure::Image(lost_or_daemon(daemon, &err)));
            }
        }
    }
    let failed = progress.failed();
    let built = Built {
        image_id: String::new(),
        cached_steps: progress.cached(),
        steps: progress.finished(),
    };
    drop(progress);
    let session_failure = session.failure();
    drop(session);
    if let (Some(message), Some(why)) = (&error, session_failure) {
        return Err(Failure::Image(ImageError::Daemon {
            action: "serve the build its files through the BuildKit session".to_owned(),
            message: format!("{why} (the daemon said: {message})"),
        }));
    }
    if let Some(message) = error {
        let err = match base_image_failure(&outline, spec, failed.as_ref(), &message) {
            Some(err) => err,
            None => classify(
                &outline,
                (context.dockerfile(), &dockerfile_text),
                failed,
                &message,
            ),
        };
        return Err(Failure::Image(err));
    }
    match image_id {
        Some(image_id) => Ok(Built { image_id, ..built }),
        None => Err(Failure::Image(ImageError::BuildFailed {
            step: None,
            message: "the daemon finished without reporting an image".to_owned(),
        })),
    }
}

/// The daemon's cache of earlier transfers of this context is kept under this key, so a
/// rebuild sends only what changed (the Docker CLI keys it by the context's path too).
fn shared_key(context: &BuildContext) -> String {
    let root = std::fs::canonicalize(context.root()).unwrap_or_else(|_| context.root().into());
    let digest = Sha256::digest(root.as_os_str().as_encoded_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `/build` parameters.
fn query(
    context: &BuildContext,
    spec: &Spec,
    session_id: &str,
    build_id: &str,
) -> Vec<(String, String)> {
    let dockerfile = context
        .dockerfile()
        .rsplit('/')
        .next()
        .unwrap_or("Dockerfile");
    let mut build_args = spec.build_args.clone();
    if spec.inline_cache {
        build_args.insert(INLINE_CACHE_ARG.to_owned(), "1".to_owned());
    }
    let mut q: Vec<(String, String)> = vec![
        ("version".into(), "2".into()),
        ("session".into(), session_id.into()),
        ("remote".into(), "client-session".into()),
        ("buildid".into(), build_id.into()),
        ("dockerfile".into(), dockerfile.into()),
        ("rm".into(), "1".into()),
        ("forcerm".into(), "1".into()),
        ("buildargs".into(), json(&build_args)),
        ("labels".into(), json(&spec.labels)),
    ];
    if let Some(tag) = &spec.tag {
        q.push(("t".into(), tag.clone()));
    }
    if let Some(target) = &spec.target {
        q.push(("target".into(), target.clone()));
    }
    if let Some(platform) = &spec.platform {
        q.push(("platform".into(), platform.clone()));
    }
    if !spec.cache_from.is_empty() {
        q.push(("cachefrom".into(), json(&spec.cache_from)));
    }
    if spec.pull {
        q.push(("pull".into(), "1".into()));
    }
    if spec.no_cache {
        q.push(("nocache".into(), "1".into()));
    }
    q
}

/// A query value as JSON (maps and lists of strings cannot fail to serialise).
fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn lost_or_daemon(daemon: &Daemon, err: &RequestError) -> ImageError {
    match err {
        RequestError::Lost(_) => ImageError::DaemonLost {
            host: daemon.host().to_owned(),
            action: "building the image".to_owned(),
        },
        RequestError::Connect(detail) => ImageError::DaemonUnreachable {
            host: daemon.host().to_owned(),
            detail: detail.clone(),
        },
        RequestError::Refused { .. } => ImageError::Daemon {
            action: "start the build".to_owned(),
            message: err.to_string(),
        },
    }
}

/// What BuildKit puts in front of the cause, which says nothing to a user.
const NOISE: [&str; 5] = [
    "failed to solve with frontend dockerfile.v0: ",
    "failed to create LLB definition: ",
    "failed to solve: ",
    "rpc error: code = Unknown desc = ",
    "failed to compute cache key: ",
];

/// `message` without BuildKit's wrapping prefixes.
fn strip_noise(message: &str) -> &str {
    let mut rest = message.trim();
    while let Some(next) = NOISE.iter().find_map(|p| rest.strip_prefix(p)) {
        rest = next;
    }
    rest
}

/// The error to report for a build that failed with `message`; `dockerfile` is the
/// Dockerfile's path in the context and its text.
fn classify(
    outline: &dockerfile::Outline,
    dockerfile: (&str, &str),
    failed: Option<FailedStep>,
    message: &str,
) -> ImageError {
    let (dockerfile, text) = dockerfile;
    let message = message.trim();
    if let Some((frontend, line)) = &outline.syntax
        && (message.contains(frontend.as_str()) || message.contains("frontend gateway"))
    {
        return ImageError::Frontend {
            frontend: frontend.clone(),
            line: *line,
            message: message.to_owned(),
        };
    }
    if let Some(id) = missing_secret(message) {
        return ImageError::Usage(format!(
            "the build mounts secret `{id}` but none was given; pass --secret id={id},env=VAR \
             or --secret id={id},src=PATH ({message})"
        ));
    }
    if message.contains("dockerfile parse error") || message.contains("unknown instruction") {
        let line = super::build::line_number(message);
        let source_line = line.and_then(|n| text.lines().nth(n.checked_sub(1)?).map(str::to_owned));
        let cause = strip_noise(message);
        let cause = cause
            .strip_prefix("dockerfile parse error ")
            .and_then(|c| c.split_once(": ").map(|(_, c)| c))
            .unwrap_or(cause);
        return ImageError::DockerfileSyntax {
            line,
            source_line,
            message: cause.to_owned(),
        };
    }
    let Some(step) = failed else {
        return ImageError::BuildFailed {
            step: None,
            message: strip_noise(message).to_owned(),
        };
    };
    let instruction = step
        .name
        .split_once("] ")
        .map_or(step.name.as_str(), |(_, text)| text)
        .to_owned();
    let located = outline.locate(&step.name);
    ImageError::StepFailed {
        dockerfile: dockerfile.to_owned(),
        line: located.map(|i| i.line),
        instruction: located.map_or(instruction, |i| i.text.clone()),
        message: strip_noise(&step.error).to_owned(),
        tail: step.tail,
    }
}

/// A build that failed getting a `FROM` image (BuildKit's `load metadata for IMAGE` step, or
/// the FROM step itself), explained with what the flags made BuildKit do.
fn base_image_failure(
    outline: &dockerfile::Outline,
    spec: &Spec,
    failed: Option<&FailedStep>,
    message: &str,
) -> Option<ImageError> {
    let step = failed?;
    let image = step
        .name
        .strip_prefix("[internal] load metadata for ")
        .or_else(|| {
            let (_, rest) = step.name.split_once("] FROM ")?;
            rest.split_whitespace().next()
        })?
        .to_owned();
    let short = image.strip_prefix("docker.io/").unwrap_or(&image);
    let short = short.strip_prefix("library/").unwrap_or(short);
    let line = outline.stages.iter().find_map(|stage| {
        let from = stage.counted.first().filter(|i| i.keyword == "FROM")?;
        from.text.contains(short).then_some(from.line)
    });
    let hint = match (&spec.platform, spec.pull) {
        (_, true) => "--pull makes BuildKit fetch every FROM image from its registry, Docker Hub \
                      for names without one; drop --pull for base images that exist only on this \
                      daemon"
            .to_owned(),
        (Some(platform), false) => format!(
            "the daemon has no {platform} image of it and could not pull one; build on a \
             {platform} daemon, pull a {platform} base image first, or drop --platform"
        ),
        (None, false) => "check the name, that the daemon can reach its registry, and `docker \
                          login` for a private one"
            .to_owned(),
    };
    Some(ImageError::BaseImage {
        image,
        line,
        message: strip_noise(&step.error).trim().to_owned(),
        hint,
    })
    .filter(|_| !message.is_empty())
}

/// `secret ID not found` in BuildKit's message.
fn missing_secret(message: &str) -> Option<&str> {
    let at = message.find("secret ")? + "secret ".len();
    let rest = &message[at..];
    let (id, after) = rest.split_once(' ')?;
    after.starts_with("not found").then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_name_the_line_without_buildkits_wrapping() {
        let text = "FROM x\n\nRUNN echo oops\n";
        let err = classify(
            &dockerfile::outline(text),
            ("Dockerfile", text),
            None,
            "failed to solve with frontend dockerfile.v0: failed to create LLB definition: \
             dockerfile parse error line 3: unknown instruction: RUNN",
        );
        assert_eq!(
            err.to_string(),
            "Dockerfile syntax error at line 3 `RUNN echo oops`: unknown instruction: RUNN; \
             fix that line"
        );
    }

    #[test]
    fn missing_secrets_are_named() {
        assert_eq!(
            missing_secret("failed to solve: rpc error: secret tok not found"),
            Some("tok")
        );
        assert_eq!(missing_secret("secret sauce is fine"), None);
    }

    #[test]
    fn a_failed_step_points_at_its_line() {
        let outline = dockerfile::outline("FROM busybox\nRUN true\nRUN false\n");
        let step = FailedStep {
            name: "[3/3] RUN false".into(),
            error: "exit code: 1".into(),
            tail: vec!["last words".into()],
        };
        let err = classify(
            &outline,
            ("Dockerfile", ""),
            Some(step),
            "executor failed running [/bin/sh -c false]: exit code: 1",
        );
        let text = err.to_string();
        assert!(text.contains("Dockerfile:3"), "{text}");
        assert!(text.contains("RUN false"), "{text}");
        assert!(text.contains("last words"), "{text}");
    }
}
