//! The walk of a CloudFormation template for its policy sites: every object with a `Statement`
//! (identity, trust and resource policies, SAM custom statements) wherever it is, policies written as
//! JSON strings, and SAM policy templates, expanded from SAM's published definitions.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use iamprune_policy::{Expansion, PolicySite, Purpose, SiteNote, StringStyle, Syntax};
use iamprune_syntax::{FileError, Member, Node, NodeKind, Span, json};

use crate::Options;
use crate::conditions;
use crate::detect;
use crate::embedded::{Escapes, align, remap, substitutions_opaque};
use crate::intrinsic::{as_intrinsic, is_intrinsic_key, opaque};
use crate::principals::ReachFinder;
use crate::yaml::{self, ScalarStyle, Styles};
use rayon::prelude::*;

/// The text a tree was parsed from.
pub(crate) struct Source<'a> {
    pub file: &'a Path,
    pub text: &'a str,
    pub syntax: Syntax,
    /// For YAML: the style of each string scalar by the start of its span.
    pub styles: Option<&'a Styles>,
    /// For YAML: the spans of anchored nodes that aliases copied.
    pub aliased: &'a [Span],
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

const SAM_FUNCTIONS: [&str; 2] = ["AWS::Serverless::Function", "AWS::Serverless::StateMachine"];

/// Extracts every policy site of a template. Documents written in strings that are not JSON add an
/// error; nothing else about the template's shape does.
pub(crate) fn extract(
    src: &Source<'_>,
    root: &Node,
    options: &Options,
    errors: &mut Vec<FileError>,
) -> Vec<PolicySite> {
    extract_forking(src, root, options, errors, RESOURCES_PER_FORK)
}

/// [`extract`], forking the walk every `per_fork` resources.
fn extract_forking(
    src: &Source<'_>,
    root: &Node,
    options: &Options,
    errors: &mut Vec<FileError>,
    per_fork: usize,
) -> Vec<PolicySite> {
    let resources: Vec<(&str, &Member)> = root
        .get("Resources")
        .and_then(|m| m.value.as_object())
        .map(|members| members.iter().map(|m| (m.key.as_str(), m)).collect())
        .unwrap_or_default();
    let outputs: Vec<(&str, &Node)> = root
        .get("Outputs")
        .and_then(|m| m.value.as_object())
        .map(|members| members.iter().map(|m| (m.key.as_str(), &m.value)).collect())
        .unwrap_or_default();
    let reach_finder = ReachFinder::new(
        resources.iter().map(|(id, m)| (*id, &m.value)).collect(),
        outputs,
        options.stack_name.as_deref(),
        options.account.as_deref(),
    );
    // By id, the first of a duplicated id (as the list was searched): every document asks for its
    // resource, and a template has thousands.
    let mut by_id: HashMap<&str, &Member> = HashMap::with_capacity(resources.len());
    for (id, member) in &resources {
        by_id.entry(id).or_insert(member);
    }
    let shared = Shared {
        deployed_to: options.deployed_to.clone(),
        resources: by_id,
        reach_finder,
    };
    let mut walker = Walker::new(src, &shared);
    walker.walk_root(root, per_fork);
    errors.append(&mut walker.errors);
    walker.sites
}

/// Below this many resources a template is walked on one thread: a fork costs more than it saves.
const RESOURCES_PER_FORK: usize = 32;

/// What every fork of a template's walk reads.
struct Shared<'s> {
    deployed_to: Option<String>,
    resources: HashMap<&'s str, &'s Member>,
    reach_finder: ReachFinder<'s>,
}

struct Walker<'w, 'a, 's> {
    src: &'s Source<'a>,
    shared: &'w Shared<'s>,
    sites: Vec<PolicySite>,
    errors: Vec<FileError>,
    /// The `Fn::If`s whose branches are documents of their own ([`conditions`]).
    expanded: Vec<Span>,
}

/// The resource a path is inside, and the path inside its `Properties`.
struct Place<'p, 's> {
    owner: Option<&'s Member>,
    in_properties: &'p [Seg<'s>],
}

impl<'w, 'a, 's> Walker<'w, 'a, 's> {
    fn new(src: &'s Source<'a>, shared: &'w Shared<'s>) -> Self {
        Walker {
            src,
            shared,
            sites: Vec::new(),
            errors: Vec::new(),
            expanded: Vec::new(),
        }
    }

