//! Exports of findings made at different times: the newest decides, in whatever order the files
//! are loaded.

mod common;

use std::path::Path;

use common::{fixture, render};
use iamprune_findings::{FindingsSet, FormatKind, LoadOptions};

const REPORTING: &str = "arn:aws:iam::111122223333:role/ReportingRole";
const ARCHIVE: &str = "arn:aws:iam::111122223333:role/ArchiveRole";
const INGEST: &str = "arn:aws:iam::111122223333:role/IngestRole";

fn load_in_order(names: &[&str]) -> FindingsSet {
    let mut set = FindingsSet::new();
    for name in names {
        let result = set.load_file(&fixture(name), &LoadOptions::default());
        assert_eq!(result, Ok(FormatKind::GetFindingV2), "{name}");
    }
    set
}

/// Both orders of a pair of files, and both files as one, in both orders.
fn every_order(dir: &str) -> Vec<FindingsSet> {
    let older = format!("stale/{dir}/older.json");
    let newer = format!("stale/{dir}/newer.json");
    let read = |name: &str| std::fs::read_to_string(fixture(name)).unwrap_or_default();
    let mut sets = vec![
        load_in_order(&[&older, &newer]),
        load_in_order(&[&newer, &older]),
    ];
    for text in [read(&older) + &read(&newer), read(&newer) + &read(&older)] {
        let mut set = FindingsSet::new();
        let result = set.load_str(&text, Path::new("both.json"), &LoadOptions::default());
        assert_eq!(result, Ok(FormatKind::GetFindingV2));
        sets.push(set);
    }
    sets
}

#[test]
fn a_newer_export_that_no_longer_lists_a_service_wins() {
    for set in every_order("superseded") {
        let p = set.for_principal(REPORTING).expect("the role has findings");
        assert!(!p.is_unused("s3:GetObject"), "{p:?}");
        assert!(!p.is_unused("s3:PutObject"));
        assert!(p.is_unused("dynamodb:Scan"));
        assert!(p.is_unused("dynamodb:DeleteItem"));
        assert_eq!(
            p.unused_actions.keys().collect::<Vec<_>>(),
            ["dynamodb:DeleteItem", "dynamodb:Scan"]
        );
        assert_eq!(
            p.analyzed_at.as_deref(),
            Some("2024-06-20T06:00:00.480000+00:00")
        );
        let note = set
            .notes()
            .iter()
            .find(|n| n.contains("supersedes"))
            .expect("a note says which version won");
        assert!(
            note.contains("finding `f6000000-0000-4000-8000-000000000001`")
                && note.contains("the version of `2024-06-20T06:00:02+00:00`")
                && note.ends_with("supersedes 1 older export(s)"),
            "{note}"
        );
    }
}

#[test]
fn a_newer_resolved_export_makes_the_finding_used() {
    for set in every_order("resolved") {
        let p = set.for_principal(ARCHIVE).expect("the role has findings");
        assert!(!p.is_unused("s3:GetObject"), "{p:?}");
        assert!(!p.is_unused("dynamodb:Scan"));
        assert!(p.unused_actions.is_empty() && p.unused_services.is_empty());
        assert_eq!(p.updated_at.as_deref(), Some("2024-06-20T06:00:02+00:00"));
        let note = set
            .notes()
            .iter()
            .find(|n| n.contains("is RESOLVED and supersedes 1 older export(s)"))
            .expect("a note says the finding is resolved");
        assert!(
            note.ends_with("what any export of it reports unused is treated as used"),
            "{note}"
        );
    }
}

