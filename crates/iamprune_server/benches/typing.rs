//! Typing in a large CloudFormation template, as an editor does it: a scripted client drives the server
//! in process and reports how long diagnostics take after an edit, what a burst of keystrokes costs,
//! how soon a hover sent after the last keystroke is answered, and what a code action after an edit
//! waits for.
//!
//! `cargo bench -p iamprune_server --bench typing` (`IAMPRUNE_BENCH_ROLES` sets the template's size,
//! 1,000 roles ≈ 1 MB by default; `IAMPRUNE_BENCH_EDITS` the number of single edits, 60 by default).

#[path = "../../iamprune_cfn/benches/generated.rs"]
mod generated;

use std::path::Path;
use std::time::{Duration, Instant};

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{Value, json};

// The allocator of the `iamprune` binary, whose `lsp` command is the server editors run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let roles = env_number("IAMPRUNE_BENCH_ROLES", 1000);
    let edits = env_number("IAMPRUNE_BENCH_EDITS", 60);
    let dir = tempfile::tempdir()?;
    let template = generated::write_project(dir.path(), roles)?;
    let uri = format!("file://{}", template.display());
    let mut text = std::fs::read_to_string(&template)?;
    println!(
        "template: {roles} roles, {:.2} MB; {edits} single edits",
        text.len() as f64 / 1e6
    );

    let mut client = Client::start(dir.path())?;
    let opened = Instant::now();
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
    )?;
    let (count, arrived) = client.diagnostics_for(&uri, 1)?;
    println!(
        "open: first diagnostics after {:.1} ms ({count} diagnostics)",
        ms(arrived.duration_since(opened))
    );

    // Single edits, each waited for: the latency a user feels after one keystroke.
    let mut version = 1;
    let mut latencies = Vec::new();
    for i in 0..edits {
        version += 1;
        let change = edit(&mut text, i % roles);
        let sent = Instant::now();
        client.change(&uri, version, change)?;
        let (_, arrived) = client.diagnostics_for(&uri, version)?;
        latencies.push(arrived.duration_since(sent));
    }
    report("edit → diagnostics", &mut latencies);

    // A burst: 20 keystrokes 50 ms apart, then a hover on the last edited policy.
    let first_version = version + 1;
    let mut last_sent = Instant::now();
    for i in 0..20 {
        version += 1;
        let change = edit(&mut text, (roles / 2 + i) % roles);
        last_sent = Instant::now();
        client.change(&uri, version, change)?;
        std::thread::sleep(Duration::from_millis(50));
    }
    let hover_at = line_of(&text, "- sqs:*", roles / 2);
    let hover_sent = Instant::now();
    let hover_id = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": hover_at, "character": 20}}),
    )?;
    let burst = client.after_burst(&uri, hover_id, version)?;
    let checks = burst
        .versions
        .iter()
        .filter(|v| **v >= first_version)
        .count();
    println!(
        "burst of 20 edits 50 ms apart: {checks} diagnostics published; the last {:.1} ms after the last edit",
        ms(burst.diagnostics_at.duration_since(last_sent))
    );
    println!(
        "hover sent after the last keystroke: answered in {:.1} ms ({})",
        ms(burst.hover_at.duration_since(hover_sent)),
        if burst.hover.is_null() {
            "empty"
        } else {
            "with content"
        }
    );
    // A code action after one more edit: it waits for the check of that text and the verification of
    // its fixes.
    version += 1;
    let change = edit(&mut text, roles / 3);
    client.change(&uri, version, change)?;
    let line = line_of(&text, "- sqs:*", roles / 3);
    let (took, actions) = client.quick_fixes(&uri, line)?;
    println!(
        "code action right after an edit: answered in {:.1} ms ({actions} actions)",
        ms(took)
    );
    // And once more on the same text: the check and its verification are done.
    let (took, _) = client.quick_fixes(&uri, line)?;
    println!("the same code action again: answered in {:.1} ms", ms(took));
    client.stop()?;
    Ok(())
}

/// Types one character into role `i`'s policy, or takes it out again, as typing and backspacing do:
/// the `Sid` of its first statement gains or loses an `x`, and everything after it moves by a byte.
/// Returns the change as an editor sends it (the server asks for incremental changes).
fn edit(text: &mut String, i: usize) -> Value {
    let typed = format!("Sid: xData{i:05}");
    let (at, removed, inserted) = if let Some(at) = text.find(&typed) {
        (at + "Sid: ".len(), 1, "")
    } else if let Some(at) = text.find(&format!("Sid: Data{i:05}")) {
        (at + "Sid: ".len(), 0, "x")
    } else {
        return json!({"text": text.as_str()});
    };
    let range = json!({"start": position(text, at), "end": position(text, at + removed)});
    text.replace_range(at..at + removed, inserted);
    json!({"range": range, "text": inserted})
}

/// The position of byte `at` of an ASCII text.
fn position(text: &str, at: usize) -> Value {
    let before = &text[..at];
    let line = before.matches('\n').count();
    let character = at - before.rfind('\n').map_or(0, |n| n + 1);
    json!({"line": line, "character": character})
}

fn line_of(text: &str, needle: &str, nth_role: usize) -> usize {
    let marker = format!("Data{nth_role:05}");
    let start = text.find(&marker).unwrap_or(0);
    let at = text[start..].find(needle).map_or(start, |o| start + o);
    text[..at].matches('\n').count()
}

struct Burst {
    versions: Vec<i32>,
    hover: Value,
    hover_at: Instant,
    diagnostics_at: Instant,
}

struct Client {
    connection: Connection,
    /// Every message from the server with the instant it arrived, taken off the connection by a
    /// thread of its own so that the time is not when the client got round to reading it.
    arrivals: crossbeam_channel::Receiver<(Instant, Message)>,
    server: Option<std::thread::JoinHandle<Result<(), iamprune_server::ServerError>>>,
    next_id: i32,
}

