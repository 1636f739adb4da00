//! What the walk leaves out, as a user sees it: a `.gitignore`d `cdk.out` is scanned, hidden and
//! ignored directories that may hold policies are named in one note in every output format, and
//! `--no-ignore`, `no-ignore = true` or naming them scans them.

mod common;

use common::*;

use std::path::Path;

use insta_cmd::assert_cmd_snapshot;

fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
}

fn copy(dir: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(root().join("testdata").join(from))
        .unwrap_or_else(|e| panic!("{e}"));
    write(dir, to, &text);
}

/// A CDK app as `cdk init` leaves it (`cdk.out` in `.gitignore`), with the findings of its role, a
/// hidden directory of Terraform and an ignored vendored module. Built here: git keeps no `.git`.
fn project(name: &str) -> Scratch {
    let dir = scratch(name);
    write(&dir, ".gitignore", "cdk.out\nvendor/\n");
    copy_dir(
        &root().join("testdata/e2e/cdk/cdk.out"),
        &dir.join("cdk.out"),
    );
    copy(&dir, "e2e/cdk/findings.json", "findings.json");
    copy(&dir, "terraform/jsonencode/main.tf", ".infra/main.tf");
    copy(&dir, "terraform/jsonencode/main.tf", "vendor/main.tf");
    write(&dir, ".git/HEAD", "ref: refs/heads/main\n");
    copy(&dir, "terraform/jsonencode/main.tf", ".git/old/main.tf");
    dir
}

const NOTE: &str = "2 files that may hold policies were not scanned because .gitignore or a hidden \
                    name excludes them: ./.infra/ (1), ./vendor/ (1); scan them with --no-ignore \
                    (`no-ignore = true` in iamprune.toml) or by naming them";

/// The files the diagnostics and notes of a JSON report are in, each once.
fn files(report: &serde_json::Value) -> Vec<String> {
    let mut files: Vec<String> = ["diagnostics", "notes"]
        .iter()
        .flat_map(|key| report[key].as_array().into_iter().flatten())
        .filter_map(|d| d["file"].as_str().map(str::to_string))
        .collect();
    files.sort();
    files.dedup();
    files
}

fn notes(report: &serde_json::Value) -> Vec<String> {
    report["notes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["message"].as_str().map(str::to_string))
        .collect()
}

fn policies(report: &serde_json::Value) -> u64 {
    report["stats"]["policies"].as_u64().unwrap_or_default()
}

#[test]
fn an_ignored_cdk_out_is_scanned_and_what_else_is_left_out_is_noted_once() {
    let dir = project("walk-default");
    let report = json_report(
        &dir,
        &[
            "check",
            "--findings",
            "findings.json",
            "--account",
            "123456789012",
        ],
    );
    assert_eq!(
        files(&report),
        [".", "./cdk.out/SeedStack.template.json"],
        "{report:#}"
    );
    assert_eq!(diagnostic_count(&report), 9);
    assert_eq!(policies(&report), 2);
    let skipped: Vec<String> = notes(&report)
        .into_iter()
        .filter(|n| n.contains("not scanned"))
        .collect();
    assert_eq!(skipped, [NOTE]);
}

#[test]
fn the_note_in_text() {
    let dir = project("walk-text");
    assert_cmd_snapshot!(iamprune_in(&dir).args(["check", "."]));
}

#[test]
fn the_note_reaches_sarif_and_github() {
    let dir = project("walk-formats");
    let out = run(&dir, &["check", "--format", "sarif"]);
    let sarif = json(&out);
    let errors = sarif_errors(&sarif);
    assert!(errors.is_empty(), "{errors:#?}");
    let notifications = &sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert_eq!(notifications[0]["level"], "note", "{notifications:#}");
    assert_eq!(notifications[0]["message"]["text"], NOTE);
    let out = run(&dir, &["check", "--format", "github"]);
    let annotations = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        annotations,
        format!("::notice title=iamprune::.: {NOTE}\n"),
        "{annotations}"
    );
}

#[test]
fn no_ignore_scans_hidden_and_ignored_directories_but_not_git() {
    let dir = project("walk-no-ignore");
    for args in [
        &["check", "--no-ignore"][..],
        &["principals", "--no-ignore"],
    ] {
        let out = run(&dir, args);
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let report = json_report(&dir, &["check", "--no-ignore"]);
    assert!(notes(&report).iter().all(|n| !n.contains("not scanned")));
    // Four in each copy of the module, two in the assembly.
    assert_eq!(policies(&report), 4 + 4 + 2, "{report:#}");
    let listed = json(&run(
        &dir,
        &["principals", "--no-ignore", "--format", "json"],
    ));
    let units: Vec<&str> = listed["principals"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["unit"].as_str())
        .collect();
    // An assembly's principals are listed by template.
    for unit in ["./.infra", "./vendor", "./cdk.out/"] {
        assert!(
            units.iter().any(|u| u.starts_with(unit)),
            "{unit} not in {units:?}"
        );
    }
    assert!(!units.iter().any(|u| u.contains(".git/")), "{units:?}");
}

#[test]
fn no_ignore_in_the_configuration() {
    let dir = project("walk-config");
    write(&dir, "iamprune.toml", "no-ignore = true\n");
    let report = json_report(&dir, &["check"]);
    assert_eq!(policies(&report), 4 + 4 + 2, "{report:#}");
}

#[test]
fn a_named_hidden_or_ignored_directory_is_scanned() {
    let dir = project("walk-named");
    for named in [".infra", "vendor", ".infra/main.tf"] {
        let report = json_report(&dir, &["check", named]);
        assert_eq!(policies(&report), 4, "{named}: {report:#}");
        assert!(notes(&report).iter().all(|n| !n.contains("not scanned")));
    }
    let report = json_report(
        &dir,
        &[
            "check",
            "cdk.out",
            "--findings",
            "findings.json",
            "--account",
            "123456789012",
        ],
    );
    assert_eq!(diagnostic_count(&report), 9);
}

#[test]
fn principals_and_fix_say_what_was_left_out() {
    let dir = project("walk-stderr");
    for args in [
        &["principals"][..],
        &[
            "fix",
            "--diff",
            "--findings",
            "findings.json",
            "--account",
            "123456789012",
        ],
    ] {
        let out = run(&dir, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("iamprune: note: .: {NOTE}")),
            "{args:?}: {stderr}"
        );
    }
}

/// A module manifest `terraform init` left that does not read is an error at its line and column that
/// says what to do, whether `.terraform` is found past the filters (hidden) or scanned with them off.
#[test]
fn a_module_manifest_that_does_not_read_is_said_where_it_stops() {
    for args in [&[][..], &["--no-ignore"][..]] {
        let dir = scratch("manifest");
        copy_dir(&root().join("testdata/rules/IAM001-vendored-module"), &dir);
        write(
            &dir,
            ".terraform/modules/modules.json",
            r#"{"Modules":[{"Key":"billing_role","Dir":".terraform/mo"#,
        );
        let mut all = vec!["check", ".", "--findings", "findings.json"];
        all.extend(["--account", "123456789012", "--exit-zero"]);
        all.extend(args);
        let out = run(&dir, &all);
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let error = "modules.json:1:41: error: terraform init's module manifest does not read";
        assert_eq!(said.matches(error).count(), 1, "{args:?}:\n{said}");
        assert!(said.contains("run `terraform init` again"), "{said}");
    }
}
