use super::*;

fn tree(text: &str) -> YamlTree {
    parse(text).unwrap_or_else(|e| panic!("{e}"))
}

fn slice<'a>(text: &'a str, node: &Node) -> &'a str {
    node.span.slice(text).unwrap_or("<bad span>")
}

fn at<'a>(node: &'a Node, path: &[&str]) -> &'a Node {
    let mut node = node;
    for key in path {
        node = match key.parse::<usize>() {
            Ok(i) => node.as_array().and_then(|a| a.get(i)),
            Err(_) => node.get(key).map(|m| &m.value),
        }
        .unwrap_or_else(|| panic!("no {key} in {node:?}"));
    }
    node
}

#[test]
fn offsets_are_bytes_after_non_ascii_text() {
    let text =
        "Description: Zürich — 日本語 😀\nAction:\n  - s3:GetObject\n  - \"iam:PassRole\"   # c\n";
    let t = tree(text);
    let first = at(&t.root, &["Action", "0"]);
    assert_eq!(slice(text, first), "s3:GetObject");
    assert_eq!(first.as_str(), Some("s3:GetObject"));
    assert_eq!(
        slice(text, at(&t.root, &["Action", "1"])),
        "\"iam:PassRole\""
    );
    assert_eq!(
        at(&t.root, &["Action"]).span.slice(text),
        Some("- s3:GetObject\n  - \"iam:PassRole\"")
    );
}

#[test]
fn short_tags_become_intrinsics() {
    let text = "A: !Sub \"${X}:List*\"\nB: !GetAtt Role.Arn\nC: !If\n  - Cond\n  - !Ref R\n  - [a, b]\nD: !Equals [a, b]\nE: !Rain::Module x\n";
    let t = tree(text);
    let a = at(&t.root, &["A"]);
    assert_eq!(slice(text, a), "!Sub \"${X}:List*\"");
    assert_eq!(a.as_object().map(|m| m[0].key.as_str()), Some("Fn::Sub"));
    assert_eq!(
        a.as_object().map(|m| slice(text, &m[0].value)),
        Some("\"${X}:List*\"")
    );
    let b = at(&t.root, &["B", "Fn::GetAtt"]);
    assert_eq!(at(b, &["0"]).as_str(), Some("Role"));
    assert_eq!(slice(text, at(b, &["1"])), "Arn");
    let c = at(&t.root, &["C"]);
    assert_eq!(slice(text, c), "!If\n  - Cond\n  - !Ref R\n  - [a, b]");
    assert_eq!(slice(text, at(c, &["Fn::If", "1"])), "!Ref R");
    assert_eq!(at(c, &["Fn::If", "1", "Ref"]).as_str(), Some("R"));
    assert_eq!(slice(text, at(&t.root, &["D"])), "!Equals [a, b]");
    assert!(at(&t.root, &["E"]).get("Fn::Rain::Module").is_some());
    let cond = tree("X: !Condition IsProd\n");
    assert!(at(&cond.root, &["X"]).get("Condition").is_some());
}

#[test]
fn anchors_duplicates_bom_crlf() {
    let text = "\u{feff}A: &x [s3:Get*]\r\nB: *x\r\nA: 2\r\n";
    let t = tree(text);
    assert_eq!(slice(text, at(&t.root, &["A", "0"])), "s3:Get*");
    assert_eq!(at(&t.root, &["B", "0"]).as_str(), Some("s3:Get*"));
    assert_eq!(t.duplicate_keys.len(), 1);
    assert_eq!(t.root.as_object().map(<[Member]>::len), Some(3));
}

