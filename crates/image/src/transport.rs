//! Byte streams to a daemon [`Endpoint`]: a unix socket, TCP, TCP with TLS (client
//! certificates, the CA of `DOCKER_CERT_PATH` or the context), or SSH running `docker system
//! dial-stdio` on the remote host as the Docker CLI does. The raw BuildKit endpoints (`/build`
//! with a session, the `/session` upgrade) go over these streams, and so do bollard's requests
//! for TLS and SSH daemons (a custom transport), so one connection code serves every command.

use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpStream, UnixStream};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use super::endpoint::{Endpoint, TlsFiles};

/// How long establishing a connection may take (TCP connect, TLS handshake, SSH login).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a connection to the daemon failed, said the way a user can act on it.
#[derive(Debug, thiserror::Error)]
pub enum DialError {
    /// Nothing answered.
    #[error("cannot connect to {endpoint}: {source}")]
    Connect {
        /// The daemon address.
        endpoint: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The TLS material could not be used.
    #[error("cannot use the TLS certificates for {endpoint}: {detail}")]
    TlsSetup {
        /// The daemon address.
        endpoint: String,
        /// What is wrong with which file.
        detail: String,
    },
    /// The TLS handshake failed (an untrusted server certificate, a refused client certificate).
    #[error(
        "TLS handshake with {endpoint} failed: {source}; check DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem) or the context's certificates"
    )]
    TlsHandshake {
        /// The daemon address.
        endpoint: String,
        /// The handshake error.
        #[source]
        source: io::Error,
    },
    /// `ssh` could not be started.
    #[error("cannot run ssh for {endpoint}: {source}; install an OpenSSH client")]
    SshSpawn {
        /// The daemon address.
        endpoint: String,
        /// The spawn error.
        #[source]
        source: io::Error,
    },
    /// The connection attempt took too long.
    #[error("connecting to {endpoint} timed out after {seconds} s")]
    Timeout {
        /// The daemon address.
        endpoint: String,
        /// The limit.
        seconds: u64,
    },
}

/// A bidirectional byte stream to the daemon.
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// A connection to the daemon, boxed so every transport has one type.
pub type DaemonStream = Box<dyn Io>;

/// Opens a new connection to `endpoint`.
pub async fn dial(endpoint: &Endpoint) -> Result<DaemonStream, DialError> {
    let name = endpoint.to_string();
    let attempt = async {
        match endpoint {
            Endpoint::Unix(path) => UnixStream::connect(path)
                .await
                .map(|s| Box::new(s) as DaemonStream)
                .map_err(|source| DialError::Connect {
                    endpoint: name.clone(),
                    source,
                }),
            Endpoint::Tcp { host, port, tls } => {
                let tcp = TcpStream::connect((host.as_str(), *port))
                    .await
                    .map_err(|source| DialError::Connect {
                        endpoint: name.clone(),
                        source,
                    })?;
                let _ = tcp.set_nodelay(true);
                match tls {
                    None => Ok(Box::new(tcp) as DaemonStream),
                    Some(files) => tls_connect(tcp, host, files, &name).await,
                }
            }
            Endpoint::Ssh {
                user,
                host,
                port,
                socket,
            } => ssh_dial(user.as_deref(), host, *port, socket.as_deref(), &name),
        }
    };
    tokio::time::timeout(CONNECT_TIMEOUT, attempt)
        .await
        .map_err(|_| DialError::Timeout {
            endpoint: name.clone(),
            seconds: CONNECT_TIMEOUT.as_secs(),
        })?
}

