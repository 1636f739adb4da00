//! Terraform strings: quoted strings, heredocs and template files (`.tpl`) decoded into their text
//! (escapes read, interpolations marked), with a map from every decoded byte back to the raw
//! source bytes it came from.
//!
//! JSON held in such a literal is parsed from the decoded text; the map turns the JSON spans back into
//! spans of the file. Interpolations (`${...}`) and directives (`%{...}`) become *holes*: a placeholder
//! that keeps the JSON parseable (a string when the hole stands for a value, a character when it sits
//! inside a JSON string), so that only the values touching a hole are undecidable.

use iamprune_syntax::Span;

/// How backslashes are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escapes {
    /// A double-quoted HCL string or a JSON string of `.tf.json`: `\"`, `\\`, `\n`, `\uXXXX`, ...
    Backslash,
    /// A heredoc or a template file: backslashes are literal text.
    Literal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HoleKind {
    Interpolation,
    Directive,
}

#[derive(Debug, Clone)]
pub(crate) struct Hole {
    pub kind: HoleKind,
    /// Where the placeholder sits in the decoded text.
    pub decoded: Span,
    /// The `${...}` or `%{...}` in the file, absolute.
    pub raw: Span,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Decoded {
    pub text: String,
    /// For every byte of `text`: the absolute raw range of the character (or escape) it came from.
    starts: Vec<usize>,
    ends: Vec<usize>,
    pub holes: Vec<Hole>,
    /// The absolute end of the raw text, where spans past the decoded end are put.
    raw_end: usize,
}

impl Decoded {
    /// The raw span of a decoded span: from the start of its first character to the end of its last.
    pub fn raw_span(&self, span: Span) -> Span {
        let start = self.starts.get(span.start).copied().unwrap_or(self.raw_end);
        let end = if span.end > span.start {
            span.end
                .checked_sub(1)
                .and_then(|last| self.ends.get(last))
                .copied()
                .unwrap_or(self.raw_end)
        } else {
            start
        };
        Span::new(start, end.max(start))
    }

    /// The holes a decoded span overlaps.
    pub fn holes_in(&self, span: Span) -> impl Iterator<Item = &Hole> + '_ {
        self.holes
            .iter()
            .filter(move |h| h.decoded.start < span.end && span.start < h.decoded.end)
    }

    fn push_char(&mut self, c: char, raw: Span) {
        let before = self.text.len();
        self.text.push(c);
        for _ in before..self.text.len() {
            self.starts.push(raw.start);
            self.ends.push(raw.end);
        }
    }

    fn push_str(&mut self, s: &str, raw: Span) {
        for c in s.chars() {
            self.push_char(c, raw);
        }
    }
}

/// Tracks whether the decoded text so far ends inside a JSON string, to choose a hole's placeholder.
#[derive(Default)]
struct JsonState {
    in_string: bool,
    escaped: bool,
}

impl JsonState {
    fn feed(&mut self, c: char) {
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if c == '\\' {
                self.escaped = true;
            } else if c == '"' {
                self.in_string = false;
            }
        } else if c == '"' {
            self.in_string = true;
        }
    }
}

/// Decodes `raw`, which starts at absolute offset `base` in its file.
pub(crate) fn decode(raw: &str, base: usize, escapes: Escapes) -> Decoded {
    decode_with(raw, base, escapes, &std::collections::BTreeMap::new())
}

/// Decodes `raw` with the literal values of template variables (`templatefile`'s second argument):
/// `${name}` inside a JSON string, for a variable given here, is its value (JSON-escaped, every byte
/// mapped to the `${name}`), not a hole.
pub(crate) fn decode_with(
    raw: &str,
    base: usize,
    escapes: Escapes,
    vars: &std::collections::BTreeMap<String, String>,
) -> Decoded {
    let mut out = Decoded {
        raw_end: base + raw.len(),
        ..Decoded::default()
    };
    let mut json = JsonState::default();
    let mut i = 0;
    while let Some(rest) = raw.get(i..) {
        let Some(c) = rest.chars().next() else { break };
        let at = base + i;
        if rest.starts_with("$${") || rest.starts_with("%%{") {
            // An escaped template sequence stands for itself minus the doubled sign.
            let sign = if c == '$' { "${" } else { "%{" };
            out.push_str(sign, Span::new(at, at + 3));
            json.feed('$');
            i += 3;
            continue;
        }
        if rest.starts_with("${") || rest.starts_with("%{") {
            let len = template_sequence_len(rest);
            let kind = if c == '$' {
                HoleKind::Interpolation
            } else {
                HoleKind::Directive
            };
            let raw_span = Span::new(at, at + len);
            let start = out.text.len();
            let name = rest
                .get(2..len.saturating_sub(1))
                .map(str::trim)
                .filter(|_| kind == HoleKind::Interpolation && json.in_string);
            if let Some(value) = name.and_then(|n| vars.get(n)) {
                for c in value.chars() {
                    match c {
                        '"' | '\\' => out.push_str(&format!("\\{c}"), raw_span),
                        c if (c as u32) < 0x20 => {
                            out.push_str(&format!("\\u{:04x}", c as u32), raw_span);
                        }
                        c => out.push_char(c, raw_span),
                    }
                }
                i += len;
                continue;
            }
            let placeholder = match (json.in_string, kind) {
                (true, _) => "_",
                (false, HoleKind::Interpolation) => "\"_\"",
                (false, HoleKind::Directive) => " ",
            };
            out.push_str(placeholder, raw_span);
            out.holes.push(Hole {
                kind,
                decoded: Span::new(start, out.text.len()),
                raw: raw_span,
            });
            i += len;
            continue;
        }
        if c == '\\' && escapes == Escapes::Backslash {
            let (decoded, len) = backslash_escape(rest);
            out.push_char(decoded, Span::new(at, at + len));
            json.feed(decoded);
            i += len;
            continue;
        }
        out.push_char(c, Span::new(at, at + c.len_utf8()));
        json.feed(c);
        i += c.len_utf8();
    }
    out
}

