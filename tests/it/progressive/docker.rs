//! Progressive promotion on the docker target, end to end on the test daemon and registry with
//! the real load balancer (the test environment's HAProxy, from Debian's package): a good
//! version walks 25 → 50 → 100 % and takes all the traffic; one answering every fourth request
//! with 500 is rolled back at the first step; one slower than the p95 threshold is rolled back;
//! a SIGTERM mid-rollout puts the old version back. A load generator on loopback counts every
//! answer through each rollout: no request may go unanswered, stepped or all at once.

#![allow(clippy::print_stderr)]

use crate::harness;
use crate::harness::promote_env;

use std::collections::BTreeMap;
use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use harness::docker::{self, DockerEnv, docker_cli, registry_digest};
use promote_env::{cmd, container_digest, expect_code, remove_containers, states};

/// Ports of this file (the act tests use 18600-18855 and 19600-19855; other promote tests 184xx).
const PORTS: [u16; 6] = [17111, 17121, 17131, 17141, 17151, 17161];

/// How a test version answers `/cgi-bin/app`.
#[derive(Clone, Copy)]
enum Behaviour {
    Good,
    /// Every fourth request answers 500: far enough above the 5 % threshold that the analysis
    /// fails whichever share of the failures the load generator's requests take (at one in ten
    /// a sample saw 6 of 150 and passed).
    FourthFails,
    /// Every request takes a second.
    Slow,
}

/// One test's service: its repository, container and production port.
struct Service {
    env: DockerEnv,
    dir: tempfile::TempDir,
    repo: String,
    container: String,
    port: u16,
    /// Images built, removed from the shared daemon at the end.
    built: std::cell::RefCell<Vec<String>>,
}

impl Service {
    fn new(env: DockerEnv, name: &str, port: u16) -> Self {
        let repo = format!("da-prog-{}/{name}", &docker::nonce()[..8]);
        let container = format!("deploy-action-{name}-production");
        remove_containers(&env, &[&container]);
        Self {
            env,
            dir: tempfile::tempdir().expect("tempdir"),
            repo,
            container,
            port,
            built: std::cell::RefCell::new(Vec::new()),
        }
    }