#[test]
fn a_newer_analysis_of_the_principal_that_does_not_list_a_service_wins() {
    for set in every_order("reanalysed") {
        let p = set.for_principal(INGEST).expect("the role has findings");
        assert!(!p.is_unused("s3:GetObject"), "{p:?}");
        // dynamodb is in both: they vote, and only Scan is unused in both.
        assert_eq!(
            p.unused_actions.keys().collect::<Vec<_>>(),
            ["dynamodb:Scan"]
        );
        assert!(
            set.notes().iter().any(|n| n.starts_with(
                "finding `f6000000-0000-4000-8000-000000000003` for \
                 `arn:aws:iam::111122223333:role/IngestRole`: what it reports unused in s3 is \
                 treated as used: the newest analysis of the principal (finding \
                 `f6000000-0000-4000-8000-000000000004` analyzed `2024-06-20T06:00:00.480000+00:00`"
            )),
            "{:?}",
            set.notes()
        );
    }
}

#[test]
fn the_older_export_alone_still_reports_what_it_says() {
    let set = load_in_order(&["stale/superseded/older.json"]);
    let p = set.for_principal(REPORTING).expect("the role has findings");
    assert!(p.is_unused("s3:GetObject"));
    assert!(set.notes().is_empty(), "{:?}", set.notes());
}

#[test]
fn the_stale_folder() {
    let mut set = FindingsSet::new();
    let errors = set.load_path(&fixture("stale"), &LoadOptions::default());
    assert!(errors.is_empty(), "{errors:?}");
    for role in [REPORTING, ARCHIVE, INGEST] {
        let p = set.for_principal(role).expect("the role has findings");
        assert!(!p.is_unused("s3:GetObject"), "{role}");
    }
    insta::assert_snapshot!(render(&set, &errors));
}

const ROLE: &str = "arn:aws:iam::111122223333:role/R";

fn finding(id: &str, status: &str, analyzed: &str, updated: &str, services: &str) -> String {
    format!(
        r#"{{"id": "{id}", "status": "{status}", "resource": "{ROLE}", "findingType": "UnusedPermission",
            "analyzedAt": {analyzed}, "updatedAt": {updated}, "findingDetails": [{services}]}}"#
    )
}

const S3: &str =
    r#"{"unusedPermissionDetails": {"serviceNamespace": "s3", "actions": ["GetObject"]}}"#;
const SQS: &str = r#"{"unusedPermissionDetails": {"serviceNamespace": "sqs"}}"#;

fn load_texts(texts: &[String]) -> FindingsSet {
    let mut set = FindingsSet::new();
    for (i, text) in texts.iter().enumerate() {
        let origin = format!("{i}.json");
        assert!(
            set.load_str(text, Path::new(&origin), &LoadOptions::default())
                .is_ok(),
            "{text}"
        );
    }
    set
}

fn both_orders(a: String, b: String) -> [FindingsSet; 2] {
    [load_texts(&[a.clone(), b.clone()]), load_texts(&[b, a])]
}

#[test]
fn versions_of_the_same_time_all_vote() {
    // Two pages of one export (`nextToken`), or a copy: neither is newer, both count.
    for set in both_orders(
        finding(
            "f",
            "ACTIVE",
            "\"2024-06-01T00:00:00Z\"",
            "\"2024-06-01T00:00:01Z\"",
            S3,
        ),
        finding(
            "f",
            "ACTIVE",
            "\"2024-06-01T00:00:00Z\"",
            "\"2024-06-01T00:00:01.000+00:00\"",
            SQS,
        ),
    ) {
        let p = set.for_principal(ROLE).expect("known");
        assert!(p.is_unused("s3:GetObject"));
        assert!(p.is_unused("sqs:SendMessage"));
        assert!(set.notes().is_empty(), "{:?}", set.notes());
    }
}

#[test]
fn a_version_without_an_update_time_cannot_be_superseded() {
    for set in both_orders(
        finding("f", "ACTIVE", "\"2024-06-01T00:00:00Z\"", "null", S3),
        finding(
            "f",
            "ACTIVE",
            "\"2024-06-20T00:00:00Z\"",
            "\"2024-06-20T00:00:01Z\"",
            SQS,
        ),
    ) {
        let p = set.for_principal(ROLE).expect("known");
        // The ids are equal and the times unknown: both vote, as two findings would.
        assert!(p.is_unused("s3:GetObject"));
        assert!(p.is_unused("sqs:SendMessage"));
    }
    // Unless it is RESOLVED: then the finding is used whatever the other export says.
    for set in both_orders(
        finding("f", "RESOLVED", "null", "null", S3),
        finding(
            "f",
            "ACTIVE",
            "\"2024-06-20T00:00:00Z\"",
            "\"2024-06-20T00:00:01Z\"",
            S3,
        ),
    ) {
        let p = set.for_principal(ROLE).expect("known");
        assert!(!p.is_unused("s3:GetObject"));
    }
}

