//! Typed access to a `serde_json::Value` that reports errors at the position of the offending
//! value in the original text.
//!
//! `serde_json::Value` keeps no positions, so each value is addressed by its path from the
//! document root, and the path is only walked through the text when an error needs a position.

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::FindingsError;

/// Where a value sits in its document: a borrowed linked list from the value back to the root,
/// so that descending costs nothing until an error needs the path.
#[derive(Clone, Copy)]
pub(crate) enum JPath<'a> {
    Root,
    Key(&'a JPath<'a>, &'a str),
    Index(&'a JPath<'a>, usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

impl<'a> JPath<'a> {
    pub(crate) fn key(&'a self, key: &'a str) -> JPath<'a> {
        JPath::Key(self, key)
    }

    pub(crate) fn index(&'a self, index: usize) -> JPath<'a> {
        JPath::Index(self, index)
    }

    fn segments(&self) -> Vec<Seg<'a>> {
        let mut out = Vec::new();
        let mut cur = *self;
        loop {
            match cur {
                JPath::Root => break,
                JPath::Key(parent, k) => {
                    out.push(Seg::Key(k));
                    cur = *parent;
                }
                JPath::Index(parent, i) => {
                    out.push(Seg::Index(i));
                    cur = *parent;
                }
            }
        }
        out.reverse();
        out
    }
}

/// Byte offset of the value at `path` in a document that starts at `start` and that serde_json
/// has already accepted. When a key or index is missing, the offset of the deepest container
/// that exists is returned, which is where a "missing field" error belongs.
fn locate(text: &str, start: usize, path: &JPath<'_>) -> usize {
    let b = text.as_bytes();
    let mut pos = skip_ws(b, start);
    for seg in path.segments() {
        let container = pos;
        let found = match seg {
            Seg::Key(key) => find_key(text, pos, key),
            Seg::Index(index) => find_index(b, pos, index),
        };
        match found {
            Some(p) => pos = p,
            None => return container,
        }
    }
    pos
}

fn at(b: &[u8], pos: usize) -> u8 {
    b.get(pos).copied().unwrap_or(0)
}

fn skip_ws(b: &[u8], mut pos: usize) -> usize {
    while matches!(at(b, pos), b' ' | b'\t' | b'\n' | b'\r') {
        pos += 1;
    }
    pos
}

/// Offset just past the closing quote of the string that opens at `pos`.
fn skip_string(b: &[u8], mut pos: usize) -> usize {
    pos += 1;
    while pos < b.len() {
        match b[pos] {
            b'\\' => pos += 2,
            b'"' => return pos + 1,
            _ => pos += 1,
        }
    }
    b.len()
}

fn skip_value(b: &[u8], pos: usize) -> usize {
    match at(b, pos) {
        b'"' => skip_string(b, pos),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut p = pos;
            while p < b.len() {
                match b[p] {
                    b'"' => {
                        p = skip_string(b, p);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return p + 1;
                        }
                    }
                    _ => {}
                }
                p += 1;
            }
            b.len()
        }
        _ => {
            let mut p = pos;
            while p < b.len() && !matches!(b[p], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
            {
                p += 1;
            }
            p
        }
    }
}

/// Offset of the value of the last `key` in the object at `pos` (serde_json keeps the last of
/// duplicate keys, so the last one is the value that was read).
fn find_key(text: &str, pos: usize, key: &str) -> Option<usize> {
    let b = text.as_bytes();
    if at(b, pos) != b'{' {
        return None;
    }
    let mut p = pos + 1;
    let mut found = None;
    loop {
        p = skip_ws(b, p);
        if at(b, p) != b'"' {
            return found;
        }
        let key_end = skip_string(b, p);
        let raw_key = text.get(p..key_end)?;
        let matches = if raw_key.contains('\\') {
            serde_json::from_str::<String>(raw_key).is_ok_and(|k| k == key)
        } else {
            raw_key.get(1..raw_key.len().saturating_sub(1)) == Some(key)
        };
        p = skip_ws(b, key_end);
        if at(b, p) != b':' {
            return found;
        }
        p = skip_ws(b, p + 1);
        if matches {
            found = Some(p);
        }
        p = skip_ws(b, skip_value(b, p));
        if at(b, p) != b',' {
            return found;
        }
        p += 1;
    }
}

fn find_index(b: &[u8], pos: usize, index: usize) -> Option<usize> {
    if at(b, pos) != b'[' {
        return None;
    }
    let mut p = skip_ws(b, pos + 1);
    if at(b, p) == b']' {
        return None;
    }
    for _ in 0..index {
        p = skip_ws(b, skip_value(b, p));
        if at(b, p) != b',' {
            return None;
        }
        p = skip_ws(b, p + 1);
    }
    Some(p)
}

/// What a value is, for "expected X, found Y" messages.
pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One JSON document of a file: the text it came from and where it starts in it.
#[derive(Clone, Copy)]
pub(crate) struct Doc<'t> {
    pub text: &'t str,
    pub start: usize,
    pub file: &'t Path,
}

pub(crate) type Obj = Map<String, Value>;

impl<'t> Doc<'t> {
    pub(crate) fn err(&self, path: &JPath<'_>, message: impl Into<String>) -> FindingsError {
        let offset = locate(self.text, self.start, path);
        FindingsError::at_offset(self.file, self.text, offset, message)
    }

