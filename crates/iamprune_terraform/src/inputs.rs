//! Statements a module takes as an input.
//!
//! The most used IAM modules take statements as a variable (`inline_policy_permissions`,
//! `policy_statements`, …) and build the document with a `dynamic "statement"` block or a `for` in
//! `jsonencode`, each attribute a plain projection of the element (`statement.value.actions`,
//! `try(statement.value.effect, null)`). Inside the module those statements are unknown; where the
//! module is called they are literal. So the module's document says how it projects the variable (a
//! [`Projection`]), and each call that passes the variable gets a site of its own, written in the
//! caller's text, that reaches the principals the module's document reaches for that call.

use iamprune_policy::{PolicySite, Purpose, SiteNote, Syntax};
use iamprune_syntax::{Member, Node, NodeKind, Span};

use crate::document::Converter;
use crate::ir::{Block, Expr, ExprKind, ForExpr};
use crate::scope::{Scope, mentions};
use crate::tree::META_ARGUMENTS;

/// How a module turns each element of a variable into a statement.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Projection {
    /// The variable whose elements become statements.
    pub variable: String,
    /// How each statement key (`Effect`, `Action`, …) is read from an element.
    pub fields: Vec<(&'static str, Field)>,
    pub shape: Shape,
    /// How often the module reads the variable other than to make these statements (its
    /// declaration's validations aside): the statements may then reach more than this document.
    pub other_uses: usize,
    /// Where the module makes the statements, for messages.
    pub span: Span,
}

/// What the statements are written as, which decides what a left-out `effect` means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `data "aws_iam_policy_document"` statements: a null `effect` is `Allow`.
    PolicyDocument,
    /// Objects encoded as JSON: a null `Effect` is written as null, which no policy accepts.
    Json,
    /// Given to a module whose code is not here: what a left-out `effect` becomes is not known.
    Unknown,
}

/// How a statement key is read from an element.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Field {
    /// The element's attribute, or the literal the variable's type gives when it is left out.
    Attr {
        name: String,
        default: Option<Literal>,
    },
    /// The element's key in a map.
    Key,
    /// A literal written in the module.
    Literal(Literal),
    /// The first of these that is there (`try`, `coalesce`).
    First(Vec<Field>),
    /// Anything else.
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Str(String),
    Null,
}

/// The statement keys and the attributes of a `data "aws_iam_policy_document"` statement block.
const BLOCK_ATTRIBUTES: &[(&str, &str)] = &[
    ("sid", "Sid"),
    ("effect", "Effect"),
    ("actions", "Action"),
    ("not_actions", "NotAction"),
    ("resources", "Resource"),
    ("not_resources", "NotResource"),
];

/// Keys of a JSON statement that are projected.
const JSON_KEYS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
];

/// How an element and its key are named inside the projection.
struct Names<'n> {
    element: &'n [String],
    key: Option<&'n [String]>,
}

/// The projection a `dynamic "statement"` block makes, if it makes statements from a variable.
pub(crate) fn of_dynamic(scope: &Scope<'_>, file: usize, dynamic: &Block) -> Option<Projection> {
    let for_each = dynamic.body.attr("for_each")?;
    let variable = source_variable(&for_each.value, 0)?;
    let content = dynamic.body.blocks("content").next()?;
    let iterator = match dynamic.body.attr("iterator").map(|a| &a.value.kind) {
        Some(ExprKind::Ref { path }) => path.first()?.clone(),
        Some(_) => return None,
        None => dynamic.labels.first()?.clone(),
    };
    let element = [iterator.clone(), "value".to_string()];
    let key = [iterator, "key".to_string()];
    let names = Names {
        element: &element,
        key: Some(&key),
    };
    let defaults = type_defaults(scope, &variable);
    let fields = BLOCK_ATTRIBUTES
        .iter()
        .filter_map(|(attr, iam)| {
            let a = content.body.attr(attr)?;
            Some((*iam, field(&a.value, &names, &defaults, 0)))
        })
        .collect();
    projection(
        scope,
        file,
        variable,
        fields,
        Shape::PolicyDocument,
        &for_each.value,
        dynamic.span,
    )
}

