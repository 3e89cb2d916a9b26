//! Remote daemons for the build tests, all on loopback: a second dockerd that listens on TCP with
//! `--tlsverify` and certificates made here (openssl), and an sshd whose user may run `docker
//! system dial-stdio` against the test daemon. Both stop when dropped. Every wait has a deadline.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a daemon may take to answer.
const START_DEADLINE: Duration = Duration::from_secs(60);

/// Fails (under CI) or skips when `program` is missing.
pub fn have(program: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{program} is missing; scripts/test-env.sh installs it");
        }
        eprintln!("skipping: {program} is missing (scripts/test-env.sh up installs it)");
    }
    found
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and, signed by it, a server certificate for 127.0.0.1 and a client certificate.
pub struct Certs {
    /// Holds the files.
    pub dir: tempfile::TempDir,
}

impl Certs {
    /// Makes them with openssl.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let ossl = |args: &[&str]| run(Command::new("openssl").current_dir(d).args(args));
        ossl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            "ca-key.pem",
            "-out",
            "ca.pem",
            "-subj",
            "/CN=deploy-action test CA",
        ]);
        std::fs::write(
            d.join("server.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
        )
        .expect("ext");
        std::fs::write(d.join("client.ext"), "extendedKeyUsage=clientAuth\n").expect("ext");
        for (name, cn) in [("server", "127.0.0.1"), ("client", "client")] {
            ossl(&[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                &format!("{name}-key.pem"),
                "-out",
                &format!("{name}.csr"),
                "-subj",
                &format!("/CN={cn}"),
            ]);
            ossl(&[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca-key.pem",
                "-CAcreateserial",
                "-days",
                "2",
                "-out",
                &format!("{name}-cert.pem"),
                "-extfile",
                &format!("{name}.ext"),
            ]);
        }
        // The Docker CLI's names for the client side.
        std::fs::copy(d.join("client-cert.pem"), d.join("cert.pem")).expect("copy");
        std::fs::copy(d.join("client-key.pem"), d.join("key.pem")).expect("copy");
        Self { dir }
    }

    /// The folder with ca.pem, cert.pem, key.pem (what DOCKER_CERT_PATH names).
    pub fn client_dir(&self) -> &Path {
        self.dir.path()
    }
}

/// A second dockerd on `tcp://127.0.0.1:<port>` with `--tlsverify`.
pub struct TlsDaemon {
    /// Its port.
    pub port: u16,
    child: Child,
    root: tempfile::TempDir,
}

