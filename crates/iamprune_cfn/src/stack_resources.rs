//! The principals a CloudFormation stack deploys, read from `aws cloudformation
//! describe-stack-resources` (`StackResources`, each with its `StackName`) or `list-stack-resources`
//! (`StackResourceSummaries`, which name no stack: the stack is then the one the caller gives, the
//! file's name).

use iamprune_policy::PrincipalKind;
use iamprune_syntax::{Node, SyntaxError};

/// One deployed role, user or group of a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackPrincipal {
    pub stack: String,
    pub logical_id: String,
    pub kind: PrincipalKind,
    /// The physical id: the role, user or group name.
    pub name: String,
}

/// Whether a JSON document is one of the two outputs.
pub fn is_stack_resources(root: &Node) -> bool {
    root.get("StackResources").is_some() || root.get("StackResourceSummaries").is_some()
}

/// The principals listed. `default_stack` names the stack of entries without a `StackName`.
pub fn stack_principals(
    root: &Node,
    default_stack: &str,
) -> Result<Vec<StackPrincipal>, SyntaxError> {
    let list = root
        .get("StackResources")
        .or_else(|| root.get("StackResourceSummaries"))
        .map(|m| &m.value);
    let Some(items) = list.and_then(Node::as_array) else {
        let span = list.map_or(root.span, |l| l.span);
        return Err(SyntaxError::new(
            span,
            "expected `StackResources` or `StackResourceSummaries` to be a list",
        ));
    };
    let mut out = Vec::new();
    for item in items {
        let field = |key: &str| item.get(key).and_then(|m| m.value.as_str());
        let kind = match field("ResourceType") {
            Some("AWS::IAM::Role") => PrincipalKind::Role,
            Some("AWS::IAM::User") => PrincipalKind::User,
            Some("AWS::IAM::Group") => PrincipalKind::Group,
            _ => continue,
        };
        let (Some(logical_id), Some(name)) =
            (field("LogicalResourceId"), field("PhysicalResourceId"))
        else {
            return Err(SyntaxError::new(
                item.span,
                "a stack resource without `LogicalResourceId` or `PhysicalResourceId`",
            ));
        };
        out.push(StackPrincipal {
            stack: field("StackName").unwrap_or(default_stack).to_string(),
            logical_id: logical_id.to_string(),
            kind,
            name: name.to_string(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_outputs_are_read() {
        let text = r#"{"StackResources": [
            {"StackName": "prod", "LogicalResourceId": "AppRole", "PhysicalResourceId": "prod-AppRole-NSCvroR0lMPF", "ResourceType": "AWS::IAM::Role"},
            {"StackName": "prod", "LogicalResourceId": "Bucket", "PhysicalResourceId": "b", "ResourceType": "AWS::S3::Bucket"}]}"#;
        let root = iamprune_syntax::json::parse(text).unwrap_or_else(|e| panic!("{e}"));
        assert!(is_stack_resources(&root));
        let found = stack_principals(&root, "unused").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].stack, "prod");
        let text = r#"{"StackResourceSummaries": [
            {"LogicalResourceId": "AppRole", "PhysicalResourceId": "dev-AppRole-X", "ResourceType": "AWS::IAM::Role"}]}"#;
        let root = iamprune_syntax::json::parse(text).unwrap_or_else(|e| panic!("{e}"));
        let found = stack_principals(&root, "dev").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(found[0].stack, "dev");
        let bad = r#"{"StackResources": [{"ResourceType": "AWS::IAM::Role"}]}"#;
        let root = iamprune_syntax::json::parse(bad).unwrap_or_else(|e| panic!("{e}"));
        let error = stack_principals(&root, "x")
            .err()
            .map(|e| (e.span.start, e.to_string()));
        assert_eq!(
            error,
            Some((
                bad.find("{\"Resource").unwrap_or(0),
                "a stack resource without `LogicalResourceId` or `PhysicalResourceId`".into()
            ))
        );
    }
}
