//! SSH agent forwarding for `RUN --mount=type=ssh` (`--ssh default`, `--ssh ID=PATH[,PATH]`, as
//! `docker build` takes it). A socket is forwarded as it is; key files are loaded into an
//! `ssh-agent` started for the build (OpenSSH's, as the keys may need its formats). As the Docker
//! CLI does, the build may use the keys but not change the agent: requests that add, remove or
//! lock keys are answered with a failure and never reach the agent.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use bollard_buildkit_proto::moby::sshforward::v1::ssh_server;
use bollard_buildkit_proto::moby::sshforward::v1::{
    BytesMessage, CheckAgentRequest, CheckAgentResponse,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use crate::ImageError;

/// The id BuildKit uses when a mount names none.
pub const DEFAULT_ID: &str = "default";

/// The gRPC metadata key that carries the agent id of a forward.
const ID_KEY: &str = "buildkit.ssh.id";

/// Agent messages a build may send (OpenSSH PROTOCOL.agent): list identities, sign, and
/// extensions; everything else (add, remove, lock, smartcard) is refused.
const ALLOWED: [u8; 3] = [11, 13, 27];

/// The agent's answer to a refused request.
const FAILURE: [u8; 5] = [0, 0, 0, 1, 5];

/// One `--ssh` flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshSpec {
    /// The id `RUN --mount=type=ssh,id=…` names.
    pub id: String,
    /// A socket, or private key files; empty for `SSH_AUTH_SOCK`.
    pub paths: Vec<PathBuf>,
}

/// Parses `default`, `ID`, `ID=PATH[,PATH…]`.
pub fn parse_spec(text: &str) -> Result<SshSpec, ImageError> {
    let text = text.trim();
    let (id, paths) = match text.split_once('=') {
        Some((id, paths)) => (id.trim(), paths),
        None => (text, ""),
    };
    if id.is_empty() || id.contains(',') {
        return Err(ImageError::Usage(format!(
            "--ssh `{text}`: write `default`, `ID` or `ID=PATH` (an agent socket or key files)"
        )));
    }
    Ok(SshSpec {
        id: id.to_owned(),
        paths: paths
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .collect(),
    })
}

/// The agents of one build by id; agents started for key files stop when this is dropped.
#[derive(Clone, Default)]
pub struct SshAgents {
    sockets: Arc<HashMap<String, PathBuf>>,
    _started: Arc<Vec<StartedAgent>>,
}

impl SshAgents {
    /// Resolves every spec now: `SSH_AUTH_SOCK` for ids without paths, the socket given, or
    /// an `ssh-agent` holding the key files given.
    pub fn load(
        specs: &[SshSpec],
        env: &dyn Fn(&str) -> Option<String>,
        scratch: &Path,
    ) -> Result<Self, ImageError> {
        let mut sockets = HashMap::new();
        let mut started = Vec::new();
        for spec in specs {
            let socket = match spec.paths.as_slice() {
                [] => PathBuf::from(env("SSH_AUTH_SOCK").filter(|s| !s.is_empty()).ok_or_else(
                    || {
                        ImageError::Usage(format!(
                            "--ssh {}: SSH_AUTH_SOCK is not set; start an agent (`eval \
                             \"$(ssh-agent)\"` and `ssh-add KEY`) or pass --ssh {}=/path/to/key",
                            spec.id, spec.id
                        ))
                    },
                )?),
                [one] if is_socket(one) => one.clone(),
                keys => {
                    let agent = StartedAgent::with_keys(&spec.id, keys, scratch)?;
                    let socket = agent.socket.clone();
                    started.push(agent);
                    socket
                }
            };
            sockets.insert(spec.id.clone(), socket);
        }
        Ok(Self {
            sockets: Arc::new(sockets),
            _started: Arc::new(started),
        })
    }

    /// No agent to forward.
    pub fn is_empty(&self) -> bool {
        self.sockets.is_empty()
    }
}

fn is_socket(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

/// An `ssh-agent -D` holding key files, killed on drop.
struct StartedAgent {
    child: std::process::Child,
    socket: PathBuf,
}

impl StartedAgent {
    fn with_keys(id: &str, keys: &[PathBuf], scratch: &Path) -> Result<Self, ImageError> {
        let failed = |why: String| {
            ImageError::Usage(format!(
                "--ssh {id}: {why}; key files need OpenSSH's ssh-agent and ssh-add on PATH, or \
                 pass a running agent's socket"
            ))
        };
        for key in keys {
            if !key.is_file() {
                return Err(failed(format!(
                    "{} is neither an agent socket nor a key file",
                    key.display()
                )));
            }
        }
        let socket = scratch.join(format!("agent-{}.sock", super::session::random_id()));
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| failed(format!("cannot start ssh-agent ({e})")))?;
        let agent = Self { child, socket };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !is_socket(&agent.socket) {
            if std::time::Instant::now() > deadline {
                return Err(failed("ssh-agent did not create its socket".to_owned()));
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let status = Command::new("ssh-add")
            .args(keys)
            .env("SSH_AUTH_SOCK", &agent.socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| failed(format!("cannot run ssh-add ({e})")))?;
        if !status.status.success() {
            let stderr = String::from_utf8_lossy(&status.stderr);
            return Err(failed(format!(
                "ssh-add refused the key: {}",
                stderr.lines().next().unwrap_or("no message")
            )));
        }
        Ok(agent)
    }
}

impl Drop for StartedAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.socket);
    }
}

