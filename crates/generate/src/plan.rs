//! [`Options`] turned into the values the templates read (`c.*`): job ids, `needs:` lists,
//! permissions per job, argument strings of deploy-action, and names of variables. Decisions
//! live here, in typed code; the templates only lay them out.

use std::collections::BTreeMap;

use serde::Serialize;

use super::options::{NodeTestRunner, Options, PackageManager, Registry, Stack, Target};
use super::progressive::Latency;

/// What the templates see as `c`.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// One line saying how the pipeline was generated.
    pub summary: String,
    /// Stack name.
    pub stack: &'static str,
    /// Package manager name (empty when the stack has none).
    pub package_manager: &'static str,
    /// Where the stack's project lives.
    pub app_dir: String,
    /// Registry name.
    pub registry: &'static str,
    /// Target name.
    pub target: &'static str,
    /// The staging branch.
    pub staging_branch: String,
    /// The production branch.
    pub production_branch: String,
    /// Branches whose pushes run the pipeline.
    pub push_branches: Vec<String>,
    /// Trivy job.
    pub trivy: bool,
    /// Notification kind, if any.
    pub notify: Option<&'static str>,
    /// The images.
    pub services: Vec<ServicePlan>,
    /// The static site, if any.
    pub frontend: Option<FrontendPlan>,
    /// `needs:` of each job kind.
    pub needs: Needs,
    /// `permissions:` lines of each job kind.
    pub permissions: Permissions,
    /// deploy-action's `uses:` reference.
    pub action_ref: String,
    /// Whether it is a full commit SHA (no zizmor suppression needed).
    pub action_ref_pinned: bool,
    /// `args` of the promotion gate.
    pub promote_args: String,
    /// Whether `promote` rolls out and records production itself (docker target, one image).
    pub promote_rolls_out: bool,
    /// Whether `promote` rolls a cloud target out step by step through the template's
    /// start and traffic commands, and records production itself.
    pub promote_steps: bool,
    /// Traffic steps and thresholds, for the policy.
    pub progressive: Option<ProgressivePlan>,
    /// The staging latency gate, for the policy.
    pub staging_latency: Option<Latency>,
    /// `args` of the deployment record, per environment.
    pub record_args: BTreeMap<&'static str, String>,
    /// pip's install line.
    pub pip_install: String,
    /// Node test commands.
    pub node: NodePlan,
    /// go.mod path for actions/setup-go.
    pub go_mod: String,
    /// Environment variables carrying image references (ssh, command targets).
    pub image_env_vars: Vec<String>,
    /// The `command` target's lines.
    pub deploy_command: Vec<String>,
    /// Helm settings.
    pub helm: BTreeMap<&'static str, Option<String>>,
    /// Health path.
    pub health_path: String,
    /// Where staging answers, for the policy's health and smoke gates: the runner's ports of
    /// the docker target (staging and production share one self-hosted runner's daemon), else
    /// `${STAGING_URL}` (the staging environment's APP_URL, passed by the workflow).
    pub staging_urls: Vec<String>,
    /// The promotion policy's soak time.
    pub soak: String,
    /// Check runs the promotion waits for.
    pub checks: Vec<String>,
    /// `vars.*` used, for the header (filled by the second pass).
    pub variables: Vec<String>,
    /// `secrets.*` used, for the header (filled by the second pass).
    pub secrets: Vec<String>,
    /// The Mermaid graph lines (filled by the second pass).
    pub mermaid: Vec<String>,
}

/// The promotion policy's `rollout:` and `analysis:`.
#[derive(Debug, Clone, Serialize)]
pub struct ProgressivePlan {
    /// Weights, rising to 100.
    pub steps: Vec<u8>,
    /// Pause after each step but the last.
    pub pause: String,
    /// `5%`.
    pub max_error_rate: String,
    /// Latency limits.
    pub max_latency: Vec<Latency>,
    /// Where the analysis's requests go (`${PRODUCTION_URL}/health`); `None` on the docker
    /// target, where they go to the new container itself at `request_path`.
    pub request_url: Option<String>,
    /// The path of the requests.
    pub request_path: String,
    /// `25 % → 50 % → 100 %`, for step names and comments.
    pub label: String,
}