    pub(crate) fn object<'v>(
        &self,
        v: &'v Value,
        path: &JPath<'_>,
        what: &str,
    ) -> Result<&'v Obj, FindingsError> {
        match v {
            Value::Object(m) => Ok(m),
            other => Err(self.err(
                path,
                format!("expected {what} (a JSON object), found {}", kind_of(other)),
            )),
        }
    }

    /// A field that may be absent or `null`.
    pub(crate) fn opt_str<'v>(
        &self,
        m: &'v Obj,
        path: &JPath<'_>,
        key: &str,
    ) -> Result<Option<&'v str>, FindingsError> {
        match m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.err(
                &path.key(key),
                format!("expected `{key}` to be a string, found {}", kind_of(other)),
            )),
        }
    }

    pub(crate) fn req_str<'v>(
        &self,
        m: &'v Obj,
        path: &JPath<'_>,
        key: &str,
        what: &str,
    ) -> Result<&'v str, FindingsError> {
        match self.opt_str(m, path, key)? {
            Some(s) => Ok(s),
            None => Err(self.missing(m, path, key, &format!("{what} has no `{key}` string"))),
        }
    }

    /// An error about a required field: at its `null` when there is one, else at the object.
    pub(crate) fn missing(
        &self,
        m: &Obj,
        path: &JPath<'_>,
        key: &str,
        message: &str,
    ) -> FindingsError {
        if m.contains_key(key) {
            self.err(&path.key(key), message)
        } else {
            self.err(path, message)
        }
    }

    /// A timestamp kept as the string AWS printed.
    pub(crate) fn opt_time(
        &self,
        m: &Obj,
        path: &JPath<'_>,
        key: &str,
    ) -> Result<Option<String>, FindingsError> {
        match m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.err(
                &path.key(key),
                format!(
                    "expected `{key}` to be an ISO 8601 timestamp string, found {} \
                     (set `cli_timestamp_format = iso8601` in the AWS CLI config)",
                    kind_of(other)
                ),
            )),
        }
    }

    pub(crate) fn opt_array<'v>(
        &self,
        m: &'v Obj,
        path: &JPath<'_>,
        key: &str,
    ) -> Result<Option<&'v Vec<Value>>, FindingsError> {
        match m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(other) => Err(self.err(
                &path.key(key),
                format!("expected `{key}` to be an array, found {}", kind_of(other)),
            )),
        }
    }

    pub(crate) fn opt_object<'v>(
        &self,
        m: &'v Obj,
        path: &JPath<'_>,
        key: &str,
    ) -> Result<Option<&'v Obj>, FindingsError> {
        match m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o)),
            Some(other) => Err(self.err(
                &path.key(key),
                format!("expected `{key}` to be an object, found {}", kind_of(other)),
            )),
        }
    }

    pub(crate) fn opt_u64(
        &self,
        m: &Obj,
        path: &JPath<'_>,
        key: &str,
    ) -> Result<Option<u64>, FindingsError> {
        match m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v @ Value::Number(n)) => match n.as_u64() {
                Some(x) => Ok(Some(x)),
                None => Err(self.err(
                    &path.key(key),
                    format!("expected `{key}` to be a whole number, found {v}"),
                )),
            },
            Some(other) => Err(self.err(
                &path.key(key),
                format!("expected `{key}` to be a number, found {}", kind_of(other)),
            )),
        }
    }

    pub(crate) fn opt_bool(
        &self,
        m: &Obj,
        path: &JPath<'_>,
        key: &str,
    ) -> Result<Option<bool>, FindingsError> {
        match m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.err(
                &path.key(key),
                format!(
                    "expected `{key}` to be true or false, found {}",
                    kind_of(other)
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(text: &str, path: &JPath<'_>) -> (usize, usize) {
        crate::error::line_col(text, locate(text, 0, path))
    }

    #[test]
    fn locates_nested_values() {
        let text = "{\n  \"a\": [1, {\"b\": \"x\"}],\n  \"c\\u0041\": {\"d\": [ [], \"y\" ]}\n}";
        let root = JPath::Root;
        let a = root.key("a");
        let a1 = a.index(1);
        let a1b = a1.key("b");
        assert_eq!(pos(text, &a), (2, 8));
        assert_eq!(pos(text, &a1), (2, 12));
        assert_eq!(pos(text, &a1b), (2, 18));
        let c = root.key("cA");
        let d = c.key("d");
        let d1 = d.index(1);
        assert_eq!(pos(text, &d1), (3, 26));
    }

    #[test]
    fn missing_keys_point_at_the_container() {
        let text = "[{\"x\": 1}, {\"y\": {\"z\": 2}}]";
        let root = JPath::Root;
        let e1 = root.index(1);
        let missing = e1.key("nope");
        assert_eq!(pos(text, &missing), (1, 12));
        let out_of_range = root.index(5);
        assert_eq!(pos(text, &out_of_range), (1, 1));
    }

    #[test]
    fn last_duplicate_key_wins() {
        let text = r#"{"k": 1, "k": "two"}"#;
        let root = JPath::Root;
        let k = root.key("k");
        assert_eq!(pos(text, &k), (1, 15));
    }

    #[test]
    fn strings_with_brackets_do_not_confuse_skipping() {
        let text = r#"{"a": "]}\"[{", "b": {"c": "}"}, "d": true}"#;
        let root = JPath::Root;
        let d = root.key("d");
        assert_eq!(pos(text, &d), (1, 39));
    }
}