    /// Walks a template: its resources on every core when there are many (an editor's check of a
    /// large template walks them all at every keystroke), in order, as one walk would.
    fn walk_root(&mut self, root: &'s Node, per_fork: usize) {
        let mut path = Vec::new();
        let NodeKind::Object(members) = &root.kind else {
            return self.walk(root, &mut path);
        };
        if root.get("Statement").is_some() {
            return self.walk(root, &mut path);
        }
        for member in members {
            match &member.value.kind {
                NodeKind::Object(resources)
                    if member.key == "Resources"
                        && member.value.get("Statement").is_none()
                        && resources.len() >= per_fork.saturating_mul(2) =>
                {
                    let (src, shared) = (self.src, self.shared);
                    let forks: Vec<Walker<'w, 'a, 's>> = resources
                        .par_iter()
                        .with_min_len(per_fork)
                        .fold(
                            || Walker::new(src, shared),
                            |mut fork, resource| {
                                fork.member(resource, &mut vec![Seg::Key(&member.key)]);
                                fork
                            },
                        )
                        .collect();
                    for mut fork in forks {
                        self.sites.append(&mut fork.sites);
                        self.errors.append(&mut fork.errors);
                        self.expanded.append(&mut fork.expanded);
                    }
                }
                _ => self.member(member, &mut path),
            }
        }
    }

