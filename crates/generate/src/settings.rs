//! Settings as they arrive from three places, most important first: command-line flags, the
//! `gen-workflow:` section of `.github/deploy-action.yml`, and what [`super::detect`] finds in
//! the repository. Each is a [`Settings`] with every field optional; [`Settings::layer`] fills
//! the gaps of one with the next, and [`Settings::resolve`] applies the defaults and validates.
//!
//! ```yaml
//! gen-workflow:
//!   stack: python
//!   registry: acr
//!   target: container-apps
//!   services: {backend: backend/Dockerfile}   # or a list of "NAME=PATH/Dockerfile"
//!   frontend: frontend                        # a static site for Azure Static Web Apps
//!   staging-branch: develop
//!   production-branch: main
//!   trivy: true
//!   notify: slack
//!   image-name: kraftd
//!   health-path: /health
//!   app-port: 8000
//!   deploy-command: ./deploy.sh "$DEPLOY_ENVIRONMENT"
//!   action-ref: org/deploy-action@v1
//!   traffic-steps: 25 50 100                  # see super::progressive
//! ```

use deploy_action_lint::workflow::yaml::{self, Node};

use super::GenerateError;
use super::options::{
    Frontend, NodeFacts, Notify, Options, PackageManager, Registry, Service, Stack, Target,
    safe_path, valid_branch, valid_name,
};

/// Default `uses:` reference of deploy-action.
pub const DEFAULT_ACTION_REF: &str = "org/deploy-action@v1";
/// Default staging branch.
pub const DEFAULT_STAGING_BRANCH: &str = "develop";
/// Default production branch.
pub const DEFAULT_PRODUCTION_BRANCH: &str = "main";
/// Default health path.
pub const DEFAULT_HEALTH_PATH: &str = "/health";
/// Default container port.
pub const DEFAULT_APP_PORT: u16 = 8080;
/// The docker target's first staging host port unless configured (production: 9080).
pub const DEFAULT_HOST_PORT: u16 = 8080;

/// The highest first host port: production's (1000 above) and a few services' still fit.
pub const MAX_HOST_PORT: u16 = 64000;

/// The promotion policy's soak time unless configured.
pub const DEFAULT_SOAK: &str = "10m";
/// Default command of the `command` target.
pub const DEFAULT_DEPLOY_COMMAND: &str = "./deploy.sh \"$DEPLOY_ENVIRONMENT\"";

/// Settings from one source; `None` means "this source does not say".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// The project's language.
    pub stack: Option<Stack>,
    /// uv/pip or npm/pnpm.
    pub package_manager: Option<PackageManager>,
    /// Where the stack's project lives.
    pub app_dir: Option<String>,
    /// How pip installs the project.
    pub python_requirements: Option<String>,
    /// Node facts.
    pub node: Option<NodeFacts>,
    /// Where images go.
    pub registry: Option<Registry>,
    /// Where they are deployed.
    pub target: Option<Target>,
    /// The images.
    pub services: Option<Vec<Service>>,
    /// A static site for Azure Static Web Apps.
    pub frontend: Option<Frontend>,
    /// Folder of a frontend named by a flag or the config (its facts come from detection).
    pub frontend_dir: Option<String>,
    /// The staging branch.
    pub staging_branch: Option<String>,
    /// The production branch.
    pub production_branch: Option<String>,
    /// Trivy scan job.
    pub trivy: Option<bool>,
    /// Notification job.
    pub notify: Option<Notify>,
    /// Base image name.
    pub image_name: Option<String>,
    /// Health check path.
    pub health_path: Option<String>,
    /// Container port.
    pub app_port: Option<u16>,
    /// The promotion policy's soak time.
    pub soak: Option<String>,
    /// The docker target's first staging host port (production: 1000 above).
    pub host_port: Option<u16>,
    /// The `command` target's command.
    pub deploy_command: Option<String>,
    /// deploy-action's `uses:` reference.
    pub action_ref: Option<String>,
    /// Helm chart folder.
    pub helm_chart: Option<String>,
    /// Helm values files for staging and production.
    pub helm_values: Option<(Option<String>, Option<String>)>,
    /// Output path of the workflow (config file only; `-o` overrides).
    pub output: Option<String>,
    /// Traffic steps and rollback thresholds.
    pub progressive: super::progressive::ProgressiveSettings,
}

