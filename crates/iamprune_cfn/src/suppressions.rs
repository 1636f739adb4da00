//! Inline suppressions in templates: `# iamprune:ignore IAM002 reason="..."` comments in YAML, and in
//! either syntax `Metadata: {"iamprune": {"ignore": ["IAM002"], "reason": "..."}}` on a resource,
//! which covers the whole resource.

use iamprune_syntax::suppression::{self, Directive};
use iamprune_syntax::{Node, NodeKind, Span};

/// The suppressions of a template text: its `Metadata`, and in YAML its comments.
pub fn suppressions(text: &str) -> Vec<Directive> {
    // Every form names iamprune, and `Metadata` only on a line that is not a comment: a template
    // without (nearly every one) is not parsed again, which at every keystroke in an editor would
    // cost as much as its check.
    let in_metadata = text.lines().any(|line| {
        let line = line.trim_start();
        !line.starts_with('#') && line.contains("iamprune")
    });
    if !in_metadata {
        return suppression::line_comments(text, &["#"]);
    }
    // What is JSON is told by the text, as the extractors tell it, not by the name: a `.template` or
    // `.cfn` may be either. JSON has no comments.
    let body = text.strip_prefix('\u{feff}').unwrap_or(text).trim_start();
    if body.starts_with('{') {
        if let Ok(tree) = iamprune_syntax::json::parse(text) {
            return metadata(&tree);
        }
    }
    let mut out = suppression::line_comments(text, &["#"]);
    if let Ok(tree) = crate::yaml::parse(text) {
        for root in std::iter::once(&tree.root).chain(&tree.rest) {
            out.extend(metadata(root));
        }
    }
    out
}

/// `Metadata.iamprune.ignore` on the resources of a template tree.
fn metadata(template: &Node) -> Vec<Directive> {
    let Some(resources) = template.get("Resources").and_then(|m| m.value.as_object()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for resource in resources {
        let Some(settings) = resource
            .value
            .get("Metadata")
            .and_then(|m| m.value.get("iamprune"))
        else {
            continue;
        };
        let Some(ignore) = settings.value.get("ignore") else {
            continue;
        };
        let names = match &ignore.value.kind {
            NodeKind::String(s) => vec![s.clone()],
            NodeKind::Array(items) => items
                .iter()
                .filter_map(Node::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        };
        let reason = settings
            .value
            .get("reason")
            .and_then(|m| m.value.as_str())
            .map(str::to_string);
        out.push(Directive {
            at: ignore.key_span,
            covers: Span::new(resource.key_span.start, resource.value.span.end),
            names,
            reason,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_covers_its_resource_in_either_syntax() {
        let json = r#"{"Resources": {"R": {"Type": "AWS::IAM::Policy", "Metadata": {"iamprune": {"ignore": ["IAM002"], "reason": "batch"}}}}}"#;
        let found = suppressions(json);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].names, ["IAM002"]);
        assert_eq!(found[0].reason.as_deref(), Some("batch"));
        assert!(json[found[0].covers.range()].starts_with("\"R\""));
        let yaml = "Resources:\n  R:  # iamprune:ignore IAM001\n    Type: AWS::IAM::Policy\n    Metadata:\n      iamprune:\n        ignore: IAM011\n";
        let names: Vec<Vec<String>> = suppressions(yaml).into_iter().map(|d| d.names).collect();
        assert_eq!(
            names,
            [vec!["IAM001".to_string()], vec!["IAM011".to_string()]]
        );
    }
}
