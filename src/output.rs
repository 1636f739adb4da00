//! Writing to standard output. A reader that stops early (`| head`) closes the pipe: that ends the
//! output, never the run with a panic, and never changes its exit code.

use std::io::Write;

/// Writes `text` to standard output, ignoring a closed pipe.
pub fn stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
