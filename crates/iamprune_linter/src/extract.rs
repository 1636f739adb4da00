//! The extractors, by kind of unit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use iamprune_policy::PolicySite;
use iamprune_syntax::Span;

use crate::scan::{ScanOptions, Unit, UnitKind};
use crate::{Level, Message};

/// The policy sites of a unit, from the texts given (which may be edited ones, in the fix loop).
pub fn extract(
    unit: &Unit,
    texts: &BTreeMap<PathBuf, String>,
    options: &ScanOptions,
) -> (Vec<PolicySite>, Vec<Message>) {
    match unit.kind {
        UnitKind::Template => {
            let Some((file, text)) = unit.files.first().and_then(|f| texts.get_key_value(f)) else {
                return (Vec::new(), Vec::new());
            };
            let cfn_options = iamprune_cfn::Options {
                stack_name: stack_name(options, file),
                account: options.account.clone(),
            };
            let extraction = iamprune_cfn::extract_file(file, text, &cfn_options);
            let messages = extraction
                .errors
                .iter()
                .map(|e| at(&e.file, texts, e.line, e.column, e.message.clone()))
                .collect();
            (extraction.sites, messages)
        }
        UnitKind::CdkAssembly => {
            let extraction = iamprune_cfn::extract_cdk_assembly(&unit.path);
            let messages = extraction
                .errors
                .iter()
                .map(|e| at(&e.file, texts, e.line, e.column, e.message.clone()))
                .collect();
            (extraction.sites, messages)
        }
        UnitKind::TerraformModule => {
            let files: Vec<(PathBuf, String)> = unit
                .files
                .iter()
                .filter_map(|f| texts.get(f).map(|t| (f.clone(), t.clone())))
                .collect();
            let tf_options = iamprune_terraform::Options {
                root: root_of(options, &unit.path),
            };
            let extraction = iamprune_terraform::extract_module(&unit.path, &files, &tf_options);
            let messages = extraction
                .errors
                .iter()
                .map(|e| at(&e.file, texts, e.line, e.column, e.message.clone()))
                .collect();
            (extraction.sites, messages)
        }
    }
}

/// The stack name configured for a template, matched by path suffix so that `template.yaml` in the
/// configuration matches `./infra/template.yaml` on the command line.
fn stack_name(options: &ScanOptions, file: &Path) -> Option<String> {
    options
        .stack_names
        .iter()
        .find(|(path, _)| file.ends_with(path) || path.ends_with(file))
        .map(|(_, name)| name.clone())
}

/// The scanned root a unit lies under: `file()` paths may not leave it.
fn root_of(options: &ScanOptions, path: &Path) -> PathBuf {
    options
        .paths
        .iter()
        .find(|root| path.starts_with(root))
        .map(|root| {
            if root.is_file() {
                root.parent().unwrap_or(root).to_path_buf()
            } else {
                root.clone()
            }
        })
        .unwrap_or_else(|| path.to_path_buf())
}

/// An extractor error, its 1-based line and column turned back into a byte offset of the text.
fn at(
    file: &Path,
    texts: &BTreeMap<PathBuf, String>,
    line: usize,
    column: usize,
    message: String,
) -> Message {
    let span = texts
        .get(file)
        .and_then(|text| offset(text, line, column))
        .map(|o| Span::new(o, o));
    Message {
        level: Level::Error,
        file: file.to_path_buf(),
        span,
        message,
    }
}

fn offset(text: &str, line: usize, column: usize) -> Option<usize> {
    if line == 0 {
        return None;
    }
    let start = if line == 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2).map(|(i, _)| i + 1)?
    };
    let rest = text.get(start..)?;
    let within = rest
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(rest.len(), |(i, _)| i);
    Some(start + within)
}
