//! The server in process, over `Connection::memory()`, as an editor drives it.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::Duration;

use iamprune_catalog::{Catalog, Pattern};
use iamprune_linter::{Settings, Workspace};
use iamprune_server::{Encoding, LineMap, ServerError};
use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use lsp_types::Position;
use serde_json::{Value, json};

type TestResult = Result<(), String>;

const WAIT: Duration = Duration::from_secs(30);

/// The client end of a server running on another thread.
struct Client {
    connection: Connection,
    server: Option<JoinHandle<Result<(), ServerError>>>,
    inbox: VecDeque<Notification>,
    next_id: i32,
}

impl Client {
    fn start(initialize: Value) -> Result<(Client, Value), String> {
        let (server, connection) = Connection::memory();
        let handle = std::thread::spawn(move || iamprune_server::run(server));
        let mut client = Client {
            connection,
            server: Some(handle),
            inbox: VecDeque::new(),
            next_id: 0,
        };
        let result = client.request_ok("initialize", initialize)?;
        client.notify("initialized", json!({}))?;
        Ok((client, result))
    }

    fn notify(&self, method: &str, params: Value) -> TestResult {
        self.connection
            .sender
            .send(Notification::new(method.into(), params).into())
            .map_err(|e| e.to_string())
    }

    fn request(&mut self, method: &str, params: Value) -> Result<Response, String> {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.connection
            .sender
            .send(Request::new(id.clone(), method.into(), params).into())
            .map_err(|e| e.to_string())?;
        loop {
            match self.receive()? {
                Message::Response(response) if response.id == id => return Ok(response),
                Message::Response(_) => {}
                Message::Notification(notification) => self.inbox.push_back(notification),
                Message::Request(request) => self.answer(request)?,
            }
        }
    }

    fn request_ok(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.request(method, params)?
            .response_result
            .map_err(|e| format!("`{method}` failed: {}", e.message))
    }

    /// The next diagnostics published for `uri`; other notifications stay for later.
    fn diagnostics(&mut self, uri: &str) -> Result<Vec<Value>, String> {
        let wanted = |n: &Notification| {
            n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri
        };
        loop {
            if let Some(at) = self.inbox.iter().position(wanted) {
                let notification = self.inbox.remove(at).ok_or("inbox")?;
                return notification.params["diagnostics"]
                    .as_array()
                    .cloned()
                    .ok_or_else(|| "diagnostics is not a list".to_string());
            }
            match self.receive()? {
                Message::Notification(n) => self.inbox.push_back(n),
                Message::Request(request) => self.answer(request)?,
                Message::Response(_) => {}
            }
        }
    }

    /// The notifications of `method` received so far, taken out of the inbox.
    fn take_messages(&mut self, method: &str) -> Vec<Value> {
        let (taken, kept): (Vec<_>, Vec<_>) =
            self.inbox.drain(..).partition(|n| n.method == method);
        self.inbox = kept.into();
        taken.into_iter().map(|n| n.params).collect()
    }

    /// Server-to-client requests (capability registration) get an empty success.
    fn answer(&self, request: Request) -> TestResult {
        self.connection
            .sender
            .send(Response::new_ok(request.id, Value::Null).into())
            .map_err(|e| e.to_string())
    }

    fn receive(&self) -> Result<Message, String> {
        self.connection
            .receiver
            .recv_timeout(WAIT)
            .map_err(|e| format!("no message from the server: {e}"))
    }

    fn open(&self, uri: &str, text: &str) -> TestResult {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "terraform", "version": 1, "text": text}}),
        )
    }

    fn change(&self, uri: &str, version: i32, text: &str) -> TestResult {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        )
    }

    /// `shutdown`, then `exit`; the server must end without an error.
    fn stop(mut self) -> TestResult {
        let result = self.request_ok("shutdown", Value::Null)?;
        if !result.is_null() {
            return Err(format!("shutdown answered {result}"));
        }
        self.notify("exit", Value::Null)?;
        let handle = self.server.take().ok_or("no server thread")?;
        match handle.join() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("the server ended with {e}")),
            Err(_) => Err("the server panicked".into()),
        }
    }
}

/// The workspace's diagnostics are off, so that every diagnostics a test waits for is its open file's
/// check; `files_not_open_get_the_diagnostics_of_check` turns them on.
fn initialize_params(encodings: &[&str], root: &Path) -> Value {
    json!({
        "processId": null,
        "rootUri": uri(root),
        "initializationOptions": {"workspaceDiagnostics": false},
        "capabilities": {
            "general": {"positionEncodings": encodings},
            "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}},
        },
    })
}

fn uri(path: &Path) -> String {
    lsp_types::Uri::from_file_path(path)
        .map(|u| u.to_string())
        .unwrap_or_default()
}

fn testdata(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(path)
}

/// A project with the seed policy in Terraform, the seed's findings, and a configuration naming them.
fn project() -> Result<(tempfile::TempDir, PathBuf, String), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = std::fs::canonicalize(dir.path()).map_err(|e| e.to_string())?;
    let copy = |from: &str, to: &str| {
        std::fs::copy(testdata(from), root.join(to))
            .map(drop)
            .map_err(|e| format!("{from}: {e}"))
    };
    copy("e2e/findings.json", "findings.json")?;
    copy("e2e/tf-jsonencode/main.tf", "main.tf")?;
    std::fs::write(
        root.join("iamprune.toml"),
        "account = \"123456789012\"\nfindings = [\"findings.json\"]\n",
    )
    .map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(root.join("main.tf")).map_err(|e| e.to_string())?;
    Ok((dir, root, text))
}

fn position(value: &Value) -> Result<Position, String> {
    serde_json::from_value(value.clone()).map_err(|e| e.to_string())
}

/// Applies LSP text edits (non-overlapping) to a text.
fn apply(text: &str, edits: &[Value], encoding: Encoding) -> Result<String, String> {
    let map = LineMap::new(text);
    let mut spans = Vec::new();
    for edit in edits {
        let start = map.offset(position(&edit["range"]["start"])?, encoding);
        let end = map.offset(position(&edit["range"]["end"])?, encoding);
        let new = edit["newText"].as_str().ok_or("newText")?.to_string();
        spans.push((start, end, new));
    }
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (start, end, new) in spans {
        out.replace_range(start..end, &new);
    }
    Ok(out)
}

fn range_of(text: &str, needle: &str, encoding: Encoding) -> Result<Value, String> {
    let start = text
        .find(needle)
        .ok_or(format!("`{needle}` not in the text"))?;
    let map = LineMap::new(text);
    let range = map.range(
        iamprune_syntax::Span::new(start, start + needle.len()),
        encoding,
    );
    serde_json::to_value(range).map_err(|e| e.to_string())
}

