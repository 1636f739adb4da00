//! Policies written as JSON inside a string (`PolicyDocument: "{\"Statement\": …}"`, `!Sub |` block
//! scalars): the string's value is parsed as JSON, and every span is mapped back to the raw text of the
//! literal, through its escapes, folding and indentation.

use iamprune_syntax::{Member, Node, NodeKind, Span};

/// Which escapes the raw text of a string literal uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escapes {
    /// JSON strings and YAML double-quoted scalars: backslash escapes.
    Backslash,
    /// YAML single-quoted scalars: `''` is a quote.
    DoubledQuote,
    /// Plain and block scalars: no escapes, only indentation and folding.
    None,
}

/// For every byte of a decoded string, the raw bytes it came from.
#[derive(Debug)]
pub(crate) struct RawMap {
    starts: Vec<usize>,
    ends: Vec<usize>,
    raw_end: usize,
}

impl RawMap {
    /// The raw span of the decoded span `span`; `None` when it lies outside the string.
    pub(crate) fn span(&self, span: Span) -> Option<Span> {
        if span.is_empty() {
            let at = self.starts.get(span.start).copied().unwrap_or(self.raw_end);
            return Some(Span::new(at, at));
        }
        let start = *self.starts.get(span.start)?;
        let end = *self.ends.get(span.end.checked_sub(1)?)?;
        Some(Span::new(start, end.max(start)))
    }
}

/// Aligns a decoded string with the raw text it was read from (`raw` starting at byte `offset` of the
/// file). Every decoded character must come from the same character in the raw text or from an escape
/// that means it; raw whitespace that the decoding dropped (indentation, folded line breaks) is skipped.
/// Anything else means the two do not correspond, and `None` is returned rather than a wrong span.
pub(crate) fn align(decoded: &str, raw: &str, offset: usize, escapes: Escapes) -> Option<RawMap> {
    let mut starts = Vec::with_capacity(decoded.len());
    let mut ends = Vec::with_capacity(decoded.len());
    let mut r = 0usize;
    for c in decoded.chars() {
        let (start, end) = loop {
            let rest = raw.get(r..)?;
            let Some(rc) = rest.chars().next() else {
                // Chomping may keep a final line break that the literal's span does not show.
                if c.is_whitespace() {
                    break (r, r);
                }
                return None;
            };
            if escapes == Escapes::Backslash && rc == '\\' {
                match unescape(rest) {
                    Escape::LineContinuation(len) => {
                        r += len;
                        continue;
                    }
                    Escape::Char(decoded_char, len) => {
                        if decoded_char == c || (c.is_whitespace() && decoded_char.is_whitespace())
                        {
                            let at = r;
                            r += len;
                            break (at, r);
                        }
                        return None;
                    }
                    Escape::Invalid => return None,
                }
            }
            if escapes == Escapes::DoubledQuote && c == '\'' && rest.starts_with("''") {
                let at = r;
                r += 2;
                break (at, r);
            }
            if rc == c || (c.is_whitespace() && rc.is_whitespace()) {
                let at = r;
                r += rc.len_utf8();
                break (at, r);
            }
            if rc.is_whitespace() {
                r += rc.len_utf8();
                continue;
            }
            return None;
        };
        for _ in 0..c.len_utf8() {
            starts.push(offset + start);
            ends.push(offset + end);
        }
    }
    // What is left may only be whitespace the decoding dropped.
    if !raw.get(r..)?.trim().is_empty() {
        return None;
    }
    Some(RawMap {
        starts,
        ends,
        raw_end: offset + raw.len(),
    })
}

enum Escape {
    Char(char, usize),
    /// A backslash before a line break in a YAML double-quoted scalar joins the lines.
    LineContinuation(usize),
    Invalid,
}

