//! `deploy-action build` against daemons that are not a local socket, as teams move builds off
//! the runner: TCP with TLS client certificates (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH), SSH
//! (`ssh … docker system dial-stdio`), Docker contexts; and the classic fallback of a daemon
//! without BuildKit.

use crate::harness;

use std::path::Path;

use harness::docker::{self, ActionsFiles};
use harness::remote_daemons::{self, Certs, SshServer, TlsDaemon};

/// A context that needs no base image on the remote daemon.
fn scratch_context() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM scratch\nCOPY hello.txt /\n",
    )
    .expect("Dockerfile");
    std::fs::write(dir.path().join("hello.txt"), docker::nonce()).expect("file");
    dir
}

/// `deploy-action build` in `dir` with no DOCKER_* variables but the ones given.
fn build(dir: &Path, vars: &[(&str, &str)], args: &[&str]) -> (i32, serde_json::Value, String) {
    let files = ActionsFiles::new();
    let env = docker::DockerEnv {
        host: String::new(),
        registry: String::new(),
        base_image: String::new(),
    };
    let mut cmd = docker::build_cmd(&env, dir, &docker::fake_sha(), &files);
    cmd.env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("DOCKER_CERT_PATH");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd
        .args(["--image", "deploy-action-test/remote", "--format", "json"])
        .args(args)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_default();
    (out.status.code().unwrap_or(-1), json, stderr)
}

#[test]
fn tls_daemons_by_environment_and_by_context() {
    if docker::env().is_none()
        || !remote_daemons::have("openssl")
        || !remote_daemons::have("dockerd")
    {
        return;
    }
    let certs = Certs::new();
    let daemon = TlsDaemon::start(&certs);
    let dir = scratch_context();
    let host = daemon.host();
    let cert_path = certs.client_dir().to_string_lossy().into_owned();

    // DOCKER_HOST with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, as the Docker CLI takes them.
    let (code, result, stderr) = build(
        dir.path(),
        &[
            ("DOCKER_HOST", &host),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", &cert_path),
        ],
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(result["builder"], "buildkit");
    let id = result["image_id"].as_str().expect("id");
    let inspect = daemon.cli(&certs, &["image", "inspect", "--format", "{{.Id}}", id]);
    assert!(inspect.status.success(), "the image is on the TLS daemon");

    // A Docker context in the CLI's store, named by --docker-context and by DOCKER_CONTEXT.
    let config = tempfile::tempdir().expect("DOCKER_CONFIG");
    remote_daemons::write_context(config.path(), "remote-tls", &host, Some(certs.client_dir()));
    let config_dir = config.path().to_string_lossy().into_owned();
    for how in ["flag", "env"] {
        let mut vars = vec![("DOCKER_CONFIG", config_dir.as_str())];
        let mut args = vec![];
        if how == "flag" {
            args.extend(["--docker-context", "remote-tls"]);
        } else {
            vars.push(("DOCKER_CONTEXT", "remote-tls"));
        }
        std::fs::write(dir.path().join("hello.txt"), docker::nonce()).expect("new content");
        let (code, result, stderr) = build(dir.path(), &vars, &args);
        assert_eq!(code, 0, "{how}: {stderr}");
        let id = result["image_id"].as_str().expect("id");
        let inspect = daemon.cli(&certs, &["image", "inspect", id]);
        assert!(
            inspect.status.success(),
            "{how}: the image is on the TLS daemon"
        );
    }

    // Without the client certificate the daemon refuses: one line, exit 4.
    let no_client = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        certs.client_dir().join("ca.pem"),
        no_client.path().join("ca.pem"),
    )
    .expect("ca");
    let (code, _, stderr) = build(
        dir.path(),
        &[
            ("DOCKER_HOST", &host),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", &no_client.path().to_string_lossy()),
        ],
        &[],
    );
    assert_eq!(code, 4, "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains(&format!("cannot reach the Docker daemon at {host} (TLS)")),
        "{}",
        errors[0]
    );
}

#[test]
fn an_unreachable_tls_daemon_is_one_line_and_exit_4() {
    if !remote_daemons::have("openssl") {
        return;
    }
    let certs = Certs::new();
    let dir = scratch_context();
    let host = format!("tcp://127.0.0.1:{}", remote_daemons::free_port());
    let (code, result, stderr) = build(
        dir.path(),
        &[
            ("DOCKER_HOST", &host),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", &certs.client_dir().to_string_lossy()),
        ],
        &[],
    );
    assert_eq!(code, 4, "{stderr}");
    assert!(result.is_null());
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].starts_with(&format!(
            "error: cannot reach the Docker daemon at {host} (TLS) ("
        )),
        "{}",
        errors[0]
    );
    assert!(!stderr.contains("panicked"));
}

#[test]
fn an_ssh_daemon_builds_through_dial_stdio() {
    let Some(env) = docker::env() else { return };
    if !remote_daemons::have("/usr/sbin/sshd") || !remote_daemons::have("ssh") {
        return;
    }
    let Some(socket) = env.host.strip_prefix("unix://") else {
        panic!(
            "this test needs a unix-socket DOCKER_HOST, not {}",
            env.host
        );
    };
    let server = SshServer::start();
    let dir = scratch_context();
    // The socket path in the URL: `docker --host unix://<path> system dial-stdio` remotely.
    let host = format!("ssh://root@127.0.0.1:{}{socket}", server.port);
    let path = server.path_env();
    let (code, result, stderr) = build(dir.path(), &[("DOCKER_HOST", &host), ("PATH", &path)], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(result["builder"], "buildkit", "{stderr}");
    let id = result["image_id"].as_str().expect("id");
    let inspect = docker::docker_cli(&env.host, &["image", "inspect", id]);
    assert!(
        inspect.status.success(),
        "the image is on the daemon behind ssh"
    );
}

#[test]
fn a_daemon_without_buildkit_falls_back_to_the_classic_builder_with_one_line() {
    let Some(env) = docker::env() else { return };
    let Some(socket) = env.host.strip_prefix("unix://") else {
        panic!(
            "this test needs a unix-socket DOCKER_HOST, not {}",
            env.host
        );
    };
    // A daemon that speaks Engine API 1.38 (Docker 18.06): BuildKit's session came with 1.39.
    let sockets = tempfile::tempdir().expect("tempdir");
    let proxy = remote_daemons::RewritingProxy::start(
        &sockets.path().join("old.sock"),
        Path::new(socket),
        br#""ApiVersion":"1.41""#,
        br#""ApiVersion":"1.38""#,
    );
    let host = format!("unix://{}", proxy.socket.display());
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {}\nRUN echo {}\n", env.base_image, docker::nonce()),
    )
    .expect("Dockerfile");
    let (code, result, stderr) = build(dir.path(), &[("DOCKER_HOST", &host)], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(result["builder"], "classic");
    let notes: Vec<&str> = stderr.lines().filter(|l| l.starts_with("note:")).collect();
    assert_eq!(notes.len(), 1, "{stderr}");
    assert!(
        notes[0].contains("API 1.38")
            && notes[0].ends_with("has no BuildKit: building with the classic builder"),
        "{}",
        notes[0]
    );
    assert!(stderr.contains("Step 1/"), "{stderr}");

    // Asked for BuildKit explicitly, it is an error instead.
    let (code, _, stderr) = build(
        dir.path(),
        &[("DOCKER_HOST", &host)],
        &["--builder", "buildkit"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("error: --builder buildkit: the daemon at"),
        "{stderr}"
    );
}
