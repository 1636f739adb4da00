//! Reading one file of a module into the configuration model: `.tf` through hcl-edit, `.tf.json`
//! through the JSON parser.

use std::path::Path;

use iamprune_syntax::{FileError, Node, NodeKind, Span, json};

use crate::ir::{
    Attr, Block, Body, Expr, ExprKind, MAX_DEPTH, ObjMember, TemplateForm, body_from_hcl,
    expr_from_hcl,
};

const BOM: &str = "\u{feff}";

/// Parses a `.tf` or `.tf.json` file. Spans point into `text` as given, byte order mark included.
pub(crate) fn parse_file(path: &Path, text: &str) -> Result<Body, FileError> {
    let is_json = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".tf.json"));
    if is_json {
        return parse_json_file(path, text);
    }
    // hcl-edit does not accept a byte order mark; editors write one, and Terraform ignores it.
    let (body, shift) = match text.strip_prefix(BOM) {
        Some(rest) => (rest, BOM.len()),
        None => (text, 0),
    };
    // A CRLF file whose last line lost its `\n` ends in a lone `\r`, which Terraform reads as
    // white space and hcl-edit refuses. Nothing follows it, so no span moves.
    let body = body.strip_suffix('\r').unwrap_or(body);
    if let Some(at) = too_deep(body) {
        return Err(FileError::at(
            path,
            Span::new(at + shift, at + shift + 1),
            format!("nested more than {MAX_NESTING} levels deep"),
        ));
    }
    match hcl_edit::parser::parse_body(body) {
        Ok(parsed) => Ok(body_from_hcl(&parsed, shift, 0)),
        Err(err) => {
            // The offset, not hcl-edit's line and column: those do not count the mark.
            let at = err.location().offset() + shift;
            Err(FileError::at(path, Span::new(at, at), err.message()))
        }
    }
}

/// Brackets nested deeper than this are refused before hcl-edit sees them: its parser recurses, and a
/// hostile file of a million `[` must give an error, not overflow the stack. Real configurations nest a
/// few dozen levels (brackets inside strings and heredocs are counted too, which only overestimates).
const MAX_NESTING: usize = 256;

/// The offset where nesting first exceeds [`MAX_NESTING`]. Every `.tf` file is scanned before it is
/// parsed: the brackets of each 64 bytes are counted (which the compiler vectorizes), and a chunk is
/// walked byte by byte only when its counts alone cannot tell that it stays within the limit.
fn too_deep(text: &str) -> Option<usize> {
    const CHUNK: usize = 64;
    let mut depth = 0usize;
    for (n, chunk) in text.as_bytes().chunks(CHUNK).enumerate() {
        let (opens, closes) = chunk.iter().fold((0u8, 0u8), |(o, c), &b| {
            (o + u8::from(is_open(b)), c + u8::from(is_close(b)))
        });
        let (opens, closes) = (usize::from(opens), usize::from(closes));
        // With no more closing brackets than open ones before it, the depth never drops to zero
        // inside the chunk, so it ends where the counts say; it peaks at most at `depth + opens`.
        if depth + opens <= MAX_NESTING && closes <= depth {
            depth = depth + opens - closes;
            continue;
        }
        for (i, &b) in chunk.iter().enumerate() {
            if is_open(b) {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(n * CHUNK + i);
                }
            } else if is_close(b) {
                depth = depth.saturating_sub(1);
            }
        }
    }
    None
}

fn is_open(b: u8) -> bool {
    matches!(b, b'{' | b'[' | b'(')
}

fn is_close(b: u8) -> bool {
    matches!(b, b'}' | b']' | b')')
}

