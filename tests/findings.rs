//! Findings in every export shape feed `refine` the same way, and `findings` summarizes them.

mod common;

use common::*;

use std::path::PathBuf;
use std::process::Output;

use insta_cmd::assert_cmd_snapshot;

const ROLE: &str = "arn:aws:iam::123456789012:role/SeedRole";

fn refine(findings_args: &[&str]) -> Output {
    iamprune()
        .args(["refine", "--policy", "testdata/seed/policy.json"])
        .args(["--catalog", "testdata/seed/catalog-2024-07.tsv"])
        .args(findings_args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn expected() -> String {
    std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/seed/expected-refined-2024.json"),
    )
    .unwrap_or_default()
}

#[test]
fn every_export_shape_refines_the_seed_like_the_simple_list() {
    let shapes: [&[&str]; 6] = [
        &["--unused", "testdata/seed/unused.json"],
        &["--findings", "testdata/seed/findings/get-finding-v2.json"],
        &["--findings", "testdata/seed/findings/get-finding-v2.jsonl"],
        &["--findings", "testdata/seed/findings/dir"],
        &[
            "--findings",
            "testdata/seed/findings/iam-get-service-last-accessed-details.json",
        ],
        &[
            "--findings",
            "testdata/seed/findings/get-finding-v2.json",
            "--principal",
            ROLE,
        ],
    ];
    for args in shapes {
        let out = refine(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim_end(),
            expected().trim_end(),
            "{args:?}"
        );
    }
}

#[test]
fn a_policy_shared_by_several_principals_keeps_what_any_of_them_used() {
    // The other role used GetBucketAcl and every lambda action: those stay.
    let dir = std::env::temp_dir().join(format!("iamprune-shared-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let other = dir.join("other.json");
    std::fs::write(
        &other,
        r#"{"resource": "arn:aws:iam::123456789012:role/OtherRole", "status": "ACTIVE", "findingType": "UnusedPermission",
            "analyzedAt": "2024-06-10T09:12:44+00:00",
            "findingDetails": [{"unusedPermissionDetails": {"serviceNamespace": "s3", "actions": [
                {"action": "GetBucketLocation"}, {"action": "GetBucketWebsite"}]}}]}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let other = other.display().to_string();
    let out = refine(&[
        "--findings",
        "testdata/seed/findings/get-finding-v2.json",
        "--findings",
        &other,
        "--principal",
        ROLE,
        "--principal",
        "arn:aws:iam::123456789012:role/OtherRole",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let refined: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let actions: Vec<&str> = refined["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["Action"].as_array().into_iter().flatten())
        .filter_map(|a| a.as_str())
        .collect();
    assert!(actions.contains(&"lambda:AddPermission"), "{actions:?}");
    assert!(actions.contains(&"s3:GetBucketAcl"), "{actions:?}");
    assert!(!actions.contains(&"s3:GetBucketLocation"), "{actions:?}");
    assert!(!actions.contains(&"s3:Get*"), "{actions:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn several_principals_without_a_choice_is_a_usage_error() {
    let out = refine(&[
        "--findings",
        "testdata/findings/get-finding-v2.several.jsonl",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("name the ones the policy reaches with --principal")
    );
}

#[test]
fn a_principal_without_findings_changes_nothing() {
    let out = refine(&[
        "--findings",
        "testdata/seed/findings/get-finding-v2.json",
        "--principal",
        "arn:aws:iam::123456789012:role/Unknown",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let refined: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let original: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/seed/policy.json"),
        )
        .unwrap_or_default(),
    )
    .unwrap_or_default();
    assert_eq!(refined, original);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("no findings for arn:aws:iam::123456789012:role/Unknown")
    );
}

#[test]
fn findings_summary() {
    assert_cmd_snapshot!(iamprune().args(["findings", "testdata/seed/findings/dir", "--actions"]));
    assert_cmd_snapshot!(iamprune().args([
        "findings",
        "testdata/findings/get-finding-v2.unused-permission.json",
        "testdata/findings/list-findings-v2.unused.json",
        "testdata/findings/securityhub-asff.unused-permission.json"
    ]));
}

#[test]
fn a_stale_export_does_not_remove_what_a_newer_one_found_used() {
    // Each pair in testdata/findings/stale: an older export that reports s3:GetObject unused and
    // a newer one (same finding, the same finding RESOLVED, or a newer analysis) that does not.
    let dir = std::env::temp_dir().join(format!("iamprune-stale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let policy = dir.join("policy.json");
    std::fs::write(
        &policy,
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*",
            "Action": ["s3:GetObject", "s3:PutObject", "dynamodb:Scan", "dynamodb:DeleteItem"]}]}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let policy = policy.display().to_string();
    for (role, pair) in [
        ("ReportingRole", "superseded"),
        ("ArchiveRole", "resolved"),
        ("IngestRole", "reanalysed"),
    ] {
        let older = format!("testdata/findings/stale/{pair}/older.json");
        let newer = format!("testdata/findings/stale/{pair}/newer.json");
        let principal = format!("arn:aws:iam::111122223333:role/{role}");
        for (first, second) in [(&older, &newer), (&newer, &older)] {
            let out = iamprune()
                .args(["refine", "--policy", &policy])
                .args(["--catalog", "testdata/seed/catalog-2024-07.tsv"])
                .args(["--findings", first, "--findings", second])
                .args(["--principal", &principal])
                .output()
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                out.status.code(),
                Some(0),
                "{pair}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let refined: serde_json::Value =
                serde_json::from_slice(&out.stdout).unwrap_or_default();
            let actions: Vec<&str> = refined["Statement"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|s| s["Action"].as_array().into_iter().flatten())
                .filter_map(|a| a.as_str())
                .collect();
            assert!(
                actions.contains(&"s3:GetObject"),
                "{pair}, {first} first: {actions:?}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn findings_summary_of_stale_exports() {
    assert_cmd_snapshot!(iamprune().args(["findings", "testdata/findings/stale", "--actions"]));
}