/// The projection a `Statement = [for s in var.X : {...}]` of a `jsonencode` document makes.
pub(crate) fn of_for(scope: &Scope<'_>, file: usize, expr: &Expr) -> Option<Projection> {
    let ExprKind::For(f) = &expr.kind else {
        return None;
    };
    let ForExpr {
        key_var,
        value_var,
        collection,
        key: None,
        value,
        ..
    } = f.as_ref()
    else {
        return None;
    };
    let ExprKind::Object(members) = &value.kind else {
        return None;
    };
    let variable = source_variable(collection, 0)?;
    let element = [value_var.clone()];
    let key = key_var.clone().map(|k| [k]);
    let names = Names {
        element: &element,
        key: key.as_ref().map(|k| k.as_slice()),
    };
    let defaults = type_defaults(scope, &variable);
    let fields = JSON_KEYS
        .iter()
        .filter_map(|iam| {
            let m = members.iter().find(|m| m.key == *iam)?;
            Some((*iam, field(&m.value, &names, &defaults, 0)))
        })
        .collect();
    projection(
        scope,
        file,
        variable,
        fields,
        Shape::Json,
        collection,
        expr.span,
    )
}

fn projection(
    scope: &Scope<'_>,
    file: usize,
    variable: String,
    fields: Vec<(&'static str, Field)>,
    shape: Shape,
    source: &Expr,
    span: Span,
) -> Option<Projection> {
    // Statements whose actions do not come from the element are the module's own, and checked there.
    let projected = |f: &Field| !matches!(f, Field::Literal(_) | Field::Unknown);
    if !fields
        .iter()
        .any(|(k, f)| matches!(*k, "Action" | "NotAction") && projected(f))
    {
        return None;
    }
    let needle = format!("var.{variable}");
    let mut other_uses = 0;
    for (index, f) in scope.files.iter().enumerate() {
        // Spans whose mentions make no statement reach anything else: this projection's own source,
        // the variable's declaration (its validations) and every `count` (how many of a block there are).
        let mut quiet: Vec<Span> = f
            .body
            .blocks
            .iter()
            .filter_map(|b| {
                match b.ident.as_str() {
                    "variable" => (b.labels.first() == Some(&variable)).then_some(b.span),
                    // `count` is a meta-argument of these only; in `locals` it is any local.
                    "resource" | "data" | "module" => b.body.attr("count").map(|c| c.value.span),
                    _ => None,
                }
            })
            .collect();
        if index == file {
            quiet.push(source.span);
        }
        other_uses += mentions(&f.text, &needle)
            .filter(|&at| !quiet.iter().any(|q| q.start <= at && at < q.end))
            .filter(|&at| !tests_only_presence(&f.text, at, needle.len()))
            .count();
    }
    Some(Projection {
        other_uses,
        variable,
        fields,
        shape,
        span,
    })
}

/// Whether the mention at `at` only asks whether the variable is set or how long it is
/// (`var.x != null`, `length(var.x)`), which grants nothing.
fn tests_only_presence(text: &str, at: usize, len: usize) -> bool {
    let after = text.get(at + len..).unwrap_or_default().trim_start();
    let compared = ["!= null", "== null"].iter().any(|c| after.starts_with(c));
    let before = text.get(..at).unwrap_or_default().trim_end();
    compared || before.ends_with("length(")
}

/// The variable an expression hands on element by element: `var.X`, `var.X != null ? var.X : {}`,
/// `try(var.X, [])`, `coalesce(var.X, {})`, `{ for k, v in var.X : k => v }` (with or without an
/// `if`: an element it leaves out makes no statement, and narrowing it changes nothing deployed).
fn source_variable(expr: &Expr, depth: usize) -> Option<String> {
    if depth > 8 {
        return None;
    }
    match &expr.kind {
        ExprKind::Ref { path } => match path.as_slice() {
            [var, name] if var == "var" => Some(name.clone()),
            _ => None,
        },
        ExprKind::Conditional { then, otherwise } => match (is_empty(then), is_empty(otherwise)) {
            (false, true) => source_variable(then, depth + 1),
            (true, false) => source_variable(otherwise, depth + 1),
            _ => None,
        },
        ExprKind::Call { name, args } => match (name.as_str(), args.as_slice()) {
            ("tomap" | "tolist", [arg]) => source_variable(arg, depth + 1),
            ("try" | "coalesce", [first, rest @ ..]) if rest.iter().all(is_empty) => {
                source_variable(first, depth + 1)
            }
            _ => None,
        },
        ExprKind::For(f) => {
            let is_var = |e: &Expr, name: &str| matches!(&e.kind, ExprKind::Ref { path } if path.len() == 1 && path[0] == name);
            let identity = is_var(&f.value, &f.value_var)
                && match (&f.key, &f.key_var) {
                    (None, _) => true,
                    (Some(key), Some(key_var)) => is_var(key, key_var),
                    (Some(_), None) => false,
                };
            identity
                .then(|| source_variable(&f.collection, depth + 1))
                .flatten()
        }
        _ => None,
    }
}

fn is_empty(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Null => true,
        ExprKind::Array(items) => items.is_empty(),
        ExprKind::Object(members) => members.is_empty(),
        ExprKind::Call { name, args } if matches!(name.as_str(), "tomap" | "tolist") => {
            args.iter().all(is_empty)
        }
        _ => false,
    }
}

