//! Diagnostics rendered for people (annotated source with the fix as a diff), for programs (JSON), for
//! code scanning (SARIF 2.1.0), for GitHub Actions (workflow commands), for GitLab (Code Quality) and
//! for any CI's test results (JUnit XML).

#[cfg(test)]
mod fixtures;
mod github;
mod gitlab;
mod json;
mod junit;
mod principals;
mod sarif;
mod text;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use iamprune_linter::join::JoinReport;
use iamprune_linter::{Diagnostic, Message};
use iamprune_syntax::{LineIndex, Position, Span};
use rayon::prelude::*;

pub use github::{ANNOTATIONS_PER_KIND, github, github_summary};
pub use gitlab::{CodeQualityIssue, gitlab};
pub use json::{JsonReport, json};
pub use junit::junit;
pub use principals::principals_text;
pub use sarif::{SarifLog, sarif};
pub use text::{TextOptions, join_coverage, text};

/// What a run looked at; also the JSON report's `stats`, in this order.
pub use iamprune_linter::workspace::Stats;

/// Everything a run reports.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// `iamprune` version.
    pub version: String,
    /// The catalog's source and date.
    pub catalog: String,
    /// The `iamprune.toml` files the run used; empty when it ran on defaults.
    pub configs: Vec<PathBuf>,
    pub diagnostics: Vec<Diagnostic>,
    pub messages: Vec<Message>,
    pub stats: Stats,
    /// What the findings reached; empty without findings.
    pub join: JoinReport,
}

/// The texts of the files diagnostics point into, for positions and snippets.
#[derive(Debug, Default)]
pub struct Sources {
    /// Looked up for every diagnostic shown, never walked in order: hashed, not compared a
    /// component at a time.
    texts: HashMap<PathBuf, (String, LineIndex)>,
}

impl Sources {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, path: PathBuf, text: String) {
        let index = LineIndex::new(&text);
        self.texts.insert(path, (text, index));
    }

    /// Adds many texts at once, indexing them on every core; a path already held keeps its text.
    pub fn extend(&mut self, texts: Vec<(PathBuf, String)>) {
        let indexed: Vec<(PathBuf, (String, LineIndex))> = texts
            .into_par_iter()
            .map(|(path, text)| {
                let index = LineIndex::new(&text);
                (path, (text, index))
            })
            .collect();
        for (path, text) in indexed {
            self.texts.entry(path).or_insert(text);
        }
    }

    pub fn contains(&self, path: &Path) -> bool {
        self.texts.contains_key(path)
    }

    pub fn text(&self, path: &Path) -> Option<&str> {
        self.texts.get(path).map(|(t, _)| t.as_str())
    }

    /// The text of a file with its line index.
    pub(crate) fn indexed(&self, path: &Path) -> Option<(&str, &LineIndex)> {
        self.texts.get(path).map(|(t, index)| (t.as_str(), index))
    }

    /// The position of a byte offset; line 1, column 1 when the file is unknown.
    pub fn position(&self, path: &Path, offset: usize) -> Position {
        match self.texts.get(path) {
            Some((_, index)) => index.position(offset),
            None => Position {
                line: 1,
                column: 1,
                offset,
            },
        }
    }

    pub fn range(&self, path: &Path, span: Span) -> (Position, Position) {
        (
            self.position(path, span.start),
            self.position(path, span.end),
        )
    }
}

/// The repository root: the nearest directory at or above the working directory that holds `.git`, else
/// the working directory.
pub(crate) fn source_root() -> Option<PathBuf> {
    // Looked up once: every location of a report needs it, and the working directory does not change.
    static ROOT: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| {
        let cwd = std::env::current_dir()
            .and_then(std::fs::canonicalize)
            .ok()?;
        let root = iamprune_linter::config::repository_root(&cwd).unwrap_or(&cwd);
        Some(root.to_path_buf())
    })
    .clone()
}

/// A file relative to the repository root ([`source_root`]), whatever path the scan was started with
/// (`.`, `./infra`, absolute); `None` for a file outside it.
pub(crate) fn repository_path(file: &Path) -> Option<PathBuf> {
    let absolute = std::env::current_dir()
        .map(|cwd| cwd.join(file))
        .ok()
        .and_then(|p| std::fs::canonicalize(&p).ok().or(Some(p)))?;
    let root = source_root()?;
    absolute.strip_prefix(&root).ok().map(Path::to_path_buf)
}

/// Paths in reports use `/`, whatever the platform.
pub fn path_string(path: &Path) -> String {
    let text = path.display().to_string();
    if std::path::MAIN_SEPARATOR == '\\' {
        text.replace('\\', "/")
    } else {
        text
    }
}

/// A fingerprint of a diagnostic that does not change when lines move: the rule, the file, the text
/// the diagnostic points at and how many times the same rule and text occurred before in the file.
pub fn fingerprints(report: &Report, sources: &Sources) -> Vec<String> {
    let mut seen: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    report
        .diagnostics
        .iter()
        .map(|d| {
            let text = sources
                .text(&d.file)
                .and_then(|t| t.get(d.span.range()))
                .unwrap_or("")
                .to_string();
            let key = (d.rule.code().to_string(), stable_path(&d.file), text);
            let occurrence = seen.entry(key.clone()).or_default();
            *occurrence += 1;
            format!(
                "{:016x}",
                fnv1a(&format!("{}\0{}\0{}\0{}", key.0, key.1, key.2, occurrence))
            )
        })
        .collect()
}

/// The path as it is from the working directory, however it was given (`./a`, `a`, `/abs/a`), so that a
/// baseline written from one invocation matches another.
fn stable_path(path: &Path) -> String {
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let relative = std::env::current_dir()
        .and_then(std::fs::canonicalize)
        .ok()
        .and_then(|cwd| canonical.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or(canonical);
    path_string(&relative)
}

/// A path as a URI reference for SARIF: relative paths stay relative, absolute ones become `file://`
/// URIs; characters outside the unreserved set are percent-encoded.
pub fn uri(path: &Path) -> String {
    let text = path_string(path);
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    if path.is_absolute() {
        format!("file://{out}")
    } else {
        out
    }
}

/// FNV-1a: stable across runs and platforms, which a fingerprint must be (std's hashers are not).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded() {
        assert_eq!(uri(Path::new("P q/web.yaml")), "P%20q/web.yaml");
        assert_eq!(uri(Path::new("/tmp/a#b/x.tf")), "file:///tmp/a%23b/x.tf");
        assert_eq!(uri(Path::new("café.json")), "caf%C3%A9.json");
    }
}
