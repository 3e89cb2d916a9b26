//! One image build through the daemon's `/build` endpoint (the classic builder), reading the
//! context once:
//!
//! 1. the context is packed on a blocking thread and streamed to the daemon as it is written,
//!    hashed on the way;
//! 2. when every entry is sent the digest is known, but the tar's end-of-archive blocks are held
//!    back: the daemon reads the whole context before it runs any step, so it waits while the
//!    caller's [`BuildOrReuse`] is made from the digest (look for an image to reuse, compute the
//!    labels that carry the digest);
//! 3. `Reuse` withdraws the upload (the daemon builds nothing); `Build` completes it, the
//!    daemon's step output is handed to the caller line by line, and failures name the step;
//! 4. the labels, which need the digest and so cannot be query parameters of the first request,
//!    are set by a second, tiny build (`FROM <image>` with `labels`): the classic builder turns
//!    `labels` into a final `LABEL` step anyway, so the daemon does the same work as for one
//!    build with labels, and the labels also land on a `--target` stage (the classic builder
//!    adds them only to the last stage of a Dockerfile).

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use bollard::auth::DockerCredentials;
use bollard::errors::Error as BollardError;
use bollard::models::BuildInfo;
use bollard::query_parameters::BuildImageOptions;
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot};

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

/// What to do once the context is packed and its digest known, before the daemon starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildOrReuse {
    /// Complete the upload and build; the image gets these labels.
    Build {
        /// Labels for the image (they may carry the context digest).
        labels: BTreeMap<String, String>,
    },
    /// Withdraw the upload: the existing image with this ID will do.
    Reuse {
        /// The image to use instead.
        image_id: String,
    },
}

/// A finished build, or the image reused instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The image ID.
    pub image_id: String,
    /// What was packed (`archive_bytes` counts what was sent, also when withdrawn).
    pub stats: PackStats,
    /// The decision was [`BuildOrReuse::Reuse`]: nothing was built.
    pub reused: bool,
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

/// Builds `context` as `spec` says, reading it once; `decide` is called with the digest when
/// every entry has been sent (see the module docs); `log` receives the daemon's output (whole
/// lines or fragments, as the daemon sends them).
pub async fn build(
    daemon: &Daemon,
    context: &BuildContext,
    pack: PackOptions,
    spec: &BuildSpec,
    decide: impl AsyncFnOnce(&PackStats) -> Result<BuildOrReuse, ImageError>,
    mut log: impl FnMut(&str),
) -> Result<Built, ImageError> {
    let (tx, rx) = mpsc::channel::<Result<Bytes, io::Error>>(CHANNEL_DEPTH);
    let (digest_tx, digest_rx) = oneshot::channel::<PackStats>();
    let (go_tx, go_rx) = oneshot::channel::<bool>();
    let packer_context = context.clone();
    let packer = tokio::task::spawn_blocking(move || {
        let result = packer_context.pack_gated(ChannelWriter { tx: tx.clone() }, &pack, |stats| {
            digest_tx.send(stats.clone()).is_ok() && go_rx.blocking_recv().unwrap_or(false)
        });
        if let Err(err) = &result {
            // Abort the upload so the daemon does not build a truncated context.
            let _ = tx.blocking_send(Err(io::Error::other(err.to_string())));
        }
        result
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });

    let options = image_options(context, spec);
    let registry_config = (!spec.registry_config.is_empty()).then(|| spec.registry_config.clone());
    let mut stream = daemon.docker().build_image(
        options,
        registry_config,
        Some(bollard::body_try_stream(body)),
    );

    let mut step: Option<String> = None;
    let mut image_id: Option<String> = None;
    let mut failure: Option<ImageError> = None;
    let mut digest_rx = Some(digest_rx);
    let mut go_tx = Some(go_tx);
    let mut decide = Some(decide);
    let mut decision: Option<Result<BuildOrReuse, ImageError>> = None;
    let mut gate_stats: Option<PackStats> = None;
    loop {
        tokio::select! {
            stats = async {
                match digest_rx.as_mut() {
                    Some(rx) => rx.await.ok(),
                    None => std::future::pending().await,
                }
            }, if digest_rx.is_some() => {
                digest_rx = None;
                // `None`: the packer failed before the gate; its error comes from `packer`.
                let (Some(stats), Some(decide)) = (stats, decide.take()) else { continue };
                let made = decide(&stats).await;
                gate_stats = Some(stats);
                let go = matches!(made, Ok(BuildOrReuse::Build { .. }));
                if let Some(go_tx) = go_tx.take() {
                    let _ = go_tx.send(go);
                }
                decision = Some(made);
                if !go {
                    break;
                }
            }
            item = stream.next() => match item {
                None => break,
                Some(Ok(info)) => follow(info, &mut step, &mut image_id, &mut log),
                Some(Err(err)) => {
                    failure = Some(classify(daemon, context, spec, step.as_deref(), err));
                    break;
                }
            },
        }
    }
    // Dropping the request (and the gate's sender) unblocks a packer still writing or waiting.
    drop(stream);
    drop(go_tx);

    let packed = packer.await.map_err(|e| ImageError::Daemon {
        action: "pack the build context".to_owned(),
        message: e.to_string(),
    })?;
    let (stats, labels) = match settle(daemon, packed, decision, failure, gate_stats)? {
        Settled::Reused(built) => return Ok(built),
        Settled::Built { stats, labels } => (stats, labels),
    };
    let Some(id) = image_id else {
        return Err(ImageError::BuildFailed {
            step,
            message: "the daemon finished without reporting an image".to_owned(),
        });
    };
    let image_id = label(daemon, &id, spec, &labels).await?;
    Ok(Built {
        image_id,
        stats,
        reused: false,
    })
}

