//! Tying findings to the principals a source declares: only ever to the right one.

use std::collections::BTreeMap;
use std::path::Path;

use iamprune_findings::{FindingsSet, LoadOptions};
use iamprune_linter::Resolver;
use iamprune_policy::{PolicySite, PrincipalKind, PrincipalName, PrincipalRef, Purpose, Syntax};
use iamprune_syntax::{Node, NodeKind, Span};

fn site(name: PrincipalName, declared_as: &str, construct_path: Option<&str>) -> PolicySite {
    PolicySite {
        file: "t.yaml".into(),
        owner: "p".into(),
        owner_file: "t.yaml".into(),
        owner_span: Span::new(0, 1),
        construct_path: construct_path.map(str::to_string),
        purpose: Purpose::InlinePolicy,
        document: Node::new(Span::new(0, 0), NodeKind::Object(Vec::new())),
        syntax: Syntax::Yaml,
        principals: vec![PrincipalRef {
            kind: PrincipalKind::Role,
            name,
            declared_as: declared_as.into(),
        }],
        principals_complete: true,
        notes: Vec::new(),
    }
}

/// Findings saying `s3:GetObject` is unused, for each role ARN given.
fn findings(arns: &[&str]) -> FindingsSet {
    let mut set = FindingsSet::new();
    for arn in arns {
        let text = format!(
            r#"{{"resource": "{arn}", "status": "ACTIVE", "findingType": "UnusedPermission",
                "findingDetails": [{{"unusedPermissionDetails": {{"serviceNamespace": "s3", "actions": [{{"action": "GetObject"}}]}}}}]}}"#
        );
        set.load_str(&text, Path::new("f.json"), &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    set
}

fn matched(resolver: &Resolver, site: &PolicySite, set: &FindingsSet) -> (Vec<String>, bool) {
    let resolution = resolver.resolve(site, set);
    let labels = resolution
        .principals
        .iter()
        .filter(|p| p.findings.is_some())
        .map(|p| p.label.clone())
        .collect();
    (labels, resolution.complete)
}

#[test]
fn a_name_prefix_matches_only_terraforms_generated_suffix() {
    let set = findings(&[
        "arn:aws:iam::123456789012:role/app-admin",
        "arn:aws:iam::123456789012:role/app-20240101120000000000000001",
    ]);
    let (labels, _) = matched(
        &Resolver::default(),
        &site(
            PrincipalName::Prefix("app-".into()),
            "aws_iam_role.app",
            None,
        ),
        &set,
    );
    assert_eq!(
        labels,
        ["arn:aws:iam::123456789012:role/app-20240101120000000000000001"]
    );
}

#[test]
fn an_explicit_stack_mapping_holds_only_in_that_stack() {
    let set = findings(&["arn:aws:iam::123456789012:role/ProdApp"]);
    let resolver = Resolver {
        explicit: BTreeMap::from([(
            "arn:aws:iam::123456789012:role/ProdApp".to_string(),
            "prod/AppRole".to_string(),
        )]),
        account: None,
    };
    let prod = site(
        PrincipalName::Unknown,
        "AppRole",
        Some("prod/AppRole/Resource"),
    );
    let dev = site(
        PrincipalName::Unknown,
        "AppRole",
        Some("dev/AppRole/Resource"),
    );
    assert_eq!(
        matched(&resolver, &prod, &set),
        (
            vec!["arn:aws:iam::123456789012:role/ProdApp".to_string()],
            true
        )
    );
    assert_eq!(matched(&resolver, &dev, &set).0, Vec::<String>::new());
    // A mapped ARN is not matched by name elsewhere, and a mapped reference takes only its ARNs.
    let by_name = site(
        PrincipalName::Exact("ProdApp".into()),
        "aws_iam_role.other",
        None,
    );
    assert_eq!(matched(&resolver, &by_name, &set).0, Vec::<String>::new());
}

#[test]
fn findings_of_another_account_are_not_matched_by_name() {
    let set = findings(&["arn:aws:iam::111111111111:role/App"]);
    let resolver = Resolver {
        explicit: BTreeMap::new(),
        account: Some("222222222222".into()),
    };
    assert!(
        matched(
            &resolver,
            &site(PrincipalName::Exact("App".into()), "aws_iam_role.app", None),
            &set
        )
        .0
        .is_empty()
    );
    let anywhere = Resolver::default();
    assert_eq!(
        matched(
            &anywhere,
            &site(PrincipalName::Exact("app".into()), "aws_iam_role.app", None),
            &set
        )
        .0
        .len(),
        1
    );
}

#[test]
fn a_cut_generated_name_is_not_trusted() {
    let stack = "a-very-long-stack-name-for-the-production-environment";
    let set = findings(&[
        "arn:aws:iam::123456789012:role/a-very-long-stack-name-for-th-LambdaFunctionSer-1ABCDEFGHIJK",
    ]);
    let reference = PrincipalName::Generated {
        stack: Some(stack.into()),
        logical_id: "LambdaFunctionServiceRoleAAAA1111".into(),
    };
    let (labels, complete) = matched(
        &Resolver::default(),
        &site(reference, "LambdaFunctionServiceRoleAAAA1111", None),
        &set,
    );
    assert_eq!(labels.len(), 1);
    assert!(
        !complete,
        "a cut name could be another role's: the site must not be narrowed"
    );
    let set = findings(&["arn:aws:iam::123456789012:role/prod-AppRole-1ABCDEFGHIJK"]);
    let reference = PrincipalName::Generated {
        stack: Some("prod".into()),
        logical_id: "AppRole".into(),
    };
    assert!(
        matched(
            &Resolver::default(),
            &site(reference, "AppRole", None),
            &set
        )
        .1
    );
}
