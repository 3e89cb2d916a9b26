//! The cloud targets' progressive rollouts as gen-workflow writes them (the start and traffic
//! commands in the promote step's `env:`), run by `promote` against the recording stand-ins of
//! the act tests (fixtures/act/runner-image: `az`, `kubectl`), per step and on rollback:
//! Container Apps (multiple-revision weights), App Service (traffic routing, then the slot
//! swap), Kubernetes (a replica-ratio canary Deployment). The analysis's requests go to a local
//! server answering 200 (a good version) or 500 (a bad one, rolled back at the first step).

use crate::harness;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use harness::bin;

const SHA: &str = "7a1c0de5a1c0de5a1c0de5a1c0de5a1c0de5a1c0";
const DIGEST: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

/// A server answering every request with `status`, on a free loopback port.
fn serve(status: u16) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut s = stream;
                let mut buf = [0u8; 2048];
                let _ = s.read(&mut buf);
                let _ = write!(
                    s,
                    "HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                );
            });
        }
    });
    format!("http://127.0.0.1:{port}/health")
}

/// The `env:` of the promote job's promote step in a generated workflow.
fn promote_env(workflow: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(workflow).expect("workflow");
    let doc = deploy_action_lint::workflow::yaml::parse(&text);
    let root = doc.root.expect("root");
    let steps = root
        .get("jobs")
        .and_then(|j| j.get("promote"))
        .and_then(|j| j.get("steps"))
        .and_then(|s| s.as_seq())
        .expect("promote steps");
    let step = steps
        .iter()
        .find(|s| {
            s.get("with")
                .and_then(|w| w.get("command"))
                .and_then(|c| c.as_str())
                == Some("promote")
        })
        .expect("the promote step");
    step.get("env")
        .and_then(|e| e.as_map())
        .expect("env")
        .iter()
        .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.as_str()?.to_owned())))
        .filter(|(k, _)| k.starts_with("DEPLOY_"))
        .collect()
}

/// A run of `promote` with the stand-ins first on PATH.
struct Run {
    dir: tempfile::TempDir,
    record: PathBuf,
    state: PathBuf,
}

impl Run {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let record = dir.path().join("calls.tsv");
        let state = dir.path().join("state");
        let out = bin()
            .current_dir(dir.path())
            .args(["deploy", "-e", "staging", "--target", "external"])
            .args(["--artifact", &format!("backend@{DIGEST}"), "--sha", SHA])
            .output()
            .expect("staging");
        assert!(out.status.success(), "{out:?}");
        Self { dir, record, state }
    }

    /// Promotes with the commands `env` and analysis requests to `url`; the exit status and
    /// the decision record.
    fn promote(&self, env: &[(String, String)], url: &str) -> (i32, serde_json::Value) {
        let policy = format!(
            "gates: {{ deployed: true }}\nrollout:\n  steps:\n    - {{ weight: 25, pause: 1s }}\n    - {{ weight: 50, pause: 1s }}\n    - {{ weight: 100 }}\n\
             analysis:\n  count: 1\n  requests: {{ url: \"{url}\", rate: 20 }}\n  error_rate: {{ max: 5% }}\n"
        );
        std::fs::write(self.dir.path().join("promotion.yml"), policy).expect("policy");
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/act/runner-image");
        let path = format!(
            "{}:{}",
            fixtures.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = bin()
            .current_dir(self.dir.path())
            .env("PATH", path)
            .env("GITHUB_JOB", "promote")
            .env("DEPLOY_ACTION_ACT_RECORD", &self.record)
            .env("DEPLOY_ACTION_ACT_STATE", &self.state)
            .env("APP", "web-1")
            .env("RESOURCE_GROUP", "rg-1")
            .env("NAMESPACE", "ns-1")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .args(["promote", "--from", "staging", "--to", "production"])
            .args([
                "--policy",
                "promotion.yml",
                "--sha",
                SHA,
                "--format",
                "json",
            ])
            .args(["--artifact", &format!("backend@{DIGEST}")])
            .output()
            .expect("promote");
        let decision = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
        });
        (out.status.code().unwrap_or(-1), decision)
    }

    /// The recorded calls of one tool, each as its arguments joined by spaces.
    fn calls(&self, tool: &str) -> Vec<String> {
        std::fs::read_to_string(&self.record)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let mut f = l.split('\t');
                let _job = f.next();
                (f.next() == Some(tool)).then(|| f.collect::<Vec<_>>().join(" "))
            })
            .collect()
    }
}

