//! Whether another process is still running: for the temporary files a killed `fix` left, and for
//! the language server's client.

use std::path::Path;

/// Whether process `pid` is gone: `Some` where that can be told (Linux's `/proc`, else `kill -0` on
/// Unix), `None` elsewhere.
pub fn is_gone(pid: u64) -> Option<bool> {
    if pid == u64::from(std::process::id()) {
        return Some(false);
    }
    let proc = Path::new("/proc");
    if proc.join("self").exists() {
        return Some(!proc.join(pid.to_string()).exists());
    }
    if cfg!(unix) {
        return std::process::Command::new("kill")
            .args(["-0", &pid.to_string()])
            .stderr(std::process::Stdio::null())
            .status()
            .ok()
            .map(|status| !status.success());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_there_and_a_finished_one_is_gone() {
        assert_eq!(is_gone(u64::from(std::process::id())), Some(false));
        let Ok(mut child) = std::process::Command::new("true").spawn() else {
            return;
        };
        let pid = u64::from(child.id());
        let _ = child.wait();
        if cfg!(unix) {
            assert_eq!(is_gone(pid), Some(true));
        }
    }
}
