//! CDK cloud assemblies (`cdk.out`): the stacks listed in `manifest.json`, nested assemblies (stages)
//! and nested stacks (`*.nested.template.json`) included, each template extracted with its stack name
//! (or the pattern of a nested stack's generated name) and account known.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use iamprune_syntax::{ColumnUnit, FileError, LineColumn, LineIndex, Span};

use crate::{Extraction, FileKind, Options, extract_file};

/// Stages nest assemblies a level or two deep; the bound stops a manifest that names itself.
const MAX_NESTING: usize = 8;

/// Extracts every stack template of the cloud assembly in `dir` (the folder holding `manifest.json`).
/// A file that cannot be read or parsed adds an error; the other stacks are still extracted.
pub fn extract_cdk_assembly(dir: &Path) -> Extraction {
    extract_cdk_assembly_with(dir, &BTreeMap::new())
}

/// As [`extract_cdk_assembly`], taking the texts of some templates from `overrides` (by the path the
/// manifest gives them, joined to `dir`) instead of the disk: a fix loop edits them in memory.
pub fn extract_cdk_assembly_with(dir: &Path, overrides: &BTreeMap<PathBuf, String>) -> Extraction {
    let mut out = Extraction {
        kind: Some(FileKind::CdkAssembly),
        sites: Vec::new(),
        errors: Vec::new(),
    };
    for artifact in stack_artifacts(dir, &mut out.errors) {
        let Some(file) = artifact.template else {
            continue;
        };
        let options = Options {
            stack_name: Some(artifact.stack_name),
            account: artifact.account.clone(),
            deployed_to: artifact.account,
            ..Options::default()
        };
        stack(&artifact.dir, &file, &options, overrides, &mut out, 0);
    }
    out
}

/// The names the stacks of the cloud assembly in `dir` are deployed as, its stages' included, each
/// once in name order; with what kept a manifest from being read.
pub fn cdk_stack_names(dir: &Path) -> (Vec<String>, Vec<FileError>) {
    let mut errors = Vec::new();
    let mut names: Vec<String> = stack_artifacts(dir, &mut errors)
        .into_iter()
        .map(|artifact| artifact.stack_name)
        .collect();
    names.sort();
    names.dedup();
    (names, errors)
}

/// A stack of a cloud assembly, as its manifest lists it.
struct StackArtifact {
    /// The directory of the manifest that lists it (a stage's, for a stack in a stage).
    dir: PathBuf,
    /// Its template, when the manifest names one inside the assembly.
    template: Option<PathBuf>,
    /// CloudFormation deploys the stack under `stackName`, else the artifact id.
    stack_name: String,
    account: Option<String>,
}

/// The stack artifacts of the assembly in `dir` and of the assemblies nested in it (stages), in
/// manifest order.
fn stack_artifacts(dir: &Path, errors: &mut Vec<FileError>) -> Vec<StackArtifact> {
    let mut out = Vec::new();
    assembly(dir, 0, errors, &mut out);
    out
}

fn assembly(dir: &Path, depth: usize, errors: &mut Vec<FileError>, out: &mut Vec<StackArtifact>) {
    let manifest_path = dir.join("manifest.json");
    let text = match iamprune_syntax::fs::read_to_string(&manifest_path) {
        Ok(text) => text,
        Err(err) => {
            errors.push(FileError::whole_file(
                &manifest_path,
                format!("cannot read: {err}"),
            ));
            return;
        }
    };
    let manifest: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(err) => {
            errors.push(FileError::at(
                &manifest_path,
                serde_json_place(&text, &err),
                format!("not a cloud assembly manifest: {err}"),
            ));
            return;
        }
    };
    let Some(artifacts) = manifest.get("artifacts").and_then(Value::as_object) else {
        return;
    };
    for (id, artifact) in artifacts {
        let properties = artifact.get("properties");
        let property = |key: &str| properties.and_then(|p| p.get(key)).and_then(Value::as_str);
        match artifact.get("type").and_then(Value::as_str) {
            Some("aws:cloudformation:stack") => out.push(StackArtifact {
                dir: dir.to_path_buf(),
                template: property("templateFile").and_then(|f| inside(dir, f)),
                stack_name: property("stackName").unwrap_or(id).to_string(),
                account: artifact
                    .get("environment")
                    .and_then(Value::as_str)
                    .and_then(account),
            }),
            Some("cdk:cloud-assembly") if depth < MAX_NESTING => {
                if let Some(nested) = property("directoryName").and_then(|d| inside(dir, d)) {
                    assembly(&nested, depth + 1, errors, out);
                }
            }
            _ => {}
        }
    }
}

/// Where serde_json found an error, as a span: it counts 1-based lines and columns of bytes.
fn serde_json_place(text: &str, err: &serde_json::Error) -> Span {
    let to_u32 = |n: usize| u32::try_from(n.saturating_sub(1)).unwrap_or(u32::MAX);
    let at = LineColumn {
        line: to_u32(err.line()),
        column: to_u32(err.column()),
    };
    let offset = LineIndex::new(text).offset(at, ColumnUnit::Utf8);
    Span::new(offset, offset)
}

