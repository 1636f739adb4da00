//! The main loop: messages in the order they arrive, each request and notification dispatched by its
//! type to one handler, behind one panic guard per entry point.
//!
//! Everything runs on one thread, so answers computed in order are never older than the buffers they
//! describe. Checks are coalesced and interruptible: an edit marks its file pending; pending files are
//! checked once the queue is empty, and a check stops as soon as a newer edit (or a hover) arrives, so
//! a burst of keystrokes costs one check and the last one's diagnostics come first. Diagnostics are
//! published before the unit's fixes are verified; the verification runs when nothing else waits, or
//! at once when a code action asks for the fixes.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crossbeam_channel::TryRecvError;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use serde_json::Value;

use iamprune_linter::Workspace;

use crate::ServerError;
use crate::checks::UnitCheck;
use crate::handlers;
use crate::setup::ClientSetup;
use crate::workspace_check::WorkspaceChecks;

/// An open document, as the editor has it; its text is the workspace's buffer.
pub struct Document {
    pub uri: lsp::Uri,
    pub version: i32,
}

/// An error answered to a request instead of a result.
pub struct RequestError {
    pub code: ErrorCode,
    pub message: String,
}

impl RequestError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        RequestError {
            code,
            message: message.into(),
        }
    }
}

/// How long the editor must be quiet before fixes are verified in the background.
const VERIFY_AFTER: Duration = Duration::from_millis(300);

pub struct Server<'c> {
    connection: &'c Connection,
    pub setup: ClientSetup,
    pub workspace: Workspace,
    pub documents: BTreeMap<PathBuf, Document>,
    /// The last check of each unit, by unit path, kept for code actions and hovers.
    pub checks: BTreeMap<PathBuf, UnitCheck>,
    /// Open files whose units must be checked before the next request is answered.
    pub pending: BTreeSet<PathBuf>,
    /// Sends everything the server sends, in order.
    pub(crate) publisher: crate::transport::Publisher,
    /// Messages taken off the connection while a check asked whether to stop, in order, to be handled
    /// before any other.
    pub stash: Rc<RefCell<VecDeque<Message>>>,
    /// When a document was last opened or changed.
    pub last_edit: Instant,
    /// Diagnostics for the files that are not open.
    pub workspace_checks: WorkspaceChecks,
    shutdown: bool,
    next_request: u64,
}

impl<'c> Server<'c> {
    pub fn new(connection: &'c Connection, setup: ClientSetup) -> Self {
        let mut workspace = Workspace::for_editor(setup.roots.clone());
        let workspace_diagnostics = match &setup.settings {
            Ok(Some(settings)) => settings.workspace_diagnostics,
            _ => true,
        };
        if let Ok(Some(settings)) = &setup.settings {
            // What is wrong with them is said once the client is initialized.
            workspace.set_settings(
                settings
                    .to_settings(setup.roots.first().map(PathBuf::as_path))
                    .0,
            );
        }
        Server {
            connection,
            workspace,
            setup,
            documents: BTreeMap::new(),
            checks: BTreeMap::new(),
            pending: BTreeSet::new(),
            publisher: crate::transport::Publisher::new(connection),
            stash: Rc::default(),
            last_edit: Instant::now(),
            workspace_checks: WorkspaceChecks::new(workspace_diagnostics),
            shutdown: false,
            next_request: 0,
        }
    }

    pub fn run(mut self) -> Result<(), ServerError> {
        loop {
            let stashed = self.stash.borrow_mut().pop_front();
            let message = match stashed {
                Some(message) => message,
                None => match self.next_message()? {
                    Some(message) => message,
                    None => return Ok(()),
                },
            };
            match message {
                Message::Request(request) => self.on_request(request)?,
                Message::Notification(notification) if notification.method == "exit" => {
                    return if self.shutdown {
                        Ok(())
                    } else {
                        Err(ServerError::ExitWithoutShutdown)
                    };
                }
                Message::Notification(notification) => self.on_notification(notification)?,
                // Replies to the server's own requests (capability registration): nothing to do.
                Message::Response(response) => self.on_response(response)?,
            }
        }
    }

