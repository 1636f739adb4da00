//! Every rule on its own fixtures, as a user runs `check` and `fix`.
//!
//! Each directory of `testdata/rules/` is a small project for one rule: its name starts with the rule's
//! code (`IAM002`, or `IAM002-crlf-bom` for a variant), and it holds the policies in the syntaxes the
//! rule applies to and, where the rule needs findings, a `findings.json` of `get-finding-v2` output. For
//! each directory, in a copy of it:
//!
//! - `check --format json` reports the directory's rule; a summary of what it reports (code, place,
//!   message, fix) is snapshotted under the directory's name;
//! - `fix` changes exactly the files that have a safe fix, keeps their BOM, line endings and final
//!   newline, and leaves every other file byte for byte as it was; each changed file is snapshotted;
//! - a second `fix --diff` prints nothing, and a second `check` offers no safe fix and finds as many
//!   policies as the first.
//!
//! A new directory is picked up without changing this file.

mod common;

use common::*;

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use serde_json::Value;

fn fixtures() -> PathBuf {
    root().join("testdata/rules")
}

/// Every file under `dir`, by its path relative to `dir` (with `/`), with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.map(|e| e.path()).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let relative = path
                    .strip_prefix(base)
                    .unwrap_or(&path)
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                let bytes =
                    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                out.insert(relative, bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn copy_to(files: &BTreeMap<String, Vec<u8>>, dir: &Path) {
    for (name, bytes) in files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

/// A path as the report prints it (`./main.tf`), relative to the project directory.
fn relative(file: &str) -> String {
    file.trim_start_matches("./").to_string()
}

/// The catalog's name and date as messages quote it, without the action count the report adds.
fn catalog_source(report: &Value) -> String {
    let catalog = report["catalog"].as_str().unwrap_or("");
    catalog
        .rsplit_once(" (")
        .map_or(catalog, |(source, _)| source)
        .to_string()
}

/// One line per diagnostic (code, file:line:column, message) and its fix (applicability and title),
/// then the notes, all in a stable order; the catalog version in messages is replaced by `[catalog]`.
fn summary(report: &Value) -> String {
    let source = catalog_source(report);
    let redact = |text: &str| {
        if source.is_empty() {
            text.to_string()
        } else {
            text.replace(&source, "[catalog]")
        }
    };
    let mut lines: Vec<((String, u64, u64, String), String)> = Vec::new();
    for d in report["diagnostics"].as_array().into_iter().flatten() {
        let file = relative(d["file"].as_str().unwrap_or(""));
        let start = &d["range"]["start"];
        let (line, column) = (
            start["line"].as_u64().unwrap_or(0),
            start["column"].as_u64().unwrap_or(0),
        );
        let code = d["code"].as_str().unwrap_or("").to_string();
        let mut text = format!(
            "{code} {file}:{line}:{column} {}\n",
            redact(d["message"].as_str().unwrap_or(""))
        );
        match d["fix"].as_object() {
            Some(fix) => text.push_str(&format!(
                "    fix ({}): {}\n",
                fix["applicability"].as_str().unwrap_or(""),
                fix["title"].as_str().unwrap_or("")
            )),
            None => text.push_str("    no fix\n"),
        }
        lines.push(((file, line, column, code), text));
    }
    lines.sort();
    let mut out: String = lines.into_iter().map(|(_, text)| text).collect();
    let mut notes: Vec<String> = report["notes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| {
            let file = relative(n["file"].as_str().unwrap_or(""));
            let line = n["range"]["start"]["line"].as_u64().unwrap_or(0);
            format!(
                "note {file}:{line} {}\n",
                redact(n["message"].as_str().unwrap_or(""))
            )
        })
        .collect();
    notes.sort();
    out.extend(notes);
    out
}

/// The files a safe fix of the report edits.
fn files_with_safe_fixes(report: &Value) -> BTreeSet<String> {
    report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["fix"]["applicability"] == "safe")
        .flat_map(|d| d["fix"]["edits"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| e["file"].as_str().map(relative))
        .collect()
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How a text file is encoded: BOM, line endings and final newline.
#[derive(Debug, PartialEq, Eq)]
struct Layout {
    bom: bool,
    crlf: usize,
    bare_lf: usize,
    final_newline: bool,
}

impl Layout {
    fn of(bytes: &[u8]) -> Layout {
        let newlines: Vec<usize> = (0..bytes.len()).filter(|&i| bytes[i] == b'\n').collect();
        let crlf = newlines
            .iter()
            .filter(|&&i| i > 0 && bytes[i - 1] == b'\r')
            .count();
        Layout {
            bom: bytes.starts_with(BOM),
            crlf,
            bare_lf: newlines.len() - crlf,
            final_newline: bytes.ends_with(b"\n"),
        }
    }

    fn describe(&self) -> String {
        let endings = match (self.crlf, self.bare_lf) {
            (0, 0) => "no line breaks",
            (_, 0) => "CRLF line endings",
            (0, _) => "LF line endings",
            _ => "mixed line endings",
        };
        format!(
            "{}{endings}, {}",
            if self.bom { "UTF-8 BOM, " } else { "" },
            if self.final_newline {
                "final newline"
            } else {
                "no final newline"
            }
        )
    }
}

/// The directory's own rule: the code its name starts with.
fn rule_of(name: &str) -> String {
    let code: String = name.chars().take(6).collect();
    assert!(
        code.len() == 6 && code.starts_with("IAM") && code[3..].chars().all(|c| c.is_ascii_digit()),
        "testdata/rules/{name}: a fixture directory is named after its rule code (IAM001, IAM001-variant)"
    );
    code
}

/// What one fixture showed, for the checks across all of them.
struct Seen {
    /// Changed files that had a BOM and CRLF line endings.
    crlf_bom_files_fixed: Vec<String>,
}

fn check_fixture(name: &str) -> Seen {
    let code = rule_of(name);
    let original = files(&fixtures().join(name));
    let work = std::env::temp_dir().join(format!("iamprune-rules-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    copy_to(&original, &work);

    let findings = original.contains_key("findings.json");
    let with_findings = |args: &[&'static str]| -> Vec<&'static str> {
        let mut all = args.to_vec();
        if findings {
            all.extend(["--findings", "findings.json", "--account", "123456789012"]);
        }
        all
    };
    let check_args = with_findings(&["check", ".", "--format", "json"]);
    let fix_args = with_findings(&["fix", "."]);
    let diff_args = with_findings(&["fix", ".", "--diff"]);

    // check
    let check = run(&work, &check_args);
    let report = json(&check);
    assert!(
        matches!(check.status.code(), Some(0 | 1)),
        "{name}: check exited {:?}: {}",
        check.status.code(),
        String::from_utf8_lossy(&check.stderr)
    );
    assert_eq!(
        report["errors"].as_array().map(Vec::len),
        Some(0),
        "{name}: {}",
        report["errors"]
    );
    let codes: BTreeSet<&str> = report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert!(
        codes.contains(code.as_str()),
        "{name}: no {code} diagnostic, only {codes:?}"
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_description(format!(
        "iamprune {} in testdata/rules/{name}",
        check_args.join(" ")
    ));
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name.to_string(), summary(&report)));
    let expected_changes = files_with_safe_fixes(&report);

    // fix
    let fix = run(&work, &fix_args);
    let stderr = String::from_utf8_lossy(&fix.stderr);
    assert_eq!(fix.status.code(), Some(0), "{name}: fix failed: {stderr}");
    assert!(!stderr.contains("error"), "{name}: {stderr}");
    let fixed = files(&work);
    assert_eq!(
        fixed.keys().collect::<Vec<_>>(),
        original.keys().collect::<Vec<_>>(),
        "{name}: fix added or removed a file"
    );
    let changed: BTreeSet<String> = fixed
        .iter()
        .filter(|(file, bytes)| original.get(*file) != Some(*bytes))
        .map(|(file, _)| file.clone())
        .collect();
    assert_eq!(
        changed, expected_changes,
        "{name}: the files fix changed are not the files with a safe fix (every other file must stay byte for byte as it was)"
    );
    let printed: BTreeSet<String> = String::from_utf8_lossy(&fix.stdout)
        .lines()
        .filter_map(|line| line.strip_prefix("fixed "))
        .map(relative)
        .collect();
    assert_eq!(
        printed, changed,
        "{name}: fix reports other files than it changed"
    );

    let mut crlf_bom_files_fixed = Vec::new();
    for file in &changed {
        let (before, after) = (&original[file], &fixed[file]);
        let (was, is) = (Layout::of(before), Layout::of(after));
        assert_eq!(is.bom, was.bom, "{name}/{file}: the BOM was not kept");
        assert_eq!(
            is.final_newline, was.final_newline,
            "{name}/{file}: the final newline was not kept"
        );
        if was.bare_lf == 0 && was.crlf > 0 {
            assert_eq!(
                is.bare_lf, 0,
                "{name}/{file}: a CRLF file got LF line endings"
            );
            if was.bom {
                assert!(
                    after.starts_with(BOM),
                    "{name}/{file}: the BOM is not first"
                );
                crlf_bom_files_fixed.push(file.clone());
            }
        }
        if was.crlf == 0 {
            assert_eq!(
                is.crlf, 0,
                "{name}/{file}: an LF file got CRLF line endings"
            );
        }
        let text = String::from_utf8(after.clone())
            .unwrap_or_else(|e| panic!("{name}/{file}: the fixed file is not UTF-8: {e}"));
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        if file.ends_with(".json") {
            serde_json::from_str::<Value>(text)
                .unwrap_or_else(|e| panic!("{name}/{file}: the fixed file is not JSON: {e}"));
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_description(format!(
            "testdata/rules/{name}/{file} after `iamprune {}` ({}; shown with LF)",
            fix_args.join(" "),
            is.describe()
        ));
        settings.set_omit_expression(true);
        settings.bind(|| {
            insta::assert_snapshot!(
                format!("{name}-fixed-{}", file.replace('/', "-")),
                text.replace("\r\n", "\n")
            );
        });
    }

    // Nothing is left to fix.
    let again = run(&work, &diff_args);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{name}: {}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(
        again.stdout.is_empty(),
        "{name}: a second fix would still change:\n{}",
        String::from_utf8_lossy(&again.stdout)
    );
    let recheck = run(&work, &check_args);
    let after = json(&recheck);
    assert_eq!(
        after["errors"].as_array().map(Vec::len),
        Some(0),
        "{name}: the fixed files do not check: {}",
        after["errors"]
    );
    assert_eq!(
        after["stats"]["policies"], report["stats"]["policies"],
        "{name}: a fix lost or added a policy document"
    );
    let safe: Vec<String> = after["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["fix"]["applicability"] == "safe")
        .map(|d| format!("{} {} {}", d["code"], d["file"], d["message"]))
        .collect();
    assert!(
        safe.is_empty(),
        "{name}: safe fixes left after fix: {safe:#?}"
    );

    let _ = std::fs::remove_dir_all(&work);
    Seen {
        crlf_bom_files_fixed,
    }
}

#[test]
fn every_rule_on_its_fixtures() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap_or_else(|e| panic!("{e}"))
        .map(|entry| entry.unwrap_or_else(|e| panic!("{e}")))
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // Every rule has a directory of its own.
    for rule in [
        "IAM001", "IAM002", "IAM003", "IAM004", "IAM005", "IAM010", "IAM011", "IAM020",
    ] {
        assert!(
            names.iter().any(|n| n == rule),
            "testdata/rules/{rule} is missing"
        );
    }
    // One failing fixture does not hide the others: each runs, and the failures are listed at the end.
    let mut failed = Vec::new();
    let mut crlf_bom_files_fixed = Vec::new();
    for name in &names {
        match catch_unwind(AssertUnwindSafe(|| check_fixture(name))) {
            Ok(seen) => crlf_bom_files_fixed.extend(seen.crlf_bom_files_fixed),
            Err(_) => failed.push(name.clone()),
        }
    }
    assert!(failed.is_empty(), "fixtures that failed: {failed:?}");
    // The byte checks above are not vacuous: CloudFormation YAML and JSON with a BOM and CRLF were fixed.
    for extension in [".yaml", ".json"] {
        assert!(
            crlf_bom_files_fixed.iter().any(|f| f.ends_with(extension)),
            "no fixture fixes a {extension} file with a BOM and CRLF line endings: {crlf_bom_files_fixed:?}"
        );
    }
}
