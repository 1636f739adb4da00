//! JSON with a span for every value, on jiter: its iterator reads each value where it stands, and the
//! spans are the offsets it stands at before and after.

use jiter::{Jiter, JiterError, JiterErrorType, JsonErrorType, Peek};

use crate::{Member, Node, NodeKind, Span, SyntaxError};

/// Deeper nesting than this is refused before parsing: the parser and the tree walks recurse, and a
/// hostile file of a million `[` must give an error, not overflow the stack. Real policies and templates
/// nest a few dozen levels at most.
pub const MAX_DEPTH: usize = 256;

/// Parses strict JSON (no comments, trailing commas, `NaN` or other JSON5 extensions).
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    // A byte order mark is not JSON, but editors write it; skip it and keep offsets into the full text.
    let (body, shift) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, '\u{feff}'.len_utf8()),
        None => (text, 0),
    };
    let fail = |Failed {
                    at, message, place, ..
                }: Failed| {
        // jiter stops at the byte it could not take; a comma is missing, or one too many, before it.
        let before = body.as_bytes().get(..at).unwrap_or_default();
        let after_value = before
            .iter()
            .rposition(|&b| !is_space(b))
            .map_or(0, |i| i + 1);
        let span = match place {
            Place::Here => Span::new(at, at),
            Place::TrailingComma => Span::new(after_value.saturating_sub(1), after_value),
            Place::AfterValue => Span::new(after_value, after_value),
        };
        SyntaxError::new(Span::new(span.start + shift, span.end + shift), message)
    };
    if let Some(at) = too_deep(body) {
        return Err(SyntaxError::new(
            Span::new(at + shift, at + shift + 1),
            format!("nested more than {MAX_DEPTH} levels deep"),
        ));
    }
    if body.bytes().all(is_space) {
        return Err(SyntaxError::new(
            Span::new(shift, shift),
            "the file holds no JSON value",
        ));
    }
    let mut reader = Reader {
        jiter: Jiter::new(body.as_bytes()),
        text: body.as_bytes(),
        shift,
    };
    let peek = reader.jiter.peek().map_err(Failed::from).map_err(fail)?;
    let node = reader.value(peek).map_err(fail)?;
    reader.jiter.finish().map_err(Failed::from).map_err(fail)?;
    Ok(node)
}

/// JSON's white space.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Where parsing stopped, and why, in the text after any byte order mark.
struct Failed {
    at: usize,
    message: String,
    /// The text ended inside a string, array or object that has not yet been named as the one left
    /// open: the innermost one names itself, which says more than the end of the file does.
    open: bool,
    place: Place,
}

/// What an error's offset is placed on.
#[derive(Clone, Copy)]
enum Place {
    /// The byte where parsing stopped.
    Here,
    /// The comma before the closing bracket parsing stopped at.
    TrailingComma,
    /// The end of the value before the byte where parsing stopped: where a comma is missing.
    AfterValue,
}

impl From<JiterError> for Failed {
    fn from(error: JiterError) -> Failed {
        let open = matches!(
            error.error_type,
            JiterErrorType::JsonError(
                JsonErrorType::EofWhileParsingList
                    | JsonErrorType::EofWhileParsingObject
                    | JsonErrorType::EofWhileParsingString
            )
        );
        let place = match &error.error_type {
            JiterErrorType::JsonError(JsonErrorType::TrailingComma) => Place::TrailingComma,
            JiterErrorType::JsonError(
                JsonErrorType::ExpectedListCommaOrEnd | JsonErrorType::ExpectedObjectCommaOrEnd,
            ) => Place::AfterValue,
            _ => Place::Here,
        };
        Failed {
            at: error.index,
            message: error.error_type.to_string(),
            open,
            place,
        }
    }
}

/// A string, array or object that starts at `at`, named by `what` when the text ends inside it.
fn unterminated(at: usize, what: &str) -> impl Fn(Failed) -> Failed {
    move |failed| match failed.open {
        true => Failed {
            at,
            message: format!("unterminated {what}"),
            open: false,
            place: Place::Here,
        },
        false => failed,
    }
}

struct Reader<'t> {
    jiter: Jiter<'t>,
    text: &'t [u8],
    shift: usize,
}

