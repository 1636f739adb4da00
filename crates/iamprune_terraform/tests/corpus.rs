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
        skipped(&format!("the corpus is not at {}", corpus.display()));
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
        ..Options::default()
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
        let text = std::fs::read_to_string(&f.file).unwrap_or_default();
        println!("error: {}", f.clone().positioned(&text));
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
    // A byte order mark must change nothing: the file extracts as it does without one.
    let mut with_bom = 0;
    for (dir, files) in &modules {
        for (path, text) in files {
            let Some(stripped) = text.strip_prefix('\u{feff}') else {
                continue;
            };
            with_bom += 1;
            let one = |t: &str| extract_module(dir, &[(path.clone(), t.to_string())], &options);
            let (a, b) = (one(text), one(stripped));
            assert_eq!(
                (a.sites.len(), a.errors.len()),
                (b.sites.len(), b.errors.len()),
                "the byte order mark of {} changes the extraction",
                path.display()
            );
        }
    }
    println!("{with_bom} files with a byte order mark extract as without it");
    assert!(
        documents * 100 >= REFERENCE_DOCUMENTS * 99,
        "documents {documents} < 99% of {REFERENCE_DOCUMENTS}"
    );
    assert!(
        actions * 100 >= REFERENCE_ACTIONS * 99,
        "action entries {actions} < 99% of {REFERENCE_ACTIONS}"
    );
}

/// The two whole repositories of the corpus (`trees/`), most of whose files hold no policy: every
/// module extracts without a panic.
#[test]
fn corpus_trees_do_not_panic() {
    let trees = corpus_dir().join("trees");
    if !trees.is_dir() {
        skipped(&format!("the corpus trees are not at {}", trees.display()));
        return;
    }
    let mut modules: BTreeMap<PathBuf, Vec<(PathBuf, String)>> = BTreeMap::new();
    let mut pending = vec![trees.clone()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if path.is_dir() {
                pending.push(path);
            } else if name.ends_with(".tf") || name.ends_with(".tf.json") {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    modules.entry(dir.clone()).or_default().push((path, text));
                }
            }
        }
    }
    let options = Options {
        root: trees,
        ..Options::default()
    };
    let started = Instant::now();
    let mut panicked = Vec::new();
    let (mut sites, mut errors) = (0, 0);
    for (dir, files) in &modules {
        match std::panic::catch_unwind(|| extract_module(dir, files, &options)) {
            Ok(extraction) => {
                sites += extraction.sites.len();
                errors += extraction.errors.len();
            }
            Err(_) => panicked.push(dir.display().to_string()),
        }
    }
    println!(
        "trees: {} modules in {:?}: {sites} sites, {errors} errors",
        modules.len(),
        started.elapsed()
    );
    assert!(panicked.is_empty(), "extraction panicked in: {panicked:#?}");
}

/// Says on the terminal that a corpus test was skipped. Written to stderr directly: the test harness
/// captures `println!` and `eprintln!` of passing tests, and a skip must be seen.
fn skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
}