/// Small mappings compare their keys one by one, large ones through an index: both find every
/// second occurrence, at its place, whichever side of the switch it falls on.
#[test]
fn duplicate_keys_in_small_and_large_mappings() {
    for size in [3, super::SCANNED_KEYS - 1, super::SCANNED_KEYS, 40] {
        let mut text: String = (0..size).map(|i| format!("k{i}: {i}\n")).collect();
        text.push_str("k0: again\nk1: again\nk0: thrice\n");
        let t = tree(&text);
        let found: Vec<(&str, &str)> = t
            .duplicate_keys
            .iter()
            .map(|(key, span)| (key.as_str(), span.slice(&text).unwrap_or_default()))
            .collect();
        assert_eq!(
            found,
            [("k0", "k0"), ("k1", "k1"), ("k0", "k0")],
            "{size} keys"
        );
        let starts: Vec<usize> = t.duplicate_keys.iter().map(|(_, s)| s.start).collect();
        let tail = text.len() - "k0: again\nk1: again\nk0: thrice\n".len();
        assert_eq!(starts, [tail, tail + 10, tail + 20], "{size} keys");
        assert_eq!(t.root.as_object().map(<[Member]>::len), Some(size + 3));
    }
}

#[test]
fn scalars_are_typed() {
    let t = tree("a: 1\nb: true\nc: ~\nd: 2012-10-17\ne: '1'\nf: !!str 2\n");
    assert_eq!(at(&t.root, &["a"]).kind, NodeKind::Number("1".into()));
    assert_eq!(at(&t.root, &["b"]).kind, NodeKind::Bool(true));
    assert_eq!(at(&t.root, &["c"]).kind, NodeKind::Null);
    assert_eq!(at(&t.root, &["d"]).as_str(), Some("2012-10-17"));
    assert_eq!(at(&t.root, &["e"]).as_str(), Some("1"));
    assert_eq!(at(&t.root, &["f"]).as_str(), Some("2"));
}

#[test]
fn errors_have_line_and_column() {
    let line = |text: &str| {
        let err = parse(text).err()?;
        Some(
            iamprune_syntax::LineIndex::new(text)
                .position(err.span.start)
                .line,
        )
    };
    let unclosed = line("a:\n  b: [1, 2\nc: d\n");
    assert!(unclosed.is_some_and(|l| l >= 2), "{unclosed:?}");
    assert_eq!(line("a: *nope\n"), Some(1));
    assert!(parse("a:\tb\n\tc: d\n").is_err());
}

/// The tree is built while the text is parsed, but a syntax error is still the one reported when
/// the tree failed first: it is the one to fix.
#[test]
fn a_syntax_error_outranks_an_earlier_tree_error() {
    let text = "a: *nope\nb: [1, 2\nc: d\n";
    let err = parse(text).err().map(|e| e.message);
    assert!(
        err.as_deref().is_some_and(|m| !m.contains("alias")),
        "{err:?}"
    );
    let err = parse("a: *nope\nb: [1, 2]\n").err().map(|e| e.message);
    assert_eq!(err.as_deref(), Some("unknown alias `*nope`"));
}

#[test]
fn json_style_flow_mapping_closed_at_key_indentation() {
    let text =
        "R:\n  PolicyDocument: {\n    \"Statement\": [ {\"Action\": \"s3:Get*\"} ]\n  }\nS: 1\n";
    let t = tree(text);
    assert_eq!(
        slice(
            text,
            at(
                &t.root,
                &["R", "PolicyDocument", "Statement", "0", "Action"]
            )
        ),
        "\"s3:Get*\""
    );
}

#[test]
fn limits() {
    let deep = format!("{}1{}", "[".repeat(1000), "]".repeat(1000));
    assert!(parse(&deep).is_err());
    let mut laughs = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 0..12 {
        laughs.push_str(&format!("b{i}: &b{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n", prev = if i == 0 { "a".to_string() } else { format!("b{}", i - 1) }));
    }
    assert!(parse(&laughs).is_err());
    assert!(parse("").is_ok());
}

#[test]
fn multi_line_flow_sequences() {
    let text = "S:\n  - Action: [\n      \"s3:Get*\",\n      s3:List*\n    ]\n    Effect: Allow\n";
    let t = tree(text);
    let action = at(&t.root, &["S", "0", "Action"]);
    assert_eq!(
        slice(text, action),
        "[\n      \"s3:Get*\",\n      s3:List*\n    ]"
    );
    assert_eq!(slice(text, at(action, &["1"])), "s3:List*");
    assert_eq!(at(&t.root, &["S", "0", "Effect"]).as_str(), Some("Allow"));
}
