//! `deploy-action build`: reads flags and the environment, then drives the image modules:
//! context digest and build key, reuse of an existing image (daemon, then registry), the build
//! itself (BuildKit, or the classic builder) with its log on stderr, tags, pushes with verified
//! digests (an OCI index for several platforms), and the outputs.

mod classic;
mod multi;
mod options;
mod report;

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

use self::options::BuildOptions;
use super::{emit, exit, gitctx, log};
use crate::cli::{BuildArgs, BuilderKind, OutputFormat};
use crate::runner::Runner;
use deploy_action_image::ImageError;
use deploy_action_image::auth::{DockerConfig, RegistryAuth};
use deploy_action_image::buildkey::{BUILD_KEY_LABEL, KeyInputs, SHAPE_KEY_LABEL, build_key};
use deploy_action_image::buildkit::{
    self, Failure, secrets::Secrets, services::Auth, session::Services,
};
use deploy_action_image::buildkit::{filesync::FileSync, ssh::SshAgents};
use deploy_action_image::context::{BuildContext, PackOptions, PackStats};
use deploy_action_image::daemon::{Daemon, Labelled};
use deploy_action_image::endpoint::{self, Resolved};
use deploy_action_image::labels::{LabelInputs, oci_labels, parse_label};
use deploy_action_image::push::{PushEvent, push};
use deploy_action_image::registry::Registry;
use deploy_action_image::retry::Backoff;
use deploy_action_image::tags::ImageRef;
use deploy_action_sys::secret::Secret;

/// Gzip level for a context sent to a remote daemon; a local socket gets a plain tar.
const REMOTE_GZIP_LEVEL: u32 = 6;

/// What happened, for the outputs.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub image_id: String,
    pub reused_from: Option<&'static str>,
    pub builder: &'static str,
    pub context_digest: String,
    pub context_files: u64,
    pub context_bytes: u64,
    pub build_key: String,
    pub labels: BTreeMap<String, String>,
    pub refs: Vec<ImageRef>,
    pub images: Vec<ImageRef>,
    /// `(reference, manifest digest)` for every pushed tag (the index's for several platforms).
    pub pushed: Vec<(ImageRef, String)>,
    /// For several platforms: each platform's manifest digest when pushed, else image id.
    pub platforms: Vec<(String, String)>,
    /// BuildKit steps that came from the cache, and all finished steps.
    pub steps: Option<(usize, usize)>,
    pub seconds: f64,
}

/// Runs the build and returns the exit status.
pub fn run(args: &BuildArgs) -> Result<u8> {
    let env: HashMap<String, String> = std::env::vars().collect();
    let getenv = |k: &str| env.get(k).cloned();
    let runner = Runner::from_env(getenv);
    // Credentials and secrets first: their masks must reach the runner before anything else
    // is printed.
    let explicit = explicit_auth(args, &runner)?;
    let options = BuildOptions::parse(args)?;
    options.check_builder(args.builder)?;
    let secrets = Secrets::load(&options.secrets, &getenv)?;
    for value in secrets.redactions() {
        if let Some(mask) = runner.mask_command(&value) {
            log(&mask);
        }
    }

    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let context_dir = absolute(&cwd, &args.context);
    let dockerfile = match &args.file {
        Some(file) => absolute(&cwd, file),
        None => PathBuf::from("Dockerfile"),
    };
    let context = BuildContext::open(&context_dir, &dockerfile).map_err(ImageError::from)?;
    let build_args = build_args(&args.build_args, &env)?;
    let facts = gitctx::facts(&env, &context_dir, args.image.sha.as_deref())?;
    let tagging = gitctx::tagging(&args.image, &facts)?;
    for warning in tagging.list.warnings() {
        log(&format!("warning: {warning}\n"));
    }
    let config_dir = env
        .get("DOCKER_CONFIG")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| env.get("HOME").map(|h| Path::new(h).join(".docker")));
    let resolved = endpoint::resolve(
        args.docker_context.as_deref(),
        &getenv,
        config_dir.as_deref(),
    )
    .map_err(ImageError::from)?;

    let job = Job {
        args,
        runner: &runner,
        context,
        pack: PackOptions {
            gzip: resolved.endpoint.is_remote().then_some(REMOTE_GZIP_LEVEL),
        },
        build_args,
        facts,
        tagging,
        resolved,
        explicit,
        config_dir,
        options,
        secrets,
        env: &env,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(job.run())?;

    let text = match args.format {
        OutputFormat::Human => report::human(&outcome),
        OutputFormat::Json => report::json(&outcome)?,
    };
    emit(&text).context("cannot write to standard output")?;
    let outputs = report::outputs(&outcome);
    let pairs: Vec<(&str, &str)> = outputs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    runner.set_outputs(&pairs)?;
    runner.summary(&report::summary(&outcome))?;
    Ok(exit::OK)
}

