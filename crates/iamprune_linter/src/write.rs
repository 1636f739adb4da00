//! Writing fixed files without losing anyone's bytes.
//!
//! A fix is computed from what was read; by the time it is written, the user (or another program) may
//! have changed the file. So a file is written only when it still holds exactly what was read: under an
//! advisory lock on it, its content is compared, then a temporary file beside it is renamed over it. A
//! crash leaves the old file or the new one, never half of either. Read-only files are never rewritten.
//!
//! Temporary files are named `.iamprune-PID-*.tmp`: an interrupted run (SIGINT, SIGTERM) removes its
//! own before it exits, and one killed outright leaves them for the next run, which removes those of
//! processes that are gone from each directory it writes to. Two `fix` runs on one tree take turns
//! ([`TreeLock`]).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Why a fixed file was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(
        "{}: changed since it was read; nothing was written to it (run `iamprune fix` again)",
        file.display()
    )]
    Changed { file: PathBuf },
    #[error("{}: read-only; not changed (make it writable to fix it)", file.display())]
    ReadOnly { file: PathBuf },
    #[error("{}: another program holds a lock on it; not changed", file.display())]
    Locked { file: PathBuf },
    #[error("{}: cannot write: {source}", file.display())]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

const TEMP_PREFIX: &str = ".iamprune-";
const TEMP_SUFFIX: &str = ".tmp";

/// The temporary files this process has not renamed yet, for [`remove_pending_temps`], and whether
/// the process is stopping (then no new one is made).
static PENDING: Mutex<(BTreeSet<PathBuf>, bool)> = Mutex::new((BTreeSet::new(), false));

/// Replaces the text of `path` by `content` if it still is `expected` (what the fix was computed
/// from), atomically, keeping the file's permissions. Through a symbolic link, the file it points to is
/// what changes; the link stays a link.
pub fn write_if_unchanged(path: &Path, expected: &str, content: &str) -> Result<(), WriteError> {
    let io = |source| WriteError::Io {
        file: path.to_path_buf(),
        source,
    };
    let resolved = std::fs::canonicalize(path).map_err(io)?;
    let metadata = std::fs::metadata(&resolved).map_err(io)?;
    if metadata.permissions().readonly() {
        return Err(WriteError::ReadOnly {
            file: path.to_path_buf(),
        });
    }
    let mut original = File::open(&resolved).map_err(io)?;
    match fs4::FileExt::try_lock(&original) {
        Ok(()) => {}
        Err(fs4::TryLockError::WouldBlock) => {
            return Err(WriteError::Locked {
                file: path.to_path_buf(),
            });
        }
        Err(fs4::TryLockError::Error(source)) => return Err(io(source)),
    }
    let mut now = Vec::new();
    original.read_to_end(&mut now).map_err(io)?;
    if now != expected.as_bytes() {
        return Err(WriteError::Changed {
            file: path.to_path_buf(),
        });
    }
    let dir = resolved
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    remove_stale_temps(dir);
    let mut temp = pending_temp(dir).map_err(io)?;
    let temp_path = temp.path().to_path_buf();
    let written = (|| {
        temp.write_all(content.as_bytes())?;
        temp.as_file().sync_all()?;
        std::fs::set_permissions(temp.path(), metadata.permissions())?;
        temp.persist(&resolved).map_err(|e| e.error)?;
        Ok(())
    })();
    pending().0.remove(&temp_path);
    // The lock goes with `original`, which now names the replaced file.
    written.map_err(io)
}

/// Removes the temporary files of this process that were not renamed yet, and makes no new one: for
/// a signal handler, before the process exits.
pub fn remove_pending_temps() {
    let mut pending = pending();
    pending.1 = true;
    for path in std::mem::take(&mut pending.0) {
        let _ = std::fs::remove_file(path);
    }
}

/// A new temporary file in `dir`, made and recorded at once, so that a signal handler never misses it.
fn pending_temp(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut pending = pending();
    if pending.1 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            "the run was interrupted",
        ));
    }
    let temp = tempfile::Builder::new()
        .prefix(&format!("{TEMP_PREFIX}{}-", std::process::id()))
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)?;
    pending.0.insert(temp.path().to_path_buf());
    Ok(temp)
}

fn pending() -> std::sync::MutexGuard<'static, (BTreeSet<PathBuf>, bool)> {
    PENDING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Removes the temporary files that runs killed outright left in `dir`: those of processes that are
/// gone (where that can be told) or, elsewhere, older than an hour. Each directory is looked through
/// once per run: a directory of thousands of templates is not listed again for each one written.
fn remove_stale_temps(dir: &Path) {
    static CLEANED: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());
    let first_time = CLEANED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(dir.to_path_buf());
    if !first_time {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|n| n.strip_prefix(TEMP_PREFIX))
            .filter(|n| n.ends_with(TEMP_SUFFIX))
        else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|pid| !process_is_gone(pid, &entry.path())) {
            continue;
        }
        let _ = std::fs::remove_file(entry.path());
    }
}