impl Client {
    fn start(root: &Path) -> Result<Client, Box<dyn std::error::Error>> {
        let (server, connection) = Connection::memory();
        let handle = std::thread::spawn(move || iamprune_server::run(server));
        let (stamp, arrivals) = crossbeam_channel::unbounded();
        let incoming = connection.receiver.clone();
        std::thread::spawn(move || {
            for message in incoming {
                if stamp.send((Instant::now(), message)).is_err() {
                    break;
                }
            }
        });
        let mut client = Client {
            connection,
            arrivals,
            server: Some(handle),
            next_id: 0,
        };
        let id = client.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": format!("file://{}", root.display()),
                "capabilities": {"general": {"positionEncodings": ["utf-8"]},
                    "textDocument": {"codeAction": {"resolveSupport": {"properties": ["edit"]}}}},
            }),
        )?;
        loop {
            if let Message::Response(r) = client.receive()? {
                if r.id == id {
                    break;
                }
            }
        }
        client.notify("initialized", json!({}))?;
        Ok(client)
    }

    fn notify(&self, method: &str, params: Value) -> Result<(), Box<dyn std::error::Error>> {
        self.connection
            .sender
            .send(Notification::new(method.into(), params).into())?;
        Ok(())
    }

    fn change(
        &self,
        uri: &str,
        version: i32,
        change: Value,
    ) -> Result<(), Box<dyn std::error::Error>> {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}),
        )
    }

    fn request(
        &mut self,
        method: &str,
        params: Value,
    ) -> Result<RequestId, Box<dyn std::error::Error>> {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.connection
            .sender
            .send(Request::new(id.clone(), method.into(), params).into())?;
        Ok(id)
    }

    fn receive(&self) -> Result<Message, Box<dyn std::error::Error>> {
        Ok(self.receive_stamped()?.1)
    }

    fn receive_stamped(&self) -> Result<(Instant, Message), Box<dyn std::error::Error>> {
        Ok(self.arrivals.recv_timeout(Duration::from_secs(600))?)
    }

    /// Asks for the quick fixes on `line`; returns how long the answer took and how many there were.
    fn quick_fixes(
        &mut self,
        uri: &str,
        line: usize,
    ) -> Result<(Duration, usize), Box<dyn std::error::Error>> {
        let asked = Instant::now();
        let id = self.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri},
                "range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 30}},
                "context": {"diagnostics": [], "only": ["quickfix"]}}),
        )?;
        let (answered, actions) = self.response(id)?;
        Ok((
            answered.duration_since(asked),
            actions.as_array().map_or(0, Vec::len),
        ))
    }

    /// Waits for the answer to request `id`; returns when it arrived and its result.
    fn response(&self, id: RequestId) -> Result<(Instant, Value), Box<dyn std::error::Error>> {
        loop {
            if let (at, Message::Response(r)) = self.receive_stamped()? {
                if r.id == id {
                    return Ok((at, r.response_result.unwrap_or(Value::Null)));
                }
            }
        }
    }

    /// Waits for the diagnostics of `version`; returns their number and when they arrived.
    fn diagnostics_for(
        &self,
        uri: &str,
        version: i32,
    ) -> Result<(usize, Instant), Box<dyn std::error::Error>> {
        loop {
            let (at, message) = self.receive_stamped()?;
            if let Message::Notification(n) = message {
                if n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri {
                    let v = n.params["version"].as_i64().unwrap_or(-1) as i32;
                    if v >= version {
                        let count = n.params["diagnostics"].as_array().map_or(0, Vec::len);
                        return Ok((count, at));
                    }
                }
            }
        }
    }

    /// Collects what a burst of edits and a hover after it brought: the versions published, when the
    /// diagnostics of the last `version` and the hover's answer arrived.
    fn after_burst(
        &self,
        uri: &str,
        id: RequestId,
        version: i32,
    ) -> Result<Burst, Box<dyn std::error::Error>> {
        let mut versions = Vec::new();
        let (mut hover, mut diagnostics_at) = (None, None);
        while hover.is_none() || diagnostics_at.is_none() {
            let (at, message) = self.receive_stamped()?;
            match message {
                Message::Response(r) if r.id == id => {
                    hover = Some((r.response_result.unwrap_or(Value::Null), at));
                }
                Message::Notification(n)
                    if n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri =>
                {
                    let v = n.params["version"].as_i64().unwrap_or(-1) as i32;
                    versions.push(v);
                    if v >= version {
                        diagnostics_at = Some(at);
                    }
                }
                _ => {}
            }
        }
        let ((hover, hover_at), diagnostics_at) =
            (hover.ok_or("hover")?, diagnostics_at.ok_or("diagnostics")?);
        Ok(Burst {
            versions,
            hover,
            hover_at,
            diagnostics_at,
        })
    }

    fn stop(mut self) -> Result<(), Box<dyn std::error::Error>> {
        let id = self.request("shutdown", Value::Null)?;
        loop {
            if let Message::Response(r) = self.receive()? {
                if r.id == id {
                    break;
                }
            }
        }
        self.notify("exit", Value::Null)?;
        if let Some(handle) = self.server.take() {
            let _ = handle.join();
        }
        Ok(())
    }
}

fn report(what: &str, latencies: &mut [Duration]) {
    latencies.sort();
    let at = |q: f64| ms(latencies[((latencies.len() - 1) as f64 * q).round() as usize]);
    println!(
        "{what}: median {:.1} ms, p95 {:.1} ms, min {:.1} ms, max {:.1} ms ({} edits)",
        at(0.5),
        at(0.95),
        at(0.0),
        at(1.0),
        latencies.len()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
