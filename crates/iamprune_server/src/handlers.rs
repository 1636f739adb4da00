//! One handler per request and notification the server answers.

use std::path::PathBuf;

use lsp_types as lsp;

use iamprune_linter::{Applicability, Diagnostic};

use crate::ServerError;
use crate::checks::CheckFiles;
use crate::hover;
use crate::main_loop::{Document, RequestError, Server};
use crate::position::LineMap;
use crate::proto::{self, path_of_uri};
use crate::settings::EditorSettings;
use crate::setup::{FIX_ALL_KIND, RELOAD_COMMAND, watch_registration};
use iamprune_syntax::Change;

// --- requests ---------------------------------------------------------------------------------------

/// Each safe fix in range as a quick fix, and every non-overlapping safe fix of the file as
/// `source.fixAll.iamprune`. The engine offers a fix as safe only once the unit's fixes passed the
/// verification `fix` runs before it writes: a client that resolves edits gets the actions listed as
/// soon as the text is checked, and their edits once verified (`codeAction/resolve`); another client's
/// request waits for the verification.
pub fn code_actions(
    server: &Server<'_>,
    params: lsp::CodeActionParams,
) -> Result<Option<Vec<lsp::CodeActionResponse>>, RequestError> {
    // Documents that are not files (untitled buffers) are never checked: nothing to offer.
    let Some(path) = path_of_uri(&params.text_document.uri) else {
        return Ok(Some(Vec::new()));
    };
    let lazy = server.setup.resolve_edits;
    let Some(check) = server.check_of(&path).filter(|c| c.report.verified || lazy) else {
        return Ok(Some(Vec::new()));
    };
    let Some(text) = server.text_of(&path, check) else {
        return Ok(Some(Vec::new()));
    };
    let encoding = server.setup.encoding;
    let map = LineMap::new(&text);
    let wanted = map.span(params.range, encoding);
    let only = params.context.only.as_deref();
    let files = CheckFiles { server, check };
    let file_diagnostics: Vec<&Diagnostic> = check
        .report
        .diagnostics
        .iter()
        .filter(|d| d.file == path)
        .collect();
    let mut actions = Vec::new();
    if kind_wanted(only, "quickfix") {
        for diagnostic in &file_diagnostics {
            let in_range =
                diagnostic.span.start <= wanted.end && wanted.start <= diagnostic.span.end;
            let Some(fix) = diagnostic.fix.as_ref().filter(|f| {
                in_range && f.applicability == Applicability::Safe && !f.edits.is_empty()
            }) else {
                continue;
            };
            // Not verified yet: listed, its edit resolved once it is.
            let (edit, data) = if check.report.verified {
                let edits = [(diagnostic.file.as_path(), fix.edits.as_slice())];
                let Some(edit) = proto::workspace_edit(edits, encoding, &files) else {
                    continue;
                };
                (Some(edit), None)
            } else {
                let data = serde_json::json!({ "quickFix": {
                    "uri": params.text_document.uri.as_str(),
                    "rule": diagnostic.rule.code(),
                    "start": diagnostic.span.start,
                    "end": diagnostic.span.end,
                    "title": fix.title,
                }});
                (None, Some(data))
            };
            actions.push(lsp::CodeActionResponse::CodeAction(lsp::CodeAction {
                title: fix.title.clone(),
                kind: Some(lsp::CodeActionKind::QuickFix),
                diagnostics: Some(vec![proto::diagnostic(diagnostic, &map, encoding, &files)]),
                is_preferred: Some(true),
                edit,
                data,
                ..Default::default()
            }));
        }
    }
    if kind_wanted(only, "quickfix") {
        actions.extend(ignore_actions(
            server, check, &path, &text, wanted, &map, &files,
        ));
    }
    if kind_wanted(only, FIX_ALL_KIND) {
        let any_safe = file_diagnostics.iter().any(|d| {
            d.fix
                .as_ref()
                .is_some_and(|f| f.applicability == Applicability::Safe && !f.edits.is_empty())
        });
        // A client that resolves edits gets fix-all without its edit, which spans the whole file and
        // is asked for every time the lightbulb is; `codeAction/resolve` computes it once chosen.
        let edit = if server.setup.resolve_edits {
            None
        } else {
            fix_all_edit(server, &path)
        };
        if any_safe && (server.setup.resolve_edits || edit.is_some()) {
            actions.push(lsp::CodeActionResponse::CodeAction(lsp::CodeAction {
                title: FIX_ALL_TITLE.into(),
                kind: Some(lsp::CodeActionKind::Custom(FIX_ALL_KIND.into())),
                edit,
                data: server
                    .setup
                    .resolve_edits
                    .then(|| serde_json::json!({ "fixAll": params.text_document.uri.as_str() })),
                ..Default::default()
            }));
        }
    }
    Ok(Some(actions))
}

