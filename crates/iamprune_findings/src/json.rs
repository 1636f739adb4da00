//! The JSON documents of a file as spanned trees, with typed access that reports errors at the
//! position of the offending value.
//!
//! A file may hold several documents in a row (JSON Lines, or outputs concatenated with `cat`).
//! serde_json's stream reader finds where each one ends and gives the syntax errors their usual
//! wording; each document's text is then parsed once into an [`iamprune_syntax::Node`], whose
//! spans give the position of any later error.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use iamprune_syntax::{Member, Node, NodeKind};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::error::{self, FindingsError, Origin};

/// One JSON document of a file: the window of the file's text it came from, where it starts in the
/// window, and where the window starts in the file. Spans in its tree are relative to `start`,
/// since the tree was parsed from the document's slice alone.
#[derive(Clone, Copy)]
pub(crate) struct Doc<'t> {
    pub text: &'t str,
    pub start: usize,
    pub end: usize,
    pub file: &'t Path,
    pub origin: Origin,
    /// Whether serde_json has checked that the text is one JSON document. A line of JSON Lines is
    /// offered unchecked first, to a reader that then must parse all of it or leave it.
    pub checked: bool,
}

/// Calls `each` with every document of `text`, in order, and stops at the first error.
#[cfg(test)]
pub(crate) fn for_each_document(
    text: &str,
    file: &Path,
    mut each: impl FnMut(&Doc<'_>) -> Result<(), FindingsError>,
) -> Result<(), FindingsError> {
    documents_in(text, Origin::default(), true, file, |doc| {
        // Only checked documents: what the tree reader is tested on.
        if doc.checked {
            each(doc).map(|()| true)
        } else {
            Ok(false)
        }
    })
    .map(|_| ())
}

/// Calls `each` with every complete document of `window`, a window of the text of `file` that
/// starts at `origin`, in order, and stops at the first error. Unless the window is `last` (it runs
/// to the end of the file), a document that it cuts short is left for the next window, and so is
/// one that ends exactly at its end (a number may go on). Returns where the text left for the
/// next window starts.
///
/// Each line that may be a document (JSON Lines) is first offered unchecked: `each` returns `true`
/// when it parsed the line whole as one document, which is then done. Otherwise, and for every other
/// document, serde_json checks the document and `each` is given it checked, and must take it.
pub(crate) fn documents_in(
    window: &str,
    origin: Origin,
    last: bool,
    file: &Path,
    mut each: impl FnMut(&Doc<'_>) -> Result<bool, FindingsError>,
) -> Result<usize, FindingsError> {
    let mut at = 0;
    loop {
        let start = skip_ws(window, at);
        if start == window.len() {
            return Ok(window.len());
        }
        let doc = |end, checked| Doc {
            text: window,
            start,
            end,
            file,
            origin,
            checked,
        };
        let rest = window.get(start..).unwrap_or("");
        if let Some(line) = rest.find('\n') {
            if each(&doc(start + line, false))? {
                at = start + line + 1;
                continue;
            }
        }
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Checked>();
        match stream.next() {
            None => return Ok(window.len()),
            Some(Err(e)) if e.is_eof() && !last => return Ok(start),
            Some(Err(e)) => {
                let before = window.get(..start).unwrap_or("").as_bytes();
                return Err(json_error(file, origin.after(before), &e));
            }
            Some(Ok(Checked)) => {
                let end = start + stream.byte_offset();
                if end == window.len() && !last {
                    return Ok(start);
                }
                each(&doc(end, true))?;
                at = end;
            }
        }
    }
}

fn skip_ws(text: &str, from: usize) -> usize {
    let rest = text.get(from..).unwrap_or("");
    from + (rest.len() - rest.trim_start_matches([' ', '\t', '\n', '\r']).len())
}

fn json_error(file: &Path, origin: Origin, e: &serde_json::Error) -> FindingsError {
    let full = e.to_string();
    // serde_json appends the position, which the error already carries as FILE:LINE:COL.
    let message = match full.rfind(" at line ") {
        Some(i) => &full[..i],
        None => full.as_str(),
    };
    let message = if e.is_eof() {
        format!("the JSON ends early (truncated file?): {message}")
    } else {
        format!("invalid JSON: {message}")
    };
    origin.place(error::at_line_column(file, e.line(), e.column(), message))
}

/// A JSON value that serde_json has read and accepted, keeping nothing of it.
///
/// It reads through `deserialize_any`, as `serde_json::Value` does, so that a file gets the same
/// checks (recursion limit, number range, string escapes) and the same error messages and
/// positions as a `Value` would, without building a tree that is thrown away.
/// [`serde::de::IgnoredAny`] would skip more leniently and word some errors differently.
pub(crate) struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_none<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_key::<Checked>()?.is_some() {
            map.next_value::<Checked>()?;
        }
        Ok(Checked)
    }
}

