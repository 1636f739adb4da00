//! JSON policy text held in a string literal, a heredoc or a template file, parsed with spans that
//! point into the raw file text.

use iamprune_policy::SiteNote;
use iamprune_syntax::{Member, Node, NodeKind, SyntaxError, json};

use std::collections::BTreeMap;

use crate::strings::{Decoded, Escapes, HoleKind, decode_with};

pub(crate) struct Embedded {
    pub document: Node,
    pub notes: Vec<SiteNote>,
    /// Why no edit may be made in the document's text (see [`iamprune_policy::PolicySite::frozen`]).
    pub frozen: Option<String>,
}

/// Parses the JSON in `raw`, which starts at byte `base` of the file text `src`.
pub(crate) fn parse_embedded(
    src: &str,
    raw: &str,
    base: usize,
    escapes: Escapes,
) -> Result<Embedded, SyntaxError> {
    parse_template(src, raw, base, escapes, &BTreeMap::new())
}

/// [`parse_embedded`] with the literal values of template variables.
pub(crate) fn parse_template(
    src: &str,
    raw: &str,
    base: usize,
    escapes: Escapes,
    vars: &BTreeMap<String, String>,
) -> Result<Embedded, SyntaxError> {
    let mut decoded = decode_with(raw, base, escapes, vars);
    let mut notes = Vec::new();
    let parsed = match json::parse(&decoded.text) {
        Ok(parsed) => parsed,
        Err(err) => {
            // A trailing comma is the one slip seen often in hand-written policy heredocs. Blanking it
            // keeps every offset; the document is still reported, since IAM would reject it.
            let Some((tolerant, commas)) = without_trailing_commas(&decoded.text) else {
                return Err(embedded_error(&decoded, &err));
            };
            let parsed = json::parse(&tolerant).map_err(|_| embedded_error(&decoded, &err))?;
            decoded.text = tolerant;
            notes.extend(commas.into_iter().map(|at| SiteNote {
                span: decoded.raw_span(iamprune_syntax::Span::new(at, at + 1)),
                message:
                    "trailing comma: this is not valid JSON, and IAM rejects the document".into(),
            }));
            parsed
        }
    };
    let document = remap(&parsed, &decoded, src);
    notes.extend(decoded
        .holes
        .iter()
        .filter(|h| h.kind == HoleKind::Directive)
        .map(|h| SiteNote {
            span: h.raw,
            message: format!(
                "template directive `{}`: the document depends on how the template is evaluated",
                short(h.raw.slice(src).unwrap_or("%{...}"))
            ),
        }));
    // An edit lands in the template's text, which a directive may repeat, skip or render otherwise.
    let frozen = decoded
        .holes
        .iter()
        .any(|h| h.kind == HoleKind::Directive)
        .then(|| {
            "the document is a template with directives (`%{ ... }`): an edit could change what \
             they render, so its fixes are shown, not applied"
                .to_string()
        });
    Ok(Embedded {
        document,
        notes,
        frozen,
    })
}

fn embedded_error(decoded: &Decoded, err: &SyntaxError) -> SyntaxError {
    SyntaxError::new(
        decoded.raw_span(err.span),
        format!("embedded JSON: {}", err.message),
    )
}

/// The text with every comma that directly precedes `}` or `]` (outside strings) turned into a
/// space, and where those commas were; `None` when there is none.
fn without_trailing_commas(text: &str) -> Option<(String, Vec<usize>)> {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let mut commas = Vec::new();
    let (mut in_string, mut escaped) = (false, false);
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b',' => {
                let next = bytes
                    .get(i + 1..)
                    .and_then(|rest| rest.iter().find(|c| !c.is_ascii_whitespace()));
                if matches!(next, Some(b'}' | b']')) {
                    if let Some(slot) = out.get_mut(i) {
                        *slot = b' ';
                    }
                    commas.push(i);
                }
            }
            _ => {}
        }
    }
    if commas.is_empty() {
        return None;
    }
    String::from_utf8(out).ok().map(|t| (t, commas))
}

/// Moves a tree parsed from decoded text onto the raw text, turning values that touch an
/// interpolation into opaque values.
fn remap(node: &Node, decoded: &Decoded, src: &str) -> Node {
    let span = decoded.raw_span(node.span);
    let kind = match &node.kind {
        NodeKind::String(_) | NodeKind::Number(_) | NodeKind::Bool(_) | NodeKind::Null => {
            let mut holes = decoded
                .holes_in(node.span)
                .filter(|h| h.kind == HoleKind::Interpolation)
                .peekable();
            if holes.peek().is_some() {
                let what: Vec<&str> = holes.filter_map(|h| h.raw.slice(src)).collect();
                NodeKind::Opaque(short(&what.join(" ")))
            } else {
                node.kind.clone()
            }
        }
        NodeKind::Array(items) => {
            NodeKind::Array(items.iter().map(|n| remap(n, decoded, src)).collect())
        }
        NodeKind::Object(members) => NodeKind::Object(
            members
                .iter()
                .map(|m| Member {
                    key: m.key.clone(),
                    key_span: decoded.raw_span(m.key_span),
                    value: remap(&m.value, decoded, src),
                })
                .collect(),
        ),
        NodeKind::Opaque(what) => NodeKind::Opaque(what.clone()),
    };
    Node::new(span, kind)
}

/// Source text shown in a message, cut to one short line.
pub(crate) fn short(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", one_line.get(..cut).unwrap_or_default()),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolated_value_is_opaque_and_siblings_are_not() {
        let src = r#"{"Statement": [{"Action": ["s3:Get*", "${var.a}"], "Resource": "arn:${x}"}]}"#;
        let Ok(e) = parse_embedded(src, src, 0, Escapes::Literal) else {
            panic!("does not parse")
        };
        let text = format!("{:?}", e.document);
        assert!(text.contains("String(\"s3:Get*\")"));
        assert!(text.contains("Opaque(\"${var.a}\")"));
        assert!(text.contains("Opaque(\"${x}\")"));
    }
}
