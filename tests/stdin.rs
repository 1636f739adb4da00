//! `--stdin-filename`: the text of one file from standard input, checked in its unit as a check of the
//! tree would check it, for editors and hooks.

mod common;

use common::*;

use std::path::Path;

/// Code, file and range of each diagnostic of a JSON report.
fn places(report: &serde_json::Value) -> Vec<(String, String, String)> {
    diagnostics(report)
        .iter()
        .map(|d| (field(d, "/code"), field(d, "/file"), d["range"].to_string()))
        .collect()
}

fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_same_report_as_a_check_of_the_file_on_disk() {
    let file = "testdata/demo/terraform/main.tf";
    let text = read(&root().join(file));
    let from_disk = json_report(&root(), &["check", file]);
    let out = run_with_input(
        &root(),
        &["check", "--stdin-filename", file, "--format", "json"],
        &text,
    );
    assert_eq!(out.status.code(), Some(1));
    let from_stdin = json(&out);
    assert_eq!(places(&from_stdin), places(&from_disk));
    assert_eq!(places(&from_stdin).len(), 5);
}

#[test]
fn the_text_on_stdin_is_checked_not_the_file() {
    let dir = scratch("stdin-buffer");
    copy_dir(&root().join("testdata/demo"), &dir);
    let file = dir.join("terraform/main.tf");
    let on_disk = read(&file);
    // An unsaved edit that drops every lambda action the findings call unused.
    let edited: String = on_disk
        .lines()
        .filter(|l| !l.contains("\"lambda:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let out = run_with_input(
        &dir,
        &[
            "check",
            "--stdin-filename",
            "terraform/main.tf",
            "--format",
            "json",
        ],
        &edited,
    );
    let report = json(&out);
    let lines: Vec<u64> = report["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|d| d["range"]["start"]["line"].as_u64())
        .collect();
    assert_eq!(lines.len(), 1, "{report:#}");
    assert_eq!(places(&report)[0].1, "terraform/main.tf");
    // Only this file is reported, though the configuration covers the whole project.
    assert!(
        places(&report)
            .iter()
            .all(|(_, file, _)| file == "terraform/main.tf")
    );
    assert_eq!(read(&file), on_disk);
    // A syntax error is reported at its place in the text given.
    let out = run_with_input(
        &dir,
        &["check", "--stdin-filename", "terraform/main.tf"],
        "x = \n",
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("terraform/main.tf:1:5: error"), "{stdout}");
}

#[test]
fn fix_prints_the_fixed_text_and_writes_nothing() {
    let dir = scratch("stdin-fix");
    copy_dir(&root().join("testdata/demo"), &dir);
    let file = dir.join("cloudformation/web.yaml");
    let before = read(&file);
    let args = ["fix", "--stdin-filename", "cloudformation/web.yaml"];
    let out = run_with_input(&dir, &args, &before);
    assert_eq!(out.status.code(), Some(0));
    let fixed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_ne!(fixed, before);
    assert_eq!(read(&file), before, "nothing is written");
    // The fixed text is what `fix` writes to the file.
    let out = run(&dir, &["fix", "cloudformation/web.yaml"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(read(&file), fixed);
    // And fixing it again changes nothing.
    let out = run_with_input(&dir, &args, &fixed);
    assert_eq!(String::from_utf8_lossy(&out.stdout), fixed);
    // `--diff` prints the change instead.
    let out = run_with_input(&dir, &[&args[..], &["--diff"]].concat(), &before);
    let diff = String::from_utf8_lossy(&out.stdout);
    assert!(diff.starts_with("--- cloudformation/web.yaml"), "{diff}");
}

#[test]
fn a_module_file_is_checked_with_the_module_that_calls_it() {
    let dir = scratch("stdin-modules");
    let seed = read(&root().join("testdata/e2e/tf-jsonencode/main.tf")).replace(
        "name               = \"SeedRole\"",
        "name               = var.role_name",
    );
    let module = format!("variable \"role_name\" {{}}\n\n{seed}");
    write(&dir.join("modules/app/main.tf"), &module);
    write(
        &dir.join("main.tf"),
        "module \"app\" {\n  source    = \"./modules/app\"\n  role_name = \"SeedRole\"\n}\n",
    );
    write(
        &dir.join("findings.json"),
        &read(&root().join("testdata/e2e/findings.json")),
    );
    write(
        &dir.join("iamprune.toml"),
        "account = \"123456789012\"\nfindings = [\"findings.json\"]\n",
    );
    let args = [
        "check",
        "--stdin-filename",
        "modules/app/main.tf",
        "--format",
        "json",
    ];
    let report = json(&run_with_input(&dir, &args, &module));
    let codes: Vec<String> = places(&report).into_iter().map(|(c, _, _)| c).collect();
    assert!(codes.contains(&"IAM002".to_string()), "{report:#}");
}

#[test]
fn a_name_iamprune_does_not_read_is_refused() {
    let out = run_with_input(
        &root(),
        &["check", "--stdin-filename", "notes.txt"],
        "hello",
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("notes.txt: not a file iamprune reads"),
        "{stderr}"
    );
    // Paths and --stdin-filename exclude each other.
    let out = run_with_input(
        &root(),
        &["check", "testdata/demo", "--stdin-filename", "a.tf"],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
}
