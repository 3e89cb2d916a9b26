//! Which Docker daemon to talk to, decided as the Docker CLI decides it: a Docker context named
//! on the command line, else `DOCKER_HOST` (with `DOCKER_TLS_VERIFY`, `DOCKER_TLS` and
//! `DOCKER_CERT_PATH`), else `DOCKER_CONTEXT`, else the `currentContext` of the CLI's
//! `config.json`, else the local socket. A context is read from the CLI's context store
//! (`$DOCKER_CONFIG/contexts/meta/<sha256 of the name>/meta.json`, TLS material beside it under
//! `contexts/tls/`).

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The daemon address used when nothing names another.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// Why the daemon's address could not be worked out.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// `DOCKER_HOST` or a context's host is not an address the CLI accepts.
    #[error(
        "{origin} is `{host}`, which is not a daemon address; use unix:///path/to/docker.sock, \
         tcp://HOST:PORT or ssh://[USER@]HOST[:PORT]"
    )]
    BadHost {
        /// Where the value came from (`DOCKER_HOST`, `context "x"`).
        origin: String,
        /// The value.
        host: String,
    },
    /// A context name that the store does not hold.
    #[error(
        "Docker context \"{name}\" ({origin}) does not exist in {store}; create it with \
         `docker context create {name} --docker host=...` or name another"
    )]
    UnknownContext {
        /// The context name.
        name: String,
        /// Where the name came from.
        origin: String,
        /// The context store searched.
        store: String,
    },
    /// A context's metadata could not be read or parsed.
    #[error("cannot read Docker context \"{name}\" from {}: {detail}", path.display())]
    BadContext {
        /// The context name.
        name: String,
        /// Its `meta.json`.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// TLS was asked for but a certificate file is missing.
    #[error(
        "{origin} asks for TLS but {} is missing; put ca.pem, cert.pem and key.pem there \
         (or set DOCKER_CERT_PATH to the folder that holds them)",
        path.display()
    )]
    MissingCert {
        /// What asked for TLS.
        origin: String,
        /// The missing file.
        path: PathBuf,
    },
}

/// How to reach a daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A local socket.
    Unix(PathBuf),
    /// TCP, plain or TLS.
    Tcp {
        /// Host name or IP address.
        host: String,
        /// Port.
        port: u16,
        /// TLS settings; `None` is plain HTTP.
        tls: Option<TlsFiles>,
    },
    /// `ssh [-l USER] [-p PORT] HOST docker system dial-stdio`, as the Docker CLI does.
    Ssh {
        /// The login user, if given.
        user: Option<String>,
        /// The host.
        host: String,
        /// The port, if given.
        port: Option<u16>,
        /// The daemon socket on the remote host (the URL's path), if given.
        socket: Option<String>,
    },
}

/// TLS material for a TCP daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// CA certificate(s) the server's certificate must chain to; `None` with `verify` false.
    pub ca: Option<PathBuf>,
    /// Client certificate and key, sent when the server asks.
    pub client: Option<(PathBuf, PathBuf)>,
    /// Verify the server's certificate and name (DOCKER_TLS_VERIFY, a context without
    /// `SkipTLSVerify`).
    pub verify: bool,
}

/// The chosen daemon and how it was chosen, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The address.
    pub endpoint: Endpoint,
    /// `unix:///var/run/docker.sock`, `tcp://host:2376 (TLS)`, `ssh://user@host`; with the
    /// context's name when one was used.
    pub display: String,
}

impl Endpoint {
    /// Whether the daemon is on another machine (the context is then worth compressing).
    pub fn is_remote(&self) -> bool {
        !matches!(self, Self::Unix(_))
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unix(path) => write!(f, "unix://{}", path.display()),
            Self::Tcp { host, port, tls } => {
                let host = if host.contains(':') {
                    format!("[{host}]")
                } else {
                    host.clone()
                };
                write!(f, "tcp://{host}:{port}")?;
                match tls {
                    Some(t) if t.verify => f.write_str(" (TLS)"),
                    Some(_) => f.write_str(" (TLS, not verified)"),
                    None => Ok(()),
                }
            }
            Self::Ssh {
                user, host, port, ..
            } => {
                f.write_str("ssh://")?;
                if let Some(user) = user {
                    write!(f, "{user}@")?;
                }
                f.write_str(host)?;
                if let Some(port) = port {
                    write!(f, ":{port}")?;
                }
                Ok(())
            }
        }
    }
}

