//! Standard input and output as a connection. lsp-server's own reader ends the connection at the
//! first message that is not valid JSON-RPC, which kills the server; here such a message is logged and
//! skipped, and the next one is read. A message's frame (its `Content-Length` body) is read whole before
//! it is parsed, so a bad body leaves the stream at the next message. What the server sends goes
//! through one queue ([`Publisher`]), in order.

use std::io::{self, BufRead, Write};
use std::thread;

use crossbeam_channel::{Receiver, Sender, unbounded};
use lsp_server::{Connection, Message};
use lsp_types as lsp;

use crate::ServerError;

/// The reader and writer threads of a connection, joined when the server is done.
pub struct IoThreads {
    reader: thread::JoinHandle<()>,
    writer: thread::JoinHandle<io::Result<()>>,
}

impl IoThreads {
    pub fn join(self) -> io::Result<()> {
        let _ = self.reader.join();
        self.writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writer panicked")))
    }
}

/// A connection over standard input and output.
pub fn stdio() -> (Connection, IoThreads) {
    let (to_server, receiver) = unbounded::<Message>();
    let (sender, to_client) = unbounded::<Message>();
    let reader = thread::spawn(move || read_all(io::stdin().lock(), &to_server));
    let writer = thread::spawn(move || write_all(&mut io::stdout().lock(), &to_client));
    (
        Connection { sender, receiver },
        IoThreads { reader, writer },
    )
}

/// Forwards every message until the input ends, the server stops listening, or `exit` arrives.
fn read_all(mut input: impl BufRead, to_server: &Sender<Message>) {
    loop {
        match Message::read(&mut input) {
            Ok(Some(message)) => {
                let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
                if to_server.send(message).is_err() || exit {
                    return;
                }
            }
            Ok(None) => return,
            Err(error) if error.kind() == io::ErrorKind::InvalidData => {
                // Said on stderr, which clients show in the server's log.
                eprintln!("iamprune server: skipped a message that is not valid JSON-RPC: {error}");
            }
            Err(error) => {
                eprintln!("iamprune server: cannot read from the client: {error}");
                return;
            }
        }
    }
}

fn write_all(output: &mut impl Write, to_client: &Receiver<Message>) -> io::Result<()> {
    for message in to_client {
        message.write(output)?;
    }
    Ok(())
}

const PUBLISH: &str = "textDocument/publishDiagnostics";

/// What the server sends: a message, or diagnostics yet to become one.
pub enum Outgoing {
    Message(lsp_server::Message),
    Diagnostics(lsp::PublishDiagnosticsParams),
}

/// Sends everything the server sends, in order, from a thread of its own, which also turns
/// published diagnostics into protocol messages: a large template's 2,000 diagnostics take longer
/// to become JSON than the rest of a check after an edit, time a hover or the next keystroke would
/// wait for. One queue keeps the order of all of it (a code action's answer comes after the
/// diagnostics published before it). Without the thread (it could not be started), the main loop
/// sends itself.
pub struct Publisher {
    queue: Option<crossbeam_channel::Sender<Outgoing>>,
    out: crossbeam_channel::Sender<lsp_server::Message>,
}

impl Publisher {
    pub fn new(connection: &lsp_server::Connection) -> Self {
        let out = connection.sender.clone();
        let (queue, receiver) = crossbeam_channel::unbounded::<Outgoing>();
        let to_client = out.clone();
        let spawned = std::thread::Builder::new()
            .name("publish".into())
            .spawn(move || {
                for outgoing in receiver {
                    if to_client.send(message(outgoing)).is_err() {
                        return;
                    }
                }
            });
        Publisher {
            queue: spawned.ok().map(|_| queue),
            out,
        }
    }

    pub fn send(&self, outgoing: Outgoing) -> Result<(), ServerError> {
        match &self.queue {
            Some(queue) => queue.send(outgoing).map_err(|_| ServerError::Disconnected),
            None => self
                .out
                .send(message(outgoing))
                .map_err(|_| ServerError::Disconnected),
        }
    }
}

fn message(outgoing: Outgoing) -> lsp_server::Message {
    match outgoing {
        Outgoing::Message(message) => message,
        Outgoing::Diagnostics(params) => {
            lsp_server::Notification::new(PUBLISH.to_string(), params).into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn a_body_that_is_not_json_is_skipped_and_the_next_message_read() {
        let input = [
            frame("{oops"),
            frame(r#"{"jsonrpc": "2.0", "method": "initialized", "params": {}}"#),
            frame(r#"{"jsonrpc": "2.0", "method": "exit"}"#),
            frame(r#"{"jsonrpc": "2.0", "method": "never read"}"#),
        ]
        .concat();
        let (sender, receiver) = unbounded();
        read_all(io::Cursor::new(input), &sender);
        let methods: Vec<String> = receiver
            .try_iter()
            .map(|m| match m {
                Message::Notification(n) => n.method,
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(methods, ["initialized", "exit"]);
    }
}