#[test]
fn initialize_prefers_utf8_and_falls_back_to_utf16() -> TestResult {
    let root = std::env::temp_dir();
    for (offered, expected) in [
        (&["utf-16", "utf-8"][..], "utf-8"),
        (&["utf-32", "utf-16"][..], "utf-16"),
        (&[][..], "utf-16"),
    ] {
        let (client, result) = Client::start(initialize_params(offered, &root))?;
        let capabilities = &result["capabilities"];
        if capabilities["positionEncoding"] != expected {
            return Err(format!("offered {offered:?}, got {capabilities}"));
        }
        if capabilities["textDocumentSync"]["change"] != 2
            || capabilities["hoverProvider"] != true
            || capabilities["codeActionProvider"]["codeActionKinds"]
                != json!(["quickfix", "source.fixAll.iamprune"])
        {
            return Err(format!("unexpected capabilities {capabilities}"));
        }
        if result["serverInfo"]["name"] != "iamprune" {
            return Err(format!("unexpected server info {result}"));
        }
        client.stop()?;
    }
    Ok(())
}

#[test]
fn requests_before_initialize_and_exit_without_shutdown() -> TestResult {
    let (server, connection) = Connection::memory();
    let handle = std::thread::spawn(move || iamprune_server::run(server));
    let send = |message: Message| connection.sender.send(message).map_err(|e| e.to_string());
    send(Request::new(RequestId::from(7), "textDocument/hover".into(), json!({})).into())?;
    match connection.receiver.recv_timeout(WAIT) {
        Ok(Message::Response(r)) if r.response_result.as_ref().is_err_and(|e| e.code == -32002) => {
        }
        other => return Err(format!("expected ServerNotInitialized, got {other:?}")),
    }
    send(
        Request::new(
            RequestId::from(8),
            "initialize".into(),
            json!({"capabilities": {}}),
        )
        .into(),
    )?;
    let _ = connection.receiver.recv_timeout(WAIT);
    send(Notification::new("exit".into(), Value::Null).into())?;
    match handle.join() {
        Ok(Err(ServerError::ExitWithoutShutdown)) => Ok(()),
        other => Err(format!("expected ExitWithoutShutdown, got {other:?}")),
    }
}

#[test]
fn diagnostics_quick_fix_fix_all_and_clearing() -> TestResult {
    let (_dir, root, text) = project()?;
    let encoding = Encoding::Utf16;
    let (mut client, _) = Client::start(initialize_params(&["utf-16"], &root))?;
    let main = uri(&root.join("main.tf"));
    client.open(&main, &text)?;
    let diagnostics = client.diagnostics(&main)?;

    let codes: Vec<&str> = diagnostics
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    let mut expected = vec!["IAM001"; 8];
    expected.push("IAM002");
    if codes != expected {
        return Err(format!("codes {codes:?}"));
    }
    let wildcard = diagnostics
        .iter()
        .find(|d| d["code"] == "IAM002")
        .ok_or("no IAM002")?;
    if wildcard["range"] != range_of(&text, "\"s3:Get*\"", encoding)? {
        return Err(format!("IAM002 at {}", wildcard["range"]));
    }
    if wildcard["source"] != "iamprune"
        || wildcard["severity"] != 1
        || wildcard["codeDescription"]["href"]
            != "https://github.com/iamprune/iamprune/blob/main/rules/IAM002.md"
    {
        return Err(format!("unexpected diagnostic {wildcard}"));
    }
    let unused = diagnostics
        .iter()
        .find(|d| d["code"] == "IAM001")
        .ok_or("no IAM001")?;
    if unused["range"] != range_of(&text, "\"lambda:AddPermission\"", encoding)? {
        return Err(format!("IAM001 at {}", unused["range"]));
    }

    // What `iamprune fix` does to the same module, through the workspace the CLI uses.
    let outcome = library_fix(&root)?;
    let fixed = outcome
        .iter()
        .find(|(path, _)| *path == root.join("main.tf"))
        .map(|(_, after)| after.clone())
        .ok_or("`fix` changes nothing")?;

    // The quick fix on `s3:Get*`: the same replacement `fix` makes.
    let actions = client.request_ok(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": main},
            "range": wildcard["range"],
            "context": {"diagnostics": [wildcard], "only": ["quickfix"]},
        }),
    )?;
    // The fix first, then the comment that would ignore it instead.
    let actions = actions.as_array().ok_or("no actions")?;
    let titles: Vec<&str> = actions.iter().filter_map(|a| a["title"].as_str()).collect();
    if actions.len() != 2
        || actions.iter().any(|a| a["kind"] != "quickfix")
        || actions[0]["isPreferred"] != true
        || !titles[1].starts_with("Ignore IAM002 here")
    {
        return Err(format!("actions {titles:?}"));
    }
    let edits = actions[0]["edit"]["changes"][&main]
        .as_array()
        .ok_or("no edits for main.tf")?;
    let after = apply(&text, edits, encoding)?;
    // Too wide for one line, the narrowed list is written one pattern a line.
    let refined = "[\n          \"s3:GetAccess*\",\n          \"s3:GetAccountPublicAccessBlock\",\n          \"s3:GetBucketAbac\",\n          \"s3:GetBucketMetadataTableConfiguration\",\n          \"s3:GetDataAccess\",\n          \"s3:GetJobTagging\",\n          \"s3:GetMulti*\",\n          \"s3:GetObject*\",\n          \"s3:GetStorage*\",\n          \"s3:List*\",\n        ]";
    if !after.contains(refined) || !fixed.contains(refined) {
        return Err(format!("the quick fix gives\n{after}"));
    }
    if actions[0]["diagnostics"][0]["code"] != "IAM002" {
        return Err(format!(
            "the quick fix resolves {}",
            actions[0]["diagnostics"]
        ));
    }

    // Fix all: every safe fix at once, the text `iamprune fix` writes.
    let actions = client.request_ok(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": main},
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
            "context": {"diagnostics": [], "only": ["source.fixAll"]},
        }),
    )?;
    let actions = actions.as_array().ok_or("no actions")?;
    if actions.len() != 1 || actions[0]["kind"] != "source.fixAll.iamprune" {
        return Err(format!("fix-all actions {actions:?}"));
    }
    let edits = actions[0]["edit"]["changes"][&main]
        .as_array()
        .ok_or("no edits for main.tf")?;
    let all_fixed = apply(&text, edits, encoding)?;
    if all_fixed != fixed {
        return Err(format!(
            "fix-all gives\n{all_fixed}\n`iamprune fix` gives\n{fixed}"
        ));
    }

    // The fixed buffer has nothing left to report.
    client.change(&main, 2, &all_fixed)?;
    let diagnostics = client.diagnostics(&main)?;
    if !diagnostics.is_empty() {
        return Err(format!("after the fix: {diagnostics:?}"));
    }
    client.stop()
}

