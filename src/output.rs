//! Writing to standard output. A reader that stops early (`| head`) closes the pipe: that ends the
//! output, never the run with a panic, and never changes its exit code.

use std::io::Write;

/// Writes `text` to standard output, ignoring a closed pipe.
pub fn stdout(text: &str) {
    stdout_with(|out| out.write_all(text.as_bytes()));
}

/// Writes to standard output through a buffer with `write`, ignoring a closed pipe.
pub fn stdout_with(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let _ = write(&mut out).and_then(|()| out.flush());
}

/// Writes a file through a buffer with `write`.
pub fn to_file(
    path: &std::path::Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    write(&mut out)?;
    out.flush()
}
