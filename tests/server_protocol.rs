//! The language server's framing and lifetime, as a client sees them over stdio: a malformed message
//! is skipped, `exit` codes follow the protocol, and the server ends when its client is gone.

mod common;

use common::*;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdout, Stdio};
use std::time::{Duration, Instant};

fn frame(body: &str) -> Vec<u8> {
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

fn start() -> Child {
    iamprune()
        .arg("server")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn send(child: &mut Child, bodies: &[&str]) {
    let stdin = child.stdin.as_mut().unwrap_or_else(|| panic!("no stdin"));
    for body in bodies {
        stdin
            .write_all(&frame(body))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    stdin.flush().unwrap_or_else(|e| panic!("{e}"));
}

/// The next message the server sends.
fn receive(stdout: &mut BufReader<ChildStdout>) -> serde_json::Value {
    let mut length = 0;
    loop {
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .unwrap_or_else(|e| panic!("{e}"));
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length: ") {
            length = value.parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    stdout
        .read_exact(&mut body)
        .unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{e}"))
}

/// The response to request `id`, skipping notifications.
fn response(stdout: &mut BufReader<ChildStdout>, id: u64) -> serde_json::Value {
    loop {
        let message = receive(stdout);
        if message["id"] == id {
            return message;
        }
    }
}

fn initialize(process_id: Option<u32>) -> String {
    let pid = process_id.map_or("null".to_string(), |p| p.to_string());
    format!(
        r#"{{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {{"processId": {pid}, "capabilities": {{}}, "rootUri": null}}}}"#
    )
}

fn wait(child: &mut Child, within: Duration) -> Option<i32> {
    let started = Instant::now();
    while started.elapsed() < within {
        if let Ok(Some(status)) = child.try_wait() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    None
}

#[test]
fn a_malformed_message_is_skipped_and_the_server_goes_on() {
    let mut child = start();
    let mut stdout = BufReader::new(child.stdout.take().unwrap_or_else(|| panic!("no stdout")));
    send(&mut child, &[&initialize(None)]);
    assert!(response(&mut stdout, 1)["result"]["capabilities"].is_object());
    send(
        &mut child,
        &[
            "{this is not json",
            r#"{"jsonrpc": "2.0", "method": "initialized", "params": {}}"#,
            r#"{"jsonrpc": "2.0", "id": 2, "method": "shutdown"}"#,
        ],
    );
    assert_eq!(response(&mut stdout, 2)["result"], serde_json::Value::Null);
    send(&mut child, &[r#"{"jsonrpc": "2.0", "method": "exit"}"#]);
    assert_eq!(wait(&mut child, Duration::from_secs(10)), Some(0));
    let mut stderr = String::new();
    let _ = child
        .stderr
        .take()
        .map(|mut e| e.read_to_string(&mut stderr));
    assert!(
        stderr.contains("skipped a message that is not valid JSON-RPC"),
        "{stderr}"
    );
}

#[test]
fn exit_without_shutdown_exits_1() {
    let mut child = start();
    let mut stdout = BufReader::new(child.stdout.take().unwrap_or_else(|| panic!("no stdout")));
    send(&mut child, &[&initialize(None)]);
    response(&mut stdout, 1);
    send(&mut child, &[r#"{"jsonrpc": "2.0", "method": "exit"}"#]);
    assert_eq!(wait(&mut child, Duration::from_secs(10)), Some(1));
}

#[cfg(unix)]
#[test]
fn the_server_ends_when_its_client_is_gone() {
    let mut client = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut child = start();
    let mut stdout = BufReader::new(child.stdout.take().unwrap_or_else(|| panic!("no stdout")));
    send(&mut child, &[&initialize(Some(client.id()))]);
    response(&mut stdout, 1);
    // Its stdin stays open throughout: only the watch can end it.
    std::thread::sleep(Duration::from_millis(2_500));
    assert!(
        matches!(child.try_wait(), Ok(None)),
        "the server ended while its client ran"
    );
    let _ = client.kill();
    let _ = client.wait();
    assert_eq!(wait(&mut child, Duration::from_secs(10)), Some(1));
}

/// The demo's Terraform file opened in a server, its diagnostics published; what `initialize` says of
/// the client's code action support is `code_action`.
fn demo_server(code_action: &str) -> (Child, BufReader<ChildStdout>, String) {
    let root = root().join("testdata/demo");
    let root_uri = format!("file://{}", root.display());
    let file = root.join("terraform/main.tf");
    let uri = format!("file://{}", file.display());
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let mut child = start();
    let mut stdout = BufReader::new(child.stdout.take().unwrap_or_else(|| panic!("no stdout")));
    let initialize = serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "processId": null, "rootUri": root_uri,
            // The first diagnostics of the file are its open check's.
            "initializationOptions": { "workspaceDiagnostics": false },
            "capabilities": { "textDocument": { "codeAction": serde_json::from_str::<serde_json::Value>(code_action).unwrap_or_default() } }
        }
    });
    send(&mut child, &[&initialize.to_string()]);
    response(&mut stdout, 1);
    let open = serde_json::json!({
        "jsonrpc": "2.0", "method": "textDocument/didOpen",
        "params": { "textDocument": { "uri": uri, "languageId": "terraform", "version": 1, "text": text } }
    });
    send(
        &mut child,
        &[
            r#"{"jsonrpc": "2.0", "method": "initialized", "params": {}}"#,
            &open.to_string(),
        ],
    );
    loop {
        let message = receive(&mut stdout);
        if message["method"] == "textDocument/publishDiagnostics" && message["params"]["uri"] == uri
        {
            break;
        }
    }
    (child, stdout, uri)
}

fn fix_all_request(uri: &str) -> String {
    serde_json::json!({
        "jsonrpc": "2.0", "id": 2, "method": "textDocument/codeAction",
        "params": {
            "textDocument": { "uri": uri },
            "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } },
            "context": { "diagnostics": [], "only": ["source.fixAll.iamprune"] }
        }
    })
    .to_string()
}

fn stop(mut child: Child) {
    send(
        &mut child,
        &[
            r#"{"jsonrpc": "2.0", "id": 99, "method": "shutdown"}"#,
            r#"{"jsonrpc": "2.0", "method": "exit"}"#,
        ],
    );
    let _ = wait(&mut child, Duration::from_secs(10));
}

#[test]
fn fix_all_is_resolved_on_demand_when_the_client_can() {
    let (mut child, mut stdout, uri) =
        demo_server(r#"{"resolveSupport": {"properties": ["edit"]}}"#);
    send(&mut child, &[&fix_all_request(&uri)]);
    let actions = response(&mut stdout, 2)["result"].clone();
    let action = actions[0].clone();
    assert_eq!(action["kind"], "source.fixAll.iamprune", "{actions}");
    assert!(action.get("edit").is_none(), "{action}");
    let resolve = serde_json::json!({
        "jsonrpc": "2.0", "id": 3, "method": "codeAction/resolve", "params": action
    });
    send(&mut child, &[&resolve.to_string()]);
    let resolved = response(&mut stdout, 3)["result"].clone();
    let edits = resolved["edit"]["changes"][&uri]
        .as_array()
        .map_or(0, Vec::len);
    assert!(edits >= 5, "{resolved}");
    stop(child);

    // A client that cannot resolve gets the edit at once.
    let (mut child, mut stdout, uri) = demo_server("{}");
    send(&mut child, &[&fix_all_request(&uri)]);
    let actions = response(&mut stdout, 2)["result"].clone();
    let edits = actions[0]["edit"]["changes"][&uri]
        .as_array()
        .map_or(0, Vec::len);
    assert!(edits >= 5, "{actions}");
    stop(child);
}

/// The resident memory of a process in kB, where /proc tells.
fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// Random edits of an open template, sent as fast as a client can: the server answers a request after
/// all of them, and its memory does not grow with their number. `IAMPRUNE_SERVER_EDITS` sets how many
/// (default 1,000; the closing measurement used 10,000).
#[test]
fn random_edits_never_crash_the_server() {
    let edits: usize = std::env::var("IAMPRUNE_SERVER_EDITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let root = root().join("testdata/demo");
    let file = root.join("cloudformation/web.yaml");
    let uri = format!("file://{}", file.display());
    let original = std::fs::read_to_string(&file).unwrap_or_default();
    let (mut child, mut stdout, _) = demo_server("{}");
    let pid = child.id();
    let open = serde_json::json!({
        "jsonrpc": "2.0", "method": "textDocument/didOpen",
        "params": { "textDocument": { "uri": uri, "languageId": "yaml", "version": 1, "text": original } }
    });
    send(&mut child, &[&open.to_string()]);
    // Messages the server sends are read as they come, so that it never blocks on a full pipe.
    let reader = std::thread::spawn(move || {
        let mut last = serde_json::Value::Null;
        loop {
            let message = receive(&mut stdout);
            if message["id"] == 7 {
                return (last, message);
            }
            last = message;
        }
    });
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut text = original.clone().into_bytes();
    let mut rss_early = None;
    for version in 2..edits + 2 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let at = (seed as usize) % (text.len() + 1);
        match seed % 3 {
            0 => {
                let bytes = b"{[:-*\"!&\n ";
                text.insert(at, bytes[(seed >> 8) as usize % bytes.len()]);
            }
            1 if at < text.len() => {
                text.remove(at);
            }
            // Now and then the original again, so that edits keep landing in a template.
            _ if version % 50 == 0 => text = original.clone().into_bytes(),
            _ => {}
        }
        let change = serde_json::json!({
            "jsonrpc": "2.0", "method": "textDocument/didChange",
            "params": {
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{ "text": String::from_utf8_lossy(&text) }]
            }
        });
        send(&mut child, &[&change.to_string()]);
        if version == 200 {
            rss_early = rss_kb(pid);
        }
    }
    let hover = serde_json::json!({
        "jsonrpc": "2.0", "id": 7, "method": "textDocument/hover",
        "params": { "textDocument": { "uri": uri }, "position": { "line": 0, "character": 0 } }
    });
    send(&mut child, &[&hover.to_string()]);
    let (_, answer) = reader
        .join()
        .unwrap_or_else(|_| panic!("the server stopped answering"));
    assert!(
        answer.get("error").is_none() || answer["error"]["code"] != -32603,
        "{answer}"
    );
    let rss_late = rss_kb(pid);
    eprintln!("server RSS after 200 edits: {rss_early:?} kB, after {edits}: {rss_late:?} kB");
    if let (Some(early), Some(late)) = (rss_early, rss_late) {
        assert!(late < early * 2 + 20_000, "{early} kB → {late} kB");
    }
    stop(child);
}
