//! What the command-line tests share: the repository, the binary, temporary copies of fixtures.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use insta_cmd::get_cargo_bin;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `iamprune` run in `dir`, without colour.
pub fn iamprune_in(dir: &Path) -> Command {
    let mut cmd = Command::new(get_cargo_bin("iamprune"));
    cmd.current_dir(dir).env("NO_COLOR", "1");
    cmd
}

/// `iamprune` run at the repository root.
pub fn iamprune() -> Command {
    iamprune_in(&root())
}

pub fn run(dir: &Path, args: &[&str]) -> Output {
    iamprune_in(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A run of `args` in `dir` with `input` on standard input.
pub fn run_with_input(dir: &Path, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = iamprune_in(dir)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    child.wait_with_output().unwrap_or_else(|e| panic!("{e}"))
}

/// Asserts a run's exit code, showing its stderr when it is another.
#[track_caller]
pub fn expect_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The JSON a run printed on stdout.
pub fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// A copy of a directory to work in: writable by its owner, whatever the originals are.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(from)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
    {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("{e}"));
            // A working copy: the originals may be read-only (../shared is), and `fix` never rewrites
            // a read-only file.
            let mut permissions = std::fs::metadata(&target)
                .unwrap_or_else(|e| panic!("{e}"))
                .permissions();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                permissions.set_mode(permissions.mode() | 0o200);
            }
            #[cfg(not(unix))]
            #[allow(clippy::permissions_set_readonly_false)]
            permissions.set_readonly(false);
            std::fs::set_permissions(&target, permissions).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

/// A fresh temporary directory for one test, named after it and the process, removed when the test
/// is done with it (also when it fails), so that runs do not fill the disk.
pub fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("iamprune-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    Scratch(dir)
}

/// A temporary directory, removed on drop.
pub struct Scratch(PathBuf);

impl Scratch {
    /// The directory, kept after the test (inputs that made it fail).
    #[allow(dead_code)]
    pub fn keep(self) -> PathBuf {
        let path = self.0.clone();
        std::mem::forget(self);
        path
    }

    /// The same directory by its canonical path (the server reports canonical paths).
    #[allow(dead_code)]
    pub fn canonical(mut self) -> Scratch {
        if let Ok(path) = std::fs::canonicalize(&self.0) {
            self.0 = path;
        }
        self
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The JSON report of a run of `args` with `--format json` added.
pub fn json_report(dir: &Path, args: &[&str]) -> serde_json::Value {
    json(&run(dir, &[args, &["--format", "json"]].concat()))
}

/// The diagnostics of a JSON report.
pub fn diagnostics(report: &serde_json::Value) -> Vec<serde_json::Value> {
    report["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// A string field of a JSON value, `""` when it is not one.
pub fn field(value: &serde_json::Value, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(serde_json::Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// How many diagnostics a JSON report holds.
pub fn diagnostic_count(report: &serde_json::Value) -> usize {
    report["diagnostics"].as_array().map_or(0, Vec::len)
}

/// What makes a SARIF log invalid against the official 2.1.0 schema.
pub fn sarif_errors(sarif: &serde_json::Value) -> Vec<String> {
    // The official schema's `language` pattern ends in a stray `]?`, valid in ECMA regexes but rejected
    // by Rust's; escape it so the rest of the schema can be checked.
    let text = std::fs::read_to_string(root().join("testdata/sarif/sarif-schema-2.1.0.json"))
        .unwrap_or_default()
        .replace("[a-zA-Z]{2}]?$", r"[a-zA-Z]{2}\\]?$");
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{e}"));
    validator
        .iter_errors(sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}
