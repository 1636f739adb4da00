//! Standard input and output as a connection. lsp-server's own reader ends the connection at the
//! first message that is not valid JSON-RPC, which kills the server; here such a message is logged and
//! skipped, and the next one is read. A message's frame (its `Content-Length` body) is read whole before
//! it is parsed, so a bad body leaves the stream at the next message.

use std::io::{self, BufRead, Write};
use std::thread;

use crossbeam_channel::{Receiver, Sender, unbounded};
use lsp_server::{Connection, Message};

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
