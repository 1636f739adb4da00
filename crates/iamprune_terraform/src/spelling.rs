//! How HCL spells list items and comments, for edits (see [`iamprune_syntax::Spelling`]), and its
//! inline suppressions.

use iamprune_syntax::Spelling;
use iamprune_syntax::spelling::json_string;
use iamprune_syntax::suppression::{self, Directive};

/// HCL: double-quoted strings, `#`, `//` and `/* */` comments, `actions`/`not_actions` arguments in
/// an `aws_iam_policy_document` statement.
pub struct Hcl;

impl Spelling for Hcl {
    fn line_comment_start(&self) -> Option<&'static str> {
        Some("#")
    }

    fn string(&self, text: &str, _like: &str) -> String {
        json_string(text)
    }

    fn comment_in(&self, gap: &str) -> bool {
        gap.contains('#') || gap.contains("//") || gap.contains("/*")
    }

    fn line_comment(&self, rest: &str, _spaced: bool) -> bool {
        rest.starts_with('#') || rest.starts_with("//")
    }

    fn not_action_key(&self, key: &str) -> Option<String> {
        if key.contains("Action") {
            // `jsonencode({ Action = ... })`.
            Some(key.replacen("Action", "NotAction", 1))
        } else {
            (key == "actions").then(|| "not_actions".to_string())
        }
    }
}

/// The suppressions in the comments of a Terraform file: `# iamprune:ignore IAM002` or `//`.
pub fn suppressions(text: &str) -> Vec<Directive> {
    suppression::line_comments(text, &["#", "//"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_document_arguments_negate_to_their_own_names() {
        assert_eq!(
            Hcl.not_action_key("actions").as_deref(),
            Some("not_actions")
        );
        assert_eq!(Hcl.not_action_key("Action").as_deref(), Some("NotAction"));
        assert_eq!(Hcl.not_action_key("resources"), None);
        assert!(Hcl.line_comment("// why", false));
        assert_eq!(suppressions("x = 1 // iamprune:ignore IAM002\n").len(), 1);
    }
}