/// One image's values.
#[derive(Debug, Clone, Serialize)]
pub struct ServicePlan {
    /// Service name.
    pub name: String,
    /// Its build job id.
    pub job: String,
    /// Image name (without registry).
    pub image: String,
    /// Dockerfile path.
    pub dockerfile: String,
    /// Build context.
    pub context: String,
    /// `--context ... --file ...` for deploy-action build.
    pub build_args: String,
    /// Prefix of its `vars.*` names: empty, or `BACKEND_` with several services.
    pub var_prefix: String,
    /// Prefix of its shell variables (same rule).
    pub env_prefix: String,
    /// Prefix of its Helm values: empty, or `backend.`.
    pub values_prefix: String,
    /// `args` of `deploy-action deploy --target docker`, per environment.
    pub docker_args: BTreeMap<&'static str, String>,
}

/// The static site's values.
#[derive(Debug, Clone, Serialize)]
pub struct FrontendPlan {
    /// Its folder.
    pub dir: String,
    /// npm or pnpm.
    pub package_manager: &'static str,
    /// Build output folder.
    pub output: String,
    /// pnpm version to install when package.json does not pin one.
    pub pnpm_version: Option<u32>,
}

/// Node test commands.
#[derive(Debug, Clone, Serialize, Default)]
pub struct NodePlan {
    /// Type-check with tsc.
    pub typescript: bool,
    /// tsc command.
    pub tsc_command: String,
    /// Runner name for the step name.
    pub test_runner: String,
    /// Test command.
    pub test_command: String,
    /// pnpm version to install when package.json does not pin one.
    pub pnpm_version: Option<u32>,
}

/// `needs:` lists.
#[derive(Debug, Clone, Serialize)]
pub struct Needs {
    /// Of the build jobs.
    pub build: Vec<String>,
    /// Of deploy-staging.
    pub deploy: Vec<String>,
    /// Of promote.
    pub promote: Vec<String>,
    /// Of notify.
    pub notify: Vec<String>,
    /// Of summary.
    pub summary: Vec<String>,
}

/// `permissions:` lines (`scope: level`) per job kind.
#[derive(Debug, Clone, Serialize)]
pub struct Permissions {
    /// Build jobs.
    pub build: Vec<String>,
    /// deploy-staging.
    pub deploy: Vec<String>,
    /// promote.
    pub promote: Vec<String>,
}

/// pnpm major installed when package.json names none.
const PNPM_MAJOR: u32 = 10;

