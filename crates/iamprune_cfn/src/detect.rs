//! Deciding cheaply what a file is before parsing it, and what a parsed tree is.

use std::path::Path;

use iamprune_syntax::{Node, NodeKind};

/// Which parser to try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Guess {
    Json,
    Yaml,
    /// A YAML-named file that starts like JSON.
    JsonOrYaml,
}

/// What a parsed tree holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Template,
    /// A top-level object with `Statement`: one policy document.
    Policy,
    Other,
}

/// `None` for files that cannot be a template or a policy: another extension, or text without any of
/// the words every template or policy has. Looking at the text is much cheaper than parsing it.
pub(crate) fn sniff(path: &Path, text: &str) -> Option<Guess> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let body = text.strip_prefix('\u{feff}').unwrap_or(text).trim_start();
    if crate::serverless::is_service_file(path) {
        return Some(Guess::Yaml);
    }
    let markers = ["Resources", "AWSTemplateFormatVersion", "Statement"];
    if !markers.iter().any(|m| text.contains(m)) {
        return None;
    }
    match ext.as_str() {
        "json" => body.starts_with('{').then_some(Guess::Json),
        "yaml" | "yml" | "template" | "cfn" => Some(if body.starts_with('{') {
            Guess::JsonOrYaml
        } else {
            Guess::Yaml
        }),
        _ => None,
    }
}

/// Whether a file that failed to parse looks enough like a template, a policy or a Serverless service
/// for its error to be shown (an unrelated broken YAML file is skipped quietly).
pub(crate) fn worth_reporting(path: &Path, text: &str) -> bool {
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    crate::serverless::is_service_file(path)
        || text.contains("AWSTemplateFormatVersion")
        || text.contains("AWS::")
        || (is_json && text.contains("\"Statement\""))
}

pub(crate) fn classify(root: &Node) -> Shape {
    let Some(members) = root.as_object() else {
        return Shape::Other;
    };
    let has = |key: &str| members.iter().any(|m| m.key == key);
    if has("AWSTemplateFormatVersion") {
        return Shape::Template;
    }
    let aws_resource = members
        .iter()
        .filter(|m| m.key == "Resources")
        .filter_map(|m| m.value.as_object())
        .flatten()
        .any(|r| {
            r.value
                .get("Type")
                .and_then(|t| t.value.as_str())
                .is_some_and(|t| t.starts_with("AWS::"))
        });
    if aws_resource {
        return Shape::Template;
    }
    if members
        .iter()
        .any(|m| m.key == "Statement" && !matches!(m.value.kind, NodeKind::Null))
    {
        return Shape::Policy;
    }
    Shape::Other
}

#[cfg(test)]
mod tests {
    use super::*;
    use iamprune_syntax::json;

    fn shape(text: &str) -> Shape {
        classify(&json::parse(text).unwrap_or_else(|e| panic!("{e}")))
    }

    #[test]
    fn shapes() {
        assert_eq!(
            shape(r#"{"AWSTemplateFormatVersion": "2010-09-09"}"#),
            Shape::Template
        );
        assert_eq!(
            shape(r#"{"Resources": {"R": {"Type": "AWS::SQS::Queue"}}}"#),
            Shape::Template
        );
        assert_eq!(
            shape(r#"{"Resources": {"R": {"Type": "Custom::X"}}}"#),
            Shape::Other
        );
        assert_eq!(
            shape(r#"{"Version": "2012-10-17", "Statement": []}"#),
            Shape::Policy
        );
        assert_eq!(
            shape(r#"{"name": "pkg", "version": "1.0.0"}"#),
            Shape::Other
        );
        assert_eq!(shape("[1]"), Shape::Other);
    }

    #[test]
    fn sniffing() {
        let p = |s: &str| Path::new(s).to_path_buf();
        assert_eq!(sniff(&p("a.json"), "{\"name\": \"x\"}"), None);
        assert_eq!(
            sniff(&p("a.json"), "{\"Statement\": []}"),
            Some(Guess::Json)
        );
        assert_eq!(sniff(&p("a.json"), "[\"Statement\"]"), None);
        assert_eq!(sniff(&p("a.yaml"), "Resources: {}"), Some(Guess::Yaml));
        assert_eq!(
            sniff(&p("a.yml"), "\u{feff} {\"Resources\": {}}"),
            Some(Guess::JsonOrYaml)
        );
        assert_eq!(sniff(&p("a.tf"), "Resources"), None);
        assert_eq!(
            sniff(&p("deploy.yaml"), "kind: Deployment\nspec: {}\n"),
            None
        );
    }
}
