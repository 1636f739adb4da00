//! JSON with a span for every value, on jsonc-parser.

use jsonc_parser::ast::{ObjectPropName, Value};
use jsonc_parser::{CollectOptions, ParseOptions};

use crate::{Member, Node, NodeKind, Span, SyntaxError};

/// Deeper nesting than this is refused before parsing: the parser and the tree walks recurse, and a
/// hostile file of a million `[` must give an error, not overflow the stack. Real policies and templates
/// nest a few dozen levels at most.
pub const MAX_DEPTH: usize = 256;

/// Parses strict JSON (no comments, trailing commas or other JSON5 extensions).
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    let strict = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    // A byte order mark is not JSON, but editors write it; skip it and keep offsets into the full text.
    let (body, shift) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, '\u{feff}'.len_utf8()),
        None => (text, 0),
    };
    if let Some(at) = too_deep(body) {
        return Err(SyntaxError::new(
            Span::new(at + shift, at + shift + 1),
            format!("nested more than {MAX_DEPTH} levels deep"),
        ));
    }
    let parsed =
        jsonc_parser::parse_to_ast(body, &CollectOptions::default(), &strict).map_err(|err| {
            let range = err.range();
            SyntaxError::new(
                Span::new(range.start + shift, range.end + shift),
                err.kind().to_string(),
            )
        })?;
    match parsed.value {
        Some(value) => Ok(convert(&value, shift)),
        None => Err(SyntaxError::new(
            Span::new(shift, shift),
            "the file holds no JSON value",
        )),
    }
}

fn convert(value: &Value<'_>, shift: usize) -> Node {
    let span = |r: jsonc_parser::common::Range| Span::new(r.start + shift, r.end + shift);
    match value {
        Value::StringLit(s) => Node::new(span(s.range), NodeKind::String(s.value.to_string())),
        Value::NumberLit(n) => Node::new(span(n.range), NodeKind::Number(n.value.to_string())),
        Value::BooleanLit(b) => Node::new(span(b.range), NodeKind::Bool(b.value)),
        Value::NullKeyword(n) => Node::new(span(n.range), NodeKind::Null),
        Value::Array(a) => Node::new(
            span(a.range),
            NodeKind::Array(a.elements.iter().map(|e| convert(e, shift)).collect()),
        ),
        Value::Object(o) => Node::new(
            span(o.range),
            NodeKind::Object(
                o.properties
                    .iter()
                    .map(|p| {
                        let (key, key_range) = match &p.name {
                            ObjectPropName::String(s) => (s.value.to_string(), s.range),
                            ObjectPropName::Word(w) => (w.value.to_string(), w.range),
                        };
                        Member {
                            key,
                            key_span: span(key_range),
                            value: convert(&p.value, shift),
                        }
                    })
                    .collect(),
            ),
        ),
    }
}

/// The offset of the first bracket that nests deeper than [`MAX_DEPTH`], skipping string contents.
/// Every JSON file is scanned before it is parsed, and most of a template's bytes are in strings:
/// those are skipped to their closing quote with `memchr`, not looked at byte by byte.
fn too_deep(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => loop {
                // An unterminated string holds the rest of the text: no bracket after it counts.
                let at = i + 1 + memchr::memchr2(b'"', b'\\', bytes.get(i + 1..)?)?;
                if bytes[at] == b'"' {
                    i = at;
                    break;
                }
                // Past the backslash and the character it escapes.
                i = at + 1;
            },
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_values() {
        let text = "{\n  \"Action\": [\"s3:Get*\", \"s3:List*\"], \"n\": 1.50\n}";
        let node = parse(text).unwrap_or_else(|e| panic!("{e}"));
        let action = node.get("Action").map(|m| &m.value);
        let items = action.and_then(Node::as_array).unwrap_or_default();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].span.slice(text), Some("\"s3:Get*\""));
        assert_eq!(items[1].as_str(), Some("s3:List*"));
        assert_eq!(
            node.get("Action").map(|m| m.key_span.slice(text)),
            Some(Some("\"Action\""))
        );
        assert_eq!(
            node.get("n").map(|m| m.value.kind.clone()),
            Some(NodeKind::Number("1.50".into()))
        );
    }

    fn line_column(text: &str, err: Option<SyntaxError>) -> Option<(usize, usize)> {
        let at = crate::LineIndex::new(text).position(err?.span.start);
        Some((at.line, at.column))
    }

    #[test]
    fn errors_have_positions() {
        let text = "{\"a\": [1, 2,]}";
        assert_eq!(line_column(text, parse(text).err()), Some((1, 12)));
        let text = "{\n  \"a\": [1, 2\n";
        let err = parse(text).err();
        assert_eq!(
            err.as_ref().map(ToString::to_string).as_deref(),
            Some("Unterminated array")
        );
        assert_eq!(line_column(text, err), Some((2, 8)));
        assert!(parse("").is_err());
        assert!(parse("// c\n{}").is_err());
    }

    #[test]
    fn bom_keeps_offsets() {
        let text = "\u{feff}{\"a\": \"b\"}";
        let node = parse(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            node.get("a").map(|m| m.value.span.slice(text)),
            Some(Some("\"b\""))
        );
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let text = "[".repeat(100_000);
        let err = parse(&text).err();
        assert_eq!(line_column(&text, err), Some((1, MAX_DEPTH + 1)));
        assert!(parse(&format!("[\"{}\"]", "[".repeat(1000))).is_ok());
    }

    /// [`too_deep`] as it reads, one byte at a time: what the skipping scan must agree with.
    fn too_deep_bytewise(text: &str) -> Option<usize> {
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        for (i, b) in text.bytes().enumerate() {
            if in_string {
                match (escaped, b) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'[' | b'{' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Some(i);
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        None
    }

    #[test]
    fn brackets_in_strings_and_after_escapes() {
        let deep = "[".repeat(MAX_DEPTH);
        for (text, at) in [
            (format!("{deep}\"[\\\\\"["), Some(MAX_DEPTH + 5)),
            (format!("{deep}\"\\\"[\"["), Some(MAX_DEPTH + 5)),
            (format!("{deep}\"\\\"[\\\"["), None),
            (format!("{deep}\"[[["), None),
            (format!("{deep}\\\"["), None),
        ] {
            assert_eq!(too_deep(&text), at, "{text}");
            assert_eq!(too_deep_bytewise(&text), at, "{text}");
        }
    }

    proptest::proptest! {
        #[test]
        fn the_depth_scan_skips_strings_as_a_bytewise_one_does(
            text in "[\\[{\\]}\"\\\\a]{0,40}",
            depth in 250usize..260,
        ) {
            let text = format!("{}{text}", "[".repeat(depth));
            proptest::prop_assert_eq!(too_deep(&text), too_deep_bytewise(&text));
        }

        #[test]
        fn never_panics(text in "\\PC{0,64}") {
            let _ = parse(&text);
        }

        #[test]
        fn never_panics_on_json_like(text in "[\\[\\]{}\":,a-z0-9 \\\\]{0,64}") {
            let _ = parse(&text);
        }
    }
}
