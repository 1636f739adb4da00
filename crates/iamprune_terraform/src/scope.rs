//! What a module knows without evaluating anything: literal locals, variable defaults (or the literal
//! inputs a caller passed), and string templates built only from those and from `each`/`count`.

use std::collections::HashMap;

use crate::ir::{Block, Body, Expr, ExprKind, TemplateForm, expr_from_hcl};
use crate::strings::{Escapes, HoleKind, decode, heredoc_body, hole_expression, quoted_inner};

/// Resolution of locals through locals stops here, so a cycle (`a = local.b`, `b = local.a`) ends.
const MAX_RESOLVE_DEPTH: usize = 16;

/// A file of a module, parsed.
pub(crate) struct SourceFile {
    pub path: std::path::PathBuf,
    pub text: String,
    pub body: Body,
}

/// An expression with the file it is written in.
#[derive(Clone, Copy)]
pub(crate) struct Located<'a> {
    pub file: usize,
    pub expr: &'a Expr,
}

/// A literal value a caller passes for a variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputValue {
    String(String),
    List(Vec<String>),
    /// Passed, but not a literal: the variable's default does not apply.
    Unknown,
}

/// A variable's value as a scope knows it.
enum Variable<'s, 'a> {
    /// Passed by a caller or assigned by a variable file.
    Value(&'s InputValue),
    /// Not given: its default, to evaluate.
    Default(Located<'a>),
}

/// Whether variables may be taken at their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Eval {
    Defaults,
    Certain,
}

/// The instance a block expression is evaluated for (`each.key`, `count.index`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Instance {
    pub each_key: Option<String>,
    pub each_value: Option<String>,
    pub count_index: Option<usize>,
}

pub(crate) struct Scope<'a> {
    pub files: &'a [SourceFile],
    locals: HashMap<&'a str, Located<'a>>,
    defaults: HashMap<&'a str, Located<'a>>,
    inputs: &'a HashMap<String, InputValue>,
    /// Values variable files assign to a root module's variables: used in place of defaults to name
    /// principals, never as certain (`-var` overrides them).
    assigned: &'a HashMap<String, InputValue>,
}

impl<'a> Scope<'a> {
    pub fn new(
        files: &'a [SourceFile],
        inputs: &'a HashMap<String, InputValue>,
        assigned: &'a HashMap<String, InputValue>,
    ) -> Self {
        let mut locals = HashMap::new();
        let mut defaults = HashMap::new();
        for (file, source) in files.iter().enumerate() {
            for block in &source.body.blocks {
                match block.ident.as_str() {
                    "locals" => {
                        for attr in &block.body.attrs {
                            locals.insert(
                                attr.name.as_str(),
                                Located {
                                    file,
                                    expr: &attr.value,
                                },
                            );
                        }
                    }
                    "variable" => {
                        if let (Some(name), Some(default)) =
                            (block.labels.first(), block.body.attr("default"))
                        {
                            defaults.insert(
                                name.as_str(),
                                Located {
                                    file,
                                    expr: &default.value,
                                },
                            );
                        }
                    }
                    _ => {}
                }
            }
        }
        Scope {
            files,
            locals,
            defaults,
            inputs,
            assigned,
        }
    }

