//! Every example file from the design notes, and the well-formed fixtures written for these
//! tests: the detected format and what was read, checked by hand and kept as snapshots.

mod common;

use common::{load_one, render_one};
use iamprune_findings::{FormatKind, Principal, PrincipalFact, PrincipalKind, RecommendedAction};

const ROLE: &str = "arn:aws:iam::111122223333:role/DataPipelineRole";

#[test]
fn unused_permission() {
    let (set, result) = load_one("get-finding-v2.unused-permission.json", None);
    assert_eq!(result, Ok(FormatKind::GetFindingV2));
    let p = set.for_principal(ROLE).expect("the role has findings");
    let count = |svc: &str| {
        p.unused_actions
            .keys()
            .filter(|k| k.starts_with(&format!("{svc}:")))
            .count()
    };
    assert_eq!(count("s3"), 22);
    assert_eq!(count("lambda"), 2);
    assert_eq!(p.unused_actions.len(), 24);
    assert_eq!(
        p.unused_services.keys().collect::<Vec<_>>(),
        ["s3-object-lambda"]
    );
    assert!(p.unused_actions.contains_key("s3:GetBucketAcl"));
    assert_eq!(
        p.unused_actions["lambda:ListAliases"]
            .last_accessed
            .as_deref(),
        Some("2024-01-15T10:02:11+00:00")
    );
    assert!(p.facts.is_empty());
    assert_eq!(
        p.analyzed_at.as_deref(),
        Some("2024-06-10T09:12:44.532000+00:00")
    );
    let Principal::Arn(arn) = &p.principal else {
        panic!("expected an ARN principal");
    };
    assert_eq!(arn.kind, PrincipalKind::Role);
    assert_eq!(arn.name, "DataPipelineRole");
    insta::assert_snapshot!(render_one(&set, &result));
}

#[test]
fn unused_iam_role() {
    let (set, result) = load_one("get-finding-v2.unused-iam-role.json", None);
    assert_eq!(result, Ok(FormatKind::GetFindingV2));
    let p = set
        .for_principal("arn:aws:iam::111122223333:role/LegacyBatchRole")
        .expect("the role has findings");
    assert_eq!(
        p.facts,
        [PrincipalFact::UnusedIAMRole {
            last_accessed: Some("2023-12-01T06:45:10+00:00".to_string())
        }]
    );
    assert!(p.unused_actions.is_empty() && p.unused_services.is_empty());
    insta::assert_snapshot!(render_one(&set, &result));
}

#[test]
fn unused_access_key() {
    let (set, result) = load_one("get-finding-v2.unused-access-key.json", None);
    assert_eq!(result, Ok(FormatKind::GetFindingV2));
    let p = set
        .for_principal("arn:aws:iam::111122223333:user/ci-deployer")
        .expect("the user has findings");
    assert_eq!(
        p.facts,
        [PrincipalFact::UnusedIAMUserAccessKey {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".to_string(),
            last_accessed: Some("2023-11-20T14:00:00+00:00".to_string())
        }]
    );
    insta::assert_snapshot!(render_one(&set, &result));
}

#[test]
fn archived_password_finding_is_skipped_with_a_note() {
    let (set, result) = load_one("get-finding-v2.unused-password.json", None);
    assert_eq!(result, Ok(FormatKind::GetFindingV2));
    assert!(set.is_empty());
    assert!(
        set.for_principal("arn:aws:iam::111122223333:user/ci-deployer")
            .is_none()
    );
    assert_eq!(set.notes().len(), 1);
    assert!(set.notes()[0].contains("ARCHIVED"));
    insta::assert_snapshot!(render_one(&set, &result));
}

#[test]
fn list_findings_gives_summaries_and_one_note() {
    let (set, result) = load_one("list-findings-v2.unused.json", None);
    assert_eq!(result, Ok(FormatKind::ListFindingsV2));
    assert_eq!(set.principals().count(), 3);
    let user = set
        .for_principal("arn:aws:iam::111122223333:user/ci-deployer")
        .expect("the user has summaries");
    assert_eq!(
        user.facts,
        [
            PrincipalFact::SummaryOnly {
                finding_type: "UnusedPermission".to_string()
            },
            PrincipalFact::SummaryOnly {
                finding_type: "UnusedIAMUserAccessKey".to_string()
            }
        ]
    );
    assert!(user.unused_actions.is_empty());
    let summary_notes = set
        .notes()
        .iter()
        .filter(|n| n.starts_with("list-findings-v2 holds summaries only"))
        .count();
    assert_eq!(summary_notes, 1);
    insta::assert_snapshot!(render_one(&set, &result));
}

