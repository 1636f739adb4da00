//! The main loop: documents, sessions, checks, and the handlers of each method.
//!
//! Everything runs on one thread, in the order messages arrive: a check takes milliseconds, and
//! answers computed in order can never be older than the buffers they describe. Checks are coalesced:
//! an edit marks its unit stale, and the unit is checked once the queue is empty or a request needs
//! the result, so a burst of keystrokes costs one check.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use crossbeam_channel::TryRecvError;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use serde_json::Value;

use iamprune_linter::scan::{self, Unit, UnitKind, UnitReport};
use iamprune_linter::{Applicability, Diagnostic, Edit, Level, Rule};
use iamprune_syntax::Span;

use crate::ServerError;
use crate::hover;
use crate::position::{Encoding, LineMap};
use crate::session::{self, Session};

/// The code action kind of "fix everything iamprune can fix in this file".
pub const FIX_ALL_KIND: &str = "source.fixAll.iamprune";

/// Where a rule's page lives, for the link on each diagnostic's code.
const RULE_URL: &str = "https://github.com/iamprune/iamprune/blob/main/rules/";

/// The files the server checks; anything else opened in the editor is left alone.
const EXTENSIONS: [&str; 6] = [".tf", ".tf.json", ".json", ".yaml", ".yml", ".template"];

/// What the client said at `initialize` that the server needs later.
pub struct ClientSetup {
    pub encoding: Encoding,
    pub roots: Vec<PathBuf>,
    /// The client can watch files for the server (`workspace/didChangeWatchedFiles` with dynamic
    /// registration); otherwise the configuration is reloaded when it is saved in the editor.
    pub watch_files: bool,
}

impl ClientSetup {
    pub fn from_params(params: &Value) -> ClientSetup {
        let offered: Vec<String> = params
            .pointer("/capabilities/general/positionEncodings")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let watch_files = params
            .pointer("/capabilities/workspace/didChangeWatchedFiles/dynamicRegistration")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let mut roots: Vec<PathBuf> = params
            .get("workspaceFolders")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|folder| folder.get("uri")?.as_str())
            .filter_map(path_of_uri_str)
            .collect();
        if roots.is_empty() {
            roots.extend(
                params
                    .get("rootUri")
                    .and_then(Value::as_str)
                    .and_then(path_of_uri_str),
            );
        }
        if roots.is_empty() {
            roots.extend(
                params
                    .get("rootPath")
                    .and_then(Value::as_str)
                    .map(|p| canonical(Path::new(p))),
            );
        }
        ClientSetup {
            encoding: Encoding::negotiate(&offered),
            roots,
            watch_files,
        }
    }

    pub fn capabilities(&self) -> lsp::ServerCapabilities {
        lsp::ServerCapabilities {
            position_encoding: Some(match self.encoding {
                Encoding::Utf8 => lsp::PositionEncodingKind::UTF8,
                Encoding::Utf16 => lsp::PositionEncodingKind::UTF16,
            }),
            text_document_sync: Some(lsp::TextDocumentSync::Options(
                lsp::TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(lsp::TextDocumentSyncKind::Full),
                    will_save: None,
                    will_save_wait_until: None,
                    save: Some(lsp::Save::Bool(true)),
                },
            )),
            code_action_provider: Some(lsp::CodeActionProvider::CodeActionOptions(
                lsp::CodeActionOptions {
                    code_action_kinds: Some(vec![
                        lsp::CodeActionKind::QuickFix,
                        lsp::CodeActionKind::Custom(FIX_ALL_KIND.into()),
                    ]),
                    ..Default::default()
                },
            )),
            hover_provider: Some(lsp::HoverProvider::Bool(true)),
            ..Default::default()
        }
    }
}

/// An open document, as the editor has it.
struct Document {
    uri: lsp::Uri,
    version: i32,
    text: String,
}

/// The last check of a unit, kept for code actions and hovers until the next one.
pub struct Checked {
    /// The key of the session it was checked with.
    session: Option<PathBuf>,
    /// The unit, with absolute paths.
    pub unit: Unit,
    pub report: UnitReport,
    /// Every text the check saw, by absolute path.
    pub texts: BTreeMap<PathBuf, String>,
    /// The diagnostics, with absolute paths and the configuration's rule selection and severities.
    pub diagnostics: Vec<Diagnostic>,
    messages: Vec<iamprune_linter::Message>,
    /// The open files its diagnostics were last published for.
    published: BTreeSet<PathBuf>,
}