const FIX_ALL_TITLE: &str = "Fix all safe iamprune problems";

/// "Ignore IAMxxx here" for each diagnostic in range whose file has line comments: the suppression
/// comment above it, with a reason for the user to write.
fn ignore_actions(
    server: &Server<'_>,
    check: &crate::checks::UnitCheck,
    path: &std::path::Path,
    text: &str,
    wanted: iamprune_syntax::Span,
    map: &LineMap,
    files: &CheckFiles<'_, '_>,
) -> Vec<lsp::CodeActionResponse> {
    let encoding = server.setup.encoding;
    let in_range = |d: &&Diagnostic| {
        d.file == path && d.span.start <= wanted.end && wanted.start <= d.span.end
    };
    let mut actions = Vec::new();
    for diagnostic in check.report.diagnostics.iter().filter(in_range) {
        let Some(site) = check.report.sites.iter().find(|s| {
            s.file == path
                && s.document.span.start <= diagnostic.span.start
                && diagnostic.span.start <= s.document.span.end
        }) else {
            continue;
        };
        let Some(edit) = iamprune_linter::suppress::ignore_edit(
            text,
            &site.syntax,
            diagnostic.rule,
            diagnostic.span,
        ) else {
            continue;
        };
        let edits = [(path, std::slice::from_ref(&edit))];
        let Some(edit) = proto::workspace_edit(edits, encoding, files) else {
            continue;
        };
        actions.push(lsp::CodeActionResponse::CodeAction(lsp::CodeAction {
            title: format!(
                "Ignore {} here (write the reason in the comment)",
                diagnostic.rule.code()
            ),
            kind: Some(lsp::CodeActionKind::QuickFix),
            diagnostics: Some(vec![proto::diagnostic(diagnostic, map, encoding, files)]),
            edit: Some(edit),
            ..Default::default()
        }));
    }
    actions
}

/// The edit of fix-all for a file: every non-overlapping safe fix of its last check.
fn fix_all_edit(server: &Server<'_>, path: &std::path::Path) -> Option<lsp::WorkspaceEdit> {
    let check = server.check_of(path).filter(|c| c.report.verified)?;
    let files = CheckFiles { server, check };
    let owned: Vec<Diagnostic> = check
        .report
        .diagnostics
        .iter()
        .filter(|d| d.file == path)
        .cloned()
        .collect();
    let selected = iamprune_linter::fix::select(&owned);
    if selected.is_empty() {
        return None;
    }
    let edits = selected
        .iter()
        .map(|(file, edits)| (file.as_path(), edits.as_slice()));
    proto::workspace_edit(edits, server.setup.encoding, &files)
}

/// `codeAction/resolve`: the edit of an action offered without one (fix-all, or a quick fix listed
/// before its unit's fixes were verified), from the file's last check, verified. An action whose fix is
/// no longer there (the text changed) or did not pass the verification comes back without an edit.
pub fn resolve_code_action(
    server: &Server<'_>,
    mut action: lsp::CodeAction,
) -> Result<lsp::CodeAction, RequestError> {
    let data = action.data.clone().unwrap_or_default();
    if let Some(path) = data
        .get("fixAll")
        .and_then(serde_json::Value::as_str)
        .and_then(proto::path_of_uri_str)
    {
        action.edit = fix_all_edit(server, &path);
    }
    if let Some(quick_fix) = data.get("quickFix") {
        action.edit = quick_fix_edit(server, quick_fix);
    }
    Ok(action)
}