/// Builds the plan.
pub fn plan(o: &Options) -> Plan {
    let services = service_plans(o);
    let frontend = o.frontend.as_ref().map(|f| FrontendPlan {
        dir: f.dir.clone(),
        package_manager: f.package_manager.as_str(),
        output: f.output.clone(),
        pnpm_version: (f.package_manager == PackageManager::Pnpm && !f.pnpm_pinned)
            .then_some(PNPM_MAJOR),
    });
    let mut artifacts: Vec<String> = services.iter().map(|s| s.job.clone()).collect();
    if frontend.is_some() {
        artifacts.push("build-site".into());
    }
    // Step by step on a cloud target: promote itself retags, rolls out and records.
    let promote_steps = o.progressive.is_some() && o.target != Target::Docker;
    let references = references(&services, frontend.is_some());
    // The docker target with one image: promote rolls out and records itself. Elsewhere the
    // job's later steps roll out with the cloud's tools and `deploy --target external` records.
    let promote_rolls_out = o.target == Target::Docker && services.len() == 1 && frontend.is_none();
    let pm = o.package_manager.map_or("", PackageManager::as_str);
    let mut push_branches = vec![o.staging_branch.clone()];
    if o.production_branch != o.staging_branch {
        push_branches.push(o.production_branch.clone());
    }
    let mut checks = vec!["test".to_string()];
    checks.extend(artifacts.iter().cloned());
    let mut helm = BTreeMap::new();
    helm.insert("chart", Some(o.helm_chart.clone()));
    helm.insert("release", Some(o.image_name.replace('/', "-")));
    helm.insert("values_staging", o.helm_values.0.clone());
    helm.insert("values_production", o.helm_values.1.clone());

    Plan {
        summary: summary(o, pm),
        stack: o.stack.as_str(),
        package_manager: pm,
        app_dir: o.app_dir.clone(),
        registry: o.registry.as_str(),
        target: o.target.as_str(),
        staging_branch: o.staging_branch.clone(),
        production_branch: o.production_branch.clone(),
        push_branches,
        trivy: o.trivy,
        notify: o.notify.map(|n| n.as_str()),
        image_env_vars: services
            .iter()
            .map(|s| format!("{}IMAGE", s.env_prefix))
            .collect(),
        promote_args: promote_args(o, &services, &references, promote_rolls_out, promote_steps),
        services,
        frontend,
        needs: needs(o, artifacts),
        permissions: permissions(o, promote_steps),
        action_ref_pinned: o
            .action_ref
            .rsplit_once('@')
            .is_some_and(|(_, r)| r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit())),
        action_ref: o.action_ref.clone(),
        promote_rolls_out,
        promote_steps,
        progressive: progressive_plan(o),
        staging_latency: o.staging_latency.clone(),
        record_args: record_args(o, &references),
        pip_install: o
            .python_requirements
            .clone()
            .unwrap_or_else(|| "python -m pip install -r requirements.txt".into()),
        node: node_plan(o, pm),
        go_mod: if o.app_dir == "." {
            "go.mod".into()
        } else {
            format!("{}/go.mod", o.app_dir)
        },
        deploy_command: o.deploy_command.clone(),
        helm,
        health_path: o.health_path.clone(),
        staging_urls: staging_urls(o),
        soak: o.soak.clone(),
        checks,
        variables: Vec::new(),
        secrets: Vec::new(),
        mermaid: Vec::new(),
    }
}

/// One build job per service: its job id, image name, build arguments and the docker target's
/// deploy arguments.
fn service_plans(o: &Options) -> Vec<ServicePlan> {
    let multi = o.services.len() > 1;
    o.services
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let job = if multi {
                format!("build-{}", s.name)
            } else {
                "build".into()
            };
            let image = if multi {
                format!("{}-{}", o.image_name, s.name)
            } else {
                o.image_name.clone()
            };
            let upper = s.name.to_ascii_uppercase().replace('-', "_");
            let prefix = if multi {
                format!("{upper}_")
            } else {
                String::new()
            };
            let reference = format!(
                "${{{{ needs.{job}.outputs.image }}}}@${{{{ needs.{job}.outputs.digest }}}}"
            );
            let docker_args = ["staging", "production"]
                .into_iter()
                .map(|env| {
                    let host_port = docker_host_port(o.host_port, env, i);
                    (
                        env,
                        format!(
                            "--target docker --environment {env} --name {} --image {reference} \
                             --publish {host_port}:{} --url http://127.0.0.1:{host_port}{}",
                            s.name, o.app_port, o.health_path
                        ),
                    )
                })
                .collect();
            ServicePlan {
                name: s.name.clone(),
                job,
                image,
                dockerfile: s.dockerfile.clone(),
                context: s.context.clone(),
                build_args: format!("--context {} --file {}", s.context, s.dockerfile),
                var_prefix: prefix.clone(),
                env_prefix: prefix,
                values_prefix: if multi {
                    format!("{}.", s.name)
                } else {
                    String::new()
                },
                docker_args,
            }
        })
        .collect()
}

