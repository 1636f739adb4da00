//! The iamprune language server: the diagnostics of `iamprune check` as the editor's squiggles, the
//! safe fixes of `iamprune fix` as quick fixes, and hovers on action patterns.
//!
//! - `initialize` negotiates the position encoding: UTF-8 when the client offers it, else UTF-16.
//! - Opening, editing or saving a `.tf`, `.tf.json`, `.json`, `.yaml`, `.yml`, `.template` or `.cfn` file
//!   checks its unit through the engine's workspace, exactly as `iamprune check` of the project's root
//!   would (Terraform modules that call each other, the module that reads a policy file, the template),
//!   with every open buffer in place of the file on disk, and publishes the diagnostics of each of its
//!   open files.
//! - The configuration (`iamprune.toml`), the catalog and the findings are loaded once per
//!   configuration, and again when one of their files changes (`workspace/didChangeWatchedFiles`, or
//!   a save in the editor); a source file created or deleted on disk regroups the units and rechecks
//!   the open files.
//! - `textDocument/codeAction` offers each safe fix in range as a quick fix, and every non-overlapping
//!   safe fix of the file as `source.fixAll.iamprune`; a fix is safe once the engine applied the unit's
//!   fixes and verified the result, as `iamprune fix` does before it writes.
//! - `textDocument/hover` on an action pattern shows the catalog actions it matches and, with
//!   findings, how many of them are unused and what the pattern would be narrowed to.
//!
//! A request that fails is answered with an error; nothing a client sends or a file holds stops the
//! server.

mod checks;
mod handlers;
mod hover;
mod main_loop;
mod position;
mod proto;
mod settings;
mod setup;
mod transport;
mod workspace_check;

use lsp_server::{Connection, ErrorCode, Message, Response};

pub use position::{Encoding, LineMap};
pub use setup::{FIX_ALL_KIND, RELOAD_COMMAND};

/// Why the server stopped other than by `shutdown` and `exit`.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("the client closed the connection")]
    Disconnected,
    #[error("the client sent `exit` without `shutdown`")]
    ExitWithoutShutdown,
    #[error("I/O error on the client connection: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves one client on standard input and output until it exits.
pub fn run_stdio() -> Result<(), ServerError> {
    let (connection, io_threads) = transport::stdio();
    run(connection)?;
    io_threads.join()?;
    Ok(())
}

/// Serves one client on `connection` until it sends `exit` (or the connection closes).
pub fn run(connection: Connection) -> Result<(), ServerError> {
    let Some(request) = initialize(&connection)? else {
        return Ok(());
    };
    if let Some(pid) = request.params.get("processId").and_then(|p| p.as_u64()) {
        watch_parent(pid);
    }
    let setup = setup::ClientSetup::from_params(&request.params);
    let result = serde_json::json!({
        "capabilities": setup.capabilities(),
        "serverInfo": { "name": "iamprune", "version": env!("CARGO_PKG_VERSION") },
    });
    connection
        .sender
        .send(Response::new_ok(request.id, result).into())
        .map_err(|_| ServerError::Disconnected)?;
    main_loop::Server::new(&connection, setup).run()
}

/// Waits for `initialize` and returns its params with the request id, answering anything else that
/// comes first as the protocol asks. `None`: the client exited before initializing.
fn initialize(connection: &Connection) -> Result<Option<InitializeRequest>, ServerError> {
    loop {
        let message = connection
            .receiver
            .recv()
            .map_err(|_| ServerError::Disconnected)?;
        match message {
            Message::Request(request) if request.method == "initialize" => {
                return Ok(Some(InitializeRequest {
                    id: request.id,
                    params: request.params,
                }));
            }
            Message::Request(request) => {
                let response = Response::new_err(
                    request.id,
                    ErrorCode::ServerNotInitialized as i32,
                    format!("`{}` before `initialize`", request.method),
                );
                connection
                    .sender
                    .send(response.into())
                    .map_err(|_| ServerError::Disconnected)?;
            }
            Message::Notification(notification) if notification.method == "exit" => {
                return Ok(None);
            }
            Message::Notification(_) | Message::Response(_) => {}
        }
    }
}

/// Ends the server when the client that started it (`processId` of `initialize`) is gone without
/// saying `exit`, as the protocol asks, instead of leaving it running.
fn watch_parent(pid: u64) {
    use iamprune_linter::process::is_gone;
    // Where it cannot be told (not Unix), there is nothing to watch.
    if is_gone(pid).is_none() {
        return;
    }
    let _ = std::thread::Builder::new()
        .name("parent-watch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(std::time::Duration::from_secs(2));
                if is_gone(pid) == Some(true) {
                    eprintln!("iamprune server: the client (process {pid}) is gone; exiting");
                    std::process::exit(1);
                }
            }
        });
}

struct InitializeRequest {
    id: lsp_server::RequestId,
    params: serde_json::Value,
}