macro_rules! fill {
    ($self:ident, $other:ident, $($f:ident),+) => {
        $( if $self.$f.is_none() { $self.$f = $other.$f; } )+
    };
}

impl Settings {
    /// Fills every field this source leaves open from `lower`, a less important source.
    pub fn layer(mut self, lower: Settings) -> Settings {
        self.progressive = self.progressive.layer(lower.progressive.clone());
        fill!(
            self,
            lower,
            stack,
            package_manager,
            app_dir,
            python_requirements,
            node,
            registry,
            target,
            services,
            frontend,
            frontend_dir,
            staging_branch,
            production_branch,
            trivy,
            notify,
            image_name,
            health_path,
            app_port,
            soak,
            host_port,
            deploy_command,
            action_ref,
            helm_chart,
            helm_values,
            output
        );
        self
    }

    /// Parses the `gen-workflow:` section of a configuration file (other sections are left to
    /// their owners). `path` is only used in messages.
    pub fn from_config(path: &str, text: &str) -> Result<Settings, GenerateError> {
        let doc = yaml::parse(text);
        let invalid = |n: Option<&Node>, message: String| GenerateError::Config {
            path: path.to_string(),
            line: n.map_or(1, |n| n.span.start.line),
            col: n.map_or(1, |n| n.span.start.col),
            message,
        };
        if let Some(e) = doc.error {
            return Err(GenerateError::Config {
                path: path.to_string(),
                line: e.pos.line,
                col: e.pos.col,
                message: e.message,
            });
        }
        let mut s = Settings::default();
        let Some(root) = doc.root else { return Ok(s) };
        if root.is_null() {
            return Ok(s);
        }
        if root.as_map().is_none() {
            return Err(invalid(Some(&root), "expected a mapping at the top".into()));
        }
        let Some(section) = root.get("gen-workflow") else {
            return Ok(s);
        };
        if section.is_null() {
            return Ok(s);
        }
        let Some(entries) = section.as_map() else {
            return Err(invalid(
                Some(section),
                "\"gen-workflow\" must be a mapping of flag names to values".into(),
            ));
        };
        for (k, v) in entries {
            s.apply_key(k, v, &invalid)?;
        }
        Ok(s)
    }