#[test]
fn recommendation_succeeded() {
    let (set, result) = load_one("get-finding-recommendation.succeeded.json", None);
    assert_eq!(result, Ok(FormatKind::FindingRecommendation));
    let recs = set.recommendations();
    assert_eq!(recs.len(), 5);
    assert_eq!(recs[0].action, RecommendedAction::CreatePolicy);
    assert_eq!(recs[0].principal.as_deref(), Some(ROLE));
    assert!(
        recs[0]
            .recommended_policy
            .as_deref()
            .is_some_and(|p| p.contains("\"s3:GetMulti*\""))
    );
    assert_eq!(recs[1].action, RecommendedAction::DetachPolicy);
    assert_eq!(recs[1].recommended_policy, None);
    assert_eq!(recs[2].existing_policy_id, "InlineLambdaList");
    assert_eq!(recs[2].policy_updated_at, None);
    assert!(set.notes().is_empty());
    insta::assert_snapshot!(render_one(&set, &result));
}

#[test]
fn recommendation_in_progress_is_a_note() {
    let (set, result) = load_one("get-finding-recommendation.in-progress.json", None);
    assert_eq!(result, Ok(FormatKind::FindingRecommendation));
    assert!(set.recommendations().is_empty());
    assert!(set.notes()[0].ends_with("recommendation for `arn:aws:iam::111122223333:role/DataPipelineRole` still in progress, export again later"));
    insta::assert_snapshot!(render_one(&set, &result));
}

#[test]
fn recommendation_failed_is_a_note_with_the_error() {
    let (set, result) = load_one("get-finding-recommendation.failed.json", None);
    assert_eq!(result, Ok(FormatKind::FindingRecommendation));
    assert!(set.notes()[0].contains("SERVICE_ERROR: Recommendation generation failed."));
    insta::assert_snapshot!(render_one(&set, &result));
}

#[test]
fn last_accessed_action_level() {
    let (set, result) = load_one(
        "iam-get-service-last-accessed-details.action-level.json",
        None,
    );
    assert_eq!(result, Ok(FormatKind::ServiceLastAccessed));
    let p = set.for_principal(ROLE).expect("the entity names the role");
    assert_eq!(
        p.unused_actions.keys().collect::<Vec<_>>(),
        ["s3:GetBucketLocation", "s3:GetBucketPolicy"]
    );
    assert_eq!(
        p.unused_services.keys().collect::<Vec<_>>(),
        ["s3-object-lambda"]
    );
    assert!(!p.is_unused("s3:ListAllMyBuckets"));
    assert!(!p.is_unused("s3:GetObject"), "untracked actions stay used");
    insta::assert_snapshot!(render_one(&set, &result));
}

#[test]
fn last_accessed_with_an_explicit_principal() {
    let other = "arn:aws:iam::111122223333:role/Other";
    let (set, result) = load_one(
        "iam-get-service-last-accessed-details.action-level.json",
        Some(other),
    );
    assert_eq!(result, Ok(FormatKind::ServiceLastAccessed));
    assert!(set.for_principal(other).is_some());
    assert!(set.for_principal(ROLE).is_none());
    assert!(set.notes().is_empty());
}

#[test]
fn last_accessed_service_level() {
    let (set, result) = load_one(
        "iam-get-service-last-accessed-details.service-level.json",
        None,
    );
    assert_eq!(result, Ok(FormatKind::ServiceLastAccessed));
    let p = set.for_principal(ROLE).expect("the entity names the role");
    assert!(p.unused_actions.is_empty());
    assert_eq!(p.unused_services.keys().collect::<Vec<_>>(), ["sqs"]);
    assert!(set.notes().iter().any(|n| n.contains("SERVICE_LEVEL")));
    insta::assert_snapshot!(render_one(&set, &result));
}

#[test]
fn last_accessed_without_an_entity_needs_a_principal() {
    let (set, result) = load_one("iam-get-service-last-accessed-details.no-entity.json", None);
    let err = result.expect_err("no principal can be found");
    assert!(err.error.message.contains("--principal"));
    assert!(set.is_empty());
    insta::assert_snapshot!("no_entity_without_principal", render_one(&set, &Err(err)));

    let (set, result) = load_one(
        "iam-get-service-last-accessed-details.no-entity.json",
        Some("arn:aws:iam::111122223333:user/alice"),
    );
    assert_eq!(result, Ok(FormatKind::ServiceLastAccessed));
    insta::assert_snapshot!("no_entity_with_principal", render_one(&set, &result));
}

