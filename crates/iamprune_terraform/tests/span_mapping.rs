//! Property: for JSON held in a quoted HCL string or in a heredoc, the span of every action string
//! covers raw text that decodes (HCL first, then JSON) to exactly the action's value.

use std::path::{Path, PathBuf};

use iamprune_syntax::NodeKind;
use iamprune_terraform::{Options, extract_module};
use proptest::prelude::*;

/// A JSON string literal for `value`.
fn json_string(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Escapes text for an HCL quoted string: backslash escapes, and template sequences doubled.
fn hcl_quote(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Doubles template sequences, the only escape a heredoc has.
fn heredoc_escape(text: &str) -> String {
    text.replace("${", "$${").replace("%{", "%%{")
}

/// Reverses `hcl_quote` (written independently of the extractor's decoder).
fn hcl_unquote(raw: &str) -> String {
    let chars: Vec<char> = raw.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let next = chars.get(i + 1).copied();
        if c == '\\' {
            match next {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
            i += 2;
        } else if (c == '$' || c == '%') && next == Some(c) && chars.get(i + 2) == Some(&'{') {
            // `$${` and `%%{` stand for `${` and `%{`.
            out.push(c);
            i += 2;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn heredoc_unescape(raw: &str) -> String {
    raw.replace("$${", "${").replace("%%{", "%{")
}

#[derive(Debug, Clone, Copy)]
enum Form {
    Quoted,
    Heredoc,
    IndentedHeredoc,
}

fn source(form: Form, actions: &[String]) -> String {
    let list = actions
        .iter()
        .map(|a| json_string(a))
        .collect::<Vec<_>>()
        .join(",\n");
    let json = format!(
        "{{\n\"Statement\": [{{\"Effect\": \"Allow\", \"Action\": [\n{list}\n], \"Resource\": \"*\"}}]\n}}"
    );
    let value = match form {
        Form::Quoted => format!("\"{}\"", hcl_quote(&json)),
        Form::Heredoc => format!("<<EOF\n{}\nEOF", heredoc_escape(&json)),
        Form::IndentedHeredoc => {
            let body: Vec<String> = heredoc_escape(&json)
                .lines()
                .map(|l| format!("      {l}"))
                .collect();
            format!("<<-EOF\n{}\n    EOF", body.join("\n"))
        }
    };
    format!("resource \"aws_iam_policy\" \"p\" {{\n  policy = {value}\n}}\n")
}

fn check(form: Form, actions: &[String]) -> Result<(), TestCaseError> {
    let text = source(form, actions);
    let path = PathBuf::from("/prop/main.tf");
    let extraction = extract_module(
        Path::new("/prop"),
        &[(path, text.clone())],
        &Options {
            root: PathBuf::from("/prop"),
            ..Options::default()
        },
    );
    prop_assert!(
        extraction.errors.is_empty(),
        "{:?}\n{text}",
        extraction.errors
    );
    let site = extraction.sites.first();
    prop_assert!(site.is_some(), "no site in\n{text}");
    let Some(site) = site else { return Ok(()) };
    let elements = site
        .document
        .get("Statement")
        .and_then(|s| s.value.as_array())
        .and_then(|s| s.first())
        .and_then(|s| s.get("Action"))
        .and_then(|a| a.value.as_array())
        .map(<[_]>::to_vec)
        .unwrap_or_default();
    prop_assert_eq!(elements.len(), actions.len());
    for (element, expected) in elements.iter().zip(actions) {
        let raw = element.span.slice(&text).unwrap_or_default();
        let json = match form {
            Form::Quoted => hcl_unquote(raw),
            Form::Heredoc | Form::IndentedHeredoc => heredoc_unescape(raw),
        };
        let decoded: String =
            serde_json::from_str(&json).unwrap_or_else(|_| format!("<not JSON: {json}>"));
        prop_assert_eq!(&decoded, expected);
        prop_assert_eq!(&element.kind, &NodeKind::String(expected.clone()));
    }
    Ok(())
}

fn action() -> impl Strategy<Value = String> {
    const ALPHABET: &[char] = &[
        'a', 'Z', '0', ':', '*', '?', '"', '\\', '/', ' ', 'é', '€', '😀', '\t', '\n', '$', '{',
        '}', '%', '\u{1}',
    ];
    proptest::collection::vec(proptest::sample::select(ALPHABET), 0..12)
        .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #[test]
    fn quoted_spans_are_exact(actions in proptest::collection::vec(action(), 1..5)) {
        check(Form::Quoted, &actions)?;
    }

    #[test]
    fn heredoc_spans_are_exact(actions in proptest::collection::vec(action(), 1..5)) {
        check(Form::Heredoc, &actions)?;
    }

    #[test]
    fn indented_heredoc_spans_are_exact(actions in proptest::collection::vec(action(), 1..5)) {
        check(Form::IndentedHeredoc, &actions)?;
    }
}
