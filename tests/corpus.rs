//! `check` and `fix` over the real-world corpus in `../shared/corpus` (skipped when it is absent).

mod common;

use common::*;

use std::path::PathBuf;
use std::time::Instant;

fn corpus() -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/files");
    if path.is_dir() {
        Some(path)
    } else {
        skipped("../shared/corpus is not here");
        None
    }
}

/// The stack every corpus template is taken to be deployed as, so that generated names are known.
const STACK: &str = "corpus";

/// Findings for every principal the corpus declares with a name the source tells: for each, a
/// pseudo-random half (fixed by its name) of the actions and services of
/// `testdata/corpus/unused-pool.json` is unused. Written as get-finding-v2 lines into `dir`; returns
/// the file and how many principals it names.
fn findings(corpus: &std::path::Path, dir: &std::path::Path) -> (String, usize) {
    let listed = run(
        corpus,
        &[
            "principals",
            ".",
            "--format",
            "json",
            "--stack-name",
            STACK,
            "-q",
        ],
    );
    let join: serde_json::Value =
        serde_json::from_slice(&listed.stdout).unwrap_or_else(|e| panic!("{e}"));
    let pool: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(root().join("testdata/corpus/unused-pool.json"))
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut arns = std::collections::BTreeMap::new();
    for principal in join["principals"].as_array().into_iter().flatten() {
        let kind = principal["kind"].as_str().unwrap_or_default();
        let Some(name) = principal["name"].as_str() else {
            continue;
        };
        let deployed = match principal["named_by"].as_str().unwrap_or_default() {
            "literal" => name.to_string(),
            "name prefix" => format!("{}{}", name.trim_end_matches('*'), "2".repeat(26)),
            "generated" => generated_name(name.trim_end_matches("-*")),
            _ => continue,
        };
        let valid = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
        if kind == "group"
            || deployed.is_empty()
            || deployed.len() > 64
            || !deployed.chars().all(valid)
        {
            continue;
        }
        // IAM names are unique case-insensitively: one finding per principal.
        let arn = format!("arn:aws:iam::123456789012:{kind}/{deployed}");
        arns.entry(arn.to_ascii_lowercase()).or_insert(arn);
    }
    let arns: Vec<String> = arns.into_values().collect();
    {}
    let mut lines = String::new();
    for arn in &arns {
        let details: Vec<serde_json::Value> = pool
            .iter()
            .filter_map(|entry| {
                let service = entry["serviceNamespace"].as_str()?;
                match entry["actions"].as_array() {
                    None => half(arn, service).then(|| {
                        serde_json::json!({"unusedPermissionDetails": {"serviceNamespace": service}})
                    }),
                    Some(actions) => {
                        let unused: Vec<serde_json::Value> = actions
                            .iter()
                            .filter_map(|a| a.as_str())
                            .filter(|a| half(arn, a))
                            .map(|a| serde_json::json!({"action": a}))
                            .collect();
                        (!unused.is_empty()).then(|| {
                            serde_json::json!({"unusedPermissionDetails": {"serviceNamespace": service, "actions": unused}})
                        })
                    }
                }
            })
            .collect();
        // Every finding says something is unused, or it would not be a finding.
        let details = if details.is_empty() {
            vec![serde_json::json!({"unusedPermissionDetails": {"serviceNamespace": "sqs"}})]
        } else {
            details
        };
        // Analyzed before the embedded catalog's data date, so that wildcards are narrowed (a catalog
        // older than the findings holds them back; tests/catalog_age.rs covers that).
        let finding = serde_json::json!({
            "id": format!("corpus-{}", fnv(arn, "")), "resource": arn, "status": "ACTIVE",
            "findingType": "UnusedPermission", "resourceOwnerAccount": "123456789012",
            "analyzedAt": "2026-09-01T00:00:00Z", "updatedAt": "2026-09-01T00:00:00Z",
            "findingDetails": details,
        });
        lines.push_str(&finding.to_string());
        lines.push('\n');
    }
    let path = dir.join("corpus-findings.jsonl");
    std::fs::write(&path, lines).unwrap_or_else(|e| panic!("{e}"));
    (path.display().to_string(), arns.len())
}

/// The name CloudFormation gives a resource of `STACK-LOGICALID` (a nested stack's name is itself
/// `PARENT-ID-*`): a 12-character mixed-case suffix, the stack and logical id parts each cut so that
/// the whole is at most 64 characters.
fn generated_name(stack_and_id: &str) -> String {
    let alphabet: Vec<char> = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        .chars()
        .collect();
    let mut hash = fnv(stack_and_id, "suffix");
    let mut suffix = || -> String {
        (0..12)
            .map(|_| {
                let c = alphabet[(hash % alphabet.len() as u64) as usize];
                hash /= alphabet.len() as u64;
                c
            })
            .collect()
    };
    let (stack, id) = stack_and_id.rsplit_once('-').unwrap_or((stack_and_id, ""));
    let stack = match stack.strip_suffix("-*") {
        Some(base) => format!("{base}-{}", suffix()),
        None => stack.to_string(),
    };
    let suffix = suffix();
    let room = 64 - 2 - suffix.len();
    if stack.len() + id.len() < room {
        return format!("{stack}-{id}-{suffix}");
    }
    let stack_part = stack.len().min(room / 2).max(room.saturating_sub(id.len()));
    let stack: String = stack.chars().take(stack_part).collect();
    let id: String = id.chars().take(room - stack.len()).collect();
    format!("{stack}-{id}-{suffix}")
}