/// The edit of the quick fix `data` names (`uri`, `rule`, `start`, `end`, `title`), if the file's
/// last check, verified, still has it as a safe fix.
fn quick_fix_edit(server: &Server<'_>, data: &serde_json::Value) -> Option<lsp::WorkspaceEdit> {
    let path = data
        .get("uri")
        .and_then(serde_json::Value::as_str)
        .and_then(proto::path_of_uri_str)?;
    let check = server.check_of(&path).filter(|c| c.report.verified)?;
    let number = |key: &str| data.get(key).and_then(serde_json::Value::as_u64);
    let (start, end) = (number("start")?, number("end")?);
    let diagnostic = check.report.diagnostics.iter().find(|d| {
        d.file == path
            && d.rule.code()
                == data
                    .get("rule")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("")
            && (d.span.start as u64, d.span.end as u64) == (start, end)
    })?;
    let fix = diagnostic.fix.as_ref().filter(|f| {
        f.applicability == Applicability::Safe
            && !f.edits.is_empty()
            && data.get("title").and_then(serde_json::Value::as_str) == Some(f.title.as_str())
    })?;
    let files = CheckFiles { server, check };
    let edits = [(diagnostic.file.as_path(), fix.edits.as_slice())];
    proto::workspace_edit(edits, server.setup.encoding, &files)
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

/// What an action pattern grants, and what the findings say of it.
pub fn hover(
    server: &Server<'_>,
    params: lsp::HoverParams,
) -> Result<Option<lsp::Hover>, RequestError> {
    let position = params.text_document_position_params;
    let Some(path) = path_of_uri(&position.text_document.uri) else {
        return Ok(None);
    };
    let Some(check) = server.check_of(&path) else {
        return Ok(None);
    };
    let Some(text) = server.text_of(&path, check) else {
        return Ok(None);
    };
    let Some(project) = server.workspace.project(&check.project) else {
        return Ok(None);
    };
    // The last check may be of an older text than the editor's (a newer one is being checked): the
    // place asked about is found in it unless it lies in what changed since.
    let current = server.workspace.buffer(&path).unwrap_or(&text);
    let change = Change::between(&text, current);
    let encoding = server.setup.encoding;
    let current_map = LineMap::new(current);
    let offset = current_map.offset(position.position, encoding);
    let Some(offset) = change.to_old(offset) else {
        return Ok(None);
    };
    let Some((span, markdown)) = hover::at(project, &check.report, &path, offset) else {
        return Ok(None);
    };
    let (Some(start), Some(end)) = (change.to_new(span.start), change.to_new(span.end)) else {
        return Ok(None);
    };
    Ok(Some(lsp::Hover {
        contents: lsp::Contents::MarkupContent(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: markdown,
        }),
        range: Some(current_map.range(iamprune_syntax::Span::new(start, end), encoding)),
    }))
}

// --- notifications ----------------------------------------------------------------------------------

pub fn initialized(server: &mut Server<'_>, _: lsp::InitializedParams) -> Result<(), ServerError> {
    let problems = match &server.setup.settings {
        Ok(Some(settings)) => {
            settings
                .to_settings(server.workspace.roots().first().map(PathBuf::as_path))
                .1
        }
        Ok(None) => Vec::new(),
        Err(problem) => vec![problem.clone()],
    };
    server.show_warnings(&problems)?;
    if !server.setup.watch_files {
        return Ok(());
    }
    server
        .send_request("client/registerCapability", watch_registration())
        .map(drop)
}

/// New settings from the editor: everything is loaded again with them and the open files checked.
pub fn did_change_configuration(
    server: &mut Server<'_>,
    params: lsp::DidChangeConfigurationParams,
) -> Result<(), ServerError> {
    let editor = match EditorSettings::from_value(&params.settings) {
        Ok(Some(editor)) => editor,
        // Nothing of ours in it (a client that sends `null` and would be asked instead).
        Ok(None) => return Ok(()),
        Err(problem) => return server.show_warnings(&[problem]),
    };
    let (settings, problems) =
        editor.to_settings(server.workspace.roots().first().map(PathBuf::as_path));
    server.workspace.set_settings(settings);
    server.checks.clear();
    server.schedule_all();
    server.set_workspace_diagnostics(editor.workspace_diagnostics)?;
    server.workspace_checks.request();
    server.show_warnings(&problems)
}

/// Folders added to or removed from the editor's workspace: units are found under the new set.
pub fn did_change_workspace_folders(
    server: &mut Server<'_>,
    params: lsp::DidChangeWorkspaceFoldersParams,
) -> Result<(), ServerError> {
    let removed: Vec<PathBuf> = params
        .event
        .removed
        .iter()
        .filter_map(|f| path_of_uri(&f.uri))
        .collect();
    let mut roots: Vec<PathBuf> = server
        .workspace
        .roots()
        .iter()
        .filter(|r| !removed.contains(r))
        .cloned()
        .collect();
    for added in params
        .event
        .added
        .iter()
        .filter_map(|f| path_of_uri(&f.uri))
    {
        if !roots.contains(&added) {
            roots.push(added);
        }
    }
    server.workspace.set_roots(roots);
    server.schedule_all();
    server.workspace_checks.request();
    Ok(())
}