/// The rustls configuration for `files`: the CA to verify against (or no verification), and
/// the client certificate.
fn tls_config(files: &TlsFiles, name: &str) -> Result<ClientConfig, DialError> {
    let setup = |detail: String| DialError::TlsSetup {
        endpoint: name.to_owned(),
        detail,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| setup(e.to_string()))?;
    let builder = if files.verify {
        let mut roots = RootCertStore::empty();
        let ca = files
            .ca
            .as_deref()
            .ok_or_else(|| setup("no ca.pem to verify the daemon's certificate".to_owned()))?;
        for cert in read_certs(ca).map_err(setup)? {
            roots
                .add(cert)
                .map_err(|e| setup(format!("{}: {e}", ca.display())))?;
        }
        builder.with_root_certificates(roots)
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
    };
    match &files.client {
        Some((cert, key)) => {
            let chain = read_certs(cert).map_err(setup)?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| setup(format!("{}: {e}", key.display())))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| setup(e.to_string()))
        }
        None => Ok(builder.with_no_client_auth()),
    }
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{} holds no certificate", path.display()));
    }
    Ok(certs)
}

async fn tls_connect(
    tcp: TcpStream,
    host: &str,
    files: &TlsFiles,
    name: &str,
) -> Result<DaemonStream, DialError> {
    let config = tls_config(files, name)?;
    let server = ServerName::try_from(host.to_owned()).map_err(|e| DialError::TlsSetup {
        endpoint: name.to_owned(),
        detail: format!("`{host}` is not a valid TLS server name: {e}"),
    })?;
    let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(server, tcp)
        .await
        .map_err(|source| DialError::TlsHandshake {
            endpoint: name.to_owned(),
            source,
        })?;
    Ok(Box::new(stream))
}

/// `DOCKER_TLS` without verification, as the CLI allows: any certificate is accepted, the
/// handshake signatures are still checked.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Starts `ssh … docker system dial-stdio` (or `docker --host unix://SOCKET system
/// dial-stdio` for a socket path in the URL) and returns its stdin/stdout as the stream.
fn ssh_dial(
    user: Option<&str>,
    host: &str,
    port: Option<u16>,
    socket: Option<&str>,
    name: &str,
) -> Result<DaemonStream, DialError> {
    let mut cmd = Command::new("ssh");
    // Never wait for a password or a host-key prompt: a build has no one to answer.
    cmd.args(["-o", "BatchMode=yes", "-T"]);
    if let Some(user) = user {
        cmd.args(["-l", user]);
    }
    if let Some(port) = port {
        cmd.args(["-p", &port.to_string()]);
    }
    cmd.args(["--", host, "docker"]);
    if let Some(socket) = socket {
        cmd.args(["--host", &format!("unix://{socket}")]);
    }
    cmd.args(["system", "dial-stdio"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    let mut child = cmd.spawn().map_err(|source| DialError::SshSpawn {
        endpoint: name.to_owned(),
        source,
    })?;
    let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(DialError::SshSpawn {
            endpoint: name.to_owned(),
            source: io::Error::other("no pipes to ssh"),
        });
    };
    Ok(Box::new(ChildStream {
        _child: child,
        stdin,
        stdout,
    }))
}

/// A child's stdout and stdin as one stream; the child is killed when it is dropped.
struct ChildStream {
    _child: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
}

impl AsyncRead for ChildStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stdout).poll_read(cx, buf)
    }
}

impl AsyncWrite for ChildStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stdin).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stdin).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stdin).poll_shutdown(cx)
    }
}

/// A dialled stream as hyper's legacy client wants it.
pub struct HyperConn(TokioIo<DaemonStream>);

impl Connection for HyperConn {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl hyper::rt::Read for HyperConn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for HyperConn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// A hyper connector that dials one endpoint whatever the request's URI says.
#[derive(Clone)]
pub struct Connector(pub Arc<Endpoint>);

impl tower_service::Service<hyper::Uri> for Connector {
    type Response = HyperConn;
    type Error = DialError;
    type Future = Pin<Box<dyn Future<Output = Result<HyperConn, DialError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: hyper::Uri) -> Self::Future {
        let endpoint = Arc::clone(&self.0);
        Box::pin(async move {
            let stream = dial(&endpoint).await?;
            Ok(HyperConn(TokioIo::new(stream)))
        })
    }
}