/// How a module expression reads an element.
fn field(expr: &Expr, names: &Names<'_>, defaults: &[(String, Literal)], depth: usize) -> Field {
    if depth > 8 {
        return Field::Unknown;
    }
    let attr = |name: &str| Field::Attr {
        name: name.to_string(),
        default: defaults
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| d.clone()),
    };
    match &expr.kind {
        ExprKind::Str(s) => Field::Literal(Literal::Str(s.clone())),
        ExprKind::Null => Field::Literal(Literal::Null),
        ExprKind::Ref { path } => {
            if names.key == Some(path.as_slice()) {
                return Field::Key;
            }
            match path.split_last() {
                Some((name, element)) if element == names.element => attr(name),
                _ => Field::Unknown,
            }
        }
        ExprKind::Call { name, args } => match (name.as_str(), args.as_slice()) {
            ("try" | "coalesce", _) => Field::First(
                args.iter()
                    .map(|a| field(a, names, defaults, depth + 1))
                    .collect(),
            ),
            ("lookup", [object, key, rest @ ..]) => {
                let is_element =
                    matches!(&object.kind, ExprKind::Ref { path } if path == names.element);
                match (is_element, key.as_str()) {
                    (true, Some(key)) => {
                        let fallback = rest.first().map(|d| field(d, names, defaults, depth + 1));
                        match fallback {
                            Some(Field::Literal(d)) => Field::Attr {
                                name: key.to_string(),
                                default: Some(d),
                            },
                            Some(_) => Field::Unknown,
                            None => attr(key),
                        }
                    }
                    _ => Field::Unknown,
                }
            }
            _ => Field::Unknown,
        },
        _ => Field::Unknown,
    }
}

/// The `optional(type, default)` literals of a variable's `object(...)` element type.
fn type_defaults(scope: &Scope<'_>, variable: &str) -> Vec<(String, Literal)> {
    let Some(ty) = scope.files.iter().find_map(|f| {
        f.body
            .blocks("variable")
            .find(|b| b.labels.first().is_some_and(|l| l == variable))
            .and_then(|b| b.body.attr("type"))
    }) else {
        return Vec::new();
    };
    let mut object = &ty.value;
    for _ in 0..4 {
        match &object.kind {
            ExprKind::Call { name, args } if name == "object" => {
                let Some(ExprKind::Object(members)) = args.first().map(|a| &a.kind) else {
                    return Vec::new();
                };
                return members
                    .iter()
                    .filter_map(|m| match &m.value.kind {
                        ExprKind::Call { name, args } if name == "optional" => {
                            let default = match args.get(1).map(|d| &d.kind) {
                                Some(ExprKind::Str(s)) => Literal::Str(s.clone()),
                                Some(ExprKind::Null) | None => Literal::Null,
                                Some(_) => return None,
                            };
                            Some((m.key.clone(), default))
                        }
                        _ => None,
                    })
                    .collect();
            }
            ExprKind::Call { name, args }
                if matches!(name.as_str(), "map" | "list" | "set") && args.len() == 1 =>
            {
                object = &args[0];
            }
            _ => return Vec::new(),
        }
    }
    Vec::new()
}

/// What a field comes to for one element.
enum Value<'e> {
    /// An expression written at the call, and the key it is written under.
    Written(&'e Expr, Span),
    /// A literal of the module (or the element's map key), with no place of its own at the call.
    Literal(String),
    Null,
}

