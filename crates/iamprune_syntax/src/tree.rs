//! The spanned value tree: JSON's data model plus opaque nodes for what only evaluation could know.

use crate::Span;

/// A value with the byte span it was parsed from.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Span,
    pub kind: NodeKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    /// The number as written, so untouched values are printed back unchanged.
    Number(String),
    String(String),
    Array(Vec<Node>),
    /// Members in source order; duplicate keys are kept so that they can be reported.
    Object(Vec<Member>),
    /// A value that only evaluation could tell: an intrinsic function, an HCL expression, an
    /// interpolation. The text says what it is, for messages.
    Opaque(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Node {
    pub fn new(span: Span, kind: NodeKind) -> Self {
        Node { span, kind }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[Member]> {
        match &self.kind {
            NodeKind::Object(members) => Some(members),
            _ => None,
        }
    }

    /// The first member called `key` (exact case), if this is an object.
    pub fn get(&self, key: &str) -> Option<&Member> {
        self.as_object()?.iter().find(|m| m.key == key)
    }

    /// A copy of the tree in which `replace` may stand in for any node: where it returns a node, that
    /// node is used and its children are not visited; elsewhere the children are rewritten the same way.
    pub fn rewrite(&self, replace: &impl Fn(&Node) -> Option<Node>) -> Node {
        if let Some(replacement) = replace(self) {
            return replacement;
        }
        let kind = match &self.kind {
            NodeKind::Array(items) => {
                NodeKind::Array(items.iter().map(|i| i.rewrite(replace)).collect())
            }
            NodeKind::Object(members) => NodeKind::Object(
                members
                    .iter()
                    .map(|m| Member {
                        key: m.key.clone(),
                        key_span: m.key_span,
                        value: m.value.rewrite(replace),
                    })
                    .collect(),
            ),
            other => other.clone(),
        };
        Node::new(self.span, kind)
    }

    /// A short name of the node's type, for messages such as "expected a string, found an object".
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Number(_) => "a number",
            NodeKind::String(_) => "a string",
            NodeKind::Array(_) => "an array",
            NodeKind::Object(_) => "an object",
            NodeKind::Opaque(_) => "an expression",
        }
    }
}