/// An error answered to a request instead of a result.
pub struct RequestError {
    code: ErrorCode,
    message: String,
}

impl RequestError {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        RequestError {
            code,
            message: message.into(),
        }
    }
}

pub struct Server<'c> {
    connection: &'c Connection,
    setup: ClientSetup,
    documents: BTreeMap<PathBuf, Document>,
    sessions: BTreeMap<Option<PathBuf>, Session>,
    /// By unit path.
    checks: BTreeMap<PathBuf, Checked>,
    /// Open files whose units must be checked before the next request is answered.
    pending: BTreeSet<PathBuf>,
    shutdown: bool,
    next_request: u64,
}

impl<'c> Server<'c> {
    pub fn new(connection: &'c Connection, setup: ClientSetup) -> Self {
        Server {
            connection,
            setup,
            documents: BTreeMap::new(),
            sessions: BTreeMap::new(),
            checks: BTreeMap::new(),
            pending: BTreeSet::new(),
            shutdown: false,
            next_request: 0,
        }
    }

    pub fn run(mut self) -> Result<(), ServerError> {
        loop {
            let message = if self.pending.is_empty() {
                match self.connection.receiver.recv() {
                    Ok(message) => message,
                    Err(_) => return Ok(()),
                }
            } else {
                match self.connection.receiver.try_recv() {
                    Ok(message) => message,
                    Err(TryRecvError::Empty) => {
                        self.flush()?;
                        continue;
                    }
                    Err(TryRecvError::Disconnected) => return Ok(()),
                }
            };
            match message {
                Message::Request(request) => {
                    if request.method == "shutdown" {
                        // Nobody will read diagnostics published from now on.
                        self.shutdown = true;
                        self.pending.clear();
                        self.send(Response::new_ok(request.id, Value::Null).into())?;
                        continue;
                    }
                    if self.shutdown {
                        self.send(
                            Response::new_err(
                                request.id,
                                ErrorCode::InvalidRequest as i32,
                                "the server is shutting down".into(),
                            )
                            .into(),
                        )?;
                        continue;
                    }
                    self.flush()?;
                    let id = request.id.clone();
                    let outcome =
                        std::panic::catch_unwind(AssertUnwindSafe(|| self.request(&request)));
                    let response = match outcome {
                        Ok(Ok(value)) => Response::new_ok(id, value),
                        Ok(Err(error)) => Response::new_err(id, error.code as i32, error.message),
                        Err(_) => Response::new_err(
                            id,
                            ErrorCode::InternalError as i32,
                            format!("internal error answering `{}`", request.method),
                        ),
                    };
                    self.send(response.into())?;
                }
                Message::Notification(notification) => {
                    if notification.method == "exit" {
                        return if self.shutdown {
                            Ok(())
                        } else {
                            Err(ServerError::ExitWithoutShutdown)
                        };
                    }
                    let method = notification.method.clone();
                    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
                        self.notification(notification)
                    }));
                    match outcome {
                        Ok(result) => result?,
                        Err(_) => self.log(
                            lsp::MessageType::Error,
                            format!("internal error handling `{method}`"),
                        )?,
                    }
                }
                // Replies to the server's own requests (capability registration): nothing to do.
                Message::Response(_) => {}
            }
        }
    }

    fn send(&self, message: Message) -> Result<(), ServerError> {
        self.connection
            .sender
            .send(message)
            .map_err(|_| ServerError::Disconnected)
    }

    fn notify(&self, method: &str, params: impl serde::Serialize) -> Result<(), ServerError> {
        self.send(Notification::new(method.to_string(), params).into())
    }

    fn log(&self, kind: lsp::MessageType, message: String) -> Result<(), ServerError> {
        self.notify("window/logMessage", lsp::LogMessageParams { kind, message })
    }

    // --- requests -------------------------------------------------------------------------------

    fn request(&mut self, request: &Request) -> Result<Value, RequestError> {
        match request.method.as_str() {
            "textDocument/codeAction" => {
                let params: lsp::CodeActionParams = params(request)?;
                let actions = self.code_actions(&params)?;
                to_value(&actions)
            }
            "textDocument/hover" => {
                let params: lsp::HoverParams = params(request)?;
                let hover = self.hover(&params.text_document_position_params)?;
                to_value(&hover)
            }
            other => Err(RequestError::new(
                ErrorCode::MethodNotFound,
                format!("unsupported method `{other}`"),
            )),
        }
    }

    fn code_actions(
        &self,
        params: &lsp::CodeActionParams,
    ) -> Result<Vec<lsp::CodeAction>, RequestError> {
        // Documents that are not files (untitled buffers) are never checked: nothing to offer.
        let Ok(path) = path_of_uri(&params.text_document.uri) else {
            return Ok(Vec::new());
        };
        let Some(checked) = self.check_of(&path) else {
            return Ok(Vec::new());
        };
        let Some(text) = self.text_of(&path, checked) else {
            return Ok(Vec::new());
        };
        let map = LineMap::new(&text);
        let encoding = self.setup.encoding;
        let wanted = map.span(params.range, encoding);
        let only = params.context.only.as_deref();
        let mut actions = Vec::new();
        let file_diagnostics: Vec<&Diagnostic> = checked
            .diagnostics
            .iter()
            .filter(|d| d.file == path)
            .collect();
        if kind_wanted(only, "quickfix") {
            for diagnostic in &file_diagnostics {
                let in_range =
                    diagnostic.span.start <= wanted.end && wanted.start <= diagnostic.span.end;
                let Some(fix) = diagnostic.fix.as_ref().filter(|f| {
                    in_range && f.applicability == Applicability::Safe && !f.edits.is_empty()
                }) else {
                    continue;
                };
                let Some(edit) = self.workspace_edit(&fix.edits, checked) else {
                    continue;
                };
                actions.push(lsp::CodeAction {
                    title: fix.title.clone(),
                    kind: Some(lsp::CodeActionKind::QuickFix),
                    diagnostics: Some(vec![self.lsp_diagnostic(diagnostic, &map, checked)]),
                    is_preferred: Some(true),
                    edit: Some(edit),
                    ..Default::default()
                });
            }
        }
        if kind_wanted(only, FIX_ALL_KIND) {
            let owned: Vec<Diagnostic> = file_diagnostics.into_iter().cloned().collect();
            let selected = iamprune_linter::fix::select(&owned);
            let edits: Vec<Edit> = selected.into_values().flatten().collect();
            if !edits.is_empty() {
                if let Some(edit) = self.workspace_edit(&edits, checked) {
                    actions.push(lsp::CodeAction {
                        title: "Fix all safe iamprune problems".into(),
                        kind: Some(lsp::CodeActionKind::Custom(FIX_ALL_KIND.into())),
                        edit: Some(edit),
                        ..Default::default()
                    });
                }
            }
        }
        Ok(actions)
    }

    /// The edits of a fix as a workspace edit, each file's spans converted with that file's text.
    /// `None` when some file's text is not known: a partial fix must never be offered.
    fn workspace_edit(&self, edits: &[Edit], checked: &Checked) -> Option<lsp::WorkspaceEdit> {
        let mut by_file: BTreeMap<&Path, Vec<&Edit>> = BTreeMap::new();
        for edit in edits {
            by_file.entry(edit.file.as_path()).or_default().push(edit);
        }
        let mut changes = HashMap::new();
        for (file, edits) in by_file {
            let text = self.text_of(file, checked)?;
            // A fix computed on the file as it is on disk would garble a buffer edited since.
            if self.documents.get(file).is_some_and(|d| d.text != text) {
                return None;
            }
            let map = LineMap::new(&text);
            let uri = self.uri_of(file)?;
            let mut text_edits: Vec<lsp::TextEdit> = edits
                .into_iter()
                .map(|edit| lsp::TextEdit {
                    range: map.range(edit.span, self.setup.encoding),
                    new_text: edit.content.clone(),
                })
                .collect();
            text_edits.sort_by_key(|e| e.range.start);
            changes.insert(uri, text_edits);
        }
        Some(lsp::WorkspaceEdit {
            changes: Some(changes),
            ..Default::default()
        })
    }

    fn hover(
        &self,
        params: &lsp::TextDocumentPositionParams,
    ) -> Result<Option<lsp::Hover>, RequestError> {
        let Ok(path) = path_of_uri(&params.text_document.uri) else {
            return Ok(None);
        };
        let Some(checked) = self.check_of(&path) else {
            return Ok(None);
        };
        let Some(text) = self.text_of(&path, checked) else {
            return Ok(None);
        };
        let map = LineMap::new(&text);
        let offset = map.offset(params.position, self.setup.encoding);
        let Some(session) = self.sessions.get(&checked.session) else {
            return Ok(None);
        };
        let linter = session.linter();
        let Some((span, markdown)) = hover::at(&linter, &checked.report.sites, &path, offset)
        else {
            return Ok(None);
        };
        Ok(Some(lsp::Hover {
            contents: lsp::Contents::MarkupContent(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value: markdown,
            }),
            range: Some(map.range(span, self.setup.encoding)),
        }))
    }

    // --- notifications --------------------------------------------------------------------------

    fn notification(&mut self, notification: Notification) -> Result<(), ServerError> {
        match notification.method.as_str() {
            "initialized" => self.register_watchers(),
            "textDocument/didOpen" => {
                let Some(params) =
                    self.notification_params::<lsp::DidOpenTextDocumentParams>(&notification)?
                else {
                    return Ok(());
                };
                let Ok(path) = path_of_uri(&params.text_document.uri) else {
                    return Ok(());
                };
                self.documents.insert(
                    path.clone(),
                    Document {
                        uri: params.text_document.uri,
                        version: params.text_document.version,
                        text: params.text_document.text,
                    },
                );
                self.schedule(path);
                Ok(())
            }
            "textDocument/didChange" => {
                let Some(params) =
                    self.notification_params::<lsp::DidChangeTextDocumentParams>(&notification)?
                else {
                    return Ok(());
                };
                let Ok(path) = path_of_uri(&params.text_document.text_document_identifier.uri)
                else {
                    return Ok(());
                };
                let encoding = self.setup.encoding;
                let Some(document) = self.documents.get_mut(&path) else {
                    return Ok(());
                };
                document.version = params.text_document.version;
                for change in params.content_changes {
                    apply_change(&mut document.text, change, encoding);
                }
                self.schedule(path);
                Ok(())
            }
            "textDocument/didSave" => {
                let Some(params) =
                    self.notification_params::<lsp::DidSaveTextDocumentParams>(&notification)?
                else {
                    return Ok(());
                };
                let Ok(path) = path_of_uri(&params.text_document.uri) else {
                    return Ok(());
                };
                // Without file watching, saving the configuration or a findings file in the editor
                // is how a change to them reaches the server; with it, this is harmless.
                self.files_changed(std::slice::from_ref(&path))?;
                self.schedule(path);
                Ok(())
            }
            "textDocument/didClose" => {
                let Some(params) =
                    self.notification_params::<lsp::DidCloseTextDocumentParams>(&notification)?
                else {
                    return Ok(());
                };
                let Ok(path) = path_of_uri(&params.text_document.uri) else {
                    return Ok(());
                };
                self.close(&path)
            }
            "workspace/didChangeWatchedFiles" => {
                let Some(params) =
                    self.notification_params::<lsp::DidChangeWatchedFilesParams>(&notification)?
                else {
                    return Ok(());
                };
                let paths: Vec<PathBuf> = params
                    .changes
                    .iter()
                    .filter_map(|change| path_of_uri(&change.uri).ok())
                    .collect();
                self.files_changed(&paths)
            }
            // Cancellation cannot interrupt a synchronous check, and the rest is not used.
            _ => Ok(()),
        }
    }

    /// The params of a notification, or `None` (logged) when they do not parse: a malformed
    /// notification is dropped, never fatal.
    fn notification_params<P: serde::de::DeserializeOwned>(
        &self,
        notification: &Notification,
    ) -> Result<Option<P>, ServerError> {
        match serde_json::from_value(notification.params.clone()) {
            Ok(params) => Ok(Some(params)),
            Err(e) => {
                self.log(
                    lsp::MessageType::Warning,
                    format!("ignored `{}`: {e}", notification.method),
                )?;
                Ok(None)
            }
        }
    }

    fn register_watchers(&mut self) -> Result<(), ServerError> {
        if !self.setup.watch_files {
            return Ok(());
        }
        let watchers: Vec<Value> = [
            "**/iamprune.toml",
            "**/*.{json,jsonl,ndjson}",
            "**/*.{tf,yaml,yml,template,tsv}",
        ]
        .iter()
        .map(|glob| serde_json::json!({ "globPattern": glob }))
        .collect();
        let params = serde_json::json!({
            "registrations": [{
                "id": "iamprune-watched-files",
                "method": "workspace/didChangeWatchedFiles",
                "registerOptions": { "watchers": watchers },
            }]
        });
        self.next_request += 1;
        let id = RequestId::from(format!("iamprune-{}", self.next_request));
        self.send(Request::new(id, "client/registerCapability".into(), params).into())
    }

    fn close(&mut self, path: &Path) -> Result<(), ServerError> {
        let Some(document) = self.documents.remove(path) else {
            return Ok(());
        };
        self.pending.remove(path);
        // A closed file's problems are no longer shown; the editor no longer tracks it.
        self.publish(&document.uri, None, Vec::new())?;
        let mut others = Vec::new();
        for checked in self.checks.values_mut() {
            if checked.published.remove(path) {
                others.extend(checked.published.iter().cloned());
            }
        }
        // The other open files of the unit now see the file as it is on disk.
        for other in others {
            self.schedule(other);
        }
        Ok(())
    }

    /// Files changed on disk (or were saved): drop the sessions that loaded them, and recheck what
    /// depends on them.
    fn files_changed(&mut self, paths: &[PathBuf]) -> Result<(), ServerError> {
        let mut recheck_all = false;
        for path in paths {
            if session::is_config(path) {
                // A new, deleted or edited configuration can change which one applies to any file.
                self.sessions.clear();
                recheck_all = true;
                continue;
            }
            let stale: Vec<Option<PathBuf>> = self
                .sessions
                .iter()
                .filter(|(_, s)| s.depends_on(path))
                .map(|(key, _)| key.clone())
                .collect();
            for key in stale {
                self.sessions.remove(&key);
                let open: Vec<PathBuf> = self
                    .checks
                    .values()
                    .filter(|c| c.session == key)
                    .flat_map(|c| c.published.iter().cloned())
                    .collect();
                for file in open {
                    self.schedule(file);
                }
            }
            // A file of a checked unit changed on disk, and the editor does not hold it: the unit
            // reads it from disk, so its open files are checked again.
            if !self.documents.contains_key(path) {
                let open: Vec<PathBuf> = self
                    .checks
                    .values()
                    .filter(|c| c.unit.files.contains(path) || c.texts.contains_key(path))
                    .flat_map(|c| c.published.iter().cloned())
                    .collect();
                for file in open {
                    self.schedule(file);
                }
            }
        }
        if recheck_all {
            let open: Vec<PathBuf> = self.documents.keys().cloned().collect();
            for file in open {
                self.schedule(file);
            }
        }
        Ok(())
    }

    // --- checking -------------------------------------------------------------------------------

    fn schedule(&mut self, path: PathBuf) {
        if self.documents.contains_key(&path) && is_checked(&path) {
            self.pending.insert(path);
        }
    }

    /// Checks the units of every pending file, each unit once.
    fn flush(&mut self) -> Result<(), ServerError> {
        while let Some(path) = self.pending.pop_first() {
            let Some(unit) = self.unit_of(&path) else {
                continue;
            };
            for file in &unit.files {
                self.pending.remove(file);
            }
            let unit_path = unit.path.clone();
            // The linter's own panics are caught around the check; this catches the server's, so
            // that one file cannot take the editor's diagnostics down for every other.
            match std::panic::catch_unwind(AssertUnwindSafe(|| self.check(unit))) {
                Ok(result) => result?,
                Err(_) => self.log(
                    lsp::MessageType::Error,
                    format!("internal error checking {}", unit_path.display()),
                )?,
            }
        }
        Ok(())
    }

    /// The unit a file is checked in: the Terraform module that reads it through `file()` when a
    /// check found one (there its principals are known), else its own.
    fn unit_of(&self, path: &Path) -> Option<Unit> {
        self.checks
            .values()
            .find(|c| {
                c.unit.kind == UnitKind::TerraformModule
                    && !c.unit.files.iter().any(|f| f == path)
                    && c.texts.contains_key(path)
            })
            .map(|c| c.unit.clone())
            .or_else(|| scan::unit_for(path))
    }

    fn check(&mut self, unit: Unit) -> Result<(), ServerError> {
        let first = unit
            .files
            .first()
            .cloned()
            .unwrap_or_else(|| unit.path.clone());
        let key = session::config_for(&first);
        if !self.sessions.contains_key(&key) {
            let root = match &key {
                Some(config) => config.parent().map(Path::to_path_buf).unwrap_or_default(),
                None => self
                    .setup
                    .roots
                    .iter()
                    .find(|r| first.starts_with(r))
                    .cloned()
                    .unwrap_or_else(|| unit.path.clone()),
            };
            let session = Session::load(key.as_deref(), &root);
            for problem in &session.problems {
                self.notify(
                    "window/showMessage",
                    lsp::ShowMessageParams {
                        kind: lsp::MessageType::Warning,
                        message: format!("iamprune: {problem}"),
                    },
                )?;
            }
            self.sessions.insert(key.clone(), session);
        }
        let Some(session) = self.sessions.get(&key) else {
            return Ok(());
        };
        // As `check` does not read excluded files, the unit is checked without them.
        let mut unit = unit;
        let all_files = unit.files.clone();
        unit.files.retain(|f| !session.excludes(f));
        if unit.files.is_empty() {
            // Nothing left to check; whatever was shown for these files goes.
            let previous = self.checks.remove(&unit.path).map(|c| c.published);
            for file in previous.into_iter().flatten().chain(all_files) {
                if let Some(document) = self.documents.get(&file) {
                    self.publish(&document.uri, Some(document.version), Vec::new())?;
                }
            }
            return Ok(());
        }
        // The Terraform extractor reports the paths under the working directory relative to it; the
        // unit is given in that form too, so that its files, the buffers and the sites' files agree
        // (as they do for `check`, which is given the paths as typed).
        let relative_unit = Unit {
            kind: unit.kind,
            path: relative(&unit.path),
            files: unit.files.iter().map(|f| relative(f)).collect(),
        };
        let mut options = session.options.clone();
        options.paths = options.paths.iter().map(|p| relative(p)).collect();
        let open: BTreeMap<PathBuf, String> = unit
            .files
            .iter()
            .filter_map(|f| Some((relative(f), self.documents.get(f)?.text.clone())))
            .collect();
        let linter = session.linter();
        let report = std::panic::catch_unwind(AssertUnwindSafe(|| {
            scan::check_unit_with(&linter, &relative_unit, &options, &open)
        }))
        .unwrap_or_else(|_| UnitReport {
            unit: relative_unit.clone(),
            sites: Vec::new(),
            texts: BTreeMap::new(),
            diagnostics: Vec::new(),
            messages: vec![iamprune_linter::Message {
                level: Level::Error,
                file: first.clone(),
                span: None,
                message:
                    "internal error: checking this file failed; please report it with the file"
                        .into(),
            }],
        });
        // Quick fixes are offered only when applying them all passes the same verification `fix` runs
        // before it writes; otherwise they are shown as display-only.
        let mut report = report;
        let has_fixes = report.diagnostics.iter().any(|d| {
            d.fix
                .as_ref()
                .is_some_and(|f| f.applicability == Applicability::Safe)
        });
        if has_fixes {
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
                scan::fix_unit(&linter, &report, &options)
            }));
            let verified =
                outcome.is_ok_and(|o| o.messages.iter().all(|m| m.level != Level::Error));
            if !verified {
                for fix in report.diagnostics.iter_mut().filter_map(|d| d.fix.as_mut()) {
                    fix.applicability = Applicability::DisplayOnly;
                }
            }
        }
        let config = &session.config;
        let texts: BTreeMap<PathBuf, String> = report
            .texts
            .iter()
            .map(|(p, t)| (absolute(p), t.clone()))
            .collect();
        let diagnostics: Vec<Diagnostic> = report
            .diagnostics
            .iter()
            .filter(|d| !config.is_ignored(d.rule))
            .map(|d| {
                let mut d = d.clone();
                d.severity = config.severity(d.rule);
                d.file = absolute(&d.file);
                for related in &mut d.related {
                    related.file = absolute(&related.file);
                }
                if let Some(fix) = &mut d.fix {
                    for edit in &mut fix.edits {
                        edit.file = absolute(&edit.file);
                    }
                }
                d
            })
            .collect();
        let messages: Vec<iamprune_linter::Message> = report
            .messages
            .iter()
            .map(|m| {
                let mut m = m.clone();
                m.file = absolute(&m.file);
                m
            })
            .collect();
        let previous = self
            .checks
            .remove(&unit.path)
            .map(|c| c.published)
            .unwrap_or_default();
        // A standalone check of a file this module now claims would publish over the module's.
        if unit.kind == UnitKind::TerraformModule {
            self.checks.retain(|_, c| {
                c.unit.kind != UnitKind::Template
                    || !c.unit.files.iter().all(|f| texts.contains_key(f))
            });
        }
        let mut checked = Checked {
            session: key,
            unit: unit.clone(),
            report,
            texts,
            diagnostics,
            messages,
            published: BTreeSet::new(),
        };
        let mut files: BTreeSet<PathBuf> = previous;
        files.extend(checked.unit.files.iter().cloned());
        files.extend(checked.texts.keys().cloned());
        files.extend(checked.diagnostics.iter().map(|d| d.file.clone()));
        files.extend(checked.messages.iter().map(|m| m.file.clone()));
        for file in files {
            let Some(document) = self.documents.get(&file) else {
                continue;
            };
            let text = checked.texts.get(&file).unwrap_or(&document.text);
            let lsp_diagnostics = self.file_diagnostics(&file, text, &checked);
            self.publish(&document.uri, Some(document.version), lsp_diagnostics)?;
            checked.published.insert(file);
        }
        self.checks.insert(unit.path.clone(), checked);
        Ok(())
    }

    fn publish(
        &self,
        uri: &lsp::Uri,
        version: Option<i32>,
        diagnostics: Vec<lsp::Diagnostic>,
    ) -> Result<(), ServerError> {
        self.notify(
            "textDocument/publishDiagnostics",
            lsp::PublishDiagnosticsParams {
                uri: uri.clone(),
                version,
                diagnostics,
            },
        )
    }

    /// The diagnostics of one open file: the rules' findings, and the errors (syntax, documents that
    /// are not policies) and notes that kept part of it from being checked.
    fn file_diagnostics(&self, file: &Path, text: &str, checked: &Checked) -> Vec<lsp::Diagnostic> {
        let map = LineMap::new(text);
        let mut out: Vec<lsp::Diagnostic> = checked
            .diagnostics
            .iter()
            .filter(|d| d.file == file)
            .map(|d| self.lsp_diagnostic(d, &map, checked))
            .collect();
        for message in checked.messages.iter().filter(|m| m.file == file) {
            let span = message.span.unwrap_or_default();
            out.push(lsp::Diagnostic {
                range: map.range(span, self.setup.encoding),
                severity: Some(match message.level {
                    Level::Error => lsp::DiagnosticSeverity::Error,
                    Level::Note => lsp::DiagnosticSeverity::Hint,
                }),
                source: Some("iamprune".into()),
                message: lsp::Message::String(message.message.clone()),
                ..Default::default()
            });
        }
        out
    }

    fn lsp_diagnostic(
        &self,
        diagnostic: &Diagnostic,
        map: &LineMap<'_>,
        checked: &Checked,
    ) -> lsp::Diagnostic {
        let code = diagnostic.rule.code();
        let related: Vec<lsp::DiagnosticRelatedInformation> = diagnostic
            .related
            .iter()
            .filter_map(|related| {
                let text = self.text_of(&related.file, checked)?;
                let uri = self.uri_of(&related.file)?;
                Some(lsp::DiagnosticRelatedInformation {
                    location: lsp::Location {
                        uri,
                        range: LineMap::new(&text).range(related.span, self.setup.encoding),
                    },
                    message: related.message.clone(),
                })
            })
            .collect();
        let unnecessary = matches!(
            diagnostic.rule,
            Rule::UnusedAction | Rule::UnusedService | Rule::RedundantAction
        );
        lsp::Diagnostic {
            range: map.range(diagnostic.span, self.setup.encoding),
            severity: Some(match diagnostic.severity {
                iamprune_linter::Severity::Error => lsp::DiagnosticSeverity::Error,
                iamprune_linter::Severity::Warning => lsp::DiagnosticSeverity::Warning,
                iamprune_linter::Severity::Info => lsp::DiagnosticSeverity::Information,
            }),
            code: Some(lsp::Code::String(code.to_string())),
            code_description: lsp::Uri::parse(&format!("{RULE_URL}{code}.md"))
                .ok()
                .map(|href| lsp::CodeDescription { href }),
            source: Some("iamprune".into()),
            message: lsp::Message::String(diagnostic.message.clone()),
            tags: unnecessary.then(|| vec![lsp::DiagnosticTag::Unnecessary]),
            related_information: (!related.is_empty()).then_some(related),
            data: None,
        }
    }

    /// The check whose diagnostics cover a file.
    pub fn check_of(&self, path: &Path) -> Option<&Checked> {
        self.checks
            .values()
            .find(|c| c.published.contains(path))
            .or_else(|| {
                self.checks
                    .values()
                    .find(|c| c.unit.files.iter().any(|f| f == path))
            })
    }

    /// A file's text as the last check saw it: the editor's buffer for the files of the unit (the
    /// check used it), the disk for files read through them (a `file()` target).
    fn text_of(&self, path: &Path, checked: &Checked) -> Option<String> {
        if let Some(text) = checked.texts.get(path) {
            return Some(text.clone());
        }
        if let Some(document) = self.documents.get(path) {
            return Some(document.text.clone());
        }
        scan::read_text(path).ok()
    }

    fn uri_of(&self, path: &Path) -> Option<lsp::Uri> {
        match self.documents.get(path) {
            Some(document) => Some(document.uri.clone()),
            None => lsp::Uri::from_file_path(path).ok(),
        }
    }
}