    fn walk(&mut self, node: &'s Node, path: &mut Vec<Seg<'s>>) {
        match &node.kind {
            NodeKind::Object(members) => {
                if let Some(statement) = node.get("Statement") {
                    if is_document_statement(&statement.value) {
                        self.conditional_document(node, path);
                        return;
                    }
                }
                if self.sam_policy_template(node, path) {
                    return;
                }
                for member in members {
                    self.member(member, path);
                }
            }
            NodeKind::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(Seg::Index(i));
                    self.walk(item, path);
                    path.pop();
                }
            }
            NodeKind::String(s) if matches!(path.last(), Some(Seg::Key("TemplateBody"))) => {
                self.nested(node, s, path);
            }
            NodeKind::String(s) if holds_statement(s) => self.embedded(node, s, path),
            _ => {}
        }
    }

    /// A member of an object at `path`.
    fn member(&mut self, member: &'s Member, path: &mut Vec<Seg<'s>>) {
        if member.key == "CustomStatements"
            && matches!(member.value.kind, NodeKind::Array(_) | NodeKind::Object(_))
        {
            // SAM API resource policies: a list of statements without a document around it.
            let document = Node::new(
                member.value.span,
                NodeKind::Object(vec![Member {
                    key: "Statement".into(),
                    key_span: member.key_span,
                    value: member.value.clone(),
                }]),
            );
            path.push(Seg::Key(&member.key));
            self.document(&document, path, self.src.syntax.clone(), Vec::new());
            path.pop();
            return;
        }
        path.push(Seg::Key(&member.key));
        self.walk(&member.value, path);
        path.pop();
    }

    /// A document and, for each `Fn::If` that gives some of its statements, each branch as a
    /// document of its own. A document whose whole statement list is an `Fn::If` is only its
    /// branches, unless no branch holds statements: then it is said to be undecidable.
    fn conditional_document(&mut self, node: &Node, path: &mut Vec<Seg<'s>>) {
        let (itself, branches) = conditions::documents(node);
        self.expanded.extend(branches.iter().map(|b| b.condition));
        if itself {
            self.document(node, path, self.src.syntax.clone(), Vec::new());
        }
        for branch in branches {
            let depth = path.len();
            path.extend(branch.path);
            self.document(&branch.document, path, self.src.syntax.clone(), Vec::new());
            path.truncate(depth);
        }
    }

    fn place<'p>(&self, path: &'p [Seg<'s>]) -> Place<'p, 's> {
        match path {
            [Seg::Key("Resources"), Seg::Key(id), rest @ ..] => {
                let owner = self.shared.resources.get(id).copied();
                let in_properties = match rest {
                    [Seg::Key("Properties"), inner @ ..] => inner,
                    _ => &[],
                };
                Place {
                    owner,
                    in_properties,
                }
            }
            _ => Place {
                owner: None,
                in_properties: &[],
            },
        }
    }

    /// A SAM policy template (`- S3ReadPolicy: {BucketName: b}`) in a function's `Policies`: the
    /// statements the transform expands it into, from SAM's published definitions, checked at the
    /// template's name ([`Syntax::Expanded`]: no edit is made in them); a name SAM does not publish is
    /// one undecidable statement.
    fn sam_policy_template(&mut self, node: &'s Node, path: &[Seg<'s>]) -> bool {
        // Every object of a template comes here: what its own keys tell is asked first, before
        // its resource is looked up.
        let Some([member]) = node.as_object() else {
            return false;
        };
        if is_intrinsic_key(&member.key) || !member.key.ends_with("Policy") {
            return false;
        }
        let place = self.place(path);
        let Some(owner) = place.owner else {
            return false;
        };
        let is_sam = owner
            .value
            .get("Type")
            .and_then(|t| t.value.as_str())
            .is_some_and(|t| SAM_FUNCTIONS.contains(&t));
        let in_policies = matches!(
            place
                .in_properties
                .iter()
                .filter(|s| !matches!(s, Seg::Key(k) if is_intrinsic_key(k)))
                .collect::<Vec<_>>()
                .as_slice(),
            [Seg::Key("Policies")]
                | [Seg::Key("Policies"), Seg::Index(_)]
                | [Seg::Key("Policies"), Seg::Index(_), Seg::Index(_)]
        );
        if !is_sam || !in_policies {
            return false;
        }
        let key = member.key_span;
        let Some(template) = crate::sam_templates::template(&member.key) else {
            let document = Node::new(
                node.span,
                NodeKind::Object(vec![Member {
                    key: "Statement".into(),
                    key_span: key,
                    value: Node::new(
                        node.span,
                        NodeKind::Opaque(format!("SAM policy template {}", member.key)),
                    ),
                }]),
            );
            let note = SiteNote {
                span: key,
                message: format!(
                    "`{}` is not a policy template SAM publishes (as of the definitions iamprune \
                     carries): its statements are not known, so it is not checked",
                    member.key
                ),
            };
            self.document(&document, path, self.src.syntax.clone(), vec![note]);
            return true;
        };
        // The statements the transform writes, every span at the template's name: they are checked
        // and reported there, and no edit can be made in text that does not hold them. With the
        // parameters given, they are the statements in full, resources and conditions too, so that
        // writing them out (`--fix-sam-templates`) keeps all but the actions; without, only the
        // actions are known.
        let given = match iamprune_policy::output::to_json(&member.value) {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        let (full, complete) = template.expand(&given);
        let statements = full.iter().map(|s| from_json(s, key)).collect();
        let written_out = complete.then_some(full);
        let document = Node::new(
            node.span,
            NodeKind::Object(vec![Member {
                key: "Statement".into(),
                key_span: key,
                value: Node::new(node.span, NodeKind::Array(statements)),
            }]),
        );
        let actions: usize = template.actions().iter().map(Vec::len).sum();
        let remedy = if written_out.is_some() {
            ": `iamprune fix --fix-sam-templates` (or `fix-sam-templates = true` under \
             [cloudformation] in iamprune.toml) writes out the statements it stands for in its place, \
             without what is unused"
        } else {
            ", and it cannot be written out as the statements it stands for, since its parameters are \
             not all given"
        };
        let note = SiteNote {
            span: key,
            message: format!(
                "SAM policy template `{}` stands for {actions} action{} (SAM's published definition), \
                 checked here; the template holds no action an edit could remove{remedy}",
                member.key,
                if actions == 1 { "" } else { "s" }
            ),
        };
        let expansion = Expansion {
            around: self.src.syntax.clone(),
            span: node.span,
            statements: written_out,
        };
        self.document(
            &document,
            path,
            Syntax::Expanded(Box::new(expansion)),
            vec![note],
        );
        true
    }

    /// A whole template written as a YAML block scalar (a StackSet's `TemplateBody: |`). Its text is
    /// YAML in the file as it stands, so its sites are YAML sites; its stack is another one, whose
    /// name is not known here.
    fn nested(&mut self, node: &'s Node, decoded: &str, path: &[Seg<'s>]) {
        let is_block = self
            .src
            .styles
            .and_then(|styles| styles.get(node.span.start))
            .is_some_and(|s| s == ScalarStyle::Literal);
        if self.src.syntax != Syntax::Yaml || !is_block {
            return;
        }
        let Some((raw_span, escapes, _)) = self.literal(node) else {
            return;
        };
        let raw = self.src.text.get(raw_span.range()).unwrap_or_default();
        let Some(map) = align(decoded, raw, raw_span.start, escapes) else {
            return;
        };
        let Ok(tree) = yaml::parse(decoded) else {
            return;
        };
        if detect::classify(&tree.root) != detect::Shape::Template {
            return;
        }
        let Some(root) = remap(&tree.root, &map) else {
            return;
        };
        let styles = Styles::new(
            tree.styles
                .iter()
                .filter_map(|(at, style)| Some((map.span(Span::new(at, at + 1))?.start, style)))
                .collect(),
        );
        let aliased: Vec<Span> = tree.aliased.iter().filter_map(|s| map.span(*s)).collect();
        let src = Source {
            file: self.src.file,
            text: self.src.text,
            syntax: Syntax::Yaml,
            styles: Some(&styles),
            aliased: &aliased,
        };
        let outer = owner_name(path);
        let sites = extract(&src, &root, &Options::default(), &mut self.errors);
        self.sites.extend(sites.into_iter().map(|mut site| {
            site.owner = format!("{outer}: {}", site.owner);
            site
        }));
    }

    /// A policy written as JSON inside a string value.
    fn embedded(&mut self, node: &'s Node, decoded: &str, path: &[Seg<'s>]) {
        let in_code = path.iter().any(|s| {
            matches!(
                s,
                Seg::Key("ZipFile" | "InlineCode" | "TemplateBody" | "DefinitionString")
            )
        });
        if in_code || !decoded.trim_start().starts_with('{') {
            return;
        }
        let under_sub = matches!(
            path,
            [.., Seg::Key("Fn::Sub")] | [.., Seg::Key("Fn::Sub"), Seg::Index(0)]
        );
        let Some((raw_span, escapes, style)) = self.literal(node) else {
            return;
        };
        let raw = self.src.text.get(raw_span.range()).unwrap_or_default();
        let Some(map) = align(decoded, raw, raw_span.start, escapes) else {
            return;
        };
        let tree = match json::parse(decoded) {
            Ok(tree) => tree,
            Err(err) => {
                // A `Fn::Sub` may put `${…}` where JSON allows no string; that is only known after
                // substitution, so it is no error of the file.
                if !under_sub {
                    let at = map.span(err.span).unwrap_or(node.span);
                    self.error(
                        at,
                        format!("the policy in this string is not JSON: {}", err.message),
                    );
                }
                return;
            }
        };
        if !tree
            .get("Statement")
            .is_some_and(|m| is_document_statement(&m.value))
        {
            return;
        }
        let Some(mut document) = remap(&tree, &map) else {
            return;
        };
        if under_sub {
            document = substitutions_opaque(&document);
        }
        self.document(&document, path, Syntax::EmbeddedJson(style), Vec::new());
    }

    /// The raw text of a string literal's content (inside its quotes, after a block scalar's header),
    /// its escapes, and how new text must be written into it.
    fn literal(&self, node: &Node) -> Option<(Span, Escapes, StringStyle)> {
        let inner = || {
            Span::new(
                node.span.start + 1,
                node.span.end.saturating_sub(1).max(node.span.start + 1),
            )
        };
        match (&self.src.syntax, self.src.styles) {
            (Syntax::Json, _) => Some((inner(), Escapes::Backslash, StringStyle::DoubleQuoted)),
            (Syntax::Yaml, Some(styles)) => match styles.get(node.span.start)? {
                ScalarStyle::DoubleQuoted => {
                    Some((inner(), Escapes::Backslash, StringStyle::DoubleQuoted))
                }
                ScalarStyle::SingleQuoted => {
                    Some((inner(), Escapes::DoubledQuote, StringStyle::Literal))
                }
                ScalarStyle::Plain => Some((node.span, Escapes::None, StringStyle::Literal)),
                ScalarStyle::Literal | ScalarStyle::Folded => {
                    let raw = self.src.text.get(node.span.range())?;
                    let header = raw.find('\n')? + 1;
                    Some((
                        Span::new(node.span.start + header, node.span.end),
                        Escapes::None,
                        StringStyle::Literal,
                    ))
                }
            },
            _ => None,
        }
    }

    fn error(&mut self, span: Span, message: String) {
        self.errors
            .push(FileError::at(self.src.file, span, message));
    }

    /// Adds the site of the document `node` found at `path`.
    fn document(
        &mut self,
        node: &Node,
        path: &[Seg<'s>],
        syntax: Syntax,
        mut notes: Vec<SiteNote>,
    ) {
        let place = self.place(path);
        let owner_type = place
            .owner
            .and_then(|m| m.value.get("Type"))
            .and_then(|t| t.value.as_str())
            .unwrap_or_default();
        let mut purpose = purpose(owner_type, path, place.in_properties);
        if let (Purpose::ManagedPolicy, Some(owner)) = (purpose, place.owner) {
            let bounded = self.shared.reach_finder.bounded_by(&owner.key);
            if !bounded.is_empty() {
                purpose = Purpose::Boundary;
                notes.push(SiteNote {
                    span: owner.key_span,
                    message: format!(
                        "the policy is the permissions boundary of {}: a ceiling, never narrowed by findings",
                        quoted_list(&bounded)
                    ),
                });
            }
        }
        let (document, frozen) = prepare(node, self.src.aliased, &self.expanded, &mut notes);
        if let Some(span) = conditional(path, node.span) {
            notes.push(SiteNote {
                span,
                message: conditions::UNDER_CONDITION.into(),
            });
        }
        let scope = place.owner.map_or(node, |m| &m.value);
        for (key, span) in duplicate_keys(scope) {
            notes.push(SiteNote {
                span,
                message: format!("duplicate key `{key}`: CloudFormation uses only one of them"),
            });
        }
        let (principals, principals_complete) = match (purpose, place.owner) {
            (Purpose::InlinePolicy | Purpose::ManagedPolicy, Some(owner)) => {
                let reach = self.shared.reach_finder.reach(&owner.key, &owner.value);
                if reach.through_group {
                    notes.push(SiteNote {
                        span: owner.key_span,
                        message: "the policy reaches users through a group: members added to the \
                                  group outside this template are not known, so it is not narrowed \
                                  (list them in iamprune.toml [principals] as \
                                  \"arn:aws:iam::ACCOUNT:user/NAME\" = \"GROUP\")"
                            .into(),
                    });
                }
                let outputs = self.shared.reach_finder.outputs_of(&owner.key);
                let exported = purpose == Purpose::ManagedPolicy && !outputs.is_empty();
                if exported {
                    notes.push(SiteNote {
                        span: owner.key_span,
                        message: format!(
                            "the policy is handed out by output {}: other stacks may attach it, so it \
                             is not narrowed (list whom it reaches in iamprune.toml [principals])",
                            quoted_list(&outputs)
                        ),
                    });
                }
                (reach.found.principals, reach.found.complete && !exported)
            }
            (Purpose::InlinePolicy | Purpose::ManagedPolicy, None) => (Vec::new(), false),
            _ => (Vec::new(), true),
        };
        let construct_path = place
            .owner
            .and_then(|m| m.value.get("Metadata"))
            .and_then(|m| m.value.get("aws:cdk:path"))
            .and_then(|p| p.value.as_str())
            .map(str::to_string);
        self.sites.push(PolicySite {
            file: self.src.file.to_path_buf(),
            owner: owner_name(path),
            owner_file: self.src.file.to_path_buf(),
            owner_span: place.owner.map_or(node.span, |m| m.key_span),
            construct_path,
            account: self.shared.deployed_to.clone(),
            purpose,
            document,
            syntax,
            principals,
            principals_complete,
            notes,
            frozen,
        });
    }
}