#[test]
fn eventbridge_event_is_refused() {
    let (set, result) = load_one("eventbridge.unused-access-finding.json", None);
    let err = result.clone().expect_err("events carry counts only");
    assert!(err.error.message.contains("counts"));
    assert!(
        err.error.message.contains(
            "get-finding-v2 --analyzer-arn ARN --id 1e952245-bcf3-48ad-a708-afa460df794b"
        )
    );
    assert_eq!((err.position.line, err.position.column), (1, 1));
    assert!(set.is_empty());
    insta::assert_snapshot!(render_one(&set, &result));
}

#[test]
fn security_hub_finding_is_refused() {
    let (set, result) = load_one("securityhub-asff.unused-permission.json", None);
    let err = result.clone().expect_err("ASFF carries counts only");
    assert!(err.error.message.contains("Security Hub"));
    assert!(err.error.message.contains("get-finding-v2"));
    insta::assert_snapshot!(render_one(&set, &result));
}

#[test]
fn api_models_are_not_findings() {
    for name in ["accessanalyzer-model-subset.json", "iam-model-subset.json"] {
        let (set, result) = load_one(name, None);
        let err = result
            .clone()
            .expect_err("an API model is not a findings file");
        assert!(
            err.error.message.starts_with("unrecognised document"),
            "{err}"
        );
        insta::assert_snapshot!(name, render_one(&set, &result));
    }
}

#[test]
fn seed_simple_list_applies_to_every_principal() {
    let (set, result) = load_one("unused.json", None);
    assert_eq!(result, Ok(FormatKind::SimpleList));
    let any = set.principals().next().expect("one entry");
    assert_eq!(any.principal, Principal::Any);
    assert_eq!(any.unused_actions.len(), 30);
    let p = set
        .for_principal("arn:aws:iam::999988887777:role/Whatever")
        .expect("the list applies to every principal");
    assert!(p.is_unused("lambda:AddPermission"));
    assert!(p.is_unused("s3:getbucketacl"));
    assert!(!p.is_unused("s3:GetObject"));
    insta::assert_snapshot!(render_one(&set, &result));
}

#[test]
fn seed_simple_list_with_a_principal() {
    let (set, result) = load_one("unused.json", Some(ROLE));
    assert_eq!(result, Ok(FormatKind::SimpleList));
    assert!(set.for_principal(ROLE).is_some());
    assert!(
        set.for_principal("arn:aws:iam::111122223333:role/Other")
            .is_none()
    );
}

#[test]
fn simple_list_mixed_forms() {
    let (set, result) = load_one("simple-list.mixed.json", None);
    assert_eq!(result, Ok(FormatKind::SimpleList));
    insta::assert_snapshot!(render_one(&set, &result));
}

#[test]
fn json_lines() {
    let (set, result) = load_one("get-finding-v2.several.jsonl", None);
    assert_eq!(result, Ok(FormatKind::GetFindingV2));
    let build = set
        .for_principal("arn:aws:iam::111122223333:role/service-role/BuildRole")
        .expect("two findings about BuildRole");
    // The second finding no longer lists TerminateInstances: it is used.
    assert_eq!(
        build.unused_actions.keys().collect::<Vec<_>>(),
        ["ec2:DescribeInstances", "ec2:RunInstances"]
    );
    assert_eq!(build.unused_services.keys().collect::<Vec<_>>(), ["iam"]);
    assert_eq!(build.analyzed_at.as_deref(), Some("2024-06-11T08:00:00Z"));
    assert!(
        set.for_principal("arn:aws:iam::111122223333:role/ArchivedRole")
            .is_none()
    );
    insta::assert_snapshot!(render_one(&set, &result));
}

#[test]
fn json_array() {
    let (set, result) = load_one("get-finding-v2.array.json", None);
    assert_eq!(result, Ok(FormatKind::GetFindingV2));
    insta::assert_snapshot!(render_one(&set, &result));
}

#[test]
fn concatenated_outputs() {
    let (set, result) = load_one("get-finding-v2.concatenated.json", None);
    assert_eq!(result, Ok(FormatKind::GetFindingV2));
    assert_eq!(set.principals().count(), 2);
    insta::assert_snapshot!(render_one(&set, &result));
}

#[test]
fn explicit_nulls() {
    let (set, result) = load_one("get-finding-v2.nulls.json", None);
    assert_eq!(result, Ok(FormatKind::GetFindingV2));
    let p = set
        .for_principal("arn:aws:iam::111122223333:role/NullRole")
        .expect("the role has findings");
    assert_eq!(
        p.unused_actions.keys().collect::<Vec<_>>(),
        ["s3:GetBucketAcl", "s3:GetBucketPolicy"]
    );
    assert_eq!(p.unused_services.keys().collect::<Vec<_>>(), ["sns", "sqs"]);
    assert!(set.notes().is_empty(), "{:?}", set.notes());
    insta::assert_snapshot!(render_one(&set, &result));
}
