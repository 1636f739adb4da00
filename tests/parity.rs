//! `iamprune check` and `iamprune server` over the same workspace give the same diagnostics and the
//! same safe fixes: both are shells over one engine. Each case builds a small project, checks it with
//! the command line (`check --format json`) and with the language server (the real binary over stdio,
//! every source file opened, quick fixes asked for each), and compares the two, byte span for byte
//! span. The cases are the places where the two once disagreed: the `[rules]` table, `.cfn` templates,
//! Terraform modules that pass a role name into a local module, a file created on disk while the
//! server runs, and an unsaved buffer.

mod common;

use common::*;

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use lsp_server::{Message, Notification, Request, RequestId};
use serde_json::{Value, json};

/// One rule diagnostic, the same whoever reports it: file (relative to the project), rule, byte span,
/// severity, message, and the edits of its safe fix (by file and byte span) when it has one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Seen {
    file: String,
    code: String,
    span: (usize, usize),
    severity: String,
    message: String,
    fix: Option<Vec<(String, usize, usize, String)>>,
}

type Diagnostics = BTreeSet<Seen>;

fn relative(root: &Path, file: &str) -> String {
    let path = root.join(file.strip_prefix("./").unwrap_or(file));
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    path.strip_prefix(root)
        .unwrap_or(&path)
        .to_string_lossy()
        .replace('\\', "/")
}

// --- the command line -------------------------------------------------------------------------------