    fn on_request(&mut self, request: Request) -> Result<(), ServerError> {
        if request.method == "shutdown" {
            // Nobody will read diagnostics published from now on.
            self.shutdown = true;
            self.pending.clear();
            return self.send(Response::new_ok(request.id, Value::Null).into());
        }
        if self.shutdown {
            let error = RequestError::new(ErrorCode::InvalidRequest, "the server is shutting down");
            return self.respond(request.id, Err(error));
        }
        match request.method.as_str() {
            // Answered from the last check, where what is asked about did not change since; a file
            // never checked yet is checked first.
            "textDocument/hover" => {
                let never_checked = request
                    .params
                    .pointer("/textDocument/uri")
                    .and_then(Value::as_str)
                    .and_then(crate::proto::path_of_uri_str)
                    .is_some_and(|path| self.check_of(&path).is_none());
                if never_checked {
                    self.flush(false)?;
                }
            }
            // The fixes offered must be those of the newest text, verified; a client that resolves
            // edits gets them listed at once, and verified when it resolves one.
            "textDocument/codeAction" if self.setup.resolve_edits => {
                self.flush(false)?;
            }
            "textDocument/codeAction" | "codeAction/resolve" => {
                self.flush(false)?;
                self.verify_checks(false)?;
            }
            _ => {
                self.flush(false)?;
            }
        }
        let id = request.id.clone();
        let method = request.method.clone();
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| self.dispatch(request)))
            .unwrap_or_else(|_| {
                Err(RequestError::new(
                    ErrorCode::InternalError,
                    format!("internal error answering `{method}`"),
                ))
            });
        self.respond(id, result)
    }

    fn dispatch(&mut self, request: Request) -> Result<Value, RequestError> {
        RequestDispatcher {
            server: self,
            request: Some(request),
            answer: None,
        }
        .on::<lsp::CodeActionRequest>(handlers::code_actions)
        .on::<lsp::CodeActionResolveRequest>(handlers::resolve_code_action)
        .on::<lsp::HoverRequest>(handlers::hover)
        .on_mut::<lsp::ExecuteCommandRequest>(handlers::execute_command)
        .finish()
    }

    fn on_notification(&mut self, notification: Notification) -> Result<(), ServerError> {
        let method = notification.method.clone();
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            NotificationDispatcher {
                server: self,
                notification: Some(notification),
                result: Ok(()),
            }
            .on::<lsp::InitializedNotification>(handlers::initialized)
            .on::<lsp::DidOpenTextDocumentNotification>(handlers::did_open)
            .on::<lsp::DidChangeTextDocumentNotification>(handlers::did_change)
            .on::<lsp::DidSaveTextDocumentNotification>(handlers::did_save)
            .on::<lsp::DidCloseTextDocumentNotification>(handlers::did_close)
            .on::<lsp::DidChangeWatchedFilesNotification>(handlers::did_change_watched_files)
            .on::<lsp::DidChangeConfigurationNotification>(handlers::did_change_configuration)
            .on::<lsp::DidChangeWorkspaceFoldersNotification>(
                handlers::did_change_workspace_folders,
            )
            .finish()
        }));
        match outcome {
            Ok(result) => result,
            Err(_) => self.log(
                lsp::MessageType::Error,
                format!("internal error handling `{method}`"),
            ),
        }
    }

    fn respond(
        &self,
        id: RequestId,
        result: Result<Value, RequestError>,
    ) -> Result<(), ServerError> {
        let response = match result {
            Ok(value) => Response::new_ok(id, value),
            Err(error) => Response::new_err(id, error.code as i32, error.message),
        };
        self.send(response.into())
    }

    fn send(&self, message: Message) -> Result<(), ServerError> {
        self.publisher
            .send(crate::transport::Outgoing::Message(message))
    }

    pub fn connection(&self) -> &Connection {
        self.connection
    }

    pub fn notify(&self, method: &str, params: impl serde::Serialize) -> Result<(), ServerError> {
        self.send(Notification::new(method.to_string(), params).into())
    }

    pub fn log(&self, kind: lsp::MessageType, message: String) -> Result<(), ServerError> {
        self.notify("window/logMessage", lsp::LogMessageParams { kind, message })
    }

    /// A check or a verification stops when this says so: a newer text, or a hover to answer, waits.
    /// Messages looked at are kept, in order, for the main loop.
    pub fn interrupt_asked(&self) -> impl Fn() -> bool + use<> {
        let receiver = self.connection.receiver.clone();
        let stash = Rc::clone(&self.stash);
        move || {
            while let Ok(message) = receiver.try_recv() {
                stash.borrow_mut().push_back(message);
            }
            stash.borrow().iter().any(interrupts)
        }
    }

    /// The next message from the client, doing the background work (checks, then verifications) while
    /// none waits. `None`: the client is gone.
    fn next_message(&mut self) -> Result<Option<Message>, ServerError> {
        let receiver = self.connection.receiver.clone();
        loop {
            if self.pending.is_empty() {
                self.start_workspace_check()?;
            }
            type Work<'c> = fn(&mut Server<'c>, bool) -> Result<bool, ServerError>;
            let work: Work<'c> = if !self.pending.is_empty() {
                Server::flush
            } else if self.checks.values().all(|c| c.report.verified) {
                match self.wait(None)? {
                    Waited::Message(message) => return Ok(Some(message)),
                    Waited::Gone => return Ok(None),
                    Waited::Other => continue,
                }
            } else {
                // Verifying re-reads the fixed text, which cannot be interrupted midway: it waits until
                // the editor has been quiet a moment, so that it does not delay the next keystroke's
                // check.
                let quiet = self.last_edit.elapsed();
                if quiet < VERIFY_AFTER {
                    match self.wait(Some(VERIFY_AFTER - quiet))? {
                        Waited::Message(message) => return Ok(Some(message)),
                        Waited::Gone => return Ok(None),
                        Waited::Other => continue,
                    }
                }
                Server::verify_checks
            };
            match receiver.try_recv() {
                Ok(message) => return Ok(Some(message)),
                Err(TryRecvError::Empty) => {
                    // Interrupted: what interrupted it comes first.
                    work(self, true)?;
                    let stashed = self.stash.borrow_mut().pop_front();
                    if stashed.is_some() {
                        return Ok(stashed);
                    }
                }
                Err(TryRecvError::Disconnected) => return Ok(None),
            }
        }
    }

    /// Waits for a message from the client, the end of a workspace check (handled here), or `timeout`.
    fn wait(&mut self, timeout: Option<Duration>) -> Result<Waited, ServerError> {
        let never = crossbeam_channel::never();
        let workspace = self.workspace_checks.receiver().cloned().unwrap_or(never);
        let timeout = timeout.map_or_else(crossbeam_channel::never, crossbeam_channel::after);
        crossbeam_channel::select! {
            recv(self.connection.receiver) -> message => Ok(message.map_or(Waited::Gone, Waited::Message)),
            recv(workspace) -> published => {
                // A check whose thread died unheard of publishes nothing.
                self.workspace_checked(published.ok())?;
                Ok(Waited::Other)
            }
            recv(timeout) -> _ => Ok(Waited::Other),
        }
    }

    /// Sends a request of the server's own (capability registration); its reply is not waited for.
    pub fn send_request(&mut self, method: &str, params: Value) -> Result<RequestId, ServerError> {
        self.next_request += 1;
        let id = RequestId::from(format!("iamprune-{}", self.next_request));
        self.send(Request::new(id.clone(), method.into(), params).into())?;
        Ok(id)
    }
}

