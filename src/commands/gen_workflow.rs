//! `deploy-action gen-workflow`: gathers the settings (flags, the config file's
//! `gen-workflow:` section, what the repository's files show), renders the pipeline, and
//! prints it, writes it, or checks the committed files against it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::cli::GenWorkflowArgs;
use deploy_action_generate::detect::{self, Snapshot};
use deploy_action_generate::{self as generate, Service, Settings};

use super::{emit, exit};

/// Where the workflow goes unless `-o` or the config says otherwise.
const DEFAULT_OUTPUT: &str = ".github/workflows/deploy.yml";

/// Runs the subcommand and returns the exit status: 0 done, 1 `--check` found drift.
pub fn run(args: &GenWorkflowArgs) -> Result<u8> {
    if args.list {
        emit(&generate::list()).context("cannot write to standard output")?;
        return Ok(exit::OK);
    }
    let dir = &args.dir;
    if !dir.is_dir() {
        anyhow::bail!(
            "{}: not a directory; give the repository with --dir",
            dir.display()
        );
    }
    let config_path = match &args.config {
        Some(p) => Some(p.clone()),
        None => Some(dir.join(".github/deploy-action.yml")).filter(|p| p.is_file()),
    };
    let config = match &config_path {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read config {}", p.display()))?;
            Settings::from_config(&p.display().to_string(), &text)?
        }
        None => Settings::default(),
    };
    let snapshot = snapshot(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    let repo_name = std::fs::canonicalize(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
        .unwrap_or_default();
    let detected = detect::detect(&snapshot, &repo_name);
    let output = match (&args.output, &config.output) {
        (Some(o), _) => o.clone(),
        (None, Some(o)) => dir.join(o),
        (None, None) => dir.join(DEFAULT_OUTPUT),
    };
    let options = flags(args)?
        .layer(config)
        .layer(detected.settings.clone())
        .resolve(&detected.frontends)?;
    let files = generate::generate(&options)?;
    let policy = dir.join(&options.policy_path);
    let outputs = [(output, files.workflow), (policy, files.promotion)];

    if args.check {
        let mut drift = String::new();
        for (path, want) in &outputs {
            let have = std::fs::read_to_string(path).unwrap_or_default();
            if &have != want {
                let name = shown(path);
                drift.push_str(
                    &similar::TextDiff::from_lines(have.as_str(), want.as_str())
                        .unified_diff()
                        .context_radius(3)
                        .header(
                            &format!("{name} (committed)"),
                            &format!("{name} (generated)"),
                        )
                        .to_string(),
                );
            }
        }
        if drift.is_empty() {
            return Ok(exit::OK);
        }
        emit(&drift).context("cannot write to standard output")?;
        log(
            "the files differ from what gen-workflow generates; run `deploy-action gen-workflow` \
             (same flags) and commit the result",
        );
        return Ok(exit::FINDINGS);
    }
    for note in &detected.notes {
        log(&format!("detected {note}"));
    }
    if args.dry_run {
        let mut text = String::new();
        for (path, body) in &outputs {
            text.push_str(&format!("# ==> {} <==\n{body}", shown(path)));
        }
        emit(&text).context("cannot write to standard output")?;
        return Ok(exit::OK);
    }
    for (path, body) in &outputs {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(path, body).with_context(|| format!("cannot write {}", path.display()))?;
        log(&format!("wrote {}", shown(path)));
    }
    Ok(exit::OK)
}

/// The flags as the most important layer of settings.
fn flags(args: &GenWorkflowArgs) -> Result<Settings> {
    let services = if args.services.is_empty() {
        None
    } else {
        Some(
            args.services
                .iter()
                .map(|s| Service::parse(s))
                .collect::<Result<Vec<_>, _>>()?,
        )
    };
    Ok(Settings {
        stack: args.stack,
        package_manager: args.package_manager,
        registry: args.registry,
        target: args.target,
        services,
        frontend_dir: args.frontend.clone(),
        staging_branch: args.staging_branch.clone(),
        production_branch: args.production_branch.clone(),
        trivy: args.trivy.then_some(true),
        notify: args.notify,
        image_name: args.image_name.clone(),
        health_path: args.health_path.clone(),
        app_port: args.app_port,
        soak: args.soak.clone(),
        host_port: args.host_port,
        deploy_command: args.deploy_command.clone(),
        action_ref: args.action_ref.clone(),
        progressive: deploy_action_generate::progressive::ProgressiveSettings {
            traffic_steps: args.traffic_steps.clone(),
            step_pause: args.step_pause.clone(),
            max_error_rate: args.max_error_rate.clone(),
            max_latency: args.max_latency.clone(),
            staging_max_latency: args.staging_max_latency.clone(),
        },
        ..Settings::default()
    })
}

/// The repository's files down to [`detect::MAX_DEPTH`], skipping dependency and build
/// folders, with the text of the files detection reads.
fn snapshot(root: &Path) -> std::io::Result<Snapshot> {
    let mut snap = Snapshot::new();
    let mut todo: Vec<(PathBuf, String, usize)> = vec![(root.to_path_buf(), String::new(), 0)];
    while let Some((dir, rel, depth)) = todo.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)?.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().to_string();
            let path = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let Ok(kind) = e.file_type() else { continue };
            if kind.is_dir() {
                if depth < detect::MAX_DEPTH && !detect::SKIP_DIRS.contains(&name.as_str()) {
                    todo.push((e.path(), path, depth + 1));
                }
            } else if kind.is_file() {
                let text = if detect::wants_content(&path) {
                    std::fs::read_to_string(e.path())
                        .ok()
                        .filter(|t| t.len() < 1 << 20)
                } else {
                    None
                };
                snap.add(&path, text);
            }
        }
    }
    Ok(snap)
}

/// A path as the user would type it: relative to the current directory when it is inside.
fn shown(p: &Path) -> String {
    let rel = std::env::current_dir()
        .ok()
        .and_then(|cwd| p.strip_prefix(cwd).ok().map(Path::to_path_buf));
    let s = rel.as_deref().unwrap_or(p).display().to_string();
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// Progress and notes go to stderr; results to stdout.
fn log(msg: &str) {
    #[allow(clippy::print_stderr)]
    {
        eprintln!("gen-workflow: {msg}");
    }
}
