//! A private registry with htpasswd authentication, for the tests of registry credentials.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A registry with htpasswd authentication on a free port, stopped on drop.
pub struct AuthRegistry {
    child: Child,
    /// `host:port` of the registry.
    pub addr: String,
    _dir: tempfile::TempDir,
}

impl AuthRegistry {
    /// Starts `docker-registry` accepting only `user` with `password`.
    pub fn start(user: &str, password: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let addr = format!("127.0.0.1:{port}");
        let hash = bcrypt::hash(password, 4).expect("bcrypt");
        std::fs::write(dir.path().join("htpasswd"), format!("{user}:{hash}\n")).expect("htpasswd");
        let config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {root}\n\
             http:\n  addr: {addr}\nauth:\n  htpasswd:\n    realm: deploy-action-test\n    path: {htpasswd}\n",
            root = dir.path().join("data").display(),
            htpasswd = dir.path().join("htpasswd").display(),
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).expect("config");
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry starts (apt-get install docker-registry)");
        let started = Instant::now();
        loop {
            if let Ok(r) = super::docker::http("GET", &format!("http://{addr}/v2/"), &[])
                && r.status == 401
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the auth registry did not answer"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Self {
            child,
            addr,
            _dir: dir,
        }
    }
}

impl Drop for AuthRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
