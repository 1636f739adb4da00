//! A mutation fuzzer on stable, driven by `cargo test`: the seed files (the end-to-end fixtures in
//! every format, and a sample of ../shared/corpus when it is there) are mutated — bytes flipped,
//! tokens of the formats inserted, ranges deleted, duplicated or cut — and each mutant is checked and
//! fixed by the engine in-process. What must hold for every input:
//!
//! - nothing panics, in the engine or behind its panic guards ("internal error");
//! - every check ends within two seconds;
//! - a fixed file parses again with no error the original did not have, and fixing it again changes
//!   nothing (the fix loop's own verification keeps the bounds: nothing used lost, nothing granted).
//!
//! Each target runs for `IAMPRUNE_FUZZ_SECONDS` (default 3) seconds; the mutations are deterministic
//! from `IAMPRUNE_FUZZ_SEED` (default 1), so a failure is reproduced by its seed and iteration, and its
//! input is written to the temporary directory named in the failure.

mod common;

use common::*;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use iamprune_linter::{Level, Settings, Workspace};

/// Tokens that matter to the parsers: structure, quoting, YAML tags and anchors, HCL templates.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    "'",
    ":",
    ",",
    "\n",
    "  ",
    "- ",
    "*",
    "?",
    "\\",
    "!Ref ",
    "!Sub ",
    "&a ",
    "*a",
    "${",
    "%{",
    "~}",
    "<<EOF\n",
    "EOF\n",
    "#",
    "//",
    "/*",
    "---\n",
    "\u{feff}",
    "é",
    "\"Action\"",
    "Action: ",
    "s3:Get*",
    "\"*\"",
    "NotAction",
    "Deny",
    "null",
    "0",
    "jsonencode(",
];

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One to four mutations of `text`, kept valid UTF-8 (the engine refuses other text up front).
fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..=rng.below(4) {
        let len = bytes.len();
        let at = rng.below(len + 1);
        let to = (at + 1 + rng.below(64)).min(len);
        match rng.below(6) {
            0 if at < len => bytes[at] ^= 1 << rng.below(7),
            1 => {
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                bytes.splice(at..at, token.iter().copied());
            }
            2 if at < to => {
                bytes.drain(at..to);
            }
            3 if at < to => {
                let copy = bytes[at..to].to_vec();
                bytes.splice(to..to, copy);
            }
            4 => bytes.truncate(at),
            _ => {
                // Swap two lines.
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
                if lines.len() > 1 {
                    let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
                    lines.swap(a, b);
                }
                bytes = lines.concat().into_bytes();
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn budget() -> Duration {
    let seconds = std::env::var("IAMPRUNE_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    Duration::from_secs_f64(seconds)
}

fn seed() -> u64 {
    std::env::var("IAMPRUNE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

/// What a target found in its time.
struct Summary {
    executions: usize,
    /// Mutants that got through to the end: fixed, or loaded.
    fixed: usize,
    label: &'static str,
    failures: Vec<String>,
}

impl Default for Summary {
    fn default() -> Self {
        Summary {
            executions: 0,
            fixed: 0,
            label: "fixed",
            failures: Vec::new(),
        }
    }
}

impl Summary {
    /// Says what ran; fails with the inputs that failed, whose directory is then kept.
    fn report(&self, target: &str, dir: Scratch) {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "fuzz {target}: {} executions, {} {}, {} failures in {:?} (seed {})",
            self.executions,
            self.fixed,
            self.label,
            self.failures.len(),
            budget(),
            seed()
        );
        if self.failures.is_empty() {
            return;
        }
        let dir = dir.keep();
        assert!(
            self.failures.is_empty(),
            "{target}: inputs kept in {}:\n{}",
            dir.display(),
            self.failures.join("\n")
        );
    }
}

/// The end-to-end fixtures: one source per format, each with the seed findings.
fn source_seeds() -> Vec<(String, String)> {
    let mut seeds = Vec::new();
    let e2e = root().join("testdata/e2e");
    for entry in std::fs::read_dir(&e2e).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(entry.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = file.path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let Some(name) =
                name.filter(|n| n.ends_with(".tf") || n.ends_with(".yaml") || n.ends_with(".json"))
            else {
                continue;
            };
            if let Ok(text) = std::fs::read_to_string(&path) {
                seeds.push((name, text));
            }
        }
    }
    for (name, path) in [
        ("main.tf", "testdata/demo/terraform/main.tf"),
        ("web.yaml", "testdata/demo/cloudformation/web.yaml"),
    ] {
        if let Ok(text) = std::fs::read_to_string(root().join(path)) {
            seeds.push((name.to_string(), text));
        }
    }
    seeds.extend(corpus_sample(40));
    seeds.sort();
    seeds
}

/// Every `step`-th policy-bearing file of ../shared/corpus, when it is there.
fn corpus_sample(count: usize) -> Vec<(String, String)> {
    let corpus = root().join("../shared/corpus/files");
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&corpus)
        .into_iter()
        .flatten()
        .map(|e| e.into_path())
        .filter(|p| {
            let name = p.to_string_lossy();
            (name.ends_with(".tf") || name.ends_with(".yaml") || name.ends_with(".json"))
                && std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.len() < 64 * 1024)
        })
        .filter(|p| {
            std::fs::read_to_string(p).is_ok_and(|t| t.contains("Action") || t.contains("actions"))
        })
        .collect();
    files.sort();
    let step = (files.len() / count.max(1)).max(1);
    files
        .iter()
        .step_by(step)
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().into_owned();
            Some((name, std::fs::read_to_string(p).ok()?))
        })
        .collect()
}