fn cli(root: &Path) -> Diagnostics {
    let report = json_report(root, &["check", ".", "--exit-zero"]);
    let offsets = |range: &Value| {
        (
            range["start"]["offset"].as_u64().unwrap_or(0) as usize,
            range["end"]["offset"].as_u64().unwrap_or(0) as usize,
        )
    };
    report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| Seen {
            file: relative(root, d["file"].as_str().unwrap_or("")),
            code: d["code"].as_str().unwrap_or("").to_string(),
            span: offsets(&d["range"]),
            severity: d["severity"].as_str().unwrap_or("").to_string(),
            message: d["message"].as_str().unwrap_or("").to_string(),
            fix: (d["fix"]["applicability"] == "safe").then(|| {
                let mut edits: Vec<_> = d["fix"]["edits"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|e| {
                        let (start, end) = offsets(&e["range"]);
                        let file = relative(root, e["file"].as_str().unwrap_or(""));
                        (
                            file,
                            start,
                            end,
                            e["content"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect();
                edits.sort();
                edits
            }),
        })
        .collect()
}

// --- the language server ----------------------------------------------------------------------------

struct Server {
    child: Child,
    stdin: ChildStdin,
    inbox: Receiver<Message>,
    next_id: i32,
    root: PathBuf,
    /// What the editor holds of each open file.
    texts: BTreeMap<PathBuf, String>,
}

impl Server {
    fn start(root: &Path) -> Server {
        let mut child = iamprune_in(root)
            .arg("server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("iamprune server: {e}"));
        let stdin = child.stdin.take().unwrap_or_else(|| panic!("no stdin"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let (sender, inbox) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Ok(Some(message)) = Message::read(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            stdin,
            inbox,
            next_id: 0,
            root: root.to_path_buf(),
            texts: BTreeMap::new(),
        };
        server.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri(root),
                // Only the open files' own checks publish.
                "initializationOptions": {"workspaceDiagnostics": false},
                "capabilities": {
                    "general": {"positionEncodings": ["utf-8"]},
                    "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}},
                },
            }),
        );
        server.notify("initialized", json!({}));
        server
    }

    fn send(&mut self, message: Message) {
        message
            .write(&mut self.stdin)
            .unwrap_or_else(|e| panic!("writing to the server: {e}"));
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(Notification::new(method.into(), params).into());
    }

    /// Sends a request and waits for its answer; what else arrives meanwhile is handed to `other`.
    fn request_with(
        &mut self,
        method: &str,
        params: Value,
        other: &mut dyn FnMut(Notification),
    ) -> Value {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.send(Request::new(id.clone(), method.into(), params).into());
        loop {
            let message = self
                .inbox
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|e| panic!("no answer to `{method}`: {e}"));
            match message {
                Message::Response(response) if response.id == id => {
                    return response.response_result.unwrap_or(Value::Null);
                }
                Message::Response(_) => {}
                Message::Notification(notification) => other(notification),
                Message::Request(request) => {
                    // Capability registration: accepted.
                    self.send(lsp_server::Response::new_ok(request.id, Value::Null).into());
                }
            }
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.request_with(method, params, &mut |_| {})
    }

    fn open(&mut self, path: &Path, text: &str) {
        self.texts.insert(path.to_path_buf(), text.to_string());
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(path), "languageId": "", "version": 1, "text": text}}),
        );
    }

    fn change(&mut self, path: &Path, text: &str) {
        self.texts.insert(path.to_path_buf(), text.to_string());
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri(path), "version": 2}, "contentChanges": [{"text": text}]}),
        );
    }

    /// The diagnostics and quick fixes of every open file, once the server has checked them all.
    fn diagnostics(&mut self) -> Diagnostics {
        let mut published: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut collect = |n: Notification| {
            if n.method == "textDocument/publishDiagnostics" {
                let uri = n.params["uri"].as_str().unwrap_or("").to_string();
                let list = n.params["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                published.insert(uri, list);
            }
        };
        // A code action is answered only after every pending check has published.
        let first = self.texts.keys().next().cloned().unwrap_or_default();
        self.request_with(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri(&first)},
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                "context": {"diagnostics": []}}),
            &mut collect,
        );
        let mut out = Diagnostics::new();
        for (path, text) in self.texts.clone() {
            let Some(list) = published.get(&uri(&path)) else {
                continue;
            };
            let fixes = self.quick_fixes(&path, text.as_str());
            for d in list.iter().filter(|d| d["code"].is_string()) {
                let span = span(text.as_str(), &d["range"]);
                let code = d["code"].as_str().unwrap_or("").to_string();
                out.insert(Seen {
                    file: relative(&self.root, &path.to_string_lossy()),
                    fix: fixes.get(&(code.clone(), span)).cloned(),
                    code,
                    span,
                    severity: match d["severity"].as_u64() {
                        Some(1) => "error",
                        Some(2) => "warning",
                        Some(3) => "info",
                        _ => "hint",
                    }
                    .to_string(),
                    message: d["message"].as_str().unwrap_or("").to_string(),
                });
            }
        }
        out
    }

    /// The quick fixes offered in a file, by the rule and span of the diagnostic each fixes.
    #[allow(clippy::type_complexity)]
    fn quick_fixes(
        &mut self,
        path: &Path,
        text: &str,
    ) -> BTreeMap<(String, (usize, usize)), Vec<(String, usize, usize, String)>> {
        let end = json!({"line": text.lines().count() + 1, "character": 0});
        let actions = self.request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": uri(path)},
                "range": {"start": {"line": 0, "character": 0}, "end": end},
                "context": {"diagnostics": [], "only": ["quickfix"]},
            }),
        );
        let mut out = BTreeMap::new();
        // The fixes, not the "ignore here" comments offered beside them.
        let fixes = actions
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["isPreferred"] == true);
        for action in fixes {
            let diagnostic = &action["diagnostics"][0];
            let key = (
                diagnostic["code"].as_str().unwrap_or("").to_string(),
                span(text, &diagnostic["range"]),
            );
            let mut edits = Vec::new();
            for (file_uri, list) in action["edit"]["changes"].as_object().into_iter().flatten() {
                let file = file_uri.strip_prefix("file://").unwrap_or(file_uri);
                let file_text = self
                    .texts
                    .get(Path::new(file))
                    .cloned()
                    .unwrap_or_else(|| std::fs::read_to_string(file).unwrap_or_default());
                for edit in list.as_array().into_iter().flatten() {
                    let (start, end) = span(&file_text, &edit["range"]);
                    let content = edit["newText"].as_str().unwrap_or("").to_string();
                    edits.push((relative(&self.root, file), start, end, content));
                }
            }
            edits.sort();
            out.insert(key, edits);
        }
        out
    }

    fn stop(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let status = self.child.wait().unwrap_or_else(|e| panic!("{e}"));
        assert!(status.success(), "the server exited with {status}");
    }
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The byte span of an LSP range, columns in UTF-8 code units (the encoding negotiated).
fn span(text: &str, range: &Value) -> (usize, usize) {
    let offset = |position: &Value| {
        let line = position["line"].as_u64().unwrap_or(0) as usize;
        let character = position["character"].as_u64().unwrap_or(0) as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        (start + character).min(text.len())
    };
    (offset(&range["start"]), offset(&range["end"]))
}