/// `iamprune.reloadFindings`: the configuration, findings, deployments and catalog are read again, and
/// the open files checked with them.
pub fn execute_command(
    server: &mut Server<'_>,
    params: lsp::ExecuteCommandParams,
) -> Result<Option<serde_json::Value>, RequestError> {
    if params.command != RELOAD_COMMAND {
        return Err(RequestError::new(
            lsp_server::ErrorCode::InvalidParams,
            format!("no command `{}`", params.command),
        ));
    }
    server.workspace.reload();
    server.checks.clear();
    server.schedule_all();
    server.workspace_checks.request();
    Ok(None)
}

pub fn did_open(
    server: &mut Server<'_>,
    params: lsp::DidOpenTextDocumentParams,
) -> Result<(), ServerError> {
    let Some(path) = path_of_uri(&params.text_document.uri) else {
        return Ok(());
    };
    server
        .workspace
        .set_buffer(path.clone(), params.text_document.text);
    server.documents.insert(
        path.clone(),
        Document {
            uri: params.text_document.uri,
            version: params.text_document.version,
        },
    );
    server.last_edit = std::time::Instant::now();
    server.schedule(path);
    Ok(())
}

pub fn did_change(
    server: &mut Server<'_>,
    params: lsp::DidChangeTextDocumentParams,
) -> Result<(), ServerError> {
    let Some(path) = path_of_uri(&params.text_document.text_document_identifier.uri) else {
        return Ok(());
    };
    let Some(document) = server.documents.get_mut(&path) else {
        return Ok(());
    };
    document.version = params.text_document.version;
    let mut text = server
        .workspace
        .buffer(&path)
        .unwrap_or_default()
        .to_string();
    for change in params.content_changes {
        proto::apply_change(&mut text, change, server.setup.encoding);
    }
    server.workspace.set_buffer(path.clone(), text);
    server.last_edit = std::time::Instant::now();
    server.schedule(path);
    Ok(())
}

/// Without file watching, saving the configuration or a findings file in the editor is how a change
/// to them reaches the server; with it, this is harmless.
pub fn did_save(
    server: &mut Server<'_>,
    params: lsp::DidSaveTextDocumentParams,
) -> Result<(), ServerError> {
    let Some(path) = path_of_uri(&params.text_document.uri) else {
        return Ok(());
    };
    files_changed(server, std::slice::from_ref(&path));
    server.schedule(path);
    Ok(())
}

pub fn did_close(
    server: &mut Server<'_>,
    params: lsp::DidCloseTextDocumentParams,
) -> Result<(), ServerError> {
    let Some(path) = path_of_uri(&params.text_document.uri) else {
        return Ok(());
    };
    let Some(document) = server.documents.remove(&path) else {
        return Ok(());
    };
    server.workspace.remove_buffer(&path);
    server.pending.remove(&path);
    // A closed file shows what the workspace check found in it (nothing when that is off).
    server.publish_workspace_result(&path, &document.uri)?;
    // The other open files of the unit now see the file as it is on disk.
    for other in server.forget(&path) {
        server.schedule(other);
    }
    Ok(())
}

pub fn did_change_watched_files(
    server: &mut Server<'_>,
    params: lsp::DidChangeWatchedFilesParams,
) -> Result<(), ServerError> {
    let paths: Vec<PathBuf> = params
        .changes
        .iter()
        .filter_map(|change| path_of_uri(&change.uri))
        .collect();
    files_changed(server, &paths);
    Ok(())
}

/// Files changed on disk, were created or deleted (or were saved): what the workspace loaded from
/// them goes, and what depends on them is checked again.
fn files_changed(server: &mut Server<'_>, paths: &[PathBuf]) {
    server.workspace_checks.request();
    if server.workspace.files_changed(paths) {
        server.schedule_all();
        return;
    }
    // A file of a checked unit changed on disk, and the editor does not hold it: the unit reads it
    // from disk, so its open files are checked again.
    let stale: Vec<PathBuf> = paths
        .iter()
        .filter(|path| !server.documents.contains_key(*path))
        .flat_map(|path| {
            server
                .checks
                .values()
                .filter(|c| c.report.unit.contains(path) || c.report.texts.contains_key(path))
                .flat_map(|c| c.published.iter().cloned())
                .collect::<Vec<_>>()
        })
        .collect();
    for file in stale {
        server.schedule(file);
    }
}
