//! `check` and `fix` over the real-world corpus in `../shared/corpus` (skipped when it is absent).

mod common;

use common::*;

use std::path::PathBuf;
use std::time::Instant;

fn corpus() -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/files");
    if path.is_dir() {
        Some(path)
    } else {
        skipped("../shared/corpus is not here");
        None
    }
}

fn findings() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/corpus/unused-by-every-role.json")
        .display()
        .to_string()
}

#[test]
fn check_the_corpus_without_a_panic() {
    let Some(corpus) = corpus() else { return };
    let started = Instant::now();
    let out = run(
        &corpus,
        &["check", ".", "--format", "json", "--findings", &findings()],
    );
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "check of the corpus: {:?}, stats {}",
        started.elapsed(),
        report["stats"]
    );
    for error in report["errors"].as_array().into_iter().flatten() {
        let message = error["message"].as_str().unwrap_or("");
        assert!(!message.contains("internal error"), "{error}");
    }
    // A floor against regressions: the extractor crates compare each kind with the reference counts;
    // here `.tpl` files count only where a module reads them, and documents that are not valid policies
    // (reported as errors) add no statements or actions.
    assert!(
        report["stats"]["policies"].as_u64().unwrap_or(0) >= 5_000,
        "{}",
        report["stats"]
    );
    assert!(
        report["stats"]["actions"].as_u64().unwrap_or(0) >= 14_500,
        "{}",
        report["stats"]
    );
    assert!(report["diagnostics"].as_array().map_or(0, Vec::len) > 1_000);
}

#[test]
fn fix_a_copy_of_the_corpus_and_check_it_again() {
    let Some(corpus) = corpus() else { return };
    let work = std::env::temp_dir().join(format!("iamprune-corpus-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    copy_dir(&corpus, &work);
    let started = Instant::now();
    let fix = run(&work, &["fix", ".", "--findings", &findings()]);
    let stderr = String::from_utf8_lossy(&fix.stderr);
    eprintln!(
        "fix of the corpus: {:?}; {}",
        started.elapsed(),
        stderr.lines().rev().take(2).collect::<Vec<_>>().join("; ")
    );
    for line in stderr.lines() {
        assert!(
            !line.contains("verification")
                && !line.contains("does not parse")
                && !line.contains("internal error"),
            "{line}"
        );
    }
    let changed = String::from_utf8_lossy(&fix.stdout).lines().count();
    assert!(changed > 400, "{changed} files fixed");
    // Fixing again changes nothing, and nothing fixable is left outside generated CDK output.
    let again = run(&work, &["fix", ".", "--findings", &findings(), "--diff"]);
    assert!(
        again.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    let check = run(
        &work,
        &["check", ".", "--format", "json", "--findings", &findings()],
    );
    let report: serde_json::Value =
        serde_json::from_slice(&check.stdout).unwrap_or_else(|e| panic!("{e}"));
    let fixable: Vec<&serde_json::Value> = report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["fix"]["applicability"] == "safe")
        .collect();
    assert!(fixable.is_empty(), "{fixable:#?}");
    let _ = std::fs::remove_dir_all(&work);
}

/// Says on the terminal that a corpus test was skipped. Written to stderr directly: the test harness
/// captures `println!` and `eprintln!` of passing tests, and a skip must be seen.
fn skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
}