fn half(arn: &str, item: &str) -> bool {
    fnv(arn, item) % 2 == 0
}

fn fnv(a: &str, b: &str) -> u64 {
    format!("{a}\0{b}")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, byte| {
            (h ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
}

#[test]
fn check_the_corpus_without_a_panic() {
    let Some(corpus) = corpus() else { return };
    let scratch = scratch("corpus-check");
    let (findings, principals) = findings(&corpus, &scratch);
    let started = Instant::now();
    let out = run(
        &corpus,
        &[
            "check",
            ".",
            "--format",
            "json",
            "--findings",
            &findings,
            "--account",
            "123456789012",
            "--stack-name",
            STACK,
        ],
    );
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let joined = report["join"]["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["joined"] == true)
        .count();
    eprintln!(
        "check of the corpus: {:?}, stats {}, findings for {principals} principals, {joined} joined, {} policies not narrowed",
        started.elapsed(),
        report["stats"],
        report["join"]["policies"].as_array().map_or(0, Vec::len)
    );
    // Every principal the source names is found again from its deployed name.
    assert_eq!(joined, principals);
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
    let diagnostics = report["diagnostics"].as_array().map_or(0, Vec::len);
    assert!(diagnostics > 800, "{diagnostics} diagnostics");
    compare_digest(&report);
}

/// The committed digest of the corpus report: any change to what the corpus gives (a diagnostic more
/// or less, another message, another fix) must come with the digest updated in the same commit, where
/// its diff shows what changed by rule. `IAMPRUNE_UPDATE_DIGEST=1` rewrites it.
fn compare_digest(report: &serde_json::Value) {
    let path = root().join("testdata/corpus-digest.json");
    let digest = digest(report);
    let text = serde_json::to_string_pretty(&digest).unwrap_or_default() + "\n";
    if std::env::var_os("IAMPRUNE_UPDATE_DIGEST").is_some() {
        std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{e}"));
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        committed, text,
        "the corpus report changed; if that is intended, run IAMPRUNE_UPDATE_DIGEST=1 cargo test --test corpus check_the_corpus"
    );
}

/// Counts per rule and kind of fix, the run's stats and message counts, and one hash of every
/// diagnostic (rule, place, message, fix) and message.
fn digest(report: &serde_json::Value) -> serde_json::Value {
    let mut rules: std::collections::BTreeMap<String, [usize; 3]> = Default::default();
    let mut lines = Vec::new();
    for d in diagnostics(report) {
        let counts = rules.entry(field(&d, "/code")).or_default();
        counts[0] += 1;
        match field(&d, "/fix/applicability").as_str() {
            "safe" => counts[1] += 1,
            "display-only" => counts[2] += 1,
            _ => {}
        }
        lines.push(format!(
            "{} {} {} {} | {} | {}",
            field(&d, "/code"),
            field(&d, "/file"),
            d["range"]["start"],
            d["range"]["end"],
            field(&d, "/message"),
            d["fix"]
        ));
    }
    for kind in ["errors", "notes"] {
        for m in report[kind].as_array().into_iter().flatten() {
            lines.push(format!("{kind} {m}"));
        }
    }
    let hash = lines.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, line| {
        fnv(&format!("{h:x}"), line)
    });
    serde_json::json!({
        "stats": report["stats"],
        "rules": rules
            .iter()
            .map(|(code, [all, safe, shown])| (code.clone(), serde_json::json!({
                "diagnostics": all, "safe fixes": safe, "display-only fixes": shown
            })))
            .collect::<serde_json::Map<_, _>>(),
        "errors": report["errors"].as_array().map_or(0, Vec::len),
        "notes": report["notes"].as_array().map_or(0, Vec::len),
        "hash": format!("{hash:016x}"),
    })
}

#[test]
fn fix_a_copy_of_the_corpus_and_check_it_again() {
    let Some(corpus) = corpus() else { return };
    let work = std::env::temp_dir().join(format!("iamprune-corpus-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    copy_dir(&corpus, &work);
    let findings_dir = scratch("corpus-fix");
    let (findings, _) = findings(&work, &findings_dir);
    let args = |cmd: &'static str| -> Vec<String> {
        [
            cmd,
            ".",
            "--findings",
            findings.as_str(),
            "--account",
            "123456789012",
            "--stack-name",
            STACK,
        ]
        .map(String::from)
        .to_vec()
    };
    // SAM policy templates are written out too, so that each is verified like any other fix.
    let fix_args = |more: &[&str]| -> Vec<String> {
        [args("fix"), vec!["--fix-sam-templates".to_string()]]
            .concat()
            .into_iter()
            .chain(more.iter().map(|s| s.to_string()))
            .collect()
    };
    let started = Instant::now();
    let fix = run(
        &work,
        &fix_args(&[]).iter().map(String::as_str).collect::<Vec<_>>(),
    );
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
    assert!(changed > 250, "{changed} files fixed");
    // Fixing again changes nothing, and nothing fixable is left outside generated CDK output.
    let again = run(
        &work,
        &fix_args(&["--diff"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(
        again.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    let check = run(
        &work,
        &[
            args("check"),
            vec!["--format".to_string(), "json".to_string()],
        ]
        .concat()
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>(),
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