fn parse_json_file(path: &Path, text: &str) -> Result<Body, FileError> {
    let root = json::parse(text).map_err(|e| e.in_file(path))?;
    let mut body = Body::default();
    for member in root.as_object().unwrap_or_default() {
        match member.key.as_str() {
            "resource" | "data" => {
                for typed in objects(&member.value) {
                    for type_member in typed {
                        for named in objects(&type_member.value) {
                            for name_member in named {
                                for item in objects(&name_member.value) {
                                    body.blocks.push(Block {
                                        ident: member.key.clone(),
                                        labels: vec![
                                            type_member.key.clone(),
                                            name_member.key.clone(),
                                        ],
                                        span: name_member.value.span,
                                        body: json_body(item, text, 0),
                                    });
                                }
                            }
                        }
                    }
                }
            }
            "locals" => {
                for item in objects(&member.value) {
                    body.blocks.push(Block {
                        ident: "locals".into(),
                        labels: Vec::new(),
                        span: member.value.span,
                        body: json_body(item, text, 0),
                    });
                }
            }
            "variable" | "module" | "output" => {
                for named in objects(&member.value) {
                    for name_member in named {
                        for item in objects(&name_member.value) {
                            body.blocks.push(Block {
                                ident: member.key.clone(),
                                labels: vec![name_member.key.clone()],
                                span: name_member.value.span,
                                body: json_body(item, text, 0),
                            });
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(body)
}

/// An object, or each object of an array: the JSON syntax writes repeated blocks as arrays.
fn objects(node: &Node) -> Vec<&[iamprune_syntax::Member]> {
    match &node.kind {
        NodeKind::Object(members) => vec![members.as_slice()],
        NodeKind::Array(items) => items.iter().filter_map(Node::as_object).collect(),
        _ => Vec::new(),
    }
}

/// Nested blocks the extractor reads. The JSON syntax cannot tell a block from an object-valued
/// attribute without the provider schema, so the names that matter here are listed.
const NESTED_BLOCKS: &[&str] = &[
    "statement",
    "principals",
    "not_principals",
    "condition",
    "inline_policy",
];

fn json_body(members: &[iamprune_syntax::Member], text: &str, depth: usize) -> Body {
    let mut body = Body::default();
    if depth > MAX_DEPTH {
        return body;
    }
    for member in members {
        let key = member.key.as_str();
        if NESTED_BLOCKS.contains(&key) {
            for item in objects(&member.value) {
                body.blocks.push(Block {
                    ident: key.to_string(),
                    labels: Vec::new(),
                    span: member.value.span,
                    body: json_body(item, text, depth + 1),
                });
            }
        } else if key == "dynamic" {
            for labelled in objects(&member.value) {
                for label in labelled {
                    body.blocks.push(Block {
                        ident: "dynamic".into(),
                        labels: vec![label.key.clone()],
                        span: label.value.span,
                        body: Body::default(),
                    });
                }
            }
        } else {
            body.attrs.push(Attr {
                name: key.to_string(),
                key_span: member.key_span,
                value: json_expr(&member.value, text, depth + 1),
            });
        }
    }
    body
}

fn json_expr(node: &Node, text: &str, depth: usize) -> Expr {
    let span = node.span;
    if depth > MAX_DEPTH {
        return Expr::new(span, ExprKind::Other);
    }
    let kind = match &node.kind {
        NodeKind::Null => ExprKind::Null,
        NodeKind::Bool(b) => ExprKind::Bool(*b),
        NodeKind::Number(n) => ExprKind::Number(n.clone()),
        NodeKind::String(s) if s.contains("${") || s.contains("%{") => {
            return whole_interpolation(span, s, text)
                .unwrap_or_else(|| Expr::new(span, ExprKind::Template(TemplateForm::Quoted)));
        }
        NodeKind::String(s) => ExprKind::Str(s.clone()),
        NodeKind::Array(items) => ExprKind::Array(
            items
                .iter()
                .map(|n| json_expr(n, text, depth + 1))
                .collect(),
        ),
        NodeKind::Object(members) => ExprKind::Object(
            members
                .iter()
                .map(|m| ObjMember {
                    key: m.key.clone(),
                    key_span: m.key_span,
                    value: json_expr(&m.value, text, depth + 1),
                })
                .collect(),
        ),
        NodeKind::Opaque(_) => ExprKind::Other,
    };
    Expr::new(span, kind)
}

/// A JSON string that is one interpolation, `"${aws_iam_role.app.name}"`, is that expression.
fn whole_interpolation(span: Span, value: &str, text: &str) -> Option<Expr> {
    let inner = value.strip_prefix("${")?.strip_suffix('}')?;
    if inner.contains("${") {
        return None;
    }
    let raw = Span::new(span.start + 3, span.end.checked_sub(2)?);
    // Spans are only exact when the raw text holds no escapes; otherwise they all point at the string.
    let exact = raw.slice(text) == Some(inner);
    let parsed = hcl_edit::parser::parse_expr(inner).ok()?;
    let mut expr = expr_from_hcl(&parsed, if exact { raw.start } else { 0 }, 1);
    if !exact {
        flatten_spans(&mut expr, span);
    }
    Some(expr)
}

fn flatten_spans(expr: &mut Expr, span: Span) {
    expr.span = span;
    match &mut expr.kind {
        ExprKind::Array(items) | ExprKind::Call { args: items, .. } => {
            items.iter_mut().for_each(|e| flatten_spans(e, span));
        }
        ExprKind::Object(members) => members.iter_mut().for_each(|m| {
            m.key_span = span;
            flatten_spans(&mut m.value, span);
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`too_deep`] one byte at a time: what the counting scan must agree with.
    fn too_deep_bytewise(text: &str) -> Option<usize> {
        let mut depth = 0usize;
        for (i, b) in text.bytes().enumerate() {
            if is_open(b) {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
            } else if is_close(b) {
                depth = depth.saturating_sub(1);
            }
        }
        None
    }

    #[test]
    fn deep_nesting_is_refused_at_its_bracket() {
        let text = format!("x = {}", "[".repeat(100_000));
        assert_eq!(too_deep(&text), Some(4 + MAX_NESTING));
        let balanced = format!("x = {}{}", "{".repeat(200), "}".repeat(200)).repeat(50);
        assert_eq!(too_deep(&balanced), None);
        let err = parse_file(Path::new("main.tf"), &text)
            .err()
            .map(|e| e.message);
        assert_eq!(
            err.as_deref(),
            Some(format!("nested more than {MAX_NESTING} levels deep").as_str())
        );
    }

    proptest::proptest! {
        /// Runs of brackets long enough to cross chunks and the limit, closers that would take the
        /// depth below zero, and filler.
        #[test]
        fn the_counting_scan_agrees_with_a_bytewise_one(
            runs in proptest::collection::vec(("[\\[{(\\]})a ]", 1usize..120), 0..24),
        ) {
            let text: String = runs.iter().map(|(c, n)| c.repeat(*n)).collect();
            proptest::prop_assert_eq!(too_deep(&text), too_deep_bytewise(&text));
        }
    }
}
