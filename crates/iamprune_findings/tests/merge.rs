//! Several sources about the same principal: conflicts resolve to "used".

mod common;

use std::path::Path;

use common::{fixture, render};
use iamprune_findings::{FindingsSet, FormatKind, LoadOptions, Principal};

const ROLE: &str = "arn:aws:iam::111122223333:role/DataPipelineRole";

fn opts() -> LoadOptions {
    LoadOptions::default()
}

#[test]
fn conflicting_directory() {
    let mut set = FindingsSet::new();
    let errors = set.load_path(&fixture("conflict"), &opts());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(set.skipped(), [fixture("conflict/notes.txt")]);
    assert_eq!(
        set.principals().count(),
        1,
        "the path does not make another role"
    );

    let p = set.for_principal(ROLE).expect("the role has findings");
    assert_eq!(
        p.unused_actions.keys().collect::<Vec<_>>(),
        [
            "s3-object-lambda:WriteGetObjectResponse",
            "s3:GetBucketAcl",
            "s3:GetBucketTagging",
        ],
        "GetBucketPolicy is unused in a.json only; s3-object-lambda is whole in a.json, one action in b.json; \
         b.json, the newer analysis, does not list dynamodb: it was used"
    );
    assert!(!p.is_unused("dynamodb:DescribeTable"));
    assert!(
        set.notes()
            .iter()
            .any(|n| n.contains("e5000000-0000-4000-8000-000000000001")
                && n.contains("in dynamodb is treated as used")),
        "{:?}",
        set.notes()
    );
    assert_eq!(p.unused_services.keys().collect::<Vec<_>>(), ["sqs"]);
    assert_eq!(p.analyzed_at.as_deref(), Some("2024-06-12T07:00:00Z"));
    assert_eq!(
        p.unused_actions["s3:GetBucketTagging"]
            .last_accessed
            .as_deref(),
        Some("2024-03-01T00:00:00+00:00")
    );
    assert_eq!(
        p.sources,
        [fixture("conflict/a.json"), fixture("conflict/b.json")]
    );

    // Either spelling of the ARN finds the same merged view.
    let with_path = set
        .for_principal("arn:aws:iam::111122223333:role/service-role/DataPipelineRole")
        .expect("same role, other path");
    assert_eq!(with_path, p);
    assert!(
        set.for_principal("arn:aws:iam::444455556666:role/DataPipelineRole")
            .is_none()
    );
    assert!(
        set.for_principal("arn:aws:iam::111122223333:user/DataPipelineRole")
            .is_none()
    );
    assert!(set.for_principal("not an arn").is_none());

    insta::assert_snapshot!(render(&set, &errors));
}

