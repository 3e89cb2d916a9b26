//! `deploy-action build`: reads flags and the environment into a build request, runs it
//! through `deploy_action_image::build_job` with its log on stderr (grouped in Actions), and
//! renders the outcome: text or JSON on stdout, step outputs and a step summary.

mod report;

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{emit, exit, gitctx, log};
use crate::cli::{BuildArgs, BuilderChoice, OutputFormat};
use crate::runner::Runner;
use deploy_action_image::ImageError;
use deploy_action_image::auth::RegistryAuth;
use deploy_action_image::build_job::{self, BuildOptions, BuildRequest, OptionFlags, Progress};
use deploy_action_image::context::BuildContext;
use deploy_action_sys::secret::Secret;

/// Runs the build and returns the exit status.
pub fn run(args: &BuildArgs) -> Result<u8> {
    let env: HashMap<String, String> = std::env::vars().collect();
    let runner = Runner::from_env(|k: &str| env.get(k).cloned());
    // Credentials and secrets first: their masks must reach the runner before anything else
    // is printed.
    let credentials = explicit_auth(args, &runner)?;
    let options = BuildOptions::parse(&OptionFlags {
        platform: args.platform.as_deref(),
        cache_from: &args.cache_from,
        cache_to: &args.cache_to,
        secrets: &args.secrets,
        ssh: &args.ssh,
    })?;
    let builder = args.builder.map(|b| match b {
        BuilderChoice::Buildkit => build_job::BuilderKind::Buildkit,
        BuilderChoice::Classic => build_job::BuilderKind::Classic,
    });
    options.check_builder(builder)?;
    let secrets = options.load_secrets(&env)?;
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
    let home = env.get("HOME").map(PathBuf::from);
    let set = |key: &str| env.get(key).filter(|d| !d.is_empty()).map(PathBuf::from);
    let request = BuildRequest {
        context,
        context_name: args.context.display().to_string(),
        build_args,
        target: args.target.clone(),
        platform: args.platform.clone(),
        labels: args.labels.clone(),
        git: facts.git,
        repo: facts.repo,
        tags: tagging.list,
        images: tagging.images,
        refs: tagging.refs,
        options,
        secrets,
        builder,
        push: args.push,
        pull: args.pull,
        no_cache: args.no_cache,
        rebuild: args.rebuild,
        credentials,
        docker_context: args.docker_context.clone(),
        docker_config: set("DOCKER_CONFIG").or_else(|| home.as_ref().map(|h| h.join(".docker"))),
        // File hashes remembered between builds: `$XDG_CACHE_HOME/deploy-action/stat` or
        // `~/.cache/deploy-action/stat`.
        stat_cache: set("XDG_CACHE_HOME")
            .or_else(|| home.as_ref().map(|h| h.join(".cache")))
            .map(|base| base.join("deploy-action").join("stat")),
        scratch: std::env::temp_dir(),
        env,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(build_job::run(&request, &StderrProgress(&runner)))?;

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

/// The build's log on stderr, long parts grouped when running in Actions.
struct StderrProgress<'a>(&'a Runner);

impl Progress for StderrProgress<'_> {
    fn log(&self, text: &str) {
        log(text);
    }

    fn group_start(&self, title: &str) {
        log(&self.0.group_start(title));
    }

    fn group_end(&self) {
        log(self.0.group_end());
    }
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
