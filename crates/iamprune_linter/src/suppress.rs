//! Inline suppressions: `# iamprune:ignore IAM002 reason="..."` in HCL and YAML (on the element's line,
//! or on its own line above an element, statement or resource), and for JSON templates
//! `Metadata: {"iamprune": {"ignore": ["IAM002"]}}` on the resource. A suppression covers only the
//! rules it names (all rules when it names none), and one that suppresses nothing is reported.

use std::path::{Path, PathBuf};

use iamprune_syntax::{Node, NodeKind, Span};

use crate::diagnostic::Diagnostic;
use crate::rules::Rule;
use crate::{Level, Message};

const MARKER: &str = "iamprune:ignore";

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

/// The comment suppressions of a text, and messages for ones that name unknown rules.
pub fn from_comments(file: &Path, text: &str) -> (Vec<Suppression>, Vec<Message>) {
    let mut suppressions = Vec::new();
    let mut messages = Vec::new();
    let lines: Vec<(usize, &str)> = line_starts(text);
    for (index, &(start, line)) in lines.iter().enumerate() {
        let Some(marker) = line.find(MARKER) else {
            continue;
        };
        let before = line[..marker].trim_end();
        let Some(code_part) = before
            .strip_suffix('#')
            .or_else(|| before.strip_suffix("//"))
        else {
            continue;
        };
        let at = Span::new(start + marker, start + line.trim_end().len());
        let (rules, reason, unknown) = parse_directive(&line[marker + MARKER.len()..]);
        for name in unknown {
            messages.push(Message {
                level: Level::Error,
                file: file.to_path_buf(),
                span: Some(at),
                message: format!("`{MARKER}` names no rule `{name}`"),
            });
        }
        // A comment after code covers the construct on its own line; a comment alone on its line covers
        // the construct on the next line that holds code.
        let first = if code_part.trim().is_empty() {
            lines[index + 1..]
                .iter()
                .position(|(_, l)| !is_blank_or_comment(l))
                .map(|offset| index + 1 + offset)
        } else {
            Some(index)
        };
        let Some(first) = first else {
            continue;
        };
        let last = construct_end(&lines, first);
        let covers = Span::new(lines[first].0, lines[last].0 + lines[last].1.len());
        suppressions.push(Suppression {
            file: file.to_path_buf(),
            at,
            covers,
            rules,
            reason,
        });
    }
    (suppressions, messages)
}

/// `Metadata.iamprune.ignore` on the resources of a CloudFormation template tree.
pub fn from_metadata(file: &Path, template: &Node) -> Vec<Suppression> {
    let Some(resources) = template.get("Resources").and_then(|m| m.value.as_object()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for resource in resources {
        let Some(ignore) = resource
            .value
            .get("Metadata")
            .and_then(|m| m.value.get("iamprune"))
            .and_then(|m| m.value.get("ignore"))
        else {
            continue;
        };
        let names: Vec<&str> = match &ignore.value.kind {
            NodeKind::String(s) => vec![s.as_str()],
            NodeKind::Array(items) => items.iter().filter_map(Node::as_str).collect(),
            _ => Vec::new(),
        };
        let reason = resource
            .value
            .get("Metadata")
            .and_then(|m| m.value.get("iamprune"))
            .and_then(|m| m.value.get("reason"))
            .and_then(|m| m.value.as_str())
            .map(str::to_string);
        out.push(Suppression {
            file: file.to_path_buf(),
            at: ignore.key_span,
            covers: Span::new(resource.key_span.start, resource.value.span.end),
            rules: names.iter().filter_map(|n| Rule::find(n)).collect(),
            reason,
        });
    }
    out
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

/// `IAM002, IAM011 reason="…"` → rules, reason, unknown names.
fn parse_directive(text: &str) -> (Vec<Rule>, Option<String>, Vec<String>) {
    let (codes, reason) = match text.find("reason=") {
        Some(at) => {
            let raw = text[at + "reason=".len()..].trim();
            let reason = raw
                .strip_prefix('"')
                .and_then(|r| r.split('"').next())
                .unwrap_or(raw)
                .to_string();
            (&text[..at], Some(reason))
        }
        None => (text, None),
    };
    let mut rules = Vec::new();
    let mut unknown = Vec::new();
    for name in codes
        .split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        match Rule::find(name) {
            Some(rule) => rules.push(rule),
            None => unknown.push(name.to_string()),
        }
    }
    (rules, reason, unknown)
}

fn line_starts(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        out.push((start, line.trim_end_matches(['\n', '\r'])));
        start += line.len();
    }
    out
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#') || t.starts_with("//")
}

/// The last line of the construct that starts on line `first`: while brackets opened there are open,
/// or (for YAML) while following lines are indented deeper.
fn construct_end(lines: &[(usize, &str)], first: usize) -> usize {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let base = indent(lines[first].1);
    let mut depth = bracket_balance(lines[first].1);
    let mut last = first;
    for (i, &(_, line)) in lines.iter().enumerate().skip(first + 1) {
        if depth > 0 {
            depth += bracket_balance(line);
            last = i;
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        if indent(line) > base && !line.trim_start().starts_with(['}', ']', ')']) {
            depth += bracket_balance(line);
            last = i;
        } else {
            break;
        }
    }
    last
}

/// Openers minus closers outside double-quoted strings and comments.
fn bracket_balance(line: &str) -> i64 {
    let mut balance = 0;
    let mut in_string = false;
    let mut escaped = false;
    for c in line.chars() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '#' => break,
            '{' | '[' | '(' => balance += 1,
            '}' | ']' | ')' => balance -= 1,
            _ => {}
        }
    }
    balance
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covered(text: &str) -> Vec<(String, Vec<Rule>, Option<String>)> {
        from_comments(Path::new("f"), text)
            .0
            .into_iter()
            .map(|s| (text[s.covers.range()].to_string(), s.rules, s.reason))
            .collect()
    }

    #[test]
    fn trailing_comment_covers_its_line() {
        let text = "Action:\n  - s3:Get*   # iamprune:ignore IAM002 reason=\"batch reads\"\n  - s3:List*\n";
        assert_eq!(
            covered(text),
            [(
                "  - s3:Get*   # iamprune:ignore IAM002 reason=\"batch reads\"".to_string(),
                vec![Rule::WildcardGrantsUnused],
                Some("batch reads".to_string())
            )]
        );
    }

    #[test]
    fn comment_above_covers_the_next_construct() {
        let text = "# iamprune:ignore IAM001, IAM002\nresource \"a\" \"b\" {\n  x = [\n    \"s3:Get*\",\n  ]\n}\nresource \"c\" \"d\" {}\n";
        let got = covered(text);
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].0,
            "resource \"a\" \"b\" {\n  x = [\n    \"s3:Get*\",\n  ]\n}"
        );
        assert_eq!(got[0].1, [Rule::UnusedAction, Rule::WildcardGrantsUnused]);
        let yaml = "Statement:\n  # iamprune:ignore\n  - Effect: Allow\n    Action: s3:*\n  - Effect: Deny\n";
        assert_eq!(covered(yaml)[0].0, "  - Effect: Allow\n    Action: s3:*");
        assert!(covered(yaml)[0].1.is_empty());
    }

    #[test]
    fn unknown_rules_are_errors_and_strings_are_not_comments() {
        let (s, m) = from_comments(Path::new("f"), "x = 1 # iamprune:ignore IAM999\n");
        assert_eq!(s.len(), 1);
        assert_eq!(m.len(), 1);
        let (s, _) = from_comments(Path::new("f"), "description = \"iamprune:ignore\"\n");
        assert!(s.is_empty());
    }
}
