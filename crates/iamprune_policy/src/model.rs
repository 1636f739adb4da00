//! IAM policy documents read from a spanned tree, keeping the span of every element the refinement may
//! change.

use iamprune_catalog::Pattern;
use iamprune_syntax::{Member, Node, NodeKind, Span};

/// A policy document as found in a source file.
#[derive(Debug, Clone)]
pub struct PolicyDocument {
    pub span: Span,
    pub version: Option<String>,
    /// Whether `Statement` was an array (`false`: a single statement object).
    pub statement_is_list: bool,
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone)]
pub struct Statement {
    /// Position in the document's `Statement` list.
    pub index: usize,
    pub span: Span,
    pub sid: Option<String>,
    pub effect: Effect,
    /// `Action` or `NotAction`; `None` only when the statement itself is undecidable.
    pub actions: Option<ActionBlock>,
    /// Set when the statement as a whole is an expression (a CloudFormation `Fn::If`, an HCL `dynamic`
    /// block): it cannot be refined. Says what it is.
    pub undecidable: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    Allow,
    Deny,
    /// The effect is an expression.
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionKey {
    Action,
    NotAction,
}

impl ActionKey {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKey::Action => "Action",
            ActionKey::NotAction => "NotAction",
        }
    }
}

/// The `Action` or `NotAction` element of a statement.
#[derive(Debug, Clone)]
pub struct ActionBlock {
    pub key: ActionKey,
    pub key_span: Span,
    /// The span of the value: the array, or the single string.
    pub span: Span,
    /// Whether the value is an array (`false`: a single string).
    pub is_list: bool,
    pub elements: Vec<ActionElement>,
}

/// One action pattern, or an expression standing where one could be.
#[derive(Debug, Clone)]
pub struct ActionElement {
    /// The span of the element in the source, quotes included.
    pub span: Span,
    pub value: ElementValue,
}

#[derive(Debug, Clone)]
pub enum ElementValue {
    Pattern(Pattern),
    /// What only evaluation could tell; the text says what it is.
    Undecidable(String),
}

impl ActionElement {
    pub fn pattern(&self) -> Option<&Pattern> {
        match &self.value {
            ElementValue::Pattern(p) => Some(p),
            ElementValue::Undecidable(_) => None,
        }
    }
}

/// Why a tree is not a policy document the refinement can work on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PolicyError {
    pub span: Span,
    pub message: String,
}

impl PolicyError {
    fn new(span: Span, message: impl Into<String>) -> Self {
        PolicyError {
            span,
            message: message.into(),
        }
    }
}

/// How many documents the process read: the engine reads each site once per check, and its tests hold
/// it to that.
static PARSED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many policy documents [`PolicyDocument::from_node`] has read in this process.
pub fn documents_parsed() -> usize {
    PARSED.load(std::sync::atomic::Ordering::Relaxed)
}

impl PolicyDocument {
    /// Reads a policy document. Keys are matched as IAM does, case-sensitively; unknown keys are
    /// allowed and left alone.
    pub fn from_node(node: &Node) -> Result<PolicyDocument, PolicyError> {
        PARSED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let members = object(node, "a policy document")?;
        reject_duplicates(members)?;
        let version = find(members, "Version").and_then(|m| m.value.as_str().map(str::to_string));
        let Some(statement) = find(members, "Statement") else {
            return Err(PolicyError::new(
                node.span,
                "the policy document has no `Statement`",
            ));
        };
        let (statement_is_list, items): (bool, Vec<&Node>) = match &statement.value.kind {
            NodeKind::Array(items) => (true, items.iter().collect()),
            NodeKind::Object(_) | NodeKind::Opaque(_) => (false, vec![&statement.value]),
            _ => {
                return Err(PolicyError::new(
                    statement.value.span,
                    format!(
                        "`Statement` must be an object or an array of objects, found {}",
                        statement.value.type_name()
                    ),
                ));
            }
        };
        let statements = items
            .into_iter()
            .enumerate()
            .map(|(index, item)| Statement::from_node(index, item))
            .collect::<Result<_, _>>()?;
        Ok(PolicyDocument {
            span: node.span,
            version,
            statement_is_list,
            statements,
        })
    }
}

