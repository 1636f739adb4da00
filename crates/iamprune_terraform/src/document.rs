//! Policy documents written in HCL: the argument of `jsonencode(...)` and the blocks of
//! `data "aws_iam_policy_document"`, as IAM-shaped trees whose spans are the HCL source.
//!
//! Literal locals (and variables a calling module passes a literal for) used as actions are resolved;
//! a value that depends on a variable's default stays opaque, since tfvars, `-var` or a caller may set
//! another:
//! - a string (`local.action`) becomes a string element whose span is the reference, so a fix
//!   replaces the reference by literal text in this policy only;
//! - a list used as the whole value (`actions = local.actions`) points its elements at the list's
//!   definition when that definition is in the same file and the module mentions it only once (a fix
//!   then edits the definition, which nothing else reads); otherwise the value stays opaque.
//!
//! Either way the site gets a note saying where the value came from.

use iamprune_policy::SiteNote;
use iamprune_syntax::{Member, Node, NodeKind};

use crate::embedded::short;
use crate::ir::{Block, Expr, ExprKind, MAX_DEPTH};
use crate::scope::{Instance, Located, Scope};

pub(crate) struct Converter<'s, 'a> {
    pub scope: &'s Scope<'a>,
    pub file: usize,
    pub notes: Vec<SiteNote>,
}

impl<'s, 'a> Converter<'s, 'a> {
    pub fn new(scope: &'s Scope<'a>, file: usize) -> Self {
        Converter {
            scope,
            file,
            notes: Vec::new(),
        }
    }

