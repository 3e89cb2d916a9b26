//! `deploy-action lsp`: a language server over stdio for workflows, action metadata and
//! promotion policies.
//!
//! Built on rust-analyzer's `lsp-server` (a synchronous scaffold: the linter is synchronous and
//! CPU-bound, so an async runtime would add nothing but latency and weight) and `lsp-types`.
//! One thread owns the documents: every open or change lints the text at once and publishes
//! the findings, exactly those `lint` reports for the file. shellcheck, a process that takes
//! tens of milliseconds, runs on a worker thread ([`scripts`]); its findings are added when it
//! answers, if the document has not changed since, and kept while the scripts stay the same.

mod analysis;
pub mod document;
mod features;
mod scripts;

use std::collections::HashMap;
use std::path::PathBuf;

use crossbeam_channel::select;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    LogMessage, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{CodeActionRequest, HoverRequest, Request as _};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionParams, CodeActionProviderCapability,
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    HoverParams, HoverProviderCapability, InitializeParams, LogMessageParams, MessageType,
    PositionEncodingKind, PublishDiagnosticsParams, ServerCapabilities, ServerInfo,
    TextDocumentSyncCapability, TextDocumentSyncKind, Uri,
};

pub use analysis::kind_of;
use document::{Document, Encoding};

use deploy_action_lint::lint::{FileKind, Finding};

/// Why the server stopped other than by `shutdown` and `exit`.
#[derive(Debug, thiserror::Error)]
pub enum LspError {
    /// The client broke the protocol (initialisation out of order, the connection gone).
    #[error("language server protocol error: {0}")]
    Protocol(#[from] lsp_server::ProtocolError),
    /// The connection to the client failed.
    #[error("the connection to the editor closed: {0}")]
    Disconnected(String),
    /// The client's `initialize` parameters could not be read.
    #[error("cannot read the editor's initialize request: {0}")]
    Initialize(#[from] serde_json::Error),
}

/// How the server is run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The shellcheck executable for `run:` scripts (`shellcheck` in PATH by default); `None`
    /// turns shellcheck off.
    pub shellcheck: Option<PathBuf>,
}

/// An open document and what was last found in it.
struct Open {
    doc: Document,
    /// The file's path and kind; `None` for a document `lint` would not check.
    target: Option<(PathBuf, FileKind)>,
    /// The linter's findings for the current version.
    findings: Vec<Finding>,
    /// shellcheck's findings and the scripts they are for.
    checked: scripts::Checked,
}

/// Runs the server on `conn` until the client shuts it down.
pub fn serve(conn: &Connection, options: &Options) -> Result<(), LspError> {
    let (id, params) = conn.initialize_start()?;
    let params: InitializeParams = serde_json::from_value(params)?;
    let enc = negotiate(&params);
    let result = serde_json::json!({
        "capabilities": capabilities(enc),
        "serverInfo": ServerInfo {
            name: "deploy-action".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        },
    });
    conn.initialize_finish(id, result)?;
    let workspace = workspace_root(&params);
    let worker = options.shellcheck.clone().map(scripts::Worker::start);
    let mut server = Server {
        conn,
        enc,
        workspace,
        docs: HashMap::new(),
        worker,
        told: Vec::new(),
    };
    server.run()
}

/// UTF-8 positions when the client offers them (no conversion), else the default UTF-16.
fn negotiate(params: &InitializeParams) -> Encoding {
    let offered = params
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref());
    if offered.is_some_and(|o| o.contains(&PositionEncodingKind::UTF8)) {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    }
}