impl Statement {
    fn from_node(index: usize, node: &Node) -> Result<Statement, PolicyError> {
        if let NodeKind::Opaque(what) = &node.kind {
            return Ok(Statement {
                index,
                span: node.span,
                sid: None,
                effect: Effect::Unknown,
                actions: None,
                undecidable: Some(what.clone()),
            });
        }
        let members = object(node, "a statement")?;
        reject_duplicates(members)?;
        let sid = find(members, "Sid").and_then(|m| m.value.as_str().map(str::to_string));
        let effect = match find(members, "Effect") {
            None => return Err(PolicyError::new(node.span, "the statement has no `Effect`")),
            Some(m) => match &m.value.kind {
                NodeKind::String(s) if s == "Allow" => Effect::Allow,
                NodeKind::String(s) if s == "Deny" => Effect::Deny,
                NodeKind::Opaque(_) => Effect::Unknown,
                _ => {
                    return Err(PolicyError::new(
                        m.value.span,
                        "`Effect` must be \"Allow\" or \"Deny\"",
                    ));
                }
            },
        };
        let action = find(members, "Action");
        let not_action = find(members, "NotAction");
        let (key, member) = match (action, not_action) {
            (Some(a), None) => (ActionKey::Action, a),
            (None, Some(n)) => (ActionKey::NotAction, n),
            (Some(_), Some(n)) => {
                return Err(PolicyError::new(
                    n.key_span,
                    "a statement cannot have both `Action` and `NotAction`",
                ));
            }
            (None, None) => {
                return Err(PolicyError::new(
                    node.span,
                    "the statement has neither `Action` nor `NotAction`",
                ));
            }
        };
        Ok(Statement {
            index,
            span: node.span,
            sid,
            effect,
            actions: Some(ActionBlock::from_member(key, member)?),
            undecidable: None,
        })
    }
}

impl ActionBlock {
    fn from_member(key: ActionKey, member: &Member) -> Result<ActionBlock, PolicyError> {
        let value = &member.value;
        let (is_list, nodes): (bool, Vec<&Node>) = match &value.kind {
            NodeKind::Array(items) => (true, items.iter().collect()),
            _ => (false, vec![value]),
        };
        let elements = nodes
            .into_iter()
            .map(|node| match &node.kind {
                NodeKind::String(s) => Ok(ActionElement {
                    span: node.span,
                    value: ElementValue::Pattern(Pattern::new(s.as_str())),
                }),
                NodeKind::Opaque(what) => Ok(ActionElement {
                    span: node.span,
                    value: ElementValue::Undecidable(what.clone()),
                }),
                _ => Err(PolicyError::new(
                    node.span,
                    format!(
                        "`{}` must hold strings, found {}",
                        key.as_str(),
                        node.type_name()
                    ),
                )),
            })
            .collect::<Result<_, _>>()?;
        Ok(ActionBlock {
            key,
            key_span: member.key_span,
            span: value.span,
            is_list,
            elements,
        })
    }
}

fn object<'a>(node: &'a Node, what: &str) -> Result<&'a [Member], PolicyError> {
    node.as_object().ok_or_else(|| {
        PolicyError::new(
            node.span,
            format!("expected {what} (an object), found {}", node.type_name()),
        )
    })
}

fn find<'a>(members: &'a [Member], key: &str) -> Option<&'a Member> {
    members.iter().find(|m| m.key == key)
}

/// IAM rejects a document with a key twice; a tool that silently took the first or the last would
/// judge a different policy than AWS does.
fn reject_duplicates(members: &[Member]) -> Result<(), PolicyError> {
    let mut seen = std::collections::HashSet::with_capacity(members.len());
    for member in members {
        if !seen.insert(member.key.as_str()) {
            return Err(PolicyError::new(
                member.key_span,
                format!("duplicate key `{}`", member.key),
            ));
        }
    }
    Ok(())
}