/// An object of a document. Of duplicate keys the last value counts, at the place of the first
/// key, as serde_json reads them into a map: files that worked with other JSON tools keep
/// meaning the same here.
#[derive(Clone, Copy)]
pub(crate) struct Obj<'v> {
    pub node: &'v Node,
    members: &'v [Member],
}

impl<'v> Obj<'v> {
    pub(crate) fn of(node: &'v Node) -> Option<Self> {
        node.as_object().map(|members| Obj { node, members })
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'v Node> {
        self.members
            .iter()
            .rev()
            .find(|m| m.key == key)
            .map(|m| &m.value)
    }

    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.members.iter().any(|m| m.key == key)
    }

    /// Each key once, in the order it first appears, with its last value.
    pub(crate) fn fields(&self) -> impl Iterator<Item = (&'v str, &'v Node)> + use<'v> {
        let mut last: HashMap<&'v str, &'v Node> = HashMap::with_capacity(self.members.len());
        for m in self.members {
            last.insert(m.key.as_str(), &m.value);
        }
        self.members
            .iter()
            .filter_map(move |m| last.remove_entry(m.key.as_str()))
    }
}

/// The value of `key` in `node` when it is an object, with the same duplicate-key rule as [`Obj`].
pub(crate) fn member<'v>(node: &'v Node, key: &str) -> Option<&'v Node> {
    Obj::of(node)?.get(key)
}

fn is_null(node: &Node) -> bool {
    matches!(node.kind, NodeKind::Null)
}