/// One element of the value a call passes: its key in a map, its expression and where it is written
/// (from the key of a map member to the end of its value).
struct Element<'e> {
    key: Option<(&'e str, Span)>,
    value: &'e Expr,
    span: Span,
}

fn evaluate<'e>(field: &Field, element: &Element<'e>) -> Option<Value<'e>> {
    let members = match &element.value.kind {
        ExprKind::Object(members) => members,
        _ => return None,
    };
    let literal = |l: &Literal| match l {
        Literal::Str(s) => Value::Literal(s.clone()),
        Literal::Null => Value::Null,
    };
    match field {
        // A null attribute of an `optional(type, default)` takes the default, as a left-out one does.
        Field::Attr { name, default } => match members.iter().find(|m| m.key == *name) {
            Some(m) if !matches!(m.value.kind, ExprKind::Null) => {
                Some(Value::Written(&m.value, m.key_span))
            }
            _ => Some(default.as_ref().map_or(Value::Null, literal)),
        },
        Field::Key => element.key.map(|(k, _)| Value::Literal(k.to_string())),
        Field::Literal(l) => Some(literal(l)),
        Field::First(fields) => {
            for f in fields {
                match evaluate(f, element)? {
                    Value::Null => continue,
                    value => return Some(value),
                }
            }
            Some(Value::Null)
        }
        Field::Unknown => None,
    }
}

/// A module call, as the caller's scope sees it.
pub(crate) struct Call<'s, 'a> {
    pub scope: &'s Scope<'a>,
    pub file: usize,
    pub block: &'a Block,
    /// `module.app.` (with the caller's own address in front).
    pub address: &'s str,
}

/// The site of the statements a call passes into a module document's projection, reaching whoever the
/// module's document reaches for this call. `None` when the call does not pass the variable.
pub(crate) fn call_site(
    call: &Call<'_, '_>,
    projection: &Projection,
    module_site: &PolicySite,
) -> Option<PolicySite> {
    let attr = call.block.body.attr(&projection.variable)?;
    let call_path = call.scope.files.get(call.file)?.path.clone();
    let attr_span = Span::new(attr.key_span.start, attr.value.span.end);
    let owner = format!("{}{}", call.address, module_site.owner);
    let mut notes = Vec::new();
    let mut complete = module_site.principals_complete;
    let (file, value) = follow(call, call.file, &attr.value, &mut notes, &mut complete)?;
    let at = note_span(call, file, attr, value);
    let mut converter = Converter::new(call.scope, file);
    let statements = match elements(value) {
        Some(elements) => elements
            .iter()
            .map(|e| statement(&mut converter, projection, e))
            .collect(),
        None => {
            notes.push(SiteNote {
                span: at,
                message: format!(
                    "`{}` is not a literal map or list of statements here, so the statements it passes to `{}` are not checked",
                    projection.variable,
                    call.address.trim_end_matches('.'),
                ),
            });
            vec![Node::new(
                value.span,
                NodeKind::Opaque(format!("`{}`", projection.variable)),
            )]
        }
    };
    notes.append(&mut converter.notes);
    if projection.other_uses > 0 {
        complete = false;
        notes.push(SiteNote {
            span: at,
            message: format!(
                "`{}` reads `var.{}` in {} more place{}, so these statements may reach more than `{}`; they are not narrowed",
                call.address.trim_end_matches('.'),
                projection.variable,
                projection.other_uses,
                if projection.other_uses == 1 { "" } else { "s" },
                module_site.owner,
            ),
        });
    }
    if !module_site.principals_complete && module_site.purpose.grants_identity() {
        notes.push(SiteNote {
            span: at,
            message: format!(
                "these statements reach whoever `{owner}` reaches, and that is not known completely (see the notes in the module)"
            ),
        });
    }
    let document = statement_document(value, at, statements);
    Some(PolicySite {
        file: call.scope.files.get(file)?.path.clone(),
        owner,
        owner_file: call_path,
        owner_span: attr_span,
        construct_path: None,
        account: None,
        purpose: module_site.purpose,
        document,
        syntax: Syntax::Hcl,
        principals: module_site.principals.clone(),
        principals_complete: complete || !module_site.purpose.grants_identity(),
        notes,
        frozen: None,
    })
}