    /// Builds and pushes a version; returns its `REPO@DIGEST`.
    fn version(&self, tag: &str, behaviour: Behaviour) -> String {
        let ctx = self.dir.path().join(format!("ctx-{tag}"));
        let cgi = ctx.join("www/cgi-bin");
        std::fs::create_dir_all(&cgi).expect("mkdir");
        std::fs::write(ctx.join("www/health"), "ok\n").expect("health");
        let body = format!("printf 'Content-Type: text/plain\\r\\n\\r\\napp {tag}\\n'");
        let script = match behaviour {
            Behaviour::Good => format!("#!/bin/sh\n{body}\n"),
            Behaviour::Slow => format!("#!/bin/sh\nsleep 1\n{body}\n"),
            Behaviour::FourthFails => format!(
                "#!/bin/sh\nn=$(cat /tmp/count 2>/dev/null || echo 0)\nn=$((n + 1))\necho \"$n\" >/tmp/count\n\
                 if [ $((n % 4)) -eq 0 ]; then\n  printf 'Status: 500 Internal Server Error\\r\\nContent-Type: text/plain\\r\\n\\r\\nboom\\n'\n  exit 0\nfi\n{body}\n"
            ),
        };
        let app = cgi.join("app");
        std::fs::write(&app, script).expect("cgi");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&app, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        std::fs::write(
            ctx.join("Dockerfile"),
            format!(
                "FROM {}\nCOPY www /www\nCMD [\"sh\", \"-c\", \"trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait\"]\n",
                self.env.base_image
            ),
        )
        .expect("Dockerfile");
        let reference = format!("{}/{}:{tag}", self.env.registry, self.repo);
        self.built.borrow_mut().push(reference.clone());
        for args in [
            vec![
                "build",
                "-q",
                "-t",
                &reference,
                ctx.to_str().expect("utf-8"),
            ],
            vec!["push", &reference],
        ] {
            let o = docker_cli(&self.env.host, &args);
            assert!(
                o.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        let digest = registry_digest(&self.env.registry, &self.repo, tag).expect("digest");
        format!("{}/{}@{digest}", self.env.registry, self.repo)
    }

    fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Records `image` in staging (the `deployed` gate reads it) for a new commit.
    fn stage(&self, image: &str) -> String {
        let sha = docker::fake_sha();
        let out = cmd(&self.env, self.dir())
            .args(["deploy", "-e", "staging", "--target", "external"])
            .args(["--image", image, "--sha", &sha])
            .output()
            .expect("deploy");
        expect_code(&out, 0);
        sha
    }

    /// `promote` of `image` at `sha` with `policy` to the docker target, as a command.
    fn promote_cmd(&self, image: &str, sha: &str, policy: &str) -> std::process::Command {
        let file = self.dir().join(format!("policy-{sha}.yml"));
        std::fs::write(&file, policy).expect("policy");
        let mut c = harness::bin_command();
        c.current_dir(self.dir())
            .env("DOCKER_HOST", &self.env.host)
            .env("DEPLOY_ACTION_BALANCER_IMAGE", harness::balancer_image())
            .env("GITHUB_STEP_SUMMARY", self.dir().join("summary.md"))
            .args(["promote", "--policy"])
            .arg(&file)
            .args(["--sha", sha, "--image", image, "--format", "json"])
            .args(["--target", "docker", "--health-timeout", "30s", "--publish"])
            .arg(format!("{}:8080", self.port));
        c
    }

    fn promote(&self, image: &str, policy: &str) -> (Output, serde_json::Value) {
        let sha = self.stage(image);
        let out = self
            .promote_cmd(image, &sha, policy)
            .output()
            .expect("promote");
        let decision = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "decision json ({e}): {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out, decision)
    }

    fn digest_running(&self) -> String {
        container_digest(&self.env, &self.container)
    }

    fn running(&self) -> String {
        let o = docker_cli(&self.env.host, &["ps", "--format", "{{.Names}}"]);
        String::from_utf8_lossy(&o.stdout).into_owned()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        remove_containers(&self.env, &[&self.container]);
        let mut args = vec!["rmi", "-f"];
        let built = self.built.borrow();
        args.extend(built.iter().map(String::as_str));
        let _ = docker_cli(&self.env.host, &args);
    }
}

/// A policy without steps (all at once).
const AT_ONCE: &str = "from: staging\nto: production\ngates:\n  deployed: true\n";

/// A stepped policy: 25 → 50 → 100 %, `pause` at the first two steps.
fn stepped(pause: &str, rate: u32, error_rate: &str, p95: &str) -> String {
    format!(
        "{AT_ONCE}rollout:\n  steps:\n    - {{ weight: 25, pause: {pause} }}\n    - {{ weight: 50, pause: {pause} }}\n    - {{ weight: 100 }}\n\
         analysis:\n  count: 1\n  requests: {{ path: /cgi-bin/app, rate: {rate}, timeout: 5s }}\n  error_rate: {{ max: {error_rate} }}\n  latency: {{ p95: {p95} }}\n"
    )
}

/// What the load generator saw.
#[derive(Debug, Default)]
struct Tally {
    sent: u64,
    /// Requests without an answer (refused, reset, timed out, or no status line).
    lost: u64,
    /// Answers by status code.
    statuses: BTreeMap<u16, u64>,
    /// 200 answers by body.
    bodies: BTreeMap<String, u64>,
}

/// Requests on loopback to the balancer's port from a few threads, until stopped.
struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<Tally>>,
}

impl Load {
    fn start(port: u16) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..3)
            .map(|_| {
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || {
                    let mut t = Tally::default();
                    while !stop.load(Ordering::SeqCst) {
                        t.sent += 1;
                        match get(port, "/cgi-bin/app") {
                            Some((status, body)) => {
                                *t.statuses.entry(status).or_default() += 1;
                                if status == 200 {
                                    *t.bodies.entry(body).or_default() += 1;
                                }
                            }
                            None => t.lost += 1,
                        }
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    t
                })
            })
            .collect();
        Self { stop, threads }
    }

    fn stop(self) -> Tally {
        self.stop.store(true, Ordering::SeqCst);
        let mut all = Tally::default();
        for h in self.threads {
            let t = h.join().expect("load thread");
            all.sent += t.sent;
            all.lost += t.lost;
            for (k, v) in t.statuses {
                *all.statuses.entry(k).or_default() += v;
            }
            for (k, v) in t.bodies {
                *all.bodies.entry(k).or_default() += v;
            }
        }
        all
    }
}