/// Every file of the project the engine reads, to open in the editor.
fn sources(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = path.to_string_lossy().to_string();
            if path.is_dir() {
                dirs.push(path);
            } else if [".tf", ".json", ".yaml", ".yml", ".template", ".cfn"]
                .iter()
                .any(|ext| name.ends_with(ext))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Opens a file as it is on disk.
fn open_from_disk(server: &mut Server, path: &Path) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    server.open(path, &text);
}

/// Opens every source file of the project as it is on disk.
fn open_all(server: &mut Server, root: &Path) {
    for path in sources(root) {
        open_from_disk(server, &path);
    }
}

/// The CLI and the server see the same thing; returns it.
fn same(root: &Path, server: &mut Server) -> Diagnostics {
    let from_cli = cli(root);
    let from_server = server.diagnostics();
    if from_cli != from_server {
        let only_cli: Vec<_> = from_cli.difference(&from_server).collect();
        let only_server: Vec<_> = from_server.difference(&from_cli).collect();
        panic!(
            "check and the server disagree\nonly check: {only_cli:#?}\nonly the server: {only_server:#?}"
        );
    }
    from_cli
}

fn project(name: &str) -> Scratch {
    scratch(&format!("parity-{name}")).canonical()
}

fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn fixture(path: &str) -> String {
    std::fs::read_to_string(root().join("testdata").join(path)).unwrap_or_else(|e| panic!("{e}"))
}

/// The seed's findings, named by the project's configuration.
fn with_seed_findings(root: &Path) {
    write(&root.join("findings.json"), &fixture("e2e/findings.json"));
    write(
        &root.join("iamprune.toml"),
        "account = \"123456789012\"\nfindings = [\"findings.json\"]\n",
    );
}

fn codes(diagnostics: &Diagnostics) -> BTreeSet<&str> {
    diagnostics.iter().map(|d| d.code.as_str()).collect()
}

// --- the cases --------------------------------------------------------------------------------------

#[test]
fn rules_turned_off_are_neither_reported_nor_fixed() {
    let root = project("rules");
    copy_dir(&common::root().join("testdata/rules/IAM011"), &root);
    let mut server = Server::start(&root);
    open_all(&mut server, &root);
    let before = same(&root, &mut server);
    assert!(codes(&before).contains("IAM011"), "{before:#?}");
    server.stop();

    write(
        &root.join("iamprune.toml"),
        "[rules]\nignore = [\"IAM011\"]\nseverity = { IAM010 = \"error\" }\n",
    );
    let mut server = Server::start(&root);
    open_all(&mut server, &root);
    let after = same(&root, &mut server);
    assert!(!codes(&after).contains("IAM011"), "{after:#?}");
    server.stop();
    // Nor does `fix` apply what `check` no longer reports.
    let diff = run(&root, &["fix", ".", "--diff"]);
    assert!(
        diff.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&diff.stdout)
    );
}

#[test]
fn cfn_templates_are_read_by_both() {
    let root = project("cfn");
    write(
        &root.join("stack.cfn"),
        &fixture("e2e/cfn-yaml/template.yaml"),
    );
    with_seed_findings(&root);
    let mut server = Server::start(&root);
    open_all(&mut server, &root);
    let seen = same(&root, &mut server);
    assert!(
        seen.iter()
            .any(|d| d.file == "stack.cfn" && d.fix.is_some()),
        "{seen:#?}"
    );
    server.stop();
}

/// The seed policy in a module whose role is named by the module that calls it.
fn module_project(name: &str) -> Scratch {
    let root = project(name);
    let module = fixture("e2e/tf-jsonencode/main.tf").replace(
        "name               = \"SeedRole\"",
        "name               = var.role_name",
    );
    write(
        &root.join("modules/app/main.tf"),
        &format!("variable \"role_name\" {{}}\n\n{module}"),
    );
    with_seed_findings(&root);
    root
}