/// The document of the statements `value` writes: `{"Statement": [...]}` spanning it.
fn statement_document(value: &Expr, at: Span, statements: Vec<Node>) -> Node {
    Node::new(
        value.span,
        NodeKind::Object(vec![Member {
            key: "Statement".into(),
            key_span: at,
            value: Node::new(value.span, NodeKind::Array(statements)),
        }]),
    )
}

/// Where a site's notes about an input go: the input's key, or, when the statements are a local
/// defined in another file, that definition (notes point into the site's file).
fn note_span(call: &Call<'_, '_>, file: usize, attr: &crate::ir::Attr, value: &Expr) -> Span {
    if file == call.file {
        attr.key_span
    } else {
        value.span
    }
}

/// The elements of a literal map or list.
fn elements(value: &Expr) -> Option<Vec<Element<'_>>> {
    match &value.kind {
        ExprKind::Object(members) => Some(
            members
                .iter()
                .map(|m| Element {
                    key: Some((m.key.as_str(), m.key_span)),
                    value: &m.value,
                    span: Span::new(m.key_span.start, m.value.span.end),
                })
                .collect(),
        ),
        ExprKind::Array(items) => Some(
            items
                .iter()
                .map(|e| Element {
                    key: None,
                    value: e,
                    span: e.span,
                })
                .collect(),
        ),
        _ => None,
    }
}

/// Why the statements a call passes are not followed to the document they become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unfollowed {
    /// The module's code is not here (a registry or git source nobody ran `terraform init` for).
    NotHere,
    /// The module is `terraform init`'s copy, and passes the statements on to a module of its own:
    /// only what the calling module writes is checked, and statements are followed one call deep.
    PassedOn,
}

/// Sites for the statements a call passes to a module they are not followed into (see [`Unfollowed`]):
/// every input that is a literal map or list of objects with `actions` or `not_actions`. What the
/// catalog knows is checked; whom they reach is not known, so they are not narrowed unless the
/// configuration maps the principals.
pub(crate) fn unfollowed(call: &Call<'_, '_>, why: Unfollowed) -> Vec<PolicySite> {
    let Some(call_path) = call.scope.files.get(call.file).map(|f| f.path.clone()) else {
        return Vec::new();
    };
    let source = call
        .block
        .body
        .attr("source")
        .and_then(|a| a.value.as_str())
        .unwrap_or("a source that is not a literal");
    let module = call.address.trim_end_matches('.');
    let mut out = Vec::new();
    for attr in call
        .block
        .body
        .attrs
        .iter()
        .filter(|a| !META_ARGUMENTS.contains(&a.name.as_str()))
    {
        let mut notes = Vec::new();
        let mut complete = false;
        let Some((file, value)) = follow(call, call.file, &attr.value, &mut notes, &mut complete)
        else {
            continue;
        };
        let Some(elements) = elements(value) else {
            continue;
        };
        let statement_like = |e: &Element<'_>| {
            matches!(&e.value.kind, ExprKind::Object(members)
                if members.iter().any(|m| m.key == "actions" || m.key == "not_actions"))
        };
        if elements.is_empty() || !elements.iter().all(statement_like) {
            continue;
        }
        let projection = Projection {
            variable: attr.name.clone(),
            fields: BLOCK_ATTRIBUTES
                .iter()
                .map(|(name, key)| {
                    (
                        *key,
                        Field::Attr {
                            name: (*name).to_string(),
                            default: None,
                        },
                    )
                })
                .collect(),
            shape: Shape::Unknown,
            other_uses: 0,
            span: attr.key_span,
        };
        let mut converter = Converter::new(call.scope, file);
        let statements = elements
            .iter()
            .map(|e| statement(&mut converter, &projection, e))
            .collect();
        notes.append(&mut converter.notes);
        let at = note_span(call, file, attr, value);
        notes.push(SiteNote {
            span: at,
            message: match why {
                Unfollowed::NotHere => format!(
                    "`{module}` comes from `{source}`, whose code is not here, so whom these statements reach is not known; run `terraform init` (its copy under .terraform/modules is read), or check out the module beside this one"
                ),
                // What settles it, the principals listed in the configuration, the note on the gap
                // says.
                Unfollowed::PassedOn => format!(
                    "`{module}` passes these statements on to a module of its own, and statements are followed one module call deep, so whom they reach is not known"
                ),
            },
        });
        let name = attr.name.to_ascii_lowercase();
        let purpose = if name.contains("trust") || name.contains("assume") {
            Purpose::Trust
        } else if ["queue", "bucket", "topic", "key_policy", "resource"]
            .iter()
            .any(|w| name.contains(w))
        {
            Purpose::Resource
        } else {
            Purpose::InlinePolicy
        };
        let Some(path) = call.scope.files.get(file).map(|f| f.path.clone()) else {
            continue;
        };
        out.push(PolicySite {
            file: path,
            owner: format!("{}{}", call.address, attr.name),
            owner_file: call_path.clone(),
            owner_span: Span::new(attr.key_span.start, attr.value.span.end),
            construct_path: None,
            account: None,
            purpose,
            document: statement_document(value, at, statements),
            syntax: Syntax::Hcl,
            principals: Vec::new(),
            principals_complete: !purpose.grants_identity(),
            notes,
            frozen: None,
        });
    }
    out
}

