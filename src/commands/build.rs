//! `deploy-action build`: reads flags and the environment, then drives the image modules:
//! context digest and build key, reuse of an existing image (daemon, then registry), the build
//! itself with its log on stderr, tags, pushes with verified digests, and the outputs.

mod report;

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

use super::{emit, exit, gitctx, log};
use crate::cli::{BuildArgs, OutputFormat};
use crate::image::ImageError;
use crate::image::auth::{DockerConfig, RegistryAuth, server_address};
use crate::image::build::{BuildSpec, Decision, build};
use crate::image::buildkey::{BUILD_KEY_LABEL, KeyInputs, SHAPE_KEY_LABEL, build_key};
use crate::image::context::{BuildContext, PackOptions, PackStats};
use crate::image::daemon::{DEFAULT_HOST, Daemon, credentials};
use crate::image::labels::{LabelInputs, oci_labels, parse_label};
use crate::image::push::{PushEvent, push};
use crate::image::registry::Registry;
use crate::image::retry::Backoff;
use crate::image::tags::ImageRef;
use crate::runner::Runner;
use crate::secret::Secret;

/// Gzip level for a context sent over TCP; a local socket gets a plain tar.
const REMOTE_GZIP_LEVEL: u32 = 6;

/// What happened, for the outputs.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub image_id: String,
    pub reused_from: Option<&'static str>,
    pub context_digest: String,
    pub context_files: u64,
    pub context_bytes: u64,
    pub build_key: String,
    pub labels: BTreeMap<String, String>,
    pub refs: Vec<ImageRef>,
    pub images: Vec<ImageRef>,
    /// `(reference, manifest digest)` for every pushed tag.
    pub pushed: Vec<(ImageRef, String)>,
    pub seconds: f64,
}

/// Runs the build and returns the exit status.
pub fn run(args: &BuildArgs) -> Result<u8> {
    let env: HashMap<String, String> = std::env::vars().collect();
    let runner = Runner::from_env(|k| env.get(k).cloned());
    // Credentials first: their mask must reach the runner before anything else is printed.
    let explicit = explicit_auth(args, &runner)?;

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
    let host = env
        .get("DOCKER_HOST")
        .filter(|h| !h.trim().is_empty())
        .cloned()
        .unwrap_or_else(|| DEFAULT_HOST.to_owned());
    let config_dir = env
        .get("DOCKER_CONFIG")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| env.get("HOME").map(|h| Path::new(h).join(".docker")));

    let job = Job {
        args,
        runner: &runner,
        context,
        pack: PackOptions {
            gzip: host.starts_with("tcp://").then_some(REMOTE_GZIP_LEVEL),
        },
        build_args,
        facts,
        tagging,
        host,
        explicit,
        config_dir,
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
    host: String,
    explicit: Option<RegistryAuth>,
    config_dir: Option<PathBuf>,
}