fn capabilities(enc: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(match enc {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Kind(
            TextDocumentSyncKind::INCREMENTAL,
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        ..ServerCapabilities::default()
    }
}

/// The editor's folder: the first workspace folder, else the (deprecated) root URI.
fn workspace_root(params: &InitializeParams) -> Option<PathBuf> {
    let first = params
        .workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .map(|f| &f.uri);
    #[allow(deprecated)]
    let uri = first.or(params.root_uri.as_ref())?;
    path_of(uri)
}

/// The local path of a `file:` URI.
pub fn path_of(uri: &Uri) -> Option<PathBuf> {
    url::Url::parse(uri.as_str()).ok()?.to_file_path().ok()
}

struct Server<'c> {
    conn: &'c Connection,
    enc: Encoding,
    workspace: Option<PathBuf>,
    docs: HashMap<Uri, Open>,
    worker: Option<scripts::Worker>,
    /// Notes already logged, so each is told once.
    told: Vec<String>,
}

impl Server<'_> {
    fn run(&mut self) -> Result<(), LspError> {
        let never = crossbeam_channel::never();
        loop {
            let from_worker = self.worker.as_ref().map_or(&never, |w| &w.results);
            select! {
                recv(self.conn.receiver) -> msg => {
                    let Ok(msg) = msg else {
                        return Err(LspError::Disconnected("no more messages".into()));
                    };
                    match msg {
                        Message::Request(req) => {
                            if self.conn.handle_shutdown(&req)? {
                                return Ok(());
                            }
                            self.request(req)?;
                        }
                        Message::Notification(n) if n.method == "exit" => return Ok(()),
                        Message::Notification(n) => self.notification(n)?,
                        Message::Response(_) => {}
                    }
                }
                recv(from_worker) -> done => {
                    match done {
                        Ok(done) => self.checked(done)?,
                        Err(_) => self.worker = None,
                    }
                }
            }
        }
    }

    fn send(&self, msg: impl Into<Message>) -> Result<(), LspError> {
        self.conn
            .sender
            .send(msg.into())
            .map_err(|e| LspError::Disconnected(e.to_string()))
    }

    /// Tells the user something once, in the editor's log.
    fn log_once(&mut self, message: String) -> Result<(), LspError> {
        if self.told.contains(&message) {
            return Ok(());
        }
        self.told.push(message.clone());
        let params = LogMessageParams {
            typ: MessageType::WARNING,
            message,
        };
        self.send(Notification::new(LogMessage::METHOD.into(), params))
    }

    fn request(&mut self, req: Request) -> Result<(), LspError> {
        let id = req.id.clone();
        let reply = match req.method.as_str() {
            CodeActionRequest::METHOD => parse::<CodeActionParams>(req.params)
                .map(|p| serde_json::to_value(self.code_actions(&p)).unwrap_or_default()),
            HoverRequest::METHOD => parse::<HoverParams>(req.params)
                .map(|p| serde_json::to_value(self.hover(&p)).unwrap_or_default()),
            other => Err((
                ErrorCode::MethodNotFound,
                format!("deploy-action does not answer {other}"),
            )),
        };
        self.send(respond(id, reply))
    }

    fn notification(&mut self, n: Notification) -> Result<(), LspError> {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Ok(p) = parse::<DidOpenTextDocumentParams>(n.params) {
                    let d = p.text_document;
                    let target = path_of(&d.uri).and_then(|p| kind_of(&p).map(|k| (p, k)));
                    let open = Open {
                        doc: Document::new(d.text, d.version),
                        target,
                        findings: Vec::new(),
                        checked: scripts::Checked::default(),
                    };
                    self.docs.insert(d.uri.clone(), open);
                    self.lint(&d.uri)?;
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Ok(p) = parse::<DidChangeTextDocumentParams>(n.params) {
                    let uri = p.text_document.uri;
                    if let Some(open) = self.docs.get_mut(&uri) {
                        open.doc
                            .apply(p.content_changes, p.text_document.version, self.enc);
                        self.lint(&uri)?;
                    }
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(p) = parse::<DidCloseTextDocumentParams>(n.params) {
                    let uri = p.text_document.uri;
                    if self.docs.remove(&uri).is_some() {
                        self.publish(&uri, Vec::new(), None)?;
                    }
                }
            }
            // A saved local action or reusable workflow may change what other files find.
            DidSaveTextDocument::METHOD => {
                let uris: Vec<Uri> = self.docs.keys().cloned().collect();
                for uri in uris {
                    self.lint(&uri)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Lints the current version of `uri` and publishes what is found.
    fn lint(&mut self, uri: &Uri) -> Result<(), LspError> {
        let Some(open) = self.docs.get_mut(uri) else {
            return Ok(());
        };
        let Some((path, kind)) = open.target.clone() else {
            return Ok(());
        };
        if analysis::ignored(&path, self.workspace.as_deref()) {
            open.findings.clear();
            return self.publish(uri, Vec::new(), None);
        }
        let shellcheck = self.worker.is_some();
        let linted = analysis::lint_document(
            &path,
            open.doc.text(),
            kind,
            self.workspace.as_deref(),
            shellcheck,
        );
        open.findings = linted.findings;
        let version = open.doc.version();
        // shellcheck's findings stand while the scripts are the same; else they are asked for.
        if !open.checked.is_for(linted.scripts.scripts()) {
            open.checked = scripts::Checked::default();
            if let Some(w) = &self.worker
                && !linted.scripts.scripts().is_empty()
            {
                w.ask(uri.clone(), version, linted.scripts);
            }
        }
        if let Some(note) = linted.note {
            self.log_once(format!("deploy-action: {note}"))?;
        }
        self.publish_current(uri)
    }

    /// shellcheck has answered for one version of a document.
    fn checked(&mut self, done: scripts::Done) -> Result<(), LspError> {
        if let Some(note) = done.note.clone() {
            self.log_once(format!("deploy-action: {note}"))?;
        }
        if done.unavailable {
            // Not installed: the rest of the session goes on without it.
            self.worker = None;
        }
        let Some(open) = self.docs.get_mut(&done.uri) else {
            return Ok(());
        };
        if open.doc.version() != done.version {
            return Ok(());
        }
        open.checked = done.checked;
        self.publish_current(&done.uri)
    }

    fn publish_current(&self, uri: &Uri) -> Result<(), LspError> {
        let Some(open) = self.docs.get(uri) else {
            return Ok(());
        };
        let mut all: Vec<&Finding> = open
            .findings
            .iter()
            .chain(open.checked.findings())
            .collect();
        all.sort_by_key(|f| (f.span.start.offset, f.rule));
        let diagnostics = all
            .into_iter()
            .map(|f| features::diagnostic(&open.doc, f, self.enc))
            .collect();
        self.publish(uri, diagnostics, Some(open.doc.version()))
    }

    fn publish(
        &self,
        uri: &Uri,
        diagnostics: Vec<lsp_types::Diagnostic>,
        version: Option<i32>,
    ) -> Result<(), LspError> {
        let params = PublishDiagnosticsParams {
            uri: uri.clone(),
            diagnostics,
            version,
        };
        self.send(Notification::new(PublishDiagnostics::METHOD.into(), params))
    }

    fn code_actions(&self, p: &CodeActionParams) -> Vec<lsp_types::CodeActionOrCommand> {
        let Some(open) = self.docs.get(&p.text_document.uri) else {
            return Vec::new();
        };
        features::code_actions(
            &p.text_document.uri,
            &open.doc,
            &open.findings,
            p.range,
            self.enc,
        )
    }

    fn hover(&self, p: &HoverParams) -> Option<lsp_types::Hover> {
        let at = &p.text_document_position_params;
        let open = self.docs.get(&at.text_document.uri)?;
        let offset = open.doc.offset(at.position, self.enc);
        let findings: Vec<&Finding> = open
            .findings
            .iter()
            .chain(open.checked.findings())
            .collect();
        features::hover(&open.doc, &findings, offset, self.enc)
    }
}

/// Parameters of a request or notification, or the error to answer with.
fn parse<T: serde::de::DeserializeOwned>(
    params: serde_json::Value,
) -> Result<T, (ErrorCode, String)> {
    serde_json::from_value(params).map_err(|e| (ErrorCode::InvalidParams, e.to_string()))
}

fn respond(id: RequestId, reply: Result<serde_json::Value, (ErrorCode, String)>) -> Response {
    match reply {
        Ok(v) => Response::new_ok(id, v),
        Err((code, message)) => Response::new_err(id, code as i32, message),
    }
}
