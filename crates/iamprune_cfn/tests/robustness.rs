//! Edit-like damage to real templates (truncation, stray `!`, `[`, `"`, `:`) never panics the YAML
//! parser or the extractor.

use std::path::Path;

use iamprune_cfn::{Options, extract_file, yaml};
use proptest::prelude::*;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/cfn")
        .join(name);
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Cuts `text` at `cut` and inserts `insert` at `at` (both taken modulo the length, moved back to
/// a character boundary).
fn damage(text: &str, cut: usize, at: usize, insert: &str) -> String {
    let boundary = |mut i: usize| {
        while i > 0 && !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let len = text.len().max(1);
    let cut = boundary(cut % (len + 1)).max(1).min(text.len());
    let kept = text.get(..cut).unwrap_or(text);
    let at = {
        let mut i = (at % (kept.len() + 1)).min(kept.len());
        while i > 0 && !kept.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    format!(
        "{}{insert}{}",
        kept.get(..at).unwrap_or_default(),
        kept.get(at..).unwrap_or_default()
    )
}

const FILES: [&str; 6] = [
    "role_inline.yaml",
    "string_policies.yaml",
    "sam_function.yaml",
    "anchors_nested.yaml",
    "iam_resources.json",
    "string_policies.json",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn damaged_templates_never_panic(
        file in 0..FILES.len(),
        cut in any::<usize>(),
        at in any::<usize>(),
        insert in prop::sample::select(vec!["!", "[", "\"", ":", "[!", "!Sub ,", "{", "'", "\\", "&a", "*a", "\t", "- ", "\n  x: !If"]),
        repeat in 1usize..4,
    ) {
        let name = FILES.get(file).copied().unwrap_or("role_inline.yaml");
        let text = damage(&fixture(name), cut, at, &insert.repeat(repeat));
        let _ = yaml::parse(&text);
        let options = Options { stack_name: Some("s".into()), ..Options::default() };
        let _ = extract_file(Path::new(name), &text, &options);
        // The same text read as the other syntax, too.
        let other = if name.ends_with(".json") { "x.yaml" } else { "x.json" };
        let _ = extract_file(Path::new(other), &text, &options);
    }

    #[test]
    fn arbitrary_yaml_like_text_never_panics(text in "[-:!\\[\\]{}\"'&*|>#, \\n\\ta-zA-Z0-9]{0,80}") {
        let _ = yaml::parse(&text);
        let _ = extract_file(Path::new("t.yaml"), &format!("Resources:\n{text}"), &Options::default());
    }
}

#[test]
fn known_hard_inputs() {
    for text in [
        "[!,",
        "!",
        "&a [*a]",
        "a: !Sub\n",
        "{\"Statement\": [",
        "AWSTemplateFormatVersion: x\nResources: !Ref\n",
        "- !GetAtt\n",
        "\u{feff}",
    ] {
        let _ = yaml::parse(text);
        let _ = extract_file(Path::new("t.yaml"), text, &Options::default());
        let _ = extract_file(Path::new("t.json"), text, &Options::default());
    }
}