impl Doc<'_> {
    /// The document's text.
    pub(crate) fn slice(&self) -> &str {
        self.text.get(self.start..self.end).unwrap_or("")
    }

    /// The document parsed into a tree, whose spans give the place of any error.
    pub(crate) fn tree(&self) -> Result<Node, FindingsError> {
        iamprune_syntax::json::parse(self.slice()).map_err(|e| {
            // serde_json has accepted the text; this is the rare case the stricter parser is not
            // satisfied with, reported in the same words as other syntax errors.
            self.origin.place(error::at_offset(
                self.file,
                self.text,
                self.start + e.span.start,
                format!("invalid JSON: {}", e.message),
            ))
        })
    }

    /// An error at `node`.
    pub(crate) fn err(&self, node: &Node, message: impl Into<String>) -> FindingsError {
        self.origin.place(error::at_offset(
            self.file,
            self.text,
            self.start + node.span.start,
            message,
        ))
    }

    /// An error about the field `key` of `m`: at its value when there is one (even `null`), else
    /// at the object, which is where a missing field belongs.
    pub(crate) fn err_at(
        &self,
        m: Obj<'_>,
        key: &str,
        message: impl Into<String>,
    ) -> FindingsError {
        self.err(m.get(key).unwrap_or(m.node), message)
    }

    pub(crate) fn object<'v>(&self, v: &'v Node, what: &str) -> Result<Obj<'v>, FindingsError> {
        Obj::of(v).ok_or_else(|| {
            self.err(
                v,
                format!("expected {what} (a JSON object), found {}", v.type_name()),
            )
        })
    }

    /// A field that may be absent or `null`.
    fn opt<'v>(&self, m: Obj<'v>, key: &str) -> Option<&'v Node> {
        m.get(key).filter(|v| !is_null(v))
    }

    /// A field that may be absent or `null`.
    pub(crate) fn opt_str<'v>(
        &self,
        m: Obj<'v>,
        key: &str,
    ) -> Result<Option<&'v str>, FindingsError> {
        match self.opt(m, key) {
            None => Ok(None),
            Some(v) => match v.as_str() {
                Some(s) => Ok(Some(s)),
                None => Err(self.err(
                    v,
                    format!("expected `{key}` to be a string, found {}", v.type_name()),
                )),
            },
        }
    }

    pub(crate) fn req_str<'v>(
        &self,
        m: Obj<'v>,
        key: &str,
        what: &str,
    ) -> Result<&'v str, FindingsError> {
        match self.opt_str(m, key)? {
            Some(s) => Ok(s),
            None => Err(self.err_at(m, key, format!("{what} has no `{key}` string"))),
        }
    }

    /// A timestamp kept as the string AWS printed.
    pub(crate) fn opt_time(&self, m: Obj<'_>, key: &str) -> Result<Option<String>, FindingsError> {
        match self.opt(m, key) {
            None => Ok(None),
            Some(v) => match v.as_str() {
                Some(s) => Ok(Some(s.to_string())),
                None => Err(self.err(
                    v,
                    format!(
                        "expected `{key}` to be an ISO 8601 timestamp string, found {} \
                         (set `cli_timestamp_format = iso8601` in the AWS CLI config)",
                        v.type_name()
                    ),
                )),
            },
        }
    }

    pub(crate) fn opt_array<'v>(
        &self,
        m: Obj<'v>,
        key: &str,
    ) -> Result<Option<&'v [Node]>, FindingsError> {
        match self.opt(m, key) {
            None => Ok(None),
            Some(v) => match v.as_array() {
                Some(a) => Ok(Some(a)),
                None => Err(self.err(
                    v,
                    format!("expected `{key}` to be an array, found {}", v.type_name()),
                )),
            },
        }
    }

    pub(crate) fn opt_object<'v>(
        &self,
        m: Obj<'v>,
        key: &str,
    ) -> Result<Option<Obj<'v>>, FindingsError> {
        match self.opt(m, key) {
            None => Ok(None),
            Some(v) => match Obj::of(v) {
                Some(o) => Ok(Some(o)),
                None => Err(self.err(
                    v,
                    format!("expected `{key}` to be an object, found {}", v.type_name()),
                )),
            },
        }
    }

    pub(crate) fn opt_u64(&self, m: Obj<'_>, key: &str) -> Result<Option<u64>, FindingsError> {
        let Some(v) = self.opt(m, key) else {
            return Ok(None);
        };
        let NodeKind::Number(written) = &v.kind else {
            return Err(self.err(
                v,
                format!("expected `{key}` to be a number, found {}", v.type_name()),
            ));
        };
        // Read as serde_json reads numbers, so that the value shown in the message is the one
        // serde_json prints (`1e3` as `1000.0`).
        let number = serde_json::from_str::<serde_json::Number>(written).ok();
        match number.as_ref().and_then(serde_json::Number::as_u64) {
            Some(x) => Ok(Some(x)),
            None => {
                let shown = number.map_or_else(|| written.clone(), |n| n.to_string());
                Err(self.err(
                    v,
                    format!("expected `{key}` to be a whole number, found {shown}"),
                ))
            }
        }
    }

    pub(crate) fn opt_bool(&self, m: Obj<'_>, key: &str) -> Result<Option<bool>, FindingsError> {
        match self.opt(m, key) {
            None => Ok(None),
            Some(Node {
                kind: NodeKind::Bool(b),
                ..
            }) => Ok(Some(*b)),
            Some(v) => Err(self.err(
                v,
                format!(
                    "expected `{key}` to be true or false, found {}",
                    v.type_name()
                ),
            )),
        }
    }
}