/// Reads `--registry-password-stdin` and masks it in Actions.
fn explicit_auth(args: &BuildArgs, runner: &Runner) -> Result<Option<RegistryAuth>> {
    let Some(username) = &args.registry_username else {
        return Ok(None);
    };
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("cannot read the registry password from standard input")?;
    let password = text.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        return Err(ImageError::Usage(
            "--registry-password-stdin read an empty password; pipe the password or token in, \
             e.g. `echo \"$TOKEN\" | deploy-action build --registry-password-stdin ...`"
                .to_owned(),
        )
        .into());
    }
    if let Some(mask) = runner.mask_command(&password) {
        // JSON results keep stdout a single document; the runner reads commands on stderr too.
        if args.format == OutputFormat::Json {
            log(&mask);
        } else {
            emit(&mask).context("cannot write to standard output")?;
        }
    }
    Ok(Some(RegistryAuth::Basic {
        username: username.clone(),
        password: Secret::new(password),
    }))
}

/// The line that tells what the context holds.
fn log_context(args: &BuildArgs, stats: &PackStats) {
    log(&format!(
        "context {}: {} files, {} bytes, {}\n",
        args.context.display(),
        stats.files,
        stats.content_bytes,
        stats.context_digest
    ));
}

/// Fails when image `id` is not for `wanted` (`os/arch[/variant]`).
async fn check_platform(daemon: &Daemon, id: &str, wanted: &str) -> Result<String, ImageError> {
    let built = daemon
        .inspect(id)
        .await?
        .map(|i| i.platform)
        .unwrap_or_default();
    if !built.is_empty() && !deploy_action_image::build::same_platform(wanted, &built) {
        return Err(ImageError::PlatformMismatch {
            wanted: wanted.to_owned(),
            built,
        });
    }
    Ok(built)
}

fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    }
}

/// `KEY=VALUE`, or `KEY` alone for the environment's value (skipped when unset, as Docker does).
fn build_args(
    raw: &[String],
    env: &HashMap<String, String>,
) -> Result<BTreeMap<String, String>, ImageError> {
    let mut out = BTreeMap::new();
    for text in raw {
        let (key, value) = match text.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.to_owned())),
            None => (text.trim(), env.get(text.trim()).cloned()),
        };
        if key.is_empty() {
            return Err(ImageError::Usage(format!(
                "--build-arg `{text}` has no name; write `--build-arg NAME=value`"
            )));
        }
        if let Some(value) = value {
            out.insert(key.to_owned(), value);
        }
    }
    Ok(out)
}

/// Everything the async part needs.
struct Job<'a> {
    args: &'a BuildArgs,
    runner: &'a Runner,
    context: BuildContext,
    pack: PackOptions,
    build_args: BTreeMap<String, String>,
    facts: gitctx::GitFacts,
    tagging: gitctx::Tagging,
    resolved: Resolved,
    explicit: Option<RegistryAuth>,
    config_dir: Option<PathBuf>,
    options: BuildOptions,
    secrets: Secrets,
    env: &'a HashMap<String, String>,
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

