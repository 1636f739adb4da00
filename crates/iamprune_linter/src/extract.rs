//! The extractors, by kind of unit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use iamprune_policy::PolicySite;
use iamprune_syntax::FileError;

use crate::units::{Unit, UnitKind};
use crate::{Level, Message};

/// What the extractors need to know beyond the text.
#[derive(Debug, Clone, Default)]
pub struct ExtractOptions {
    /// The scanned roots: a Terraform `file()` may not read outside them.
    pub roots: Vec<PathBuf>,
    /// Template path (canonical, as [`crate::units::canonical`] gives it) → the stack deployed from it.
    pub stack_names: BTreeMap<PathBuf, String>,
    pub account: Option<String>,
    /// How Serverless Framework services are deployed.
    pub serverless: iamprune_cfn::ServerlessDeploy,
    /// An editor's last parses of its YAML templates, to parse only what an edit changed.
    pub reparse: Option<iamprune_cfn::ReparseCache>,
}

/// The policy sites of a unit, from the texts given (which may be edited ones, in the fix loop).
pub fn extract(
    unit: &Unit,
    texts: &BTreeMap<PathBuf, String>,
    options: &ExtractOptions,
) -> (Vec<PolicySite>, Vec<Message>) {
    let (sites, errors) = by_kind(unit, texts, options);
    let sites = merge_shared(sites);
    let not_read = match unit.kind {
        UnitKind::Template if sites.is_empty() && errors.is_empty() => unit
            .files
            .first()
            .and_then(|f| texts.get_key_value(f))
            .and_then(|(file, text)| {
                Some(Message {
                    level: Level::Note,
                    file: file.clone(),
                    span: None,
                    message: iamprune_cfn::not_read(file, text)?,
                })
            }),
        _ => None,
    };
    let messages = errors
        .into_iter()
        .map(|error| Message {
            level: Level::Error,
            // A span into a text the unit does not carry (a `file()` target that did not parse, a
            // module manifest) is shown from the file as it is on disk, as it was read.
            span: error.span,
            file: error.file,
            message: error.message,
        })
        .chain(not_read)
        .collect();
    (sites, messages)
}

/// One document text reached from several places (a JSON file two modules read with `file()`) is one
/// site reaching the principals of all of them, so that it loses only what none of them used.
fn merge_shared(sites: Vec<PolicySite>) -> Vec<PolicySite> {
    let mut out: Vec<PolicySite> = Vec::with_capacity(sites.len());
    let mut index: BTreeMap<(PathBuf, usize, usize), usize> = BTreeMap::new();
    for site in sites {
        let key = (
            site.file.clone(),
            site.document.span.start,
            site.document.span.end,
        );
        match index
            .get(&key)
            .and_then(|&i| out.get_mut(i))
            .filter(|s| s.purpose == site.purpose)
        {
            // A template rendered with other variables by each reader is a different document for
            // each.
            Some(existing) => existing.absorb_variant(
                site,
                "its readers render it with different values, so no one edit fits them all",
            ),
            None => {
                index.insert(key, out.len());
                out.push(site);
            }
        }
    }
    out
}

