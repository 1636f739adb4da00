//! Finding the policy documents of one module and tying each to whom it reaches.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

use iamprune_policy::{PolicySite, PrincipalKind, Purpose, Reach, SiteNote, StringStyle, Syntax};
use iamprune_syntax::{FileError, Node, Span, json};
use memchr::memmem::Finder;

use crate::document::{Converter, is_policy_object};
use crate::embedded::{Embedded, parse_embedded, parse_template};
use crate::inputs::{self, Projection};
use crate::ir::{Block, Expr, ExprKind, MAX_DEPTH, TemplateForm};
use crate::principals::ReachFinder;
use crate::scope::{Scope, SourceFile};
use crate::strings::{
    Escapes, HoleKind, decode, heredoc_body, heredoc_is_indented, hole_expression, quoted_inner,
};

/// A `file(path)` or `templatefile(path, vars)` call.
#[derive(Clone, Copy)]
struct FileCall<'e> {
    function: &'e str,
    path: &'e Expr,
    vars: Option<&'e Expr>,
}

/// A document that other blocks use by reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum DocKey {
    /// `data.aws_iam_policy_document.<name>`
    Data(String),
    /// `local.<name>`
    Local(String),
}

/// Where a document is used, or written as an attribute value.
#[derive(Clone)]
enum Consumer<'a> {
    /// The attribute `path` (top attribute or nested block first) of a block.
    Attr {
        file: usize,
        block: &'a Block,
        path: Vec<String>,
    },
    /// Merged into another document (`source_policy_documents`, ...), or a local referencing it.
    Doc(DocKey),
}

pub(crate) struct ModuleExtractor<'s, 'a> {
    scope: &'s Scope<'a>,
    reach_finder: ReachFinder<'s, 'a>,
    dir: &'s Path,
    options: &'s crate::Options,
    /// Documents other blocks reference, and the file and span they are declared at.
    keyed: HashMap<DocKey, (usize, Span)>,
    consumers: HashMap<DocKey, Vec<Consumer<'a>>>,
    pub errors: Vec<FileError>,
}

/// A site before its principals are known.
struct Pending<'a> {
    site: PolicySite,
    holder: Holder<'a>,
    /// Statements the document makes from a variable, which each call of the module writes.
    projections: Vec<Projection>,
}

#[derive(Clone)]
enum Holder<'a> {
    Consumer(Consumer<'a>),
    Key(DocKey),
}

impl<'s, 'a> ModuleExtractor<'s, 'a> {
    pub fn new(scope: &'s Scope<'a>, dir: &'s Path, options: &'s crate::Options) -> Self {
        ModuleExtractor {
            scope,
            reach_finder: ReachFinder::new(scope),
            dir,
            options,
            keyed: HashMap::new(),
            consumers: HashMap::new(),
            errors: Vec::new(),
        }
    }

    fn path(&self, file: usize) -> PathBuf {
        self.scope
            .files
            .get(file)
            .map(|f| f.path.clone())
            .unwrap_or_default()
    }

