//! CloudFormation templates (JSON and YAML, short tags included), standalone IAM policy JSON files and
//! CDK cloud assemblies, turned into [`PolicySite`]s: every policy document with the exact byte span of
//! every element, and the roles and users each identity policy reaches.
//!
//! Intrinsic functions inside a document (`Ref`, `Fn::*`, `Condition`) become
//! [`iamprune_syntax::NodeKind::Opaque`], so that the policy model marks them undecidable. Nothing
//! here panics on any input: files are often half-typed buffers in an editor.

mod cdk;
mod conditions;
mod detect;
mod embedded;
mod generated;
mod intrinsic;
mod principals;
mod reparse_cache;
mod sam_templates;
mod serverless;
mod sites;
pub mod spelling;
mod stack_resources;
mod suppressions;
pub mod yaml;

use std::path::Path;

use iamprune_policy::{PolicySite, Purpose, Syntax};
use iamprune_syntax::{FileError, Node, json};

pub use cdk::{cdk_stack_names, extract_cdk_assembly, extract_cdk_assembly_with};
pub use generated::{generated_name_matches, stack_name_matches};
pub use reparse_cache::ReparseCache;
pub use stack_resources::{StackPrincipal, is_stack_resources, stack_principals};
pub use suppressions::suppressions;

/// What is known about the stack a template is deployed as; it resolves `${AWS::StackName}` and
/// `${AWS::AccountId}` in names and the generated names of unnamed roles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    pub stack_name: Option<String>,
    /// The account `${AWS::AccountId}` stands for in names.
    pub account: Option<String>,
    /// The account the template itself says it deploys to (a CDK stack's `environment`): its sites
    /// carry it, and their principals are deployed there only.
    pub deployed_to: Option<String>,
    /// The stage and region a Serverless Framework service is deployed with (`serverless deploy
    /// --stage prod --region eu-west-1`), over what `serverless.yml` says.
    pub serverless: ServerlessDeploy,
    /// An editor's last parses, to parse only what an edit changed; `None`: parse whole.
    pub reparse: Option<ReparseCache>,
}

/// How a Serverless Framework service is deployed, as `serverless deploy` is told.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerlessDeploy {
    pub stage: Option<String>,
    pub region: Option<String>,
}

/// What a file was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// A CloudFormation (or SAM) template in JSON.
    TemplateJson,
    /// A CloudFormation (or SAM) template in YAML.
    TemplateYaml,
    /// A file holding one IAM policy document.
    PolicyJson,
    /// A CDK cloud assembly (`cdk.out`).
    CdkAssembly,
    /// A Serverless Framework service (`serverless.yml`).
    Serverless,
}

/// The result of extracting one file or assembly. Errors are per file; a failing file leaves the
/// others' sites in place.
#[derive(Debug, Default)]
pub struct Extraction {
    /// `None` when the file is none of the kinds this crate reads.
    pub kind: Option<FileKind>,
    pub sites: Vec<PolicySite>,
    /// Files and parts of files that could not be read or parsed, at their place.
    pub errors: Vec<FileError>,
}

impl Extraction {
    /// A file this crate does not read (a Kubernetes manifest, a `package.json`, a workflow).
    pub fn skipped() -> Self {
        Extraction::default()
    }

    fn failed(kind: Option<FileKind>, error: FileError) -> Self {
        Extraction {
            kind,
            sites: Vec::new(),
            errors: vec![error],
        }
    }
}

/// Why a file that holds IAM policies in a form iamprune does not read gives no sites, and what to do:
/// a Terraform plan or state (deployment evidence, not source), a Serverless Framework service written
/// in JSON, a Pulumi YAML program. `None` for any other file. Said once per file, so that "0 policies" is never
/// mistaken for "nothing to narrow".
pub fn not_read(path: &Path, text: &str) -> Option<String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let is_json = name.ends_with(".json");
    if is_json
        && text.contains("\"terraform_version\"")
        && [
            "\"planned_values\"",
            "\"values\"",
            "\"resource_changes\"",
            "\"prior_state\"",
        ]
        .iter()
        .any(|key| text.contains(key))
    {
        return Some(
            "a Terraform plan or state (`terraform show -json`) is not read as source: the policies are \
             checked in the .tf files, and this file is deployment evidence (--deployment)"
                .into(),
        );
    }
    let stem = name
        .rsplit_once('.')
        .map_or(name.as_str(), |(stem, _)| stem);
    // `serverless.yml` is read; a service written in JSON is not.
    if stem == "serverless"
        && !serverless::is_service_file(path)
        && (text.contains("iamRoleStatements") || text.contains("\"iam\""))
    {
        let format = match name.rsplit_once('.').map(|(_, ext)| ext) {
            Some("ts") => "TypeScript",
            Some("js" | "cjs" | "mjs") => "JavaScript",
            _ => "JSON",
        };
        return Some(format!(
            "a Serverless Framework service in {format}: its IAM statements are not read (only \
             serverless.yml is); check the CloudFormation it generates (`serverless package` writes \
             .serverless/cloudformation-template-update-stack.json; name that path to check it)"
        ));
    }
    if (stem == "pulumi" || stem.starts_with("pulumi.")) && text.contains("aws:iam:") {
        return Some(
            "a Pulumi YAML program: its IAM resources are not read yet; nothing in it is checked"
                .into(),
        );
    }
    None
}

