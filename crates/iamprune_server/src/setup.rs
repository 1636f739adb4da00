//! What the client said at `initialize`, and what the server answers it can do.

use std::path::{Path, PathBuf};

use lsp_types as lsp;
use serde_json::Value;

use crate::position::Encoding;
use crate::proto::{canonical, path_of_uri_str};
use crate::settings::EditorSettings;

/// The code action kind of "fix everything iamprune can fix in this file".
pub const FIX_ALL_KIND: &str = "source.fixAll.iamprune";

/// The command that reads the configuration, findings, deployments and catalog again.
pub const RELOAD_COMMAND: &str = "iamprune.reloadFindings";

/// What the client said at `initialize` that the server needs later.
pub struct ClientSetup {
    pub encoding: Encoding,
    pub roots: Vec<PathBuf>,
    /// The client can watch files for the server (`workspace/didChangeWatchedFiles` with dynamic
    /// registration); otherwise the configuration is reloaded when it is saved in the editor.
    pub watch_files: bool,
    /// The client resolves a code action's edit on demand (`codeAction/resolve`): fix-all, whose
    /// edit spans the whole file, is then computed only when it is chosen.
    pub resolve_edits: bool,
    /// The client shows the progress of work the server starts (`window.workDoneProgress`).
    pub progress: bool,
    /// The editor's settings at start (`initializationOptions`), or why they were not taken.
    pub settings: Result<Option<EditorSettings>, String>,
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
        let resolve_edits = params
            .pointer("/capabilities/textDocument/codeAction/resolveSupport/properties")
            .and_then(Value::as_array)
            .is_some_and(|properties| properties.iter().any(|p| p == "edit"));
        let settings = params
            .get("initializationOptions")
            .map_or(Ok(None), EditorSettings::from_value);
        let progress = params
            .pointer("/capabilities/window/workDoneProgress")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        ClientSetup {
            progress,
            encoding: Encoding::negotiate(&offered),
            roots,
            watch_files,
            resolve_edits,
            settings,
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
                    // A keystroke in a large template sends the range it changed, not the template.
                    change: Some(lsp::TextDocumentSyncKind::Incremental),
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
                    resolve_provider: Some(self.resolve_edits),
                    ..Default::default()
                },
            )),
            hover_provider: Some(lsp::HoverProvider::Bool(true)),
            execute_command_provider: Some(lsp::ExecuteCommandOptions {
                commands: vec![RELOAD_COMMAND.into()],
                ..Default::default()
            }),
            workspace: Some(lsp::WorkspaceOptions {
                workspace_folders: Some(lsp::WorkspaceFoldersServerCapabilities {
                    supported: Some(true),
                    change_notifications: Some(lsp::ChangeNotifications::Bool(true)),
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }
}

/// The registration of the file watcher: every file a check can depend on.
pub fn watch_registration() -> Value {
    let watchers: Vec<Value> = iamprune_linter::files::FileKind::watch_globs()
        .iter()
        .map(|glob| serde_json::json!({ "globPattern": glob }))
        .collect();
    serde_json::json!({
        "registrations": [{
            "id": "iamprune-watched-files",
            "method": "workspace/didChangeWatchedFiles",
            "registerOptions": { "watchers": watchers },
        }]
    })
}