/// The build request's query parameters.
fn image_options(context: &BuildContext, spec: &BuildSpec) -> BuildImageOptions {
    BuildImageOptions {
        dockerfile: context.dockerfile().to_owned(),
        nocache: spec.no_cache,
        cachefrom: (!spec.cache_from.is_empty()).then(|| spec.cache_from.clone()),
        // Only ask when told: the base images of tests exist locally and cannot be pulled.
        pull: spec.pull.then(|| "1".to_owned()),
        rm: true,
        forcerm: true,
        buildargs: Some(spec.build_args.clone().into_iter().collect()),
        platform: spec.platform.clone().unwrap_or_default(),
        target: spec.target.clone().unwrap_or_default(),
        ..Default::default()
    }
}

/// Hands one message of the daemon's build output to `log`, noting the step it is at and the
/// image it reports.
fn follow(
    info: BuildInfo,
    step: &mut Option<String>,
    image_id: &mut Option<String>,
    log: &mut impl FnMut(&str),
) {
    if let Some(text) = info.stream.as_deref() {
        for line in text.lines() {
            if let Some(s) = parse_step(line) {
                *step = Some(s);
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
        *image_id = Some(id);
    }
}

/// How a build ended, before labelling.
enum Settled {
    /// The decision was to reuse; nothing was built.
    Reused(Built),
    /// The daemon built an image from what was packed; it gets `labels`.
    Built {
        stats: PackStats,
        labels: BTreeMap<String, String>,
    },
}

/// Weighs the packer's result, the decision and the daemon's failure: which explains the end of
/// the build best.
fn settle(
    daemon: &Daemon,
    packed: Result<PackStats, ContextError>,
    decision: Option<Result<BuildOrReuse, ImageError>>,
    failure: Option<ImageError>,
    gate_stats: Option<PackStats>,
) -> Result<Settled, ImageError> {
    let lost = || ImageError::DaemonLost {
        host: daemon.host().to_owned(),
        action: "receiving the build context".to_owned(),
    };
    match (packed, decision, failure) {
        (Err(ContextError::Withdrawn), Some(Ok(BuildOrReuse::Reuse { image_id })), _) => {
            // Nothing was built; what was packed is what the gate saw.
            match gate_stats {
                Some(stats) => Ok(Settled::Reused(Built {
                    image_id,
                    stats,
                    reused: true,
                })),
                None => Err(lost()),
            }
        }
        (_, Some(Err(err)), _) => Err(err),
        // A context that could not be read explains a broken upload better than the daemon.
        (Err(ContextError::Write { .. }), _, Some(failure)) => Err(failure),
        (Err(ContextError::Write { .. }), _, None) => Err(lost()),
        (Err(ContextError::Withdrawn), _, Some(failure)) => Err(failure),
        (Err(ContextError::Withdrawn), _, None) => Err(lost()),
        (Err(err), _, _) => Err(err.into()),
        (Ok(_), _, Some(failure)) => Err(failure),
        (Ok(stats), Some(Ok(BuildOrReuse::Build { labels })), None) => {
            Ok(Settled::Built { stats, labels })
        }
        (Ok(_), _, None) => Err(lost()),
    }
}

/// Sets `labels` on the built image `id` with a build of `FROM <id>` (the classic builder's own
/// way of applying `labels`: one `LABEL` step) and returns the labelled image's ID.
async fn label(
    daemon: &Daemon,
    id: &str,
    spec: &BuildSpec,
    labels: &BTreeMap<String, String>,
) -> Result<String, ImageError> {
    let (full_id, platform) = match daemon.inspect(id).await? {
        Some(image) => (image.id, image.platform),
        None => (id.to_owned(), String::new()),
    };
    if let Some(wanted) = &spec.platform
        && !platform.is_empty()
        && !same_platform(wanted, &platform)
    {
        return Err(ImageError::PlatformMismatch {
            wanted: wanted.clone(),
            built: platform,
        });
    }
    if labels.is_empty() {
        return Ok(full_id);
    }
    let failed = |message: String| ImageError::Daemon {
        action: "label the built image".to_owned(),
        message,
    };
    let dockerfile = format!("FROM {full_id}\n");
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(dockerfile.len() as u64);
    header.set_mode(0o644);
    tar.append_data(&mut header, "Dockerfile", dockerfile.as_bytes())
        .map_err(|e| failed(e.to_string()))?;
    let body = tar.into_inner().map_err(|e| failed(e.to_string()))?;
    let options = BuildImageOptions {
        dockerfile: "Dockerfile".to_owned(),
        t: Some(spec.tag.clone()),
        rm: true,
        forcerm: true,
        labels: Some(labels.clone().into_iter().collect()),
        platform: spec.platform.clone().unwrap_or_default(),
        ..Default::default()
    };
    let mut stream =
        daemon
            .docker()
            .build_image(options, None, Some(bollard::body_full(Bytes::from(body))));
    let mut labelled: Option<String> = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(id) = info.aux.and_then(|a| a.id) {
                    labelled = Some(id);
                }
                if let Some(id) = info.stream.as_deref().and_then(|t| {
                    t.lines()
                        .find_map(|l| l.strip_prefix("Successfully built "))
                }) {
                    labelled.get_or_insert_with(|| id.trim().to_owned());
                }
            }
            Err(err) => return Err(daemon.error("label the built image", err)),
        }
    }
    let labelled = labelled.ok_or_else(|| failed("no image reported".to_owned()))?;
    Ok(match daemon.inspect(&labelled).await? {
        Some(image) => image.id,
        None => labelled,
    })
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
    spec: &BuildSpec,
    step: Option<&str>,
    err: BollardError,
) -> ImageError {
    let message = match err {
        BollardError::DockerStreamError { error } => error,
        BollardError::DockerResponseServerError { message, .. } => message,
        // The connection worked a moment ago: the daemon stopped or the link broke mid-build.
        BollardError::IOError { .. }
        | BollardError::HyperResponseError { .. }
        | BollardError::HyperLegacyError { .. }
        | BollardError::RequestTimeoutError
        | BollardError::JsonDataError { .. } => {
            return ImageError::DaemonLost {
                host: daemon.host().to_owned(),
                action: "building the image".to_owned(),
            };
        }
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
    let mut message = message.trim().to_owned();
    if spec.pull && step.is_some_and(|s| s.contains("`FROM ")) {
        message.push_str(
            " (--pull makes the daemon pull every FROM image from its registry, Docker Hub for \
             names without one; drop --pull for base images that exist only on this daemon)",
        );
    }
    ImageError::BuildFailed {
        step: step.map(str::to_owned),
        message,
    }
}

/// Whether an image of platform `built` (`os/arch[/variant]`) is what `--platform wanted`
/// asks for; common architecture aliases are the same, a variant is compared when both name
/// one.
pub fn same_platform(wanted: &str, built: &str) -> bool {
    fn parts(text: &str) -> (String, String, String) {
        let mut it = text.trim().split('/').map(str::to_ascii_lowercase);
        let os = it.next().unwrap_or_default();
        let arch = it.next().unwrap_or_default();
        let variant = it.next().unwrap_or_default();
        let (arch, variant) = match (arch.as_str(), variant.as_str()) {
            ("x86_64" | "x86-64", _) => ("amd64".to_owned(), variant),
            ("aarch64", _) | ("arm64", "v8") => ("arm64".to_owned(), String::new()),
            ("i386" | "i686", _) => ("386".to_owned(), variant),
            ("armhf", _) => ("arm".to_owned(), "v7".to_owned()),
            ("armel", _) => ("arm".to_owned(), "v6".to_owned()),
            _ => (arch, variant),
        };
        (os, arch, variant)
    }
    let (w_os, w_arch, w_variant) = parts(wanted);
    let (b_os, b_arch, b_variant) = parts(built);
    w_os == b_os
        && (w_arch.is_empty() || w_arch == b_arch)
        && (w_variant.is_empty() || b_variant.is_empty() || w_variant == b_variant)
}

/// The number after `line ` in a daemon message (both builders word Dockerfile errors so).
pub(crate) fn line_number(message: &str) -> Option<usize> {
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
    fn platforms_compare_by_os_arch_and_variant_with_aliases() {
        assert!(same_platform("linux/amd64", "linux/amd64"));
        assert!(same_platform("Linux/x86_64", "linux/amd64"));
        assert!(same_platform("linux/arm64/v8", "linux/arm64"));
        assert!(same_platform("linux/arm/v7", "linux/arm"));
        assert!(same_platform("linux", "linux/amd64"));
        assert!(!same_platform("linux/s390x", "linux/amd64"));
        assert!(!same_platform("windows/amd64", "linux/amd64"));
        assert!(!same_platform("linux/arm/v6", "linux/arm/v7"));
    }

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