#[test]
fn last_accessed_votes_only_on_the_actions_it_tracks() {
    let mut set = FindingsSet::new();
    for name in [
        "get-finding-v2.unused-permission.json",
        "iam-get-service-last-accessed-details.action-level.json",
    ] {
        assert!(set.load_path(&fixture(name), &opts()).is_empty());
    }
    let p = set.for_principal(ROLE).expect("the role has findings");
    // The report tracks GetBucketLocation and GetBucketPolicy as unused, like the finding, and
    // says nothing about the other 20: the finding's 22 stand.
    assert_eq!(p.unused_actions.len(), 24);
    assert_eq!(
        p.unused_services.keys().collect::<Vec<_>>(),
        ["s3-object-lambda"]
    );
    insta::assert_snapshot!(render(&set, &[]));

    // A report that saw GetBucketAcl used takes it out; one that saw lambda used at all but
    // tracks no lambda action changes nothing for lambda.
    let report = r#"{
        "JobStatus": "COMPLETED",
        "JobType": "ACTION_LEVEL",
        "JobCreationDate": "2024-06-11T09:00:00+00:00",
        "JobCompletionDate": "2024-06-11T09:00:02+00:00",
        "ServicesLastAccessed": [
            {
                "ServiceName": "Amazon S3",
                "ServiceNamespace": "s3",
                "TotalAuthenticatedEntities": 1,
                "TrackedActionsLastAccessed": [
                    {"ActionName": "GetBucketAcl", "LastAccessedTime": "2024-06-01T08:00:12+00:00"},
                    {"ActionName": "GetBucketCORS"}
                ]
            },
            {"ServiceName": "AWS Lambda", "ServiceNamespace": "lambda", "TotalAuthenticatedEntities": 1},
            {"ServiceName": "Amazon S3 Object Lambda", "ServiceNamespace": "s3-object-lambda", "TotalAuthenticatedEntities": 1}
        ]
    }"#;
    let with_role = LoadOptions {
        principal: Some(ROLE.to_string()),
    };
    assert_eq!(
        set.load_str(report, Path::new("used.json"), &with_role),
        Ok(FormatKind::ServiceLastAccessed)
    );
    let p = set.for_principal(ROLE).expect("the role has findings");
    assert!(!p.is_unused("s3:GetBucketAcl"));
    assert!(p.is_unused("s3:GetBucketCORS"));
    assert!(p.is_unused("s3:GetBucketWebsite"));
    assert!(p.is_unused("lambda:ListAliases"));
    assert_eq!(p.unused_actions.len(), 23);
    // s3-object-lambda was used: no longer unused as a whole, and no action of it is named.
    assert!(p.unused_services.is_empty());
    assert!(!p.is_unused("s3-object-lambda:WriteGetObjectResponse"));
    assert_eq!(p.analyzed_at.as_deref(), Some("2024-06-11T09:00:02+00:00"));
}

#[test]
fn service_level_report_only_vetoes_whole_services() {
    let mut set = FindingsSet::new();
    assert!(
        set.load_path(&fixture("conflict/a.json"), &opts())
            .is_empty()
    );
    assert!(
        set.load_path(
            &fixture("iam-get-service-last-accessed-details.service-level.json"),
            &opts()
        )
        .is_empty()
    );
    let p = set.for_principal(ROLE).expect("the role has findings");
    // The report saw s3 used without saying which actions: the finding's s3 actions stand.
    assert_eq!(
        p.unused_actions.keys().collect::<Vec<_>>(),
        [
            "dynamodb:DescribeTable",
            "s3:GetBucketAcl",
            "s3:GetBucketPolicy",
            "s3:GetBucketTagging"
        ]
    );
    assert_eq!(
        p.unused_services.keys().collect::<Vec<_>>(),
        ["s3-object-lambda", "sqs"]
    );
}

#[test]
fn any_entry_merges_into_every_principal() {
    let mut set = FindingsSet::new();
    assert!(set.load_path(&fixture("unused.json"), &opts()).is_empty());
    assert!(
        set.load_path(&fixture("get-finding-v2.unused-permission.json"), &opts())
            .is_empty()
    );
    assert_eq!(set.principals().count(), 2);
    assert_eq!(
        set.principals().next().map(|p| &p.principal),
        Some(&Principal::Any)
    );

    let role = set.for_principal(ROLE).expect("known role");
    // Both lists agree on the 22 s3 actions; the two lambda lists share no action, so each
    // lambda action is used according to one of them.
    assert_eq!(role.unused_actions.len(), 22);
    assert!(role.unused_actions.keys().all(|k| k.starts_with("s3:")));
    assert_eq!(
        role.unused_services.keys().collect::<Vec<_>>(),
        ["s3-object-lambda"]
    );
    assert_eq!(
        role.sources,
        [
            fixture("get-finding-v2.unused-permission.json"),
            fixture("unused.json")
        ]
    );

    // A principal with no findings of its own gets the list alone.
    let other = set
        .for_principal("arn:aws:iam::111122223333:role/Other")
        .expect("the list applies");
    assert_eq!(other.unused_actions.len(), 30);
    assert_eq!(
        other.principal.to_string(),
        "arn:aws:iam::111122223333:role/Other"
    );
}