const ROOT_MODULE: &str =
    "module \"app\" {\n  source    = \"./modules/app\"\n  role_name = \"SeedRole\"\n}\n";

#[test]
fn a_role_name_passed_into_a_local_module_reaches_its_policies() {
    let root = module_project("modules");
    write(&root.join("main.tf"), ROOT_MODULE);
    let mut server = Server::start(&root);
    // Only the module's file is open, as when someone edits it.
    open_from_disk(&mut server, &root.join("modules/app/main.tf"));
    let seen = same(&root, &mut server);
    assert!(codes(&seen).contains("IAM002"), "{seen:#?}");
    server.stop();
}

#[test]
fn a_module_file_created_on_disk_is_seen_at_once() {
    let root = module_project("created");
    let mut server = Server::start(&root);
    open_from_disk(&mut server, &root.join("modules/app/main.tf"));
    // Nobody names the role yet: nothing is narrowed.
    let before = same(&root, &mut server);
    assert!(!codes(&before).contains("IAM002"), "{before:#?}");

    write(&root.join("main.tf"), ROOT_MODULE);
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&root.join("main.tf")), "type": 1}]}),
    );
    let after = same(&root, &mut server);
    assert!(codes(&after).contains("IAM002"), "{after:#?}");
    server.stop();
}

#[test]
fn an_unsaved_buffer_is_checked_as_check_checks_it_saved() {
    let root = project("buffer");
    let original = fixture("e2e/tf-jsonencode/main.tf");
    write(&root.join("main.tf"), &original);
    with_seed_findings(&root);
    let mut server = Server::start(&root);
    open_all(&mut server, &root);
    let saved = same(&root, &mut server);

    // The editor drops one unused action and does not save; `check` sees the same once it is saved.
    let edited = original.replace("          \"lambda:AddPermission\",\n", "");
    assert_ne!(edited, original);
    server.change(&root.join("main.tf"), &edited);
    let unsaved = server.diagnostics();
    write(&root.join("main.tf"), &edited);
    assert_eq!(cli(&root), unsaved);
    assert_eq!(unsaved.len() + 1, saved.len(), "{unsaved:#?}");
    server.stop();
}

#[test]
fn a_policy_file_read_through_path_root_is_checked_in_its_module() {
    let root = project("path-root");
    let module = fixture("e2e/tf-file/main.tf").replace("${path.module}", "${path.root}");
    write(&root.join("main.tf"), &module);
    write(
        &root.join("seed-policy.json"),
        &fixture("e2e/tf-file/seed-policy.json"),
    );
    with_seed_findings(&root);
    let mut server = Server::start(&root);
    // Only the policy file is open: it is checked in the module that reads it, as `check` checks it.
    open_from_disk(&mut server, &root.join("seed-policy.json"));
    let seen = same(&root, &mut server);
    assert!(codes(&seen).contains("IAM002"), "{seen:#?}");
    server.stop();
}

/// Keystrokes inside one resource of a YAML template: the server parses only that resource again,
/// and after each edit says what `check` says of the same text saved.
#[test]
fn edits_inside_a_resource_are_checked_as_check_checks_them() {
    let root = project("reparse");
    let original = format!(
        "{}  Queue:\n    Type: AWS::SQS::Queue\n",
        fixture("e2e/cfn-yaml/template.yaml")
    );
    write(&root.join("template.yaml"), &original);
    with_seed_findings(&root);
    let mut server = Server::start(&root);
    open_all(&mut server, &root);
    same(&root, &mut server);
    let edits = [
        ("                  - lambda:AddPermission\n", ""),
        ("lambda:Invoke*", "lambda:Inv*"),
        (
            "\"s3:List*\"",
            "\"s3:List*\"\n                  - s3:PutObject",
        ),
        ("RoleName: SeedRole", "RoleName: SeedRoleRenamed"),
        ("RoleName: SeedRoleRenamed", "RoleName: SeedRole"),
    ];
    let mut text = original;
    for (from, to) in edits {
        assert!(text.contains(from), "{from}");
        text = text.replacen(from, to, 1);
        server.change(&root.join("template.yaml"), &text);
        let from_server = server.diagnostics();
        write(&root.join("template.yaml"), &text);
        assert_eq!(cli(&root), from_server, "after {from} -> {to}");
    }
    server.stop();
}