#[test]
fn an_older_resolved_export_changes_nothing() {
    for set in both_orders(
        finding(
            "f",
            "RESOLVED",
            "\"2024-06-01T00:00:00Z\"",
            "\"2024-06-01T00:00:01Z\"",
            SQS,
        ),
        finding(
            "f",
            "ACTIVE",
            "\"2024-06-20T00:00:00Z\"",
            "\"2024-06-20T00:00:01Z\"",
            S3,
        ),
    ) {
        let p = set.for_principal(ROLE).expect("known");
        assert!(p.is_unused("s3:GetObject"));
        assert!(!p.is_unused("sqs:SendMessage"));
        assert!(
            set.notes()
                .iter()
                .any(|n| n.contains("supersedes 1 older export(s)"))
        );
    }
}

#[test]
fn updated_at_orders_versions_before_analyzed_at() {
    // The later update wins even with an earlier analysis time; on the same update time the
    // later analysis wins.
    for set in both_orders(
        finding(
            "f",
            "ACTIVE",
            "\"2024-06-10T00:00:00Z\"",
            "\"2024-06-01T00:00:00Z\"",
            S3,
        ),
        finding(
            "f",
            "ACTIVE",
            "\"2024-06-05T00:00:00Z\"",
            "\"2024-06-02T00:00:00Z\"",
            SQS,
        ),
    ) {
        let p = set.for_principal(ROLE).expect("known");
        assert!(!p.is_unused("s3:GetObject"));
        assert!(p.is_unused("sqs:SendMessage"));
    }
    for set in both_orders(
        finding(
            "f",
            "ACTIVE",
            "\"2024-06-10T00:00:00Z\"",
            "\"2024-06-01T00:00:00Z\"",
            S3,
        ),
        finding(
            "f",
            "ACTIVE",
            "\"2024-06-05T00:00:00Z\"",
            "\"2024-06-01T00:00:00+00:00\"",
            SQS,
        ),
    ) {
        let p = set.for_principal(ROLE).expect("known");
        assert!(p.is_unused("s3:GetObject"));
        assert!(!p.is_unused("sqs:SendMessage"));
    }
}

#[test]
fn a_newer_summary_says_the_details_are_stale() {
    let summary = |status: &str| {
        format!(
            r#"{{"findings": [{{"id": "f", "status": "{status}", "resource": "{ROLE}", "resourceType": "AWS::IAM::Role",
                "findingType": "UnusedPermission", "analyzedAt": "2024-06-20T00:00:00Z", "updatedAt": "2024-06-20T00:00:01Z"}}]}}"#
        )
    };
    let details = finding(
        "f",
        "ACTIVE",
        "\"2024-06-01T00:00:00Z\"",
        "\"2024-06-01T00:00:01Z\"",
        S3,
    );
    for status in ["ACTIVE", "RESOLVED", "ARCHIVED"] {
        for set in both_orders(details.clone(), summary(status)) {
            let p = set.for_principal(ROLE).expect("known");
            assert!(!p.is_unused("s3:GetObject"), "{status}");
            assert!(
                set.notes()
                    .iter()
                    .any(|n| n.contains("supersedes 1 older export(s)")),
                "{status}: {:?}",
                set.notes()
            );
        }
    }
    // Two summaries of different times: the newer one says nothing new worth a note.
    let older_summary = summary("ACTIVE").replace("2024-06-20", "2024-06-01");
    for set in both_orders(older_summary, summary("ACTIVE")) {
        assert!(
            set.notes().iter().all(|n| !n.contains("supersedes")),
            "{:?}",
            set.notes()
        );
    }
    // A summary of the same time is the same version without its details.
    let same_time = summary("ACTIVE").replace("2024-06-20", "2024-06-01");
    for set in both_orders(details.clone(), same_time) {
        assert!(
            set.for_principal(ROLE)
                .expect("known")
                .is_unused("s3:GetObject")
        );
    }
}