    /// The module's sites, each with the statements it makes from variables.
    pub fn run(mut self) -> (Vec<(PolicySite, Vec<Projection>)>, Vec<FileError>) {
        let files: &'a [SourceFile] = self.scope.files;
        let mut pending = Vec::new();
        // Documents that are used by reference, so that uses can be tied to them.
        for (file, source) in files.iter().enumerate() {
            for block in &source.body.blocks {
                if is_policy_document(block) {
                    if let Some(name) = block.labels.get(1) {
                        self.keyed
                            .insert(DocKey::Data(name.clone()), (file, block.span));
                    }
                }
                if block.ident == "locals" {
                    for attr in &block.body.attrs {
                        if holds_policy(&attr.value) {
                            let span = Span::new(attr.key_span.start, attr.value.span.end);
                            self.keyed
                                .insert(DocKey::Local(attr.name.clone()), (file, span));
                        }
                    }
                }
            }
        }
        for (file, source) in files.iter().enumerate() {
            for block in &source.body.blocks {
                if is_policy_document(block) {
                    self.policy_document(file, block, &mut pending);
                    continue;
                }
                match block.ident.as_str() {
                    "resource" | "data" | "module" | "output" => {
                        self.walk_block(file, block, block, Vec::new(), &mut pending, 0);
                    }
                    "locals" => {
                        for attr in &block.body.attrs {
                            let holder = Holder::Key(DocKey::Local(attr.name.clone()));
                            self.link_references(
                                file,
                                &attr.value,
                                &Consumer::Doc(DocKey::Local(attr.name.clone())),
                            );
                            self.walk_value(
                                file,
                                block,
                                &attr.name,
                                &attr.value,
                                &holder,
                                &mut pending,
                                0,
                            );
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut sites = Vec::new();
        for Pending {
            mut site,
            holder,
            projections,
        } in pending
        {
            let (reach, purpose, purpose_notes) = self.reach_of(&holder, &site);
            site.purpose = purpose;
            site.notes.extend(purpose_notes);
            if purpose.grants_identity() {
                site.principals = reach.principals;
                site.principals_complete = reach.complete;
                // Notes point into the site's file; for a `file()` document the Terraform places they
                // name are elsewhere, so they point at the document.
                let foreign = site.file != site.owner_file;
                site.notes.extend(reach.notes.into_iter().map(|mut n| {
                    if foreign {
                        n.span = site.document.span;
                    }
                    n
                }));
            } else {
                // Trust and resource policies reach no identity whose unused access could narrow them.
                site.principals_complete = true;
            }
            sites.push((site, projections));
        }
        (sites, self.errors)
    }

    /// `data "aws_iam_policy_document" "x"`.
    fn policy_document(&mut self, file: usize, block: &'a Block, pending: &mut Vec<Pending<'a>>) {
        let name = block.labels.get(1).cloned().unwrap_or_default();
        let mut converter = Converter::new(self.scope, file);
        let document = converter.policy_document(block);
        let projections: Vec<Projection> = block
            .body
            .blocks("dynamic")
            .filter(|d| d.labels.first().is_some_and(|l| l == "statement"))
            .filter_map(|d| inputs::of_dynamic(self.scope, file, d))
            .collect();
        for projection in &projections {
            for note in converter
                .notes
                .iter_mut()
                .filter(|n| n.span == projection.span)
            {
                note.message = format!(
                    "`dynamic \"statement\"` makes its statements from `var.{}`; they are checked where the module is called",
                    projection.variable
                );
            }
        }
        // Documents merged into this one reach whoever this one reaches.
        for chain in [
            "source_policy_documents",
            "override_policy_documents",
            "source_json",
            "override_json",
        ] {
            if let Some(attr) = block.body.attr(chain) {
                let merged_into = Consumer::Doc(DocKey::Data(name.clone()));
                self.link_references(file, &attr.value, &merged_into);
                // A document written in place (`[file("x.json")]`, a heredoc) is a site of its own,
                // reaching whoever the merged document reaches.
                let holder = Holder::Consumer(merged_into);
                self.walk_value(file, block, chain, &attr.value, &holder, pending, 0);
            }
        }
        let path = self.path(file);
        pending.push(Pending {
            site: PolicySite {
                file: path.clone(),
                owner: format!("data.aws_iam_policy_document.{name}"),
                owner_file: path,
                owner_span: block.span,
                construct_path: None,
                account: None,
                purpose: Purpose::InlinePolicy,
                document,
                syntax: Syntax::Hcl,
                principals: Vec::new(),
                principals_complete: false,
                notes: converter.notes,
                frozen: None,
            },
            holder: Holder::Key(DocKey::Data(name)),
            projections,
        });
    }

    fn walk_block(
        &mut self,
        file: usize,
        top: &'a Block,
        block: &'a Block,
        prefix: Vec<String>,
        pending: &mut Vec<Pending<'a>>,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        for attr in &block.body.attrs {
            let mut path = prefix.clone();
            path.push(attr.name.clone());
            let consumer = Consumer::Attr {
                file,
                block: top,
                path,
            };
            self.link_references(file, &attr.value, &consumer);
            let owner_attr = attr.name.as_str();
            self.walk_value(
                file,
                top,
                owner_attr,
                &attr.value,
                &Holder::Consumer(consumer),
                pending,
                0,
            );
        }
        for nested in &block.body.blocks {
            // A dynamic block's content is a template for blocks Terraform generates.
            if nested.ident == "dynamic" {
                continue;
            }
            let mut path = prefix.clone();
            path.push(nested.ident.clone());
            self.walk_block(file, top, nested, path, pending, depth + 1);
        }
    }

    /// Ties every `data.aws_iam_policy_document.X` and policy-holding `local.X` an expression mentions
    /// to `consumer`. Text is scanned rather than the tree so that uses inside templates and function
    /// calls count too.
    fn link_references(&mut self, file: usize, expr: &Expr, consumer: &Consumer<'a>) {
        // Every expression of a module comes here; one without documents has nothing to tie.
        if self.keyed.is_empty() {
            return;
        }
        let Some(text) = expr.span.slice(self.scope.text(file)) else {
            return;
        };
        static DATA: LazyLock<Finder<'static>> =
            LazyLock::new(|| Finder::new("data.aws_iam_policy_document."));
        static LOCAL: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("local."));
        for (finder, make) in [
            (&*DATA, DocKey::Data as fn(String) -> DocKey),
            (&*LOCAL, DocKey::Local as fn(String) -> DocKey),
        ] {
            let prefix = finder.needle();
            for at in finder.find_iter(text.as_bytes()) {
                let before = text.get(..at).and_then(|b| b.chars().next_back());
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                    continue;
                }
                let rest = text.get(at + prefix.len()..).unwrap_or_default();
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
                    .collect();
                let key = make(name);
                if self.keyed.contains_key(&key) {
                    let list = self.consumers.entry(key).or_default();
                    if !list.iter().any(|c| same_consumer(c, consumer)) {
                        list.push(consumer.clone());
                    }
                }
            }
        }
    }

    /// Looks for documents in an attribute value: `jsonencode({...})`, JSON in strings and heredocs,
    /// `file()` / `templatefile()`, and policy objects in locals.
    #[allow(clippy::too_many_arguments)]
    fn walk_value(
        &mut self,
        file: usize,
        block: &'a Block,
        attr: &str,
        expr: &'a Expr,
        holder: &Holder<'a>,
        pending: &mut Vec<Pending<'a>>,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        match &expr.kind {
            ExprKind::Call { name, args } if name == "jsonencode" => match args.first() {
                Some(arg) if is_policy_object(arg) => {
                    self.add_object(file, block, holder, arg, pending);
                }
                Some(arg) => self.walk_value(file, block, attr, arg, holder, pending, depth + 1),
                None => {}
            },
            ExprKind::Call { name, args } if name == "file" || name == "templatefile" => {
                if let Some(path_arg) = args.first() {
                    let call = FileCall {
                        function: name,
                        path: path_arg,
                        vars: args.get(1),
                    };
                    self.file_call(file, block, attr, &call, holder, pending);
                }
            }
            ExprKind::Call { args, .. } | ExprKind::Array(args) => {
                for arg in args {
                    self.walk_value(file, block, attr, arg, holder, pending, depth + 1);
                }
            }
            ExprKind::Object(_) if is_policy_object(expr) && matches!(holder, Holder::Key(_)) => {
                // A local holding the document as an object, encoded where it is used.
                self.add_object(file, block, holder, expr, pending);
            }
            ExprKind::Object(members) => {
                for m in members {
                    self.walk_value(file, block, attr, &m.value, holder, pending, depth + 1);
                }
            }
            ExprKind::Str(value) if looks_like_policy(value) => {
                self.embedded(file, block, holder, expr, TemplateForm::Quoted, pending);
            }
            ExprKind::Template(form) => {
                self.embedded(file, block, holder, expr, *form, pending);
            }
            _ => {}
        }
    }

    /// JSON held in a string or heredoc, if the text looks like a policy.
    fn embedded(
        &mut self,
        file: usize,
        block: &'a Block,
        holder: &Holder<'a>,
        expr: &Expr,
        form: TemplateForm,
        pending: &mut Vec<Pending<'a>>,
    ) {
        let text = self.scope.text(file);
        let (raw, style, escapes) = match form {
            TemplateForm::Quoted => (
                quoted_inner(text, expr.span),
                StringStyle::DoubleQuoted,
                Escapes::Backslash,
            ),
            TemplateForm::Heredoc => (
                heredoc_body(text, expr.span),
                if heredoc_is_indented(text, expr.span) {
                    StringStyle::IndentedLiteral
                } else {
                    StringStyle::Literal
                },
                Escapes::Literal,
            ),
        };
        let Some((raw, base)) = raw else { return };
        if !looks_like_policy(&decode(raw, base, escapes).text) {
            return;
        }
        match parse_embedded(text, raw, base, escapes) {
            Ok(embedded) => self.add_embedded(
                (file, block, holder),
                embedded,
                Syntax::EmbeddedJson(style),
                None,
                pending,
            ),
            Err(err) => self.errors.push(err.in_file(&self.path(file))),
        }
    }

    /// A document parsed from text (a string, a heredoc, a file), marked as one whose text must not
    /// be edited when the parse says so.
    fn add_embedded(
        &self,
        (file, block, holder): (usize, &Block, &Holder<'a>),
        embedded: Embedded,
        syntax: Syntax,
        document_file: Option<PathBuf>,
        pending: &mut Vec<Pending<'a>>,
    ) {
        let Embedded {
            document,
            notes,
            frozen,
        } = embedded;
        self.add(
            file,
            block,
            holder,
            document,
            syntax,
            document_file,
            notes,
            pending,
        );
        if let (Some(last), Some(why)) = (pending.last_mut(), frozen) {
            last.site.frozen = Some(why);
        }
    }

    /// `file("...")` and `templatefile("...", {...})` with a literal path: the named file is the site.
    #[allow(clippy::too_many_arguments)]
    fn file_call(
        &mut self,
        file: usize,
        block: &'a Block,
        attr: &str,
        call: &FileCall<'_>,
        holder: &Holder<'a>,
        pending: &mut Vec<Pending<'a>>,
    ) {
        let FileCall {
            function,
            path: path_arg,
            vars: vars_arg,
        } = *call;
        let text = self.scope.text(file);
        let Some(relative) = literal_path(text, path_arg) else {
            return;
        };
        let policy_like_name = [".json", ".tpl", ".tftpl", ".tmpl"]
            .iter()
            .any(|ext| relative.ends_with(ext));
        if !policy_like_name && !attr.contains("policy") {
            return;
        }
        let error = |message: String| FileError::at(&self.path(file), path_arg.span, message);
        // The file is reported by the path the module names it by; the root check needs it absolute.
        let path = normalize(&self.dir.join(&relative));
        let target = normalize(&absolute(&path));
        let root = normalize(&absolute(&self.options.root));
        // Checked lexically first (the path as written), then as resolved on disk, so that neither
        // `..` nor a link inside the root leads a read outside it.
        let resolved_inside = match (target.canonicalize(), root.canonicalize()) {
            (Ok(t), Ok(r)) => t.starts_with(r),
            _ => true,
        };
        if !target.starts_with(&root) || !resolved_inside {
            self.errors.push(error(format!(
                "`{relative}` is outside the scanned root; it is not read"
            )));
            return;
        }
        let content = match self
            .options
            .overrides
            .get(&path)
            .cloned()
            .map_or_else(|| iamprune_syntax::fs::read_to_string(&path), Ok)
        {
            Ok(c) => c,
            // A missing file named by a policy argument is worth an error; other arguments
            // (`definition = file("machine.asl.json")`) may name files that are not policies.
            Err(e) if attr.contains("policy") => {
                self.errors
                    .push(error(format!("cannot read `{}`: {e}", path.display())));
                return;
            }
            Err(_) => return,
        };
        if !content.contains("\"Statement\"") {
            return;
        }
        let mut substituted = Vec::new();
        let parsed = if function == "templatefile" {
            let (body, base) = match content.strip_prefix('\u{feff}') {
                Some(rest) => (rest, '\u{feff}'.len_utf8()),
                None => (content.as_str(), 0),
            };
            let vars = self.template_vars(file, vars_arg);
            substituted = vars
                .iter()
                .filter(|(name, _)| content.contains(&format!("${{{name}}}")))
                .map(|(name, value)| format!("`{name}` = \"{value}\""))
                .collect();
            parse_template(&content, body, base, Escapes::Literal, &vars)
        } else {
            json::parse(&content).map(|document| Embedded {
                document,
                notes: Vec::new(),
                frozen: None,
            })
        };
        match parsed {
            Ok(mut embedded) => {
                if !substituted.is_empty() {
                    embedded.notes.push(SiteNote {
                        span: embedded.document.span,
                        message: format!(
                            "template variables are read as the literals `templatefile` passes ({}); a change writes a value in place of its `${{...}}`",
                            substituted.join(", ")
                        ),
                    });
                }
                self.add_embedded(
                    (file, block, holder),
                    embedded,
                    Syntax::Json,
                    Some(path),
                    pending,
                );
            }
            Err(err) => self.errors.push(err.in_file(&path)),
        }
    }

    /// The variables of a `templatefile` call whose values are literal whatever the module's variables
    /// are set to.
    fn template_vars(&self, file: usize, vars: Option<&Expr>) -> BTreeMap<String, String> {
        let Some(ExprKind::Object(members)) = vars.map(|v| &v.kind) else {
            return BTreeMap::new();
        };
        members
            .iter()
            .filter_map(|m| {
                let at = crate::scope::Located {
                    file,
                    expr: &m.value,
                };
                let value = self
                    .scope
                    .certain_string(at, &crate::scope::Instance::default())?;
                Some((m.key.clone(), value))
            })
            .collect()
    }

    /// A document written as an HCL object (`jsonencode({...})`, or a local encoded where it is used).
    fn add_object(
        &self,
        file: usize,
        block: &Block,
        holder: &Holder<'a>,
        object: &'a Expr,
        pending: &mut Vec<Pending<'a>>,
    ) {
        let mut converter = Converter::new(self.scope, file);
        let document = converter.value(object, 0);
        let notes = converter.notes;
        self.add(
            file,
            block,
            holder,
            document,
            Syntax::Hcl,
            None,
            notes,
            pending,
        );
        if let (Some(last), ExprKind::Object(members)) = (pending.last_mut(), &object.kind) {
            last.projections = members
                .iter()
                .filter(|m| m.key == "Statement")
                .filter_map(|m| inputs::of_for(self.scope, file, &m.value))
                .collect();
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add(
        &self,
        file: usize,
        block: &Block,
        holder: &Holder<'a>,
        document: Node,
        syntax: Syntax,
        document_file: Option<PathBuf>,
        notes: Vec<SiteNote>,
        pending: &mut Vec<Pending<'a>>,
    ) {
        let owner_file = self.path(file);
        let (owner, owner_span) = match holder {
            Holder::Key(key) => (
                key_name(key),
                self.keyed.get(key).map_or(block.span, |(_, span)| *span),
            ),
            Holder::Consumer(Consumer::Attr { block, path, .. }) => {
                (attr_owner(block, path), block.span)
            }
            Holder::Consumer(Consumer::Doc(key)) => {
                (format!("{} (merged document)", key_name(key)), block.span)
            }
        };
        pending.push(Pending {
            site: PolicySite {
                file: document_file.unwrap_or_else(|| owner_file.clone()),
                owner,
                owner_file,
                owner_span,
                construct_path: None,
                account: None,
                purpose: Purpose::InlinePolicy,
                document,
                syntax,
                principals: Vec::new(),
                principals_complete: false,
                notes,
                frozen: None,
            },
            holder: holder.clone(),
            projections: Vec::new(),
        });
    }

    /// The principals and purpose of a site, from where it is written or everything that uses it, and
    /// why the purpose is not the obvious one. A document with several consumers takes the most
    /// conservative purpose of all of them: one that also feeds a ceiling (an SCP, a permissions
    /// boundary) is never narrowed by the findings of a role it is also attached to.
    fn reach_of(&self, holder: &Holder<'a>, site: &PolicySite) -> (Reach, Purpose, Vec<SiteNote>) {
        match holder {
            Holder::Consumer(Consumer::Attr { file, block, path }) => {
                let (purpose, note) = self.purpose_of(block, path);
                (
                    self.consumer_reach(*file, block, path),
                    purpose,
                    note.into_iter().collect(),
                )
            }
            Holder::Consumer(Consumer::Doc(key)) | Holder::Key(key) => {
                let mut seen = HashSet::new();
                let mut uses = Vec::new();
                self.uses_of(key, &mut seen, &mut uses);
                if uses.is_empty() {
                    let purpose = if has_principal(&site.document) {
                        Purpose::Resource
                    } else {
                        Purpose::InlinePolicy
                    };
                    let note = SiteNote {
                        span: site.owner_span,
                        message: format!("`{}` is not used in this module", key_name(key)),
                    };
                    return (Reach::incomplete(note), purpose, Vec::new());
                }
                let mut reach = Reach::default();
                let mut purposes: Vec<(Purpose, String)> = Vec::new();
                let mut notes = Vec::new();
                for (file, block, path) in uses {
                    reach.merge(self.consumer_reach(file, block, &path));
                    let (purpose, note) = self.purpose_of(block, &path);
                    notes.extend(note);
                    purposes.push((purpose, attr_owner(block, &path)));
                }
                let purpose = purposes
                    .iter()
                    .map(|(p, _)| *p)
                    .reduce(Purpose::most_conservative)
                    .unwrap_or(Purpose::InlinePolicy);
                let grants = purposes.iter().any(|(p, _)| p.grants_identity());
                if grants && !purpose.grants_identity() {
                    let others: Vec<String> = purposes
                        .iter()
                        .filter(|(p, _)| !p.grants_identity())
                        .map(|(_, owner)| format!("`{owner}`"))
                        .collect();
                    notes.push(SiteNote {
                        span: site.owner_span,
                        message: format!(
                            "`{}` is also used by {}, which is not an identity policy, so findings do not narrow it",
                            key_name(key),
                            others.join(", ")
                        ),
                    });
                }
                (reach, purpose, notes)
            }
        }
    }

    /// What a document written at (or used by) an attribute of a block is for; a managed policy that
    /// is some principal's permissions boundary is a ceiling.
    fn purpose_of(&self, block: &Block, path: &[String]) -> (Purpose, Option<SiteNote>) {
        let purpose = consumer_purpose(block, path);
        if purpose != Purpose::ManagedPolicy {
            return (purpose, None);
        }
        let label = block.labels.get(1).map_or("?", String::as_str);
        let bounded = self.reach_finder.bounded_by(label);
        if bounded.is_empty() {
            return (purpose, None);
        }
        let note = SiteNote {
            span: block.span,
            message: format!(
                "`aws_iam_policy.{label}` is the permissions boundary of {}: a ceiling, never narrowed by findings",
                bounded
                    .iter()
                    .map(|b| format!("`{b}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        (Purpose::Boundary, Some(note))
    }

    /// The attributes that end up holding a document, following merges and locals.
    fn uses_of(
        &self,
        key: &DocKey,
        seen: &mut HashSet<DocKey>,
        out: &mut Vec<(usize, &'a Block, Vec<String>)>,
    ) {
        if !seen.insert(key.clone()) {
            return;
        }
        for consumer in self.consumers.get(key).into_iter().flatten() {
            match consumer {
                Consumer::Attr { file, block, path } => out.push((*file, block, path.clone())),
                Consumer::Doc(other) => self.uses_of(other, seen, out),
            }
        }
    }

    /// Whom the document written at (or used by) an attribute of a block reaches.
    fn consumer_reach(&self, file: usize, block: &Block, path: &[String]) -> Reach {
        let first = path.first().map_or("", String::as_str);
        let label = block.labels.get(1).map_or("?", String::as_str);
        let arg = |name: &str| block.body.attr(name).map(|a| &a.value);
        match block.ident.as_str() {
            "resource" => match block.labels.first().map_or("", String::as_str) {
                "aws_iam_policy" => self.reach_finder.attachments(label, block.span),
                "aws_iam_role_policy" => match arg("role") {
                    Some(e) => self
                        .reach_finder
                        .target(PrincipalKind::Role, file, block, e),
                    None => {
                        Reach::unknown(PrincipalKind::Role, format!("aws_iam_role_policy.{label}"))
                    }
                },
                "aws_iam_user_policy" => match arg("user") {
                    Some(e) => self
                        .reach_finder
                        .target(PrincipalKind::User, file, block, e),
                    None => {
                        Reach::unknown(PrincipalKind::User, format!("aws_iam_user_policy.{label}"))
                    }
                },
                "aws_iam_group_policy" => match arg("group") {
                    Some(e) => self
                        .reach_finder
                        .group_with_members(self.reach_finder.target(
                            PrincipalKind::Group,
                            file,
                            block,
                            e,
                        )),
                    None => Reach::unknown(
                        PrincipalKind::Group,
                        format!("aws_iam_group_policy.{label}"),
                    ),
                },
                "aws_iam_role" if first == "inline_policy" => {
                    self.reach_finder.identity(PrincipalKind::Role, file, block)
                }
                rtype if consumer_purpose(block, path) == Purpose::InlinePolicy => {
                    Reach::incomplete(SiteNote {
                        span: block.span,
                        message: format!(
                            "whom `{rtype}.{label}` reaches is not known from the source"
                        ),
                    })
                }
                _ => Reach::default(),
            },
            "module" => {
                let name = block.labels.first().map_or("?", String::as_str);
                let source = arg("source").and_then(Expr::as_str).unwrap_or_default();
                let local = crate::tree::is_local_source(source);
                let message = if local {
                    format!(
                        "the document is passed to `module.{name}`; where it goes there is not followed"
                    )
                } else {
                    format!(
                        "the document is passed to the remote module `module.{name}` (`{source}`), which is not followed"
                    )
                };
                Reach::incomplete(SiteNote {
                    span: block.span,
                    message,
                })
            }
            other => Reach::incomplete(SiteNote {
                span: block.span,
                message: format!(
                    "the document is used by `{other}` `{}`; whom it reaches there is not known",
                    block.labels.join(".")
                ),
            }),
        }
    }
}

fn same_consumer(a: &Consumer<'_>, b: &Consumer<'_>) -> bool {
    match (a, b) {
        (
            Consumer::Attr {
                file: fa,
                block: ba,
                path: pa,
            },
            Consumer::Attr {
                file: fb,
                block: bb,
                path: pb,
            },
        ) => fa == fb && ba.span == bb.span && pa == pb,
        (Consumer::Doc(a), Consumer::Doc(b)) => a == b,
        _ => false,
    }
}

fn is_policy_document(block: &Block) -> bool {
    block.ident == "data"
        && block
            .labels
            .first()
            .is_some_and(|t| t == "aws_iam_policy_document")
}

/// Whether a local's value may be a document (written directly, or encoded). Calls and templates may
/// build one; keying them only ties their uses to them, and a site is made only where a document is
/// found.
fn holds_policy(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Object(_) => is_policy_object(expr),
        ExprKind::Call { name, args } if name == "jsonencode" => {
            args.first().is_some_and(is_policy_object)
        }
        ExprKind::Str(s) => looks_like_policy(s),
        ExprKind::Template(_) | ExprKind::Call { .. } => true,
        _ => false,
    }
}

fn has_principal(document: &Node) -> bool {
    let statements = match document.get("Statement").map(|m| &m.value) {
        Some(s) => s.as_array().map_or_else(|| vec![s], |a| a.iter().collect()),
        None => Vec::new(),
    };
    statements
        .iter()
        .any(|s| s.get("Principal").is_some() || s.get("NotPrincipal").is_some())
}

/// Text that is a JSON object with a `Statement` key, judged cheaply before parsing.
fn looks_like_policy(text: &str) -> bool {
    text.trim_start().starts_with('{') && text.contains("\"Statement\"")
}

fn key_name(key: &DocKey) -> String {
    match key {
        DocKey::Data(name) => format!("data.aws_iam_policy_document.{name}"),
        DocKey::Local(name) => format!("local.{name}"),
    }
}

/// `aws_iam_role_policy.app` for its `policy`; `aws_iam_role.app.assume_role_policy` otherwise.
fn attr_owner(block: &Block, path: &[String]) -> String {
    let mut name = match block.ident.as_str() {
        "resource" => block.labels.join("."),
        "locals" => "local".to_string(),
        other => std::iter::once(other.to_string())
            .chain(block.labels.iter().cloned())
            .collect::<Vec<_>>()
            .join("."),
    };
    let default_policy =
        block.ident == "resource" && path.len() == 1 && path.first().is_some_and(|p| p == "policy");
    if !default_policy {
        for part in path {
            name.push('.');
            name.push_str(part);
        }
    }
    name
}

fn consumer_purpose(block: &Block, path: &[String]) -> Purpose {
    let first = path.first().map_or("", String::as_str);
    if first.contains("assume_role") || first.contains("trust") {
        return Purpose::Trust;
    }
    if block.ident != "resource" {
        return Purpose::InlinePolicy;
    }
    match block.labels.first().map_or("", String::as_str) {
        "aws_iam_policy" => Purpose::ManagedPolicy,
        // Service and resource control policies are ceilings for a whole organization.
        "aws_organizations_policy" => Purpose::Boundary,
        "aws_iam_role_policy" | "aws_iam_user_policy" | "aws_iam_group_policy" => {
            Purpose::InlinePolicy
        }
        "aws_iam_role" if first == "inline_policy" => Purpose::InlinePolicy,
        rtype if rtype.starts_with("aws_iam_") || rtype.starts_with("aws_ssoadmin_") => {
            Purpose::InlinePolicy
        }
        _ => Purpose::Resource,
    }
}

/// The literal path of `file(...)`: a string, where only `path.module`, `path.root` and `path.cwd`
/// may be interpolated (all three are the module directory as far as this extractor knows).
fn literal_path(text: &str, expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Str(s) => Some(s.clone()),
        ExprKind::Template(TemplateForm::Quoted) => {
            let (raw, base) = quoted_inner(text, expr.span)?;
            let decoded = decode(raw, base, Escapes::Backslash);
            let mut out = String::new();
            let mut cursor = 0;
            for hole in &decoded.holes {
                out.push_str(decoded.text.get(cursor..hole.decoded.start)?);
                cursor = hole.decoded.end;
                if hole.kind != HoleKind::Interpolation {
                    return None;
                }
                match hole_expression(text, hole)?.as_str() {
                    "path.module" | "path.root" | "path.cwd" => out.push('.'),
                    _ => return None,
                }
            }
            out.push_str(decoded.text.get(cursor..)?);
            Some(out)
        }
        _ => None,
    }
}

/// The path made absolute against the working directory, so that a relative module directory and an
/// absolute root (or the other way round) compare.
fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    std::env::current_dir().map_or_else(|_| path.to_path_buf(), |cwd| cwd.join(path))
}

/// A path with `.` and `..` resolved lexically: the check against the root must not depend on what
/// exists on disk, and must not follow links out of it.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if out.file_name().is_some() {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}