#[test]
fn ignore_here_writes_a_suppression_that_holds() -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = std::fs::canonicalize(dir.path()).map_err(|e| e.to_string())?;
    copy_dir(&testdata("demo"), &root)?;
    let template = root.join("cloudformation/web.yaml");
    let text = std::fs::read_to_string(&template).map_err(|e| e.to_string())?;
    let encoding = Encoding::Utf16;
    let (mut client, _) = Client::start(initialize_params(&["utf-16"], &root))?;
    let file = uri(&template);
    client.open(&file, &text)?;
    let diagnostics = client.diagnostics(&file)?;
    let wildcard = diagnostics
        .iter()
        .find(|d| d["code"] == "IAM002")
        .ok_or("no IAM002")?;
    let actions = client.request_ok(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": file},
            "range": wildcard["range"],
            "context": {"diagnostics": [wildcard], "only": ["quickfix"]},
        }),
    )?;
    let ignore = actions
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| {
            a["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("Ignore IAM002 here"))
        })
        .ok_or_else(|| format!("no ignore action in {actions}"))?;
    let edits = ignore["edit"]["changes"][&file]
        .as_array()
        .ok_or("no edits for the template")?;
    let after = apply(&text, edits, encoding)?;
    // Alone on the line above the diagnostic's, at its indentation.
    let lines: Vec<&str> = after.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("iamprune:ignore"))
        .ok_or("no comment written")?;
    let next = lines.get(at + 1).ok_or("nothing after the comment")?;
    let indent = &next[..next.len() - next.trim_start().len()];
    if lines[at] != format!("{indent}# iamprune:ignore IAM002 reason=\"TODO: say why\"") {
        return Err(format!("comment written: {:?} above {next:?}", lines[at]));
    }
    client.change(&file, 2, &after)?;
    let diagnostics = client.diagnostics(&file)?;
    if diagnostics.iter().any(|d| d["code"] == "IAM002")
        || diagnostics.iter().any(|d| {
            d["message"]
                .as_str()
                .is_some_and(|m| m.contains("unused suppression"))
        })
    {
        return Err(format!("after the comment: {diagnostics:?}"));
    }
    client.stop()
}

#[test]
fn settings_folders_and_reloading_come_from_the_editor() -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = std::fs::canonicalize(dir.path()).map_err(|e| e.to_string())?;
    copy_dir(&testdata("demo"), &root)?;
    let template = root.join("cloudformation/web.yaml");
    let text = std::fs::read_to_string(&template).map_err(|e| e.to_string())?;
    let mut params = initialize_params(&["utf-16"], &root);
    params["initializationOptions"] = json!({
        "severity": {"IAM002": "warning", "IAM999": "error"},
        "workspaceDiagnostics": false,
    });
    let (mut client, result) = Client::start(params)?;
    if result["capabilities"]["executeCommandProvider"]["commands"]
        != json!(["iamprune.reloadFindings"])
    {
        return Err(format!("capabilities {}", result["capabilities"]));
    }
    let file = uri(&template);
    client.open(&file, &text)?;
    let severities = |diagnostics: &[Value], code: &str| -> Vec<Value> {
        diagnostics
            .iter()
            .filter(|d| d["code"] == code)
            .map(|d| d["severity"].clone())
            .collect()
    };
    let diagnostics = client.diagnostics(&file)?;
    let iam002 = severities(&diagnostics, "IAM002");
    if iam002.is_empty() || iam002.iter().any(|s| s != 2) {
        return Err(format!("IAM002 severities at start: {iam002:?}"));
    }
    // The rule that does not exist is said once, as a message.
    let said = client.take_messages("window/showMessage");
    if !said
        .iter()
        .any(|m| m["message"].as_str().is_some_and(|t| t.contains("IAM999")))
    {
        return Err(format!("nothing said of IAM999: {said:?}"));
    }

    // Turned off in the settings: gone.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"iamprune": {"severity": {"IAM002": "off"}}}}),
    )?;
    let diagnostics = client.diagnostics(&file)?;
    if !severities(&diagnostics, "IAM002").is_empty()
        || severities(&diagnostics, "IAM001").is_empty()
    {
        return Err(format!("after turning IAM002 off: {diagnostics:?}"));
    }

    // Findings re-exported without telling the editor: the reload command reads them again.
    std::fs::write(root.join("findings/unused-access.jsonl"), "").map_err(|e| e.to_string())?;
    client.request_ok(
        "workspace/executeCommand",
        json!({"command": "iamprune.reloadFindings", "arguments": []}),
    )?;
    let diagnostics = client.diagnostics(&file)?;
    if !severities(&diagnostics, "IAM001").is_empty() {
        return Err(format!("after the reload: {diagnostics:?}"));
    }

    // The folder goes and comes back: the file is still checked in its project.
    let folder = json!([{"uri": uri(&root), "name": "demo"}]);
    client.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [], "removed": folder}}),
    )?;
    client.diagnostics(&file)?;
    client.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": folder, "removed": []}}),
    )?;
    client.diagnostics(&file)?;
    let unknown = client.request(
        "workspace/executeCommand",
        json!({"command": "iamprune.nothing", "arguments": []}),
    )?;
    if unknown.response_result.is_ok() {
        return Err("an unknown command succeeded".into());
    }
    client.stop()
}

#[test]
fn files_not_open_get_the_diagnostics_of_check() -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = std::fs::canonicalize(dir.path()).map_err(|e| e.to_string())?;
    copy_dir(&testdata("demo"), &root)?;
    // What `check` reports of each file.
    let mut workspace = Workspace::new(Settings::default());
    let checked = workspace
        .check_paths(std::slice::from_ref(&root), &|| ())
        .map_err(|e| e.to_string())?;
    let count = |file: &Path| -> usize {
        checked
            .iter()
            .flat_map(|c| &c.reports)
            .flat_map(|r| &r.diagnostics)
            .filter(|d| d.file == file)
            .count()
    };
    let (template, terraform) = (
        root.join("cloudformation/web.yaml"),
        root.join("terraform/main.tf"),
    );
    assert!(count(&template) > 0 && count(&terraform) > 0);

    // A template under a hidden directory: left out by the walk, which says so.
    std::fs::create_dir_all(root.join(".infra")).map_err(|e| e.to_string())?;
    std::fs::copy(&template, root.join(".infra/web.yaml")).map_err(|e| e.to_string())?;
    let mut params = initialize_params(&["utf-16"], &root);
    params["initializationOptions"] = json!({});
    params["capabilities"]["window"] = json!({"workDoneProgress": true});
    let (mut client, _) = Client::start(params)?;
    // Nothing open: both files get their diagnostics, unversioned.
    for file in [&template, &terraform] {
        let diagnostics = client.diagnostics(&uri(file))?;
        let coded = diagnostics.iter().filter(|d| d["code"].is_string()).count();
        if coded != count(file) {
            return Err(format!(
                "{}: {coded} diagnostics, check has {}",
                file.display(),
                count(file)
            ));
        }
    }
    // With its progress, begun once the client created the token, ended before the diagnostics.
    let kinds: Vec<Value> = client
        .take_messages("$/progress")
        .iter()
        .map(|p| p["value"]["kind"].clone())
        .collect();
    if kinds != [json!("begin"), json!("end")] {
        return Err(format!("progress {kinds:?}"));
    }
    // What the walk left out is logged, though no file is open.
    let logged = client.take_messages("window/logMessage");
    if !logged.iter().any(|m| {
        m["message"]
            .as_str()
            .is_some_and(|t| t.contains("not scanned"))
    }) {
        return Err(format!("the walk's note was not logged: {logged:?}"));
    }
    // Opened, edited and closed unsaved: the file shows what it holds on disk again.
    let text = std::fs::read_to_string(&template).map_err(|e| e.to_string())?;
    client.open(&uri(&template), &text)?;
    client.diagnostics(&uri(&template))?;
    client.change(&uri(&template), 2, "Resources: {}\n")?;
    if !client.diagnostics(&uri(&template))?.is_empty() {
        return Err("an empty template has diagnostics".into());
    }
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri(&template)}}),
    )?;
    let closed = client.diagnostics(&uri(&template))?;
    if closed.iter().filter(|d| d["code"].is_string()).count() != count(&template) {
        return Err(format!("after closing: {closed:?}"));
    }

    // Turned off: what was shown of closed files goes.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"iamprune": {"workspaceDiagnostics": false}}}),
    )?;
    for file in [&template, &terraform] {
        if !client.diagnostics(&uri(file))?.is_empty() {
            return Err(format!("{} still shown", file.display()));
        }
    }
    client.stop()
}