#[test]
fn whole_service_votes_unused_for_each_action() {
    let whole = r#"{"serviceNamespace": "s3"}"#;
    let some =
        r#"[{"serviceNamespace": "s3", "actions": ["GetBucketAcl"]}, {"serviceNamespace": "sqs"}]"#;
    let opts = LoadOptions {
        principal: Some(ROLE.to_string()),
    };
    let mut set = FindingsSet::new();
    assert_eq!(
        set.load_str(whole, Path::new("whole.json"), &opts),
        Ok(FormatKind::SimpleList)
    );
    let p = set.for_principal(ROLE).expect("known");
    assert_eq!(p.unused_services.keys().collect::<Vec<_>>(), ["s3"]);
    assert_eq!(
        set.load_str(some, Path::new("some.json"), &opts),
        Ok(FormatKind::SimpleList)
    );
    let p = set.for_principal(ROLE).expect("known");
    assert_eq!(
        p.unused_actions.keys().collect::<Vec<_>>(),
        ["s3:GetBucketAcl"]
    );
    assert_eq!(p.unused_services.keys().collect::<Vec<_>>(), ["sqs"]);
    assert!(p.is_unused("sqs:SendMessage"));
    assert!(!p.is_unused("s3:GetObject"));
}

#[test]
fn action_names_merge_ignoring_case() {
    let opts = LoadOptions {
        principal: Some(ROLE.to_string()),
    };
    let mut set = FindingsSet::new();
    let a = r#"[{"serviceNamespace": "s3", "actions": ["GetBucketAcl", "GetBucketCors"]}]"#;
    let b = r#"[{"serviceNamespace": "S3", "actions": ["s3:getbucketacl", "s3:GetBucketCORS"]}]"#;
    assert!(set.load_str(a, Path::new("a.json"), &opts).is_ok());
    assert!(set.load_str(b, Path::new("b.json"), &opts).is_ok());
    let p = set.for_principal(ROLE).expect("known");
    assert_eq!(
        p.unused_actions.keys().collect::<Vec<_>>(),
        ["s3:GetBucketAcl", "s3:GetBucketCors"],
        "the first source's spelling is kept"
    );
}

#[test]
fn loading_the_same_file_twice_changes_nothing_but_sources() {
    let mut once = FindingsSet::new();
    let mut twice = FindingsSet::new();
    let path = fixture("get-finding-v2.unused-permission.json");
    assert!(once.load_path(&path, &opts()).is_empty());
    assert!(twice.load_path(&path, &opts()).is_empty());
    assert!(twice.load_path(&path, &opts()).is_empty());
    assert_eq!(once.for_principal(ROLE), twice.for_principal(ROLE));
}

#[test]
fn a_bad_file_leaves_nothing_behind() {
    let mut set = FindingsSet::new();
    let err = set
        .load_path(&fixture("malformed/bad-line.jsonl"), &opts())
        .pop()
        .expect("line 4 is broken");
    assert_eq!(err.position.line, 4);
    assert!(set.is_empty(), "the good lines before it are not kept");
}

#[test]
fn the_whole_folder_loads_what_it_can() {
    let mut set = FindingsSet::new();
    let errors = set.load_path(Path::new("../../testdata/findings"), &opts());
    let failed: Vec<String> = errors
        .iter()
        .map(|e| e.error.file.display().to_string())
        .collect();
    // Every file that is expected to fail, and no other.
    let mut expected: Vec<String> = std::fs::read_dir(fixture("malformed"))
        .expect("fixtures")
        .map(|e| e.expect("entry").path().display().to_string())
        .collect();
    expected.extend(
        [
            "accessanalyzer-model-subset.json",
            "eventbridge.unused-access-finding.json",
            "iam-get-service-last-accessed-details.no-entity.json",
            "iam-model-subset.json",
            "securityhub-asff.unused-permission.json",
        ]
        .map(|n| fixture(n).display().to_string()),
    );
    expected.sort();
    let mut sorted = failed.clone();
    sorted.sort();
    assert_eq!(sorted, expected);
    assert_eq!(failed, sorted, "files load in path order");
    assert_eq!(
        set.skipped(),
        [
            fixture("README.md"),
            fixture("accessanalyzer-shapes.txt"),
            fixture("conflict/notes.txt"),
            fixture("iam-service-last-accessed-shapes.txt"),
        ]
    );
    insta::assert_snapshot!(render(&set, &errors));
}