#[tonic::async_trait]
impl ssh_server::Ssh for SshAgents {
    async fn check_agent(
        &self,
        request: Request<CheckAgentRequest>,
    ) -> Result<Response<CheckAgentResponse>, Status> {
        let id = Some(request.into_inner().id)
            .filter(|i| !i.is_empty())
            .unwrap_or_else(|| DEFAULT_ID.to_owned());
        if self.sockets.contains_key(&id) {
            Ok(Response::new(CheckAgentResponse {}))
        } else {
            Err(Status::not_found(format!("unset ssh forward key {id}")))
        }
    }

    type ForwardAgentStream = ReceiverStream<Result<BytesMessage, Status>>;

    async fn forward_agent(
        &self,
        request: Request<Streaming<BytesMessage>>,
    ) -> Result<Response<Self::ForwardAgentStream>, Status> {
        let id = request
            .metadata()
            .get(ID_KEY)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .unwrap_or(DEFAULT_ID)
            .to_owned();
        let socket = self
            .sockets
            .get(&id)
            .ok_or_else(|| Status::not_found(format!("unset ssh forward key {id}")))?;
        let agent = UnixStream::connect(socket).await.map_err(|e| {
            Status::unavailable(format!("cannot connect to {}: {e}", socket.display()))
        })?;
        let (tx, rx) = mpsc::channel(16);
        tokio::spawn(relay(request.into_inner(), agent, tx));
        Ok(Response::new(ReceiverStream::new(rx)))
    }
}

/// Carries whole agent messages from the build to the agent (refusing the ones that would
/// change it) and the agent's bytes back, until either side ends.
async fn relay(
    mut inbound: Streaming<BytesMessage>,
    agent: UnixStream,
    tx: mpsc::Sender<Result<BytesMessage, Status>>,
) {
    let (mut from_agent, mut to_agent) = agent.into_split();
    let back = tx.clone();
    let upstream = tokio::spawn(async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match from_agent.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let msg = BytesMessage {
                        data: buf[..n].to_vec(),
                    };
                    if back.send(Ok(msg)).await.is_err() {
                        break;
                    }
                }
            }
        }
    });
    let mut pending: Vec<u8> = Vec::new();
    while let Ok(Some(message)) = inbound.message().await {
        pending.extend_from_slice(&message.data);
        while let Some(frame) = take_frame(&mut pending) {
            if frame.get(4).is_some_and(|kind| ALLOWED.contains(kind)) {
                if to_agent.write_all(&frame).await.is_err() {
                    break;
                }
            } else {
                let refusal = BytesMessage {
                    data: FAILURE.to_vec(),
                };
                if tx.send(Ok(refusal)).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = to_agent.shutdown().await;
    upstream.abort();
}

/// Removes and returns the first complete length-prefixed message of `buf`, if there is one.
fn take_frame(buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    let len = u32::from_be_bytes(buf.get(..4)?.try_into().ok()?) as usize;
    if buf.len() < 4 + len {
        return None;
    }
    Some(buf.drain(..4 + len).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_as_docker_build_takes_them() {
        let ok = |t: &str| parse_spec(t).expect(t);
        assert_eq!(
            ok("default"),
            SshSpec {
                id: "default".into(),
                paths: vec![]
            }
        );
        assert_eq!(
            ok("github=/k/a,/k/b").paths,
            vec![PathBuf::from("/k/a"), PathBuf::from("/k/b")]
        );
        assert!(parse_spec("").is_err());
        assert!(parse_spec("=x").is_err());
    }

    #[test]
    fn frames_are_split_whole() {
        let mut buf = vec![0, 0, 0, 1, 11, 0, 0, 0, 2, 13];
        assert_eq!(take_frame(&mut buf), Some(vec![0, 0, 0, 1, 11]));
        assert_eq!(take_frame(&mut buf), None, "second frame incomplete");
        buf.push(7);
        assert_eq!(take_frame(&mut buf), Some(vec![0, 0, 0, 2, 13, 7]));
        assert!(buf.is_empty());
    }

    #[test]
    fn default_without_an_agent_says_how_to_start_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let specs = [parse_spec("default").expect("spec")];
        let err = SshAgents::load(&specs, &|_| None, dir.path())
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("SSH_AUTH_SOCK is not set")));
    }
}