#[test]
fn quick_fixes_are_listed_before_their_verification_and_resolved_after() -> TestResult {
    let (_dir, root, text) = project()?;
    let encoding = Encoding::Utf16;
    let mut params = initialize_params(&["utf-16"], &root);
    params["capabilities"]["textDocument"] =
        json!({"codeAction": {"resolveSupport": {"properties": ["edit"]}}});
    let (mut client, _) = Client::start(params)?;
    let main = uri(&root.join("main.tf"));
    client.open(&main, &text)?;
    client.diagnostics(&main)?;
    // An edit and at once a code action: the edit's check is done, its verification is not.
    let edited = format!("{text}# edited\n");
    client.change(&main, 2, &edited)?;
    let range = range_of(&edited, "\"s3:Get*\"", encoding)?;
    let actions = client.request_ok(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": main}, "range": range,
            "context": {"diagnostics": [], "only": ["quickfix"]}}),
    )?;
    let fix = actions
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["isPreferred"] == true)
        .ok_or_else(|| format!("no quick fix in {actions}"))?;
    if !fix["edit"].is_null() || fix["data"]["quickFix"].is_null() {
        return Err(format!("listed with its edit before verification: {fix}"));
    }
    let resolved = client.request_ok("codeAction/resolve", fix.clone())?;
    let edits = resolved["edit"]["changes"][&main]
        .as_array()
        .ok_or_else(|| format!("resolved without an edit: {resolved}"))?;
    let after = apply(&edited, edits, encoding)?;
    if !after.contains("\"s3:GetObject*\"") || after.contains("\"s3:Get*\"") {
        return Err(format!("the resolved fix gives\n{after}"));
    }
    // A fix that is no longer there (the text changed since) resolves to no edit.
    client.change(&main, 3, &text.replace("\"s3:Get*\"", "\"s3:GetObject\""))?;
    let stale = client.request_ok("codeAction/resolve", fix.clone())?;
    if !stale["edit"].is_null() {
        return Err(format!("a stale fix resolved: {stale}"));
    }
    client.stop()
}

#[test]
fn hover_shows_the_expansion_and_the_refinement() -> TestResult {
    let (_dir, root, text) = project()?;
    let encoding = Encoding::Utf8;
    let (mut client, _) = Client::start(initialize_params(&["utf-8", "utf-16"], &root))?;
    let main = uri(&root.join("main.tf"));
    client.open(&main, &text)?;
    client.diagnostics(&main)?;
    let at = text.find("\"s3:Get*\"").ok_or("no s3:Get*")? + 3;
    let position = LineMap::new(&text).position(at, encoding);
    let hover = client.request_ok(
        "textDocument/hover",
        json!({"textDocument": {"uri": main}, "position": position}),
    )?;
    let markdown = hover["contents"]["value"].as_str().ok_or("no markdown")?;
    let count = Catalog::embedded().expand(&Pattern::new("s3:Get*")).len();
    for expected in [
        format!("**`s3:Get*`** matches **{count}** action(s)"),
        "| `s3:GetAccessGrant` |".to_string(),
        "**22** of them unused by role SeedRole".to_string(),
        "`s3:GetObject*`".to_string(),
    ] {
        if !markdown.contains(&expected) {
            return Err(format!("no `{expected}` in\n{markdown}"));
        }
    }
    if hover["range"] != range_of(&text, "\"s3:Get*\"", encoding)? {
        return Err(format!("hover range {}", hover["range"]));
    }
    // Outside any action element: nothing.
    let hover = client.request_ok(
        "textDocument/hover",
        json!({"textDocument": {"uri": main}, "position": {"line": 0, "character": 0}}),
    )?;
    if !hover.is_null() {
        return Err(format!("hover outside an action: {hover}"));
    }
    client.stop()
}

#[test]
fn a_hover_right_after_an_edit_answers_for_the_new_text() -> TestResult {
    let (_dir, root, text) = project()?;
    let encoding = Encoding::Utf8;
    let (mut client, _) = Client::start(initialize_params(&["utf-8"], &root))?;
    let main = uri(&root.join("main.tf"));
    client.open(&main, &text)?;
    client.diagnostics(&main)?;
    // Lines added above the policy, and at once a hover on its wildcard: whether it is answered from
    // the check of the old text (interrupted by the hover) or of the new one, the place is the new one.
    let edited = format!("# one\n# two\n{text}");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": main, "version": 2}, "contentChanges": [{"text": edited}]}),
    )?;
    let at = edited.find("\"s3:Get*\"").ok_or("no s3:Get*")? + 3;
    let hover = client.request_ok(
        "textDocument/hover",
        json!({"textDocument": {"uri": main}, "position": LineMap::new(&edited).position(at, encoding)}),
    )?;
    let markdown = hover["contents"]["value"].as_str().ok_or("no markdown")?;
    if !markdown.contains("**`s3:Get*`** matches") {
        return Err(format!("hover after the edit:\n{markdown}"));
    }
    if hover["range"] != range_of(&edited, "\"s3:Get*\"", encoding)? {
        return Err(format!("hover range {}", hover["range"]));
    }
    // The hover never costs the diagnostics of the newest text.
    let diagnostics = client.diagnostics(&main)?;
    let line_of_wildcard = LineMap::new(&edited).position(at, encoding).line;
    if !diagnostics
        .iter()
        .any(|d| d["code"] == "IAM002" && d["range"]["start"]["line"] == line_of_wildcard)
    {
        return Err(format!(
            "no IAM002 on line {line_of_wildcard}: {diagnostics:?}"
        ));
    }
    client.stop()
}

