//! One `deploy-action build`, as a library call: the context digest and build key, reuse of an
//! existing image (daemon, then registry), the build itself (BuildKit, or the classic builder),
//! tags, pushes with verified digests (an OCI index for several platforms).
//!
//! The caller hands in a [`BuildRequest`] (everything read from flags and the environment) and
//! a [`Progress`] sink for log lines and group markers; [`run`] returns a [`BuildOutcome`] for
//! the caller to render. Nothing here prints or reads the environment.

mod classic;
mod lookup;
mod multi;
mod options;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Instant;

pub use self::options::{BuildOptions, BuilderKind, OptionFlags};
use crate::ImageError;
use crate::auth::RegistryAuth;
use crate::buildkey::{BUILD_KEY_LABEL, KeyInputs, SHAPE_KEY_LABEL, build_key};
use crate::buildkit::{self, Failure, secrets::Secrets};
use crate::context::{BuildContext, PackOptions, PackStats};
use crate::daemon::Daemon;
use crate::endpoint;
use crate::labels::{LabelInputs, RepoInfo, oci_labels, parse_label};
use crate::registry::Registry;
use crate::tags::{GitContext, ImageRef, TagList};

/// Gzip level for a context sent to a remote daemon; a local socket gets a plain tar.
const REMOTE_GZIP_LEVEL: u32 = 6;

/// Where a build's log lines go: the caller prints them (on stderr) and wraps long logs in
/// its own groups (`::group::` in GitHub Actions).
pub trait Progress: Sync {
    /// One log fragment (whole lines, or the daemon's output as it comes).
    fn log(&self, text: &str);
    /// A long log starts (`docker build ...`, `docker push`).
    fn group_start(&self, title: &str);
    /// The long log started last ends.
    fn group_end(&self);
}

/// Everything one build needs, read from flags and the environment by the caller.
pub struct BuildRequest {
    /// The opened build context (directory and Dockerfile).
    pub context: BuildContext,
    /// The context directory as the user named it, for the log line.
    pub context_name: String,
    /// `--build-arg` values.
    pub build_args: BTreeMap<String, String>,
    /// `--target`.
    pub target: Option<String>,
    /// `--platform` as typed (the classic builder passes it on as is).
    pub platform: Option<String>,
    /// `--label key=value` entries, as typed.
    pub labels: Vec<String>,
    /// The commit, ref and event the tags and labels come from.
    pub git: GitContext,
    /// Repository facts for the OCI labels.
    pub repo: RepoInfo,
    /// The computed tags.
    pub tags: TagList,
    /// The `--image` names.
    pub images: Vec<ImageRef>,
    /// Every `image:tag`, image by image; the first is the build's primary tag.
    pub refs: Vec<ImageRef>,
    /// Platforms, cache, secrets and SSH specs, parsed.
    pub options: BuildOptions,
    /// The `--secret` values, loaded (see [`BuildOptions::load_secrets`]).
    pub secrets: Secrets,
    /// `--builder`, when given.
    pub builder: Option<BuilderKind>,
    /// `--push`.
    pub push: bool,
    /// `--pull` (implies a rebuild).
    pub pull: bool,
    /// `--no-cache` (implies a rebuild).
    pub no_cache: bool,
    /// `--rebuild`: never reuse an image with the same build key.
    pub rebuild: bool,
    /// `--registry-username` with the password read from stdin.
    pub credentials: Option<RegistryAuth>,
    /// `--docker-context`.
    pub docker_context: Option<String>,
    /// The Docker CLI's configuration directory (`$DOCKER_CONFIG`, else `~/.docker`).
    pub docker_config: Option<PathBuf>,
    /// Where file hashes are remembered between builds, if anywhere.
    pub stat_cache: Option<PathBuf>,
    /// A directory for scratch files (SSH agent sockets).
    pub scratch: PathBuf,
    /// The environment values the daemon endpoint and SSH agents are found by (`DOCKER_HOST`,
    /// `DOCKER_CONTEXT`, `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`, `SSH_AUTH_SOCK`, ...).
    pub env: HashMap<String, String>,
}

impl BuildRequest {
    /// Whether an existing image may not be reused (`--rebuild`, `--no-cache`, `--pull`).
    fn rebuild(&self) -> bool {
        self.rebuild || self.no_cache || self.pull
    }
}

/// What a build did, for the caller's outputs.
#[derive(Debug, Clone)]
pub struct BuildOutcome {
    /// The local image ID (the daemon's own platform's, for several platforms).
    pub image_id: String,
    /// `daemon` or `registry` when an image with the same build key was reused.
    pub reused_from: Option<&'static str>,
    /// `buildkit` or `classic`.
    pub builder: &'static str,
    /// The context's content digest.
    pub context_digest: String,
    /// Files in the context.
    pub context_files: u64,
    /// Bytes of file content in the context.
    pub context_bytes: u64,
    /// The build key (of the local image, for several platforms).
    pub build_key: String,
    /// The image's labels.
    pub labels: BTreeMap<String, String>,
    /// Every `image:tag`.
    pub refs: Vec<ImageRef>,
    /// The `--image` names.
    pub images: Vec<ImageRef>,
    /// `(reference, manifest digest)` for every pushed tag (the index's for several platforms).
    pub pushed: Vec<(ImageRef, String)>,
    /// For several platforms: each platform's manifest digest when pushed, else image id.
    pub platforms: Vec<(String, String)>,
    /// BuildKit steps that came from the cache, and all finished steps.
    pub steps: Option<(usize, usize)>,
    /// Wall time of the build, in seconds.
    pub seconds: f64,
}