/// What [`Server::wait`] saw.
enum Waited {
    Message(Message),
    /// The client is gone.
    Gone,
    /// The time ran out, or a workspace check ended.
    Other,
}

/// Whether a message makes the check under way stale, or asks what should be answered at once.
fn interrupts(message: &Message) -> bool {
    match message {
        Message::Request(request) => {
            matches!(request.method.as_str(), "textDocument/hover" | "shutdown")
        }
        Message::Notification(notification) => matches!(
            notification.method.as_str(),
            "textDocument/didOpen"
                | "textDocument/didChange"
                | "textDocument/didSave"
                | "textDocument/didClose"
                | "workspace/didChangeWatchedFiles"
                | "workspace/didChangeConfiguration"
                | "workspace/didChangeWorkspaceFolders"
                | "exit"
        ),
        Message::Response(_) => false,
    }
}

fn parse_params<R: lsp::Request>(request: &Request) -> Result<R::Params, RequestError> {
    serde_json::from_value::<R::Params>(request.params.clone()).map_err(|e| {
        RequestError::new(
            ErrorCode::InvalidParams,
            format!("invalid params for `{}`: {e}", request.method),
        )
    })
}

fn answer<T: serde::Serialize>(result: Result<T, RequestError>) -> Result<Value, RequestError> {
    result.and_then(|result| {
        serde_json::to_value(result)
            .map_err(|e| RequestError::new(ErrorCode::InternalError, e.to_string()))
    })
}