/// The expression that holds the elements: the value passed, or the local it names when nothing else
/// reads that local (an edit of it then changes only this call).
fn follow<'a>(
    call: &Call<'_, 'a>,
    file: usize,
    value: &'a Expr,
    notes: &mut Vec<SiteNote>,
    complete: &mut bool,
) -> Option<(usize, &'a Expr)> {
    match &value.kind {
        ExprKind::Null => None,
        ExprKind::Object(m) if m.is_empty() => None,
        ExprKind::Array(items) if items.is_empty() => None,
        // `local.x` only (`Scope::definition` has none for `local.x.y`).
        ExprKind::Ref { path } if path.first().is_some_and(|r| r == "local") => {
            let Some(definition) = call.scope.definition(path) else {
                return Some((file, value));
            };
            let uses = call.scope.use_count(path);
            if uses > 1 {
                *complete = false;
                notes.push(SiteNote {
                    // Notes point into the site's file, which is the definition's.
                    span: if definition.file == file {
                        value.span
                    } else {
                        definition.expr.span
                    },
                    message: format!(
                        "`{}` is read in {uses} places, so its statements may reach more than this call; they are not narrowed",
                        path.iter().take(2).cloned().collect::<Vec<_>>().join("."),
                    ),
                });
            }
            Some((definition.file, definition.expr))
        }
        _ => Some((file, value)),
    }
}

/// One element as a statement; an element that is not an object literal is a statement nothing is
/// known of.
fn statement(
    converter: &mut Converter<'_, '_>,
    projection: &Projection,
    element: &Element<'_>,
) -> Node {
    if !matches!(element.value.kind, ExprKind::Object(_)) {
        return Node::new(
            element.span,
            NodeKind::Opaque(format!("an element of `{}`", projection.variable)),
        );
    }
    let mut members = Vec::new();
    for (key, field) in &projection.fields {
        let actions = matches!(*key, "Action" | "NotAction");
        let (value, key_span) = match evaluate(field, element) {
            Some(Value::Written(expr, key_span)) => (converter.value_of(expr, actions), key_span),
            // Text the call does not hold (a literal of the module, a map key) names no place an edit
            // could change: as actions it is undecidable.
            Some(Value::Literal(s)) if !actions => {
                (Node::new(element.span, NodeKind::String(s)), element.span)
            }
            Some(Value::Null) => continue,
            // A statement id only names the statement.
            None if *key == "Sid" => continue,
            Some(Value::Literal(_)) | None => (
                Node::new(
                    element.span,
                    NodeKind::Opaque(format!(
                        "`{key}` of an element of `{}`",
                        projection.variable
                    )),
                ),
                element.span,
            ),
        };
        members.push(Member {
            key: (*key).to_string(),
            key_span,
            value,
        });
    }
    if !members.iter().any(|m| m.key == "Effect") {
        let effect = match projection.shape {
            // The data source's default.
            Shape::PolicyDocument => NodeKind::String("Allow".into()),
            Shape::Json => NodeKind::Opaque("a null `Effect`".into()),
            Shape::Unknown => NodeKind::Opaque("the module's default `effect`".into()),
        };
        members.push(Member {
            key: "Effect".into(),
            key_span: element.span,
            value: Node::new(element.span, effect),
        });
    }
    Node::new(element.span, NodeKind::Object(members))
}