impl Reader<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(start + self.shift, end + self.shift)
    }

    /// The value that `peek` saw start at the reader's offset. Depth is bounded by [`too_deep`].
    fn value(&mut self, peek: Peek) -> Result<Node, Failed> {
        let start = self.jiter.current_index();
        let kind = match peek {
            Peek::String => {
                let value = self.jiter.known_str().map_err(Failed::from);
                NodeKind::String(value.map_err(unterminated(start, "string"))?.to_string())
            }
            Peek::True | Peek::False => NodeKind::Bool(self.jiter.known_bool(peek)?),
            Peek::Null => {
                self.jiter.known_null()?;
                NodeKind::Null
            }
            Peek::Array => NodeKind::Array(self.array().map_err(unterminated(start, "array"))?),
            Peek::Object => {
                NodeKind::Object(self.object(start).map_err(unterminated(start, "object"))?)
            }
            _ => {
                // A number, kept as written: skipped, then read off the text.
                self.jiter.known_skip(peek)?;
                let raw = self.text.get(start..self.jiter.current_index());
                NodeKind::Number(String::from_utf8_lossy(raw.unwrap_or_default()).into_owned())
            }
        };
        Ok(Node::new(
            self.span(start, self.jiter.current_index()),
            kind,
        ))
    }

    fn array(&mut self) -> Result<Vec<Node>, Failed> {
        let mut items = Vec::new();
        let mut next = self.jiter.known_array()?;
        while let Some(peek) = next {
            items.push(self.value(peek)?);
            next = self.jiter.array_step()?;
        }
        Ok(items)
    }

    /// The members of the object whose `{` is at `start`. A key's span runs from its opening quote,
    /// the first byte past the white space and comma before it, to its closing one, the last before
    /// the colon after it.
    fn object(&mut self, start: usize) -> Result<Vec<Member>, Failed> {
        let mut members = Vec::new();
        let mut key_start = self.past_separators(start + 1);
        let mut next = self.jiter.known_object()?.map(str::to_string);
        while let Some(key) = next {
            let key_end = self.before_colon(self.jiter.current_index());
            let peek = self.jiter.peek()?;
            let value = self.value(peek)?;
            members.push(Member {
                key,
                key_span: self.span(key_start, key_end),
                value,
            });
            key_start = self.past_separators(self.jiter.current_index());
            next = self.jiter.next_key()?.map(str::to_string);
        }
        Ok(members)
    }

    fn past_separators(&self, mut at: usize) -> usize {
        while self.text.get(at).is_some_and(|&b| is_space(b) || b == b',') {
            at += 1;
        }
        at
    }

    fn before_colon(&self, mut at: usize) -> usize {
        while at > 0
            && self
                .text
                .get(at - 1)
                .is_some_and(|&b| is_space(b) || b == b':')
        {
            at -= 1;
        }
        at
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
            Some("unterminated array")
        );
        assert_eq!(line_column(text, err), Some((2, 8)));
        assert!(parse("").is_err());
        assert!(parse("// c\n{}").is_err());
    }

    /// What jiter reads is what the tree holds: numbers as written, escapes decoded, every key of
    /// an object in order (twice when written twice), each span over the text as written.
    #[test]
    fn values_keys_and_spans_as_written() {
        let text = "{ \"n\" : [1.0e5, -0, 123456789012345678901234567890],\n\"k\\u0041\": \"a\\\"b\",\"n\":null}";
        let node = parse(text).unwrap_or_else(|e| panic!("{e}"));
        let members = node.as_object().unwrap_or_default();
        let keys: Vec<(&str, Option<&str>)> = members
            .iter()
            .map(|m| (m.key.as_str(), m.key_span.slice(text)))
            .collect();
        assert_eq!(
            keys,
            [
                ("n", Some("\"n\"")),
                ("kA", Some("\"k\\u0041\"")),
                ("n", Some("\"n\""))
            ]
        );
        let numbers: Vec<NodeKind> = members[0]
            .value
            .as_array()
            .unwrap_or_default()
            .iter()
            .map(|n| n.kind.clone())
            .collect();
        assert_eq!(
            numbers,
            ["1.0e5", "-0", "123456789012345678901234567890"].map(|n| NodeKind::Number(n.into()))
        );
        assert_eq!(members[1].value.as_str(), Some("a\"b"));
        assert_eq!(members[1].value.span.slice(text), Some("\"a\\\"b\""));
        assert_eq!(members[2].value.kind, NodeKind::Null);
        assert_eq!(node.span.slice(text), Some(text));
    }

    #[test]
    fn what_strict_json_refuses() {
        let message = |text: &str| parse(text).err().map(|e| (e.span.start, e.message));
        assert_eq!(message("NaN").map(|m| m.0), Some(0));
        assert!(parse("[Infinity]").is_err());
        assert!(parse("{'a': 1}").is_err());
        assert!(parse("{a: 1}").is_err());
        assert!(parse("[1] [2]").is_err());
        assert_eq!(
            message("{\"a\": \"b"),
            Some((6, "unterminated string".to_string()))
        );
        assert_eq!(
            message("[{\"a\": 1"),
            Some((1, "unterminated object".to_string()))
        );
        assert_eq!(
            message("[1 2]"),
            Some((2, "expected `,` or `]`".to_string()))
        );
        assert_eq!(
            message("  \n "),
            Some((0, "the file holds no JSON value".to_string()))
        );
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