#[test]
fn broken_buffers_and_bad_requests_do_not_stop_the_server() -> TestResult {
    let (_dir, root, text) = project()?;
    let (mut client, _) = Client::start(initialize_params(&["utf-16"], &root))?;
    let main = uri(&root.join("main.tf"));
    client.open(&main, &text)?;
    client.diagnostics(&main)?;

    // Half typed: cut in the middle of the second statement.
    let cut = text.find("\"s3:List*\"").ok_or("no s3:List*")?;
    client.change(&main, 2, &text[..cut])?;
    let diagnostics = client.diagnostics(&main)?;
    if !diagnostics
        .iter()
        .any(|d| d["severity"] == 1 && d["code"].is_null())
    {
        return Err(format!("no syntax error in {diagnostics:?}"));
    }

    // A request with params of the wrong shape is answered with an error.
    let response = client.request("textDocument/codeAction", json!({"nonsense": true}))?;
    match response.response_result {
        Err(e) if e.code == -32602 => {}
        other => return Err(format!("expected InvalidParams, got {other:?}")),
    }
    // An unknown method too.
    let response = client.request("textDocument/rename", json!({}))?;
    if response.response_result.is_ok() {
        return Err("an unknown method succeeded".into());
    }
    // A malformed notification is dropped.
    client.notify("textDocument/didChange", json!({"textDocument": 3}))?;

    // Still serving: the repaired buffer is checked again.
    client.change(&main, 3, &text)?;
    let diagnostics = client.diagnostics(&main)?;
    if diagnostics.len() != 9 {
        return Err(format!("after the repair: {diagnostics:?}"));
    }
    client.stop()
}

#[test]
fn columns_follow_the_negotiated_encoding() -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = std::fs::canonicalize(dir.path()).map_err(|e| e.to_string())?;
    let text = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"é—😀\", \"Effect\": \"Allow\", \"Action\": [\"s3:NoSuchAction\"], \"Resource\": \"*\"}]}\n";
    let path = root.join("policy.json");
    std::fs::write(&path, text).map_err(|e| e.to_string())?;
    for (offered, encoding) in [("utf-8", Encoding::Utf8), ("utf-16", Encoding::Utf16)] {
        let (mut client, _) = Client::start(initialize_params(&[offered], &root))?;
        let file = uri(&path);
        client.open(&file, text)?;
        let diagnostics = client.diagnostics(&file)?;
        let unknown = diagnostics
            .iter()
            .find(|d| d["code"] == "IAM010")
            .ok_or(format!("no IAM010 in {diagnostics:?}"))?;
        if unknown["range"] != range_of(text, "\"s3:NoSuchAction\"", encoding)? {
            return Err(format!("{offered}: IAM010 at {}", unknown["range"]));
        }
        client.stop()?;
    }
    Ok(())
}

#[test]
fn a_changed_configuration_is_reloaded() -> TestResult {
    let (_dir, root, text) = project()?;
    std::fs::write(root.join("iamprune.toml"), "").map_err(|e| e.to_string())?;
    let (mut client, _) = Client::start(initialize_params(&["utf-16"], &root))?;
    let main = uri(&root.join("main.tf"));
    client.open(&main, &text)?;
    // Without findings only the catalog rules run: nothing to say about this module.
    let diagnostics = client.diagnostics(&main)?;
    if !diagnostics.is_empty() {
        return Err(format!("without findings: {diagnostics:?}"));
    }
    let config = root.join("iamprune.toml");
    std::fs::write(
        &config,
        "account = \"123456789012\"\nfindings = [\"findings.json\"]\n",
    )
    .map_err(|e| e.to_string())?;
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&config), "type": 2}]}),
    )?;
    let diagnostics = client.diagnostics(&main)?;
    if diagnostics.len() != 9 {
        return Err(format!("after the reload: {diagnostics:?}"));
    }
    // New findings: only one `s3:Get*` action is unused.
    let findings = root.join("findings.json");
    std::fs::write(
        &findings,
        r#"{"resource": "arn:aws:iam::123456789012:role/SeedRole", "status": "ACTIVE",
            "findingType": "UnusedPermission", "findingDetails": [{"unusedPermissionDetails":
            {"serviceNamespace": "s3", "actions": [{"action": "GetBucketAcl"}]}}]}"#,
    )
    .map_err(|e| e.to_string())?;
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&findings), "type": 2}]}),
    )?;
    let diagnostics = client.diagnostics(&main)?;
    if diagnostics.len() != 1 || diagnostics[0]["code"] != "IAM002" {
        return Err(format!("after new findings: {diagnostics:?}"));
    }
    // Saving the configuration in the editor reloads it too.
    std::fs::write(&config, "").map_err(|e| e.to_string())?;
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": uri(&config)}}),
    )?;
    let diagnostics = client.diagnostics(&main)?;
    if !diagnostics.is_empty() {
        return Err(format!("after saving the configuration: {diagnostics:?}"));
    }
    client.stop()
}

#[test]
fn excluded_files_are_not_checked() -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = std::fs::canonicalize(dir.path()).map_err(|e| e.to_string())?;
    let text = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"s3:NoSuchAction\"], \"Resource\": \"*\"}]}\n";
    std::fs::create_dir(root.join("vendor")).map_err(|e| e.to_string())?;
    let (checked, excluded) = (root.join("policy.json"), root.join("vendor/policy.json"));
    for path in [&checked, &excluded] {
        std::fs::write(path, text).map_err(|e| e.to_string())?;
    }
    std::fs::write(root.join("iamprune.toml"), "exclude = [\"vendor/\"]\n")
        .map_err(|e| e.to_string())?;
    let (mut client, _) = Client::start(initialize_params(&["utf-16"], &root))?;
    client.open(&uri(&excluded), text)?;
    client.open(&uri(&checked), text)?;
    let diagnostics = client.diagnostics(&uri(&excluded))?;
    if !diagnostics.is_empty() {
        return Err(format!("an excluded file: {diagnostics:?}"));
    }
    let diagnostics = client.diagnostics(&uri(&checked))?;
    if diagnostics.len() != 1 || diagnostics[0]["code"] != "IAM010" {
        return Err(format!("the checked file: {diagnostics:?}"));
    }
    client.stop()
}