/// Runs the build `request` asks for, logging to `progress`.
pub async fn run(
    request: &BuildRequest,
    progress: &dyn Progress,
) -> Result<BuildOutcome, ImageError> {
    let getenv = |k: &str| request.env.get(k).cloned();
    let resolved = endpoint::resolve(
        request.docker_context.as_deref(),
        &getenv,
        request.docker_config.as_deref(),
    )?;
    let job = BuildRun {
        req: request,
        progress,
        pack: PackOptions {
            gzip: resolved.endpoint.is_remote().then_some(REMOTE_GZIP_LEVEL),
        },
    };
    job.run(&resolved).await
}

/// Fails when image `id` is not for `wanted` (`os/arch[/variant]`).
async fn check_platform(daemon: &Daemon, id: &str, wanted: &str) -> Result<String, ImageError> {
    let built = daemon
        .inspect(id)
        .await?
        .map(|i| i.platform)
        .unwrap_or_default();
    if !built.is_empty() && !crate::build::same_platform(wanted, &built) {
        return Err(ImageError::PlatformMismatch {
            wanted: wanted.to_owned(),
            built,
        });
    }
    Ok(built)
}

/// One build under way.
struct BuildRun<'a> {
    req: &'a BuildRequest,
    progress: &'a dyn Progress,
    pack: PackOptions,
}

/// What one build (or reuse) produced before tagging.
struct Made {
    image_id: String,
    stats: PackStats,
    key: String,
    labels: BTreeMap<String, String>,
    reused_from: Option<&'static str>,
    steps: Option<(usize, usize)>,
}