#[test]
fn given_principal_fills_in_what_a_file_does_not_name() {
    let opts = LoadOptions {
        principal: Some(format!(" {ROLE}\n")),
    };
    let finding = r#"{"id": "x", "status": "ACTIVE", "resource": null, "findingType": "UnusedPermission",
        "findingDetails": [{"unusedPermissionDetails": {"serviceNamespace": "sqs"}}]}"#;
    let recommendation = r#"{"status": "SUCCEEDED", "recommendationType": "UnusedPermissionRecommendation",
        "recommendedSteps": [{"unusedPermissionsRecommendedStep": {"recommendedAction": "DETACH_POLICY", "existingPolicyId": "P"}}]}"#;
    let mut set = FindingsSet::new();
    assert_eq!(
        set.load_str(finding, Path::new("f.json"), &opts),
        Ok(FormatKind::GetFindingV2)
    );
    assert_eq!(
        set.load_str(recommendation, Path::new("r.json"), &opts),
        Ok(FormatKind::FindingRecommendation)
    );
    let p = set.for_principal(ROLE).expect("the given principal");
    assert!(p.is_unused("sqs:SendMessage"));
    assert_eq!(set.recommendations()[0].principal.as_deref(), Some(ROLE));

    // A finding that names its resource keeps it.
    let named = r#"{"id": "y", "status": "ACTIVE", "resource": "arn:aws:iam::111122223333:role/Named",
        "findingDetails": [{"unusedPermissionDetails": {"serviceNamespace": "sns"}}]}"#;
    assert!(set.load_str(named, Path::new("n.json"), &opts).is_ok());
    assert!(
        set.for_principal("arn:aws:iam::111122223333:role/Named")
            .is_some()
    );
    assert!(
        !set.for_principal(ROLE)
            .expect("known")
            .is_unused("sns:Publish")
    );
}

/// Two entries for one service in one finding (or one simple list) say together what each says: they
/// are not two sources that disagree, which would leave nothing unused.
#[test]
fn entries_for_one_service_in_one_source_add_up() {
    let finding = r#"{"id": "x1", "resource": "arn:aws:iam::111122223333:role/DataPipelineRole",
        "resourceType": "AWS::IAM::Role", "status": "ACTIVE", "findingType": "UnusedPermission",
        "analyzedAt": "2026-09-01T00:00:00Z", "findingDetails": [
          {"unusedPermissionDetails": {"serviceNamespace": "s3", "actions": [{"action": "GetBucketAcl"}]}},
          {"unusedPermissionDetails": {"serviceNamespace": "s3", "actions": [{"action": "GetBucketCors"}]}},
          {"unusedPermissionDetails": {"serviceNamespace": "sqs"}},
          {"unusedPermissionDetails": {"serviceNamespace": "sqs", "actions": [{"action": "SendMessage"}]}}]}"#;
    let list = r#"[{"serviceNamespace": "s3", "actions": ["GetBucketAcl"]},
                   {"serviceNamespace": "s3", "actions": ["GetBucketCors"]}]"#;
    for (text, options) in [
        (finding, opts()),
        (
            list,
            LoadOptions {
                principal: Some(ROLE.to_string()),
            },
        ),
    ] {
        let mut set = FindingsSet::new();
        set.load_str(text, Path::new("one.json"), &options)
            .unwrap_or_else(|e| panic!("{e}"));
        let role = set
            .for_principal(ROLE)
            .unwrap_or_else(|| panic!("no findings for the role"));
        let actions: Vec<&str> = role.unused_actions.keys().map(String::as_str).collect();
        assert_eq!(actions, ["s3:GetBucketAcl", "s3:GetBucketCors"], "{text}");
    }
    let mut set = FindingsSet::new();
    set.load_str(finding, Path::new("one.json"), &opts())
        .unwrap_or_else(|e| panic!("{e}"));
    let role = set
        .for_principal(ROLE)
        .unwrap_or_else(|| panic!("no findings for the role"));
    assert!(role.unused_services.contains_key("sqs"));
}