/// What every policy document of a template gets, wherever it was found: its expressions opaque, a
/// note for each statement or action element that is one (but an `Fn::If` among `expanded`, read
/// branch by branch), and why its text may not be edited, when an alias shares it.
pub(crate) fn prepare(
    node: &Node,
    aliased: &[Span],
    expanded: &[Span],
    notes: &mut Vec<SiteNote>,
) -> (Node, Option<String>) {
    let document = opaque(node);
    undecidable_notes(node, &document, expanded, notes);
    // Text reached through an alias is the anchored node's: editing it changes every use, policy or
    // not (an environment variable built from the same list).
    let frozen = shares_text(node, aliased).then(|| {
        "the policy shares text with other places through a YAML anchor and alias: an edit would \
         change every use, so its fixes are shown, not applied"
            .to_string()
    });
    (document, frozen)
}

/// Whether any value of `node` is text an alias shares: inside a node that is anchored and aliased, or
/// holding one.
fn shares_text(node: &Node, aliased: &[Span]) -> bool {
    let overlaps = |span: Span| {
        aliased
            .iter()
            .any(|a| a.start < span.end.max(span.start + 1) && span.start < a.end)
    };
    if overlaps(node.span) {
        return true;
    }
    match &node.kind {
        NodeKind::Array(items) => items.iter().any(|item| shares_text(item, aliased)),
        NodeKind::Object(members) => members.iter().any(|m| shares_text(&m.value, aliased)),
        _ => false,
    }
}

