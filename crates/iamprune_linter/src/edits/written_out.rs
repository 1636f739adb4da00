//! Statements a SAM policy template stands for, written out in its place with one change made
//! (`--fix-sam-templates`): the template holds no action an edit could remove, so the fix is the
//! statements themselves, in the file's syntax and indentation.

use iamprune_cfn::spelling::needs_quotes;
use iamprune_policy::Syntax;
use iamprune_syntax::spelling::json_string;
use serde_json::{Map, Value};

use super::Writer;
use crate::diagnostic::Edit;

/// What a fix changes in one statement.
#[derive(Debug, Clone, Copy)]
pub enum Change<'p> {
    /// Element `i` of the statement's `Action` becomes these patterns.
    Replace(usize, &'p [String]),
    /// Element `i` of the statement's `Action` goes.
    Remove(usize),
    /// The statement goes: none of its actions is used.
    RemoveStatement,
}

impl Writer<'_> {
    /// `Some` for the statements of a template the user asked to have written out: the edit that
    /// writes them in the template's place with `change` made in statement `statement`. No edit when
    /// no statement would be left (the template goes as a whole, which is the user's call) or the
    /// text around is not one a template is written in.
    pub fn write_out(&self, statement: usize, change: Change<'_>) -> Option<Vec<Edit>> {
        let expansion = self.written_out?;
        let mut statements = expansion.statements.clone()?;
        let changed = match change {
            Change::RemoveStatement => {
                (statement < statements.len()).then(|| drop(statements.remove(statement)))
            }
            Change::Replace(i, patterns) => actions(statements.get_mut(statement)).and_then(|a| {
                (i < a.len()).then(|| {
                    a.splice(i..=i, patterns.iter().map(|p| Value::String(p.clone())))
                        .for_each(drop)
                })
            }),
            Change::Remove(i) => actions(statements.get_mut(statement))
                .and_then(|a| (i < a.len()).then(|| drop(a.remove(i)))),
        };
        if changed.is_none() || statements.is_empty() {
            return Some(Vec::new());
        }
        let statements: Vec<Value> = statements.into_iter().map(hand_written_order).collect();
        let text = self.text;
        let span = expansion.span;
        // A block node's span may run on to the next line's indentation; the edit ends where the
        // template's text does.
        let written = text.get(span.range())?;
        let end = span.start + written.trim_end().len();
        let line_start = self.line_start(span.start);
        let column = text.get(line_start..span.start)?;
        let newline = self.line_break(span.start);
        let document = Value::Object(Map::from_iter([(
            "Statement".to_string(),
            Value::Array(statements),
        )]));
        let content = match &expansion.around {
            Syntax::Yaml if !written.starts_with('{') => {
                let step = match self.indent_step() {
                    s if s.contains('\t') => 2,
                    s => s.len(),
                };
                let mut yaml = Yaml {
                    out: String::new(),
                    step,
                    newline,
                };
                yaml.map_entries(document.as_object()?, column.chars().count(), true);
                yaml.out
            }
            // A flow mapping in YAML takes JSON, which is YAML's flow syntax.
            Syntax::Yaml => serde_json::to_string(&document).ok()?,
            Syntax::Json => {
                let indent: String = column
                    .chars()
                    .take_while(|c| *c == ' ' || *c == '\t')
                    .collect();
                let mut json = Json {
                    out: String::new(),
                    step: self.indent_step().to_string(),
                    newline,
                };
                json.value(&document, &indent);
                json.out
            }
            _ => return Some(Vec::new()),
        };
        Some(vec![
            self.edit(iamprune_syntax::Span::new(span.start, end), content),
        ])
    }
}

/// The `Action` list of a statement, a single string made a list.
fn actions(statement: Option<&mut Value>) -> Option<&mut Vec<Value>> {
    let action = statement?.as_object_mut()?.get_mut("Action")?;
    if let Value::String(one) = action {
        *action = Value::Array(vec![Value::String(std::mem::take(one))]);
    }
    action.as_array_mut()
}

/// A statement with its members in the order statements are written by hand: `Effect`, the
/// actions, the resources, the condition, then anything else as it was.
fn hand_written_order(statement: Value) -> Value {
    const ORDER: [&str; 6] = [
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    ];
    let Value::Object(mut map) = statement else {
        return statement;
    };
    let mut ordered = Map::new();
    for key in ORDER {
        if let Some(value) = map.shift_remove(key) {
            ordered.insert(key.into(), value);
        }
    }
    ordered.extend(map);
    Value::Object(ordered)
}

/// Block YAML as CloudFormation templates are written: sequences one step under their key, a
/// mapping in a sequence starting on the `- ` line, intrinsics as short tags.
struct Yaml {
    out: String,
    step: usize,
    newline: &'static str,
}

impl Yaml {
    /// The entries of a mapping whose keys are at `column`; the first on the current line when
    /// `inline` (after a `- `, or where the replaced text began).
    fn map_entries(&mut self, map: &Map<String, Value>, column: usize, inline: bool) {
        for (i, (key, value)) in map.iter().enumerate() {
            if i > 0 || !inline {
                self.line(column);
            }
            self.out.push_str(&scalar(key));
            self.out.push(':');
            self.value(value, column);
        }
    }