/// One HTTP/1.0 request: the status and the body's first line, or `None` without an answer.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: test\r\n\r\n").as_bytes())
        .ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw);
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.lines().next().unwrap_or_default().to_owned())
        .unwrap_or_default();
    Some((status, body))
}

/// The bodies of `n` requests through the balancer.
fn answers(port: u16, n: usize) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for _ in 0..n {
        let (status, body) = get(port, "/cgi-bin/app").expect("an answer");
        *seen.entry(format!("{status} {body}")).or_default() += 1;
    }
    seen
}

fn steps(decision: &serde_json::Value) -> Vec<(u64, String, usize)> {
    decision["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            (
                s["weight"].as_u64().unwrap_or_default(),
                s["verdict"].as_str().unwrap_or_default().to_owned(),
                s["samples"].as_array().map_or(0, Vec::len),
            )
        })
        .collect()
}

#[test]
fn a_good_version_walks_25_50_100_and_takes_all_the_traffic() {
    let Some(env) = docker::env() else { return };
    let s = Service::new(env, "prog-walk", PORTS[0]);
    let v1 = s.version("v1", Behaviour::Good);
    let v2 = s.version("v2", Behaviour::Good);
    let (out, _) = s.promote(&v1, AT_ONCE);
    expect_code(&out, 0);
    assert_eq!(
        answers(s.port, 5),
        BTreeMap::from([("200 app v1".into(), 5)])
    );

    let load = Load::start(s.port);
    let (out, decision) = s.promote(&v2, &stepped("2s", 20, "5%", "2s"));
    let tally = load.stop();
    expect_code(&out, 0);
    assert_eq!(decision["decision"], "promoted", "{decision:#}");
    assert_eq!(
        steps(&decision),
        [
            (25, "pass".into(), 1),
            (50, "pass".into(), 1),
            (100, "pass".into(), 0)
        ]
    );
    let sample = &decision["steps"][0]["samples"][0];
    assert!(
        sample["requests"].as_u64().unwrap_or_default() > 0,
        "{sample}"
    );
    assert_eq!(sample["errors"], 0, "{sample}");
    eprintln!("stepped rollout under load: {tally:?}");
    assert_eq!(tally.lost, 0, "every request answered: {tally:?}");
    assert_eq!(
        tally.statuses.keys().copied().collect::<Vec<_>>(),
        [200],
        "{tally:?}"
    );
    assert!(
        tally.bodies.contains_key("app v1") && tally.bodies.contains_key("app v2"),
        "both served during the walk: {tally:?}"
    );
    assert_eq!(
        answers(s.port, 20),
        BTreeMap::from([("200 app v2".into(), 20)])
    );
    assert!(
        s.digest_running()
            .starts_with(&format!("{}|", v2.split('@').nth(1).unwrap_or_default()))
    );
    assert!(
        !s.running().contains(&format!("{}-next", s.container)),
        "no candidate left"
    );
    let summary = std::fs::read_to_string(s.dir().join("summary.md")).expect("summary");
    assert!(
        summary.contains("| Step | Traffic to the new version | Samples | Verdict | Time |"),
        "{summary}"
    );
    assert!(summary.contains("| 1 | 25 % | ✅ "), "{summary}");
    assert!(
        summary.contains("| 3 | 100 % | (no analysis) | ✅ pass |"),
        "{summary}"
    );
}