fn stack(
    dir: &Path,
    file: &Path,
    options: &Options,
    overrides: &BTreeMap<PathBuf, String>,
    out: &mut Extraction,
    depth: usize,
) {
    let text = match overrides
        .get(file)
        .cloned()
        .map_or_else(|| iamprune_syntax::fs::read_to_string(file), Ok)
    {
        Ok(text) => text,
        Err(err) => {
            out.errors
                .push(FileError::whole_file(file, format!("cannot read: {err}")));
            return;
        }
    };
    let mut extraction = extract_file(file, &text, options);
    out.sites.append(&mut extraction.sites);
    out.errors.append(&mut extraction.errors);
    if depth >= MAX_NESTING {
        return;
    }
    for (nested, name) in nested_stacks(dir, &text, options.stack_name.as_deref()) {
        let options = Options {
            stack_name: name,
            account: options.account.clone(),
            deployed_to: options.deployed_to.clone(),
            ..Options::default()
        };
        stack(dir, &nested, &options, overrides, out, depth + 1);
    }
}

/// The nested stacks (`AWS::CloudFormation::Stack`) a template declares whose template is an asset of
/// the assembly (`aws:asset:path`, CDK's `*.nested.template.json`), each with the pattern of the name
/// CloudFormation gives it: `PARENT-LOGICALID-` and a random suffix, written `PARENT-LOGICALID-*`.
fn nested_stacks(dir: &Path, text: &str, parent: Option<&str>) -> Vec<(PathBuf, Option<String>)> {
    // The template was parsed once already, for its policies; nearly none declares a nested stack,
    // and one that does names its type as written here or through a `\u` escape.
    let finds = |needle: &str| memchr::memmem::find(text.as_bytes(), needle.as_bytes()).is_some();
    if !finds(NESTED_STACK) && !finds("\\u") {
        return Vec::new();
    }
    let Ok(template) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else {
        return Vec::new();
    };
    resources
        .iter()
        .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(NESTED_STACK))
        .filter_map(|(id, r)| {
            let asset = r
                .get("Metadata")
                .and_then(|m| m.get("aws:asset:path"))
                .and_then(Value::as_str)?;
            let file = inside(dir, asset)?;
            Some((file, parent.map(|p| format!("{p}-{id}-*"))))
        })
        .collect()
}

/// The resource type of a nested stack.
const NESTED_STACK: &str = "AWS::CloudFormation::Stack";

/// A path named by the manifest, only when it stays inside the assembly.
fn inside(dir: &Path, relative: &str) -> Option<PathBuf> {
    let rel = Path::new(relative);
    rel.components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
        .then(|| dir.join(rel))
}

/// The account of `aws://ACCOUNT/REGION`, unless CDK left it unknown.
fn account(environment: &str) -> Option<String> {
    let rest = environment.strip_prefix("aws://")?;
    let account = rest.split('/').next()?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        .then(|| account.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text is searched for the nested stack's type before it is parsed again: written as is or
    /// through `\u` escapes, it is found either way.
    #[test]
    fn nested_stacks_are_found_however_their_type_is_written() {
        let template = |ty: &str| {
            format!(
                r#"{{"Resources": {{"Inner": {{"Type": "{ty}", "Metadata": {{"aws:asset:path": "Inner.nested.template.json"}}}}}}}}"#
            )
        };
        let dir = Path::new("cdk.out");
        let want = vec![(
            dir.join("Inner.nested.template.json"),
            Some("Parent-Inner-*".to_string()),
        )];
        for ty in [NESTED_STACK, "AWS::CloudFormation::\\u0053tack"] {
            assert_eq!(
                nested_stacks(dir, &template(ty), Some("Parent")),
                want,
                "{ty}"
            );
        }
        assert!(nested_stacks(dir, &template("AWS::IAM::Role"), Some("Parent")).is_empty());
    }

    #[test]
    fn accounts() {
        assert_eq!(
            account("aws://123456789012/us-east-1"),
            Some("123456789012".into())
        );
        assert_eq!(account("aws://unknown-account/unknown-region"), None);
        assert_eq!(account("x"), None);
    }

    /// The stacks of a stage (a nested assembly) are deployed too: `deployments pull` asks for them.
    #[test]
    fn stack_names_include_the_stages() {
        let dir =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cfn/cdk/stage/cdk.out");
        let (names, errors) = cdk_stack_names(&dir);
        assert_eq!(names, ["Escape", "Missing", "Prod-Service"]);
        assert!(errors.is_empty(), "{errors:?}");
        let (names, errors) = cdk_stack_names(&dir.join("no-such-assembly"));
        assert!(names.is_empty());
        assert_eq!(errors.len(), 1, "an assembly that cannot be read is said");
    }

    #[test]
    fn paths_stay_inside() {
        let dir = Path::new("/a");
        assert_eq!(inside(dir, "t.json"), Some(PathBuf::from("/a/t.json")));
        assert_eq!(inside(dir, "../t.json"), None);
        assert_eq!(inside(dir, "/etc/passwd"), None);
    }

    #[test]
    fn missing_manifest_is_an_error() {
        let out = extract_cdk_assembly(Path::new("/nonexistent/cdk.out"));
        assert_eq!(out.errors.len(), 1);
        assert_eq!(out.kind, Some(FileKind::CdkAssembly));
    }

    #[test]
    fn serde_json_errors_are_placed_at_their_byte() {
        let text = "{\"é\": 1,\n \"x\" 1}";
        let err = serde_json::from_str::<Value>(text).err();
        let place = err.map(|e| serde_json_place(text, &e));
        let at = text.find(" 1}").map(|at| at + 1);
        assert_eq!(place.map(|s| s.start), at);
    }
}
