//! Statements under a condition: a statement list given by `Fn::If`
//! (`Statement: !If [Cond, [...], [...]]`) and a statement given by one
//! (`- !If [Cond, {...}, !Ref AWS::NoValue]`). Each branch that holds statements is a document of its
//! own, so that what it grants is checked and narrowed in place; a branch that is `AWS::NoValue`, or
//! anything but statements, holds nothing to narrow.

use iamprune_syntax::{Member, Node, NodeKind, Span};

use crate::intrinsic::as_intrinsic;
use crate::sites::Seg;

/// One branch of an `Fn::If` that holds statements.
pub(crate) struct Branch {
    /// The document the branch is in, with the branch as its `Statement`: a list when the branch is
    /// one, a single statement otherwise (which no fix then removes, since an empty branch is not a
    /// statement AWS accepts).
    pub document: Node,
    /// Where the branch is, below the document.
    pub path: Vec<Seg<'static>>,
    /// The `Fn::If` it is a branch of: read here, so the document around it need not call it
    /// undecidable.
    pub condition: Span,
}

/// What a document is checked as: itself (`true`) unless its whole `Statement` is an `Fn::If` that
/// gives statements, and each branch of its `Fn::If`s that gives statements.
pub(crate) fn documents(document: &Node) -> (bool, Vec<Branch>) {
    let branches = branches(document);
    let whole = document
        .get("Statement")
        .is_some_and(|s| matches!(as_intrinsic(&s.value), Some(("Fn::If", _))));
    (!whole || branches.is_empty(), branches)
}

/// The note on a document that applies only under a condition.
pub(crate) const UNDER_CONDITION: &str =
    "the policy is inside `Fn::If`: it applies only under a condition";

/// The branches of every `Fn::If` that gives statements of `document`, nested ones included.
pub(crate) fn branches(document: &Node) -> Vec<Branch> {
    let Some(statement) = document.get("Statement") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut path = vec![Seg::Key("Statement")];
    statements(document, &statement.value, &mut path, &mut out);
    out
}

/// A `Statement` value: a list given by `Fn::If`, or a list (or one statement) some of whose
/// statements are.
fn statements(document: &Node, value: &Node, path: &mut Vec<Seg<'static>>, out: &mut Vec<Branch>) {
    if let Some(("Fn::If", args)) = as_intrinsic(value) {
        for (i, branch) in if_branches(args) {
            path.extend([Seg::Key("Fn::If"), Seg::Index(i)]);
            match &branch.kind {
                _ if as_intrinsic(branch).is_some() => statements(document, branch, path, out),
                NodeKind::Array(_) | NodeKind::Object(_) => {
                    out.push(Branch {
                        document: with_statement(document, branch),
                        path: path.clone(),
                        condition: value.span,
                    });
                    statements(document, branch, path, out);
                }
                _ => {}
            }
            path.truncate(path.len() - 2);
        }
        return;
    }
    let NodeKind::Array(items) = &value.kind else {
        return;
    };
    for (i, item) in items.iter().enumerate() {
        if matches!(as_intrinsic(item), Some(("Fn::If", _))) {
            path.push(Seg::Index(i));
            statement(document, item, item.span, path, out);
            path.pop();
        }
    }
}

/// A statement given by `Fn::If` (`condition`), its branches statements, `AWS::NoValue` or further
/// `Fn::If`s.
fn statement(
    document: &Node,
    node: &Node,
    condition: Span,
    path: &mut Vec<Seg<'static>>,
    out: &mut Vec<Branch>,
) {
    match as_intrinsic(node) {
        Some(("Fn::If", args)) => {
            for (i, branch) in if_branches(args) {
                path.extend([Seg::Key("Fn::If"), Seg::Index(i)]);
                statement(document, branch, condition, path, out);
                path.truncate(path.len() - 2);
            }
        }
        Some(_) => {}
        None if matches!(node.kind, NodeKind::Object(_)) => out.push(Branch {
            document: with_statement(document, node),
            path: path.clone(),
            condition,
        }),
        None => {}
    }
}