fn seed_workflow(seed: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/seeds")
        .join(seed)
        .join(".github/workflows/deploy.yml")
}

fn weights(calls: &[String]) -> Vec<String> {
    calls
        .iter()
        .filter_map(|c| {
            c.split_once("--revision-weight ")
                .map(|(_, w)| w.to_owned())
        })
        .collect()
}

#[test]
fn container_apps_moves_revision_weights_per_step() {
    let env = promote_env(&seed_workflow("001-static-web-apps-frontend"));
    assert!(
        env.iter().any(|(k, _)| k == "DEPLOY_START_COMMAND"),
        "{env:?}"
    );
    let run = Run::new();
    let (code, decision) = run.promote(&env, &serve(200));
    assert_eq!(code, 0, "{decision:#}");
    assert_eq!(decision["decision"], "promoted");
    let az = run.calls("az");
    assert!(
        az[0].starts_with(
            "containerapp revision set-mode --name web-1 --resource-group rg-1 --mode multiple"
        ),
        "{az:#?}"
    );
    assert!(
        az.iter()
            .any(|c| c.ends_with(&format!("--image backend@{DIGEST}"))),
        "{az:#?}"
    );
    assert_eq!(
        weights(&az),
        [
            "web-1--0000001=100",
            "web-1--0000001=75 web-1--0000002=25",
            "web-1--0000001=50 web-1--0000002=50",
            "web-1--0000001=0 web-1--0000002=100",
        ]
    );
    assert!(!az.iter().any(|c| c.contains("deactivate")), "{az:#?}");
}

#[test]
fn container_apps_rolls_back_and_deactivates_the_new_revision() {
    let env = promote_env(&seed_workflow("001-static-web-apps-frontend"));
    let run = Run::new();
    let (code, decision) = run.promote(&env, &serve(500));
    assert_eq!(code, 3, "{decision:#}");
    assert_eq!(decision["decision"], "rolled-back");
    assert!(
        decision["failed_threshold"]
            .as_str()
            .is_some_and(|t| t.contains("step 1/3 (25 %)") && t.contains("error rate 100.0 %")),
        "{decision:#}"
    );
    let az = run.calls("az");
    assert_eq!(
        weights(&az),
        [
            "web-1--0000001=100",
            "web-1--0000001=75 web-1--0000002=25",
            "web-1--0000001=100 web-1--0000002=0",
        ]
    );
    assert!(
        az.last().is_some_and(|c| c.starts_with(
            "containerapp revision deactivate --name web-1 --resource-group rg-1 --revision web-1--0000002"
        )),
        "{az:#?}"
    );
}

#[test]
fn app_service_routes_to_the_staging_slot_then_swaps() {
    let env = promote_env(&seed_workflow("002-app-service-slot-swap"));
    let run = Run::new();
    let (code, decision) = run.promote(&env, &serve(200));
    assert_eq!(code, 0, "{decision:#}");
    let az = run.calls("az");
    assert_eq!(
        az,
        [
            "webapp traffic-routing set --name web-1 --resource-group rg-1 --distribution staging=25",
            "webapp traffic-routing set --name web-1 --resource-group rg-1 --distribution staging=50",
            "webapp deployment slot swap --name web-1 --resource-group rg-1 --slot staging --target-slot production",
            "webapp traffic-routing clear --name web-1 --resource-group rg-1",
        ]
    );
}

