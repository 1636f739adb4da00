//! The refined document as JSON, with statement order, keys and untouched values as in the input.

use iamprune_syntax::{Node, NodeKind};
use serde_json::{Map, Value};

use crate::model::{ActionKey, PolicyDocument};
use crate::refine::{Outcome, Refinement, StatementRefinement};

/// A spanned tree as JSON. Expressions become their description, as a string.
pub fn to_json(node: &Node) -> Value {
    match &node.kind {
        NodeKind::Null => Value::Null,
        NodeKind::Bool(b) => Value::Bool(*b),
        NodeKind::Number(text) => {
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()))
        }
        NodeKind::String(s) => Value::String(s.clone()),
        NodeKind::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        NodeKind::Object(members) => {
            let mut map = Map::new();
            for m in members {
                map.insert(m.key.clone(), to_json(&m.value));
            }
            Value::Object(map)
        }
        NodeKind::Opaque(what) => Value::String(what.clone()),
    }
}

/// The document with the refinement applied. `node` is the tree `document` was read from.
pub fn refined_json(node: &Node, document: &PolicyDocument, refinement: &Refinement) -> Value {
    let Some(members) = node.as_object() else {
        return to_json(node);
    };
    let mut map = Map::new();
    for member in members {
        let value = if member.key == "Statement" {
            let items: Vec<&Node> = match &member.value.kind {
                NodeKind::Array(items) => items.iter().collect(),
                _ => vec![&member.value],
            };
            let statements: Vec<Value> = items
                .iter()
                .zip(&refinement.statements)
                .filter_map(|(item, change)| refined_statement(item, change))
                .collect();
            if document.statement_is_list || statements.len() != 1 {
                Value::Array(statements)
            } else {
                statements.into_iter().next().unwrap_or(Value::Null)
            }
        } else {
            to_json(&member.value)
        };
        map.insert(member.key.clone(), value);
    }
    Value::Object(map)
}

/// One statement after its refinement; `None` when it goes.
fn refined_statement(node: &Node, change: &StatementRefinement) -> Option<Value> {
    let members = match (node.as_object(), change) {
        (Some(members), _) => members,
        (None, _) => return Some(to_json(node)),
    };
    let mut map = Map::new();
    for member in members {
        let key = member.key.as_str();
        let is_action = key == ActionKey::Action.as_str();
        let is_not_action = key == ActionKey::NotAction.as_str();
        let original: Vec<Value> = match &member.value.kind {
            NodeKind::Array(items) => items.iter().map(to_json).collect(),
            _ => vec![to_json(&member.value)],
        };
        let was_list = matches!(member.value.kind, NodeKind::Array(_));
        match change {
            StatementRefinement::Elements {
                changes,
                removes_statement,
                ..
            } if is_action => {
                if *removes_statement {
                    return None;
                }
                let mut items = Vec::new();
                for (i, value) in original.into_iter().enumerate() {
                    match changes
                        .iter()
                        .find(|c| c.element == i)
                        .map(|c| &c.refinement.outcome)
                    {
                        None | Some(Outcome::Keep) => items.push(value),
                        Some(Outcome::Remove) => {}
                        Some(Outcome::Replace(patterns)) => {
                            items.extend(patterns.iter().cloned().map(Value::String))
                        }
                    }
                }
                map.insert(member.key.clone(), list_or_single(items, was_list));
            }
            StatementRefinement::ToNotAction { not_action } if is_action => {
                let items = not_action.iter().cloned().map(Value::String).collect();
                map.insert(
                    ActionKey::NotAction.as_str().to_string(),
                    Value::Array(items),
                );
            }
            StatementRefinement::ExtendNotAction { added } if is_not_action => {
                let mut items = original;
                items.extend(added.iter().cloned().map(Value::String));
                map.insert(member.key.clone(), Value::Array(items));
            }
            _ => {
                map.insert(member.key.clone(), to_json(&member.value));
            }
        }
    }
    Some(Value::Object(map))
}

/// A single string stays a string when one pattern is left.
fn list_or_single(mut items: Vec<Value>, was_list: bool) -> Value {
    if !was_list && items.len() == 1 {
        items.pop().unwrap_or(Value::Null)
    } else {
        Value::Array(items)
    }
}