fn by_kind(
    unit: &Unit,
    texts: &BTreeMap<PathBuf, String>,
    options: &ExtractOptions,
) -> (Vec<PolicySite>, Vec<FileError>) {
    match unit.kind {
        UnitKind::Template => {
            let Some((file, text)) = unit.files.first().and_then(|f| texts.get_key_value(f)) else {
                return (Vec::new(), Vec::new());
            };
            let cfn_options = iamprune_cfn::Options {
                stack_name: stack_name(options, file),
                account: options.account.clone(),
                deployed_to: None,
                serverless: options.serverless.clone(),
                reparse: options.reparse.clone(),
            };
            let extraction = iamprune_cfn::extract_file(file, text, &cfn_options);
            (extraction.sites, extraction.errors)
        }
        UnitKind::CdkAssembly => {
            let extraction = iamprune_cfn::extract_cdk_assembly_with(&unit.path, texts);
            (extraction.sites, extraction.errors)
        }
        UnitKind::TerraformModule => {
            let mut modules: BTreeMap<PathBuf, Vec<(PathBuf, String)>> = BTreeMap::new();
            for file in &unit.files {
                if let Some(text) = texts.get(file) {
                    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
                    modules
                        .entry(dir)
                        .or_default()
                        .push((file.clone(), text.clone()));
                }
            }
            // Files read through `file()` are not module files; in a fix loop their edited texts are here.
            let overrides = texts
                .iter()
                .filter(|(path, _)| {
                    !unit.files.contains(path) && crate::files::variable_file_rank(path).is_none()
                })
                .map(|(path, text)| (path.clone(), text.clone()))
                .collect();
            let tf_options = iamprune_terraform::Options {
                root: root_of(options, &unit.path),
                overrides,
            };
            // The walk adds vendored code to a unit only when a manifest lists it: a unit without any
            // reads no manifest.
            let has_vendored = modules
                .keys()
                .any(|dir| iamprune_terraform::is_vendored(dir));
            let mut manifest_errors = Vec::new();
            let modules: Vec<iamprune_terraform::ModuleFiles> = modules
                .into_iter()
                .map(|(dir, files)| iamprune_terraform::ModuleFiles {
                    var_files: var_files(&dir, texts),
                    vendored: if has_vendored {
                        vendored(&dir, &mut manifest_errors)
                    } else {
                        Vec::new()
                    },
                    dir,
                    files,
                })
                .collect();
            let mut extraction = iamprune_terraform::extract_tree(&modules, &tf_options);
            extraction.errors.append(&mut manifest_errors);
            (extraction.sites, extraction.errors)
        }
    }
}

/// The registry modules `terraform init` vendored for a root, if it ran there. The manifest is read as it
/// is on disk: no editor edits it. One that does not read is an error of the extraction.
fn vendored(dir: &Path, errors: &mut Vec<FileError>) -> Vec<(String, PathBuf)> {
    if iamprune_terraform::is_vendored(dir) {
        return Vec::new();
    }
    let path = dir.join(iamprune_terraform::VENDORED_MANIFEST);
    let Ok(text) = iamprune_syntax::fs::read_to_string(&path) else {
        return Vec::new();
    };
    iamprune_terraform::vendored_modules(dir, &text).unwrap_or_else(|error| {
        errors.push(error.in_file(&path));
        Vec::new()
    })
}

/// The variable files of a module directory among the texts of its unit, in Terraform's order.
fn var_files(dir: &Path, texts: &BTreeMap<PathBuf, String>) -> Vec<(PathBuf, String)> {
    let mut files: Vec<((u8, String), &PathBuf, &String)> = texts
        .iter()
        .filter(|(path, _)| path.parent() == Some(dir))
        .filter_map(|(path, text)| Some((crate::files::variable_file_rank(path)?, path, text)))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|(_, path, text)| (path.clone(), text.clone()))
        .collect()
}

/// The stack name configured for a template (or for a directory of templates), compared as real paths:
/// `./template.yaml` and `template.yaml` from the working directory, an absolute path, and
/// `template.yaml` in the configuration (relative to its file) are the same file however the scan was
/// started (`.`, `./infra`, the default, an editor's absolute paths).
fn stack_name(options: &ExtractOptions, file: &Path) -> Option<String> {
    // A real path costs a system call per directory of the path.
    if options.stack_names.is_empty() {
        return None;
    }
    let file = crate::units::canonical(file);
    options
        .stack_names
        .iter()
        .filter(|(path, _)| file == **path || file.starts_with(path))
        // The most specific entry: a template's own name over its directory's.
        .max_by_key(|(path, _)| path.components().count())
        .map(|(_, name)| name.clone())
}

/// The scanned root a unit lies under: `file()` paths may not leave it.
fn root_of(options: &ExtractOptions, path: &Path) -> PathBuf {
    options
        .roots
        .iter()
        .find(|root| path.starts_with(root))
        .map(|root| {
            // Only a file is under a root that is a file: the `stat` is for that case alone, not
            // for every module of a tree.
            if root == path && root.is_file() {
                root.parent().unwrap_or(root).to_path_buf()
            } else {
                root.clone()
            }
        })
        .unwrap_or_else(|| path.to_path_buf())
}
