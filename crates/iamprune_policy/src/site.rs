//! Policy sites: the policy documents an extractor found in source files, and whom they reach.
//!
//! Extractors (CloudFormation, CDK, Terraform) produce sites; the linter matches findings to their
//! principals, refines their documents and turns the result into edits. A site is format-neutral: its
//! document is a spanned tree whose spans point into the text of `file`, and `syntax` says how that text
//! must be written when an element changes.

use std::path::PathBuf;

use iamprune_syntax::{Node, Span};

/// One policy document in a source file.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicySite {
    /// The file whose text the document's spans point into. For `file("x.json")` in Terraform this is the
    /// JSON file, not the `.tf` that names it.
    pub file: PathBuf,
    /// Where the document is declared, for messages: `aws_iam_role_policy.app`,
    /// `data.aws_iam_policy_document.read`, `AppRole` (a logical id) with `Policies[0]`.
    pub owner: String,
    /// The file and span of the declaration (the resource block, the logical id key), which may differ
    /// from `file`.
    pub owner_file: PathBuf,
    pub owner_span: Span,
    /// For CDK output: the construct path (`aws:cdk:path`).
    pub construct_path: Option<String>,
    /// The AWS account the document is deployed to, when the source says so itself (a CDK stack's
    /// `environment`): the principals it reaches are deployed there only.
    pub account: Option<String>,
    pub purpose: Purpose,
    /// The document, with [`iamprune_syntax::NodeKind::Opaque`] for every value only evaluation could
    /// tell (intrinsic functions, references, interpolations).
    pub document: Node,
    pub syntax: Syntax,
    /// The principals the document reaches, as far as the source tells.
    pub principals: Vec<PrincipalRef>,
    /// `false` when some way the document grants could not be followed (an attachment through a
    /// module, an output, a `count` without literal keys): the site is then never narrowed for findings
    /// unless the configuration lists whom it reaches, since an unknown principal may use what the
    /// known ones did not. A principal that is known but not named is in `principals` as
    /// [`PrincipalName::Unknown`].
    pub principals_complete: bool,
    /// Things the extractor could not decide, said once per site (`dynamic "statement"`, an `Fn::If`
    /// around a statement, a policy composed with `join`).
    pub notes: Vec<SiteNote>,
    /// Why no edit may be made in the document's text, when its text is also something else's (a
    /// YAML anchor used elsewhere through an alias): its fixes are shown, not applied.
    pub frozen: Option<String>,
}

impl PolicySite {
    /// [`PolicySite::absorb`] for another extraction of the same place that may hold another
    /// document (a module called with other inputs, a `file()` template its readers render with
    /// other values). When the documents differ no one edit fits them all: the site is then neither
    /// narrowed (a fix for one would be wrong for another) nor edited at all (rules that need no
    /// findings would still edit it from one version), for the reason `why`.
    pub fn absorb_variant(&mut self, other: PolicySite, why: &str) {
        if self.document != other.document {
            self.principals_complete = false;
            self.frozen.get_or_insert_with(|| why.to_string());
        }
        self.absorb(other);
    }

    /// Takes in another extraction of the same document (a JSON file two modules read with `file()`,
    /// one module called twice): the site then reaches the principals of both, so that it loses only
    /// what none of them used.
    pub fn absorb(&mut self, other: PolicySite) {
        let mut reach = Reach {
            principals: std::mem::take(&mut self.principals),
            complete: self.principals_complete,
            notes: std::mem::take(&mut self.notes),
        };
        reach.merge(Reach {
            principals: other.principals,
            complete: other.principals_complete,
            notes: other.notes,
        });
        self.principals = reach.principals;
        self.principals_complete = reach.complete;
        self.notes = reach.notes;
        if self.frozen.is_none() {
            self.frozen = other.frozen;
        }
    }
}

/// The principals a document reaches as an extractor follows its attachments: the one way every
/// format adds and merges them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    pub principals: Vec<PrincipalRef>,
    /// `false` when some attachment could not be followed (see [`PolicySite::principals_complete`]).
    pub complete: bool,
    pub notes: Vec<SiteNote>,
}

impl Default for Reach {
    /// Nothing reached yet, and nothing unfollowed.
    fn default() -> Self {
        Reach {
            principals: Vec::new(),
            complete: true,
            notes: Vec::new(),
        }
    }
}

impl Reach {
    /// A principal whose name the source does not tell. The list stays complete: the unnamed
    /// principal is in it, and a mapping in the configuration can name it.
    pub fn unknown(kind: PrincipalKind, declared_as: String) -> Self {
        let mut reach = Reach::default();
        reach.add(PrincipalRef {
            kind,
            name: PrincipalName::Unknown,
            declared_as,
        });
        reach
    }

    /// An attachment that could not be followed, and why.
    pub fn incomplete(note: SiteNote) -> Self {
        Reach {
            principals: Vec::new(),
            complete: false,
            notes: vec![note],
        }
    }