/// Decodes the escape at the start of `s` (which starts with a backslash), JSON's and YAML's.
fn unescape(s: &str) -> Escape {
    let mut chars = s.chars();
    chars.next();
    let Some(e) = chars.next() else {
        return Escape::Invalid;
    };
    let simple = match e {
        '"' => Some('"'),
        '\\' => Some('\\'),
        '/' => Some('/'),
        'b' => Some('\u{8}'),
        'f' => Some('\u{c}'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' | '\t' => Some('\t'),
        '0' => Some('\0'),
        'a' => Some('\u{7}'),
        'v' => Some('\u{b}'),
        'e' => Some('\u{1b}'),
        ' ' => Some(' '),
        'N' => Some('\u{85}'),
        '_' => Some('\u{a0}'),
        'L' => Some('\u{2028}'),
        'P' => Some('\u{2029}'),
        _ => None,
    };
    if let Some(c) = simple {
        return Escape::Char(c, 1 + e.len_utf8());
    }
    match e {
        '\n' => Escape::LineContinuation(2),
        '\r' => Escape::LineContinuation(if s.get(2..3) == Some("\n") { 3 } else { 2 }),
        'x' => hex(s, 2, 2),
        'U' => hex(s, 2, 8),
        'u' => {
            let Escape::Char(_, len) = hex(s, 2, 4) else {
                return Escape::Invalid;
            };
            let code = s.get(2..6).and_then(|h| u32::from_str_radix(h, 16).ok());
            match code {
                // A UTF-16 surrogate pair written as two escapes.
                Some(high @ 0xD800..=0xDBFF) => {
                    let low = s
                        .get(6..8)
                        .filter(|p| *p == "\\u")
                        .and_then(|_| s.get(8..12))
                        .and_then(|h| u32::from_str_radix(h, 16).ok());
                    match low {
                        Some(low @ 0xDC00..=0xDFFF) => {
                            let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                            char::from_u32(code).map_or(Escape::Invalid, |c| Escape::Char(c, 12))
                        }
                        _ => Escape::Char('\u{fffd}', len),
                    }
                }
                Some(code) => char::from_u32(code)
                    .map_or(Escape::Char('\u{fffd}', len), |c| Escape::Char(c, len)),
                None => Escape::Invalid,
            }
        }
        _ => Escape::Invalid,
    }
}

fn hex(s: &str, from: usize, digits: usize) -> Escape {
    let Some(h) = s.get(from..from + digits) else {
        return Escape::Invalid;
    };
    match u32::from_str_radix(h, 16).ok().and_then(char::from_u32) {
        Some(c) => Escape::Char(c, from + digits),
        None => Escape::Invalid,
    }
}

/// Moves every span of a tree parsed from a decoded string onto the raw text. `None` when a span
/// cannot be mapped.
pub(crate) fn remap(node: &Node, map: &RawMap) -> Option<Node> {
    let span = map.span(node.span)?;
    let kind = match &node.kind {
        NodeKind::Array(items) => NodeKind::Array(
            items
                .iter()
                .map(|n| remap(n, map))
                .collect::<Option<Vec<_>>>()?,
        ),
        NodeKind::Object(members) => NodeKind::Object(
            members
                .iter()
                .map(|m| {
                    Some(Member {
                        key: m.key.clone(),
                        key_span: map.span(m.key_span)?,
                        value: remap(&m.value, map)?,
                    })
                })
                .collect::<Option<Vec<_>>>()?,
        ),
        other => other.clone(),
    };
    Some(Node::new(span, kind))
}

/// In the string of an `Fn::Sub`, a string holding `${Name}` is only known after substitution.
/// (`${!Name}` is a literal `${Name}`.)
pub(crate) fn substitutions_opaque(node: &Node) -> Node {
    node.rewrite(&|n| match &n.kind {
        NodeKind::String(s) if has_substitution(s) => {
            Some(Node::new(n.span, NodeKind::Opaque("Fn::Sub".into())))
        }
        _ => None,
    })
}

pub(crate) fn has_substitution(s: &str) -> bool {
    s.match_indices("${")
        .any(|(i, _)| s.get(i..).is_some_and(|t| !t.starts_with("${!")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The decoded text `want` must map back to the raw text `want_raw`.
    fn check(raw: &str, decoded: &str, escapes: Escapes, want: &str, want_raw: &str) {
        let Some(map) = align(decoded, raw, 0, escapes) else {
            panic!("no alignment for {raw:?}");
        };
        let at = decoded.find(want).unwrap_or(usize::MAX);
        let span = map.span(Span::new(at, at + want.len()));
        assert_eq!(span.and_then(|s| s.slice(raw)), Some(want_raw), "{raw:?}");
    }

    #[test]
    fn json_escapes_map_back() {
        let raw = r#"{\"Action\": [\"s3:Get*\"], \"é\": \"\u00e9\"}"#;
        let decoded = "{\"Action\": [\"s3:Get*\"], \"é\": \"é\"}";
        check(
            raw,
            decoded,
            Escapes::Backslash,
            "\"s3:Get*\"",
            r#"\"s3:Get*\""#,
        );
        let map = align(decoded, raw, 10, Escapes::Backslash);
        let at = decoded.rfind('é').unwrap_or(0);
        assert_eq!(
            map.and_then(|m| m.span(Span::new(at, at + 2))),
            Some(Span::new(
                10 + raw.find("\\u00e9").unwrap_or(0),
                10 + raw.len() - 3
            ))
        );
    }

    #[test]
    fn block_scalar_indentation_is_skipped() {
        let raw = "\n  {\n    \"Action\": \"s3:Get*\"\n  }\n";
        let decoded = "{\n  \"Action\": \"s3:Get*\"\n}\n";
        check(raw, decoded, Escapes::None, "\"s3:Get*\"", "\"s3:Get*\"");
    }

    #[test]
    fn yaml_folding_and_quotes() {
        check(
            "{ 'a':\n   ''b'' }",
            "{ 'a': 'b' }",
            Escapes::DoubledQuote,
            "'b'",
            "''b''",
        );
        check(
            "{\\\n  \\\"x\\\" }",
            "{\"x\" }",
            Escapes::Backslash,
            "\"x\"",
            "\\\"x\\\"",
        );
    }

    #[test]
    fn mismatch_is_none() {
        assert!(align("abc", "abd", 0, Escapes::None).is_none());
        assert!(align("ab", "abc", 0, Escapes::None).is_none());
        assert!(align("a", "\\", 0, Escapes::Backslash).is_none());
    }

    #[test]
    fn substitution_detection() {
        assert!(has_substitution("arn:${AWS::Partition}:s3"));
        assert!(!has_substitution("${!Literal}"));
        assert!(!has_substitution("s3:Get*"));
    }
}
