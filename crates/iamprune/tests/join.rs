//! The join of findings to the principals a policy reaches, tried adversarially: each case is a small
//! project in `testdata/join/` in which a naive join would remove an action some principal used, and
//! each test proves the used action survives `fix`.

mod common;

use common::*;

use std::path::{Path, PathBuf};

/// A copy of `testdata/join/<case>` in a fresh temporary directory.
fn case(name: &str) -> PathBuf {
    let dir = scratch(&format!("join-{name}"));
    copy_dir(&root().join("testdata/join").join(name), &dir);
    dir
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `fix` in `dir` and returns the text of `file` afterwards, with what the run printed.
fn fix(dir: &Path, args: &[&str], file: &str) -> (String, String) {
    let out = run(dir, &[&["fix"], args].concat());
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (read(&dir.join(file)), printed)
}

#[test]
fn a_configuration_above_the_repository_is_not_used() {
    let dir = scratch("join-config-above");
    let repo = dir.join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap_or_else(|e| panic!("{e}"));
    copy_dir(&root().join("testdata/join/config-above"), &dir);
    let (text, printed) = fix(&repo, &[], "main.tf");
    assert!(text.contains("s3:GetObject"), "{printed}");
    let report = json_report(&repo, &["check"]);
    assert_eq!(report["configs"], serde_json::json!([]), "{report}");
    // Without the repository boundary, the same layout uses the file above.
    std::fs::remove_dir_all(repo.join(".git")).unwrap_or_else(|e| panic!("{e}"));
    let report = json_report(&repo, &["check"]);
    assert_eq!(
        report["configs"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );
    let (text, printed) = fix(&repo, &[], "main.tf");
    assert!(!text.contains("s3:GetObject"), "{printed}");
}

#[test]
fn a_group_policy_is_not_narrowed_by_the_members_a_template_declares() {
    let dir = case("cfn-group");
    let (text, printed) = fix(&dir, &[], "template.yaml");
    assert!(text.contains("s3:GetObject"), "{printed}");
    let report = json_report(&dir, &["check"]);
    let notes = report["notes"].to_string();
    assert!(notes.contains("through a group"), "{notes}");
    // A user policy of the same member is narrowed: the findings do reach it.
    survives_but_control_narrows("cfn-group", "template.yaml", "s3:GetObject", |t| {
        t.replace(
            "      Groups:\n        - !Ref Developers\n      PolicyDocument",
            "      Users:\n        - !Ref Alice\n      PolicyDocument",
        )
    });
}

/// Runs `fix` on a case and checks `used` survives while the control (the same project with the
/// hazard taken out, written by `control`) narrows it: the fixture can fail.
fn survives_but_control_narrows(
    name: &str,
    file: &str,
    used: &str,
    control: impl Fn(&str) -> String,
) {
    let dir = case(name);
    let (text, printed) = fix(&dir, &[], file);
    assert!(text.contains(used), "{name}: {used} was removed\n{printed}");
    let original = read(&root().join("testdata/join").join(name).join(file));
    std::fs::write(dir.join(file), control(&original)).unwrap_or_else(|e| panic!("{e}"));
    let (text, printed) = fix(&dir, &[], file);
    assert!(
        !text.contains(used),
        "{name}: the control kept {used}\n{printed}"
    );
}

#[test]
fn a_permissions_boundary_is_a_ceiling_and_is_not_narrowed() {
    survives_but_control_narrows("cfn-boundary", "template.yaml", "s3:GetObject", |t| {
        t.replace("      PermissionsBoundary: !Ref Shared\n", "")
    });
}

#[test]
fn an_exported_managed_policy_is_not_narrowed() {
    survives_but_control_narrows("cfn-export", "template.yaml", "s3:GetObject", |t| {
        t.split("Outputs:").next().unwrap_or_default().to_string()
    });
}

#[test]
fn an_action_from_a_variable_is_never_removed() {
    survives_but_control_narrows("tf-tfvars", "main.tf", "var.extra_action", |t| {
        t.replace("var.extra_action", "\"s3:GetObject\"")
    });
}

#[test]
fn a_terraform_permissions_boundary_is_not_narrowed() {
    survives_but_control_narrows("tf-boundary", "main.tf", "s3:GetObject", |t| {
        t.replace("  permissions_boundary = aws_iam_policy.shared.arn\n", "")
    });
}

#[test]
fn a_document_that_also_feeds_an_scp_is_not_narrowed() {
    survives_but_control_narrows("tf-scp", "main.tf", "s3:GetObject", |t| {
        t.replace(
            "data.aws_iam_policy_document.shared.json\n}\n\nresource \"aws_organizations_policy\"",
            "data.aws_iam_policy_document.shared.json\n}\n\nresource \"aws_s3_bucket\"",
        )
        .replace("  content = data.aws_iam_policy_document.shared.json\n", "")
    });
}

#[test]
fn a_managed_policy_handed_out_by_an_output_is_not_narrowed() {
    survives_but_control_narrows("tf-output", "main.tf", "s3:GetObject", |t| {
        t.split("output \"").next().unwrap_or_default().to_string()
    });
}