#[test]
fn a_version_failing_one_request_in_four_is_rolled_back_at_the_first_step_losing_no_request() {
    let Some(env) = docker::env() else { return };
    let s = Service::new(env.clone(), "prog-errors", PORTS[1]);
    let v1 = s.version("v1", Behaviour::Good);
    let v2 = s.version("v2", Behaviour::FourthFails);
    let (out, _) = s.promote(&v1, AT_ONCE);
    expect_code(&out, 0);

    let load = Load::start(s.port);
    let (out, decision) = s.promote(&v2, &stepped("3s", 50, "5%", "5s"));
    // Keep the load on past the rollback: the switch back must not drop a request either.
    std::thread::sleep(Duration::from_millis(500));
    let tally = load.stop();
    expect_code(&out, 3);
    assert_eq!(decision["decision"], "rolled-back", "{decision:#}");
    assert_eq!(steps(&decision), [(25, "fail".into(), 1)], "{decision:#}");
    let threshold = decision["failed_threshold"].as_str().unwrap_or_default();
    assert!(
        threshold.contains("step 1/3 (25 %)") && threshold.contains("error rate"),
        "{threshold}"
    );
    assert!(threshold.contains("> 5.0 %"), "{threshold}");
    eprintln!("rolled back at 25 % under load: {tally:?}");
    assert_eq!(tally.lost, 0, "every request answered: {tally:?}");
    assert_eq!(
        answers(s.port, 20),
        BTreeMap::from([("200 app v1".into(), 20)])
    );
    assert!(
        s.digest_running()
            .starts_with(v1.split('@').nth(1).unwrap_or_default())
    );
    assert!(
        !s.running().contains(&format!("{}-next", s.container)),
        "new version removed"
    );
    assert_eq!(
        states(&env, s.dir(), "production", &[]),
        ["failure", "success"]
    );
    let summary = std::fs::read_to_string(s.dir().join("summary.md")).expect("summary");
    assert!(
        summary.contains("| 1 | 25 % | ❌ ") && summary.contains("Rolled back: step 1/3 (25 %)"),
        "{summary}"
    );
    let tag = registry_digest(&env.registry, &s.repo, "production");
    assert_eq!(
        tag.as_deref(),
        v1.split('@').nth(1),
        ":production back on v1"
    );
}

#[test]
fn a_version_slower_than_the_p95_threshold_is_rolled_back() {
    let Some(env) = docker::env() else { return };
    let s = Service::new(env, "prog-slow", PORTS[2]);
    let v1 = s.version("v1", Behaviour::Good);
    let v2 = s.version("v2", Behaviour::Slow);
    let (out, _) = s.promote(&v1, AT_ONCE);
    expect_code(&out, 0);
    let (out, decision) = s.promote(&v2, &stepped("2s", 10, "5%", "300ms"));
    expect_code(&out, 3);
    assert_eq!(decision["decision"], "rolled-back", "{decision:#}");
    assert_eq!(steps(&decision)[0].0, 25);
    let threshold = decision["failed_threshold"].as_str().unwrap_or_default();
    assert!(
        threshold.contains("p95") && threshold.contains("> 300ms"),
        "{threshold}"
    );
    assert_eq!(
        answers(s.port, 10),
        BTreeMap::from([("200 app v1".into(), 10)])
    );
}

#[test]
fn an_all_at_once_promotion_under_load_loses_no_request() {
    let Some(env) = docker::env() else { return };
    let s = Service::new(env, "prog-once", PORTS[3]);
    let v1 = s.version("v1", Behaviour::Good);
    let v2 = s.version("v2", Behaviour::Good);
    let (out, _) = s.promote(&v1, AT_ONCE);
    expect_code(&out, 0);
    let load = Load::start(s.port);
    std::thread::sleep(Duration::from_millis(500));
    let (out, decision) = s.promote(&v2, AT_ONCE);
    std::thread::sleep(Duration::from_millis(500));
    let tally = load.stop();
    expect_code(&out, 0);
    assert_eq!(decision["decision"], "promoted");
    eprintln!("all-at-once promotion under load: {tally:?}");
    assert_eq!(tally.lost, 0, "every request answered: {tally:?}");
    assert_eq!(
        tally.statuses.keys().copied().collect::<Vec<_>>(),
        [200],
        "{tally:?}"
    );
    assert_eq!(
        answers(s.port, 10),
        BTreeMap::from([("200 app v2".into(), 10)])
    );
}