impl Job<'_> {
    async fn run(self) -> Result<Outcome, ImageError> {
        let started = Instant::now();
        let args = self.args;
        let daemon = Daemon::connect(&self.host).await?;

        let auths = self.auths()?;
        let registries = if args.push {
            let mut map = HashMap::new();
            for image in &self.tagging.images {
                let host = image.registry().to_owned();
                let auth = auths.get(&host).cloned().flatten();
                map.insert(
                    host.clone(),
                    Registry::new(&host, auth, Backoff::default())?,
                );
            }
            map
        } else {
            HashMap::new()
        };
        let primary = self.tagging.refs.first().cloned().ok_or_else(|| {
            ImageError::Usage("no image reference to build; pass --image".to_owned())
        })?;
        // The user's labels with the values they end up with (expressions expanded).
        let expanded = oci_labels(&LabelInputs {
            git: &self.facts.git,
            repo: &self.facts.repo,
            version: self.tagging.list.version(),
            context_digest: None,
            user_labels: &args.labels,
        })?;
        let mut user_labels = BTreeMap::new();
        for text in &args.labels {
            let (key, _) = parse_label(text)?;
            let value = expanded.get(&key).cloned().unwrap_or_default();
            user_labels.insert(key, value);
        }
        let key_of = |context_digest: &str| {
            build_key(&KeyInputs {
                context_digest,
                dockerfile: self.context.dockerfile(),
                target: args.target.as_deref(),
                platform: args.platform.as_deref(),
                build_args: &self.build_args,
                user_labels: &user_labels,
            })
        };

        // Reading the context once: when no image with the context's shape (found from
        // listings and lstat, see `BuildContext::shape_digest`) exists, none with its content
        // can, so the context streams to the daemon and is hashed on the way (`image::build`).
        // When one does, the context is likely unchanged: it is read for its digest first, and
        // only uploaded (read a second time) if no image has the same build key after all.
        let rebuild = args.rebuild || args.no_cache || args.pull;
        let may_reuse = if rebuild {
            false
        } else {
            let shape_context = self.context.clone();
            let shape = tokio::task::spawn_blocking(move || shape_context.shape_digest())
                .await
                .map_err(|e| ImageError::Usage(format!("listing the context failed: {e}")))??;
            self.shape_seen(&daemon, &registries, &key_of(&shape))
                .await?
        };

        let mut key = String::new();
        let mut labels = BTreeMap::new();
        let mut reused_from = None;
        let looked = std::cell::Cell::new(!may_reuse);
        let mut decide = async |stats: &PackStats| -> Result<Decision, ImageError> {
            log(&format!(
                "context {}: {} files, {} bytes, {}\n",
                args.context.display(),
                stats.files,
                stats.content_bytes,
                stats.context_digest
            ));
            labels = oci_labels(&LabelInputs {
                git: &self.facts.git,
                repo: &self.facts.repo,
                version: self.tagging.list.version(),
                context_digest: Some(&stats.context_digest),
                user_labels: &args.labels,
            })?;
            key = key_of(&stats.context_digest);
            labels.insert(BUILD_KEY_LABEL.to_owned(), key.clone());
            labels.insert(SHAPE_KEY_LABEL.to_owned(), key_of(&stats.shape_digest));
            if rebuild || looked.replace(true) {
                return Ok(Decision::Build {
                    labels: labels.clone(),
                });
            }
            if let Some(id) = daemon.find_by_label(BUILD_KEY_LABEL, &key).await? {
                log(&format!(
                    "reusing {id}: the daemon has an image with build key {key}\n"
                ));
                reused_from = Some("daemon");
                return Ok(Decision::Reuse { image_id: id });
            }
            if let Some(id) = self
                .find_in_registries(&daemon, &registries, &auths, &key)
                .await?
            {
                reused_from = Some("registry");
                return Ok(Decision::Reuse { image_id: id });
            }
            Ok(Decision::Build {
                labels: labels.clone(),
            })
        };
        let mut reused = None;
        if may_reuse {
            log("an image with this context's shape exists: reading the context for its digest\n");
            let digest_context = self.context.clone();
            let stats = tokio::task::spawn_blocking(move || {
                digest_context.pack(std::io::sink(), &PackOptions::default())
            })
            .await
            .map_err(|e| ImageError::Usage(format!("packing the context failed: {e}")))??;
            if let Decision::Reuse { image_id } = decide(&stats).await? {
                reused = Some((image_id, stats));
            }
        }

        let spec = BuildSpec {
            tag: primary.to_string(),
            build_args: self.build_args.clone(),
            target: args.target.clone(),
            platform: args.platform.clone(),
            cache_from: args.cache_from.clone(),
            pull: args.pull,
            no_cache: args.no_cache,
            registry_config: auths
                .iter()
                .filter_map(|(host, auth)| {
                    let auth = auth.as_ref()?;
                    Some((server_address(host), credentials(host, Some(auth))))
                })
                .collect(),
        };
        let (image_id, digest) = match reused {
            Some(found) => found,
            None => {
                log(&self.runner.group_start(&format!("docker build {primary}")));
                let built = build(&daemon, &self.context, self.pack, &spec, &mut decide, log).await;
                log(self.runner.group_end());
                let built = built?;
                (built.image_id, built.stats)
            }
        };

        for reference in &self.tagging.refs {
            daemon.tag(&image_id, reference).await?;
        }
        let image = daemon.inspect(&image_id).await?;
        let labels = image.map(|i| i.labels).unwrap_or(labels);

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
            image_id,
            reused_from,
            context_digest: digest.context_digest,
            context_files: digest.files,
            context_bytes: digest.content_bytes,
            build_key: key,
            labels,
            refs: self.tagging.refs.clone(),
            images: self.tagging.images.clone(),
            pushed,
            seconds: started.elapsed().as_secs_f64(),
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
        let backoff = Backoff::default();
        for reference in &self.tagging.refs {
            let Some(registry) = registries.get(reference.registry()) else {
                continue;
            };
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
            let digest = push(
                daemon,
                registry,
                reference,
                auth.as_ref(),
                &backoff,
                &on_event,
            )
            .await?;
            pushed.push((reference.clone(), digest));
        }
        Ok(())
    }
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