/// Decides the daemon from `--docker-context` (`flag`), the environment (`env`) and the CLI's
/// configuration folder (`config_dir`: `DOCKER_CONFIG` or `~/.docker`).
pub fn resolve(
    flag: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    config_dir: Option<&Path>,
) -> Result<Resolved, EndpointError> {
    let set = |key: &str| env(key).filter(|v| !v.trim().is_empty());
    let (name, origin) = match (flag, set("DOCKER_HOST")) {
        (Some(name), _) => (Some(name.to_owned()), "--docker-context".to_owned()),
        (None, Some(_)) => (None, String::new()),
        (None, None) => match set("DOCKER_CONTEXT") {
            Some(name) => (Some(name), "DOCKER_CONTEXT".to_owned()),
            None => match config_dir.and_then(current_context) {
                Some(name) => (Some(name), "currentContext in config.json".to_owned()),
                None => (None, String::new()),
            },
        },
    };
    match name {
        Some(name) if name != "default" => from_context(&name, &origin, config_dir),
        _ => from_env(&set, config_dir),
    }
}

/// The daemon of `DOCKER_HOST` and the TLS variables, or the local socket.
fn from_env(
    set: &dyn Fn(&str) -> Option<String>,
    config_dir: Option<&Path>,
) -> Result<Resolved, EndpointError> {
    let Some(host) = set("DOCKER_HOST") else {
        let endpoint = Endpoint::Unix(PathBuf::from(DEFAULT_SOCKET));
        return Ok(Resolved {
            display: endpoint.to_string(),
            endpoint,
        });
    };
    let verify = set("DOCKER_TLS_VERIFY").is_some();
    let tls = verify || set("DOCKER_TLS").is_some();
    let cert_dir = set("DOCKER_CERT_PATH")
        .map(PathBuf::from)
        .or_else(|| config_dir.map(Path::to_path_buf));
    let origin = if verify {
        "DOCKER_TLS_VERIFY"
    } else {
        "DOCKER_TLS"
    };
    let tls_files = match (tls, cert_dir) {
        (false, _) => None,
        (true, Some(dir)) => Some(tls_files(&dir, verify, origin, true)?),
        (true, None) => Some(TlsFiles {
            ca: None,
            client: None,
            verify,
        }),
    };
    let endpoint = parse_host(&host, "DOCKER_HOST", tls_files)?;
    Ok(Resolved {
        display: endpoint.to_string(),
        endpoint,
    })
}

/// The daemon of context `name`.
fn from_context(
    name: &str,
    origin: &str,
    config_dir: Option<&Path>,
) -> Result<Resolved, EndpointError> {
    let store = config_dir
        .map(|d| d.join("contexts"))
        .unwrap_or_else(|| PathBuf::from("~/.docker/contexts"));
    let id = hex(&Sha256::digest(name.as_bytes()));
    let meta_path = store.join("meta").join(&id).join("meta.json");
    let text = match fs::read_to_string(&meta_path) {
        Ok(text) => text,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Err(EndpointError::UnknownContext {
                name: name.to_owned(),
                origin: origin.to_owned(),
                store: store.display().to_string(),
            });
        }
        Err(err) => {
            return Err(EndpointError::BadContext {
                name: name.to_owned(),
                path: meta_path,
                detail: err.to_string(),
            });
        }
    };
    let bad = |detail: String| EndpointError::BadContext {
        name: name.to_owned(),
        path: meta_path.clone(),
        detail,
    };
    let meta: ContextMeta = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let docker = meta
        .endpoints
        .docker
        .ok_or_else(|| bad("it has no docker endpoint".to_owned()))?;
    let tls_dir = store.join("tls").join(&id).join("docker");
    let context_origin = format!("Docker context \"{name}\"");
    let tls = if tls_dir.is_dir() {
        Some(tls_files(
            &tls_dir,
            !docker.skip_tls_verify,
            &context_origin,
            false,
        )?)
    } else {
        None
    };
    let endpoint = parse_host(&docker.host, &context_origin, tls)?;
    Ok(Resolved {
        display: format!("{endpoint} (Docker context \"{name}\")"),
        endpoint,
    })
}

/// `ca.pem`, `cert.pem` and `key.pem` in `dir`. From the environment (`required`) the CA is
/// needed to verify and the client pair is taken when present; a context has what it has.
fn tls_files(
    dir: &Path,
    verify: bool,
    origin: &str,
    required: bool,
) -> Result<TlsFiles, EndpointError> {
    let file = |name: &str| {
        let path = dir.join(name);
        path.is_file().then_some(path)
    };
    let ca = file("ca.pem");
    if verify && required && ca.is_none() {
        return Err(EndpointError::MissingCert {
            origin: origin.to_owned(),
            path: dir.join("ca.pem"),
        });
    }
    let client = match (file("cert.pem"), file("key.pem")) {
        (Some(cert), Some(key)) => Some((cert, key)),
        (Some(_), None) => {
            return Err(EndpointError::MissingCert {
                origin: origin.to_owned(),
                path: dir.join("key.pem"),
            });
        }
        _ => None,
    };
    Ok(TlsFiles { ca, client, verify })
}

