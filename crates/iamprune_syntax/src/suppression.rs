//! Inline suppressions as a format writes them: `iamprune:ignore IAM002 reason="..."` in a line
//! comment, on the line it covers or alone on the line above a construct. Each format says how its
//! comments start (and CloudFormation adds its resource metadata); the linter maps the names to rules.

use crate::Span;

/// The word that starts a suppression.
pub const MARKER: &str = "iamprune:ignore";

/// One suppression as written: the rule names are not checked here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Where the suppression is written.
    pub at: Span,
    /// What it covers.
    pub covers: Span,
    /// The rules it names, as written; empty for every rule.
    pub names: Vec<String>,
    pub reason: Option<String>,
}

/// The suppressions in the line comments of a text whose comments start with one of `markers`
/// (`#`, `//`). A comment after code covers the construct on its line; a comment alone on its line
/// covers the construct on the next line that holds code. A construct runs while the brackets opened
/// on its first line are open, or while the lines after it are indented deeper.
pub fn line_comments(text: &str, markers: &[&str]) -> Vec<Directive> {
    let lines = lines(text);
    let mut out = Vec::new();
    for (index, &(start, line)) in lines.iter().enumerate() {
        let Some(marker) = line.find(MARKER) else {
            continue;
        };
        let before = line[..marker].trim_end();
        let Some(code_part) = markers.iter().find_map(|m| before.strip_suffix(m)) else {
            continue;
        };
        let is_code = |l: &str| {
            let t = l.trim_start();
            !t.is_empty() && !markers.iter().any(|m| t.starts_with(m))
        };
        let first = if code_part.trim().is_empty() {
            lines[index + 1..]
                .iter()
                .position(|(_, l)| is_code(l))
                .map(|offset| index + 1 + offset)
        } else {
            Some(index)
        };
        let Some(first) = first else {
            continue;
        };
        let last = construct_end(&lines, first);
        let (names, reason) = parse(&line[marker + MARKER.len()..]);
        out.push(Directive {
            at: Span::new(start + marker, start + line.trim_end().len()),
            covers: Span::new(lines[first].0, lines[last].0 + lines[last].1.len()),
            names,
            reason,
        });
    }
    out
}

/// `IAM002, IAM011 reason="…"` → the names and the reason.
pub fn parse(text: &str) -> (Vec<String>, Option<String>) {
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
    let names = codes
        .split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    (names, reason)
}

/// Each line's start and its text without the line break.
fn lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        out.push((start, line.trim_end_matches(['\n', '\r'])));
        start += line.len();
    }
    out
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

    fn covered(text: &str) -> Vec<(String, Vec<String>, Option<String>)> {
        line_comments(text, &["#", "//"])
            .into_iter()
            .map(|d| (text[d.covers.range()].to_string(), d.names, d.reason))
            .collect()
    }

    #[test]
    fn trailing_comment_covers_its_line() {
        let text = "Action:\n  - s3:Get*   # iamprune:ignore IAM002 reason=\"batch reads\"\n  - s3:List*\n";
        assert_eq!(
            covered(text),
            [(
                "  - s3:Get*   # iamprune:ignore IAM002 reason=\"batch reads\"".to_string(),
                vec!["IAM002".to_string()],
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
        assert_eq!(got[0].1, ["IAM001", "IAM002"]);
        let yaml = "Statement:\n  # iamprune:ignore\n  - Effect: Allow\n    Action: s3:*\n  - Effect: Deny\n";
        assert_eq!(covered(yaml)[0].0, "  - Effect: Allow\n    Action: s3:*");
        assert!(covered(yaml)[0].1.is_empty());
    }

    #[test]
    fn strings_and_other_comment_styles_are_not_suppressions() {
        assert!(line_comments("description = \"iamprune:ignore\"\n", &["#"]).is_empty());
        assert!(line_comments("x: 1 // iamprune:ignore\n", &["#"]).is_empty());
        assert_eq!(
            line_comments("x: 1 // iamprune:ignore\n", &["#", "//"]).len(),
            1
        );
    }
}
