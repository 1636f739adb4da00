//! The extractor runs in an editor on half-typed buffers: no input may make it panic or overflow.

use std::path::{Path, PathBuf};

use iamprune_terraform::{Options, extract_module};
use proptest::prelude::*;

fn extract(text: &str) {
    let dir = Path::new("/robust");
    let _ = extract_module(
        dir,
        &[(dir.join("main.tf"), text.to_string())],
        &Options {
            root: PathBuf::from("/robust"),
            ..Options::default()
        },
    );
}

/// Every prefix of every fixture file, as if typed up to there.
#[test]
fn every_prefix_of_the_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/terraform");
    for dir in [
        "jsonencode",
        "heredoc",
        "quoted",
        "policy_document",
        "locals",
    ] {
        let Ok(text) = std::fs::read_to_string(root.join(dir).join("main.tf")) else {
            panic!("fixture {dir} missing");
        };
        for (end, _) in text.char_indices().step_by(3) {
            extract(text.get(..end).unwrap_or_default());
        }
    }
}

#[test]
fn hostile_nesting_is_an_error() {
    let deep = format!("x = {}", "[".repeat(100_000));
    let dir = Path::new("/robust");
    let extraction = extract_module(
        dir,
        &[(dir.join("main.tf"), deep)],
        &Options {
            root: PathBuf::from("/robust"),
            ..Options::default()
        },
    );
    assert_eq!(extraction.errors.len(), 1);
}

/// A CRLF file whose last line is `}\r` (its `\n` lost) reads as Terraform reads it, with its sites
/// at the same places as in the file with a final line break.
#[test]
fn a_crlf_file_ending_in_a_lone_carriage_return_is_read() {
    let whole = "resource \"aws_iam_policy\" \"p\" {\r\n  name = \"p\"\r\n  policy = jsonencode({\r\n    \
                 Version = \"2012-10-17\"\r\n    Statement = [{\r\n      Effect = \"Allow\"\r\n      \
                 Action = [\"s3:GetObject\"]\r\n      Resource = \"*\"\r\n    }]\r\n  })\r\n}\r\n";
    let dir = Path::new("/robust");
    let read = |text: &str| {
        extract_module(
            dir,
            &[(dir.join("main.tf"), text.to_string())],
            &Options {
                root: PathBuf::from("/robust"),
                ..Options::default()
            },
        )
    };
    let full = read(whole);
    let cut = read(whole.trim_end_matches('\n'));
    assert!(cut.errors.is_empty(), "{:?}", cut.errors);
    assert_eq!(cut.sites.len(), 1);
    let spans = |e: &iamprune_terraform::Extraction| -> Vec<_> {
        e.sites.iter().map(|s| s.document.span).collect()
    };
    assert_eq!(spans(&cut), spans(&full));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Random sequences of Terraform-ish tokens.
    #[test]
    fn token_soup(tokens in proptest::collection::vec(proptest::sample::select(&[
        "resource", "data", "\"aws_iam_policy\"", "\"aws_iam_policy_document\"", "\"x\"", "{", "}", "[", "]",
        "(", ")", "=", ",", "\n", "policy", "jsonencode", "Statement", "Action", "\"s3:*\"", "<<EOF\n",
        "<<-EOF\n", "\nEOF\n", "${", "%{", "\\\"", "\"", "statement", "actions", "dynamic", "local.x",
        "data.aws_iam_policy_document.x.json", "file(\"a.json\")", "\u{feff}", "é", "#", "//", "/*",
    ][..]), 0..60)) {
        extract(&tokens.concat());
    }
}

/// A byte order mark is skipped, and every span moves by its three bytes.
#[test]
fn byte_order_mark_shifts_spans() {
    let text = "resource \"aws_iam_policy\" \"p\" {\n  policy = <<EOF\n{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:Get*\", \"Resource\": \"*\"}]}\nEOF\n}\n";
    let dir = Path::new("/robust");
    let run = |t: String| {
        extract_module(
            dir,
            &[(dir.join("main.tf"), t)],
            &Options {
                root: PathBuf::from("/robust"),
                ..Options::default()
            },
        )
    };
    let plain = run(text.to_string());
    let marked = run(format!("\u{feff}{text}"));
    assert!(plain.errors.is_empty() && marked.errors.is_empty());
    let spans = |e: &iamprune_terraform::Extraction| {
        e.sites
            .iter()
            .map(|s| (s.owner_span, s.document.span))
            .collect::<Vec<_>>()
    };
    let shifted: Vec<_> = spans(&plain)
        .into_iter()
        .map(|(a, b)| (a.shifted(3), b.shifted(3)))
        .collect();
    assert_eq!(spans(&marked), shifted);
    assert_eq!(shifted.len(), 1);
}