/// The length of `${...}` or `%{...}` at the start of `text`, up to its matching brace (braces inside
/// quoted strings do not count). An unterminated sequence runs to the end.
fn template_sequence_len(text: &str) -> usize {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
    }
    text.len()
}

/// Decodes the escape at the start of `text` (which starts with `\`): the character and the raw length.
/// An unknown escape stands for the backslash itself, as the text cannot be valid HCL anyway.
fn backslash_escape(text: &str) -> (char, usize) {
    let mut chars = text.chars().skip(1);
    let simple = match chars.next() {
        Some('n') => '\n',
        Some('r') => '\r',
        Some('t') => '\t',
        Some('"') => '"',
        Some('\\') => '\\',
        Some('/') => '/',
        Some('b') => '\u{8}',
        Some('f') => '\u{c}',
        Some('u') => return hex_escape(text, 4),
        Some('U') => return hex_escape(text, 8),
        _ => return ('\\', 1),
    };
    (simple, 2)
}

fn hex_escape(text: &str, digits: usize) -> (char, usize) {
    let decoded = text
        .get(2..2 + digits)
        .filter(|hex| hex.chars().all(|c| c.is_ascii_hexdigit()))
        .and_then(|hex| u32::from_str_radix(hex, 16).ok())
        .and_then(char::from_u32);
    match decoded {
        Some(c) => (c, 2 + digits),
        None => ('\\', 1),
    }
}

/// The raw text between the quotes of a quoted string whose span includes them.
pub(crate) fn quoted_inner(src: &str, span: Span) -> Option<(&str, usize)> {
    let inner = Span::new(span.start + 1, span.end.checked_sub(1)?);
    if inner.start > inner.end {
        return None;
    }
    Some((inner.slice(src)?, inner.start))
}

/// The body of a heredoc whose span covers `<<EOF` through the closing delimiter: from the line after
/// the opening marker to the end of the last line before the closing one.
pub(crate) fn heredoc_body(src: &str, span: Span) -> Option<(&str, usize)> {
    let whole = span.slice(src)?;
    let first = whole.find('\n')? + 1;
    let last = whole.rfind('\n').map_or(first, |i| i + 1);
    if last < first {
        return None;
    }
    let body = whole.get(first..last)?;
    Some((body, span.start + first))
}

/// Whether the heredoc at `span` is indented (`<<-`).
pub(crate) fn heredoc_is_indented(src: &str, span: Span) -> bool {
    src.get(span.start..)
        .is_some_and(|rest| rest.starts_with("<<-"))
}

/// The expression text inside `${ ... }` (without the strip markers `~`).
pub(crate) fn hole_expression(src: &str, hole: &Hole) -> Option<String> {
    let text = hole.raw.slice(src)?;
    let inner = text.get(2..text.len().checked_sub(1)?)?;
    let inner = inner.trim();
    let inner = inner.strip_prefix('~').unwrap_or(inner);
    let inner = inner.strip_suffix('~').unwrap_or(inner);
    Some(inner.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_variable_given_a_literal_is_its_value() {
        let vars = std::collections::BTreeMap::from([
            ("verb".to_string(), "Get\"Object".to_string()),
            ("bucket".to_string(), "reports".to_string()),
        ]);
        let raw = r#"{"a": "s3:${verb}", "b": ${bucket}, "c": "${ other }"}"#;
        let d = decode_with(raw, 0, Escapes::Literal, &vars);
        assert_eq!(d.text, r#"{"a": "s3:Get\"Object", "b": "_", "c": "_"}"#);
        // Outside a string a value would be JSON text of its own; only string contents are replaced.
        assert_eq!(d.holes.len(), 2);
        let verb = raw.find("${verb}").unwrap_or_default();
        let at = d.text.find("Get").unwrap_or_default();
        assert_eq!(d.raw_span(Span::new(at, at + 3)), Span::new(verb, verb + 7));
    }

    #[test]
    fn quoted_escapes_map_back_to_raw() {
        let raw = r#"{\"Action\": \"s3:Get*\"}"#;
        let d = decode(raw, 10, Escapes::Backslash);
        assert_eq!(d.text, r#"{"Action": "s3:Get*"}"#);
        let start = d.text.find("\"s3").unwrap_or(0);
        let span = d.raw_span(Span::new(start, start + 9));
        assert_eq!(
            raw.get(span.start - 10..span.end - 10),
            Some(r#"\"s3:Get*\""#)
        );
    }

    #[test]
    fn holes_get_placeholders_by_context() {
        let d = decode(r#"{"a": ${x}, "b": "arn:${y}/z"}"#, 0, Escapes::Literal);
        assert_eq!(d.text, r#"{"a": "_", "b": "arn:_/z"}"#);
        assert_eq!(d.holes.len(), 2);
        assert_eq!(d.holes.first().map(|h| h.raw), Some(Span::new(6, 10)));
    }

    #[test]
    fn nested_braces_and_escaped_signs() {
        let d = decode(r#"$${a} ${f({b = "}"})} %%{c}"#, 0, Escapes::Literal);
        assert_eq!(d.text, "${a} \"_\" %{c}");
    }

    #[test]
    fn truncated_input_does_not_panic() {
        for raw in ["\\", "\\u12", "${", "%{ if", "\\U0011ffff", "é\\"] {
            let d = decode(raw, 0, Escapes::Backslash);
            let _ = d.raw_span(Span::new(0, d.text.len() + 5));
        }
    }
}