/// A glob that does not parse is said, and the other globs still exclude: the command line stops on
/// it (exit 2), the editor goes on without it.
#[test]
fn a_bad_exclude_glob_is_said_and_left_out() -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = std::fs::canonicalize(dir.path()).map_err(|e| e.to_string())?;
    let text = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"s3:NoSuchAction\"], \"Resource\": \"*\"}]}\n";
    std::fs::create_dir(root.join("vendor")).map_err(|e| e.to_string())?;
    let excluded = root.join("vendor/policy.json");
    std::fs::write(&excluded, text).map_err(|e| e.to_string())?;
    std::fs::write(
        root.join("iamprune.toml"),
        "exclude = [\"vendor/\", \"a{b\"]\n",
    )
    .map_err(|e| e.to_string())?;
    let (mut client, _) = Client::start(initialize_params(&["utf-16"], &root))?;
    client.open(&uri(&excluded), text)?;
    let diagnostics = client.diagnostics(&uri(&excluded))?;
    if !diagnostics.is_empty() {
        return Err(format!("an excluded file: {diagnostics:?}"));
    }
    let said = client.inbox.iter().any(|n| {
        n.method == "window/showMessage"
            && n.params["message"]
                .as_str()
                .is_some_and(|m| m.contains("bad exclude glob `a{b`"))
    });
    if !said {
        return Err(format!("no message about the glob: {:?}", client.inbox));
    }
    client.stop()
}

/// A project made of one e2e directory, the seed's findings and a configuration naming them.
fn e2e_project(case: &str) -> Result<(tempfile::TempDir, PathBuf), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = std::fs::canonicalize(dir.path()).map_err(|e| e.to_string())?;
    let from = testdata("e2e").join(case);
    for entry in std::fs::read_dir(&from).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        std::fs::copy(entry.path(), root.join(entry.file_name())).map_err(|e| e.to_string())?;
    }
    std::fs::copy(testdata("e2e/findings.json"), root.join("findings.json"))
        .map_err(|e| e.to_string())?;
    std::fs::write(
        root.join("iamprune.toml"),
        "account = \"123456789012\"\nfindings = [\"findings.json\"]\n",
    )
    .map_err(|e| e.to_string())?;
    Ok((dir, root))
}

#[test]
fn a_policy_file_read_by_a_module_gets_the_module_diagnostics() -> TestResult {
    let (_dir, root) = e2e_project("tf-file")?;
    let (mut client, _) = Client::start(initialize_params(&["utf-16"], &root))?;
    let policy_path = root.join("seed-policy.json");
    let policy = uri(&policy_path);
    let policy_text = std::fs::read_to_string(&policy_path).map_err(|e| e.to_string())?;
    let main_text = std::fs::read_to_string(root.join("main.tf")).map_err(|e| e.to_string())?;
    // Opened alone, it is checked in the module that reads it, as `check` checks it: the role it is
    // attached to is known.
    client.open(&policy, &policy_text)?;
    let diagnostics = client.diagnostics(&policy)?;
    if diagnostics.len() != 9 {
        return Err(format!("the policy alone: {diagnostics:?}"));
    }
    // Opening the module changes nothing.
    client.open(&uri(&root.join("main.tf")), &main_text)?;
    let diagnostics = client.diagnostics(&policy)?;
    if diagnostics.len() != 9 {
        return Err(format!("with the module: {diagnostics:?}"));
    }
    let wildcard = diagnostics
        .iter()
        .find(|d| d["code"] == "IAM002")
        .ok_or("no IAM002")?;
    if wildcard["range"] != range_of(&policy_text, "\"s3:Get*\"", Encoding::Utf16)? {
        return Err(format!("IAM002 at {}", wildcard["range"]));
    }
    // Edited, it is still checked in its module.
    client.change(&policy, 2, &policy_text)?;
    let diagnostics = client.diagnostics(&policy)?;
    if diagnostics.len() != 9 {
        return Err(format!("after an edit: {diagnostics:?}"));
    }
    client.stop()
}

#[test]
fn hover_in_a_policy_document_block() -> TestResult {
    let (_dir, root) = e2e_project("tf-policy-document")?;
    let (mut client, _) = Client::start(initialize_params(&["utf-16"], &root))?;
    let path = root.join("main.tf");
    let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    let main = uri(&path);
    client.open(&main, &text)?;
    let diagnostics = client.diagnostics(&main)?;
    if diagnostics.len() != 9 {
        return Err(format!("diagnostics {diagnostics:?}"));
    }
    let at = text.find("\"lambda:Invoke*\"").ok_or("no lambda:Invoke*")? + 1;
    let hover = client.request_ok(
        "textDocument/hover",
        json!({
            "textDocument": {"uri": main},
            "position": LineMap::new(&text).position(at, Encoding::Utf16),
        }),
    )?;
    let markdown = hover["contents"]["value"].as_str().ok_or("no markdown")?;
    let count = Catalog::embedded()
        .expand(&Pattern::new("lambda:Invoke*"))
        .len();
    for expected in [
        format!("**`lambda:Invoke*`** matches **{count}** action(s)"),
        "| `lambda:InvokeFunction` |".to_string(),
    ] {
        if !markdown.contains(&expected) {
            return Err(format!("no `{expected}` in\n{markdown}"));
        }
    }
    client.stop()
}

/// The server asks for incremental changes, as a keystroke in a large template would otherwise send the
/// whole template: a run of keystrokes sent as ranges (some two to a notification, each range counted
/// in the text the one before left) leaves the server with the text the editor has, so it says what a
/// server that is given that text whole says.
#[test]
fn keystrokes_sent_as_ranges_leave_the_text_the_editor_has() -> TestResult {
    let (_dir, root, text) = project()?;
    let file = uri(&root.join("main.tf"));
    let (mut client, _) = Client::start(initialize_params(&["utf-16"], &root))?;
    client.open(&file, &text)?;
    client.diagnostics(&file)?;
    // On the line of an action list, a comment with an emoji goes in before the list's items and then
    // an item changes: a range counted wrongly, or against the text before the first change, would
    // change another action than the one named.
    let list = text
        .find("Action   = [\"s3:Get*\"")
        .ok_or("no s3 action list")?
        + "Action   = [".len();
    let comment = "/*😀*/ ";
    let item = list + comment.len() + "\"s3:Get*\", \"".len();
    // (byte offset of the change in the text as it is, bytes replaced, new text), by notification.
    let keystrokes: [&[(usize, usize, &str)]; 8] = [
        &[
            (list, 0, comment),
            (item, "s3:List*".len(), "s3:ListBucket"),
        ],
        &[(0, 0, "# 中文 😀\n")],
        &[(13, 0, "x"), (14, 0, "é")],
        &[(14, 2, "")],
        &[(9, 4, "🙂🙂")],
        &[(0, 0, "\n"), (0, 0, "#\u{2028}")],
        &[(text.len() / 2, 0, "\n")],
        &[(text.len() / 2, 1, "")],
    ];
    let mut edited = text.clone();
    let mut incremental = Vec::new();
    for (version, changes) in (2..).zip(keystrokes) {
        let mut sent = Vec::new();
        for (at, removed, inserted) in changes {
            let at = (0..=*at)
                .rev()
                .find(|i| edited.is_char_boundary(*i))
                .unwrap_or(0);
            let end = (at + removed..=edited.len())
                .find(|i| edited.is_char_boundary(*i))
                .unwrap_or(edited.len());
            let map = LineMap::new(&edited);
            let range = map.range(iamprune_syntax::Span::new(at, end), Encoding::Utf16);
            sent.push(json!({"range": range, "text": inserted}));
            edited.replace_range(at..end, inserted);
        }
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": file, "version": version}, "contentChanges": sent}),
        )?;
        incremental = client.diagnostics(&file)?;
    }
    client.stop()?;

    let (mut whole, _) = Client::start(initialize_params(&["utf-16"], &root))?;
    whole.open(&file, &edited)?;
    let given_whole = whole.diagnostics(&file)?;
    whole.stop()?;
    if given_whole.is_empty() || incremental != given_whole {
        return Err(format!(
            "as ranges: {incremental:#?}\ngiven whole: {given_whole:#?}"
        ));
    }
    Ok(())
}

