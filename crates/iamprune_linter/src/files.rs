//! What kind of file a path is, and reading one as text: the one place that knows which files the
//! engine looks at, for the walk, the editor and the file watcher alike.

use std::path::{Path, PathBuf};

use crate::{Level, Message};

/// Files larger than this are reported and skipped: no policy file is this big, and reading one
/// would cost more than the whole rest of a scan.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `.tf` and `.tf.json`: checked with the rest of its module.
    Terraform,
    /// JSON or YAML: a CloudFormation template, a standalone policy, a CDK manifest or template.
    Document,
}

/// The endings of Terraform files, lower case.
const TERRAFORM: [&str; 2] = [".tf", ".tf.json"];
/// The endings of JSON and YAML documents, lower case.
const DOCUMENT: [&str; 5] = [".json", ".yaml", ".yml", ".template", ".cfn"];

impl FileKind {
    /// The kind of a file by its name (any case), or `None` for files the engine never reads.
    pub fn of(path: &Path) -> Option<FileKind> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        if TERRAFORM.iter().any(|ext| name.ends_with(ext)) {
            Some(FileKind::Terraform)
        } else if DOCUMENT.iter().any(|ext| name.ends_with(ext)) {
            Some(FileKind::Document)
        } else {
            None
        }
    }

    /// Every ending of a file the engine reads, lower case: `.tf`, `.tf.json`, `.json`, ….
    pub fn endings() -> impl Iterator<Item = &'static str> {
        TERRAFORM.into_iter().chain(DOCUMENT)
    }

    /// Globs of every file a check can depend on: the sources, the configuration, findings exports
    /// (`.jsonl`, `.ndjson`) and catalogs (`.tsv`). For editors that watch files for the server.
    pub fn watch_globs() -> Vec<String> {
        let endings: Vec<&str> = FileKind::endings()
            // Findings, catalogs, and Terraform's variable files.
            .chain([".jsonl", ".ndjson", ".tsv", ".tfvars"])
            .map(|ext| ext.trim_start_matches('.'))
            .collect();
        vec![
            format!("**/{}", crate::config::FILE_NAME),
            format!("**/*.{{{}}}", endings.join(",")),
        ]
    }
}

/// Where a Terraform variable file comes in the order Terraform reads them: `terraform.tfvars` first,
/// then `*.auto.tfvars` by name (a later file overrides an earlier one); `None` for any other file.
pub fn variable_file_rank(path: &Path) -> Option<(u8, String)> {
    let name = path.file_name()?.to_str()?;
    if name == "terraform.tfvars" {
        Some((0, String::new()))
    } else if name.ends_with(".auto.tfvars") {
        Some((1, name.to_string()))
    } else {
        None
    }
}

/// The variable files Terraform reads by itself in a module directory, in its order.
pub fn variable_files(dir: &Path) -> Vec<PathBuf> {
    let listed = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = std::fs::read_dir(listed) else {
        return Vec::new();
    };
    let mut files: Vec<(u8, String, PathBuf)> = entries
        .flatten()
        .filter_map(|entry| {
            let path = dir.join(entry.file_name());
            let (rank, name) = variable_file_rank(&path)?;
            Some((rank, name, path))
        })
        .collect();
    files.sort();
    files.into_iter().map(|(_, _, path)| path).collect()
}

/// Whether the engine reads files of this name.
pub fn is_source(path: &Path) -> bool {
    FileKind::of(path).is_some()
}

/// How much of a document the walk left out is read to tell whether it may hold policies: the words
/// every template and policy has come early, and a vendored SDK model read whole would cost more than
/// the scan.
const SNIFF_BYTES: u64 = 256 * 1024;

/// Whether a file the walk left out may hold policies: a Terraform file, or a document the extractor
/// would parse. Reads the start of a document at most, and parses nothing.
pub fn may_hold_policies(path: &Path) -> bool {
    match FileKind::of(path) {
        Some(FileKind::Terraform) => true,
        Some(FileKind::Document) => {
            iamprune_syntax::fs::read_prefix(path, SNIFF_BYTES).is_ok_and(|bytes| {
                !bytes.contains(&0)
                    && iamprune_cfn::may_hold_policies(path, &String::from_utf8_lossy(&bytes))
            })
        }
        None => false,
    }
}

/// Reads a file as text; a file that is too large, binary, or not UTF-8 is an error message.
pub fn read_text(path: &Path) -> Result<String, Message> {
    use iamprune_syntax::fs::ReadError;
    let bytes = iamprune_syntax::fs::read(path, MAX_FILE_BYTES).map_err(|e| match e {
        ReadError::NotRegular => not_regular(path),
        ReadError::TooLarge(len) => error(
            path,
            format!(
                "{len} bytes: larger than the {MAX_FILE_BYTES} bytes a policy file could need; skipped"
            ),
        ),
        ReadError::Io(e) => error(path, format!("cannot read: {e}")),
    })?;
    // `memchr`, not `contains`: every file of a tree is searched whole.
    if memchr::memchr(0, &bytes).is_some() {
        return Err(error(
            path,
            "a binary file (it holds NUL bytes); skipped".into(),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        error(
            path,
            format!(
                "not UTF-8 text (invalid byte at offset {}); skipped",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// A FIFO, socket or device with a source's name: skipped, since reading it could wait forever.
pub(crate) fn not_regular(path: &Path) -> Message {
    Message {
        level: Level::Note,
        file: path.to_path_buf(),
        span: None,
        message: "not a regular file (a FIFO, socket or device); skipped".into(),
    }
}

/// An error about a whole file.
pub(crate) fn error(path: &Path, message: String) -> Message {
    Message {
        level: Level::Error,
        file: path.to_path_buf(),
        span: None,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_name() {
        assert_eq!(
            FileKind::of(Path::new("a/MAIN.TF")),
            Some(FileKind::Terraform)
        );
        assert_eq!(
            FileKind::of(Path::new("x.tf.json")),
            Some(FileKind::Terraform)
        );
        assert_eq!(
            FileKind::of(Path::new("stack.cfn")),
            Some(FileKind::Document)
        );
        assert_eq!(
            FileKind::of(Path::new("t.template")),
            Some(FileKind::Document)
        );
        assert_eq!(FileKind::of(Path::new("README.md")), None);
    }

    #[test]
    fn what_may_hold_policies_is_told_without_parsing() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = |name: &str, text: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
            may_hold_policies(&path)
        };
        // Terraform by its name alone: reading every module would cost what scanning it does.
        assert!(file("empty.tf", b""));
        assert!(file(
            "policy.json",
            br#"{"Version": "2012-10-17", "Statement": []}"#
        ));
        assert!(file("template.yaml", b"Resources:\n  Queue: {}\n"));
        assert!(!file("package.json", br#"{"name": "pkg"}"#));
        assert!(!file("binary.json", b"{\"Statement\": \0}"));
        assert!(!file("terraform-provider-aws_v5", b"Statement"));
    }

    #[test]
    fn watched_globs_cover_every_kind() {
        let globs = FileKind::watch_globs().join(" ");
        for ext in [
            "tf", "json", "yaml", "yml", "template", "cfn", "jsonl", "tsv",
        ] {
            assert!(globs.contains(ext), "{ext} not in {globs}");
        }
        assert!(globs.contains("iamprune.toml"));
    }
}
