//! What a repository's files say about its pipeline, with no flags: the stack (and its package
//! manager), the Dockerfiles (services), a static frontend, and the target when the repository
//! carries one's files (`k8s/`, a Helm chart, `staticwebapp.config.json`).
//!
//! Works on a [`Snapshot`] the command takes of the repository (paths, and the text of the few
//! files whose content matters), so detection itself does no I/O.

use std::collections::BTreeMap;

use super::options::{Frontend, NodeFacts, NodeTestRunner, PackageManager, Service, Stack, Target};
use super::settings::Settings;

/// Folders never looked into.
pub const SKIP_DIRS: &[&str] = &[
    ".git",
    "node_modules",
    "target",
    ".venv",
    "venv",
    "dist",
    "build",
    "vendor",
    "__pycache__",
    ".next",
    ".tox",
    ".mypy_cache",
    ".pytest_cache",
];

/// How deep detection looks (the root is depth 0: `backend/Dockerfile` is depth 1).
pub const MAX_DEPTH: usize = 3;

/// Whether the command should read a file's text into the snapshot.
pub fn wants_content(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(name, "package.json" | "Dockerfile")
}

/// The repository as detection sees it: relative paths with `/`, and the text of the files
/// [`wants_content`] asks for.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    files: BTreeMap<String, Option<String>>,
}

impl Snapshot {
    /// An empty snapshot.
    pub fn new() -> Snapshot {
        Snapshot::default()
    }

    /// Adds a file, with its text if it was read.
    pub fn add(&mut self, path: &str, text: Option<String>) {
        self.files
            .insert(path.trim_start_matches("./").to_string(), text);
    }

    fn has(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    fn text(&self, path: &str) -> Option<&str> {
        self.files.get(path).and_then(|t| t.as_deref())
    }

    fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }
}

/// What detection found: settings to layer under the flags and the config, and every static
/// frontend seen (so that `--frontend DIR` gets its package manager).
#[derive(Debug, Clone, Default)]
pub struct Detected {
    /// The inferred settings.
    pub settings: Settings,
    /// Every folder with package.json and staticwebapp.config.json.
    pub frontends: Vec<Frontend>,
    /// One line per inference, for the user (`stack python: backend/pyproject.toml`).
    pub notes: Vec<String>,
}

