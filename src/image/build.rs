//! One image build through the daemon's `/build` endpoint (the classic builder): the context is
//! packed on a blocking thread and streamed to the daemon as it is written, the daemon's step
//! output is handed to the caller line by line, and failures name the Dockerfile step.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use bollard::auth::DockerCredentials;
use bollard::errors::Error as BollardError;
use bollard::query_parameters::BuildImageOptions;
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::context::{BuildContext, ContextError, PackOptions, PackStats};
use super::daemon::Daemon;
use super::error::ImageError;

/// Chunks in flight between the packer and the HTTP body.
const CHANNEL_DEPTH: usize = 16;

/// Everything the daemon is asked to do.
#[derive(Debug, Clone, Default)]
pub struct BuildSpec {
    /// The reference the image is tagged with by the build itself (more are added after).
    pub tag: String,
    /// `--build-arg` values.
    pub build_args: BTreeMap<String, String>,
    /// The stage to build, `None` for the last.
    pub target: Option<String>,
    /// Labels to set on the image.
    pub labels: BTreeMap<String, String>,
    /// `os/arch[/variant]`, `None` for the daemon's.
    pub platform: Option<String>,
    /// Images whose layers may serve as cache.
    pub cache_from: Vec<String>,
    /// Always pull a newer base image.
    pub pull: bool,
    /// Do not use the layer cache.
    pub no_cache: bool,
    /// Credentials for pulling base images, by registry server address.
    pub registry_config: HashMap<String, DockerCredentials>,
}

/// A finished build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The image ID.
    pub image_id: String,
    /// What was sent.
    pub stats: PackStats,
}

/// Sends the packer's writes into the request body.
struct ChannelWriter {
    tx: mpsc::Sender<Result<Bytes, io::Error>>,
}

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tx
            .blocking_send(Ok(Bytes::copy_from_slice(buf)))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the daemon stopped reading"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Builds `context` as `spec` says; `log` receives the daemon's output (whole lines or
/// fragments, as the daemon sends them).
pub async fn build(
    daemon: &Daemon,
    context: &BuildContext,
    pack: PackOptions,
    spec: &BuildSpec,
    mut log: impl FnMut(&str),
) -> Result<Built, ImageError> {
    let (tx, rx) = mpsc::channel::<Result<Bytes, io::Error>>(CHANNEL_DEPTH);
    let packer_context = context.clone();
    let packer = tokio::task::spawn_blocking(move || {
        let result = packer_context.pack(ChannelWriter { tx: tx.clone() }, &pack);
        if let Err(err) = &result {
            // Abort the upload so the daemon does not build a truncated context.
            let _ = tx.blocking_send(Err(io::Error::other(err.to_string())));
        }
        result
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });

    let options = BuildImageOptions {
        dockerfile: context.dockerfile().to_owned(),
        t: Some(spec.tag.clone()),
        nocache: spec.no_cache,
        cachefrom: (!spec.cache_from.is_empty()).then(|| spec.cache_from.clone()),
        // Only ask when told: the base images of tests exist locally and cannot be pulled.
        pull: spec.pull.then(|| "1".to_owned()),
        rm: true,
        forcerm: true,
        buildargs: Some(spec.build_args.clone().into_iter().collect()),
        labels: Some(spec.labels.clone().into_iter().collect()),
        platform: spec.platform.clone().unwrap_or_default(),
        target: spec.target.clone().unwrap_or_default(),
        ..Default::default()
    };
    let registry_config = (!spec.registry_config.is_empty()).then(|| spec.registry_config.clone());
    let mut stream = daemon.docker().build_image(
        options,
        registry_config,
        Some(bollard::body_try_stream(body)),
    );

    let mut step: Option<String> = None;
    let mut image_id: Option<String> = None;
    let mut failure: Option<ImageError> = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(text) = info.stream.as_deref() {
                    for line in text.lines() {
                        if let Some(s) = parse_step(line) {
                            step = Some(s);
                        }
                        if let Some(id) = line.strip_prefix("Successfully built ") {
                            image_id.get_or_insert_with(|| id.trim().to_owned());
                        }
                    }
                    log(text);
                }
                if let Some(status) = info.status.as_deref() {
                    log(&format!("{status}\n"));
                }
                if let Some(id) = info.aux.and_then(|a| a.id) {
                    image_id = Some(id);
                }
            }
            Err(err) => {
                failure = Some(classify(daemon, context, step.as_deref(), err));
                break;
            }
        }
    }
    drop(stream);

    let packed = packer.await.map_err(|e| ImageError::Daemon {
        action: "pack the build context".to_owned(),
        message: e.to_string(),
    })?;
    match (packed, failure) {
        // A context that could not be read explains a broken upload better than the daemon.
        (Err(err @ ContextError::Write { .. }), None) => Err(err.into()),
        (Err(ContextError::Write { .. }), Some(failure)) => Err(failure),
        (Err(err), _) => Err(err.into()),
        (Ok(_), Some(failure)) => Err(failure),
        (Ok(stats), None) => {
            let id = match image_id {
                Some(id) => id,
                None => {
                    return Err(ImageError::BuildFailed {
                        step,
                        message: "the daemon finished without reporting an image".to_owned(),
                    });
                }
            };
            // The aux ID is the full `sha256:...`; "Successfully built" gives a short one.
            let image_id = match daemon.inspect(&id).await? {
                Some(image) => image.id,
                None => id,
            };
            Ok(Built { image_id, stats })
        }
    }
}

/// `Step 3/5 : RUN make` → `step 3/5 `RUN make``.
fn parse_step(line: &str) -> Option<String> {
    let rest = line.trim().strip_prefix("Step ")?;
    let (count, instruction) = rest.split_once(" : ")?;
    let ok = count.split_once('/').is_some_and(|(a, b)| {
        !a.is_empty() && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
    });
    ok.then(|| format!("step {count} `{}`", instruction.trim()))
}

/// Turns a build error into the error to report.
fn classify(
    daemon: &Daemon,
    context: &BuildContext,
    step: Option<&str>,
    err: BollardError,
) -> ImageError {
    let message = match err {
        BollardError::DockerStreamError { error } => error,
        BollardError::DockerResponseServerError { message, .. } => message,
        other => return daemon.error("build the image", other),
    };
    let lower = message.to_ascii_lowercase();
    if lower.contains("parse error") || lower.contains("unknown instruction") {
        let line = line_number(&message);
        let source_line = line.and_then(|n| {
            let path = context.root().join(context.dockerfile());
            let text = std::fs::read_to_string(path).ok()?;
            text.lines().nth(n.checked_sub(1)?).map(str::to_owned)
        });
        return ImageError::DockerfileSyntax {
            line,
            source_line,
            message: message.trim().to_owned(),
        };
    }
    ImageError::BuildFailed {
        step: step.map(str::to_owned),
        message: message.trim().to_owned(),
    }
}

/// The number after `line ` in a daemon message.
fn line_number(message: &str) -> Option<usize> {
    let at = message.find("line ")? + "line ".len();
    let digits: String = message[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_and_line_numbers_are_read_from_daemon_text() {
        assert_eq!(
            parse_step("Step 3/5 : RUN make test\n").as_deref(),
            Some("step 3/5 `RUN make test`")
        );
        assert_eq!(parse_step(" ---> Running in 1234"), None);
        assert_eq!(parse_step("Step x/5 : RUN"), None);
        assert_eq!(
            line_number("dockerfile parse error line 4: unknown instruction: RUNN"),
            Some(4)
        );
        assert_eq!(line_number("no number"), None);
    }
}
