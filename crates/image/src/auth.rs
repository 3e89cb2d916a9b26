//! Registry credentials: given on the command line, or looked up in the Docker CLI's
//! `config.json` (`auths` entries, `credHelpers` and `credsStore` through
//! `docker-credential-<helper> get`), as `docker push` finds them.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use serde::Deserialize;

use super::error::ImageError;
use deploy_action_sys::secret::Secret;

/// The key Docker Hub's credentials are stored under.
const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// Credentials for one registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryAuth {
    /// A user name and password (or personal access token).
    Basic {
        /// The user name.
        username: String,
        /// The password or token.
        password: Secret<String>,
    },
    /// An identity token from `docker login` through a credential helper (OAuth refresh
    /// token); the daemon exchanges it itself.
    IdentityToken(Secret<String>),
}

impl RegistryAuth {
    /// The secret to mask in the job log.
    pub fn secret(&self) -> &Secret<String> {
        match self {
            Self::Basic { password, .. } => password,
            Self::IdentityToken(token) => token,
        }
    }
}

/// The Docker CLI's `config.json`, reduced to what credentials need.
#[derive(Debug, Clone, Default)]
pub struct DockerConfig {
    path: PathBuf,
    auths: HashMap<String, String>,
    cred_helpers: HashMap<String, String>,
    creds_store: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawConfig {
    #[serde(default)]
    auths: HashMap<String, RawAuth>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: HashMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawAuth {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

impl DockerConfig {
    /// Reads `<dir>/config.json`; a missing file is an empty configuration.
    pub fn load(dir: &Path) -> Result<Self, ImageError> {
        let path = dir.join("config.json");
        let bad = |detail: String| ImageError::DockerConfig {
            path: path.display().to_string(),
            detail,
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self {
                    path,
                    ..Self::default()
                });
            }
            Err(err) => return Err(bad(err.to_string())),
        };
        let raw: RawConfig = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let mut auths = HashMap::new();
        for (key, entry) in raw.auths {
            // An identity token is stored with the user name in `auth`; keep the token form.
            let value = match (entry.identitytoken, entry.auth) {
                (Some(token), _) if !token.is_empty() => format!("token:{token}"),
                (_, Some(auth)) if !auth.is_empty() => format!("basic:{auth}"),
                _ => continue,
            };
            auths.insert(registry_host(&key), value);
        }
        Ok(Self {
            path,
            auths,
            cred_helpers: raw
                .cred_helpers
                .into_iter()
                .map(|(k, v)| (registry_host(&k), v))
                .collect(),
            creds_store: raw.creds_store.filter(|s| !s.is_empty()),
        })
    }

    /// The credentials stored for `registry` (a host with port, `docker.io` for Docker Hub):
    /// its `credHelpers` entry, else `credsStore`, else its `auths` entry. `None` when there
    /// are none.
    pub fn credentials(&self, registry: &str) -> Result<Option<RegistryAuth>, ImageError> {
        let host = registry_host(registry);
        if let Some(helper) = self.cred_helpers.get(&host) {
            return run_helper(helper, registry);
        }
        if let Some(helper) = &self.creds_store
            && let found @ Some(_) = run_helper(helper, registry)?
        {
            return Ok(found);
        }
        let Some(value) = self.auths.get(&host) else {
            return Ok(None);
        };
        if let Some(token) = value.strip_prefix("token:") {
            return Ok(Some(RegistryAuth::IdentityToken(Secret::new(
                token.to_owned(),
            ))));
        }
        let encoded = value.strip_prefix("basic:").unwrap_or(value);
        let bad = |detail: &str| ImageError::DockerConfig {
            path: self.path.display().to_string(),
            detail: format!("the `auth` entry for {host} {detail}"),
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| bad("is not base64"))?;
        let text = String::from_utf8(decoded).map_err(|_| bad("is not UTF-8"))?;
        let (username, password) = text
            .split_once(':')
            .ok_or_else(|| bad("is not `user:password`"))?;
        Ok(Some(RegistryAuth::Basic {
            username: username.to_owned(),
            password: Secret::new(password.to_owned()),
        }))
    }
}

/// The host (with port) a config key or image registry names: `https://index.docker.io/v1/`,
/// `index.docker.io` and `registry-1.docker.io` all become `docker.io`.
pub fn registry_host(key: &str) -> String {
    let key = key.trim().to_ascii_lowercase();
    let rest = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(&key);
    let host = rest.split('/').next().unwrap_or(rest).to_owned();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "docker.io".to_owned()
        }
        _ => host,
    }
}