#[test]
fn a_resolved_finding_alone_leaves_the_principal_without_findings() {
    let set = load_texts(&[finding(
        "f",
        "RESOLVED",
        "\"2024-06-01T00:00:00Z\"",
        "\"2024-06-01T00:00:01Z\"",
        S3,
    )]);
    assert!(set.is_empty());
    assert!(set.for_principal(ROLE).is_none());
    assert_eq!(set.principals().count(), 0);
}

#[test]
fn the_newest_analysis_of_a_principal_may_be_resolved() {
    // Another finding of the principal, analyzed later and RESOLVED since: nothing it reported
    // is unused any more, and the older finding's claims are dropped.
    for set in both_orders(
        finding(
            "old",
            "ACTIVE",
            "\"2024-06-01T00:00:00Z\"",
            "\"2024-06-01T00:00:01Z\"",
            S3,
        ),
        finding(
            "new",
            "RESOLVED",
            "\"2024-06-20T00:00:00Z\"",
            "\"2024-06-20T00:00:01Z\"",
            S3,
        ),
    ) {
        let p = set.for_principal(ROLE).expect("known");
        assert!(!p.is_unused("s3:GetObject"));
        assert!(
            set.notes()
                .iter()
                .any(|n| n.contains("in s3 is treated as used") && n.contains(", RESOLVED)")),
            "{:?}",
            set.notes()
        );
    }
}

#[test]
fn findings_of_the_same_analysis_time_vote_as_before() {
    // Split exports (one file per service) of the same analysis: each votes on its services.
    for set in both_orders(
        finding(
            "a",
            "ACTIVE",
            "\"2024-06-01T00:00:00Z\"",
            "\"2024-06-01T00:00:01Z\"",
            S3,
        ),
        finding(
            "b",
            "ACTIVE",
            "\"2024-06-01T00:00:00Z\"",
            "\"2024-06-01T00:00:02Z\"",
            SQS,
        ),
    ) {
        let p = set.for_principal(ROLE).expect("known");
        // b was updated later, so it is the newest analysis, and it does not list s3.
        assert!(!p.is_unused("s3:GetObject"));
        assert!(p.is_unused("sqs:SendMessage"));
    }
    for set in both_orders(
        finding(
            "a",
            "ACTIVE",
            "\"2024-06-01T00:00:00Z\"",
            "\"2024-06-01T00:00:01Z\"",
            S3,
        ),
        finding(
            "b",
            "ACTIVE",
            "\"2024-06-01T00:00:00Z\"",
            "\"2024-06-01T00:00:01Z\"",
            SQS,
        ),
    ) {
        let p = set.for_principal(ROLE).expect("known");
        assert!(p.is_unused("s3:GetObject"));
        assert!(p.is_unused("sqs:SendMessage"));
    }
}

#[test]
fn simple_lists_keep_voting() {
    let list = r#"[{"serviceNamespace": "s3", "actions": ["GetObject"]}]"#.to_string();
    // The newest finding does not list s3; the list, which has no time, still says so.
    for set in both_orders(
        list.clone(),
        finding(
            "a",
            "ACTIVE",
            "\"2024-06-01T00:00:00Z\"",
            "\"2024-06-01T00:00:01Z\"",
            SQS,
        ),
    ) {
        let p = set.for_principal(ROLE).expect("known");
        assert!(p.is_unused("s3:GetObject"));
        assert!(p.is_unused("sqs:SendMessage"));
    }
}
