//! The refinement's rules, one behaviour per test, on small catalogs where the answer is evident.

mod common;

use common::*;
use iamprune_catalog::{Catalog, Pattern};
use iamprune_policy::{
    Outcome, StatementRefinement, Unchanged, Unused, UnusedSet, output, refine_document,
    refine_pattern,
};

fn catalog(rows: &[&str]) -> Catalog {
    let mut tsv = String::from("# source: test\n");
    for row in rows {
        let (service, action) = row.split_once(':').unwrap_or_default();
        tsv.push_str(&format!("{service}\t{action}\tRead\n"));
    }
    Catalog::from_tsv(&tsv).unwrap_or_else(|e| panic!("{e}"))
}

fn unused(names: &[&str]) -> Unused {
    let mut u = Unused::new();
    for name in names {
        if name.contains(':') {
            u.add_action(name).unwrap_or_else(|e| panic!("{e}"));
        } else {
            u.add_service(name).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    u
}

fn refine(catalog: &Catalog, pattern: &str, unused_names: &[&str]) -> Outcome {
    let set = UnusedSet::resolve(catalog, &unused(unused_names));
    refine_pattern(&Pattern::new(pattern), &set).outcome
}

fn replace(patterns: &[&str]) -> Outcome {
    Outcome::Replace(patterns.iter().map(|p| p.to_string()).collect())
}

const LEX: &[&str] = &[
    "lex:ListBot",
    "lex:ListBots",
    "lex:ListBotAliases",
    "lex:ListBotVersions",
    "lex:ListIntents",
    "lex:ListSlots",
    "lex:GetBot",
];

#[test]
fn nothing_unused_keeps_the_pattern() {
    let c = catalog(LEX);
    assert_eq!(refine(&c, "lex:List*", &["lex:GetBot"]), Outcome::Keep);
}

#[test]
fn an_exact_unused_action_is_removed() {
    let c = catalog(LEX);
    assert_eq!(refine(&c, "lex:GetBot", &["lex:GetBot"]), Outcome::Remove);
    assert_eq!(refine(&c, "LEX:getbot", &["lex:GetBot"]), Outcome::Remove);
}

#[test]
fn safety_is_judged_by_the_string_not_the_token_path() {
    // `lex:ListBot*` would also match the unused `lex:ListBots`: the kept action `ListBot` is emitted
    // exactly and the walk goes on below it.
    let c = catalog(LEX);
    assert_eq!(
        refine(&c, "lex:List*", &["lex:ListBots"]),
        replace(&[
            "lex:ListBot",
            "lex:ListBotAliases",
            "lex:ListBotVersions",
            "lex:ListIntents",
            "lex:ListSlots"
        ])
    );
}

#[test]
fn a_prefix_matching_one_action_is_emitted_exactly() {
    let c = catalog(&[
        "s3:GetObject",
        "s3:GetObjectAcl",
        "s3:GetBucketAcl",
        "s3:GetBucketCORS",
        "s3:GetJobTagging",
    ]);
    assert_eq!(
        refine(&c, "s3:Get*", &["s3:GetBucketAcl"]),
        replace(&["s3:GetBucketCORS", "s3:GetJobTagging", "s3:GetObject*"])
    );
}

#[test]
fn every_action_unused_removes_the_wildcard() {
    let c = catalog(&["s3:GetObject", "s3:GetObjectAcl", "s3:PutObject"]);
    assert_eq!(
        refine(&c, "s3:Get*", &["s3:GetObject", "s3:GetObjectAcl"]),
        Outcome::Remove
    );
    assert_eq!(refine(&c, "s3:*", &["s3"]), Outcome::Remove);
}

#[test]
fn service_level_findings_count_every_action_of_the_service() {
    let c = catalog(&[
        "s3:GetObject",
        "s3:PutObject",
        "s3-outposts:GetObject",
        "s3express:CreateSession",
    ]);
    assert_eq!(
        refine(&c, "s3*", &["s3"]),
        replace(&["s3-outposts:GetObject", "s3express:CreateSession"])
    );
}

#[test]
fn unknown_unused_names_still_count() {
    // The findings name an action this catalog is too old to know: no emitted wildcard may match it.
    let c = catalog(&[
        "s3:GetObject",
        "s3:GetObjectAcl",
        "s3:GetBucketAcl",
        "s3:GetBucketPolicy",
    ]);
    assert_eq!(
        refine(&c, "s3:Get*", &["s3:GetBucketAbac"]),
        replace(&["s3:GetBucketAcl", "s3:GetBucketPolicy", "s3:GetObject*"])
    );
    assert_eq!(
        refine(&c, "s3:GetBucketAbac", &["s3:GetBucketAbac"]),
        Outcome::Remove
    );
}

#[test]
fn inner_wildcards_fall_back_to_exact_names_outside_prefix_forms() {
    let c = catalog(&[
        "s3:GetObject",
        "s3:GetObjectAcl",
        "s3:GetObjectTagging",
        "s3:PutObject",
        "s3:PutObjectAcl",
        "s3:GetBucketAcl",
    ]);
    // `s3:GetObject*` stays inside `s3:*Object*`, so it may be emitted; `s3:PutObject*` too.
    assert_eq!(
        refine(&c, "s3:*Object*", &["s3:PutObjectAcl"]),
        replace(&["s3:GetObject*", "s3:PutObject"])
    );
    // `?` only ever matches one character: nothing but exact names stays inside it.
    assert_eq!(
        refine(&c, "s3:?etObject*", &["s3:GetObjectAcl"]),
        replace(&["s3:GetObject", "s3:GetObjectTagging"])
    );
    assert_eq!(
        refine(&c, "s3:Get?bject", &["s3:GetObject"]),
        Outcome::Remove
    );
    // `iam:List*Tags`-style: the suffix must stay, so only exact names come out.
    let c = catalog(&["iam:ListRoleTags", "iam:ListUserTags", "iam:ListRoles"]);
    assert_eq!(
        refine(&c, "iam:List*Tags", &["iam:ListUserTags"]),
        replace(&["iam:ListRoleTags"])
    );
}

#[test]
fn deny_statements_are_never_changed() {
    let c = catalog(&["s3:GetObject", "s3:PutObject"]);
    let (_, doc) =
        parse_policy(r#"{"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}"#);
    let set = UnusedSet::resolve(&c, &unused(&["s3:PutObject"]));
    assert_eq!(
        refine_document(&doc, &set).statements,
        [StatementRefinement::Unchanged(Unchanged::Deny)]
    );
}

#[test]
fn the_full_wildcard_becomes_not_action() {
    let c = catalog(&[
        "s3:GetObject",
        "s3:PutObject",
        "ec2:RunInstances",
        "ec2:StopInstances",
        "iam:PassRole",
    ]);
    let (node, doc) = parse_policy(
        r#"{"Version": "2012-10-17", "Statement": {"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"}}"#,
    );
    let set = UnusedSet::resolve(
        &c,
        &unused(&["s3:PutObject", "ec2", "cloudtrail:LookupEvents"]),
    );
    let refinement = refine_document(&doc, &set);
    assert_eq!(
        refinement.statements,
        [StatementRefinement::ToNotAction {
            not_action: ["cloudtrail:LookupEvents", "ec2:*", "s3:PutObject"]
                .map(String::from)
                .to_vec()
        }]
    );
    let json = output::refined_json(&node, &doc, &refinement);
    assert_eq!(
        json.to_string(),
        r#"{"Version":"2012-10-17","Statement":{"Sid":"All","Effect":"Allow","NotAction":["cloudtrail:LookupEvents","ec2:*","s3:PutObject"],"Resource":"*"}}"#
    );
}

#[test]
fn allow_not_action_gains_the_unused_actions_it_allowed() {
    let c = catalog(&[
        "s3:GetObject",
        "s3:PutObject",
        "iam:PassRole",
        "iam:CreateRole",
    ]);
    let (node, doc) = parse_policy(
        r#"{"Statement": [{"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}]}"#,
    );
    // iam:CreateRole is unused but already excluded: only s3:PutObject is added.
    let set = UnusedSet::resolve(&c, &unused(&["s3:PutObject", "iam:CreateRole"]));
    let refinement = refine_document(&doc, &set);
    assert_eq!(
        refinement.statements,
        [StatementRefinement::ExtendNotAction {
            added: vec!["s3:PutObject".into()]
        }]
    );
    assert_eq!(
        output::refined_json(&node, &doc, &refinement).to_string(),
        r#"{"Statement":[{"Effect":"Allow","NotAction":["iam:*","s3:PutObject"],"Resource":"*"}]}"#
    );
}

#[test]
fn emptied_statements_go_and_single_strings_stay_strings() {
    let c = catalog(&[
        "s3:GetObject",
        "s3:GetObjectAcl",
        "s3:PutObject",
        "sqs:SendMessage",
    ]);
    let (node, doc) = parse_policy(
        r#"{"Statement": [
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
        ]}"#,
    );
    let set = UnusedSet::resolve(
        &c,
        &unused(&["sqs:SendMessage", "s3:GetObject", "s3:GetObjectAcl"]),
    );
    let refinement = refine_document(&doc, &set);
    assert!(!refinement.removes_every_statement());
    assert_eq!(
        output::refined_json(&node, &doc, &refinement).to_string(),
        r#"{"Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}"#
    );
    let set = UnusedSet::resolve(&c, &unused(&["sqs", "s3"]));
    assert!(refine_document(&doc, &set).removes_every_statement());
}

#[test]
fn intersection_over_principals_keeps_what_any_of_them_used() {
    let c = catalog(&[
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "sqs:SendMessage",
    ]);
    let a = UnusedSet::resolve(
        &c,
        &unused(&["s3:PutObject", "s3:DeleteObject", "sqs", "s3:GetNew"]),
    );
    let b = UnusedSet::resolve(&c, &unused(&["s3", "sqs:SendMessage"]));
    let both = a.intersect(&b);
    assert!(both.is_unused("s3:PutObject"));
    assert!(both.is_unused("s3:DeleteObject"));
    assert!(!both.is_unused("s3:GetObject"));
    assert!(both.is_unused("sqs:SendMessage"));
    // Unknown to the catalog, unused by a by name and by b through its whole service.
    assert!(both.is_unused("s3:GetNew"));
    assert_eq!(both.services().count(), 0);
    let none = UnusedSet::none(&c);
    assert!(a.intersect(&none).is_empty());
}

#[test]
fn expressions_are_left_alone() {
    let c = catalog(&["s3:GetObject", "s3:PutObject"]);
    let node = iamprune_syntax::Node::new(
        iamprune_syntax::Span::new(0, 10),
        iamprune_syntax::NodeKind::Object(vec![iamprune_syntax::Member {
            key: "Statement".into(),
            key_span: iamprune_syntax::Span::new(0, 1),
            value: iamprune_syntax::Node::new(
                iamprune_syntax::Span::new(2, 9),
                iamprune_syntax::NodeKind::Opaque("Fn::If".into()),
            ),
        }]),
    );
    let doc = iamprune_policy::PolicyDocument::from_node(&node).unwrap_or_else(|e| panic!("{e}"));
    let set = UnusedSet::resolve(&c, &unused(&["s3:PutObject"]));
    assert_eq!(
        refine_document(&doc, &set).statements,
        [StatementRefinement::Unchanged(Unchanged::Undecidable(
            "Fn::If".into()
        ))]
    );
}

#[test]
fn malformed_documents_are_errors_with_positions() {
    let cases = [
        (
            r#"[]"#,
            "expected a policy document (an object), found an array",
        ),
        (
            r#"{"Version": "2012-10-17"}"#,
            "the policy document has no `Statement`",
        ),
        (
            r#"{"Statement": "x"}"#,
            "`Statement` must be an object or an array of objects, found a string",
        ),
        (
            r#"{"Statement": [{"Action": "s3:*"}]}"#,
            "the statement has no `Effect`",
        ),
        (
            r#"{"Statement": [{"Effect": "allow", "Action": "s3:*"}]}"#,
            "`Effect` must be \"Allow\" or \"Deny\"",
        ),
        (
            r#"{"Statement": [{"Effect": "Allow", "Action": [1]}]}"#,
            "`Action` must hold strings, found a number",
        ),
        (
            r#"{"Statement": [{"Effect": "Allow", "Action": "a:b", "NotAction": "c:d"}]}"#,
            "a statement cannot have both `Action` and `NotAction`",
        ),
        (
            r#"{"Statement": [{"Effect": "Allow", "Action": "a:b", "Action": "c:d"}]}"#,
            "duplicate key `Action`",
        ),
    ];
    for (text, message) in cases {
        let node = iamprune_syntax::json::parse(text).unwrap_or_else(|e| panic!("{e}"));
        let err = iamprune_policy::PolicyDocument::from_node(&node).err();
        assert_eq!(err.map(|e| e.message), Some(message.to_string()), "{text}");
    }
    let text = "{\"Statement\": [{\"Effect\": \"Allow\",\n  \"Action\": [\"s3:Get*\", 42]}]}";
    let node = iamprune_syntax::json::parse(text).unwrap_or_else(|e| panic!("{e}"));
    let err = iamprune_policy::PolicyDocument::from_node(&node)
        .err()
        .map(|e| e.span);
    assert_eq!(
        err.map(|s| iamprune_syntax::LineIndex::new(text).position(s.start))
            .map(|p| (p.line, p.column)),
        Some((2, 25))
    );
}

/// An editor's memo gives what refining afresh gives, at the places of the statement it is asked
/// about, and never the refinement made against another unused set.
#[test]
fn the_memo_refines_as_refining_afresh_does() {
    let c = catalog(LEX);
    let memo = iamprune_policy::RefineMemo::new();
    let first = parse_policy(r#"{"Statement": [{"Effect": "Allow", "Action": ["lex:List*", "lex:GetBot"], "Resource": "*"}]}"#).1;
    // The same statement, moved: its spans differ.
    let moved = parse_policy(r#"{"Version": "2012-10-17",   "Statement": [{"Effect": "Allow", "Action": ["lex:List*", "lex:GetBot"], "Resource": "*"}]}"#).1;
    for names in [
        &["lex:GetBot", "lex:ListSlots"][..],
        &["lex:ListBots"][..],
        &["lex"][..],
    ] {
        let set = UnusedSet::resolve(&c, &unused(names));
        for document in [&first, &moved, &first] {
            assert_eq!(
                memo.refine_document(document, &set),
                refine_document(document, &set),
                "{names:?}"
            );
        }
    }
}
