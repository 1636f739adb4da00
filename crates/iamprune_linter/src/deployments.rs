//! Deployment evidence: what each source principal is deployed as, read from `terraform show -json`
//! (states and plans) and from CloudFormation's `describe-stack-resources` / `list-stack-resources`.
//!
//! Evidence replaces guessing a deployed name from the source: a Terraform address names the exact
//! roles each environment deployed, a stack's logical id its exact physical name. Each file is one
//! environment; a source principal deployed in several is narrowed only by what all of them left
//! unused, and one deployed principal without findings keeps the policy as it is.

use std::path::{Path, PathBuf};

use iamprune_policy::{PrincipalKind, PrincipalName, PrincipalRef};
use iamprune_syntax::{FileError, Node, PositionedError, SyntaxError};

/// Where a deployed principal comes from in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeployedFrom {
    /// A Terraform resource address, module instance keys dropped.
    Terraform { address: String },
    /// A resource of a CloudFormation stack.
    Stack { stack: String, logical_id: String },
}

/// One deployed principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    pub from: DeployedFrom,
    pub kind: PrincipalKind,
    pub name: String,
    pub arn: Option<String>,
    /// The evidence file that lists it.
    pub file: PathBuf,
}

/// Every deployment file of a project.
#[derive(Debug, Clone, Default)]
pub struct Deployments {
    deployments: Vec<Deployment>,
}

/// An error about a whole evidence file (it could not be read): without its text, it points at its
/// start.
fn unreadable(file: &Path, message: impl Into<String>) -> PositionedError {
    FileError::whole_file(file, message).positioned("")
}

impl Deployments {
    /// Reads files, and every `*.json` under directories (in path order). A file that cannot be read is
    /// an error and left out; the others still count.
    pub fn load_paths(paths: &[PathBuf]) -> (Deployments, Vec<PositionedError>) {
        let mut deployments = Deployments::default();
        let mut errors = Vec::new();
        for path in paths {
            let files = match json_files(path) {
                Ok(files) => files,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            for file in files {
                match read(&file) {
                    Ok(found) => deployments.deployments.extend(found),
                    Err(e) => errors.push(e),
                }
            }
        }
        (deployments, errors)
    }

    pub fn is_empty(&self) -> bool {
        self.deployments.is_empty()
    }

    /// How many deployed principals the files list.
    pub fn len(&self) -> usize {
        self.deployments.len()
    }

    /// What a source principal is deployed as: by its Terraform address, or by the stack and logical
    /// id of a name CloudFormation generates. Empty when no evidence lists it.
    pub fn of(&self, reference: &PrincipalRef) -> Vec<&Deployment> {
        self.deployments
            .iter()
            .filter(|d| d.kind == reference.kind)
            .filter(|d| match (&d.from, &reference.name) {
                (DeployedFrom::Terraform { address }, _) => *address == reference.declared_as,
                (
                    DeployedFrom::Stack { stack, logical_id },
                    PrincipalName::Generated {
                        stack: Some(s),
                        logical_id: l,
                        ..
                    },
                ) => iamprune_cfn::stack_name_matches(s, stack) && logical_id == l,
                (DeployedFrom::Stack { .. }, _) => false,
            })
            .collect()
    }
}

fn json_files(path: &Path) -> Result<Vec<PathBuf>, PositionedError> {
    let meta =
        std::fs::metadata(path).map_err(|e| unreadable(path, format!("cannot read: {e}")))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path)
        .map_err(|e| unreadable(path, format!("cannot read directory: {e}")))?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// One evidence file, its format told by its content.
fn read(file: &Path) -> Result<Vec<Deployment>, PositionedError> {
    let text = crate::files::read_text(file).map_err(|m| unreadable(file, m.message))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let at = |e: SyntaxError| e.in_file(file).positioned(text);
    let root = iamprune_syntax::json::parse(text).map_err(at)?;
    let deployment = |from, kind, name: String, arn| Deployment {
        from,
        kind,
        name,
        arn,
        file: file.to_path_buf(),
    };
    if iamprune_terraform::is_state(&root) {
        let found = iamprune_terraform::state_principals(&root).map_err(at)?;
        return Ok(found
            .into_iter()
            .map(|p| {
                deployment(
                    DeployedFrom::Terraform { address: p.address },
                    p.kind,
                    p.name,
                    p.arn,
                )
            })
            .collect());
    }
    if iamprune_cfn::is_stack_resources(&root) {
        // list-stack-resources names no stack: the file is named after it.
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let found = iamprune_cfn::stack_principals(&root, &stem).map_err(at)?;
        return Ok(found
            .into_iter()
            .map(|p| {
                deployment(
                    DeployedFrom::Stack {
                        stack: p.stack,
                        logical_id: p.logical_id,
                    },
                    p.kind,
                    p.name,
                    None,
                )
            })
            .collect());
    }
    Err(at(SyntaxError::new(
        root.span,
        format!(
            "not deployment evidence: expected the output of `terraform show -json` or of `aws \
             cloudformation describe-stack-resources` / `list-stack-resources`, found {} with keys {}",
            root.type_name(),
            keys(&root)
        ),
    )))
}

fn keys(root: &Node) -> String {
    let keys: Vec<String> = root
        .as_object()
        .unwrap_or_default()
        .iter()
        .take(5)
        .map(|m| format!("`{}`", m.key))
        .collect();
    if keys.is_empty() {
        "(none)".into()
    } else {
        keys.join(", ")
    }
}