#[test]
fn app_service_rolls_back_by_clearing_the_routing_without_a_swap() {
    let env = promote_env(&seed_workflow("002-app-service-slot-swap"));
    let run = Run::new();
    let (code, decision) = run.promote(&env, &serve(500));
    assert_eq!(code, 3, "{decision:#}");
    let steps = decision["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0]["verdict"], "fail");
    assert_eq!(
        run.calls("az"),
        [
            "webapp traffic-routing set --name web-1 --resource-group rg-1 --distribution staging=25",
            "webapp traffic-routing clear --name web-1 --resource-group rg-1",
        ]
    );
}

/// The kubernetes target's pipeline, generated with traffic steps.
fn kubernetes_env() -> Option<Vec<(String, String)>> {
    if std::process::Command::new("jq")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "jq is missing; scripts/test-env.sh up installs it (apt-get install jq)"
        );
        #[allow(clippy::print_stderr)]
        {
            eprintln!("skipping: jq not installed (scripts/test-env.sh up installs it)");
        }
        return None;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let out = bin()
        .args(["gen-workflow", "--dir"])
        .arg(dir.path())
        .args([
            "--stack",
            "docker",
            "--registry",
            "ghcr",
            "--target",
            "kubernetes",
        ])
        .args([
            "--service",
            "backend=Dockerfile",
            "--traffic-steps",
            "25 50 100",
        ])
        .output()
        .expect("gen-workflow");
    assert!(out.status.success(), "{out:?}");
    let workflow = dir.path().join(".github/workflows/deploy.yml");
    let text = std::fs::read_to_string(&workflow).expect("workflow");
    assert!(
        text.contains("Traffic split by replica ratio")
            && text.contains("no ingress or Gateway weights"),
        "the workflow says how traffic is split"
    );
    Some(promote_env(&workflow))
}

#[test]
fn kubernetes_scales_a_canary_beside_the_stable_deployment() {
    let Some(env) = kubernetes_env() else { return };
    let run = Run::new();
    let (code, decision) = run.promote(&env, &serve(200));
    assert_eq!(code, 0, "{decision:#}");
    let k = run.calls("kubectl");
    let image = format!("backend@{DIGEST}");
    assert!(
        k.contains(&format!(
            "--namespace ns-1 set image deployment/backend backend={image}"
        )),
        "{k:#?}"
    );
    assert_eq!(
        k.last().map(String::as_str),
        Some("--namespace ns-1 delete deployment backend-canary --ignore-not-found")
    );
    let applied: Vec<serde_json::Value> = (1..=2)
        .map(|n| {
            let text = std::fs::read_to_string(run.state.join(format!("kubectl/apply-{n}.json")))
                .expect("applied canary");
            serde_json::from_str(&text).expect("json")
        })
        .collect();
    // 2 stable replicas: 25 % needs 1 canary (1 of 3), 50 % needs 2 (2 of 4).
    for (canary, replicas) in applied.iter().zip([1, 2]) {
        assert_eq!(canary["metadata"]["name"], "backend-canary");
        assert_eq!(canary["spec"]["replicas"], replicas);
        assert_eq!(canary["spec"]["selector"]["matchLabels"]["track"], "canary");
        assert_eq!(
            canary["spec"]["template"]["spec"]["containers"][0]["image"],
            image.as_str()
        );
        assert!(canary["metadata"].get("uid").is_none() && canary.get("status").is_none());
    }
}

#[test]
fn kubernetes_rolls_back_by_deleting_the_canary() {
    let Some(env) = kubernetes_env() else { return };
    let run = Run::new();
    let (code, decision) = run.promote(&env, &serve(500));
    assert_eq!(code, 3, "{decision:#}");
    let k = run.calls("kubectl");
    assert!(
        !k.iter().any(|c| c.contains("set image")),
        "stable untouched: {k:#?}"
    );
    assert_eq!(
        k.last().map(String::as_str),
        Some("--namespace ns-1 delete deployment backend-canary --ignore-not-found")
    );
}