/// The `needs:` lists: build after the tests (and the scan), promote after staging and every
/// artifact, the summary after everything.
fn needs(o: &Options, artifacts: Vec<String>) -> Needs {
    let mut build = vec!["test".to_string()];
    if o.trivy {
        build.push("scan".into());
    }
    let mut promote = vec!["deploy-staging".to_string()];
    promote.extend(artifacts.iter().cloned());
    let mut all = vec!["test".to_string()];
    if o.trivy {
        all.push("scan".into());
    }
    all.extend(artifacts.iter().cloned());
    all.push("deploy-staging".into());
    all.push("promote".into());
    if o.notify.is_some() {
        all.push("notify".into());
    }
    Needs {
        build,
        deploy: artifacts,
        promote,
        notify: vec!["deploy-staging".into(), "promote".into()],
        summary: all,
    }
}

/// Permissions: nothing at the workflow level; each job asks for what it uses, and says why.
fn permissions(o: &Options, promote_steps: bool) -> Permissions {
    let login = |what: &str| format!("id-token: write # OIDC login: {what}");
    let registry_login = match o.registry {
        Registry::Acr => "azure/login for Azure Container Registry",
        Registry::Ecr => "configure-aws-credentials for Amazon ECR",
        _ => "google-github-actions/auth for Artifact Registry",
    };
    let mut build = vec!["contents: read # check out the repository".to_string()];
    if o.registry == Registry::Ghcr {
        build.push("packages: write # push the image to GHCR".into());
    }
    if o.registry.uses_oidc() {
        build.push(login(registry_login));
    }
    let mut deploy = vec![
        "contents: read # check out the repository".to_string(),
        "deployments: write # record the deployment on GitHub".to_string(),
    ];
    let pulls_on_runner = o.target == Target::Docker && !o.services.is_empty();
    if o.target.uses_oidc() {
        deploy.push(login(match o.target {
            Target::CloudRun => "google-github-actions/auth",
            Target::Ecs => "configure-aws-credentials",
            _ => "azure/login",
        }));
    } else if pulls_on_runner && o.registry.uses_oidc() {
        deploy.push(login(registry_login));
    }
    if pulls_on_runner && o.registry == Registry::Ghcr {
        deploy.push("packages: read # pull the image from GHCR".into());
    }
    let mut promote = deploy.clone();
    promote.insert(
        1,
        "checks: read # promotion gate: the commit's checks passed".into(),
    );
    if promote_steps && o.registry == Registry::Ghcr {
        promote.push("packages: write # retag the image in GHCR (:production)".into());
    }

    Permissions {
        build,
        deploy,
        promote,
    }
}

/// `--image NAME@DIGEST` per service (and `--artifact site@DIGEST` for a frontend).
fn references(services: &[ServicePlan], frontend: bool) -> Vec<String> {
    services
        .iter()
        .map(|s| {
            format!(
                "--image ${{{{ needs.{j}.outputs.image }}}}@${{{{ needs.{j}.outputs.digest }}}}",
                j = s.job
            )
        })
        .chain(
            frontend.then(|| "--artifact site@${{ needs.build-site.outputs.digest }}".to_string()),
        )
        .collect()
}

/// The promote job's arguments: the policy, the references and how it rolls out.
fn promote_args(
    o: &Options,
    services: &[ServicePlan],
    references: &[String],
    promote_rolls_out: bool,
    promote_steps: bool,
) -> String {
    let promote_target = match services.first() {
        Some(s) if promote_rolls_out => {
            let port = docker_host_port(o.host_port, "production", 0);
            format!(
                " --target docker --name {} --publish {port}:{} --url http://127.0.0.1:{port}{}",
                s.name, o.app_port, o.health_path
            )
        }
        _ if promote_steps => format!(" --url ${{{{ vars.APP_URL }}}}{}", o.health_path),
        _ => " --gate-only".to_owned(),
    };
    format!(
        "--from staging --to production --policy {} {}{promote_target}",
        o.policy_path,
        references.join(" ")
    )
}