/// Whether [`extract_file`] would parse this text, without parsing it: it looks like a template or a
/// policy by its name and the words every one of them has. For counting files a scan left out.
pub fn may_hold_policies(path: &Path, text: &str) -> bool {
    detect::sniff(path, text).is_some()
}

/// Extracts the policy sites of one file: a CloudFormation template (JSON or YAML), a standalone
/// policy JSON file, or nothing ([`Extraction::skipped`]) for any other file.
pub fn extract_file(path: &Path, text: &str, options: &Options) -> Extraction {
    let Some(guess) = detect::sniff(path, text) else {
        return Extraction::skipped();
    };
    let parsed = match guess {
        detect::Guess::Json => json::parse(text).map(Parsed::Json),
        detect::Guess::Yaml => match &options.reparse {
            Some(cache) => cache.parse(path, text).map(Parsed::Yaml),
            None => yaml::parse(text).map(Parsed::Yaml),
        },
        // JSON-looking YAML: JSON when it is, YAML otherwise (a flow mapping with tags or comments).
        detect::Guess::JsonOrYaml => json::parse(text)
            .map(Parsed::Json)
            .or_else(|_| yaml::parse(text).map(Parsed::Yaml)),
    };
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(error) if detect::worth_reporting(path, text) => {
            let kind = match guess {
                _ if serverless::is_service_file(path) => FileKind::Serverless,
                detect::Guess::Yaml => FileKind::TemplateYaml,
                _ => FileKind::TemplateJson,
            };
            return Extraction::failed(Some(kind), error.in_file(path));
        }
        Err(_) => return Extraction::skipped(),
    };
    let extraction = extract_parsed(path, text, options, &parsed);
    // The tree goes back for the next check of the file, if an editor keeps them.
    if let (Some(cache), Parsed::Yaml(tree)) = (&options.reparse, parsed) {
        cache.keep(path, text, tree);
    }
    extraction
}

/// The sites of a parsed file.
fn extract_parsed(path: &Path, text: &str, options: &Options, parsed: &Parsed) -> Extraction {
    let (roots, syntax, styles, aliased): (Vec<&Node>, _, _, _) = match parsed {
        Parsed::Json(root) => (vec![root], Syntax::Json, None, &[][..]),
        // Every document of a stream of several (`---`), each a template of its own.
        Parsed::Yaml(tree) => (
            std::iter::once(&tree.root).chain(&tree.rest).collect(),
            Syntax::Yaml,
            Some(&tree.styles),
            tree.aliased.as_slice(),
        ),
    };
    let mut extraction = Extraction::skipped();
    if let (true, Parsed::Yaml(tree)) = (serverless::is_service_file(path), parsed) {
        extraction.kind = Some(FileKind::Serverless);
        let src = sites::Source {
            file: path,
            text,
            syntax: Syntax::Yaml,
            styles: Some(&tree.styles),
            aliased: tree.aliased.as_slice(),
        };
        extraction.sites = serverless::extract(&src, &tree.root, &options.serverless);
        // `resources:` holds CloudFormation resources of the service's stack, policies among them.
        if let Some(resources) = tree.root.get("resources") {
            extraction.sites.extend(sites::extract(
                &src,
                &resources.value,
                options,
                &mut extraction.errors,
            ));
        }
        return extraction;
    }
    for root in roots {
        match detect::classify(root) {
            detect::Shape::Template => {
                extraction.kind = Some(match syntax {
                    Syntax::Yaml => FileKind::TemplateYaml,
                    _ => FileKind::TemplateJson,
                });
                let src = sites::Source {
                    file: path,
                    text,
                    syntax: syntax.clone(),
                    styles,
                    aliased,
                };
                extraction.sites.extend(sites::extract(
                    &src,
                    root,
                    options,
                    &mut extraction.errors,
                ));
            }
            detect::Shape::Policy if syntax == Syntax::Json => {
                extraction.kind = Some(FileKind::PolicyJson);
                extraction.sites.push(standalone(path, root));
            }
            detect::Shape::Policy | detect::Shape::Other => {}
        }
    }
    extraction
}

enum Parsed {
    Json(Node),
    Yaml(yaml::YamlTree),
}

/// A policy JSON file on its own: who it is attached to is not in the file.
fn standalone(path: &Path, root: &Node) -> PolicySite {
    let owner = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    PolicySite {
        file: path.to_path_buf(),
        owner,
        owner_file: path.to_path_buf(),
        owner_span: root.span,
        construct_path: None,
        account: None,
        purpose: Purpose::ManagedPolicy,
        document: root.clone(),
        syntax: Syntax::Json,
        principals: Vec::new(),
        principals_complete: false,
        notes: Vec::new(),
        frozen: None,
    }
}