#[cfg(test)]
impl Doc<'_> {
    /// The document's text as its tree's spans give it.
    pub(crate) fn spanned_text(&self) -> Result<String, FindingsError> {
        let span = self.tree()?.span.shifted(self.start);
        Ok(span.slice(self.text).unwrap_or("?").to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn documents(text: &str) -> Result<Vec<String>, FindingsError> {
        let mut out = Vec::new();
        for_each_document(text, Path::new("t.json"), |doc| {
            out.push(doc.spanned_text()?);
            Ok(())
        })?;
        Ok(out)
    }

    fn position(text: &str, pick: impl Fn(&Node) -> Option<&Node>) -> (usize, usize) {
        let mut found = None;
        let result = for_each_document(text, Path::new("t.json"), |doc| {
            let node = doc.tree()?;
            if let Some(n) = pick(&node) {
                let e = doc.err(n, "here");
                found = Some((e.position.line, e.position.column));
            }
            Ok(())
        });
        assert!(result.is_ok());
        found.unwrap_or((0, 0))
    }

    #[test]
    fn skip_ws_stays_in_bounds() {
        assert_eq!(skip_ws("  x", 0), 2);
        assert_eq!(skip_ws("ab", 5), 5);
        assert_eq!(skip_ws("a \n", 1), 3);
    }

    #[test]
    fn splits_documents() {
        let text = " {\"a\": 1}\n[2, 3] \"s\"\n\n 4 null\r\n";
        assert_eq!(
            documents(text).ok(),
            Some(vec![
                "{\"a\": 1}".to_string(),
                "[2, 3]".to_string(),
                "\"s\"".to_string(),
                "4".to_string(),
                "null".to_string()
            ])
        );
        assert_eq!(documents(" \n").ok(), Some(Vec::new()));
    }

    #[test]
    fn positions_come_from_spans() {
        let text = "{\"a\": 1}\n{\n  \"c\\u0041\": {\"d\": [ [], \"é\", \"y\" ]}\n}";
        let pos = position(text, |n| {
            let d = member(member(n, "cA")?, "d")?;
            d.as_array()?.get(2)
        });
        assert_eq!(pos, (3, 31));
    }

    #[test]
    fn last_duplicate_key_wins_at_the_first_place() {
        let text = r#"{"k": 1, "j": null, "k": "two"}"#;
        assert_eq!(position(text, |n| member(n, "k")), (1, 26));
        let mut fields = Vec::new();
        let result = for_each_document(text, Path::new("t.json"), |doc| {
            let node = doc.tree()?;
            let m = Obj::of(&node).map(|o| o.fields().collect::<Vec<_>>());
            for (key, value) in m.unwrap_or_default() {
                fields.push((key.to_string(), value.as_str().map(str::to_string)));
            }
            Ok(())
        });
        assert!(result.is_ok());
        assert_eq!(
            fields,
            [
                ("k".to_string(), Some("two".to_string())),
                ("j".to_string(), None)
            ]
        );
    }

    #[test]
    fn syntax_errors_keep_serde_json_wording() {
        let err = documents("{\"a\": 1}\n[1, 2,]").err();
        assert_eq!(
            err.map(|e| (e.position.line, e.position.column, e.error.message)),
            Some((2, 7, "invalid JSON: trailing comma".to_string()))
        );
        // Numbers are kept as written (the workspace keeps JSON numbers exact), so a huge one is valid
        // JSON here; where a whole number is expected it is refused by the reader that expects it.
        assert!(documents("[1e400]").is_ok());
    }

    #[test]
    fn numbers_are_shown_as_written() {
        let text = r#"{"n": 1e3, "m": 7}"#;
        let mut got = Vec::new();
        let result = for_each_document(text, Path::new("t.json"), |doc| {
            let node = doc.tree()?;
            if let Some(m) = Obj::of(&node) {
                got.push(doc.opt_u64(m, "n").map_err(|e| e.error.message));
                got.push(doc.opt_u64(m, "m").map_err(|e| e.error.message));
                got.push(doc.opt_u64(m, "x").map_err(|e| e.error.message));
            }
            Ok(())
        });
        assert!(result.is_ok());
        assert_eq!(
            got,
            [
                Err("expected `n` to be a whole number, found 1e+3".to_string()),
                Ok(Some(7)),
                Ok(None)
            ]
        );
    }
}
