//! Extraction over the shared real-world corpus (when it is present): no panic, and at least 99% of
//! the policy documents and action entries the independent reference extractor finds in `.tf` files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use iamprune_policy::PolicyDocument;
use iamprune_syntax::{Node, NodeKind};
use iamprune_terraform::{Options, extract_module};

/// The reference counts for kind `tf` in `corpus/REFERENCE.md`.
const REFERENCE_DOCUMENTS: usize = 903;
const REFERENCE_ACTIONS: usize = 3252;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

/// The `"path"` and `"repo"` of a manifest line whose kind is `tf`; the manifest is flat JSON, one
/// object a line, so a field scan is enough.
fn tf_entry(line: &str) -> Option<String> {
    if !line.contains("\"kind\": \"tf\"") {
        return None;
    }
    let field = |name: &str| {
        let start = line.find(&format!("\"{name}\": \""))? + name.len() + 5;
        let len = line.get(start..)?.find('"')?;
        line.get(start..start + len).map(str::to_string)
    };
    Some(format!(
        "{}/{}",
        field("repo")?.replace('/', "+"),
        field("path")?
    ))
}

/// Action and NotAction entries of a document, counted as the reference does: every element of the
/// field of every statement that is an object.
fn action_entries(document: &Node) -> usize {
    let Some(statement) = document.get("Statement") else {
        return 0;
    };
    let statements: Vec<&Node> = match &statement.value.kind {
        NodeKind::Array(items) => items.iter().collect(),
        _ => vec![&statement.value],
    };
    statements
        .iter()
        .flat_map(|s| ["Action", "NotAction"].map(|k| s.get(k)))
        .flatten()
        .map(|m| m.value.as_array().map_or(1, <[Node]>::len))
        .sum()
}

#[test]
fn corpus_terraform_modules() {
    let corpus = corpus_dir();
    let Ok(manifest) = std::fs::read_to_string(corpus.join("manifest.jsonl")) else {
        println!("corpus not found at {}: skipped", corpus.display());
        return;
    };
    let files_root = corpus.join("files");
    let mut modules: BTreeMap<PathBuf, Vec<(PathBuf, String)>> = BTreeMap::new();
    for rel in manifest.lines().filter_map(tf_entry) {
        let path = files_root.join(&rel);
        let Ok(text) = std::fs::read_to_string(&path) else {
            panic!("corpus file missing: {}", path.display());
        };
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        modules.entry(dir).or_default().push((path, text));
    }
    let options = Options {
        root: files_root.clone(),
    };
    let started = Instant::now();
    let mut panicked = Vec::new();
    let (mut documents, mut actions, mut unreadable) = (0, 0, 0);
    let mut failures = Vec::new();
    let mut per_file: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (dir, files) in &modules {
        let result = std::panic::catch_unwind(|| extract_module(dir, files, &options));
        let Ok(extraction) = result else {
            panicked.push(dir.display().to_string());
            continue;
        };
        for site in &extraction.sites {
            documents += 1;
            let n = action_entries(&site.document);
            actions += n;
            let key = site
                .owner_file
                .strip_prefix(&files_root)
                .unwrap_or(&site.owner_file)
                .display()
                .to_string();
            let entry = per_file.entry(key).or_default();
            entry.0 += 1;
            entry.1 += n;
            if let Err(e) = PolicyDocument::from_node(&site.document) {
                unreadable += 1;
                println!(
                    "not a policy document the engine reads: {} {}: {e}",
                    site.owner_file.display(),
                    site.owner
                );
            }
        }
        failures.extend(extraction.errors);
    }
    let elapsed = started.elapsed();
    for f in &failures {
        println!("error: {f}");
    }
    // Per-file counts, for comparing with reference.jsonl when a number drops.
    if let Ok(out) = std::env::var("IAMPRUNE_CORPUS_COUNTS") {
        let text: String = per_file
            .iter()
            .map(|(file, (d, a))| format!("{file}\t{d}\t{a}\n"))
            .collect();
        let _ = std::fs::write(out, text);
    }
    println!(
        "corpus: {} modules in {elapsed:?}; documents {documents}/{REFERENCE_DOCUMENTS}, action entries {actions}/{REFERENCE_ACTIONS}, {} errors, {unreadable} documents the engine rejects",
        modules.len(),
        failures.len()
    );
    assert!(panicked.is_empty(), "extraction panicked in: {panicked:#?}");
    assert!(
        failures
            .iter()
            .all(|f| !f.message.to_lowercase().contains("bom") && f.column > 0),
        "a byte order mark made a file fail"
    );
    assert!(
        documents * 100 >= REFERENCE_DOCUMENTS * 99,
        "documents {documents} < 99% of {REFERENCE_DOCUMENTS}"
    );
    assert!(
        actions * 100 >= REFERENCE_ACTIONS * 99,
        "action entries {actions} < 99% of {REFERENCE_ACTIONS}"
    );
}