    /// Applies one `gen-workflow:` key of a configuration file.
    fn apply_key(
        &mut self,
        k: &Node,
        v: &Node,
        invalid: &dyn Fn(Option<&Node>, String) -> GenerateError,
    ) -> Result<(), GenerateError> {
        let s = self;
        let key = k.as_str().unwrap_or_default();
        let text =
            || scalar(v).ok_or_else(|| invalid(Some(v), format!("{key:?} must be a string")));
        let named = |kind: &str, all: &[&str], parsed: bool| {
            if parsed {
                Ok(())
            } else {
                Err(invalid(
                    Some(v),
                    format!(
                        "unknown {kind} {:?}; expected one of {}",
                        scalar(v).unwrap_or_default(),
                        all.join(", ")
                    ),
                ))
            }
        };
        match key {
            "stack" => {
                s.stack = Stack::parse(&text()?);
                named(
                    "stack",
                    &Stack::ALL.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
                    s.stack.is_some(),
                )?;
            }
            "registry" => {
                s.registry = Registry::parse(&text()?);
                named(
                    "registry",
                    &Registry::ALL.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
                    s.registry.is_some(),
                )?;
            }
            "target" => {
                s.target = Target::parse(&text()?);
                named(
                    "target",
                    &Target::ALL.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
                    s.target.is_some(),
                )?;
            }
            "package-manager" => {
                s.package_manager = PackageManager::parse(&text()?);
                named(
                    "package manager",
                    &PackageManager::ALL
                        .iter()
                        .map(|x| x.as_str())
                        .collect::<Vec<_>>(),
                    s.package_manager.is_some(),
                )?;
            }
            "notify" => {
                s.notify = Notify::parse(&text()?);
                named(
                    "notify",
                    &Notify::ALL.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
                    s.notify.is_some(),
                )?;
            }
            "services" => s.services = Some(services(v).map_err(|m| invalid(Some(v), m))?),
            "frontend" => s.frontend_dir = Some(text()?),
            "app-dir" => s.app_dir = Some(text()?),
            "staging-branch" => s.staging_branch = Some(text()?),
            "production-branch" => s.production_branch = Some(text()?),
            "trivy" => {
                s.trivy =
                    Some(v.as_bool().ok_or_else(|| {
                        invalid(Some(v), "\"trivy\" must be true or false".into())
                    })?);
            }
            "image-name" => s.image_name = Some(text()?),
            "health-path" => s.health_path = Some(text()?),
            "app-port" => {
                let problem = "\"app-port\" must be a port number (1-65535)".to_owned();
                s.app_port = Some(port(&text()?, 65535, || invalid(Some(v), problem))?);
            }
            "soak" => s.soak = Some(text()?),
            "host-port" => {
                let problem = format!(
                    "\"host-port\" must be a port number from 1 to {MAX_HOST_PORT} (production uses the port 1000 above)"
                );
                s.host_port = Some(port(&text()?, MAX_HOST_PORT, || invalid(Some(v), problem))?);
            }
            "deploy-command" => s.deploy_command = Some(text()?),
            "action-ref" => s.action_ref = Some(text()?),
            "helm-chart" => s.helm_chart = Some(text()?),
            "output" => s.output = Some(text()?),
            other if super::progressive::KEYS.contains(&other) => {
                s.progressive.set(other, text()?);
            }
            other => {
                return Err(invalid(
                    Some(k),
                    format!(
                        "unknown key {other:?} in \"gen-workflow\"; expected one of stack, \
                         registry, target, package-manager, services, frontend, app-dir, \
                         staging-branch, production-branch, trivy, notify, image-name, \
                         health-path, app-port, soak, host-port, deploy-command, action-ref, helm-chart, output, \
                         traffic-steps, step-pause, max-error-rate, max-latency, staging-max-latency"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Applies the defaults and checks the result. `detected` supplies the facts about a
    /// frontend folder named by a flag (its package manager, ...).
    pub fn resolve(self, detected_frontends: &[Frontend]) -> Result<Options, GenerateError> {
        let stack = self.stack.unwrap_or(Stack::Docker);
        let target = self.target.unwrap_or(Target::Docker);
        let registry = self.registry.unwrap_or(Registry::Ghcr);
        let package_manager = match (self.package_manager, stack) {
            (Some(pm), _) if !pm.fits(stack) => {
                return Err(GenerateError::Conflict(format!(
                    "package manager {pm} does not fit stack {stack}; use uv or pip with python, \
                     npm or pnpm with node"
                )));
            }
            (Some(pm), _) => Some(pm),
            (None, Stack::Python) => Some(PackageManager::Pip),
            (None, Stack::Node) => Some(PackageManager::Npm),
            (None, _) => None,
        };
        let app_dir = self.app_dir.unwrap_or_else(|| ".".into());
        check_path("app-dir", &app_dir)?;

        let pnpm_pinned = self.node.is_some_and(|n| n.pnpm_pinned);
        let frontend = resolve_frontend(
            self.frontend_dir,
            self.frontend,
            detected_frontends,
            (stack, target, package_manager, &app_dir),
            pnpm_pinned,
        )?;

        let services = resolve_services(target, self.services)?;

        let staging_branch = self
            .staging_branch
            .unwrap_or_else(|| DEFAULT_STAGING_BRANCH.into());
        let production_branch = self
            .production_branch
            .unwrap_or_else(|| DEFAULT_PRODUCTION_BRANCH.into());
        for (what, b) in [
            ("staging-branch", &staging_branch),
            ("production-branch", &production_branch),
        ] {
            if !valid_branch(b) {
                return Err(GenerateError::BadValue {
                    what: what.into(),
                    value: b.clone(),
                    fix: "use a branch name of letters, digits, '.', '_', '/' and '-'".into(),
                });
            }
        }

        let image_name = check_image_name(self.image_name.unwrap_or_else(|| "app".into()))?;
        let health_path = resolve_health_path(self.health_path, target)?;
        let action_ref =
            check_action_ref(self.action_ref.unwrap_or_else(|| DEFAULT_ACTION_REF.into()))?;
        let deploy_command = resolve_deploy_command(self.deploy_command)?;
        let soak = self.soak.unwrap_or_else(|| DEFAULT_SOAK.into());
        if deploy_action_lint::policy::parse_duration(&soak).is_none() {
            return Err(GenerateError::BadValue {
                what: "soak".into(),
                value: soak,
                fix: "use a duration such as 10m, 90s or 1h".into(),
            });
        }
        let helm_chart = self.helm_chart.unwrap_or_else(|| "chart".into());
        check_path("helm-chart", &helm_chart)?;
        let python_requirements = self.python_requirements;
        let (progressive, staging_latency) = self.progressive.resolve(target, services.len())?;
        Ok(Options {
            stack,
            package_manager,
            app_dir,
            python_requirements,
            node: self.node.unwrap_or_default(),
            registry,
            target,
            services,
            frontend,
            staging_branch,
            production_branch,
            trivy: self.trivy.unwrap_or(false),
            notify: self.notify,
            image_name,
            health_path,
            app_port: self.app_port.unwrap_or(DEFAULT_APP_PORT),
            soak,
            host_port: self.host_port.unwrap_or(DEFAULT_HOST_PORT),
            deploy_command,
            action_ref,
            helm_chart,
            helm_values: self.helm_values.unwrap_or((None, None)),
            policy_path: ".github/promotion.yml".into(),
            progressive,
            staging_latency,
        })
    }
}

/// The frontend to build: the one named by `--frontend` (with what detection found there), the
/// detected one, or for Static Web Apps a default folder.
fn resolve_frontend(
    frontend_dir: Option<String>,
    frontend: Option<Frontend>,
    detected_frontends: &[Frontend],
    (stack, target, package_manager, app_dir): (Stack, Target, Option<PackageManager>, &str),
    pnpm_pinned: bool,
) -> Result<Option<Frontend>, GenerateError> {
    let frontend = match (frontend_dir, frontend) {
        (Some(dir), _) => {
            let dir = normalize_dir(&dir);
            check_path("frontend", &dir)?;
            Some(
                detected_frontends
                    .iter()
                    .find(|f| f.dir == dir)
                    .cloned()
                    .unwrap_or(Frontend {
                        dir,
                        package_manager: PackageManager::Npm,
                        output: "dist".into(),
                        pnpm_pinned: false,
                    }),
            )
        }
        (None, f) => f,
    };
    let frontend = match (target, frontend) {
        (Target::StaticWebApps, None) => Some(Frontend {
            dir: if stack == Stack::Node {
                app_dir.to_owned()
            } else {
                "frontend".into()
            },
            package_manager: match package_manager {
                Some(PackageManager::Pnpm) => PackageManager::Pnpm,
                _ => PackageManager::Npm,
            },
            output: "dist".into(),
            pnpm_pinned,
        }),
        (_, f) => f,
    };
    Ok(frontend)
}

/// The services to build: the configured ones, else one `app` from `Dockerfile` when the
/// target runs images; names unique and not `site`.
fn resolve_services(
    target: Target,
    services: Option<Vec<Service>>,
) -> Result<Vec<Service>, GenerateError> {
    let mut services = if target.runs_images() {
        services.unwrap_or_default()
    } else {
        Vec::new()
    };
    if target.runs_images() && services.is_empty() {
        services.push(Service::new("app", "Dockerfile")?);
    }
    let mut seen = std::collections::HashSet::new();
    for s in &services {
        if !seen.insert(s.name.as_str()) {
            return Err(GenerateError::Conflict(format!(
                "two services are named {:?}; give each --service a different NAME",
                s.name
            )));
        }
        if s.name == "site" {
            return Err(GenerateError::Conflict(
                "the service name \"site\" is taken by the static site's build job; pick another"
                    .into(),
            ));
        }
    }
    Ok(services)
}

/// An image name of lower-case parts joined by `/`.
fn check_image_name(image_name: String) -> Result<String, GenerateError> {
    if !image_name.split('/').all(|part| {
        !part.is_empty()
            && part.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
            })
    }) {
        return Err(GenerateError::BadValue {
            what: "image-name".into(),
            value: image_name,
            fix: "use lower-case letters, digits, '-', '_', '.' (and '/' between parts)".into(),
        });
    }
    Ok(image_name)
}

/// The health check's path: given, else `/` for a static site and the default elsewhere.
fn resolve_health_path(
    health_path: Option<String>,
    target: Target,
) -> Result<String, GenerateError> {
    // A static site has no health endpoint: its front page is the check.
    let health_path = health_path.unwrap_or_else(|| {
        if target == Target::StaticWebApps {
            "/".into()
        } else {
            DEFAULT_HEALTH_PATH.into()
        }
    });
    if !health_path.starts_with('/')
        || !health_path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/-._~".contains(c))
    {
        return Err(GenerateError::BadValue {
            what: "health-path".into(),
            value: health_path,
            fix: "use a path starting with '/' of letters, digits and '/-._~'".into(),
        });
    }
    Ok(health_path)
}

/// `OWNER/REPO@REF` of the action the generated steps use.
fn check_action_ref(action_ref: String) -> Result<String, GenerateError> {
    let ref_ok = action_ref.split_once('@').is_some_and(|(repo, r)| {
        !r.is_empty()
            && repo.split('/').count() >= 2
            && (repo.to_string() + r)
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
    });
    if !ref_ok {
        return Err(GenerateError::BadValue {
            what: "action-ref".into(),
            value: action_ref,
            fix: "use OWNER/REPO@REF, e.g. org/deploy-action@v1 or a full commit SHA".into(),
        });
    }
    Ok(action_ref)
}

/// The `command` target's script, one entry per line; no `${{ }}` (it would be expanded into
/// the script).
fn resolve_deploy_command(deploy_command: Option<String>) -> Result<Vec<String>, GenerateError> {
    let deploy_command: Vec<String> = deploy_command
        .unwrap_or_else(|| DEFAULT_DEPLOY_COMMAND.into())
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect();
    if deploy_command.iter().all(|l| l.trim().is_empty()) {
        return Err(GenerateError::BadValue {
            what: "deploy-command".into(),
            value: String::new(),
            fix: "give the command the `command` target runs, e.g. ./deploy.sh".into(),
        });
    }
    if deploy_command.iter().any(|l| l.contains("${{")) {
        return Err(GenerateError::BadValue {
            what: "deploy-command".into(),
            value: deploy_command.join("\n"),
            fix: "read values from the environment ($DEPLOY_ENVIRONMENT, $IMAGE) instead of \
                  ${{ }} expressions, which would be expanded into the script"
                .into(),
        });
    }
    Ok(deploy_command)
}

/// A port number from 1 to `max`, else the error `problem` makes.
fn port(
    text: &str,
    max: u16,
    problem: impl FnOnce() -> GenerateError,
) -> Result<u16, GenerateError> {
    text.parse::<u16>()
        .ok()
        .filter(|p| (1..=max).contains(p))
        .ok_or_else(problem)
}

/// `foo/` and `./foo` are `foo`; the empty path is `.`.
pub fn normalize_dir(dir: &str) -> String {
    let d = dir.trim().trim_start_matches("./").trim_end_matches('/');
    if d.is_empty() { ".".into() } else { d.into() }
}

fn check_path(what: &str, p: &str) -> Result<(), GenerateError> {
    if p == "." || safe_path(p) {
        Ok(())
    } else {
        Err(GenerateError::BadValue {
            what: what.into(),
            value: p.into(),
            fix: "use a relative path inside the repository of letters, digits and '._/-'".into(),
        })
    }
}

fn scalar(n: &Node) -> Option<String> {
    n.as_str().map(str::to_string)
}

/// `services:` as a mapping `{name: path}` or a list of `NAME=PATH` strings.
fn services(v: &Node) -> Result<Vec<Service>, String> {
    if let Some(map) = v.as_map() {
        return map
            .iter()
            .map(|(k, p)| {
                let name = k.as_str().unwrap_or_default();
                let path = p.as_str().ok_or("service paths must be strings")?;
                if !valid_name(name) {
                    return Err(format!(
                        "service name {name:?} must be lower-case letters, digits and '-'"
                    ));
                }
                Service::new(name, &normalize_dir(path)).map_err(|e| e.to_string())
            })
            .collect();
    }
    if let Some(seq) = v.as_seq() {
        return seq
            .iter()
            .map(|i| {
                let spec = i
                    .as_str()
                    .ok_or("services must be NAME=PATH/Dockerfile strings")?;
                Service::parse(spec).map_err(|e| e.to_string())
            })
            .collect();
    }
    Err("\"services\" must map names to Dockerfile paths, or list NAME=PATH/Dockerfile".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_section_is_read() {
        let s = Settings::from_config(
            "c.yml",
            "lint:\n  disable: [x]\ngen-workflow:\n  stack: python\n  registry: acr\n  \
             services: {backend: backend/Dockerfile}\n  trivy: true\n  app-port: 8000\n",
        )
        .expect("config");
        assert_eq!(s.stack, Some(Stack::Python));
        assert_eq!(s.registry, Some(Registry::Acr));
        assert_eq!(s.trivy, Some(true));
        assert_eq!(s.app_port, Some(8000));
        let svc = &s.services.expect("services")[0];
        assert_eq!(
            (svc.name.as_str(), svc.context.as_str()),
            ("backend", "backend")
        );
    }

    #[test]
    fn unknown_values_say_what_is_allowed() {
        let e =
            Settings::from_config("c.yml", "gen-workflow:\n  target: heroku\n").expect_err("error");
        let msg = e.to_string();
        assert!(
            msg.contains("c.yml:2:11") && msg.contains("container-apps"),
            "{msg}"
        );
        let e =
            Settings::from_config("c.yml", "gen-workflow:\n  targte: helm\n").expect_err("error");
        assert!(e.to_string().contains("unknown key \"targte\""));
    }

    #[test]
    fn flags_win_over_config_and_detection() {
        let flags = Settings {
            target: Some(Target::Helm),
            ..Settings::default()
        };
        let config = Settings {
            target: Some(Target::Ssh),
            registry: Some(Registry::Ecr),
            ..Settings::default()
        };
        let detected = Settings {
            registry: Some(Registry::Acr),
            stack: Some(Stack::Go),
            ..Settings::default()
        };
        let o = flags
            .layer(config)
            .layer(detected)
            .resolve(&[])
            .expect("options");
        assert_eq!(
            (o.target, o.registry, o.stack),
            (Target::Helm, Registry::Ecr, Stack::Go)
        );
        assert_eq!(o.services.len(), 1);
        assert_eq!(o.staging_branch, "develop");
    }

    #[test]
    fn static_sites_are_checked_on_their_front_page() {
        let swa = Settings {
            target: Some(Target::StaticWebApps),
            ..Settings::default()
        };
        let o = swa.resolve(&[]).expect("options");
        assert_eq!(o.health_path, "/");
        assert!(o.services.is_empty());
        assert_eq!(o.frontend.map(|f| f.dir), Some("frontend".into()));
    }

    #[test]
    fn bad_values_are_refused_with_a_fix() {
        let s = Settings {
            staging_branch: Some("dev elop".into()),
            ..Settings::default()
        };
        assert!(
            s.resolve(&[])
                .expect_err("error")
                .to_string()
                .contains("branch name")
        );
        let s = Settings {
            deploy_command: Some("deploy ${{ github.head_ref }}".into()),
            ..Settings::default()
        };
        assert!(
            s.resolve(&[])
                .expect_err("error")
                .to_string()
                .contains("environment")
        );
        let s = Settings {
            stack: Some(Stack::Go),
            package_manager: Some(PackageManager::Uv),
            ..Settings::default()
        };
        assert!(s.resolve(&[]).is_err());
    }
}
