//! Reading files without hanging: only regular files are read, and none is opened in a way that
//! waits. Opening a FIFO for reading waits for a writer forever, and a device may never end; the walk
//! can meet either under any name (`*.tf`, `*.json`), so every read of a file named by a tree or a
//! user goes through here.

use std::io::{self, Read};
use std::path::Path;

/// `Ok` for a regular file (following symbolic links), asked without opening it.
fn regular(path: &Path) -> io::Result<()> {
    if std::fs::metadata(path)?.is_file() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (a FIFO, socket or device)",
        ))
    }
}

/// Whether `path` is a regular file (following symbolic links), asked without opening it.
pub fn is_regular_file(path: &Path) -> bool {
    regular(path).is_ok()
}

/// Whether `path` is there but is neither a regular file nor a directory: a FIFO, socket or device.
pub fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Why [`read`] gave no bytes.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("not a regular file (a FIFO, socket or device)")]
    NotRegular,
    /// The file's length, over the limit: it was not opened.
    #[error("{0} bytes, over the limit")]
    TooLarge(u64),
}

/// `std::fs::read`, for regular files of at most `limit` bytes. Every file of a tree is read through
/// here, so it costs one `stat`, of the open file: three per file were a tenth of the system calls
/// of a check. The file is opened without blocking, which a FIFO would otherwise do until a writer
/// came, and nothing but a regular file is read.
#[cfg(unix)]
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular);
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge(meta.len()));
    }
    // The length is known: read that much, most often in one call, and not once more to find the end
    // (`read_to_end` asks the length again, and reads in growing pieces). A file that grows meanwhile
    // is read as it was when it was asked; one that shrinks, as far as it goes.
    let mut bytes = vec![0; usize::try_from(meta.len()).unwrap_or(0)];
    let mut filled = 0;
    while filled < bytes.len() {
        match file.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    bytes.truncate(filled);
    Ok(bytes)
}

/// `std::fs::read`, for regular files of at most `limit` bytes, asked before the file is opened.
#[cfg(not(unix))]
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular);
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge(meta.len()));
    }
    Ok(std::fs::read(path)?)
}

/// `std::fs::read_to_string`, for regular files only.
pub fn read_to_string(path: &Path) -> io::Result<String> {
    regular(path)?;
    std::fs::read_to_string(path)
}

/// At most the first `limit` bytes of a regular file.
pub fn read_prefix(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open(path)?.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// `std::fs::File::open`, for regular files only: for a reader that reads as it goes.
pub fn open(path: &Path) -> io::Result<std::fs::File> {
    regular(path)?;
    std::fs::File::open(path)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_read_whole_in_any_size() {
        let dir = std::env::temp_dir().join(format!("iamprune-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        for len in [0, 1, 8191, 8192, 8193, 300_000] {
            let file = dir.join(format!("{len}.json"));
            let text: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            std::fs::write(&file, &text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(read(&file, 300_000).ok(), Some(text), "{len} bytes");
        }
        assert!(matches!(read(&dir, 10), Err(ReadError::NotRegular)));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = std::env::temp_dir().join(format!("iamprune-fifo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let fifo = dir.join("main.tf");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("skipped: mkfifo is not available");
            return;
        }
        assert!(matches!(read(&fifo, 10), Err(ReadError::NotRegular)));
        for error in [
            read_to_string(&fifo).err(),
            read_prefix(&fifo, 10).err(),
            open(&fifo).err(),
        ] {
            assert_eq!(error.map(|e| e.kind()), Some(io::ErrorKind::InvalidInput));
        }
        assert!(!is_regular_file(&fifo));
        assert!(is_special(&fifo));
        let file = dir.join("ok.tf");
        std::fs::write(&file, "x").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read_to_string(&file).ok().as_deref(), Some("x"));
        assert_eq!(read(&file, 1).ok(), Some(b"x".to_vec()));
        assert!(matches!(read(&file, 0), Err(ReadError::TooLarge(1))));
        assert_eq!(read_prefix(&file, 0).ok(), Some(Vec::new()));
        assert!(open(&file).is_ok());
    }
}