fn join(dir: &str, name: &str) -> String {
    if dir == "." {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or(".", |(d, _)| d)
}

/// Infers settings from a snapshot. `repo_name` (the folder's name) becomes the image name.
pub fn detect(snap: &Snapshot, repo_name: &str) -> Detected {
    let mut d = Detected::default();

    let services = find_services(snap);
    if !services.is_empty() {
        d.notes.push(format!(
            "services: {}",
            services
                .iter()
                .map(|s| format!("{}={}", s.name, s.dockerfile))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }

    // Static frontends: package.json next to staticwebapp.config.json.
    for p in snap.paths() {
        if p.rsplit('/').next() == Some("staticwebapp.config.json") {
            let dir = parent(p);
            if snap.has(&join(dir, "package.json")) {
                let (pm, pinned) = node_pm(snap, dir);
                d.frontends.push(Frontend {
                    dir: dir.to_string(),
                    package_manager: pm,
                    output: "dist".into(),
                    pnpm_pinned: pinned,
                });
            }
        }
    }

    detect_stack(snap, &services, &mut d);

    detect_target(snap, services.is_empty(), &mut d);
    if let Some(f) = d.frontends.first() {
        d.notes
            .push(format!("frontend {} (Azure Static Web Apps)", f.dir));
        d.settings.frontend = Some(f.clone());
    }

    // EXPOSE in the first Dockerfile is the app's port.
    if let Some(port) = services
        .first()
        .and_then(|s| snap.text(&s.dockerfile))
        .and_then(expose)
    {
        d.notes.push(format!("app-port {port}: EXPOSE"));
        d.settings.app_port = Some(port);
    }
    if !services.is_empty() {
        d.settings.services = Some(services);
    }
    let name = sanitize(repo_name);
    if !name.is_empty() {
        d.settings.image_name = Some(name);
    }
    d
}

/// Services: the root Dockerfile and those one or two levels down; the root first, then by
/// path (a stable order for job ids and the golden files).
fn find_services(snap: &Snapshot) -> Vec<Service> {
    let mut services: Vec<Service> = Vec::new();
    for p in snap.paths() {
        if p.rsplit('/').next() != Some("Dockerfile") || p.split('/').count() > 3 {
            continue;
        }
        let dir = parent(p);
        let name = if dir == "." {
            "app".to_string()
        } else {
            sanitize(dir.rsplit('/').next().unwrap_or(dir))
        };
        if let Ok(s) = Service::new(&name, p)
            && !services.iter().any(|x| x.name == s.name)
        {
            services.push(s);
        }
    }
    // The root first, then by path: a stable order for job ids and the golden files.
    services.sort_by_key(|s| (s.context != ".", s.dockerfile.clone()));
    services
}

/// The stack: first in the services' folders (what gets built is what gets tested), then the
/// root, then the usual backend folders; a static frontend's folder counts last.
fn detect_stack(snap: &Snapshot, services: &[Service], d: &mut Detected) {
    let mut dirs: Vec<String> = services.iter().map(|s| s.context.clone()).collect();
    dirs.extend([".", "backend", "api", "server", "app", "src"].map(String::from));
    dirs.extend(d.frontends.iter().map(|f| f.dir.clone()));
    let stack = dirs
        .iter()
        .find_map(|dir| stack_in(snap, dir).map(|s| (dir.clone(), s)));
    match stack {
        Some((dir, (stack, pm, why))) => {
            d.notes.push(format!("stack {stack}: {why}"));
            d.settings.stack = Some(stack);
            d.settings.package_manager = pm;
            d.settings.app_dir = Some(dir.clone());
            match stack {
                Stack::Python if pm == Some(PackageManager::Pip) => {
                    d.settings.python_requirements =
                        Some(if snap.has(&join(&dir, "requirements.txt")) {
                            "python -m pip install -r requirements.txt".into()
                        } else {
                            "python -m pip install .".into()
                        });
                }
                Stack::Node => {
                    d.settings.node = Some(node_facts(snap, &dir));
                }
                _ => {}
            }
        }
        None if !services.is_empty() => {
            d.notes.push("stack docker: Dockerfiles only".into());
            d.settings.stack = Some(Stack::Docker);
        }
        None => {}
    }
}

/// The target, from deployment files in the repository: a Helm chart, Kubernetes manifests,
/// else Static Web Apps for a frontend alone.
fn detect_target(snap: &Snapshot, no_services: bool, d: &mut Detected) {
    let chart = snap
        .paths()
        .filter(|p| p.rsplit('/').next() == Some("Chart.yaml"))
        .map(parent)
        .find(|dir| {
            dir.starts_with("helm")
                || dir.starts_with("charts")
                || dir.starts_with("chart")
                || dir.starts_with("deploy")
        })
        .map(str::to_string);
    let k8s = snap.paths().find(|p| {
        (p.starts_with("k8s/")
            || p.starts_with("kubernetes/")
            || p.starts_with("manifests/")
            || p.starts_with("deploy/k8s/"))
            && (p.ends_with(".yaml") || p.ends_with(".yml"))
    });
    if let Some(chart) = chart {
        d.notes.push(format!("target helm: {chart}/Chart.yaml"));
        d.settings.target = Some(Target::Helm);
        let values = |names: &[&str]| names.iter().map(|n| join(&chart, n)).find(|p| snap.has(p));
        d.settings.helm_values = Some((
            values(&["values-staging.yaml", "values-stag.yaml"]),
            values(&["values-production.yaml", "values-prod.yaml"]),
        ));
        d.settings.helm_chart = Some(chart);
    } else if let Some(k) = k8s {
        d.notes.push(format!("target kubernetes: {k}"));
        d.settings.target = Some(Target::Kubernetes);
    } else if no_services && !d.frontends.is_empty() {
        d.notes.push(format!(
            "target static-web-apps: {}/staticwebapp.config.json",
            d.frontends[0].dir
        ));
        d.settings.target = Some(Target::StaticWebApps);
    }
}

/// The stack whose project file is in `dir`, its package manager, and why.
fn stack_in(snap: &Snapshot, dir: &str) -> Option<(Stack, Option<PackageManager>, String)> {
    let has = |n: &str| snap.has(&join(dir, n));
    if has("pyproject.toml") || has("requirements.txt") {
        let file = if has("pyproject.toml") {
            "pyproject.toml"
        } else {
            "requirements.txt"
        };
        let pm = if has("uv.lock") {
            PackageManager::Uv
        } else {
            PackageManager::Pip
        };
        return Some((
            Stack::Python,
            Some(pm),
            format!("{} ({pm})", join(dir, file)),
        ));
    }
    if has("package.json") {
        let (pm, _) = node_pm(snap, dir);
        return Some((
            Stack::Node,
            Some(pm),
            format!("{} ({pm})", join(dir, "package.json")),
        ));
    }
    if has("Cargo.toml") {
        return Some((Stack::Rust, None, join(dir, "Cargo.toml")));
    }
    if has("go.mod") {
        return Some((Stack::Go, None, join(dir, "go.mod")));
    }
    None
}

fn node_pm(snap: &Snapshot, dir: &str) -> (PackageManager, bool) {
    let pinned = snap
        .text(&join(dir, "package.json"))
        .is_some_and(|t| t.contains("\"packageManager\"") && t.contains("pnpm@"));
    if snap.has(&join(dir, "pnpm-lock.yaml")) || pinned {
        (PackageManager::Pnpm, pinned)
    } else {
        (PackageManager::Npm, false)
    }
}

fn node_facts(snap: &Snapshot, dir: &str) -> NodeFacts {
    let pkg = snap.text(&join(dir, "package.json")).unwrap_or_default();
    let runner = if pkg.contains("\"vitest\"") {
        Some(NodeTestRunner::Vitest)
    } else if pkg.contains("\"jest\"") {
        Some(NodeTestRunner::Jest)
    } else {
        None
    };
    NodeFacts {
        typescript: snap.has(&join(dir, "tsconfig.json")),
        runner,
        pnpm_pinned: node_pm(snap, dir).1,
    }
}

/// The first port of the first `EXPOSE` line (`EXPOSE 8000/tcp` is 8000).
fn expose(dockerfile: &str) -> Option<u16> {
    dockerfile.lines().find_map(|l| {
        let mut words = l.split_whitespace();
        let keyword = words.next()?;
        if !keyword.eq_ignore_ascii_case("expose") {
            return None;
        }
        words.next()?.split('/').next()?.parse().ok()
    })
}

/// A folder name as a service or image name: lower case, `[a-z0-9-]`, starting with a letter.
fn sanitize(s: &str) -> String {
    let mut out: String = s
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while out.starts_with(|c: char| !c.is_ascii_lowercase()) && !out.is_empty() {
        out.remove(0);
    }
    while out.ends_with('-') {
        out.pop();
    }
    out.truncate(40);
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(files: &[(&str, Option<&str>)]) -> Snapshot {
        let mut s = Snapshot::new();
        for (p, t) in files {
            s.add(p, t.map(str::to_string));
        }
        s
    }

    #[test]
    fn python_backend_with_frontend() {
        let s = snap(&[
            (
                "backend/Dockerfile",
                Some("FROM python:3.13\nEXPOSE 8000\n"),
            ),
            ("backend/pyproject.toml", None),
            ("backend/uv.lock", None),
            ("frontend/package.json", Some("{}")),
            ("frontend/staticwebapp.config.json", None),
        ]);
        let d = detect(&s, "Kraftd");
        assert_eq!(d.settings.stack, Some(Stack::Python));
        assert_eq!(d.settings.package_manager, Some(PackageManager::Uv));
        assert_eq!(d.settings.app_dir.as_deref(), Some("backend"));
        assert_eq!(d.settings.app_port, Some(8000));
        assert_eq!(d.settings.frontend.map(|f| f.dir), Some("frontend".into()));
        assert_eq!(d.settings.target, None);
        assert_eq!(d.settings.image_name.as_deref(), Some("kraftd"));
    }

    #[test]
    fn targets_from_deployment_files() {
        let helm = snap(&[
            ("Dockerfile", None),
            ("helm/todo/Chart.yaml", None),
            ("helm/todo/values-prod.yaml", None),
            ("go.mod", None),
        ]);
        let d = detect(&helm, "x");
        assert_eq!(d.settings.target, Some(Target::Helm));
        assert_eq!(d.settings.helm_chart.as_deref(), Some("helm/todo"));
        assert_eq!(
            d.settings.helm_values,
            Some((None, Some("helm/todo/values-prod.yaml".into())))
        );
        assert_eq!(d.settings.stack, Some(Stack::Go));
        let k8s = snap(&[
            ("Dockerfile", None),
            ("backend/Dockerfile", None),
            ("k8s/app.yaml", None),
            (
                "package.json",
                Some("{\"devDependencies\":{\"vitest\":\"1\"}}"),
            ),
            ("pnpm-lock.yaml", None),
        ]);
        let d = detect(&k8s, "x");
        assert_eq!(d.settings.target, Some(Target::Kubernetes));
        assert_eq!(d.settings.package_manager, Some(PackageManager::Pnpm));
        assert_eq!(
            d.settings.node.and_then(|n| n.runner),
            Some(NodeTestRunner::Vitest)
        );
        let names: Vec<_> = d
            .settings
            .services
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["app", "backend"]);
        let swa = snap(&[
            ("package.json", Some("{}")),
            ("staticwebapp.config.json", None),
        ]);
        assert_eq!(
            detect(&swa, "x").settings.target,
            Some(Target::StaticWebApps)
        );
        let only_docker = snap(&[("Dockerfile", None)]);
        assert_eq!(
            detect(&only_docker, "x").settings.stack,
            Some(Stack::Docker)
        );
    }
}