/// The progressive rollout's plan, when the options ask for one.
fn progressive_plan(o: &Options) -> Option<ProgressivePlan> {
    o.progressive.as_ref().map(|p| ProgressivePlan {
        steps: p.steps.clone(),
        pause: p.pause.clone(),
        max_error_rate: p.max_error_rate.clone(),
        max_latency: p.max_latency.clone(),
        request_url: match o.target {
            Target::Docker => None,
            // The staging slot runs the new version: the analysis judges it alone.
            Target::AppService => Some(format!("${{STAGING_URL}}{}", o.health_path)),
            _ => Some(format!("${{PRODUCTION_URL}}{}", o.health_path)),
        },
        request_path: o.health_path.clone(),
        label: p
            .steps
            .iter()
            .map(|w| format!("{w} %"))
            .collect::<Vec<_>>()
            .join(" → "),
    })
}

/// `deploy --target external` arguments per environment.
fn record_args(o: &Options, references: &[String]) -> BTreeMap<&'static str, String> {
    ["staging", "production"]
        .into_iter()
        .map(|env| {
            let url = if o.target == Target::Docker {
                String::new()
            } else {
                format!(" --url ${{{{ vars.APP_URL }}}}{}", o.health_path)
            };
            (
                env,
                format!(
                    "--target external --environment {env} {}{url}",
                    references.join(" ")
                ),
            )
        })
        .collect()
}

/// Node's test commands (type check, test runner), for the node stack.
fn node_plan(o: &Options, pm: &str) -> NodePlan {
    if o.stack != Stack::Node {
        return NodePlan::default();
    }
    let exec = if o.package_manager == Some(PackageManager::Pnpm) {
        "pnpm exec"
    } else {
        "npx --no-install"
    };
    let (runner, cmd) = match o.node.runner {
        Some(NodeTestRunner::Vitest) => ("vitest".to_string(), format!("{exec} vitest run")),
        Some(NodeTestRunner::Jest) => ("jest".to_string(), format!("{exec} jest --ci")),
        None => (
            "test script".to_string(),
            format!("{pm} run --if-present test"),
        ),
    };
    NodePlan {
        typescript: o.node.typescript,
        tsc_command: format!("{exec} tsc --noEmit"),
        test_runner: runner,
        test_command: cmd,
        pnpm_version: (o.package_manager == Some(PackageManager::Pnpm) && !o.node.pnpm_pinned)
            .then_some(PNPM_MAJOR),
    }
}

/// One line saying what was detected and chosen.
fn summary(o: &Options, pm: &str) -> String {
    let mut summary = format!("stack {}", o.stack);
    if !pm.is_empty() {
        summary.push_str(&format!(" ({pm})"));
    }
    if o.target.runs_images() {
        summary.push_str(&format!(", registry {}", o.registry));
    }
    summary.push_str(&format!(", target {}", o.target));
    if !o.services.is_empty() {
        summary.push_str(&format!(
            ", services {}",
            o.services
                .iter()
                .map(|s| format!("{}={}", s.name, s.dockerfile))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    if let Some(f) = &o.frontend {
        summary.push_str(&format!(", frontend {}", f.dir));
    }
    if o.trivy {
        summary.push_str(", trivy");
    }
    if let Some(n) = o.notify {
        summary.push_str(&format!(", notify {n}"));
    }
    summary
}

/// Where the staging deployment answers: the docker target's ports on the runner, else the
/// `STAGING_URL` the deploy job exports.
fn staging_urls(o: &Options) -> Vec<String> {
    if o.target == Target::Docker && !o.services.is_empty() {
        (0..o.services.len())
            .map(|i| {
                format!(
                    "http://127.0.0.1:{}",
                    docker_host_port(o.host_port, "staging", i)
                )
            })
            .collect()
    } else {
        vec!["${STAGING_URL}".to_owned()]
    }
}

/// The runner's port for service `index` in `env` (docker target): staging from `first`
/// (default 8080), production from 1000 above, so both environments can share one self-hosted
/// runner's daemon.
fn docker_host_port(first: u16, env: &str, index: usize) -> usize {
    let base = usize::from(first) + if env == "production" { 1000 } else { 0 };
    base + index
}