#[test]
fn incremental_changes_count_utf16_units() -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = std::fs::canonicalize(dir.path()).map_err(|e| e.to_string())?;
    let text = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"é—😀\", \"Effect\": \"Allow\", \"Action\": [\"s3:NoSuchAction\"], \"Resource\": \"*\"}]}\n";
    let path = root.join("policy.json");
    std::fs::write(&path, text).map_err(|e| e.to_string())?;
    let (mut client, _) = Client::start(initialize_params(&["utf-16"], &root))?;
    let file = uri(&path);
    client.open(&file, text)?;
    if client.diagnostics(&file)?.len() != 1 {
        return Err("no IAM010 before the edit".into());
    }
    // Replace the unknown action by a real one, with a range counted in UTF-16 units.
    let range = range_of(text, "NoSuchAction", Encoding::Utf16)?;
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": file, "version": 2},
            "contentChanges": [{"range": range, "text": "GetObject"}],
        }),
    )?;
    let diagnostics = client.diagnostics(&file)?;
    if !diagnostics.is_empty() {
        return Err(format!("after the edit: {diagnostics:?}"));
    }
    // The buffer is what the edit made: hovering the new action shows it.
    let edited = text.replace("NoSuchAction", "GetObject");
    let at = edited.find("s3:GetObject").ok_or("no s3:GetObject")?;
    let hover = client.request_ok(
        "textDocument/hover",
        json!({
            "textDocument": {"uri": file},
            "position": LineMap::new(&edited).position(at, Encoding::Utf16),
        }),
    )?;
    let markdown = hover["contents"]["value"].as_str().ok_or("no markdown")?;
    if !markdown.contains("**`s3:GetObject`** matches **1** action(s)") {
        return Err(format!("hover after the edit:\n{markdown}"));
    }
    client.stop()
}

fn copy_dir(from: &Path, to: &Path) -> TestResult {
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    for entry in std::fs::read_dir(from).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// What `iamprune fix` writes under `root`, through the workspace the CLI uses, with the findings in
/// `root/findings.json`.
fn library_fix(root: &Path) -> Result<Vec<(PathBuf, String)>, String> {
    let mut workspace = Workspace::new(Settings {
        findings: vec![root.join("findings.json")],
        ..Settings::default()
    });
    let checked = workspace
        .check_paths(&[root.to_path_buf()], &|| ())
        .map_err(|e| e.to_string())?;
    Ok(checked
        .into_iter()
        .flat_map(|c| c.reports)
        .flat_map(|r| r.fix.changed)
        .map(|(path, (_, after))| (path, after))
        .collect())
}

#[test]
fn every_syntax_gets_the_diagnostics_and_the_fixes_of_the_cli() -> TestResult {
    for (case, module_file, policy_file) in [
        ("cfn-yaml", "template.yaml", "template.yaml"),
        ("cfn-yaml-flow", "template.yaml", "template.yaml"),
        ("cfn-json", "template.json", "template.json"),
        ("tf-jsonencode", "main.tf", "main.tf"),
        ("tf-policy-document", "main.tf", "main.tf"),
        ("tf-heredoc", "main.tf", "main.tf"),
        ("tf-quoted", "main.tf", "main.tf"),
        ("tf-file", "main.tf", "seed-policy.json"),
    ] {
        let (_dir, root) = e2e_project(case)?;
        let (mut client, _) = Client::start(initialize_params(&["utf-16"], &root))?;
        let module = root.join(module_file);
        let policy = root.join(policy_file);
        let module_text = std::fs::read_to_string(&module).map_err(|e| e.to_string())?;
        client.open(&uri(&module), &module_text)?;
        if policy != module {
            // Diagnostics are published for open files only.
            let policy_text = std::fs::read_to_string(&policy).map_err(|e| e.to_string())?;
            client.open(&uri(&policy), &policy_text)?;
        }
        let diagnostics = client
            .diagnostics(&uri(&policy))
            .map_err(|e| format!("{case}: {e}"))?;
        let codes: Vec<&str> = diagnostics
            .iter()
            .filter_map(|d| d["code"].as_str())
            .collect();
        if codes.len() != 9 || codes.iter().filter(|c| **c == "IAM001").count() != 8 {
            return Err(format!("{case}: codes {codes:?}"));
        }
        let actions = client.request_ok(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": uri(&policy)},
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                "context": {"diagnostics": [], "only": ["source.fixAll.iamprune"]},
            }),
        )?;
        let edits = actions[0]["edit"]["changes"][uri(&policy)]
            .as_array()
            .ok_or(format!("{case}: no fix-all edits in {actions}"))?;
        let policy_text = std::fs::read_to_string(&policy).map_err(|e| e.to_string())?;
        let fixed = apply(&policy_text, edits, Encoding::Utf16)?;
        let expected = library_fix(&root)?;
        if expected != vec![(policy.clone(), fixed.clone())] {
            return Err(format!(
                "{case}: fix-all gives\n{fixed}\n`iamprune fix` gives\n{expected:?}"
            ));
        }
        client.stop()?;
    }
    Ok(())
}

/// The CDK app of the end-to-end fixtures, with the seed findings.
fn cdk_project() -> Result<(tempfile::TempDir, PathBuf), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = std::fs::canonicalize(dir.path()).map_err(|e| e.to_string())?;
    copy_dir(&testdata("e2e/cdk"), &root)?;
    std::fs::write(
        root.join("iamprune.toml"),
        "account = \"123456789012\"\nfindings = [\"findings.json\"]\n",
    )
    .map_err(|e| e.to_string())?;
    Ok((dir, root))
}

