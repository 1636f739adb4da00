//! Inputs that must fail with one error that says where and what, and never panic.

mod common;

use std::path::Path;

use common::{fixture, load_one};
use iamprune_findings::{FindingsError, FindingsSet, LoadOptions};

fn error_of(name: &str) -> FindingsError {
    let (set, result) = load_one(name, None);
    assert!(set.is_empty(), "{name}: nothing is kept from a failed file");
    result.expect_err(name)
}

fn error_in(text: &str) -> FindingsError {
    let mut set = FindingsSet::new();
    let err = set
        .load_str(text, Path::new("inline.json"), &LoadOptions::default())
        .expect_err(text);
    assert!(set.is_empty());
    err
}

#[test]
fn every_malformed_fixture_fails_with_a_located_message() {
    let mut names: Vec<String> = std::fs::read_dir(fixture("malformed"))
        .expect("fixtures")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut out = String::new();
    for name in names {
        let err = error_of(&format!("malformed/{name}"));
        assert!(!err.to_string().contains('\n'));
        out.push_str(&err.to_string());
        out.push('\n');
    }
    insta::assert_snapshot!(out);
}

#[test]
fn wrong_type_points_at_the_value() {
    let err = error_of("malformed/wrong-type-actions.json");
    assert_eq!((err.position.line, err.position.column), (14, 28));
    assert_eq!(
        err.error.message,
        "expected `actions` to be an array, found a string"
    );
    assert_eq!(
        err.to_string(),
        "../../testdata/findings/malformed/wrong-type-actions.json:14:28: expected `actions` to be an array, found a string"
    );

    let err = error_of("malformed/wrong-type-action-name.json");
    assert_eq!((err.position.line, err.position.column), (2, 58));
    assert!(err.error.message.contains("found a number"));
}

#[test]
fn foreign_prefix_points_at_the_action() {
    let err = error_of("malformed/prefix-mismatch.json");
    assert_eq!((err.position.line, err.position.column), (3, 61));
    assert!(
        err.error
            .message
            .contains("`ec2:RunInstances` belongs to service `ec2`, not to `lambda`")
    );
}

#[test]
fn truncated_and_empty_files() {
    let err = error_of("malformed/truncated.json");
    assert!(
        err.error.message.starts_with("the JSON ends early"),
        "{err}"
    );
    assert!(err.position.line > 1);

    for name in ["malformed/empty.json", "malformed/whitespace-only.json"] {
        let err = error_of(name);
        assert_eq!((err.position.line, err.position.column), (1, 1));
        assert!(err.error.message.starts_with("the file is empty"), "{err}");
    }
}

#[test]
fn binary_file() {
    let err = error_of("malformed/binary.json");
    assert_eq!((err.position.line, err.position.column), (1, 2));
    assert!(err.error.message.contains("not UTF-8 text"), "{err}");
}

#[test]
fn bad_line_in_json_lines_names_its_line() {
    let err = error_of("malformed/bad-line.jsonl");
    assert_eq!(err.position.line, 4);
    assert!(err.error.message.starts_with("invalid JSON"), "{err}");
}

#[test]
fn jobs_that_are_not_complete() {
    let err = error_of("malformed/iam-get-service-last-accessed-details.in-progress.json");
    assert!(err.error.message.contains("IN_PROGRESS"));
    let err = error_of("malformed/iam-get-service-last-accessed-details.failed.json");
    assert!(err.error.message.contains("NoSuchEntity"));
    assert!(err.error.message.contains("The entity does not exist."));
}