    pub fn text(&self, file: usize) -> &'a str {
        self.files.get(file).map_or("", |f| f.text.as_str())
    }

    /// The definition `local.X` or `var.X` (its default) refers to, if it is a plain reference.
    pub fn definition(&self, path: &[String]) -> Option<Located<'a>> {
        // `local.x.y` is a part of `local.x`'s value: its definition is not where it is written, and
        // an edit of the whole would not fit it.
        match path {
            [root, name] if root == "local" => self.locals.get(name.as_str()).copied(),
            [root, name] if root == "var" => match self.variable(name, Eval::Defaults) {
                Some(Variable::Default(def)) => Some(def),
                _ => None,
            },
            _ => None,
        }
    }

    /// How often `local.X` / `var.X` is written in this module's text. Counting text, not parsed
    /// references, also sees uses inside string templates, so a shared value is never taken for a
    /// single-use one.
    pub fn use_count(&self, path: &[String]) -> usize {
        let [root, name, ..] = path else { return 0 };
        let needle = format!("{root}.{name}");
        self.files
            .iter()
            .map(|f| count_mentions(&f.text, &needle))
            .sum()
    }

    /// Where a variable's value comes from: a caller's input (certain), then, unless only certain values
    /// will do, a variable file's value, then the default to evaluate.
    fn variable(&self, name: &str, eval: Eval) -> Option<Variable<'_, 'a>> {
        if let Some(value) = self.inputs.get(name) {
            return Some(Variable::Value(value));
        }
        if eval == Eval::Certain {
            return None;
        }
        if let Some(value) = self.assigned.get(name) {
            return Some(Variable::Value(value));
        }
        self.defaults.get(name).copied().map(Variable::Default)
    }

    /// The literal string or list of strings an expression stands for, as a module input:
    /// `Unknown` when it is neither (the variable's default does not apply then).
    pub fn input_value(&self, at: Located<'_>, instance: &Instance, eval: Eval) -> InputValue {
        match self.string_at(at, instance, eval, 0) {
            Some(s) => InputValue::String(s),
            None => self
                .list_at(at, instance, eval, 0)
                .map_or(InputValue::Unknown, InputValue::List),
        }
    }

    /// The literal string an expression stands for, if the module alone tells it, taking variables at
    /// their defaults (or the literals a caller passes): good enough to name a principal.
    pub fn string(&self, at: Located<'_>, instance: &Instance) -> Option<String> {
        self.string_at(at, instance, Eval::Defaults, 0)
    }

    /// The literal string an expression stands for whatever the variables are set to: a variable's
    /// default may be overridden by `terraform.tfvars`, `-var` or a caller, so only a caller's literal
    /// is certain. What a fix may remove must be certain.
    pub fn certain_string(&self, at: Located<'_>, instance: &Instance) -> Option<String> {
        self.string_at(at, instance, Eval::Certain, 0)
    }

    /// The literal list of strings an expression stands for.
    pub fn list(&self, at: Located<'_>, instance: &Instance) -> Option<Vec<String>> {
        self.list_at(at, instance, Eval::Defaults, 0)
    }

    /// The literal list of strings an expression stands for whatever the variables are set to.
    pub fn certain_list(&self, at: Located<'_>, instance: &Instance) -> Option<Vec<String>> {
        self.list_at(at, instance, Eval::Certain, 0)
    }

    fn string_at(
        &self,
        at: Located<'_>,
        instance: &Instance,
        eval: Eval,
        depth: usize,
    ) -> Option<String> {
        if depth > MAX_RESOLVE_DEPTH {
            return None;
        }
        match &at.expr.kind {
            ExprKind::Str(s) => Some(s.clone()),
            ExprKind::Number(n) => Some(n.clone()),
            ExprKind::Template(form) => self.template(at, *form, instance, eval, depth),
            ExprKind::Ref { path, .. } => match path.as_slice() {
                [each, key] if each == "each" && key == "key" => instance.each_key.clone(),
                [each, value] if each == "each" && value == "value" => instance.each_value.clone(),
                [count, index] if count == "count" && index == "index" => {
                    instance.count_index.map(|i| i.to_string())
                }
                [var, name] if var == "var" => match self.variable(name, eval)? {
                    Variable::Value(InputValue::String(s)) => Some(s.clone()),
                    Variable::Value(_) => None,
                    Variable::Default(def) => {
                        self.string_at(def, &Instance::default(), eval, depth + 1)
                    }
                },
                [local, name] if local == "local" => {
                    let def = self.locals.get(name.as_str())?;
                    self.string_at(*def, instance, eval, depth + 1)
                }
                _ => None,
            },
            _ => None,
        }
    }

    fn list_at(
        &self,
        at: Located<'_>,
        instance: &Instance,
        eval: Eval,
        depth: usize,
    ) -> Option<Vec<String>> {
        if depth > MAX_RESOLVE_DEPTH {
            return None;
        }
        match &at.expr.kind {
            ExprKind::Array(items) => items
                .iter()
                .map(|e| {
                    self.string_at(
                        Located {
                            file: at.file,
                            expr: e,
                        },
                        instance,
                        eval,
                        depth + 1,
                    )
                })
                .collect(),
            ExprKind::Call { name, args } if matches!(name.as_str(), "toset" | "tolist") => {
                let [arg] = args.as_slice() else { return None };
                self.list_at(
                    Located {
                        file: at.file,
                        expr: arg,
                    },
                    instance,
                    eval,
                    depth + 1,
                )
            }
            ExprKind::Ref { path, .. } => match path.as_slice() {
                [var, name] if var == "var" => match self.variable(name, eval)? {
                    Variable::Value(InputValue::List(items)) => Some(items.clone()),
                    Variable::Value(_) => None,
                    Variable::Default(def) => {
                        self.list_at(def, &Instance::default(), eval, depth + 1)
                    }
                },
                [local, name] if local == "local" => {
                    let def = self.locals.get(name.as_str())?;
                    self.list_at(*def, instance, eval, depth + 1)
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// A template whose interpolations all resolve to literals.
    fn template(
        &self,
        at: Located<'_>,
        form: TemplateForm,
        instance: &Instance,
        eval: Eval,
        depth: usize,
    ) -> Option<String> {
        let text = self.text(at.file);
        let (raw, base, escapes) = match form {
            TemplateForm::Quoted => {
                let (raw, base) = quoted_inner(text, at.expr.span)?;
                (raw, base, Escapes::Backslash)
            }
            TemplateForm::Heredoc => {
                let (raw, base) = heredoc_body(text, at.expr.span)?;
                (raw, base, Escapes::Literal)
            }
        };
        let decoded = decode(raw, base, escapes);
        let mut out = String::new();
        let mut cursor = 0;
        for hole in &decoded.holes {
            out.push_str(decoded.text.get(cursor..hole.decoded.start)?);
            cursor = hole.decoded.end;
            if hole.kind == HoleKind::Directive {
                return None;
            }
            let inner = hole_expression(text, hole)?;
            let parsed = hcl_edit::parser::parse_expr(&inner).ok()?;
            let expr = expr_from_hcl(&parsed, 0, 1);
            // The parsed expression has its own spans; only references and literals are evaluated,
            // which need none.
            if matches!(expr.kind, ExprKind::Template(_)) {
                return None;
            }
            out.push_str(&self.string_at(
                Located {
                    file: at.file,
                    expr: &expr,
                },
                instance,
                eval,
                depth + 1,
            )?);
        }
        out.push_str(decoded.text.get(cursor..)?);
        Some(out)
    }

    /// The instances of a block with `count` or `for_each`: `Some(vec![default])` without either,
    /// `None` when the instances are not literal.
    pub fn instances(&self, file: usize, block: &Block) -> Option<Vec<Instance>> {
        if let Some(count) = block.body.attr("count") {
            let n: usize = self
                .string(
                    Located {
                        file,
                        expr: &count.value,
                    },
                    &Instance::default(),
                )?
                .parse()
                .ok()?;
            // A literal count above this is not a set of principals anyone writes by hand.
            if n > 1000 {
                return None;
            }
            return Some(
                (0..n)
                    .map(|i| Instance {
                        count_index: Some(i),
                        ..Instance::default()
                    })
                    .collect(),
            );
        }
        if let Some(for_each) = block.body.attr("for_each") {
            let at = Located {
                file,
                expr: &for_each.value,
            };
            if let ExprKind::Object(members) = &for_each.value.kind {
                return members
                    .iter()
                    .map(|m| {
                        let value = self.string(
                            Located {
                                file,
                                expr: &m.value,
                            },
                            &Instance::default(),
                        );
                        Some(Instance {
                            each_key: Some(m.key.clone()),
                            each_value: value,
                            count_index: None,
                        })
                    })
                    .collect();
            }
            let keys = self.list(at, &Instance::default())?;
            return Some(
                keys.into_iter()
                    .map(|k| Instance {
                        each_key: Some(k.clone()),
                        each_value: Some(k),
                        count_index: None,
                    })
                    .collect(),
            );
        }
        Some(vec![Instance::default()])
    }
}

/// How often `needle` (`var.name`) is written in `text` as a whole name, not as the start of a longer
/// one (`var.name_prefix`).
pub(crate) fn count_mentions(text: &str, needle: &str) -> usize {
    mentions(text, needle).count()
}

/// Where `needle` is written in `text` as a whole name.
pub(crate) fn mentions<'t>(text: &'t str, needle: &'t str) -> impl Iterator<Item = usize> + 't {
    text.match_indices(needle)
        .map(|(at, _)| at)
        .filter(move |at| {
            let after = text.get(at + needle.len()..).and_then(|r| r.chars().next());
            !after.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-')
        })
}

/// Whether an expression mentions `each` or `count` (and so differs per instance).
pub(crate) fn mentions_instance(text: &str, expr: &Expr) -> bool {
    expr.span
        .slice(text)
        .is_some_and(|s| s.contains("each.") || s.contains("count.index"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_file;

    #[test]
    fn a_definition_is_of_a_whole_local_or_variable_never_of_a_part() {
        let text = "locals {\n  read = [\"s3:GetObject\"]\n  perms = { read = [\"s3:GetObject\"] }\n}\nvariable \"actions\" {\n  default = [\"s3:PutObject\"]\n}\n";
        let path = std::path::PathBuf::from("main.tf");
        let body = parse_file(&path, text).unwrap_or_else(|e| panic!("{e}"));
        let files = [SourceFile {
            path,
            text: text.to_string(),
            body,
        }];
        let none = HashMap::new();
        let scope = Scope::new(&files, &none, &none);
        let of = |path: &[&str]| {
            let path: Vec<String> = path.iter().map(|s| (*s).to_string()).collect();
            scope
                .definition(&path)
                .and_then(|d| text.get(d.expr.span.range()))
        };
        assert_eq!(of(&["local", "read"]), Some("[\"s3:GetObject\"]"));
        assert_eq!(of(&["var", "actions"]), Some("[\"s3:PutObject\"]"));
        assert_eq!(of(&["local", "perms", "read"]), None);
        assert_eq!(of(&["var", "actions", "0"]), None);
        assert_eq!(of(&["local"]), None);
    }
}
