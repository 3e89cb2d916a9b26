//! Fault injection in front of the real test daemon and registry, for `tests/it/build/faults.rs`:
//!
//! - [`RegistryProxy`]: an HTTP proxy on a free 127.0.0.1 port in front of the registry that
//!   answers chosen requests (e.g. manifest `PUT`s) with scripted statuses, then forwards;
//! - [`DaemonCutter`]: a unix-socket proxy in front of the Docker socket that cuts every
//!   connection once the daemon's output contains a marker, and refuses new ones: to the client
//!   the daemon is gone, while the shared daemon itself keeps running.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

/// What the registry proxy does with the requests its rule matches.
#[derive(Debug, Clone)]
pub struct Fault {
    /// The HTTP method matched (`PUT`).
    pub method: &'static str,
    /// A fragment the path must contain (`/manifests/`).
    pub path_contains: &'static str,
    /// Statuses answered to the first matching requests, in order.
    pub answers: Vec<u16>,
    /// Once `answers` are used up: `Some(status)` answers it forever, `None` forwards.
    pub then: Option<u16>,
}

/// What the proxy saw of the matching requests.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// Matching requests answered with a fault.
    pub faulted: u32,
    /// Matching requests forwarded to the registry.
    pub forwarded: u32,
}

struct State {
    fault: Fault,
    queue: VecDeque<u16>,
    seen: Seen,
}

/// A fault-injecting proxy in front of a registry; stops when dropped.
pub struct RegistryProxy {
    /// `127.0.0.1:<port>`: use it as the registry host of image names.
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RegistryProxy {
    /// Starts a proxy to `upstream` (`host:port`, plain HTTP) that applies `fault`.
    pub fn start(upstream: &str, fault: Fault) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State {
            queue: fault.answers.iter().copied().collect(),
            fault,
            seen: Seen::default(),
        }));
        let (tx, rx) = oneshot::channel();
        let upstream = upstream.to_owned();
        let shared = Arc::clone(&state);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(serve_registry(listener, upstream, addr, shared, rx));
        });
        Self {
            addr,
            state,
            stop: Some(tx),
            thread: Some(thread),
        }
    }

    /// The host to put in image names.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// What was seen so far.
    pub fn seen(&self) -> Seen {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .seen
            .clone()
    }
}

impl Drop for RegistryProxy {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve_registry(
    listener: std::net::TcpListener,
    upstream: String,
    me: SocketAddr,
    state: Arc<Mutex<State>>,
    mut stop: oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
    // reqwest is built without a default crypto provider; plain HTTP still needs one set.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client");
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let (client, upstream, state) = (client.clone(), upstream.clone(), Arc::clone(&state));
                let service = service_fn(move |req| {
                    let (client, upstream, state) = (client.clone(), upstream.clone(), Arc::clone(&state));
                    async move { Ok::<_, Infallible>(handle(req, client, &upstream, me, state).await) }
                });
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}

async fn handle(
    req: Request<hyper::body::Incoming>,
    client: reqwest::Client,
    upstream: &str,
    me: SocketAddr,
    state: Arc<Mutex<State>>,
) -> Response<Full<Bytes>> {
    let method = req.method().as_str().to_owned();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let injected = {
        let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
        if method == st.fault.method && path.contains(st.fault.path_contains) {
            let answer = st.queue.pop_front().or(st.fault.then);
            match answer {
                Some(_) => st.seen.faulted += 1,
                None => st.seen.forwarded += 1,
            }
            answer
        } else {
            None
        }
    };
    if let Some(status) = injected {
        let body =
            r#"{"errors":[{"code":"UNKNOWN","message":"fault injected by the test proxy"}]}"#;
        return Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .expect("response");
    }

    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes()).expect("method");
    let mut forward = client.request(method, format!("http://{upstream}{path}"));
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" && name != "transfer-encoding" {
            forward = forward.header(name.as_str(), value.as_bytes());
        }
    }
    let answer = match forward.body(body).send().await {
        Ok(answer) => answer,
        Err(err) => {
            return Response::builder()
                .status(502)
                .body(Full::new(Bytes::from(err.to_string())))
                .expect("response");
        }
    };
    let mut out = Response::builder().status(answer.status().as_u16());
    for (name, value) in answer.headers() {
        if name == "transfer-encoding" || name == "connection" {
            continue;
        }
        let value = value.to_str().unwrap_or_default();
        // Upload URLs name the registry: keep the client on the proxy.
        let value = value.replace(&format!("//{upstream}/"), &format!("//{me}/"));
        out = out.header(name.as_str(), value);
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    out.body(Full::new(bytes)).expect("response")
}