/// "`A`", "`A`, `B`".
fn quoted_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `Statement` values that make an object a policy document: statements, or expressions standing for
/// them. (WAF rules have a `Statement` key too.)
fn is_document_statement(value: &Node) -> bool {
    let is_statement = |node: &Node| {
        as_intrinsic(node).is_some() || STATEMENT_KEYS.iter().any(|k| node.get(k).is_some())
    };
    match &value.kind {
        NodeKind::Array(items) => items.is_empty() || items.iter().any(is_statement),
        NodeKind::Object(_) => is_statement(value),
        _ => false,
    }
}

/// Keys only an IAM statement has; a WAF rule's `Statement` has none of them.
const STATEMENT_KEYS: [&str; 7] = [
    "Effect",
    "Action",
    "NotAction",
    "Principal",
    "NotPrincipal",
    "Resource",
    "Sid",
];

fn purpose(owner_type: &str, path: &[Seg<'_>], in_properties: &[Seg<'_>]) -> Purpose {
    if path
        .iter()
        .any(|s| matches!(s, Seg::Key("AssumeRolePolicyDocument")))
    {
        return Purpose::Trust;
    }
    let first = match in_properties.first() {
        Some(Seg::Key(k)) => *k,
        _ => "",
    };
    match (owner_type, first) {
        ("AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group", "Policies") => {
            Purpose::InlinePolicy
        }
        (
            "AWS::IAM::Policy"
            | "AWS::IAM::RolePolicy"
            | "AWS::IAM::UserPolicy"
            | "AWS::IAM::GroupPolicy",
            "PolicyDocument",
        ) => Purpose::InlinePolicy,
        ("AWS::IAM::ManagedPolicy", "PolicyDocument") => Purpose::ManagedPolicy,
        ("AWS::Organizations::Policy", "Content") => Purpose::Boundary,
        (t, "Policies") if SAM_FUNCTIONS.contains(&t) => Purpose::InlinePolicy,
        _ => Purpose::Resource,
    }
}