impl BuildRun<'_> {
    fn log(&self, text: &str) {
        self.progress.log(text);
    }

    /// The line that tells what the context holds.
    fn log_context(&self, stats: &PackStats) {
        self.log(&format!(
            "context {}: {} files, {} bytes, {}\n",
            self.req.context_name, stats.files, stats.content_bytes, stats.context_digest
        ));
    }

    async fn run(self, resolved: &endpoint::Resolved) -> Result<BuildOutcome, ImageError> {
        let started = Instant::now();
        let args = self.req;
        let daemon = Daemon::connect(resolved).await?;
        let (builder, note) = options::choose(args.builder, &args.options, &daemon)?;
        if let Some(note) = note {
            self.log(&format!("note: {note}"));
        }
        let auths = self.auths()?;
        let registries = self.registries(&auths)?;
        if self.req.options.platforms.len() > 1 {
            return multi::run(&self, &daemon, &registries, &auths, started).await;
        }
        let made = match builder {
            BuilderKind::Buildkit => match self.buildkit_one(&daemon, &registries, &auths).await {
                Ok(made) => made,
                Err(Failure::Unsupported(why)) if args.builder.is_none() => {
                    self.log(&format!(
                        "note: {why}: building with the classic builder instead\n"
                    ));
                    self.classic(&daemon, &registries, &auths).await?
                }
                Err(Failure::Unsupported(why)) => {
                    return Err(ImageError::Usage(format!(
                        "--builder buildkit: {why}; use --builder classic"
                    )));
                }
                Err(Failure::Image(err)) => return Err(err),
            },
            BuilderKind::Classic => self.classic(&daemon, &registries, &auths).await?,
        };
        let builder = match (builder, made.steps) {
            (BuilderKind::Buildkit, Some(_)) => "buildkit",
            (BuilderKind::Buildkit, None) if made.reused_from.is_some() => "buildkit",
            _ => "classic",
        };

        for reference in &self.req.refs {
            daemon.tag(&made.image_id, reference).await?;
        }
        let image = daemon.inspect(&made.image_id).await?;
        let labels = image.map(|i| i.labels).unwrap_or(made.labels);

        let mut pushed = Vec::new();
        if args.push {
            self.progress.group_start("docker push");
            let result = self
                .push_all(&daemon, &registries, &auths, &mut pushed)
                .await;
            self.progress.group_end();
            result?;
        }
        Ok(BuildOutcome {
            image_id: made.image_id,
            reused_from: made.reused_from,
            builder,
            context_digest: made.stats.context_digest,
            context_files: made.stats.files,
            context_bytes: made.stats.content_bytes,
            build_key: made.key,
            labels,
            refs: self.req.refs.clone(),
            images: self.req.images.clone(),
            pushed,
            platforms: Vec::new(),
            steps: made.steps,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// The user's labels with the values they end up with (expressions expanded).
    fn user_labels(&self) -> Result<BTreeMap<String, String>, ImageError> {
        let expanded = self.labels_for(None)?;
        let mut user_labels = BTreeMap::new();
        for text in &self.req.labels {
            let (key, _) = parse_label(text)?;
            let value = expanded.get(&key).cloned().unwrap_or_default();
            user_labels.insert(key, value);
        }
        Ok(user_labels)
    }

    /// The OCI labels and the user's, with the context digest when known.
    fn labels_for(
        &self,
        context_digest: Option<&str>,
    ) -> Result<BTreeMap<String, String>, ImageError> {
        Ok(oci_labels(&LabelInputs {
            git: &self.req.git,
            repo: &self.req.repo,
            version: self.req.tags.version(),
            context_digest,
            user_labels: &self.req.labels,
        })?)
    }

    /// The build key of a context digest (or shape digest) for `platform`.
    fn key_of(
        &self,
        user_labels: &BTreeMap<String, String>,
        digest: &str,
        platform: Option<&str>,
    ) -> String {
        let options = self.req.options.key_options();
        build_key(&KeyInputs {
            context_digest: digest,
            dockerfile: self.req.context.dockerfile(),
            target: self.req.target.as_deref(),
            platform,
            build_args: &self.req.build_args,
            user_labels,
            options: &options,
        })
    }

    /// The context's digest, read on all cores (BuildKit needs it before the request: the
    /// labels carry it).
    async fn digest(&self) -> Result<PackStats, ImageError> {
        let context = self.req.context.clone();
        let threads = std::thread::available_parallelism().map_or(2, usize::from);
        let cache_dir = self.req.stat_cache.clone();
        Ok(
            tokio::task::spawn_blocking(move || {
                context.digest_stats(threads, cache_dir.as_deref())
            })
            .await
            .map_err(|e| ImageError::Usage(format!("reading the context failed: {e}")))??,
        )
    }

    /// The BuildKit spec for one platform.
    fn buildkit_spec(
        &self,
        platform: Option<&str>,
        labels: BTreeMap<String, String>,
        tag: Option<String>,
    ) -> buildkit::Spec {
        buildkit::Spec {
            tag,
            labels,
            build_args: self.req.build_args.clone(),
            target: self.req.target.clone(),
            platform: platform.map(str::to_owned),
            cache_from: self.req.options.cache_from.clone(),
            inline_cache: self.req.options.inline_cache,
            pull: self.req.pull,
            no_cache: self.req.no_cache,
        }
    }

    /// One build through BuildKit: the digest first, then reuse or a build whose request
    /// carries every label.
    async fn buildkit_one(
        &self,
        daemon: &Daemon,
        registries: &HashMap<String, Registry>,
        auths: &HashMap<String, Option<RegistryAuth>>,
    ) -> Result<Made, Failure> {
        let args = self.req;
        let platform = self.req.options.single_platform();
        let user_labels = self.user_labels()?;
        let rebuild = args.rebuild();
        // The daemon lists its images with a build key while the digest is read (it takes a
        // tenth of a second or more with thousands of images); the key is matched afterwards.
        let local = async {
            if rebuild {
                return Ok(None);
            }
            daemon.labelled(BUILD_KEY_LABEL).await.map(Some)
        };
        let (stats, local) = tokio::join!(self.digest(), local);
        let stats = stats?;
        self.log_context(&stats);
        let key = self.key_of(&user_labels, &stats.context_digest, platform);
        if let Some(local) = local?
            && let Some((image_id, from)) = self
                .find_existing(daemon, Some(&local), registries, auths, &key)
                .await?
        {
            return Ok(Made {
                image_id,
                labels: BTreeMap::new(),
                stats,
                key,
                reused_from: Some(from),
                steps: None,
            });
        }
        let mut labels = self.labels_for(Some(&stats.context_digest))?;
        labels.insert(BUILD_KEY_LABEL.to_owned(), key.clone());
        labels.insert(
            SHAPE_KEY_LABEL.to_owned(),
            self.key_of(&user_labels, &stats.shape_digest, platform),
        );
        let primary = self.req.refs.first().map(ToString::to_string);
        let spec = self.buildkit_spec(platform, labels.clone(), primary.clone());
        let services = self.services(auths)?;
        self.progress.group_start(&format!(
            "docker build {}",
            primary.as_deref().unwrap_or_default()
        ));
        let mut sink = |text: &str| self.log(text);
        let built = buildkit::build(
            daemon,
            &self.req.context,
            &spec,
            services,
            self.req.secrets.redactions(),
            &mut sink,
        )
        .await;
        self.progress.group_end();
        let built = built?;
        if let Some(wanted) = platform {
            check_platform(daemon, &built.image_id, wanted).await?;
        }
        Ok(Made {
            image_id: built.image_id,
            stats,
            key,
            labels,
            reused_from: None,
            steps: Some((built.cached_steps, built.steps)),
        })
    }
}
