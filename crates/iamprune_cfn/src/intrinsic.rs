//! CloudFormation intrinsic functions in the JSON form (`{"Ref": …}`, `{"Fn::Sub": …}`), which is
//! also what YAML short tags become.

use iamprune_syntax::{Node, NodeKind};

/// Whether `key` names an intrinsic function or a condition reference.
pub(crate) fn is_intrinsic_key(key: &str) -> bool {
    key == "Ref" || key == "Condition" || key.starts_with("Fn::")
}

/// The function name and argument when `node` is an intrinsic object: a single member named like one.
pub(crate) fn as_intrinsic(node: &Node) -> Option<(&str, &Node)> {
    match node.as_object()? {
        [only] if is_intrinsic_key(&only.key) => Some((only.key.as_str(), &only.value)),
        _ => None,
    }
}

/// A copy of a policy document in which every intrinsic is an opaque value with the intrinsic's span,
/// so that the policy model treats it as undecidable.
pub(crate) fn opaque(node: &Node) -> Node {
    node.rewrite(&|n| {
        as_intrinsic(n).map(|(name, _)| Node::new(n.span, NodeKind::Opaque(name.to_string())))
    })
}

/// What a value refers to, for following attachments between resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target<'a> {
    /// `Ref: Id`.
    Ref(&'a str),
    /// `Fn::GetAtt: [Id, Attribute]` or `!GetAtt Id.Attribute`.
    GetAtt(&'a str),
    Literal(&'a str),
    /// Anything evaluation would be needed for.
    Other,
}

pub(crate) fn target(node: &Node) -> Target<'_> {
    if let Some(s) = node.as_str() {
        return Target::Literal(s);
    }
    match as_intrinsic(node) {
        Some(("Ref", arg)) => arg.as_str().map_or(Target::Other, Target::Ref),
        Some(("Fn::GetAtt", arg)) => {
            let id = match &arg.kind {
                NodeKind::String(s) => s.split('.').next(),
                NodeKind::Array(items) => items.first().and_then(Node::as_str),
                _ => None,
            };
            id.map_or(Target::Other, Target::GetAtt)
        }
        _ => Target::Other,
    }
}

/// Evaluates an `Fn::Sub` whose variables are all known: the pseudo parameters given, and the
/// literal values of its variable map. `None` when anything is left unknown.
pub(crate) fn substitute(
    arg: &Node,
    stack_name: Option<&str>,
    account: Option<&str>,
) -> Option<String> {
    let (template, vars) = match &arg.kind {
        NodeKind::String(s) => (s.as_str(), None),
        NodeKind::Array(items) => match items.as_slice() {
            [t] => (t.as_str()?, None),
            [t, v] => (t.as_str()?, v.as_object()),
            _ => return None,
        },
        _ => return None,
    };
    let mut out = String::new();
    let mut rest = template;
    while let Some(at) = rest.find("${") {
        out.push_str(rest.get(..at)?);
        let after = rest.get(at + 2..)?;
        let close = after.find('}')?;
        let name = after.get(..close)?;
        if let Some(literal) = name.strip_prefix('!') {
            out.push_str("${");
            out.push_str(literal);
            out.push('}');
        } else {
            let from_vars = vars
                .and_then(|v| v.iter().find(|m| m.key == name))
                .and_then(|m| m.value.as_str());
            let value = match (name, from_vars) {
                (_, Some(v)) => v,
                ("AWS::StackName", None) => stack_name?,
                ("AWS::AccountId", None) => account?,
                _ => return None,
            };
            out.push_str(value);
        }
        rest = after.get(close + 1..)?;
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use iamprune_syntax::json;

    fn node(text: &str) -> Node {
        json::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn targets() {
        assert_eq!(target(&node(r#"{"Ref": "R"}"#)), Target::Ref("R"));
        assert_eq!(
            target(&node(r#"{"Fn::GetAtt": ["R", "Arn"]}"#)),
            Target::GetAtt("R")
        );
        assert_eq!(
            target(&node(r#"{"Fn::GetAtt": "R.Arn"}"#)),
            Target::GetAtt("R")
        );
        assert_eq!(target(&node(r#""name""#)), Target::Literal("name"));
        assert_eq!(target(&node(r#"{"Fn::Join": ["", []]}"#)), Target::Other);
        assert_eq!(target(&node(r#"{"Ref": "R", "x": 1}"#)), Target::Other);
    }

    #[test]
    fn substitution() {
        let arg = node(r#""${AWS::StackName}-app-${AWS::AccountId}-${!Keep}""#);
        assert_eq!(
            substitute(&arg, Some("prod"), Some("123")),
            Some("prod-app-123-${Keep}".into())
        );
        assert_eq!(substitute(&arg, None, Some("123")), None);
        let arg = node(r#"["${Env}-${AWS::Region}", {"Env": "dev"}]"#);
        assert_eq!(substitute(&arg, Some("s"), Some("1")), None);
        let arg = node(r#"["${Env}-x", {"Env": "dev"}]"#);
        assert_eq!(substitute(&arg, None, None), Some("dev-x".into()));
        assert_eq!(substitute(&node(r#""${unclosed""#), None, None), None);
    }

    #[test]
    fn opaque_replaces_intrinsics() {
        let doc = node(
            r#"{"Statement": [{"Fn::If": ["c", {}, {}]}, {"Action": [{"Fn::Sub": "x"}, "s3:Get*"]}]}"#,
        );
        let out = opaque(&doc);
        let statements = out.get("Statement").and_then(|m| m.value.as_array());
        let first = statements.and_then(|s| s.first()).map(|n| n.kind.clone());
        assert_eq!(first, Some(NodeKind::Opaque("Fn::If".into())));
    }
}