/// `AppRole.Policies[0].PolicyDocument` for a document of resource `AppRole`.
fn owner_name(path: &[Seg<'_>]) -> String {
    let segments = match path {
        [
            Seg::Key("Resources"),
            Seg::Key(id),
            Seg::Key("Properties"),
            rest @ ..,
        ] => {
            let mut out = (*id).to_string();
            push_path(&mut out, rest);
            return out;
        }
        [Seg::Key("Resources"), rest @ ..] => rest,
        _ => path,
    };
    let mut out = String::new();
    push_path(&mut out, segments);
    if out.is_empty() {
        out.push('$');
    }
    out
}

pub(crate) fn push_path(out: &mut String, segments: &[Seg<'_>]) {
    for seg in segments {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
}

/// Whether the document is inside an `Fn::If`; the note then points at the document.
fn conditional(path: &[Seg<'_>], fallback: Span) -> Option<Span> {
    path.iter()
        .any(|s| matches!(s, Seg::Key("Fn::If")))
        .then_some(fallback)
}

/// Notes for the statements and action elements that are expressions. `original` is the document
/// before its intrinsics became opaque, to say how many action entries an undecidable statement holds;
/// an `Fn::If` among `expanded` is read branch by branch, so it is not undecidable.
fn undecidable_notes(
    original: &Node,
    document: &Node,
    expanded: &[Span],
    notes: &mut Vec<SiteNote>,
) {
    let (Some(statement), Some(original)) = (document.get("Statement"), original.get("Statement"))
    else {
        return;
    };
    let statements: Vec<&Node> = match &statement.value.kind {
        NodeKind::Array(items) => items.iter().collect(),
        _ => vec![&statement.value],
    };
    let originals: Vec<&Node> = match &original.value.kind {
        NodeKind::Array(items) if statement.value.as_array().is_some() => items.iter().collect(),
        _ => vec![&original.value],
    };
    for (i, s) in statements.into_iter().enumerate() {
        if let NodeKind::Opaque(what) = &s.kind {
            if !what.starts_with("SAM policy template") && !expanded.contains(&s.span) {
                let held = originals.get(i).map_or(0, |o| action_entries(o));
                notes.push(SiteNote {
                    span: s.span,
                    message: format!(
                        "a statement given by `{what}` is undecidable: it is never refined \
                         ({held} action entries)"
                    ),
                });
            }
            continue;
        }
        for key in ["Action", "NotAction"] {
            let Some(member) = s.get(key) else { continue };
            let elements: Vec<&Node> = match &member.value.kind {
                NodeKind::Array(items) => items.iter().collect(),
                _ => vec![&member.value],
            };
            for e in elements {
                if let NodeKind::Opaque(what) = &e.kind {
                    notes.push(SiteNote {
                        span: e.span,
                        message: format!(
                            "an `{key}` element given by `{what}` is undecidable: it is never refined"
                        ),
                    });
                }
            }
        }
    }
}

/// The `Action`/`NotAction` entries of the statements anywhere under `node` (the branches of an
/// `Fn::If`), counted as written.
fn action_entries(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Object(members) => members
            .iter()
            .map(|m| match m.key.as_str() {
                "Action" | "NotAction" => m.value.as_array().map_or(1, <[Node]>::len),
                _ => action_entries(&m.value),
            })
            .sum(),
        NodeKind::Array(items) => items.iter().map(action_entries).sum(),
        _ => 0,
    }
}

/// Keys that occur twice in one object anywhere under `node`.
fn duplicate_keys(node: &Node) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    collect_duplicates(node, &mut out);
    out
}

/// Up to this many members, an object's keys are compared pairwise rather than through a set.
const SMALL_OBJECT: usize = 12;

fn collect_duplicates(node: &Node, out: &mut Vec<(String, Span)>) {
    match &node.kind {
        NodeKind::Object(members) => {
            // Most objects of a template have a handful of members: comparing each with those
            // before it allocates nothing, where a set per object was most of this walk, which runs
            // over every policy's resource at every keystroke.
            let mut seen = (members.len() > SMALL_OBJECT).then(HashSet::new);
            for (i, m) in members.iter().enumerate() {
                let repeated = match seen.as_mut() {
                    Some(seen) => !seen.insert(m.key.as_str()),
                    None => members
                        .get(..i)
                        .is_some_and(|before| before.iter().any(|b| b.key == m.key)),
                };
                if repeated {
                    out.push((m.key.clone(), m.key_span));
                }
                collect_duplicates(&m.value, out);
            }
        }
        NodeKind::Array(items) => items.iter().for_each(|n| collect_duplicates(n, out)),
        _ => {}
    }
}

/// A tree of a JSON value, every span at `span` (text that stands for it).
fn from_json(value: &serde_json::Value, span: Span) -> Node {
    use serde_json::Value;
    let kind = match value {
        Value::Null => NodeKind::Null,
        Value::Bool(b) => NodeKind::Bool(*b),
        Value::Number(n) => NodeKind::Number(n.to_string()),
        Value::String(s) => NodeKind::String(s.clone()),
        Value::Array(items) => NodeKind::Array(items.iter().map(|v| from_json(v, span)).collect()),
        Value::Object(map) => NodeKind::Object(
            map.iter()
                .map(|(key, v)| Member {
                    key: key.clone(),
                    key_span: span,
                    value: from_json(v, span),
                })
                .collect(),
        ),
    };
    Node::new(span, kind)
}

/// Whether a string may hold a policy written as JSON: it names `"Statement"`. Every string of a
/// template is asked, and nearly all are short and hold no quote at all.
fn holds_statement(s: &str) -> bool {
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new("\"Statement\""));
    s.len() >= FINDER.needle().len() && FINDER.find(s.as_bytes()).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(keys: &[&str]) -> Node {
        let members = keys
            .iter()
            .enumerate()
            .map(|(i, key)| Member {
                key: (*key).to_string(),
                key_span: Span::new(i * 10, i * 10 + key.len()),
                value: Node::new(Span::new(i * 10 + 5, i * 10 + 6), NodeKind::Null),
            })
            .collect();
        Node::new(Span::new(0, keys.len() * 10), NodeKind::Object(members))
    }

    /// A template with every kind of place a walk finds documents in, and some it reports, repeated.
    fn varied_template(copies: usize) -> String {
        let mut out = String::from(
            "AWSTemplateFormatVersion: \"2010-09-09\"\nTransform: AWS::Serverless-2016-10-31\nConditions:\n  Prod: !Equals [!Ref Env, prod]\nResources:\n",
        );
        for i in 0..copies {
            out.push_str(&format!(
                "  Role{i}:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: role-{i}\n      Policies:\n        - PolicyName: p\n          PolicyDocument:\n            Statement:\n              - Effect: Allow\n                Action: [s3:Get*]\n                Resource: '*'\n              - !If [Prod, {{Effect: Allow, Action: 'sqs:*', Resource: '*'}}, !Ref AWS::NoValue]\n\
                 \x20 Managed{i}:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      Roles: [!Ref Role{i}]\n      PolicyDocument: '{{\"Statement\": [{{\"Effect\": \"Allow\", \"Action\": \"s3:*\"'\n\
                 \x20 Fn{i}:\n    Type: AWS::Serverless::Function\n    Properties:\n      Policies:\n        - S3ReadPolicy: {{BucketName: b{i}}}\n        - Statement: [{{Effect: Allow, Action: 'kms:Decrypt', Resource: '*'}}]\n\
                 \x20 Api{i}:\n    Type: AWS::Serverless::Api\n    Properties:\n      Auth:\n        ResourcePolicy:\n          CustomStatements: [{{Effect: Allow, Principal: '*', Action: 'execute-api:Invoke', Resource: '*'}}]\n"
            ));
        }
        out
    }

    #[test]
    fn a_walk_forked_over_resources_finds_what_one_walk_finds() {
        let text = varied_template(40);
        let tree = yaml::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        let src = Source {
            file: Path::new("template.yaml"),
            text: &text,
            syntax: Syntax::Yaml,
            styles: Some(&tree.styles),
            aliased: &tree.aliased,
        };
        let walk = |per_fork| {
            let mut errors = Vec::new();
            let sites =
                extract_forking(&src, &tree.root, &Options::default(), &mut errors, per_fork);
            format!("{sites:#?}\n{errors:#?}")
        };
        let one = walk(usize::MAX);
        assert!(
            one.contains("kms:Decrypt") && one.contains("execute-api:Invoke"),
            "{one}"
        );
        assert!(
            one.contains("message"),
            "the unclosed JSON policies are reported"
        );
        for per_fork in [1, 3, 32] {
            assert_eq!(walk(per_fork), one, "forks of {per_fork}");
        }
    }

    #[test]
    fn repeated_keys_are_found_in_small_and_large_objects() {
        let small = object(&["Type", "Properties", "Type"]);
        assert_eq!(
            duplicate_keys(&small),
            [("Type".to_string(), Span::new(20, 24))]
        );
        let mut keys: Vec<String> = (0..SMALL_OBJECT + 3).map(|i| format!("K{i}")).collect();
        keys.push("K2".into());
        keys.push("K2".into());
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let at = |i: usize| Span::new(i * 10, i * 10 + 2);
        let large = object(&keys);
        assert_eq!(
            duplicate_keys(&large),
            [
                ("K2".to_string(), at(SMALL_OBJECT + 3)),
                ("K2".to_string(), at(SMALL_OBJECT + 4))
            ]
        );
        let nested = Node::new(
            Span::new(0, 100),
            NodeKind::Array(vec![small, object(&["A"])]),
        );
        assert_eq!(duplicate_keys(&nested).len(), 1);
    }
}