/// Whether the process that made a temporary file is gone.
fn process_is_gone(pid: u32, temp: &Path) -> bool {
    // Where that cannot be asked: a temporary file lives for milliseconds, so an old one is left over.
    crate::process::is_gone(u64::from(pid)).unwrap_or_else(|| {
        std::fs::metadata(temp)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() > 3600)
    })
}

/// An exclusive lock on a tree for the length of a `fix`, so that two runs over it take turns rather
/// than each computing fixes from what the other is about to change. Released when dropped.
pub struct TreeLock {
    _file: File,
}

impl TreeLock {
    /// Takes the lock of the tree at `root` (held in the system's temporary directory, so nothing is
    /// left in the tree), waiting for another run that holds it; `waiting` is called once if it must.
    pub fn acquire(root: &Path, waiting: impl FnOnce()) -> std::io::Result<TreeLock> {
        let root = std::fs::canonicalize(root)?;
        let hash = root
            .to_string_lossy()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
        let path = std::env::temp_dir().join(format!("iamprune-fix-{hash:016x}.lock"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => {
                waiting();
                fs4::FileExt::lock(&file)?;
            }
            Err(fs4::TryLockError::Error(e)) => return Err(e),
        }
        Ok(TreeLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("iamprune-write-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        dir
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_file_changed_since_it_was_read_is_not_written() {
        let dir = scratch("changed");
        let file = dir.join("main.tf");
        std::fs::write(&file, "old\nappended by the user\n").unwrap_or_else(|e| panic!("{e}"));
        let error = write_if_unchanged(&file, "old\n", "fixed\n").err();
        assert!(
            matches!(error, Some(WriteError::Changed { .. })),
            "{error:?}"
        );
        assert_eq!(read(&file), "old\nappended by the user\n");
        write_if_unchanged(&file, "old\nappended by the user\n", "fixed\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read(&file), "fixed\n");
        let left: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert_eq!(left.len(), 1, "no temporary file stays: {left:?}");
    }

    #[test]
    fn a_read_only_file_is_never_rewritten() {
        let dir = scratch("read-only");
        let file = dir.join("main.tf");
        std::fs::write(&file, "old\n").unwrap_or_else(|e| panic!("{e}"));
        let mut permissions = std::fs::metadata(&file)
            .unwrap_or_else(|e| panic!("{e}"))
            .permissions();
        permissions.set_readonly(true);
        std::fs::set_permissions(&file, permissions).unwrap_or_else(|e| panic!("{e}"));
        let error = write_if_unchanged(&file, "old\n", "fixed\n").err();
        assert!(
            matches!(error, Some(WriteError::ReadOnly { .. })),
            "{error:?}"
        );
        assert_eq!(read(&file), "old\n");
    }

    #[test]
    fn temporary_files_of_gone_processes_are_removed_and_others_kept() {
        let dir = scratch("stale");
        let file = dir.join("main.tf");
        std::fs::write(&file, "old\n").unwrap_or_else(|e| panic!("{e}"));
        // A process id that is not running: the largest a Linux system hands out, plus one.
        let stale = dir.join(format!("{TEMP_PREFIX}4194305-abc{TEMP_SUFFIX}"));
        let ours = dir.join(format!(
            "{TEMP_PREFIX}{}-abc{TEMP_SUFFIX}",
            std::process::id()
        ));
        let unrelated = dir.join(".iamprune-notes.txt");
        for path in [&stale, &ours, &unrelated] {
            std::fs::write(path, "x").unwrap_or_else(|e| panic!("{e}"));
        }
        write_if_unchanged(&file, "old\n", "fixed\n").unwrap_or_else(|e| panic!("{e}"));
        if Path::new("/proc/self").exists() {
            assert!(!stale.exists());
        }
        assert!(ours.exists());
        assert!(unrelated.exists());
    }

    #[test]
    fn a_second_run_on_a_tree_waits_for_the_first() {
        let dir = scratch("tree-lock");
        let first = TreeLock::acquire(&dir, || panic!("nobody holds it yet"))
            .unwrap_or_else(|e| panic!("{e}"));
        let (sender, receiver) = std::sync::mpsc::channel();
        let waiter = {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let _second = TreeLock::acquire(&dir, || {
                    let _ = sender.send("waiting");
                });
            })
        };
        assert_eq!(receiver.recv().ok(), Some("waiting"));
        drop(first);
        waiter
            .join()
            .unwrap_or_else(|_| panic!("the second run never got the lock"));
    }
}
