//! A small spanned model of Terraform configuration, built from either HCL (hcl-edit) or the JSON
//! syntax (`.tf.json`), so that everything after parsing works on one shape.

use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::{Body as HclBody, Structure};
use iamprune_syntax::Span;

/// Hostile inputs can nest expressions arbitrarily; the converters stop here instead of recursing on.
pub(crate) const MAX_DEPTH: usize = 200;

#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub ident: String,
    pub labels: Vec<String>,
    pub span: Span,
    pub body: Body,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Body {
    pub attrs: Vec<Attr>,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
pub(crate) struct Attr {
    pub name: String,
    pub key_span: Span,
    pub value: Expr,
}

#[derive(Debug, Clone)]
pub(crate) struct Expr {
    pub span: Span,
    pub kind: ExprKind,
}

#[derive(Debug, Clone)]
pub(crate) enum ExprKind {
    /// A double-quoted string without interpolations. `value` is decoded; the span includes the quotes.
    Str(String),
    /// A string holding interpolations or directives, or any heredoc. Its text is decoded from the raw
    /// source on demand (see `template`).
    Template(TemplateForm),
    Number(String),
    Bool(bool),
    Null,
    Array(Vec<Expr>),
    Object(Vec<ObjMember>),
    Call {
        name: String,
        args: Vec<Expr>,
    },
    /// A traversal such as `aws_iam_role.app[0].name`: the attribute names in order, indexes dropped
    /// (every instance of a resource is meant alike).
    Ref {
        path: Vec<String>,
    },
    /// `cond ? then : otherwise`; the condition is not kept, since nothing here evaluates it.
    Conditional {
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// `[for k, v in collection : value if cond]` or `{for k, v in collection : key => value}`.
    For(Box<ForExpr>),
    /// Anything only evaluation could tell (operators, splats of expressions).
    Other,
}

#[derive(Debug, Clone)]
pub(crate) struct ForExpr {
    pub key_var: Option<String>,
    pub value_var: String,
    pub collection: Expr,
    /// The key expression of an object `for`; `None` for a tuple `for`.
    pub key: Option<Expr>,
    pub value: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TemplateForm {
    /// `"..."` in HCL, or a JSON string in `.tf.json`: backslash escapes apply.
    Quoted,
    /// `<<EOF` / `<<-EOF`: the span covers the whole heredoc, delimiters included.
    Heredoc,
}

#[derive(Debug, Clone)]
pub(crate) struct ObjMember {
    pub key: String,
    pub key_span: Span,
    pub value: Expr,
}

impl Body {
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    pub fn blocks<'a>(&'a self, ident: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.blocks.iter().filter(move |b| b.ident == ident)
    }
}

impl Expr {
    pub fn new(span: Span, kind: ExprKind) -> Self {
        Expr { span, kind }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// `Some(["aws_iam_role", "app", "name"])` for a reference.
    pub fn ref_path(&self) -> Option<&[String]> {
        match &self.kind {
            ExprKind::Ref { path, .. } => Some(path),
            _ => None,
        }
    }
}

fn span_of(range: Option<std::ops::Range<usize>>, base: usize) -> Span {
    range.map_or(Span::new(base, base), |r| {
        Span::new(r.start + base, r.end + base)
    })
}

/// Converts a parsed HCL body. `base` is added to every span (the BOM shift).
pub(crate) fn body_from_hcl(body: &HclBody, base: usize, depth: usize) -> Body {
    let mut out = Body::default();
    if depth > MAX_DEPTH {
        return out;
    }
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => out.attrs.push(Attr {
                name: attr.key.as_str().to_string(),
                key_span: span_of(attr.key.span(), base),
                value: expr_from_hcl(&attr.value, base, depth + 1),
            }),
            Structure::Block(block) => out.blocks.push(Block {
                ident: block.ident.as_str().to_string(),
                labels: block
                    .labels
                    .iter()
                    .map(|l| l.as_str().to_string())
                    .collect(),
                span: span_of(block.span(), base),
                body: body_from_hcl(&block.body, base, depth + 1),
            }),
        }
    }
    out
}

/// Converts an HCL expression; spans are shifted by `base`.
pub(crate) fn expr_from_hcl(expr: &Expression, base: usize, depth: usize) -> Expr {
    let span = span_of(expr.span(), base);
    if depth > MAX_DEPTH {
        return Expr::new(span, ExprKind::Other);
    }
    let kind = match expr {
        Expression::Null(_) => ExprKind::Null,
        Expression::Bool(b) => ExprKind::Bool(*b.value()),
        Expression::Number(n) => ExprKind::Number(n.to_string().trim().to_string()),
        Expression::String(s) => ExprKind::Str(s.value().clone()),
        Expression::Array(items) => ExprKind::Array(
            items
                .iter()
                .map(|e| expr_from_hcl(e, base, depth + 1))
                .collect(),
        ),
        Expression::Object(object) => ExprKind::Object(
            object
                .iter()
                .map(|(key, value)| {
                    let (name, key_span) = match key {
                        ObjectKey::Ident(ident) => {
                            (ident.as_str().to_string(), span_of(ident.span(), base))
                        }
                        ObjectKey::Expression(Expression::String(s)) => {
                            (s.value().clone(), span_of(s.span(), base))
                        }
                        ObjectKey::Expression(other) => (
                            other.to_string().trim().to_string(),
                            span_of(other.span(), base),
                        ),
                    };
                    ObjMember {
                        key: name,
                        key_span,
                        value: expr_from_hcl(value.expr(), base, depth + 1),
                    }
                })
                .collect(),
        ),
        Expression::StringTemplate(_) => ExprKind::Template(TemplateForm::Quoted),
        Expression::HeredocTemplate(_) => ExprKind::Template(TemplateForm::Heredoc),
        Expression::Parenthesis(p) => return expr_from_hcl(p.inner(), base, depth + 1),
        Expression::Variable(v) => ExprKind::Ref {
            path: vec![v.as_str().to_string()],
        },
        Expression::Traversal(traversal) => match &traversal.expr {
            Expression::Variable(root) => {
                let mut path = vec![root.as_str().to_string()];
                for op in &traversal.operators {
                    if let TraversalOperator::GetAttr(name) = op.value() {
                        path.push(name.as_str().to_string());
                    }
                }
                ExprKind::Ref { path }
            }
            _ => ExprKind::Other,
        },
        Expression::FuncCall(call) => ExprKind::Call {
            name: call.name.name.as_str().to_string(),
            args: call
                .args
                .iter()
                .map(|e| expr_from_hcl(e, base, depth + 1))
                .collect(),
        },
        Expression::Conditional(c) => ExprKind::Conditional {
            then: Box::new(expr_from_hcl(&c.true_expr, base, depth + 1)),
            otherwise: Box::new(expr_from_hcl(&c.false_expr, base, depth + 1)),
        },
        Expression::ForExpr(f) => ExprKind::For(Box::new(ForExpr {
            key_var: f.intro.key_var.as_ref().map(|k| k.as_str().to_string()),
            value_var: f.intro.value_var.as_str().to_string(),
            collection: expr_from_hcl(&f.intro.collection_expr, base, depth + 1),
            key: f
                .key_expr
                .as_ref()
                .map(|k| expr_from_hcl(k, base, depth + 1)),
            value: expr_from_hcl(&f.value_expr, base, depth + 1),
        })),
        Expression::UnaryOp(_) | Expression::BinaryOp(_) => ExprKind::Other,
    };
    Expr::new(span, kind)
}