impl TlsDaemon {
    /// Starts it and waits until it answers `/_ping` over TLS.
    pub fn start(certs: &Certs) -> Self {
        // Short paths: containerd's sockets live under the exec root.
        let root = tempfile::Builder::new()
            .prefix("datls")
            .tempdir_in("/tmp")
            .expect("tempdir");
        let r = root.path();
        let port = free_port();
        let c = certs.dir.path();
        std::fs::write(r.join("daemon.json"), "{}").expect("daemon.json");
        let log = std::fs::File::create(r.join("dockerd.log")).expect("log");
        let child = Command::new("dockerd")
            .args(["--host", &format!("tcp://127.0.0.1:{port}"), "--tlsverify"])
            .arg("--tlscacert")
            .arg(c.join("ca.pem"))
            .arg("--tlscert")
            .arg(c.join("server-cert.pem"))
            .arg("--tlskey")
            .arg(c.join("server-key.pem"))
            .arg("--data-root")
            .arg(r.join("d"))
            .arg("--exec-root")
            .arg(r.join("x"))
            .arg("--pidfile")
            .arg(r.join("pid"))
            .arg("--config-file")
            .arg(r.join("daemon.json"))
            .args(["--containerd-namespace", &format!("datls{port}")])
            .args(["--containerd-plugins-namespace", &format!("datlsp{port}")])
            .args(["--iptables=false", "--ip6tables=false", "--bridge", "none"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("dockerd starts");
        let daemon = Self { port, child, root };
        let deadline = Instant::now() + START_DEADLINE;
        while !daemon.answers(certs) {
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(daemon.root.path().join("dockerd.log"))
                    .unwrap_or_default();
                panic!("the TLS dockerd did not answer within {START_DEADLINE:?}:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        daemon
    }

    fn answers(&self, certs: &Certs) -> bool {
        let c = certs.dir.path();
        Command::new("curl")
            .args(["-fsS", "-m", "2", "--cacert"])
            .arg(c.join("ca.pem"))
            .arg("--cert")
            .arg(c.join("cert.pem"))
            .arg("--key")
            .arg(c.join("key.pem"))
            .arg(format!("https://127.0.0.1:{}/_ping", self.port))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// `tcp://127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    /// The docker CLI against this daemon.
    pub fn cli(&self, certs: &Certs, args: &[&str]) -> std::process::Output {
        Command::new("docker")
            .args(args)
            .env("DOCKER_HOST", self.host())
            .env("DOCKER_TLS_VERIFY", "1")
            .env("DOCKER_CERT_PATH", certs.client_dir())
            .env("DOCKER_CONFIG", self.root.path().join("cli"))
            .output()
            .expect("docker CLI")
    }
}

impl Drop for TlsDaemon {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Whatever dockerd mounted under its roots.
        if let Ok(mounts) = std::fs::read_to_string("/proc/self/mountinfo") {
            let root = self.root.path().to_string_lossy().into_owned();
            let mut points: Vec<&str> = mounts
                .lines()
                .filter_map(|l| l.split(' ').nth(4))
                .filter(|p| p.starts_with(&root))
                .collect();
            points.sort_unstable_by(|a, b| b.cmp(a));
            for p in points {
                let _ = Command::new("umount").args(["-l", p]).status();
            }
        }
    }
}

/// An sshd on loopback accepting one key for root, and an `ssh` wrapper on a PATH of its own
/// that uses that key (ssh reads the user's config from the passwd home, not from $HOME).
pub struct SshServer {
    /// Its port.
    pub port: u16,
    /// A folder to put first on PATH: its `ssh` adds `-F <config>`.
    pub bin_dir: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl SshServer {
    /// Starts it and waits until it accepts a login.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let port = free_port();
        for key in ["host_key", "user_key"] {
            run(Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(d.join(key)));
        }
        std::fs::copy(d.join("user_key.pub"), d.join("authorized_keys")).expect("copy");
        std::fs::create_dir_all("/run/sshd").expect("privilege separation dir");
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nPidFile {d}/sshd.pid\n\
             AuthorizedKeysFile {d}/authorized_keys\nPermitRootLogin prohibit-password\n\
             PasswordAuthentication no\nStrictModes no\nUsePAM no\n",
            d = d.display()
        );
        std::fs::write(d.join("sshd_config"), config).expect("sshd_config");
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sshd starts");
        let client = format!(
            "Host *\n  IdentityFile {d}/user_key\n  IdentitiesOnly yes\n  \
             StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n",
            d = d.display()
        );
        std::fs::write(d.join("ssh_config"), client).expect("ssh_config");
        let bin_dir = d.join("bin");
        std::fs::create_dir_all(&bin_dir).expect("bin");
        let wrapper = format!(
            "#!/bin/sh\nexec /usr/bin/ssh -F {}/ssh_config \"$@\"\n",
            d.display()
        );
        let ssh = bin_dir.join("ssh");
        std::fs::write(&ssh, wrapper).expect("wrapper");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&ssh, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let server = Self {
            port,
            bin_dir,
            child,
            _dir: dir,
        };
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            let ok = Command::new(server.bin_dir.join("ssh"))
                .args([
                    "-o",
                    "BatchMode=yes",
                    "-p",
                    &port.to_string(),
                    "root@127.0.0.1",
                    "true",
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "sshd did not accept a login within {START_DEADLINE:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        server
    }

    /// PATH with the wrapper first.
    pub fn path_env(&self) -> String {
        format!(
            "{}:{}",
            self.bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A unix-socket proxy in front of the daemon that replaces `from` by `to` (same length) in
/// what the daemon sends, to make it look like another version; stops when dropped.
pub struct RewritingProxy {
    /// The proxy's socket.
    pub socket: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RewritingProxy {
    /// Listens on `socket`, forwarding to `daemon`.
    pub fn start(socket: &Path, daemon: &Path, from: &[u8], to: &[u8]) -> Self {
        assert_eq!(
            from.len(),
            to.len(),
            "same length keeps Content-Length right"
        );
        let _ = std::fs::remove_file(socket);
        let listener = std::os::unix::net::UnixListener::bind(socket).expect("bind");
        listener.set_nonblocking(true).expect("non-blocking");
        let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
        let (daemon, from, to) = (daemon.to_path_buf(), from.to_vec(), to.to_vec());
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::UnixListener::from_std(listener).expect("listener");
                loop {
                    tokio::select! {
                        _ = &mut rx => break,
                        accepted = listener.accept() => {
                            let Ok((client, _)) = accepted else { continue };
                            let Ok(upstream) = tokio::net::UnixStream::connect(&daemon).await else {
                                continue;
                            };
                            let (from, to) = (from.clone(), to.clone());
                            tokio::spawn(async move {
                                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                                let (mut cr, mut cw) = client.into_split();
                                let (mut ur, mut uw) = upstream.into_split();
                                let up = async {
                                    let _ = tokio::io::copy(&mut cr, &mut uw).await;
                                    let _ = uw.shutdown().await;
                                };
                                let down = async {
                                    let mut buf = vec![0u8; 64 * 1024];
                                    loop {
                                        let n = match ur.read(&mut buf).await {
                                            Ok(0) | Err(_) => break,
                                            Ok(n) => n,
                                        };
                                        let chunk = &mut buf[..n];
                                        let mut i = 0;
                                        while i + from.len() <= chunk.len() {
                                            if chunk[i..i + from.len()] == from[..] {
                                                chunk[i..i + from.len()].copy_from_slice(&to);
                                                i += from.len();
                                            } else {
                                                i += 1;
                                            }
                                        }
                                        if cw.write_all(chunk).await.is_err() {
                                            break;
                                        }
                                    }
                                    let _ = cw.shutdown().await;
                                };
                                tokio::join!(up, down);
                            });
                        }
                    }
                }
            });
        });
        Self {
            socket: socket.to_path_buf(),
            stop: Some(tx),
            thread: Some(thread),
        }
    }
}

impl Drop for RewritingProxy {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let _ = std::fs::remove_file(&self.socket);
    }
}

/// A context named `name` for `host` (with the TLS files of `certs`, if any) in the Docker
/// config folder `config`, as `docker context create` stores it.
pub fn write_context(config: &Path, name: &str, host: &str, certs: Option<&Path>) {
    use sha2::Digest;
    let id: String = sha2::Sha256::digest(name.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let meta = config.join("contexts/meta").join(&id);
    std::fs::create_dir_all(&meta).expect("mkdir");
    let json = serde_json::json!({
        "Name": name,
        "Metadata": {},
        "Endpoints": { "docker": { "Host": host, "SkipTLSVerify": false } }
    });
    std::fs::write(meta.join("meta.json"), json.to_string()).expect("meta.json");
    let Some(certs) = certs else { return };
    let tls = config.join("contexts/tls").join(&id).join("docker");
    std::fs::create_dir_all(&tls).expect("mkdir");
    for f in ["ca.pem", "cert.pem", "key.pem"] {
        std::fs::copy(certs.join(f), tls.join(f)).expect("copy");
    }
}