/// The error messages of a check about `file`.
fn errors_of(checked: &[iamprune_linter::workspace::Checked], file: &Path) -> BTreeSet<String> {
    checked
        .iter()
        .flat_map(|c| {
            c.reports
                .iter()
                .flat_map(|r| &r.messages)
                .chain(&c.messages)
        })
        .filter(|m| m.level == Level::Error && m.file == file)
        .map(|m| m.message.clone())
        .collect()
}

fn check(dir: &Path) -> Vec<iamprune_linter::workspace::Checked> {
    let mut workspace = Workspace::new(Settings {
        config: Some(dir.join("iamprune.toml")),
        ..Settings::default()
    });
    workspace
        .check_paths(&[dir.to_path_buf()], &|| ())
        .unwrap_or_default()
}

/// Checks and fixes one mutant in `dir`; `Err` says what went wrong.
fn check_and_fix(dir: &Path, name: &str, text: &str) -> Result<bool, String> {
    let file = dir.join(name);
    std::fs::write(&file, text).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let checked = std::panic::catch_unwind(|| check(dir)).map_err(|_| "panicked".to_string())?;
    if started.elapsed() > Duration::from_secs(2) {
        return Err(format!("the check took {:?}", started.elapsed()));
    }
    let messages: Vec<String> = checked
        .iter()
        .flat_map(|c| {
            c.reports
                .iter()
                .flat_map(|r| r.messages.iter().chain(&r.fix.messages))
        })
        .map(|m| m.message.clone())
        .collect();
    if let Some(internal) = messages.iter().find(|m| m.contains("internal error")) {
        return Err(internal.clone());
    }
    let before = errors_of(&checked, &file);
    let mut fixed = false;
    for report in checked.iter().flat_map(|c| &c.reports) {
        for (path, (_, after)) in &report.fix.changed {
            std::fs::write(path, after).map_err(|e| e.to_string())?;
            fixed = true;
        }
    }
    if !fixed {
        return Ok(false);
    }
    let again = std::panic::catch_unwind(|| check(dir))
        .map_err(|_| "panicked on the fixed text".to_string())?;
    let new_errors: Vec<String> = errors_of(&again, &file)
        .difference(&before)
        .cloned()
        .collect();
    if !new_errors.is_empty() {
        return Err(format!("the fixed text has new errors: {new_errors:?}"));
    }
    if let Some(changed) = again
        .iter()
        .flat_map(|c| &c.reports)
        .find(|r| !r.fix.changed.is_empty())
    {
        return Err(format!(
            "a second fix changes {:?}",
            changed.fix.changed.keys().collect::<Vec<_>>()
        ));
    }
    Ok(true)
}