    fn text(&self) -> &'a str {
        self.scope.text(self.file)
    }

    fn opaque(&self, expr: &Expr) -> Node {
        let what = expr
            .span
            .slice(self.text())
            .map_or_else(|| "expression".to_string(), short);
        Node::new(expr.span, NodeKind::Opaque(what))
    }

    /// An HCL value as JSON would see it after `jsonencode`.
    pub fn value(&mut self, expr: &Expr, depth: usize) -> Node {
        self.value_in(expr, false, depth)
    }

    /// A value written at a module call for a statement key, actions resolved as in a document.
    pub fn value_of(&mut self, expr: &Expr, actions: bool) -> Node {
        self.value_in(expr, actions, 2)
    }

    fn value_in(&mut self, expr: &Expr, actions: bool, depth: usize) -> Node {
        if depth > MAX_DEPTH {
            return self.opaque(expr);
        }
        let kind = match &expr.kind {
            ExprKind::Str(s) => NodeKind::String(s.clone()),
            ExprKind::Number(n) => NodeKind::Number(n.clone()),
            ExprKind::Bool(b) => NodeKind::Bool(*b),
            ExprKind::Null => NodeKind::Null,
            ExprKind::Array(items) => NodeKind::Array(
                items
                    .iter()
                    .map(|e| self.value_in(e, actions, depth + 1))
                    .collect(),
            ),
            ExprKind::Object(members) => NodeKind::Object(
                members
                    .iter()
                    .map(|m| {
                        let is_actions = matches!(m.key.as_str(), "Action" | "NotAction");
                        Member {
                            key: m.key.clone(),
                            key_span: m.key_span,
                            value: self.value_in(&m.value, is_actions, depth + 1),
                        }
                    })
                    .collect(),
            ),
            ExprKind::Ref { .. } if actions => return self.resolved(expr),
            _ => return self.opaque(expr),
        };
        Node::new(expr.span, kind)
    }

    /// A reference standing for actions, resolved when it is a literal local or variable default.
    fn resolved(&mut self, expr: &Expr) -> Node {
        let Some(path) = expr.ref_path() else {
            return self.opaque(expr);
        };
        let name = path.iter().take(2).cloned().collect::<Vec<_>>().join(".");
        let here = Located {
            file: self.file,
            expr,
        };
        if let Some(value) = self.scope.certain_string(here, &Instance::default()) {
            self.notes.push(SiteNote {
                span: expr.span,
                message: if name.starts_with("var.") {
                    format!(
                        "`{name}` is read as the literal the calling module passes; a change writes the value in place of the reference"
                    )
                } else {
                    format!(
                        "`{name}` is read as its literal value; a change writes the value in place of the reference"
                    )
                },
            });
            return Node::new(expr.span, NodeKind::String(value));
        }
        if self.scope.string(here, &Instance::default()).is_some()
            || (name.starts_with("var.")
                && path
                    .get(..2)
                    .and_then(|variable| self.scope.definition(variable))
                    .is_some())
        {
            // The value depends on a variable's default, which terraform.tfvars, `-var` or a caller may
            // override: an action written there is never removed.
            self.notes.push(SiteNote {
                span: expr.span,
                message: format!(
                    "`{name}` depends on a variable whose value may be set outside the module (terraform.tfvars, -var, a caller); its actions are kept as they are"
                ),
            });
            return self.opaque(expr);
        }
        let Some(definition) = self.scope.definition(path) else {
            return self.opaque(expr);
        };
        let single_use = self.scope.use_count(path) == 1;
        if definition.file == self.file && single_use {
            if let ExprKind::Array(items) = &definition.expr.kind {
                if items.iter().all(|e| matches!(e.kind, ExprKind::Str(_))) {
                    self.notes.push(SiteNote {
                        span: expr.span,
                        message: format!(
                            "the actions are the literal list of `{name}`; a change edits its definition"
                        ),
                    });
                    let elements = items
                        .iter()
                        .map(|e| {
                            Node::new(
                                e.span,
                                NodeKind::String(e.as_str().unwrap_or_default().to_string()),
                            )
                        })
                        .collect();
                    return Node::new(expr.span, NodeKind::Array(elements));
                }
            }
        }
        if !single_use {
            // Whatever else reads it (a parameter, a tag, another policy) would change with an edit.
            self.notes.push(SiteNote {
                span: expr.span,
                message: format!(
                    "`{name}` is used {} times in the module: an edit of its definition would change every use, so its actions are kept as they are",
                    self.scope.use_count(path)
                ),
            });
        }
        self.opaque(expr)
    }

    /// The document of a `data "aws_iam_policy_document"` block.
    pub fn policy_document(&mut self, block: &Block) -> Node {
        let body = &block.body;
        let mut members = Vec::new();
        for (attr, key) in [("version", "Version"), ("policy_id", "Id")] {
            if let Some(a) = body.attr(attr) {
                members.push(Member {
                    key: key.into(),
                    key_span: a.key_span,
                    value: self.value(&a.value, 1),
                });
            }
        }
        let mut statements = Vec::new();
        let (replaced, unread) = self.overriding_sids(body);
        self.notes.extend(unread);
        for nested in &body.blocks {
            match nested.ident.as_str() {
                "statement" => {
                    let sid = nested.body.attr("sid").and_then(|a| a.value.as_str());
                    match sid.and_then(|sid| Some((sid, replaced.get(sid)?))) {
                        Some((sid, by)) => {
                            self.notes.push(SiteNote {
                                span: nested.span,
                                message: format!(
                                    "statement `{sid}` is replaced by the one with the same sid in `data.aws_iam_policy_document.{by}` (override_policy_documents), so it is never deployed; it is not checked"
                                ),
                            });
                            statements.push(Node::new(
                                nested.span,
                                NodeKind::Opaque(format!("statement `{sid}`, overridden")),
                            ));
                        }
                        None => statements.push(self.statement(nested)),
                    }
                }
                "dynamic" if nested.labels.first().is_some_and(|l| l == "statement") => {
                    self.notes.push(SiteNote {
                        span: nested.span,
                        message: "`dynamic \"statement\"`: how many statements it makes, and with which values, is only known when Terraform runs; it is never narrowed".into(),
                    });
                    statements.push(self.dynamic_statement(nested));
                }
                _ => {}
            }
        }
        for chain in [
            "source_policy_documents",
            "override_policy_documents",
            "source_json",
            "override_json",
        ] {
            if let Some(a) = body.attr(chain) {
                self.notes.push(SiteNote {
                    span: a.key_span,
                    message: format!(
                        "`{chain}` merges other documents into this one; they are checked where they are written"
                    ),
                });
            }
        }
        members.push(Member {
            key: "Statement".into(),
            key_span: block.span,
            value: Node::new(block.span, NodeKind::Array(statements)),
        });
        Node::new(block.span, NodeKind::Object(members))
    }

    /// The sids of the statements the documents of `override_policy_documents` (references to data
    /// sources of this module) hold, with the document that holds each: Terraform replaces this
    /// document's statement of the same sid by theirs. What cannot be read of them is noted: a
    /// statement of this document may then be replaced without it being said which.
    fn overriding_sids(
        &self,
        body: &crate::ir::Body,
    ) -> (std::collections::BTreeMap<String, String>, Vec<SiteNote>) {
        let mut out = std::collections::BTreeMap::new();
        let mut notes = Vec::new();
        let Some(attr) = body.attr("override_policy_documents") else {
            return (out, notes);
        };
        let unread = |span, what: &str| SiteNote {
            span,
            message: format!(
                "override_policy_documents: {what}, so which statements of this document it replaces is not known; the statements here are checked as written"
            ),
        };
        let ExprKind::Array(items) = &attr.value.kind else {
            notes.push(unread(
                attr.value.span,
                "not a list of documents written here",
            ));
            return (out, notes);
        };
        for item in items {
            let path: Vec<&str> = item
                .ref_path()
                .map(|p| p.iter().map(String::as_str).collect())
                .unwrap_or_default();
            let ["data", "aws_iam_policy_document", name, "json"] = path.as_slice() else {
                notes.push(unread(
                    item.span,
                    "an item is not the `.json` of an `aws_iam_policy_document` of this module",
                ));
                continue;
            };
            let blocks = self.scope.files.iter().flat_map(|f| f.body.blocks.iter());
            for block in blocks.filter(|b| {
                b.ident == "data"
                    && b.labels
                        .first()
                        .is_some_and(|l| l == "aws_iam_policy_document")
                    && b.labels.get(1).is_some_and(|l| l == *name)
            }) {
                for statement in &block.body.blocks {
                    let sid = statement.body.attr("sid");
                    match (statement.ident.as_str(), sid.map(|a| a.value.as_str())) {
                        ("statement", Some(Some(sid))) => {
                            out.insert(sid.to_string(), name.to_string());
                        }
                        ("statement", Some(None)) => notes.push(unread(
                            item.span,
                            &format!(
                                "a sid in `data.aws_iam_policy_document.{name}` is not a literal"
                            ),
                        )),
                        ("dynamic", _)
                            if statement.labels.first().is_some_and(|l| l == "statement") =>
                        {
                            notes.push(unread(
                                item.span,
                                &format!(
                                    "`data.aws_iam_policy_document.{name}` makes statements with `dynamic \"statement\"`"
                                ),
                            ));
                        }
                        _ => {}
                    }
                }
            }
        }
        (out, notes)
    }

    /// A `dynamic "statement"` block. Its `content` is converted like a statement, so that its
    /// literal actions are seen (by the catalog checks), but its `Effect` is opaque: the engine never
    /// narrows a statement whose effect it does not know, and a generated statement must not be.
    fn dynamic_statement(&mut self, dynamic: &Block) -> Node {
        let Some(content) = dynamic.body.blocks("content").next() else {
            return Node::new(
                dynamic.span,
                NodeKind::Opaque("dynamic \"statement\"".into()),
            );
        };
        let mut node = self.statement(content);
        if let NodeKind::Object(members) = &mut node.kind {
            for member in members.iter_mut().filter(|m| m.key == "Effect") {
                member.value = Node::new(
                    member.value.span,
                    NodeKind::Opaque("effect of a dynamic \"statement\"".into()),
                );
            }
        }
        node.span = dynamic.span;
        node
    }

    fn statement(&mut self, block: &Block) -> Node {
        let body = &block.body;
        let mut members = Vec::new();
        if let Some(a) = body.attr("sid") {
            members.push(Member {
                key: "Sid".into(),
                key_span: a.key_span,
                value: self.value(&a.value, 2),
            });
        }
        match body.attr("effect") {
            Some(a) => members.push(Member {
                key: "Effect".into(),
                key_span: a.key_span,
                value: self.value(&a.value, 2),
            }),
            // The data source's default; it is not written, so it points at the whole block.
            None => members.push(Member {
                key: "Effect".into(),
                key_span: block.span,
                value: Node::new(block.span, NodeKind::String("Allow".into())),
            }),
        }
        for (attr, key) in [
            ("actions", "Action"),
            ("not_actions", "NotAction"),
            ("resources", "Resource"),
            ("not_resources", "NotResource"),
        ] {
            if let Some(a) = body.attr(attr) {
                let actions = matches!(attr, "actions" | "not_actions");
                members.push(Member {
                    key: key.into(),
                    key_span: a.key_span,
                    value: self.value_in(&a.value, actions, 2),
                });
            }
        }
        self.one_action_key(&mut members, block);
        for (ident, key) in [
            ("principals", "Principal"),
            ("not_principals", "NotPrincipal"),
        ] {
            if let Some(node) = self.principals(block, ident) {
                members.push(Member {
                    key: key.into(),
                    key_span: node.span,
                    value: node,
                });
            }
        }
        if let Some(node) = self.conditions(block) {
            members.push(Member {
                key: "Condition".into(),
                key_span: node.span,
                value: node,
            });
        }
        Node::new(block.span, NodeKind::Object(members))
    }

    /// Modules often write `actions = s.actions` and `not_actions = s.not_actions` in one statement,
    /// one of them null at run time. IAM allows only one of the two, so the expression is dropped
    /// (both expressions: `not_actions`), with a note, and a literal list is kept.
    fn one_action_key(&mut self, members: &mut Vec<Member>, block: &Block) {
        let opaque = |key: &str| {
            members
                .iter()
                .find(|m| m.key == key)
                .map(|m| matches!(m.value.kind, NodeKind::Opaque(_)))
        };
        let drop = match (opaque("Action"), opaque("NotAction")) {
            (Some(_), Some(true)) => "NotAction",
            (Some(true), Some(false)) => "Action",
            _ => return,
        };
        members.retain(|m| m.key != drop);
        self.notes.push(SiteNote {
            span: block.span,
            message: format!(
                "the statement sets both `actions` and `not_actions`; the expression in `{}` is taken to be null",
                if drop == "Action" { "actions" } else { "not_actions" }
            ),
        });
    }

    /// `principals { type = "AWS" identifiers = [...] }` blocks as `{"AWS": [...]}`.
    fn principals(&mut self, statement: &Block, ident: &str) -> Option<Node> {
        let blocks: Vec<&Block> = statement.body.blocks(ident).collect();
        let first = blocks.first()?;
        if statement
            .body
            .blocks("dynamic")
            .any(|d| d.labels.first().is_some_and(|l| l == ident))
        {
            return Some(Node::new(
                first.span,
                NodeKind::Opaque(format!("dynamic \"{ident}\"")),
            ));
        }
        let members = blocks
            .iter()
            .map(|b| {
                let key = b
                    .body
                    .attr("type")
                    .and_then(|t| t.value.as_str())
                    .unwrap_or("?")
                    .to_string();
                let value = match b.body.attr("identifiers") {
                    Some(ids) => self.value(&ids.value, 3),
                    None => Node::new(b.span, NodeKind::Array(Vec::new())),
                };
                Member {
                    key,
                    key_span: b.span,
                    value,
                }
            })
            .collect();
        Some(Node::new(first.span, NodeKind::Object(members)))
    }

    /// `condition { test variable values }` blocks as `{"test": {"variable": values}}`.
    fn conditions(&mut self, statement: &Block) -> Option<Node> {
        let blocks: Vec<&Block> = statement.body.blocks("condition").collect();
        let first = blocks.first()?;
        let members = blocks
            .iter()
            .map(|b| {
                let attr_text = |name: &str| {
                    b.body
                        .attr(name)
                        .and_then(|a| a.value.as_str())
                        .unwrap_or("?")
                        .to_string()
                };
                let values = match b.body.attr("values") {
                    Some(v) => self.value(&v.value, 4),
                    None => Node::new(b.span, NodeKind::Array(Vec::new())),
                };
                let span = b.span;
                Member {
                    key: attr_text("test"),
                    key_span: span,
                    value: Node::new(
                        span,
                        NodeKind::Object(vec![Member {
                            key: attr_text("variable"),
                            key_span: span,
                            value: values,
                        }]),
                    ),
                }
            })
            .collect();
        Some(Node::new(first.span, NodeKind::Object(members)))
    }
}

/// Whether an HCL object looks like a policy document (has a `Statement` key).
pub(crate) fn is_policy_object(expr: &Expr) -> bool {
    matches!(&expr.kind, ExprKind::Object(members) if members.iter().any(|m| m.key == "Statement"))
}