/// The two branches of `Fn::If: [Condition, WhenTrue, WhenFalse]`, with their indices.
fn if_branches(args: &Node) -> impl Iterator<Item = (usize, &Node)> {
    let items = match &args.kind {
        NodeKind::Array(items) if items.len() == 3 => items.as_slice(),
        _ => &[],
    };
    items.iter().enumerate().skip(1)
}

/// `document` with `statement` as its `Statement`, spanning the branch.
fn with_statement(document: &Node, statement: &Node) -> Node {
    let members = document
        .as_object()
        .unwrap_or_default()
        .iter()
        .map(|m| match m.key.as_str() {
            "Statement" => Member {
                key: m.key.clone(),
                key_span: m.key_span,
                value: statement.clone(),
            },
            _ => m.clone(),
        })
        .collect();
    Node::new(statement.span, NodeKind::Object(members))
}

#[cfg(test)]
mod tests {
    use super::*;
    use iamprune_syntax::json;

    fn branches_of(text: &str) -> Vec<(String, String)> {
        let node = json::parse(text).unwrap_or_else(|e| panic!("{e}"));
        branches(&node)
            .into_iter()
            .map(|b| {
                let statement = b.document.get("Statement").map(|m| &m.value);
                let shown = statement
                    .map(|s| text[s.span.start..s.span.end].to_string())
                    .unwrap_or_default();
                (format!("{:?}", b.path), shown)
            })
            .collect()
    }

    #[test]
    fn a_statement_list_given_by_fn_if() {
        let text = r#"{"Version": "2012-10-17", "Statement": {"Fn::If": ["Prod", [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}], {"Ref": "AWS::NoValue"}]}}"#;
        assert_eq!(
            branches_of(text),
            [(
                r#"[Key("Statement"), Key("Fn::If"), Index(1)]"#.to_string(),
                r#"[{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]"#.to_string()
            )]
        );
    }

    #[test]
    fn statements_given_by_fn_if_nested_ones_too() {
        let text = r#"{"Statement": [
            {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"},
            {"Fn::If": ["A", {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, {"Ref": "AWS::NoValue"}]},
            {"Fn::If": ["B", {"Fn::If": ["C", {"Effect": "Deny", "Action": "kms:*", "Resource": "*"}, {"Ref": "AWS::NoValue"}]},
                             {"Effect": "Allow", "Action": "sns:*", "Resource": "*"}]}
        ]}"#;
        let found = branches_of(text);
        let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                r#"[Key("Statement"), Index(1), Key("Fn::If"), Index(1)]"#,
                r#"[Key("Statement"), Index(2), Key("Fn::If"), Index(1), Key("Fn::If"), Index(1)]"#,
                r#"[Key("Statement"), Index(2), Key("Fn::If"), Index(2)]"#,
            ]
        );
        assert!(found[1].1.contains("kms:*") && found[2].1.contains("sns:*"));
    }

    #[test]
    fn a_branch_list_with_conditional_statements_in_it() {
        let text = r#"{"Statement": {"Fn::If": ["A", [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Fn::If": ["B", {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}, {"Ref": "AWS::NoValue"}]}
        ], {"Ref": "AWS::NoValue"}]}}"#;
        let paths: Vec<String> = branches_of(text).into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            paths,
            [
                r#"[Key("Statement"), Key("Fn::If"), Index(1)]"#,
                r#"[Key("Statement"), Key("Fn::If"), Index(1), Index(1), Key("Fn::If"), Index(1)]"#,
            ]
        );
    }

    #[test]
    fn nothing_to_read_in_other_documents() {
        assert!(
            branches_of(r#"{"Statement": [{"Effect": "Allow", "Action": "s3:*"}]}"#).is_empty()
        );
        assert!(
            branches_of(r#"{"Statement": {"Fn::If": ["A", {"Ref": "X"}, "text"]}}"#).is_empty()
        );
        assert!(branches_of(r#"{"Statement": {"Fn::If": ["A", []]}}"#).is_empty());
    }
}