/// Whether the server checks files of this name.
fn is_checked(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    EXTENSIONS.iter().any(|ext| name.ends_with(ext))
}

/// Whether the client asked for actions of `kind`: a requested kind covers itself and the kinds under
/// it (`source` covers `source.fixAll.iamprune`).
fn kind_wanted(only: Option<&[lsp::CodeActionKind]>, kind: &str) -> bool {
    let Some(only) = only else {
        return true;
    };
    only.iter().any(|requested| {
        let requested = String::from(requested.clone());
        requested.is_empty()
            || kind == requested
            || kind
                .strip_prefix(requested.as_str())
                .is_some_and(|rest| rest.starts_with('.'))
    })
}

fn apply_change(
    text: &mut String,
    change: lsp::TextDocumentContentChangeEvent,
    encoding: Encoding,
) {
    match change {
        lsp::TextDocumentContentChangeEvent::TextDocumentContentChangeWholeDocument(whole) => {
            *text = whole.text;
        }
        lsp::TextDocumentContentChangeEvent::TextDocumentContentChangePartial(partial) => {
            let span: Span = LineMap::new(text).span(partial.range, encoding);
            text.replace_range(span.range(), &partial.text);
        }
    }
}

fn params<P: serde::de::DeserializeOwned>(request: &Request) -> Result<P, RequestError> {
    serde_json::from_value(request.params.clone()).map_err(|e| {
        RequestError::new(
            ErrorCode::InvalidParams,
            format!("invalid params for `{}`: {e}", request.method),
        )
    })
}

fn to_value(value: &impl serde::Serialize) -> Result<Value, RequestError> {
    serde_json::to_value(value)
        .map_err(|e| RequestError::new(ErrorCode::InternalError, e.to_string()))
}

fn path_of_uri(uri: &lsp::Uri) -> Result<PathBuf, RequestError> {
    uri.to_file_path()
        .map(|p| canonical(&p))
        .map_err(|()| RequestError::new(ErrorCode::InvalidParams, format!("not a file: {uri}")))
}

fn path_of_uri_str(uri: &str) -> Option<PathBuf> {
    path_of_uri(&lsp::Uri::parse(uri).ok()?).ok()
}

/// Paths are compared canonical, as `iamprune.toml` is found: a symlinked directory must not make
/// two documents of one file. A file not yet on disk keeps its path.
fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A path under the working directory made relative to it, as the extractors report such paths.
fn relative(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
}

/// The extractors report some paths relative to the working directory; the server works with
/// absolute ones.
fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    std::env::current_dir()
        .map(|cwd| canonical(&cwd.join(path)))
        .unwrap_or_else(|_| path.to_path_buf())
}