/// The server address Docker uses for `registry` in credential stores and `X-Registry-Auth`.
pub fn server_address(registry: &str) -> String {
    if registry_host(registry) == "docker.io" {
        DOCKER_HUB_KEY.to_owned()
    } else {
        registry.to_owned()
    }
}

/// Runs `docker-credential-<helper> get` with the server address on standard input.
fn run_helper(helper: &str, registry: &str) -> Result<Option<RegistryAuth>, ImageError> {
    let program = format!("docker-credential-{helper}");
    let failed = |detail: String| ImageError::CredentialHelper {
        helper: helper.to_owned(),
        registry: registry.to_owned(),
        detail,
    };
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("cannot run {program}: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(server_address(registry).as_bytes())
            .map_err(|e| failed(format!("cannot write to {program}: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| failed(format!("{program} did not finish: {e}")))?;
    if !out.status.success() {
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        // Every helper says "credentials not found" when it has nothing for the server.
        if text.to_ascii_lowercase().contains("not found") {
            return Ok(None);
        }
        return Err(failed(format!("{program} exited with {}", out.status)));
    }
    let answer: HelperAnswer = serde_json::from_slice(&out.stdout)
        .map_err(|_| failed(format!("{program} printed something that is not its JSON")))?;
    if answer.secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(if answer.username == "<token>" {
        RegistryAuth::IdentityToken(Secret::new(answer.secret))
    } else {
        RegistryAuth::Basic {
            username: answer.username,
            password: Secret::new(answer.secret),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> (tempfile::TempDir, DockerConfig) {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("config.json"), json).expect("write");
        let config = DockerConfig::load(dir.path()).expect("load");
        (dir, config)
    }

    #[test]
    fn auths_entries_are_decoded_per_host() {
        // "user:pa:ss" in base64; the password may hold `:`.
        let (_dir, c) = config(
            r#"{"auths":{"https://index.docker.io/v1/":{"auth":"dXNlcjpwYTpzcw=="},
                "http://127.0.0.1:5000/v2/":{"auth":"YTpi"},
                "ghcr.io":{"identitytoken":"tok"}}}"#,
        );
        let hub = c.credentials("docker.io").expect("ok").expect("some");
        assert_eq!(
            hub,
            RegistryAuth::Basic {
                username: "user".into(),
                password: Secret::new("pa:ss".into())
            }
        );
        assert!(matches!(
            c.credentials("127.0.0.1:5000").expect("ok"),
            Some(RegistryAuth::Basic { username, .. }) if username == "a"
        ));
        assert!(matches!(
            c.credentials("ghcr.io").expect("ok"),
            Some(RegistryAuth::IdentityToken(_))
        ));
        assert_eq!(c.credentials("quay.io").expect("ok"), None);
    }

    #[test]
    fn missing_file_is_empty_and_bad_json_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let c = DockerConfig::load(dir.path()).expect("missing is fine");
        assert_eq!(c.credentials("docker.io").expect("ok"), None);
        std::fs::write(dir.path().join("config.json"), "{").expect("write");
        let err = DockerConfig::load(dir.path()).expect_err("bad json");
        assert!(err.to_string().contains("DOCKER_CONFIG"), "{err}");
    }

    #[test]
    fn a_missing_helper_names_itself_and_the_fix() {
        let (_dir, c) = config(r#"{"credHelpers":{"example.com":"nonexistent-xyz"}}"#);
        let err = c.credentials("example.com").expect_err("no helper");
        let text = err.to_string();
        assert!(text.contains("docker-credential-nonexistent-xyz"), "{text}");
        assert!(text.contains("--registry-password-stdin"), "{text}");
    }

    #[test]
    fn hosts_are_normalised() {
        assert_eq!(registry_host("https://index.docker.io/v1/"), "docker.io");
        assert_eq!(
            registry_host("HTTP://Reg.example:5000/x"),
            "reg.example:5000"
        );
        assert_eq!(server_address("docker.io"), DOCKER_HUB_KEY);
        assert_eq!(server_address("ghcr.io"), "ghcr.io");
    }
}
