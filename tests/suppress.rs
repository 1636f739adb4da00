//! Inline suppressions and baselines, as a user writes them.

mod common;

use common::*;

use std::path::PathBuf;
use std::process::Command;

use insta_cmd::get_cargo_bin;

fn summary(args: &[&str]) -> (Option<i32>, String) {
    let out = iamprune()
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let mut text = String::new();
    for d in report["diagnostics"].as_array().into_iter().flatten() {
        text.push_str(&format!(
            "{} {}:{}\n",
            d["code"].as_str().unwrap_or(""),
            d["file"].as_str().unwrap_or(""),
            d["range"]["start"]["line"]
        ));
    }
    for n in report["notes"].as_array().into_iter().flatten() {
        text.push_str(&format!(
            "note {}:{} {}\n",
            n["file"].as_str().unwrap_or(""),
            n["range"]["start"]["line"],
            n["message"].as_str().unwrap_or("")
        ));
    }
    (out.status.code(), text)
}

#[test]
fn suppressions_in_comments_and_metadata() {
    let (code, text) = summary(&[
        "check",
        "testdata/suppress",
        "--findings",
        "testdata/suppress/findings.jsonl",
        "--account",
        "123456789012",
    ]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(text);
}

#[test]
fn a_baseline_hides_known_problems_only() {
    let dir = std::env::temp_dir().join(format!("iamprune-baseline-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/demo"),
        &dir.join("demo"),
    );
    let run = |args: &[&str]| {
        let mut cmd = Command::new(get_cargo_bin("iamprune"));
        let out = cmd
            .current_dir(&dir)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let codes: Vec<String> = report["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| {
                format!(
                    "{} {}",
                    d["code"].as_str().unwrap_or(""),
                    d["message"].as_str().unwrap_or("")
                )
            })
            .collect();
        (out.status.code(), codes)
    };
    let (code, known) = run(&[
        "check",
        "demo",
        "--write-baseline",
        "baseline.json",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0));
    assert_eq!(known.len(), 7);
    assert_eq!(
        run(&[
            "check",
            "demo",
            "--baseline",
            "baseline.json",
            "--format",
            "json"
        ]),
        (Some(0), vec![])
    );
    // Every line moves and one new unused action comes in: only that one is reported.
    let web = dir.join("demo/cloudformation/web.yaml");
    let text = std::fs::read_to_string(&web).unwrap_or_default();
    let text = text
        .replace(
            "Resources:\n",
            "# a comment that moves every line\n\nResources:\n",
        )
        .replace(
            "                  - dynamodb:PutItem\n",
            "                  - dynamodb:PutItem\n                  - logs:DescribeQueries\n",
        );
    std::fs::write(&web, text).unwrap_or_else(|e| panic!("{e}"));
    let (code, new) = run(&[
        "check",
        "demo",
        "--baseline",
        "baseline.json",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(
        new[0].starts_with("IAM001 `logs:DescribeQueries`"),
        "{new:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// What a file is, JSON or YAML, is told by its text: a YAML template named `.cfn` or `.template` has its
/// comments and its `Metadata` suppressions read as a `.yaml` one does.
#[test]
fn yaml_templates_under_other_names_keep_their_suppressions() {
    let dir = scratch("suppress-names");
    let web = std::fs::read_to_string(root().join("testdata/suppress/web.yaml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let findings = root().join("testdata/suppress/findings.jsonl");
    let findings = findings.to_string_lossy();
    let report = |name: &str| {
        let project = dir.join(name.replace('.', "-"));
        std::fs::create_dir_all(&project).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(project.join(name), &web).unwrap_or_else(|e| panic!("{e}"));
        let report = json_report(
            &project,
            &[
                "check",
                ".",
                "--findings",
                &findings,
                "--account",
                "123456789012",
            ],
        );
        let codes: Vec<String> = report["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| format!("{} {}", d["code"], d["range"]["start"]["line"]))
            .collect();
        let notes = report["notes"].as_array().map_or(0, Vec::len);
        (codes, notes)
    };
    let yaml = report("web.yaml");
    assert!(!yaml.0.is_empty(), "the fixture reports something");
    assert_eq!(report("web.cfn"), yaml);
    assert_eq!(report("web.template"), yaml);
}