    /// Adds a principal once.
    pub fn add(&mut self, principal: PrincipalRef) {
        if !self.principals.contains(&principal) {
            self.principals.push(principal);
        }
    }

    /// Adds a note once.
    pub fn note(&mut self, note: SiteNote) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// Everything `other` reaches, too; complete only when both are.
    pub fn merge(&mut self, other: Reach) {
        for principal in other.principals {
            self.add(principal);
        }
        self.complete &= other.complete;
        for note in other.notes {
            self.note(note);
        }
    }
}

/// What a document is for. Only identity policies are refined from findings; the others get the
/// catalog rules (unknown actions, redundancy, size).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// Managed (`aws_iam_policy`, `AWS::IAM::ManagedPolicy`).
    ManagedPolicy,
    /// Inline in a role, user or group.
    InlinePolicy,
    /// A role's trust policy.
    Trust,
    /// A resource policy (bucket, queue, topic, key, …).
    Resource,
    /// A ceiling on what principals may do rather than a grant: a permissions boundary, a service or
    /// resource control policy. What a principal left unused says nothing of what a ceiling must
    /// allow, so it is never narrowed by findings.
    Boundary,
}

impl Purpose {
    /// Whether findings about the principals it reaches may narrow it.
    pub fn grants_identity(self) -> bool {
        matches!(self, Purpose::ManagedPolicy | Purpose::InlinePolicy)
    }

    /// The purpose of a document with several consumers: the most conservative of the two, so that a
    /// document feeding both a role policy and a ceiling is treated as the ceiling, whichever is
    /// declared first.
    pub fn most_conservative(self, other: Purpose) -> Purpose {
        let rank = |p: Purpose| match p {
            Purpose::InlinePolicy => 0,
            // A managed policy's size limit is the stricter one.
            Purpose::ManagedPolicy => 1,
            Purpose::Trust => 2,
            Purpose::Resource => 3,
            Purpose::Boundary => 4,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// How the document's text is written, which decides how an edit is spelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Syntax {
    /// JSON text (a template, a `.json` file, a CDK template).
    Json,
    /// YAML (a CloudFormation template); lists may be block or flow style.
    Yaml,
    /// HCL object syntax (`jsonencode({...})`) or `aws_iam_policy_document` blocks.
    Hcl,
    /// Statements no text holds, written by a transform (a SAM policy template's): their spans point at
    /// what stands for them, and no edit is made in them.
    Expanded(Box<Expansion>),
    /// JSON inside a string literal of another syntax: spans point into the raw literal, and new text
    /// must be escaped the way the literal is.
    EmbeddedJson(StringStyle),
}

/// Statements a transform writes from what stands for them in the text (a SAM policy template).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion {
    /// The syntax of the text around them: how a suppression comment there is written, and how the
    /// statements are written out.
    pub around: Syntax,
    /// What stands for the statements in the text (`S3ReadPolicy: {BucketName: b}`).
    pub span: Span,
    /// The statements in full, as the transform writes them (resources and conditions with the
    /// template's parameters given), in the JSON form of CloudFormation: what replaces `span` when the
    /// user asks for the statements to be written out. `None` when they cannot be told (a parameter
    /// missing).
    pub statements: Option<Vec<serde_json::Value>>,
}

/// The kind of string literal that holds embedded JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringStyle {
    /// A heredoc (`<<EOF`) or YAML block scalar: the text is literal.
    Literal,
    /// An indented heredoc (`<<-EOF`): literal, each line indented.
    IndentedLiteral,
    /// A double-quoted string (HCL, JSON, YAML): `"` and `\` are escaped.
    DoubleQuoted,
}

/// A principal a policy reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalRef {
    pub kind: PrincipalKind,
    pub name: PrincipalName,
    /// Where the principal is declared, for messages: `aws_iam_role.app`, `AppRole`.
    pub declared_as: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrincipalKind {
    Role,
    User,
    Group,
}

/// How a finding's principal name is matched to the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalName {
    /// A literal name (`name = "app"`, `RoleName: app`).
    Exact(String),
    /// The name a Terraform variable's default or a variable file gives (`name = "app-${var.env}"`):
    /// what one deployment is called, while another environment may set the variable otherwise. Joined
    /// by name, but the set of deployed principals is not known complete without deployment evidence
    /// or a mapping.
    Assumed(String),
    /// Terraform `name_prefix`: the real name starts with it.
    Prefix(String),
    /// A CloudFormation name generated from the stack: `STACK-LOGICALID-SUFFIX`, truncated to 64
    /// characters. `stack` is `None` when the stack name is not known.
    Generated {
        stack: Option<String>,
        logical_id: String,
        /// The logical ids of the template's other roles (or users) whose names are generated too: a
        /// name cut to 64 characters may be any of them.
        rivals: Vec<String>,
    },
    /// The name is computed; only an explicit mapping in the configuration can tie it to findings.
    Unknown,
}

/// Something an extractor could not decide about a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteNote {
    pub span: Span,
    pub message: String,
}