    /// The items of a sequence whose dashes are at `column`, each on a line of its own.
    fn sequence(&mut self, items: &[Value], column: usize) {
        for item in items {
            self.line(column);
            self.out.push('-');
            match item {
                Value::Object(map) if !map.is_empty() && tag(map).is_none() => {
                    self.out.push(' ');
                    self.map_entries(map, column + 2, true);
                }
                _ => self.value(item, column),
            }
        }
    }

    /// A value after a key's `:` or an item's `-` at `column`.
    fn value(&mut self, value: &Value, column: usize) {
        match value {
            Value::Object(map) if map.is_empty() => self.out.push_str(" {}"),
            Value::Array(items) if items.is_empty() => self.out.push_str(" []"),
            Value::Object(map) => match tag(map) {
                Some((name, Value::Array(parts)))
                    if name == "GetAtt"
                        && parts.len() == 2
                        && parts
                            .iter()
                            .all(|p| p.as_str().is_some_and(|p| !needs_quotes(p))) =>
                {
                    let parts: Vec<&str> = parts.iter().filter_map(Value::as_str).collect();
                    self.out.push_str(&format!(" !GetAtt {}", parts.join(".")));
                }
                Some((name, argument @ (Value::Array(_) | Value::Object(_)))) => {
                    self.out.push_str(&format!(" !{name}"));
                    self.nested(argument, column);
                }
                Some((name, argument)) => {
                    self.out.push_str(&format!(" !{name} {}", leaf(argument)));
                }
                None => self.nested(value, column),
            },
            Value::Array(_) => self.nested(value, column),
            leaf_value => {
                self.out.push(' ');
                self.out.push_str(&leaf(leaf_value));
            }
        }
    }

    /// A mapping or sequence on the lines under `column`, one step in.
    fn nested(&mut self, value: &Value, column: usize) {
        match value {
            Value::Object(map) => self.map_entries(map, column + self.step, false),
            Value::Array(items) => self.sequence(items, column + self.step),
            other => {
                self.out.push(' ');
                self.out.push_str(&leaf(other));
            }
        }
    }

    fn line(&mut self, column: usize) {
        self.out.push_str(self.newline);
        self.out.push_str(&" ".repeat(column));
    }
}

/// JSON as templates are written: one member or item per line, an intrinsic function on one line
/// when it fits.
struct Json {
    out: String,
    step: String,
    newline: &'static str,
}

impl Json {
    /// `value` on a line indented by `indent`.
    fn value(&mut self, value: &Value, indent: &str) {
        let inner = format!("{indent}{}", self.step);
        match value {
            Value::Object(map) if !map.is_empty() => {
                let one_line = compact(value);
                if tag(map).is_some() && inner.len() + one_line.len() <= WIDTH {
                    self.out.push_str(&one_line);
                    return;
                }
                self.out.push('{');
                for (i, (key, value)) in map.iter().enumerate() {
                    self.out.push_str(if i > 0 { "," } else { "" });
                    self.out.push_str(self.newline);
                    self.out.push_str(&inner);
                    self.out.push_str(&json_string(key));
                    self.out.push_str(": ");
                    self.value(value, &inner);
                }
                self.out.push_str(self.newline);
                self.out.push_str(indent);
                self.out.push('}');
            }
            Value::Array(items) if !items.is_empty() => {
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    self.out.push_str(if i > 0 { "," } else { "" });
                    self.out.push_str(self.newline);
                    self.out.push_str(&inner);
                    self.value(item, &inner);
                }
                self.out.push_str(self.newline);
                self.out.push_str(indent);
                self.out.push(']');
            }
            other => self.out.push_str(&compact(other)),
        }
    }
}

/// A line's width past which an intrinsic function is not written on one line.
const WIDTH: usize = 100;

/// JSON on one line, with a space after each `:` and `,`.
fn compact(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let members: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", json_string(k), compact(v)))
                .collect();
            format!("{{{}}}", members.join(", "))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(compact).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// The short tag of an intrinsic function object (`{"Fn::Sub": …}` → `Sub`, `{"Ref": …}` → `Ref`).
/// `Condition` is not one here: in a statement it is the condition block.
fn tag(map: &Map<String, Value>) -> Option<(&str, &Value)> {
    let (key, value) = map.iter().next().filter(|_| map.len() == 1)?;
    let name = if key == "Ref" {
        "Ref"
    } else {
        key.strip_prefix("Fn::")?
    };
    Some((name, value))
}

/// A scalar as YAML reads it back as the same value.
fn leaf(value: &Value) -> String {
    match value {
        Value::String(s) => scalar(s),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

/// A string as YAML reads it back as the same string: plain when it can be, else quoted, single
/// quotes first, as templates are written.
fn scalar(s: &str) -> String {
    if !needs_quotes(s) {
        s.to_string()
    } else if !s.contains('\'') && !s.chars().any(char::is_control) {
        format!("'{s}'")
    } else {
        json_string(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_quoted_only_when_yaml_would_read_them_otherwise() {
        let cases = [
            ("s3:GetObject", "s3:GetObject"),
            (
                "arn:${AWS::Partition}:s3:::${bucketName}/*",
                "arn:${AWS::Partition}:s3:::${bucketName}/*",
            ),
            ("*", "'*'"),
            ("true", "'true'"),
            ("0123", "'0123'"),
            ("a: b", "'a: b'"),
            ("it's", "it's"),
            ("'quoted'", "\"'quoted'\""),
            ("", "''"),
        ];
        for (s, written) in cases {
            assert_eq!(scalar(s), written, "{s}");
        }
    }
}