/// A unix-socket proxy in front of the daemon that cuts all connections once `marker` appears
/// in what the daemon sends; stops when dropped.
pub struct DaemonCutter {
    /// The proxy's socket: use `unix://<path>` as DOCKER_HOST.
    pub socket: PathBuf,
    cut: Arc<AtomicBool>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl DaemonCutter {
    /// Listens on `socket` and forwards to the daemon socket `daemon`.
    pub fn start(socket: &Path, daemon: &Path, marker: &str) -> Self {
        let _ = std::fs::remove_file(socket);
        let listener = std::os::unix::net::UnixListener::bind(socket).expect("bind the socket");
        listener.set_nonblocking(true).expect("non-blocking");
        let cut = Arc::new(AtomicBool::new(false));
        let (tx, rx) = oneshot::channel();
        let (daemon, marker, flag) = (
            daemon.to_path_buf(),
            marker.as_bytes().to_vec(),
            Arc::clone(&cut),
        );
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(serve_cutter(listener, daemon, marker, flag, rx));
        });
        Self {
            socket: socket.to_path_buf(),
            cut,
            stop: Some(tx),
            thread: Some(thread),
        }
    }

    /// Whether the marker was seen and the connections cut.
    pub fn was_cut(&self) -> bool {
        self.cut.load(Ordering::SeqCst)
    }
}

impl Drop for DaemonCutter {
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

async fn serve_cutter(
    listener: std::os::unix::net::UnixListener,
    daemon: PathBuf,
    marker: Vec<u8>,
    cut: Arc<AtomicBool>,
    mut stop: oneshot::Receiver<()>,
) {
    let listener = tokio::net::UnixListener::from_std(listener).expect("tokio listener");
    let (cut_tx, _) = tokio::sync::broadcast::channel::<()>(1);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let Ok((client, _)) = accepted else { continue };
                if cut.load(Ordering::SeqCst) {
                    // The daemon is "gone": refuse by closing at once.
                    drop(client);
                    continue;
                }
                let Ok(upstream) = tokio::net::UnixStream::connect(&daemon).await else { continue };
                let (marker, cut, cut_tx2) = (marker.clone(), Arc::clone(&cut), cut_tx.clone());
                let mut cut_rx = cut_tx.subscribe();
                tokio::spawn(async move {
                    let (mut cr, mut cw) = client.into_split();
                    let (mut ur, mut uw) = upstream.into_split();
                    let up = async {
                        let _ = tokio::io::copy(&mut cr, &mut uw).await;
                        let _ = uw.shutdown().await;
                    };
                    let down = async {
                        let mut buf = vec![0u8; 64 * 1024];
                        let mut tail: Vec<u8> = Vec::new();
                        loop {
                            let n = match ur.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            tail.extend_from_slice(&buf[..n]);
                            if tail.windows(marker.len()).any(|w| w == marker.as_slice()) {
                                cut.store(true, Ordering::SeqCst);
                                let _ = cut_tx2.send(());
                                break;
                            }
                            let keep = tail.len().saturating_sub(marker.len());
                            tail.drain(..keep);
                            if cw.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    };
                    // Either side ending, or a cut anywhere, drops both sockets.
                    tokio::select! {
                        _ = async { tokio::join!(up, down) } => {}
                        _ = cut_rx.recv() => {}
                    }
                });
            }
        }
    }
}