#[test]
fn cdk_output_shows_its_fixes_without_offering_them() -> TestResult {
    let (_dir, root) = cdk_project()?;
    let (mut client, _) = Client::start(initialize_params(&["utf-8"], &root))?;
    let template = root.join("cdk.out/SeedStack.template.json");
    let text = std::fs::read_to_string(&template).map_err(|e| e.to_string())?;
    client.open(&uri(&template), &text)?;
    let diagnostics = client.diagnostics(&uri(&template))?;
    if diagnostics.len() != 9 {
        return Err(format!("diagnostics {diagnostics:?}"));
    }
    // The app's source line that writes the action is related information.
    let app = uri(&root.join("lib/seed-stack.ts"));
    let wildcard = diagnostics
        .iter()
        .find(|d| d["code"] == "IAM002")
        .ok_or("no IAM002")?;
    if wildcard["relatedInformation"][0]["location"]["uri"] != app.as_str() {
        return Err(format!("related {}", wildcard["relatedInformation"]));
    }
    let actions = client.request_ok(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": uri(&template)},
            "range": wildcard["range"],
            "context": {"diagnostics": [wildcard]},
        }),
    )?;
    if actions != json!([]) {
        return Err(format!("display-only fixes offered: {actions}"));
    }
    client.stop()
}

#[test]
fn the_cdk_app_line_that_writes_an_action_gets_its_diagnostic() -> TestResult {
    let (_dir, root) = cdk_project()?;
    let mut params = initialize_params(&["utf-8"], &root);
    params["initializationOptions"] = json!({});
    let (mut client, _) = Client::start(params)?;
    // Nothing open: the workspace check puts the template's diagnostics on the app's lines too.
    let app = root.join("lib/seed-stack.ts");
    let source = std::fs::read_to_string(&app).map_err(|e| e.to_string())?;
    let diagnostics = client.diagnostics(&uri(&app))?;
    let wildcard = diagnostics
        .iter()
        .find(|d| d["code"] == "IAM002")
        .ok_or_else(|| format!("no IAM002 on the app's source: {diagnostics:?}"))?;
    let message = wildcard["message"].as_str().unwrap_or("");
    if !message.contains("write `") || !message.contains("then synthesize again") {
        return Err(format!("message {message}"));
    }
    let written = &wildcard["range"];
    let start = LineMap::new(&source).offset(position(&written["start"])?, Encoding::Utf8);
    if !source[start..].starts_with("'s3:Get*'") && !source[start..].starts_with("\"s3:Get*\"") {
        return Err(format!(
            "range {written} points at {:?}",
            &source[start..start + 12]
        ));
    }
    let template = uri(&root.join("cdk.out/SeedStack.template.json"));
    if wildcard["relatedInformation"][0]["location"]["uri"] != template.as_str() {
        return Err(format!("related {}", wildcard["relatedInformation"]));
    }
    client.stop()
}

/// A `.gitignore`d `cdk.out` is checked as the command line checks it, and what the walk of the
/// project left out is said once in the log, since no open file is where it is.
#[test]
fn an_ignored_cdk_out_is_checked_and_a_hidden_module_is_noted() -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = std::fs::canonicalize(dir.path()).map_err(|e| e.to_string())?;
    copy_dir(&testdata("e2e/cdk"), &root)?;
    std::fs::create_dir(root.join(".infra")).map_err(|e| e.to_string())?;
    std::fs::copy(
        testdata("e2e/tf-jsonencode/main.tf"),
        root.join(".infra/main.tf"),
    )
    .map_err(|e| e.to_string())?;
    let write =
        |name: &str, text: &str| std::fs::write(root.join(name), text).map_err(|e| e.to_string());
    write(".gitignore", "cdk.out\n")?;
    write(
        "iamprune.toml",
        "account = \"123456789012\"\nfindings = [\"findings.json\"]\n",
    )?;
    let (mut client, _) = Client::start(initialize_params(&["utf-8"], &root))?;
    let template = root.join("cdk.out/SeedStack.template.json");
    let text = std::fs::read_to_string(&template).map_err(|e| e.to_string())?;
    client.open(&uri(&template), &text)?;
    let diagnostics = client.diagnostics(&uri(&template))?;
    if diagnostics.len() != 9 {
        return Err(format!("diagnostics {diagnostics:?}"));
    }
    let notes: Vec<&Notification> = client
        .inbox
        .iter()
        .filter(|n| {
            n.method == "window/logMessage"
                && n.params["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("1 file that may hold policies was not scanned"))
        })
        .collect();
    // `MessageType::Info`: a note, not a failure.
    if notes.len() != 1 || notes[0].params["type"] != 3 {
        return Err(format!("the log: {:?}", client.inbox));
    }
    client.stop()
}

#[test]
fn unsaved_buffers_under_the_working_directory() -> TestResult {
    // The extractors report paths under the working directory relative to it: a project there (as
    // when an editor starts the server in the workspace) must still be checked from its buffers.
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    let dir = tempfile::Builder::new()
        .prefix(".lsp-test-")
        .tempdir_in(&cwd)
        .map_err(|e| e.to_string())?;
    let root = std::fs::canonicalize(dir.path()).map_err(|e| e.to_string())?;
    copy_dir(&testdata("e2e/tf-jsonencode"), &root)?;
    std::fs::copy(testdata("e2e/findings.json"), root.join("findings.json"))
        .map_err(|e| e.to_string())?;
    std::fs::write(
        root.join("iamprune.toml"),
        "account = \"123456789012\"\nfindings = [\"findings.json\"]\n",
    )
    .map_err(|e| e.to_string())?;
    let path = root.join("main.tf");
    let disk = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    // Unsaved: a comment above everything moves every span.
    let buffer = format!("# a comment the disk does not have\n\n{disk}");
    let (mut client, _) = Client::start(initialize_params(&["utf-16"], &root))?;
    let main = uri(&path);
    client.open(&main, &buffer)?;
    let diagnostics = client.diagnostics(&main)?;
    let wildcard = diagnostics
        .iter()
        .find(|d| d["code"] == "IAM002")
        .ok_or(format!("no IAM002 in {diagnostics:?}"))?;
    if wildcard["range"] != range_of(&buffer, "\"s3:Get*\"", Encoding::Utf16)? {
        return Err(format!("IAM002 at {}", wildcard["range"]));
    }
    let actions = client.request_ok(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": main},
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
            "context": {"diagnostics": [], "only": ["source.fixAll.iamprune"]},
        }),
    )?;
    let edits = actions[0]["edit"]["changes"][&main]
        .as_array()
        .ok_or(format!("no fix-all edits in {actions}"))?;
    let fixed = apply(&buffer, edits, Encoding::Utf16)?;
    let expected = library_fix(&root)?;
    let on_disk = expected
        .first()
        .map(|(_, after)| after.clone())
        .ok_or("`fix` changes nothing")?;
    if fixed != format!("# a comment the disk does not have\n\n{on_disk}") {
        return Err(format!("fix-all on the buffer gives\n{fixed}"));
    }
    client.stop()
}
