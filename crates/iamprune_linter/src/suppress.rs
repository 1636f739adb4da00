//! Inline suppressions: `# iamprune:ignore IAM002 reason="..."` in HCL and YAML (on the element's line,
//! or on its own line above an element, statement or resource), and for templates
//! `Metadata: {"iamprune": {"ignore": ["IAM002"]}}` on the resource. Each format finds its own (see
//! [`iamprune_syntax::suppression`]); here they are tied to rules and applied. A suppression covers only
//! the rules it names (all rules when it names none), and one that suppresses nothing is reported.

use std::path::{Path, PathBuf};

use iamprune_syntax::Span;
use iamprune_syntax::suppression::{Directive, MARKER};

use crate::diagnostic::Diagnostic;
use crate::files::FileKind;
use crate::rules::Rule;
use crate::{Level, Message};

/// One suppression and the byte range it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub file: PathBuf,
    /// Where the suppression is written.
    pub at: Span,
    /// What it covers.
    pub covers: Span,
    /// Empty: every rule.
    pub rules: Vec<Rule>,
    pub reason: Option<String>,
}

/// The suppressions of a file, as its format writes them, and errors for names of no rule.
pub fn of_file(file: &Path, text: &str) -> (Vec<Suppression>, Vec<Message>) {
    let json_name = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let directives = match FileKind::of(file) {
        Some(FileKind::Terraform) if !json_name => iamprune_terraform::suppressions(text),
        Some(_) => iamprune_cfn::suppressions(text),
        // A text a module reads with `file()` or `templatefile()`.
        None => iamprune_terraform::suppressions(text),
    };
    let mut messages = Vec::new();
    let suppressions = directives
        .into_iter()
        .map(|directive| to_rules(file, directive, &mut messages))
        .collect();
    (suppressions, messages)
}

fn to_rules(file: &Path, directive: Directive, messages: &mut Vec<Message>) -> Suppression {
    let mut rules = Vec::new();
    for name in &directive.names {
        match Rule::find(name) {
            Some(rule) => rules.push(rule),
            None => messages.push(Message {
                level: Level::Error,
                file: file.to_path_buf(),
                span: Some(directive.at),
                message: format!("`{MARKER}` names no rule `{name}`"),
            }),
        }
    }
    Suppression {
        file: file.to_path_buf(),
        at: directive.at,
        covers: directive.covers,
        rules,
        reason: directive.reason,
    }
}

/// Removes the diagnostics the suppressions cover; reports suppressions that covered nothing.
pub fn apply(
    diagnostics: &mut Vec<Diagnostic>,
    suppressions: &[Suppression],
    messages: &mut Vec<Message>,
) {
    let mut used = vec![false; suppressions.len()];
    diagnostics.retain(|d| {
        let hit = suppressions.iter().position(|s| {
            s.file == d.file
                && s.covers.start <= d.span.start
                && d.span.start < s.covers.end.max(s.covers.start + 1)
                && (s.rules.is_empty() || s.rules.contains(&d.rule))
        });
        if let Some(i) = hit {
            used[i] = true;
        }
        hit.is_none()
    });
    for (suppression, used) in suppressions.iter().zip(used) {
        if !used {
            let what = if suppression.rules.is_empty() {
                "any rule".to_string()
            } else {
                suppression
                    .rules
                    .iter()
                    .map(|r| r.code())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            messages.push(Message {
                level: Level::Note,
                file: suppression.file.clone(),
                span: Some(suppression.at),
                message: format!(
                    "unused suppression: nothing of {what} is reported here; remove it"
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_no_rule_are_errors_and_the_rest_still_suppress() {
        let (s, m) = of_file(
            Path::new("main.tf"),
            "x = 1 # iamprune:ignore IAM999, IAM002\n",
        );
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].rules, [Rule::WildcardGrantsUnused]);
        assert_eq!(m.len(), 1);
        assert!(m[0].message.contains("IAM999"), "{}", m[0].message);
    }

    #[test]
    fn each_format_finds_its_own() {
        // `//` is a comment in HCL only.
        let text = "x = 1 // iamprune:ignore\n";
        assert_eq!(of_file(Path::new("main.tf"), text).0.len(), 1);
        assert!(of_file(Path::new("t.yaml"), text).0.is_empty());
        // A Terraform JSON file has no comments.
        assert!(
            of_file(Path::new("main.tf.json"), "{\"a\": \"# iamprune:ignore\"}")
                .0
                .is_empty()
        );
    }
}
