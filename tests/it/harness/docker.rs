//! The daemon and registry harness for `tests/it/build/`: finds the private dockerd and
//! registry of `scripts/test-env.sh`, and gives each test a fresh context and commit.
//!
//! When the daemon is missing, a test is skipped with the reason printed, except under CI
//! (`CI=true`), where it fails: CI must run these tests, not pass by skipping them.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};

/// The socket `scripts/test-env.sh up` creates.
const TEST_ENV_SOCKET: &str = "/tmp/deploy-action-test/docker.sock";

/// A daemon and registry that answer.
#[derive(Debug, Clone)]
pub struct DockerEnv {
    /// `DOCKER_HOST`.
    pub host: String,
    /// `host:port` of the plain-HTTP registry.
    pub registry: String,
    /// A local base image the fixtures build `FROM`.
    pub base_image: String,
}

/// The one daemon finder: `DOCKER_HOST` (else the test-env socket) with a daemon answering
/// `/_ping`, or why there is none.
fn find_daemon() -> Result<String, String> {
    let host = std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            Path::new(TEST_ENV_SOCKET)
                .exists()
                .then(|| format!("unix://{TEST_ENV_SOCKET}"))
        });
    match host {
        None => Err("DOCKER_HOST is not set and scripts/test-env.sh is not up".to_owned()),
        Some(h) if !daemon_answers(&h) => Err(format!("no Docker daemon answers at {h}")),
        Some(h) => {
            super::daemon_users::enter(&h);
            Ok(h)
        }
    }
}

/// `None` (skip, with the reason printed) outside CI; a panic under `CI=true`, where the tests
/// must run rather than pass by skipping.
fn skip_or_fail<T>(problem: &str) -> Option<T> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{problem}; CI needs the daemon: run scripts/test-env.sh up");
    }
    eprintln!("skipping: {problem} (run scripts/test-env.sh up)");
    None
}

/// The daemon alone (`DOCKER_HOST` value), for tests that need no registry.
pub fn daemon_host() -> Option<String> {
    find_daemon().map_or_else(|p| skip_or_fail(&p), Some)
}

/// Finds the environment: the daemon of [`daemon_host`], and the registry answering `/v2/`.
pub fn env() -> Option<DockerEnv> {
    let registry =
        std::env::var("DEPLOY_ACTION_TEST_REGISTRY").unwrap_or_else(|_| "127.0.0.1:5000".into());
    let base_image = std::env::var("DEPLOY_ACTION_TEST_BASE_IMAGE")
        .unwrap_or_else(|_| "deploy-action-test/busybox:latest".into());
    let found =
        find_daemon().and_then(
            |host| match http("GET", &format!("http://{registry}/v2/"), &[]) {
                Ok(r) if r.status == 200 => Ok(host),
                Ok(r) => Err(format!("registry {registry} answered HTTP {}", r.status)),
                Err(e) => Err(format!("registry {registry} does not answer: {e}")),
            },
        );
    match found {
        Ok(host) => Some(DockerEnv {
            host,
            registry,
            base_image,
        }),
        Err(problem) => skip_or_fail(&problem),
    }
}

fn daemon_answers(host: &str) -> bool {
    let Some(path) = host.strip_prefix("unix://") else {
        return docker_cli(host, &["version"]).status.success();
    };
    let Ok(mut s) = std::os::unix::net::UnixStream::connect(path) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if s.write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.starts_with("HTTP/1.") && buf.contains(" 200 ")
}

/// Runs the docker CLI against `host` with the classic builder and a private config.
pub fn docker_cli(host: &str, args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .env("DOCKER_HOST", host)
        .env("DOCKER_BUILDKIT", "0")
        .env(
            "DOCKER_CONFIG",
            std::env::temp_dir().join("deploy-action-test-cli"),
        )
        .output()
        .expect("the docker CLI runs")
}

/// [`docker_cli`] that must succeed: its stdout, or a panic with its stderr.
pub fn docker_ok(host: &str, args: &[&str]) -> String {
    let out = docker_cli(host, args);
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `docker run --rm image sh -c script`, returning stdout.
pub fn run_in(env: &DockerEnv, image: &str, script: &str) -> String {
    let out = docker_cli(&env.host, &["run", "--rm", image, "sh", "-c", script]);
    assert!(
        out.status.success(),
        "docker run {image} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The image's config labels, read through bollard.
pub fn labels(env: &DockerEnv, image: &str) -> BTreeMap<String, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let docker = bollard::Docker::connect_with_host(&env.host).expect("connect");
        let docker = docker.negotiate_version().await.expect("negotiate");
        let image = docker.inspect_image(image).await.expect("inspect");
        image
            .config
            .and_then(|c| c.labels)
            .unwrap_or_default()
            .into_iter()
            .collect()
    })
}

/// A response of [`http`].
#[derive(Debug)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header names lower-cased.
    pub headers: BTreeMap<String, String>,
    /// The body.
    pub body: String,
}