#[test]
fn inline_shapes() {
    let cases: &[(&str, (usize, usize), &str)] = &[
        ("null", (1, 1), "found null at the top level"),
        (
            "[1, 2]",
            (1, 2),
            "expected a finding or a simple-list entry (a JSON object), found a number",
        ),
        ("{}", (1, 1), "unrecognised document (an empty object)"),
        (
            "[{\"serviceNamespace\": \"s3\"}, \"x\"]",
            (1, 30),
            "expected a simple-list entry",
        ),
        (
            "{\"serviceNamespace\": 3}",
            (1, 22),
            "expected `serviceNamespace` to be a string",
        ),
        (
            "{\"serviceNamespace\": \"s 3\"}",
            (1, 22),
            "is not a service namespace",
        ),
        (
            "{\"serviceNamespace\": \"s3\", \"actions\": [\"s3:\"]}",
            (1, 40),
            "has an empty name",
        ),
        (
            "{\"serviceNamespace\": \"s3\", \"actions\": [{}]}",
            (1, 40),
            "the action entry has no `action`",
        ),
        (
            "{\"findings\": {}}",
            (1, 14),
            "expected `findings` to be an array",
        ),
        (
            "{\"findings\": [{\"id\": \"x\", \"status\": \"ACTIVE\", \"findingType\": \"UnusedIAMRole\", \"resource\": \"role/x\"}]}",
            (1, 91),
            "`resource` `role/x` is not an IAM principal ARN",
        ),
        (
            "{\"status\": \"ACTIVE\", \"findingDetails\": []}",
            (1, 1),
            "the finding has no `resource`: pass `--principal ARN`",
        ),
        (
            "{\"status\": \"ACTIVE\", \"findingType\": \"UnusedIAMUserAccessKey\", \"resource\": \"arn:aws:iam::111122223333:user/u\", \"findingDetails\": []}",
            (1, 129),
            "without `unusedIamUserAccessKeyDetails`",
        ),
        (
            "{\"status\": \"SUCCEEDED\", \"recommendationType\": \"ExternalAccessRecommendation\"}",
            (1, 47),
            "unsupported recommendationType",
        ),
        (
            "{\"JobStatus\": \"COMPLETED\", \"ServicesLastAccessed\": [{\"ServiceNamespace\": \"s3\", \"TotalAuthenticatedEntities\": -1}]}",
            (1, 110),
            "expected `TotalAuthenticatedEntities` to be a whole number",
        ),
        (
            "{\"JobStatus\": \"COMPLETED\", \"ServicesLastAccessed\": [{\"ServiceNamespace\": \"s3\", \"LastAuthenticatedEntity\": \"arn:aws:iam::111122223333:role/A\"}, {\"ServiceNamespace\": \"sqs\", \"LastAuthenticatedEntity\": \"arn:aws:iam::111122223333:role/B\"}]}",
            (1, 52),
            "names several entities",
        ),
        (
            "{\"a\": 1}\n{\"serviceNamespace\": \"s3\"}",
            (1, 1),
            "unrecognised document",
        ),
        (
            "{\"serviceNamespace\": \"s3\"}\n\n  {\"b\": 1}",
            (3, 3),
            "unrecognised document",
        ),
        ("{\"serviceNamespace\": \"s3\"} x", (1, 28), "invalid JSON"),
        (
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]",
            (1, 128),
            "recursion limit",
        ),
    ];
    for (text, (line, column), message) in cases {
        let err = error_in(text);
        assert!(err.error.message.contains(message), "{text}: {err}");
        assert_eq!(
            (err.position.line, err.position.column),
            (*line, *column),
            "{text}: {err}"
        );
    }
}

#[test]
fn a_bad_principal_option_is_an_error() {
    let mut set = FindingsSet::new();
    let opts = LoadOptions {
        principal: Some("DataPipelineRole".to_string()),
    };
    let err = set
        .load_str(
            "[{\"serviceNamespace\": \"s3\"}]",
            Path::new("x.json"),
            &opts,
        )
        .expect_err("not an ARN");
    assert!(err.error.message.contains("`DataPipelineRole`"), "{err}");
    assert!(err.error.message.contains("--principal"), "{err}");
}

#[test]
fn directories_report_each_bad_file_and_load_the_rest() {
    let mut set = FindingsSet::new();
    let errors = set.load_path(&fixture("malformed"), &LoadOptions::default());
    let count = std::fs::read_dir(fixture("malformed"))
        .expect("fixtures")
        .count();
    assert_eq!(errors.len(), count);
    assert!(set.is_empty());

    let errors = set.load_path(
        Path::new("../../testdata/findings/does-not-exist"),
        &LoadOptions::default(),
    );
    assert_eq!(errors.len(), 1);
    assert!(errors[0].error.message.starts_with("cannot read"));
}