impl Job<'_> {
    async fn run(self) -> Result<Outcome, ImageError> {
        let started = Instant::now();
        let args = self.args;
        let daemon = Daemon::connect(&self.resolved).await?;
        let (builder, note) = options::choose(args.builder, &self.options, &daemon)?;
        if let Some(note) = note {
            log(&format!("note: {note}"));
        }
        let auths = self.auths()?;
        let registries = self.registries(&auths)?;
        if self.options.platforms.len() > 1 {
            return multi::run(&self, &daemon, &registries, &auths, started).await;
        }
        let made = match builder {
            BuilderKind::Buildkit => match self.buildkit_one(&daemon, &registries, &auths).await {
                Ok(made) => made,
                Err(Failure::Unsupported(why)) if args.builder.is_none() => {
                    log(&format!(
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

        for reference in &self.tagging.refs {
            daemon.tag(&made.image_id, reference).await?;
        }
        let image = daemon.inspect(&made.image_id).await?;
        let labels = image.map(|i| i.labels).unwrap_or(made.labels);

        let mut pushed = Vec::new();
        if args.push {
            log(&self.runner.group_start("docker push"));
            let result = self
                .push_all(&daemon, &registries, &auths, &mut pushed)
                .await;
            log(self.runner.group_end());
            result?;
        }
        Ok(Outcome {
            image_id: made.image_id,
            reused_from: made.reused_from,
            builder,
            context_digest: made.stats.context_digest,
            context_files: made.stats.files,
            context_bytes: made.stats.content_bytes,
            build_key: made.key,
            labels,
            refs: self.tagging.refs.clone(),
            images: self.tagging.images.clone(),
            pushed,
            platforms: Vec::new(),
            steps: made.steps,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// A registry client per `--image` registry when pushing.
    fn registries(
        &self,
        auths: &HashMap<String, Option<RegistryAuth>>,
    ) -> Result<HashMap<String, Registry>, ImageError> {
        let mut map = HashMap::new();
        if !self.args.push {
            return Ok(map);
        }
        for image in &self.tagging.images {
            let host = image.registry().to_owned();
            let auth = auths.get(&host).cloned().flatten();
            map.insert(
                host.clone(),
                Registry::new(&host, auth, Backoff::default())?,
            );
        }
        Ok(map)
    }

    /// The user's labels with the values they end up with (expressions expanded).
    fn user_labels(&self) -> Result<BTreeMap<String, String>, ImageError> {
        let expanded = self.labels_for(None)?;
        let mut user_labels = BTreeMap::new();
        for text in &self.args.labels {
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
            git: &self.facts.git,
            repo: &self.facts.repo,
            version: self.tagging.list.version(),
            context_digest,
            user_labels: &self.args.labels,
        })?)
    }

    /// The build key of a context digest (or shape digest) for `platform`.
    fn key_of(
        &self,
        user_labels: &BTreeMap<String, String>,
        digest: &str,
        platform: Option<&str>,
    ) -> String {
        let options = self.options.key_options();
        build_key(&KeyInputs {
            context_digest: digest,
            dockerfile: self.context.dockerfile(),
            target: self.args.target.as_deref(),
            platform,
            build_args: &self.build_args,
            user_labels,
            options: &options,
        })
    }

    /// The context's digest, read on all cores (BuildKit needs it before the request: the
    /// labels carry it).
    async fn digest(&self) -> Result<PackStats, ImageError> {
        let context = self.context.clone();
        let threads = std::thread::available_parallelism().map_or(2, usize::from);
        let cache_dir = self.stat_cache_dir();
        Ok(
            tokio::task::spawn_blocking(move || {
                context.digest_stats(threads, cache_dir.as_deref())
            })
            .await
            .map_err(|e| ImageError::Usage(format!("reading the context failed: {e}")))??,
        )
    }

    /// Where file hashes are remembered between builds: `$XDG_CACHE_HOME/deploy-action/stat`
    /// or `~/.cache/deploy-action/stat`.
    fn stat_cache_dir(&self) -> Option<PathBuf> {
        let base = self
            .env
            .get("XDG_CACHE_HOME")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| self.env.get("HOME").map(|h| Path::new(h).join(".cache")))?;
        Some(base.join("deploy-action").join("stat"))
    }

    /// Looks for an image with build key `key`: the daemon's (in `local`, its images listed
    /// while the digest was read, when given), then (pushing) a registry's under the computed
    /// tags.
    async fn find_existing(
        &self,
        daemon: &Daemon,
        local: Option<&Labelled>,
        registries: &HashMap<String, Registry>,
        auths: &HashMap<String, Option<RegistryAuth>>,
        key: &str,
    ) -> Result<Option<(String, &'static str)>, ImageError> {
        let found = match local {
            Some(local) => local.newest(key),
            None => daemon.find_by_label(BUILD_KEY_LABEL, key).await?,
        };
        if let Some(id) = found {
            log(&format!(
                "reusing {id}: the daemon has an image with build key {key}\n"
            ));
            return Ok(Some((id, "daemon")));
        }
        Ok(self
            .find_in_registries(daemon, registries, auths, key)
            .await?
            .map(|id| (id, "registry")))
    }

    /// The session's services for one BuildKit build.
    fn services(
        &self,
        auths: &HashMap<String, Option<RegistryAuth>>,
    ) -> Result<Services, ImageError> {
        let getenv = |k: &str| self.env.get(k).cloned();
        let scratch = std::env::temp_dir();
        let explicit = auths
            .iter()
            .filter_map(|(host, auth)| Some((host.clone(), auth.clone()?)))
            .collect();
        let config = match &self.config_dir {
            Some(dir) => Some(DockerConfig::load(dir)?),
            None => None,
        };
        Ok(Services {
            filesync: FileSync::new(&self.context),
            secrets: self.secrets.clone(),
            ssh: SshAgents::load(&self.options.ssh, &getenv, &scratch)?,
            auth: Auth::new(explicit, config),
        })
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
            build_args: self.build_args.clone(),
            target: self.args.target.clone(),
            platform: platform.map(str::to_owned),
            cache_from: self.options.cache_from.clone(),
            inline_cache: self.options.inline_cache,
            pull: self.args.pull,
            no_cache: self.args.no_cache,
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
        let args = self.args;
        let platform = self.options.single_platform();
        let user_labels = self.user_labels()?;
        let rebuild = args.rebuild || args.no_cache || args.pull;
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
        log_context(args, &stats);
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
        let primary = self.tagging.refs.first().map(ToString::to_string);
        let spec = self.buildkit_spec(platform, labels.clone(), primary.clone());
        let services = self.services(auths)?;
        log(&self.runner.group_start(&format!(
            "docker build {}",
            primary.as_deref().unwrap_or_default()
        )));
        let mut sink = |text: &str| log(text);
        let built = buildkit::build(
            daemon,
            &self.context,
            &spec,
            services,
            self.secrets.redactions(),
            &mut sink,
        )
        .await;
        log(self.runner.group_end());
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

    /// Credentials per registry of the `--image`s: the explicit ones, else the Docker config's.
    fn auths(&self) -> Result<HashMap<String, Option<RegistryAuth>>, ImageError> {
        let mut out = HashMap::new();
        if !self.args.push && self.explicit.is_none() {
            return Ok(out);
        }
        let config = match (&self.explicit, &self.config_dir) {
            (None, Some(dir)) => Some(DockerConfig::load(dir)?),
            _ => None,
        };
        for image in &self.tagging.images {
            let host = image.registry().to_owned();
            let auth = match (&self.explicit, &config) {
                (Some(auth), _) => Some(auth.clone()),
                (None, Some(config)) => config.credentials(&host)?,
                (None, None) => None,
            };
            out.insert(host, auth);
        }
        Ok(out)
    }

    /// Whether the daemon, or a registry under one of the computed tags, has an image whose
    /// shape key is `shape_key`.
    async fn shape_seen(
        &self,
        daemon: &Daemon,
        registries: &HashMap<String, Registry>,
        shape_key: &str,
    ) -> Result<bool, ImageError> {
        if daemon
            .find_by_label(SHAPE_KEY_LABEL, shape_key)
            .await?
            .is_some()
        {
            return Ok(true);
        }
        for image in &self.tagging.images {
            let Some(registry) = registries.get(image.registry()) else {
                continue;
            };
            for tag in self.tagging.list.tags() {
                let Some(remote) = registry.image(image.repository(), tag).await? else {
                    continue;
                };
                if remote.labels.get(SHAPE_KEY_LABEL).map(String::as_str) == Some(shape_key) {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Looks for an image with `key` under the computed tags in each registry; pulls the first
    /// found and returns its ID.
    async fn find_in_registries(
        &self,
        daemon: &Daemon,
        registries: &HashMap<String, Registry>,
        auths: &HashMap<String, Option<RegistryAuth>>,
        key: &str,
    ) -> Result<Option<String>, ImageError> {
        for image in &self.tagging.images {
            let Some(registry) = registries.get(image.registry()) else {
                continue;
            };
            for tag in self.tagging.list.tags() {
                let Some(remote) = registry.image(image.repository(), tag).await? else {
                    continue;
                };
                if remote.labels.get(BUILD_KEY_LABEL).map(String::as_str) != Some(key) {
                    continue;
                }
                let by_digest = ImageRef::parse(&format!("{}@{}", image.name(), remote.digest))?;
                log(&format!(
                    "reusing {by_digest} ({}:{tag} has build key {key}); pulling it\n",
                    image.name()
                ));
                let auth = auths.get(image.registry()).cloned().flatten();
                daemon.pull(&by_digest, auth.as_ref()).await?;
                if let Some(local) = daemon.inspect(&by_digest.to_string()).await? {
                    return Ok(Some(local.id));
                }
            }
        }
        Ok(None)
    }

    async fn push_all(
        &self,
        daemon: &Daemon,
        registries: &HashMap<String, Registry>,
        auths: &HashMap<String, Option<RegistryAuth>>,
        pushed: &mut Vec<(ImageRef, String)>,
    ) -> Result<(), ImageError> {
        for reference in &self.tagging.refs {
            let Some(registry) = registries.get(reference.registry()) else {
                continue;
            };
            let digest = push_one(daemon, registry, auths, reference).await?;
            pushed.push((reference.clone(), digest));
        }
        Ok(())
    }
}

/// Pushes `reference` with its registry's credentials, logging progress; returns the manifest
/// digest, checked against the registry's.
async fn push_one(
    daemon: &Daemon,
    registry: &Registry,
    auths: &HashMap<String, Option<RegistryAuth>>,
    reference: &ImageRef,
) -> Result<String, ImageError> {
    log(&format!("pushing {reference}\n"));
    let auth = auths.get(reference.registry()).cloned().flatten();
    let on_event = |event: PushEvent| match event {
        PushEvent::Status(s) => log(&format!("  {s}\n")),
        PushEvent::Retry {
            attempt,
            wait_ms,
            message,
        } => log(&format!(
            "  attempt {attempt} failed ({message}); retrying in {wait_ms} ms\n"
        )),
    };
    push(
        daemon,
        registry,
        reference,
        auth.as_ref(),
        &Backoff::default(),
        &on_event,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_args_take_values_or_the_environment() {
        let env = HashMap::from([("FROM_ENV".to_owned(), "e".to_owned())]);
        let raw = ["A=1=2", "FROM_ENV", "UNSET", "B="].map(str::to_owned);
        let args = build_args(&raw, &env).expect("valid");
        let want = BTreeMap::from([
            ("A".to_owned(), "1=2".to_owned()),
            ("B".to_owned(), String::new()),
            ("FROM_ENV".to_owned(), "e".to_owned()),
        ]);
        assert_eq!(args, want);
        assert!(build_args(&["=x".to_owned()], &env).is_err());
    }
}