/// A minimal HTTP/1.0 client for the plain-HTTP test registries.
pub fn http(method: &str, url: &str, headers: &[(&str, &str)]) -> std::io::Result<Response> {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut s = TcpStream::connect(authority)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut req = format!("{method} {path} HTTP/1.0\r\nHost: {authority}\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    let mut raw = String::new();
    s.read_to_string(&mut raw)?;
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok(Response {
        status,
        headers,
        body: body.to_owned(),
    })
}

/// The tags the registry lists for `repository`.
pub fn registry_tags(registry: &str, repository: &str) -> Vec<String> {
    let r = http(
        "GET",
        &format!("http://{registry}/v2/{repository}/tags/list"),
        &[],
    )
    .expect("tags/list");
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
    v["tags"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The registry's `Docker-Content-Digest` for `repository:tag`.
pub fn registry_digest(registry: &str, repository: &str, tag: &str) -> Option<String> {
    let accept = "application/vnd.docker.distribution.manifest.v2+json, \
                  application/vnd.oci.image.manifest.v1+json";
    let r = http(
        "HEAD",
        &format!("http://{registry}/v2/{repository}/manifests/{tag}"),
        &[("Accept", accept)],
    )
    .expect("manifest HEAD");
    r.headers.get("docker-content-digest").cloned()
}

/// A manifest as the registry serves it.
pub struct RegistryManifest {
    /// `Docker-Content-Digest`.
    pub digest: String,
    /// The body.
    pub json: serde_json::Value,
}

/// `GET /v2/<repository>/manifests/<reference>` accepting indexes and manifests.
pub fn registry_manifest(registry: &str, repository: &str, reference: &str) -> RegistryManifest {
    let accept = "application/vnd.oci.image.index.v1+json, \
                  application/vnd.docker.distribution.manifest.list.v2+json, \
                  application/vnd.docker.distribution.manifest.v2+json, \
                  application/vnd.oci.image.manifest.v1+json";
    let r = http(
        "GET",
        &format!("http://{registry}/v2/{repository}/manifests/{reference}"),
        &[("Accept", accept)],
    )
    .expect("manifest GET");
    assert_eq!(r.status, 200, "{repository}:{reference}: {}", r.body);
    RegistryManifest {
        digest: r
            .headers
            .get("docker-content-digest")
            .cloned()
            .unwrap_or_default(),
        json: serde_json::from_str(&r.body).expect("manifest JSON"),
    }
}

/// A JSON blob (an image config) of `repository`.
pub fn registry_blob_json(registry: &str, repository: &str, digest: &str) -> serde_json::Value {
    let r = http(
        "GET",
        &format!("http://{registry}/v2/{repository}/blobs/{digest}"),
        &[],
    )
    .expect("blob GET");
    assert_eq!(r.status, 200, "{repository}@{digest}");
    serde_json::from_str(&r.body).expect("blob JSON")
}

/// Empties the daemon's BuildKit cache, as on a fresh runner (`POST /build/prune?all=1`).
/// Waits until no other test of this process uses the daemon, and keeps it so while the
/// returned guard lives (`daemon_users`): a prune racing a build crashes dockerd 20.10.
pub fn prune_build_cache(env: &DockerEnv) -> super::daemon_users::Alone {
    let alone = super::daemon_users::alone(&env.host);
    prune_all(env);
    alone
}

fn prune_all(env: &DockerEnv) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let docker = bollard::Docker::connect_with_host(&env.host).expect("connect");
        let docker = docker.negotiate_version().await.expect("negotiate");
        let options = bollard::query_parameters::PruneBuildOptionsBuilder::default()
            .all(true)
            .build();
        docker
            .prune_build(Some(options))
            .await
            .expect("prune the build cache");
    });
}

/// A value no other test or run uses.
pub fn nonce() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let h = Sha256::digest(format!("{now}-{}-{n}", std::process::id()));
    h.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh 40-hex commit SHA.
pub fn fake_sha() -> String {
    nonce()[..40].to_owned()
}

/// Copies `fixtures/build/<name>` to a temp dir and adds a unique file, so its context
/// digest (and build key) is new and the first build really builds.
pub fn fixture(name: &str) -> tempfile::TempDir {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/build")
        .join(name);
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&src, dir.path());
    std::fs::write(dir.path().join("nonce.txt"), nonce()).expect("nonce");
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Files an Actions run writes to.
pub struct ActionsFiles {
    /// Holds the files.
    pub dir: tempfile::TempDir,
}

impl ActionsFiles {
    /// New empty files.
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// `GITHUB_OUTPUT`.
    pub fn output(&self) -> PathBuf {
        self.dir.path().join("output")
    }

    /// `GITHUB_STEP_SUMMARY`.
    pub fn summary(&self) -> PathBuf {
        self.dir.path().join("summary")
    }

    /// A Docker config dir with no credentials.
    pub fn docker_config(&self) -> PathBuf {
        self.dir.path().join("docker-config")
    }

    /// Reads a file, empty when absent.
    pub fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_default()
    }
}

/// `deploy-action build` in `dir` as a GitHub Actions push to `main` at `sha`.
pub fn build_cmd(
    env: &DockerEnv,
    dir: &Path,
    sha: &str,
    files: &ActionsFiles,
) -> assert_cmd::Command {
    let mut cmd = super::bin();
    cmd.current_dir(dir)
        .arg("build")
        .env("DOCKER_HOST", &env.host)
        .env("DOCKER_CONFIG", files.docker_config())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_SHA", sha)
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_EVENT_NAME", "push")
        .env("GITHUB_REPOSITORY", "org/app")
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_OUTPUT", files.output())
        .env("GITHUB_STEP_SUMMARY", files.summary());
    cmd
}

/// Whether a build log shows the daemon building: the classic builder's `Step 1/`, or
/// BuildKit's first vertex.
pub fn log_shows_a_build(log: &str) -> bool {
    log.contains("Step 1/") || log.contains("[internal] load build definition")
}

/// Parses the JSON result of `build --format json`.
pub fn json_result(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "build failed ({:?}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}