/// The project a mutant is checked in: the seed findings, for the seed's role, in the seed's account.
fn project(name: &str) -> Scratch {
    let dir = scratch(name);
    let findings = std::fs::read_to_string(root().join("testdata/e2e/findings.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("findings.json"), findings).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.join("iamprune.toml"),
        "account = \"123456789012\"\naccept-catalog-age = true\nfindings = [\"findings.json\"]\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    dir
}

fn fuzz_sources(target: &str, keep: impl Fn(&str) -> bool) {
    let seeds: Vec<(String, String)> = source_seeds()
        .into_iter()
        .filter(|(n, _)| keep(n))
        .collect();
    assert!(!seeds.is_empty(), "no seeds for {target}");
    let dir = project(&format!("fuzz-{target}"));
    let kept = scratch(&format!("fuzz-{target}-failures"));
    let mut rng = Rng(seed().wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut summary = Summary::default();
    let started = Instant::now();
    while started.elapsed() < budget() {
        let (name, seed_text) = &seeds[rng.below(seeds.len())];
        let mutant = mutate(seed_text, &mut rng);
        for stale in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = stale.path();
            let stale_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            if !matches!(
                stale_name.as_deref(),
                Some("findings.json" | "iamprune.toml")
            ) {
                let _ = std::fs::remove_file(&path);
            }
        }
        summary.executions += 1;
        // Named apart from the project's own files.
        match check_and_fix(&dir, &format!("m-{name}"), &mutant) {
            Ok(fixed) => summary.fixed += usize::from(fixed),
            Err(why) => {
                let path = kept.join(format!("{}-{name}", summary.executions));
                let _ = std::fs::write(&path, &mutant);
                summary.failures.push(format!("{}: {why}", path.display()));
            }
        }
    }
    summary.report(target, kept);
}

#[test]
fn fuzz_terraform() {
    fuzz_sources("terraform", |name| name.ends_with(".tf"));
}

#[test]
fn fuzz_cloudformation_yaml() {
    fuzz_sources("yaml", |name| name.ends_with(".yaml"));
}

#[test]
fn fuzz_json_templates_and_policies() {
    fuzz_sources("json", |name| name.ends_with(".json"));
}

#[test]
fn fuzz_findings() {
    let seeds: Vec<String> = walkdir::WalkDir::new(root().join("testdata/findings"))
        .into_iter()
        .flatten()
        .filter(|e| {
            e.path()
                .extension()
                .is_some_and(|x| x == "json" || x == "jsonl")
        })
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    assert!(!seeds.is_empty());
    let kept = scratch("fuzz-findings-failures");
    let mut rng = Rng(seed().wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut summary = Summary::default();
    let started = Instant::now();
    summary.label = "loaded";
    while started.elapsed() < budget() {
        let mutant = mutate(&seeds[rng.below(seeds.len())], &mut rng);
        summary.executions += 1;
        let began = Instant::now();
        let loaded = std::panic::catch_unwind(|| {
            let mut set = iamprune_findings::FindingsSet::new();
            let options = iamprune_findings::LoadOptions {
                principal: Some("arn:aws:iam::123456789012:role/SeedRole".into()),
            };
            set.load_str(&mutant, Path::new("mutant.json"), &options)
                .is_ok()
        });
        let failure = match loaded {
            Err(_) => Some("panicked".to_string()),
            Ok(_) if began.elapsed() > Duration::from_secs(2) => {
                Some(format!("loading took {:?}", began.elapsed()))
            }
            Ok(ok) => {
                summary.fixed += usize::from(ok);
                None
            }
        };
        if let Some(why) = failure {
            let path = kept.join(format!("{}.json", summary.executions));
            let _ = std::fs::write(&path, &mutant);
            summary.failures.push(format!("{}: {why}", path.display()));
        }
    }
    summary.report("findings", kept);
}
