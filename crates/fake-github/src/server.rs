//! The fake's HTTP side: a hyper server on 127.0.0.1 in its own thread, and the order in which
//! a request meets scripted faults, authentication, routing, schema validation and state.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::{Notify, oneshot};

use super::answer::Answer;
use super::spec::{Spec, percent_decode};
use super::state::{RecordedRequest, State};
use super::{FakeError, Fault};

/// Stops the server thread when told to.
#[derive(Debug)]
pub(crate) struct Stop {
    tx: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Stop {
    /// Stops accepting, drops open connections and waits for the thread.
    pub fn stop(mut self) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Binds a free port on 127.0.0.1 and serves on a new thread.
pub(crate) fn spawn(
    spec: Arc<Spec>,
    shared: Arc<Mutex<State>>,
) -> Result<(SocketAddr, Stop), FakeError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(FakeError::Start)?;
    listener.set_nonblocking(true).map_err(FakeError::Start)?;
    let addr = listener.local_addr().map_err(FakeError::Start)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(FakeError::Start)?;
    let (tx, rx) = oneshot::channel();
    let base = format!("http://{addr}");
    let thread = std::thread::Builder::new()
        .name("fake-github".into())
        .spawn(move || runtime.block_on(serve(listener, spec, shared, base, rx)))
        .map_err(FakeError::Start)?;
    Ok((
        addr,
        Stop {
            tx: Some(tx),
            thread: Some(thread),
        },
    ))
}

async fn serve(
    listener: std::net::TcpListener,
    spec: Arc<Spec>,
    shared: Arc<Mutex<State>>,
    base: String,
    mut stop: oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    let ctx = Ctx { spec: Arc::clone(&spec), shared: Arc::clone(&shared), base: base.clone(), kill: Arc::new(Notify::new()) };
                    tokio::spawn(connection(stream, ctx));
                }
            }
        }
    }
}

#[derive(Clone)]
struct Ctx {
    spec: Arc<Spec>,
    shared: Arc<Mutex<State>>,
    base: String,
    /// Told by a handler to drop this connection without answering.
    kill: Arc<Notify>,
}

impl Ctx {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }
}

async fn connection(stream: TcpStream, ctx: Ctx) {
    // A second handle on the socket, so that a reset can set SO_LINGER=0 after hyper owns it.
    let Ok(std_stream) = stream.into_std() else {
        return;
    };
    let twin = std_stream.try_clone().ok();
    let Ok(stream) = TcpStream::from_std(std_stream) else {
        return;
    };
    let kill = Arc::clone(&ctx.kill);
    let service = service_fn(move |req| {
        let ctx = ctx.clone();
        async move { Ok::<_, Infallible>(handle(req, ctx).await) }
    });
    let conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = conn => {}
        _ = kill.notified() => {
            if let Some(twin) = twin.and_then(|t| TcpStream::from_std(t).ok()) {
                let _ = twin.set_zero_linger();
            }
        }
    }
}

fn respond(answer: Answer) -> Response<Full<Bytes>> {
    let body = match &answer.body {
        Some(v) => serde_json::to_vec(v).unwrap_or_default(),
        None => Vec::new(),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut headers = vec![
        ("x-github-api-version-selected", "2022-11-28".to_owned()),
        ("x-ratelimit-limit", "5000".to_owned()),
        ("x-ratelimit-remaining", "4999".to_owned()),
    ];
    if answer.body.is_some() {
        headers.push(("content-type", "application/json; charset=utf-8".to_owned()));
    }
    // The answer's own headers come last so they replace the defaults.
    let extra = answer.headers.iter().map(|(k, v)| (k.as_str(), v.clone()));
    for (name, value) in headers.into_iter().chain(extra) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::try_from(name),
            http::HeaderValue::try_from(value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

fn error(status: u16, message: &str) -> Answer {
    Answer::json(
        status,
        json!({
            "message": message,
            "documentation_url": "https://docs.github.com/rest",
            "status": status.to_string(),
        }),
    )
}

/// Splits `a=1&b=x%20y` into decoded pairs; the last value of a repeated key wins.
fn parse_query(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

async fn handle(req: Request<Incoming>, ctx: Ctx) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or("").to_owned();
    let token_ok = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| ctx.state().authorizes(h));
    let body_json: Option<Value> = serde_json::from_slice(&bytes).ok();
    let mut record = RecordedRequest {
        method: parts.method.to_string(),
        path: path.clone(),
        query: query.clone(),
        body: body_json.clone(),
        authorized: token_ok,
        status: 0,
    };

    let routed = ctx.spec.route(&parts.method, &path);
    let fault = routed
        .as_ref()
        .and_then(|(op, _)| ctx.state().take_fault(&op.method, &op.template));
    match fault {
        Some(Fault::Reset) => {
            ctx.state().requests.push(record);
            ctx.kill.notify_one();
            std::future::pending::<()>().await;
            unreachable_response()
        }
        Some(Fault::Hang(duration)) => {
            ctx.state().requests.push(record);
            tokio::time::sleep(duration).await;
            respond(error(504, "Gateway Timeout"))
        }
        Some(Fault::Respond {
            status,
            headers,
            body,
        }) => {
            record.status = status;
            ctx.state().requests.push(record);
            let mut answer = Answer::json(status, body);
            answer.headers = headers;
            respond(answer)
        }
        None => {
            let answer = answer(&ctx, routed, &query, &bytes, body_json, token_ok);
            record.status = answer.status;
            ctx.state().requests.push(record);
            respond(answer)
        }
    }
}

/// Never reached: the connection is dropped while the handler waits forever.
fn unreachable_response() -> Response<Full<Bytes>> {
    Response::new(Full::new(Bytes::new()))
}

fn answer(
    ctx: &Ctx,
    routed: Option<(&super::spec::Operation, HashMap<String, String>)>,
    query: &str,
    bytes: &[u8],
    body: Option<Value>,
    token_ok: bool,
) -> Answer {
    if !token_ok {
        return error(401, "Bad credentials");
    }
    let Some((op, params)) = routed else {
        return error(404, "Not Found");
    };
    let mut state = ctx.state();
    if let Some(owner) = params.get("owner")
        && !state.hosts(owner, params.get("repo").map(String::as_str).unwrap_or(""))
    {
        return error(404, "Not Found");
    }
    let body = if bytes.is_empty() {
        // GitHub treats a missing body as an empty one; a required body then fails validation.
        op.body_required().then_some(Value::Null)
    } else {
        match body {
            Some(v) => Some(v),
            None => return error(400, "Problems parsing JSON"),
        }
    };
    if let Some(body) = &body {
        let problems = op.validate(body);
        if !problems.is_empty() {
            return Answer::json(
                422,
                json!({
                    "message": "Invalid request.",
                    "errors": problems,
                    "documentation_url": "https://docs.github.com/rest",
                    "status": "422",
                }),
            );
        }
    }
    state.dispatch(op, &params, &parse_query(query), body, &ctx.base)
}
