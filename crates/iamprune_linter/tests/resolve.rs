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
        account: None,
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
        frozen: None,
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

/// A resolver for a source deployed to the account of the findings above.
fn in_account() -> Resolver {
    Resolver {
        accounts: ["123456789012".to_string()].into(),
        ..Resolver::default()
    }
}

fn matched(resolver: &Resolver, site: &PolicySite, set: &FindingsSet) -> (Vec<String>, bool) {
    let resolution = resolver.resolve(site, set);
    let labels = resolution
        .principals
        .iter()
        .filter(|p| p.findings.is_some())
        .map(|p| p.label.clone())
        .collect();
    (labels, resolution.complete())
}

#[test]
fn a_name_prefix_matches_only_terraforms_generated_suffix() {
    let set = findings(&[
        "arn:aws:iam::123456789012:role/app-admin",
        "arn:aws:iam::123456789012:role/app-20240101120000000000000001",
    ]);
    let (labels, _) = matched(
        &in_account(),
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
        ..Resolver::default()
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
        accounts: ["222222222222".to_string()].into(),
        ..Resolver::default()
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
    // Without the accounts the source deploys to, the name is matched but nothing is known complete.
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
fn a_cut_generated_name_joins_only_when_one_role_could_have_it() {
    let stack = "a-very-long-stack-name-for-the-production-environment";
    let arn = "arn:aws:iam::123456789012:role/a-very-long-stack-name-for-th-LambdaFunctionSer-1ABCDEFGHIJK";
    let set = findings(&[arn]);
    let reference = |rivals: &[&str]| PrincipalName::Generated {
        stack: Some(stack.into()),
        logical_id: "LambdaFunctionServiceRoleAAAA1111".into(),
        rivals: rivals.iter().map(|r| r.to_string()).collect(),
    };
    let resolve = |rivals: &[&str]| {
        matched(
            &in_account(),
            &site(reference(rivals), "LambdaFunctionServiceRoleAAAA1111", None),
            &set,
        )
    };
    // The only role of the stack whose name is generated: the cut name can only be its own.
    assert_eq!(resolve(&[]), (vec![arn.to_string()], true));
    // A role of the stack whose name is generated and cut the same way: either could have it.
    let (labels, complete) = resolve(&["LambdaFunctionServiceRoleBBBB2222"]);
    assert_eq!(labels.len(), 1);
    assert!(
        !complete,
        "a cut name could be another role's: the site must not be narrowed"
    );
    // A rival that cannot produce the name changes nothing.
    assert!(resolve(&["QueueProcessorRole"]).1);
    // Two findings whose names both fit: not known which is this role's.
    let other = "arn:aws:iam::123456789012:role/a-very-long-stack-name-for-th-LambdaFunctionSer-2ZYXWVUTSRQP";
    let two = findings(&[arn, other]);
    let (labels, complete) = matched(
        &in_account(),
        &site(reference(&[]), "LambdaFunctionServiceRoleAAAA1111", None),
        &two,
    );
    assert_eq!(labels.len(), 2);
    assert!(!complete);
    // A full generated name with today's mixed-case suffix.
    let set = findings(&["arn:aws:iam::123456789012:role/prod-AppRole-NSCvroR0lMPF"]);
    let reference = PrincipalName::Generated {
        stack: Some("prod".into()),
        logical_id: "AppRole".into(),
        rivals: vec!["AppRoleTwo".into()],
    };
    assert!(matched(&in_account(), &site(reference, "AppRole", None), &set).1);
}

#[test]
fn a_name_is_complete_only_where_every_account_it_deploys_to_has_findings() {
    let set = findings(&[
        "arn:aws:iam::111111111111:role/app",
        "arn:aws:iam::222222222222:role/other",
    ]);
    let site = site(PrincipalName::Exact("app".into()), "aws_iam_role.app", None);
    // The accounts are not said: 222222222222, or one the findings never mention, may deploy it.
    let (labels, complete) = matched(&Resolver::default(), &site, &set);
    assert_eq!(labels.len(), 1);
    assert!(!complete);
    let both = Resolver {
        accounts: ["111111111111", "222222222222"]
            .into_iter()
            .map(String::from)
            .collect(),
        ..Resolver::default()
    };
    let (labels, complete) = matched(&both, &site, &set);
    assert_eq!(labels.len(), 1);
    assert!(
        !complete,
        "222222222222 deploys `app` too, without a finding"
    );
    let one_account = Resolver {
        accounts: ["111111111111".to_string()].into(),
        ..Resolver::default()
    };
    assert!(matched(&one_account, &site, &set).1);
}

#[test]
fn names_from_variables_and_prefixes_are_matched_but_not_complete() {
    let set = findings(&[
        "arn:aws:iam::123456789012:role/app-dev",
        "arn:aws:iam::123456789012:role/app-20240101120000000000000001",
    ]);
    let assumed = site(
        PrincipalName::Assumed("app-dev".into()),
        "aws_iam_role.app",
        None,
    );
    let (labels, complete) = matched(&in_account(), &assumed, &set);
    assert_eq!(labels.len(), 1);
    assert!(!complete, "another environment may deploy app-prod");
    let prefixed = site(
        PrincipalName::Prefix("app-".into()),
        "aws_iam_role.app",
        None,
    );
    let (labels, complete) = matched(&in_account(), &prefixed, &set);
    assert_eq!(labels.len(), 1);
    assert!(!complete, "another apply creates another app-… role");
}

#[test]
fn a_mapping_names_a_principal_the_source_computes() {
    let arn = "arn:aws:iam::123456789012:role/app-prod";
    let set = findings(&[arn]);
    let site = site(PrincipalName::Unknown, "module.app.aws_iam_role.this", None);
    assert_eq!(matched(&Resolver::default(), &site, &set), (vec![], false));
    let mapped = Resolver {
        explicit: BTreeMap::from([(arn.to_string(), "module.app.aws_iam_role.this".to_string())]),
        ..Resolver::default()
    };
    assert_eq!(matched(&mapped, &site, &set), (vec![arn.to_string()], true));
}

#[test]
fn a_mapping_names_a_policy_file_however_its_path_is_written() {
    let arn = "arn:aws:iam::123456789012:role/app";
    let set = findings(&[arn]);
    let mut unfollowed = site(PrincipalName::Unknown, "x", None);
    unfollowed.principals.clear();
    unfollowed.principals_complete = false;
    for key in ["t.yaml", "./t.yaml"] {
        let mapped = Resolver {
            explicit: BTreeMap::from([(arn.to_string(), key.to_string())]),
            ..Resolver::default()
        };
        assert_eq!(
            matched(&mapped, &unfollowed, &set),
            (vec![arn.to_string()], true),
            "{key}"
        );
    }
    assert!(!matched(&Resolver::default(), &unfollowed, &set).1);
}
