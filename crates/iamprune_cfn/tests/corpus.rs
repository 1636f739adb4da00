//! Extraction over the shared real-world corpus, compared with the reference extractor's counts.
//! Skipped (and passing) when the corpus is not next to the workspace.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use iamprune_cfn::{Options, extract_cdk_assembly, extract_file};
use iamprune_policy::{PolicyDocument, PolicySite};
use iamprune_syntax::{Node, NodeKind};

const KINDS: [&str; 4] = ["cdk", "cfn-json", "cfn-yaml", "policy-json"];

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    dir.join("manifest.jsonl").is_file().then_some(dir)
}

#[derive(Default, Debug, Clone, Copy)]
struct Counts {
    files: usize,
    documents: usize,
    actions: usize,
    failures: usize,
    /// Documents the policy model refuses (no `Effect`, a number in `Action`, …).
    not_policies: usize,
}

/// Whether the site stands for a SAM policy template rather than a written document (the reference
/// does not count those).
fn is_sam_template(site: &PolicySite) -> bool {
    matches!(
        site.document.get("Statement").map(|m| &m.value.kind),
        Some(NodeKind::Opaque(what)) if what.starts_with("SAM policy template")
    )
}

/// Action and NotAction entries, counted like the reference: each element of the list, or the single
/// value.
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

/// Action entries inside statements the extractor found but reports as undecidable (`Fn::If` around
/// statements); their notes say how many.
fn undecidable_entries(site: &PolicySite) -> usize {
    site.notes
        .iter()
        .filter_map(|n| {
            let held = n.message.strip_suffix(" action entries)")?;
            held.rsplit('(').next()?.parse::<usize>().ok()
        })
        .sum()
}

fn reference_counts(corpus: &Path) -> BTreeMap<String, (usize, usize)> {
    let text = std::fs::read_to_string(corpus.join("reference_summary.json")).unwrap_or_default();
    let summary: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    KINDS
        .iter()
        .map(|k| {
            let by = &summary["by_kind"][k];
            let n = |f: &str| by[f].as_u64().unwrap_or(0) as usize;
            (k.to_string(), (n("policy_documents"), n("action_entries")))
        })
        .collect()
}

#[test]
fn corpus_extraction_matches_reference() {
    let Some(corpus) = corpus() else {
        skipped("the corpus is not next to the workspace");
        return;
    };
    let started = Instant::now();
    let manifest = std::fs::read_to_string(corpus.join("manifest.jsonl")).unwrap_or_default();
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    let mut panics = Vec::new();
    for line in manifest.lines() {
        let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let kind = entry["kind"].as_str().unwrap_or_default();
        if !KINDS.contains(&kind) {
            continue;
        }
        let repo = entry["repo"].as_str().unwrap_or_default();
        let slug = entry["slug"]
            .as_str()
            .map_or_else(|| repo.replacen('/', "+", 1), str::to_string);
        let path = corpus
            .join("files")
            .join(slug)
            .join(entry["path"].as_str().unwrap_or_default());
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let c = counts.entry(kind.to_string()).or_default();
        c.files += 1;
        let result = catch_unwind(AssertUnwindSafe(|| {
            extract_file(&path, &text, &Options::default())
        }));
        let Ok(extraction) = result else {
            panics.push(path.display().to_string());
            continue;
        };
        if extraction.kind.is_none() || !extraction.errors.is_empty() {
            c.failures += 1;
            for e in &extraction.errors {
                println!("parse failure ({kind}): {}", e.clone().positioned(&text));
            }
            if extraction.kind.is_none() {
                println!("not recognised ({kind}): {}", path.display());
            }
        }
        let (mut file_docs, mut file_actions) = (0, 0);
        for site in extraction.sites.iter().filter(|s| !is_sam_template(s)) {
            if let Err(e) = PolicyDocument::from_node(&site.document) {
                c.not_policies += 1;
                if std::env::var_os("CORPUS_NOT_POLICIES").is_some() {
                    println!("not a policy: {} {}: {e}", path.display(), site.owner);
                }
            }
            file_docs += 1;
            file_actions += action_entries(&site.document) + undecidable_entries(site);
        }
        c.documents += file_docs;
        c.actions += file_actions;
        if std::env::var_os("CORPUS_PER_FILE").is_some() {
            println!(
                "per-file\t{}\t{file_docs}\t{file_actions}",
                entry["path"].as_str().unwrap_or_default()
            );
        }
    }
    // Whole assemblies too: every folder with a manifest.json in the synthesized CDK output.
    let mut assemblies = 0;
    let mut assembly_sites = 0;
    let mut dirs = vec![corpus.join("files/aws-samples+aws-cdk-examples--synth")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.file_name().is_some_and(|n| n == "manifest.json") {
                assemblies += 1;
                match catch_unwind(|| extract_cdk_assembly(&dir)) {
                    Ok(out) => {
                        assembly_sites += out.sites.len();
                        for e in &out.errors {
                            println!("assembly error: {e}");
                        }
                    }
                    Err(_) => panics.push(dir.display().to_string()),
                }
            }
        }
    }
    let reference = reference_counts(&corpus);
    let mut short = Vec::new();
    for (kind, c) in &counts {
        let (docs, actions) = reference.get(kind).copied().unwrap_or_default();
        println!(
            "{kind:12} files {:4}  documents {:5} / reference {docs:5}  action entries {:5} / reference {actions:5}  failures {}  refused by the policy model {}",
            c.files, c.documents, c.actions, c.failures, c.not_policies
        );
        if c.documents * 100 < docs * 99 || c.actions * 100 < actions * 99 {
            short.push(kind.clone());
        }
    }
    println!("{assemblies} CDK assemblies: {assembly_sites} sites");
    println!("corpus extraction took {:?}", started.elapsed());
    assert!(panics.is_empty(), "panicked on: {panics:#?}");
    assert!(short.is_empty(), "below 99% of the reference for {short:?}");
}

/// Says on the terminal that a corpus test was skipped. Written to stderr directly: the test harness
/// captures `println!` and `eprintln!` of passing tests, and a skip must be seen.
fn skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
}