/// Routes a request to the handler of its type, with its params parsed.
struct RequestDispatcher<'s, 'c> {
    server: &'s mut Server<'c>,
    /// `None` once a handler took it.
    request: Option<Request>,
    answer: Option<Result<Value, RequestError>>,
}

impl RequestDispatcher<'_, '_> {
    fn on<R: lsp::Request>(
        mut self,
        handler: fn(&Server<'_>, R::Params) -> Result<R::Result, RequestError>,
    ) -> Self {
        let Some(request) = self.request.take_if(|r| r.method == R::METHOD.as_str()) else {
            return self;
        };
        let result =
            parse_params::<R>(&request).and_then(|params| answer(handler(self.server, params)));
        self.answer = Some(result);
        self
    }

    /// As [`on`](Self::on), for a handler that changes the server's state.
    fn on_mut<R: lsp::Request>(
        mut self,
        handler: fn(&mut Server<'_>, R::Params) -> Result<R::Result, RequestError>,
    ) -> Self {
        let Some(request) = self.request.take_if(|r| r.method == R::METHOD.as_str()) else {
            return self;
        };
        let result =
            parse_params::<R>(&request).and_then(|params| answer(handler(self.server, params)));
        self.answer = Some(result);
        self
    }

    fn finish(self) -> Result<Value, RequestError> {
        match (self.answer, self.request) {
            (Some(answer), _) => answer,
            (None, request) => Err(RequestError::new(
                ErrorCode::MethodNotFound,
                format!(
                    "unsupported method `{}`",
                    request.map(|r| r.method).unwrap_or_default()
                ),
            )),
        }
    }
}

/// Routes a notification to the handler of its type; params that do not parse are logged and the
/// notification dropped, never fatal.
struct NotificationDispatcher<'s, 'c> {
    server: &'s mut Server<'c>,
    notification: Option<Notification>,
    result: Result<(), ServerError>,
}

impl NotificationDispatcher<'_, '_> {
    fn on<N: lsp::Notification>(
        mut self,
        handler: fn(&mut Server<'_>, N::Params) -> Result<(), ServerError>,
    ) -> Self {
        let Some(notification) = self
            .notification
            .take_if(|n| n.method == N::METHOD.as_str())
        else {
            return self;
        };
        self.result = match serde_json::from_value::<N::Params>(notification.params) {
            Ok(params) => handler(self.server, params),
            Err(e) => self.server.log(
                lsp::MessageType::Warning,
                format!("ignored `{}`: {e}", notification.method),
            ),
        };
        self
    }

    /// Cancellation cannot interrupt a synchronous check, and the other notifications are not used.
    fn finish(self) -> Result<(), ServerError> {
        self.result
    }
}