/// Parses a daemon address as the Docker CLI takes it.
pub fn parse_host(
    host: &str,
    origin: &str,
    tls: Option<TlsFiles>,
) -> Result<Endpoint, EndpointError> {
    let bad = || EndpointError::BadHost {
        origin: origin.to_owned(),
        host: host.to_owned(),
    };
    let host = host.trim();
    let (scheme, rest) = host.split_once("://").ok_or_else(bad)?;
    match scheme.to_ascii_lowercase().as_str() {
        "unix" => {
            if rest.is_empty() {
                return Err(bad());
            }
            Ok(Endpoint::Unix(PathBuf::from(rest)))
        }
        "tcp" | "http" | "https" => {
            let authority = rest.split('/').next().unwrap_or_default();
            let default_port = if tls.is_some() || scheme == "https" {
                2376
            } else {
                2375
            };
            let (name, port) = split_host_port(authority, default_port).ok_or_else(bad)?;
            let tls = match (scheme, tls) {
                ("https", None) => Some(TlsFiles {
                    ca: None,
                    client: None,
                    verify: true,
                }),
                (_, tls) => tls,
            };
            Ok(Endpoint::Tcp {
                host: name,
                port,
                tls,
            })
        }
        "ssh" => {
            let (authority, path) = match rest.split_once('/') {
                Some((a, p)) => (a, Some(format!("/{p}"))),
                None => (rest, None),
            };
            let (user, hostport) = match authority.rsplit_once('@') {
                Some((user, hp)) if !user.is_empty() => (Some(user.to_owned()), hp),
                Some(_) => return Err(bad()),
                None => (None, authority),
            };
            let (name, port) = match split_host_port(hostport, 0) {
                Some((name, 0)) => (name, None),
                Some((name, port)) => (name, Some(port)),
                None => return Err(bad()),
            };
            Ok(Endpoint::Ssh {
                user,
                host: name,
                port,
                socket: path.filter(|p| p != "/"),
            })
        }
        _ => Err(bad()),
    }
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`; `default` when no port is given.
fn split_host_port(text: &str, default: u16) -> Option<(String, u16)> {
    if text.is_empty() {
        return None;
    }
    let (name, port) = if let Some(rest) = text.strip_prefix('[') {
        let (name, after) = rest.split_once(']')?;
        match after.strip_prefix(':') {
            Some(port) => (name, Some(port)),
            None if after.is_empty() => (name, None),
            None => return None,
        }
    } else {
        match text.rsplit_once(':') {
            Some((name, port)) if !name.contains(':') => (name, Some(port)),
            Some(_) => return None,
            None => (text, None),
        }
    };
    if name.is_empty() {
        return None;
    }
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => default,
    };
    Some((name.to_owned(), port))
}

/// `currentContext` of `<dir>/config.json`, if set and not `default`.
fn current_context(dir: &Path) -> Option<String> {
    #[derive(Deserialize)]
    struct Config {
        #[serde(rename = "currentContext", default)]
        current_context: String,
    }
    let text = fs::read_to_string(dir.join("config.json")).ok()?;
    let config: Config = serde_json::from_str(&text).ok()?;
    Some(config.current_context).filter(|c| !c.is_empty())
}

#[derive(Deserialize)]
struct ContextMeta {
    #[serde(rename = "Endpoints", default)]
    endpoints: ContextEndpoints,
}

#[derive(Deserialize, Default)]
struct ContextEndpoints {
    docker: Option<DockerEndpoint>,
}

#[derive(Deserialize)]
struct DockerEndpoint {
    #[serde(rename = "Host")]
    host: String,
    #[serde(rename = "SkipTLSVerify", default)]
    skip_tls_verify: bool,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    #[test]
    fn hosts_parse_as_the_cli_takes_them() {
        let ep = |h: &str| parse_host(h, "DOCKER_HOST", None);
        assert_eq!(
            ep("unix:///run/d.sock").ok(),
            Some(Endpoint::Unix("/run/d.sock".into()))
        );
        assert_eq!(
            ep("tcp://10.0.0.1").ok(),
            Some(Endpoint::Tcp {
                host: "10.0.0.1".into(),
                port: 2375,
                tls: None
            })
        );
        assert_eq!(
            ep("tcp://[::1]:2380").ok(),
            Some(Endpoint::Tcp {
                host: "::1".into(),
                port: 2380,
                tls: None
            })
        );
        assert_eq!(
            ep("ssh://deploy@build-1:2222").ok(),
            Some(Endpoint::Ssh {
                user: Some("deploy".into()),
                host: "build-1".into(),
                port: Some(2222),
                socket: None
            })
        );
        assert_eq!(
            ep("ssh://build-1/run/user/1000/docker.sock").ok(),
            Some(Endpoint::Ssh {
                user: None,
                host: "build-1".into(),
                port: None,
                socket: Some("/run/user/1000/docker.sock".into())
            })
        );
        for bad in [
            "",
            "localhost:2375",
            "tcp://",
            "tcp://h:x",
            "ftp://h",
            "ssh://@h",
        ] {
            assert!(ep(bad).is_err(), "{bad} should be refused");
        }
        let msg = ep("localhost:2375").err().map(|e| e.to_string());
        assert!(
            msg.is_some_and(|m| m.contains("DOCKER_HOST is `localhost:2375`")),
            "names the variable"
        );
    }

    #[test]
    fn precedence_follows_the_docker_cli() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = dir.path();
        write_context(cfg, "remote", "tcp://192.0.2.7:2376", None);
        fs::write(cfg.join("config.json"), r#"{"currentContext":"remote"}"#).expect("write");

        // Nothing set: the config's current context.
        let r = resolve(None, &env_of(&[]), Some(cfg)).expect("resolves");
        assert_eq!(
            r.display,
            "tcp://192.0.2.7:2376 (Docker context \"remote\")"
        );
        // DOCKER_HOST wins over DOCKER_CONTEXT and the config.
        let env = env_of(&[
            ("DOCKER_HOST", "unix:///tmp/x.sock"),
            ("DOCKER_CONTEXT", "remote"),
        ]);
        let r = resolve(None, &env, Some(cfg)).expect("resolves");
        assert_eq!(r.endpoint, Endpoint::Unix("/tmp/x.sock".into()));
        // The flag wins over DOCKER_HOST.
        let r = resolve(Some("remote"), &env, Some(cfg)).expect("resolves");
        assert!(r.display.contains("remote"));
        // `default` is DOCKER_HOST or the socket.
        let r = resolve(Some("default"), &env_of(&[]), Some(cfg)).expect("resolves");
        assert_eq!(r.endpoint, Endpoint::Unix(DEFAULT_SOCKET.into()));
        // An unknown name is an error that says how to make one.
        let err = resolve(Some("nope"), &env_of(&[]), Some(cfg)).expect_err("unknown");
        assert!(err.to_string().contains("docker context create nope"));
    }

    #[test]
    fn tls_comes_from_the_environment_or_the_context_store() {
        let dir = tempfile::tempdir().expect("tempdir");
        let certs = dir.path().join("certs");
        fs::create_dir_all(&certs).expect("mkdir");
        let env = env_of(&[
            ("DOCKER_HOST", "tcp://127.0.0.1:2376"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", certs.to_str().unwrap_or_default()),
        ]);
        let err = resolve(None, &env, None).expect_err("no ca.pem");
        assert!(err.to_string().contains("ca.pem"));
        for f in ["ca.pem", "cert.pem", "key.pem"] {
            fs::write(certs.join(f), "x").expect("write");
        }
        let r = resolve(None, &env, None).expect("resolves");
        let Endpoint::Tcp { tls: Some(tls), .. } = r.endpoint else {
            panic!("expected TLS, got {:?}", r.endpoint);
        };
        assert!(tls.verify && tls.ca.is_some() && tls.client.is_some());

        write_context(dir.path(), "secure", "tcp://127.0.0.1:2376", Some(&certs));
        let r = resolve(Some("secure"), &env_of(&[]), Some(dir.path())).expect("resolves");
        assert!(matches!(r.endpoint, Endpoint::Tcp { tls: Some(_), .. }));
    }

    fn write_context(cfg: &Path, name: &str, host: &str, tls_from: Option<&Path>) {
        let id = hex(&Sha256::digest(name.as_bytes()));
        let meta = cfg.join("contexts/meta").join(&id);
        fs::create_dir_all(&meta).expect("mkdir");
        let json = format!(
            r#"{{"Name":"{name}","Metadata":{{}},"Endpoints":{{"docker":{{"Host":"{host}","SkipTLSVerify":false}}}}}}"#
        );
        fs::write(meta.join("meta.json"), json).expect("write");
        if let Some(src) = tls_from {
            let tls = cfg.join("contexts/tls").join(&id).join("docker");
            fs::create_dir_all(&tls).expect("mkdir");
            for f in ["ca.pem", "cert.pem", "key.pem"] {
                fs::copy(src.join(f), tls.join(f)).expect("copy");
            }
        }
    }
}
