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

/// The edit that suppresses `rule` at `span` of a site written in `syntax`: a comment
/// `iamprune:ignore CODE reason="…"` alone on the line above, at that line's indentation, for the user
/// to give the reason. `None` where the format has no line comments (JSON, JSON in a string), or where
/// the comment would not cover the place once written. Costs the length of the place's line, not of
/// the file: an editor asks for it whenever the cursor moves.
pub fn ignore_edit(
    text: &str,
    syntax: &iamprune_policy::Syntax,
    rule: Rule,
    span: Span,
) -> Option<crate::Edit> {
    let comment = crate::edits::spelling(syntax).line_comment_start()?;
    let line_start = text.get(..span.start)?.rfind('\n').map_or(0, |at| at + 1);
    let line = text.get(line_start..)?.split('\n').next().unwrap_or("");
    let indent: String = line
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let newline = if line.ends_with('\r') { "\r\n" } else { "\n" };
    let content = format!(
        "{indent}{comment} {MARKER} {} reason=\"{REASON_TO_WRITE}\"{newline}",
        rule.code()
    );
    // Written, the comment must cover the place, as a check reads comments. The comment covers from
    // the line below it on, so the text from its line to the end of the place's line tells.
    let line_end = text
        .get(span.start..)?
        .find('\n')
        .map_or(text.len(), |at| span.start + at + 1);
    let written = format!("{content}{}", text.get(line_start..line_end)?);
    let moved = span.start - line_start + content.len();
    let covers = iamprune_syntax::suppression::line_comments(&written, &[comment])
        .iter()
        .any(|d| {
            d.at.end <= content.len()
                && d.covers.start <= moved
                && moved < d.covers.end.max(d.covers.start + 1)
                && d.names == [rule.code()]
        });
    covers.then(|| crate::Edit::replace(Span::new(line_start, line_start), content))
}

/// What an "ignore here" comment says until the user writes why.
pub const REASON_TO_WRITE: &str = "TODO: say why";

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
    fn an_ignore_comment_is_written_above_in_the_file_s_syntax() {
        use iamprune_policy::Syntax;
        let text = "policy:\r\n  Action:\r\n    - s3:Get*\r\n";
        let at = text.find("s3:Get*").unwrap_or_default();
        let span = Span::new(at, at + 7);
        let edit = ignore_edit(text, &Syntax::Yaml, Rule::WildcardGrantsUnused, span);
        let Some(edit) = edit else {
            panic!("no edit for YAML");
        };
        assert_eq!(
            edit.span,
            Span::new(
                text.find("    -").unwrap_or_default(),
                text.find("    -").unwrap_or_default()
            )
        );
        assert_eq!(
            edit.content,
            "    # iamprune:ignore IAM002 reason=\"TODO: say why\"\r\n"
        );
        let hcl = "actions = [\n  \"s3:Get*\", # why\n]\n";
        let at = hcl.find("\"s3").unwrap_or_default();
        let edit = ignore_edit(
            hcl,
            &Syntax::Hcl,
            Rule::WildcardGrantsUnused,
            Span::new(at, at + 9),
        );
        assert!(edit.is_some_and(|e| e.content.starts_with("  # iamprune:ignore IAM002")));
        // A SAM policy template's statements take the comments of the YAML around them.
        let sam = "Policies:\n  - S3CrudPolicy:\n      BucketName: b\n";
        let at = sam.find("S3CrudPolicy").unwrap_or_default();
        let edit = ignore_edit(
            sam,
            &Syntax::Expanded(Box::new(iamprune_policy::Expansion {
                around: Syntax::Yaml,
                span: Span::new(at, at + 12),
                statements: None,
            })),
            Rule::UnusedAction,
            Span::new(at, at + 12),
        );
        assert!(
            edit.is_some_and(
                |e| e.content == "  # iamprune:ignore IAM001 reason=\"TODO: say why\"\n"
            )
        );
        // JSON has no comments.
        assert!(
            ignore_edit(
                "{}",
                &Syntax::Json,
                Rule::WildcardGrantsUnused,
                Span::new(0, 1)
            )
            .is_none()
        );
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
