//! Every stack x registry x target combination, plain and with every option (several services,
//! a static frontend, Trivy, each notification, other branches, a pinned action ref), renders a
//! workflow on which deploy-action's own linter finds nothing, at any severity.
//! scripts/check-generated.sh runs actionlint, GitHub's parser and zizmor on the same set.

use deploy_action_generate::{
    self as generate, Notify, Options, Registry, Service, Settings, Stack, Target,
    options::Frontend, options::PackageManager,
};
use deploy_action_lint::lint::{self, Config, FileKind};

fn check(name: &str, options: &Options) {
    let files = generate::generate(options).unwrap_or_else(|e| panic!("{name}: {e}"));
    let r = lint::lint_source(
        &format!("{name}/.github/workflows/deploy.yml"),
        &files.workflow,
        FileKind::Workflow,
        &Config::default(),
    );
    assert!(
        r.findings.is_empty(),
        "{name}: {} finding(s):\n{:#?}\n{}",
        r.findings.len(),
        r.findings,
        files.workflow
    );
    for must in [
        "persist-credentials: false",
        "permissions: {}",
        "workflow_dispatch:",
    ] {
        assert!(files.workflow.contains(must), "{name}: no {must:?}");
    }
    assert!(files.promotion.contains("same_digest: true"), "{name}");
    // Every target's policy checks staging's health and a smoke request with a latency limit
    // (the docker target on the runner's staging port).
    let health = files
        .promotion
        .split_once("\n  health:\n    url: ")
        .and_then(|(_, rest)| rest.lines().next())
        .unwrap_or_else(|| panic!("{name}: no health gate\n{}", files.promotion));
    assert!(
        health.starts_with("${STAGING_URL}") || health.starts_with("http://127.0.0.1:"),
        "{name}: {health:?}"
    );
    let smoke = files
        .promotion
        .split_once("\n  smoke:\n    - url: ")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("{name}: no smoke gate\n{}", files.promotion));
    assert!(smoke.contains("max_latency: "), "{name}: {smoke}");
    // Every third-party `uses:` is pinned by a full SHA with its version in a comment.
    for line in files
        .workflow
        .lines()
        .filter(|l| l.trim_start().starts_with("uses:"))
    {
        let uses = line.trim_start().trim_start_matches("uses:").trim();
        if uses.starts_with(options.action_ref.as_str()) {
            continue;
        }
        let (_, rest) = uses
            .split_once('@')
            .unwrap_or_else(|| panic!("{name}: {uses}"));
        let (sha, comment) = rest
            .split_once(" # ")
            .unwrap_or_else(|| panic!("{name}: {uses}"));
        assert!(
            sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
            "{name}: {uses}"
        );
        assert!(!comment.is_empty(), "{name}: {uses}");
    }
}

#[test]
fn every_combination_is_lint_clean() {
    let mut n = 0;
    for stack in Stack::ALL {
        for registry in Registry::ALL {
            for target in Target::ALL {
                let plain = Settings {
                    stack: Some(*stack),
                    registry: Some(*registry),
                    target: Some(*target),
                    ..Settings::default()
                }
                .resolve(&[])
                .expect("options");
                check(&format!("{stack}-{registry}-{target}"), &plain);

                let notify = if n % 2 == 0 {
                    Notify::Slack
                } else {
                    Notify::Webhook
                };
                let pm = match (stack, n % 2) {
                    (Stack::Python, 0) => Some(PackageManager::Uv),
                    (Stack::Node, 0) => Some(PackageManager::Pnpm),
                    _ => None,
                };
                let full = Settings {
                    stack: Some(*stack),
                    package_manager: pm,
                    registry: Some(*registry),
                    target: Some(*target),
                    app_dir: Some("backend".into()),
                    services: Some(vec![
                        Service::new("api", "backend/Dockerfile").expect("service"),
                        Service::new("worker-2", "worker/Dockerfile").expect("service"),
                    ]),
                    frontend: Some(Frontend {
                        dir: "web".into(),
                        package_manager: PackageManager::Pnpm,
                        output: "dist".into(),
                        pnpm_pinned: n % 3 == 0,
                    }),
                    staging_branch: Some("release/staging".into()),
                    production_branch: Some("release/prod".into()),
                    trivy: Some(true),
                    notify: Some(notify),
                    health_path: Some("/api/healthz".into()),
                    app_port: Some(5001),
                    deploy_command: Some(
                        "make deploy ENV=\"$DEPLOY_ENVIRONMENT\"\n./smoke.sh".into(),
                    ),
                    action_ref: Some(if n % 2 == 0 {
                        "acme/deploy-action@0123456789abcdef0123456789abcdef01234567".into()
                    } else {
                        "acme/deploy-action@v2".into()
                    }),
                    helm_values: Some((Some("chart/values-staging.yaml".into()), None)),
                    ..Settings::default()
                }
                .resolve(&[])
                .expect("options");
                check(&format!("full-{stack}-{registry}-{target}"), &full);
                n += 1;
            }
        }
    }
    assert_eq!(
        n,
        Stack::ALL.len() * Registry::ALL.len() * Target::ALL.len()
    );
    assert!(
        n >= 5 * 6 * 8,
        "every stack, registry and target of the issue"
    );
}

#[test]
fn same_branch_for_staging_and_production() {
    let o = Settings {
        staging_branch: Some("main".into()),
        ..Settings::default()
    }
    .resolve(&[])
    .expect("options");
    let files = generate::generate(&o).expect("generate");
    assert!(
        files.workflow.contains("branches: [main]\n"),
        "{}",
        files.workflow
    );
    check("same-branch", &o);
}

#[test]
fn security_defaults() {
    let o = Settings {
        registry: Some(Registry::Ghcr),
        target: Some(Target::Kubernetes),
        ..Settings::default()
    }
    .resolve(&[])
    .expect("options");
    let wf = generate::generate(&o).expect("generate").workflow;
    // packages: write only on the build job; no OIDC without a cloud login.
    assert_eq!(wf.matches("packages: write").count(), 1, "{wf}");
    assert!(!wf.contains("id-token: write"), "{wf}");
    assert_eq!(wf.matches("deployments: write").count(), 2, "{wf}");
    // Production never cancels a running deploy; the image is always named by digest.
    assert!(wf.contains("group: deploy-production\n      cancel-in-progress: false"));
    assert!(wf.contains("=\"${IMAGE}@${DIGEST}\""));
    assert!(!wf.contains(":latest"));
}