#[test]
fn sigterm_mid_rollout_puts_the_old_version_back() {
    let Some(env) = docker::env() else { return };
    let s = Service::new(env.clone(), "prog-term", PORTS[4]);
    let v1 = s.version("v1", Behaviour::Good);
    let v2 = s.version("v2", Behaviour::Good);
    let (out, _) = s.promote(&v1, AT_ONCE);
    expect_code(&out, 0);
    let load = Load::start(s.port);
    let sha = s.stage(&v2);
    let mut child = s
        .promote_cmd(&v2, &sha, &stepped("60s", 5, "5%", "2s"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("step 1/3 (25 %): sending") {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    while rx.try_recv().is_err() {
        assert!(
            Instant::now() < deadline,
            "the rollout never reached its first step"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("kill");
    let out = harness::output_within(child, harness::WAIT_DEADLINE);
    let log = reader.join().expect("reader");
    let tally = load.stop();
    assert_eq!(out.status.code(), Some(130), "{log}");
    let decision: serde_json::Value = serde_json::from_slice(&out.stdout).expect("decision");
    assert_eq!(decision["decision"], "error", "{decision:#}");
    assert!(
        decision["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("SIGTERM"),
        "{decision:#}"
    );
    assert_eq!(
        answers(s.port, 10),
        BTreeMap::from([("200 app v1".into(), 10)])
    );
    assert!(
        !s.running().contains(&format!("{}-next", s.container)),
        "new version removed"
    );
    assert_eq!(
        states(&env, s.dir(), "production", &[]),
        ["error", "success"]
    );
    assert_eq!(tally.lost, 0, "every request answered: {tally:?}");
}

#[test]
fn a_container_from_before_the_balancer_hands_its_port_over_once() {
    let Some(env) = docker::env() else { return };
    let s = Service::new(env.clone(), "prog-legacy", PORTS[5]);
    let v1 = s.version("v1", Behaviour::Good);
    let v2 = s.version("v2", Behaviour::Good);
    let v3 = s.version("v3", Behaviour::Good);
    // What the docker target ran before the balancer: the container publishes the port itself.
    let digest1 = v1.split('@').nth(1).unwrap_or_default().to_owned();
    let o = docker_cli(
        &env.host,
        &[
            "run",
            "-d",
            "--name",
            &s.container,
            "-p",
            &format!("{}:8080", s.port),
            "--label",
            &format!("deploy-action.digest={digest1}"),
            &v1,
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let deadline = Instant::now() + Duration::from_secs(30);
    while get(s.port, "/health").is_none() {
        assert!(
            Instant::now() < deadline,
            "the old container never answered"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let load = Load::start(s.port);
    let (out, _) = s.promote(&v2, AT_ONCE);
    std::thread::sleep(Duration::from_millis(300));
    let handover = load.stop();
    expect_code(&out, 0);
    eprintln!("first switch after the balancer's introduction (port handover): {handover:?}");
    assert_eq!(
        answers(s.port, 10),
        BTreeMap::from([("200 app v2".into(), 10)])
    );
    let ports = docker_cli(
        &env.host,
        &["port", &format!("{}-lb", s.container), "8080/tcp"],
    );
    assert!(
        String::from_utf8_lossy(&ports.stdout).contains(&format!(":{}", s.port)),
        "the balancer owns the port: {}",
        String::from_utf8_lossy(&ports.stdout)
    );
    // From then on a switch loses nothing.
    let load = Load::start(s.port);
    let (out, _) = s.promote(&v3, AT_ONCE);
    std::thread::sleep(Duration::from_millis(300));
    let tally = load.stop();
    expect_code(&out, 0);
    eprintln!("the next switch under load: {tally:?}");
    assert_eq!(tally.lost, 0, "every request answered: {tally:?}");
    assert_eq!(
        answers(s.port, 10),
        BTreeMap::from([("200 app v3".into(), 10)])
    );
}
