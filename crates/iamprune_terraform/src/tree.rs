//! Extraction over several modules: local module calls (`source = "./..."`) pass their literal inputs
//! into the called module, so that a role name given by the caller names the role the child declares.

use std::collections::HashMap;
use std::path::PathBuf;

use iamprune_policy::PolicySite;
use iamprune_syntax::FileError;

use crate::extract::{ModuleExtractor, normalize};
use crate::inputs;
use crate::parse::parse_file;
use crate::scope::{Eval, InputValue, Instance, Located, Scope, SourceFile};
use crate::{Extraction, Options};

/// One module: a directory and the text of its `.tf` / `.tf.json` files.
#[derive(Debug, Clone, Default)]
pub struct ModuleFiles {
    pub dir: PathBuf,
    pub files: Vec<(PathBuf, String)>,
    /// Variable files that apply when the module is a root (`terraform.tfvars`, then `*.auto.tfvars`
    /// in name order, then any the configuration names): a later file overrides an earlier one.
    pub var_files: Vec<(PathBuf, String)>,
    /// For a root `terraform init` ran in: where the code of each registry or git module call is, by
    /// the call's key (see [`crate::vendored_modules`]).
    pub vendored: Vec<(String, PathBuf)>,
}

/// Module calls nested deeper than this are not followed (and a module calling itself ends).
const MAX_NESTING: usize = 8;

/// Arguments of a `module` block that are not inputs.
pub(crate) const META_ARGUMENTS: &[&str] = &[
    "source",
    "version",
    "count",
    "for_each",
    "providers",
    "depends_on",
];

/// One way a module is instantiated: the inputs it gets and the prefix of its addresses.
struct Instantiation {
    module: usize,
    inputs: HashMap<String, InputValue>,
    /// Values from variable files, for a root: they name principals, but `-var` may still override
    /// them at apply time, so actions from them are not certain.
    assigned: HashMap<String, InputValue>,
    /// `module.app.` for a child, empty for a root.
    address: String,
    /// The key `terraform init` gives the instantiation's calls: `app.` inside `module.app`.
    key: String,
    /// The root module it is instantiated from, whose `.terraform` holds the vendored code.
    root: usize,
    depth: usize,
    /// The call that made this instantiation: statements it passes are extracted where it is written.
    caller: Option<Caller>,
}

/// The `module` block of an instantiation, and what its module knew when it was instantiated.
#[derive(Clone)]
struct Caller {
    module: usize,
    /// The `module` block's label.
    name: String,
    inputs: HashMap<String, InputValue>,
    assigned: HashMap<String, InputValue>,
    file: usize,
    block: usize,
}

/// Extracts every module. A module called from another one (with a local `source`) is extracted once
/// per call, with the call's literal inputs in place of its variable defaults; a module no one calls
/// is extracted with its defaults. Sites of the same document found through several calls are merged:
/// their principals are united, and they are complete only if every call told them.
pub fn extract_tree(modules: &[ModuleFiles], options: &Options) -> Extraction {
    let mut errors = Vec::new();
    let parsed: Vec<Vec<SourceFile>> = modules
        .iter()
        .map(|m| {
            m.files
                .iter()
                .filter_map(|(path, text)| match parse_file(path, text) {
                    Ok(body) => Some(SourceFile {
                        path: path.clone(),
                        text: text.clone(),
                        body,
                    }),
                    Err(e) => {
                        errors.push(e);
                        None
                    }
                })
                .collect()
        })
        .collect();
    let dirs: Vec<PathBuf> = modules.iter().map(|m| normalize(&m.dir)).collect();
    let calls = local_calls(&parsed, &dirs);
    // By the root `init` ran in and the call's key: two roots of a unit may vendor different
    // versions under one key.
    let vendored: HashMap<(usize, &str), usize> = modules
        .iter()
        .enumerate()
        .flat_map(|(root, m)| m.vendored.iter().map(move |v| (root, v)))
        .filter_map(|(root, (key, dir))| {
            let dir = normalize(dir);
            Some(((root, key.as_str()), dirs.iter().position(|d| *d == dir)?))
        })
        .collect();
    // A vendored module is only ever instantiated by the call that names it.
    let called: Vec<bool> = (0..modules.len())
        .map(|i| {
            calls.iter().any(|c| c.child == i && c.parent != i)
                || dirs.get(i).is_some_and(|d| crate::is_vendored(d))
        })
        .collect();

    let mut queue: Vec<Instantiation> = (0..modules.len())
        .filter(|&i| !called.get(i).copied().unwrap_or(false))
        .map(|module| Instantiation {
            module,
            inputs: HashMap::new(),
            assigned: modules
                .get(module)
                .map(|m| assigned_values(&m.var_files, &mut errors))
                .unwrap_or_default(),
            address: String::new(),
            key: String::new(),
            root: module,
            depth: 0,
            caller: None,
        })
        .collect();
    let mut sites: Vec<PolicySite> = Vec::new();
    // Where each document already is in `sites`, by file, span and owner: a module with a thousand
    // policies would otherwise compare each new site with every one found before.
    let mut found_at: std::collections::HashMap<SiteKey, usize> = std::collections::HashMap::new();
    let mut seen_errors = std::collections::HashSet::new();
    let mut passed_on: Vec<PassedOn> = Vec::new();
    while let Some(inst) = queue.pop() {
        let (Some(files), Some(module)) = (parsed.get(inst.module), modules.get(inst.module))
        else {
            continue;
        };
        let scope = Scope::new(files, &inst.inputs, &inst.assigned);
        let extractor = ModuleExtractor::new(&scope, &module.dir, options);
        let (found, errs) = extractor.run();
        for e in errs {
            if seen_errors.insert(e.to_string()) {
                errors.push(e);
            }
        }
        // Statements a vendored caller writes are fixed at its source too: no call site in it.
        let caller_scope = inst.caller.as_ref().and_then(|c| {
            let written_here = modules
                .get(c.module)
                .is_some_and(|m| !crate::is_vendored(&m.dir));
            let files = parsed.get(c.module).filter(|_| written_here)?;
            Some(Scope::new(files, &c.inputs, &c.assigned))
        });
        // A call-site document is named from where it is written, like every document of a module:
        // the instantiations of its caller reach it through one site.
        let call_address = inst
            .caller
            .as_ref()
            .map(|c| format!("module.{}.", c.name))
            .unwrap_or_default();
        let call = inst
            .caller
            .as_ref()
            .zip(caller_scope.as_ref())
            .and_then(|(c, scope)| {
                Some(inputs::Call {
                    scope,
                    file: c.file,
                    block: scope.files.get(c.file)?.body.blocks.get(c.block)?,
                    address: &call_address,
                })
            });
        // Code `terraform init` vendored is fixed at its source: only what callers write is reported.
        let in_place = !crate::is_vendored(&module.dir);
        for (mut site, projections) in found {
            for p in &mut site.principals {
                p.declared_as = format!("{}{}", inst.address, p.declared_as);
            }
            if let Some(call) = &call {
                for projection in &projections {
                    if let Some(written) = inputs::call_site(call, projection, &site) {
                        merge_site(&mut sites, &mut found_at, written);
                    }
                }
            }
            if in_place {
                merge_site(&mut sites, &mut found_at, site);
            }
        }
        if inst.depth >= MAX_NESTING {
            continue;
        }
        let mut followed: Vec<Call> = calls
            .iter()
            .filter(|c| c.parent == inst.module)
            .cloned()
            .collect();
        for unfollowed in other_calls(files, inst.module) {
            let key = format!("{}{}", inst.key, unfollowed.name);
            match vendored.get(&(inst.root, key.as_str())) {
                Some(&child) => followed.push(Call {
                    child,
                    ..unfollowed
                }),
                None if in_place => {
                    let Some(block) = files
                        .get(unfollowed.file)
                        .and_then(|f| f.body.blocks.get(unfollowed.block))
                    else {
                        continue;
                    };
                    let call = inputs::Call {
                        scope: &scope,
                        file: unfollowed.file,
                        block,
                        address: &format!("module.{}.", unfollowed.name),
                    };
                    for site in inputs::unfollowed(&call, inputs::Unfollowed::NotHere) {
                        merge_site(&mut sites, &mut found_at, site);
                    }
                }
                None => {}
            }
        }
        for call in &followed {
            let caller = Caller {
                module: inst.module,
                name: call.name.clone(),
                inputs: inst.inputs.clone(),
                assigned: inst.assigned.clone(),
                file: call.file,
                block: call.block,
            };
            let address = format!("{}module.{}.", inst.address, call.name);
            for (inputs, assigned) in call_inputs(&scope, call) {
                queue.push(Instantiation {
                    module: call.child,
                    inputs,
                    assigned,
                    address: address.clone(),
                    key: format!("{}{}.", inst.key, call.name),
                    root: inst.root,
                    depth: inst.depth + 1,
                    caller: Some(caller.clone()),
                });
            }
            // The statements this module writes into a call of `terraform init`'s copy of a module
            // are followed into that module's documents; those it passes further are looked at once
            // every instantiation is done.
            let child_vendored = dirs.get(call.child).is_some_and(|d| crate::is_vendored(d));
            if in_place && child_vendored {
                passed_on.push(PassedOn {
                    call: caller,
                    address,
                });
            }
        }
    }
    for call in &passed_on {
        for site in call.unfollowed(&parsed) {
            // Statements the called module made a document of have their site already.
            let made = sites.iter().any(|s| {
                s.file == site.file
                    && site.document.span.start <= s.document.span.start
                    && s.document.span.end <= site.document.span.end
            });
            if !made {
                merge_site(&mut sites, &mut found_at, site);
            }
        }
    }
    sites.sort_by(|a, b| {
        (&a.file, a.document.span.start, &a.owner).cmp(&(&b.file, b.document.span.start, &b.owner))
    });
    Extraction { sites, errors }
}

/// A call written in the scanned code to `terraform init`'s copy of a module, which may pass the
/// statements it is given on to a module of its own.
struct PassedOn {
    call: Caller,
    /// `module.app.`, with the calling instantiation's address in front.
    address: String,
}

impl PassedOn {
    /// Sites for the statements the call passes that no document of the called module was made of.
    fn unfollowed(&self, parsed: &[Vec<SourceFile>]) -> Vec<PolicySite> {
        let Caller {
            module,
            inputs: given,
            assigned,
            file,
            block,
            ..
        } = &self.call;
        let Some(files) = parsed.get(*module) else {
            return Vec::new();
        };
        let Some(block) = files.get(*file).and_then(|f| f.body.blocks.get(*block)) else {
            return Vec::new();
        };
        let scope = Scope::new(files, given, assigned);
        let call = inputs::Call {
            scope: &scope,
            file: *file,
            block,
            address: &self.address,
        };
        inputs::unfollowed(&call, inputs::Unfollowed::PassedOn)
    }
}

#[derive(Clone)]
struct Call {
    parent: usize,
    child: usize,
    name: String,
    /// The file of the parent the `module` block is in, and its index among that file's blocks.
    file: usize,
    block: usize,
}

/// Whether a module source is a path to a local module (`./app`, `../shared`), which Terraform reads in
/// place, rather than a registry or git address.
pub fn is_local_source(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../")
}

/// Every `module` block of a module, as a call from `parent` whose child is not known yet, with its
/// literal source.
fn module_blocks(
    files: &[SourceFile],
    parent: usize,
) -> impl Iterator<Item = (Call, Option<&str>)> {
    files.iter().enumerate().flat_map(move |(file, source)| {
        source
            .body
            .blocks
            .iter()
            .enumerate()
            .filter(|(_, block)| block.ident == "module")
            .map(move |(index, block)| {
                let call = Call {
                    parent,
                    child: usize::MAX,
                    name: block.labels.first().cloned().unwrap_or_default(),
                    file,
                    block: index,
                };
                (
                    call,
                    block.body.attr("source").and_then(|a| a.value.as_str()),
                )
            })
    })
}

/// The `module` blocks of a module whose source is not a local path (registry, git).
fn other_calls(files: &[SourceFile], parent: usize) -> Vec<Call> {
    module_blocks(files, parent)
        .filter(|(_, source)| !source.is_some_and(is_local_source))
        .map(|(call, _)| call)
        .collect()
}

/// The calls of local modules among `parsed`, each with the module it calls.
fn local_calls(parsed: &[Vec<SourceFile>], dirs: &[PathBuf]) -> Vec<Call> {
    let mut calls = Vec::new();
    for (parent, (files, parent_dir)) in parsed.iter().zip(dirs).enumerate() {
        for (call, source) in module_blocks(files, parent) {
            let Some(source) = source.filter(|s| is_local_source(s)) else {
                continue;
            };
            let target = normalize(&parent_dir.join(source));
            if let Some(child) = dirs.iter().position(|d| *d == target) {
                calls.push(Call { child, ..call });
            }
        }
    }
    calls
}

/// The literal values variable files assign, later files overriding earlier ones. A value that is not a
/// literal string or list of strings is `Unknown`: the variable's default does not apply.
fn assigned_values(
    var_files: &[(PathBuf, String)],
    errors: &mut Vec<FileError>,
) -> HashMap<String, InputValue> {
    let mut values = HashMap::new();
    for (path, text) in var_files {
        let body = match parse_file(path, text) {
            Ok(body) => body,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let file = SourceFile {
            path: path.clone(),
            text: text.clone(),
            body,
        };
        let files = std::slice::from_ref(&file);
        let none = HashMap::new();
        let scope = Scope::new(files, &none, &none);
        for attr in &file.body.attrs {
            let at = Located {
                file: 0,
                expr: &attr.value,
            };
            let value = scope.input_value(at, &Instance::default(), Eval::Defaults);
            values.insert(attr.name.clone(), value);
        }
    }
    values
}

/// The inputs of a call, one pair of maps per instance of the `module` block: the literal values the
/// call passes whatever the caller's variables are (certain), and those that only the caller's variable
/// defaults or variable files tell (assumed: another environment may pass others).
type CallInputs = (HashMap<String, InputValue>, HashMap<String, InputValue>);

fn call_inputs(scope: &Scope<'_>, call: &Call) -> Vec<CallInputs> {
    let Some(block) = scope
        .files
        .get(call.file)
        .and_then(|f| f.body.blocks.get(call.block))
    else {
        return Vec::new();
    };
    let instances = scope
        .instances(call.file, block)
        .unwrap_or_else(|| vec![Instance::default()]);
    instances
        .iter()
        .map(|instance| {
            let mut inputs = HashMap::new();
            let mut assigned = HashMap::new();
            for a in block
                .body
                .attrs
                .iter()
                .filter(|a| !META_ARGUMENTS.contains(&a.name.as_str()))
            {
                let at = Located {
                    file: call.file,
                    expr: &a.value,
                };
                match scope.input_value(at, instance, Eval::Certain) {
                    InputValue::Unknown => {}
                    certain => {
                        inputs.insert(a.name.clone(), certain);
                        continue;
                    }
                }
                match scope.input_value(at, instance, Eval::Defaults) {
                    InputValue::Unknown => inputs.insert(a.name.clone(), InputValue::Unknown),
                    assumed => assigned.insert(a.name.clone(), assumed),
                };
            }
            (inputs, assigned)
        })
        .collect()
}

/// A document found through some call: its file, span and owner.
type SiteKey = (std::path::PathBuf, iamprune_syntax::Span, String);

/// Adds a site, or merges it into the site of the same document found through another call.
fn merge_site(
    sites: &mut Vec<PolicySite>,
    found_at: &mut std::collections::HashMap<SiteKey, usize>,
    site: PolicySite,
) {
    let key = (site.file.clone(), site.document.span, site.owner.clone());
    let Some(existing) = found_at.get(&key).and_then(|&i| sites.get_mut(i)) else {
        found_at.insert(key, sites.len());
        sites.push(site);
        return;
    };
    // Inputs can change a document (an action list from a variable).
    existing.absorb_variant(
        site,
        "the document differs between calls of its module, so no one edit fits them all; it is not \
         narrowed",
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn module(dir: &str, text: &str, vendored: &[(&str, &str)]) -> ModuleFiles {
        ModuleFiles {
            dir: PathBuf::from(dir),
            files: vec![(PathBuf::from(dir).join("main.tf"), text.to_string())],
            var_files: Vec::new(),
            vendored: vendored
                .iter()
                .map(|(k, d)| (k.to_string(), PathBuf::from(d)))
                .collect(),
        }
    }

    const CALL: &str = r#"
module "iam" {
  source = "terraform-aws-modules/iam/aws"
  inline = { S = { actions = ["s3:GetObject"] } }
}
"#;

    fn vendored_module(role: &str) -> String {
        format!(
            r#"
variable "inline" {{
  default = {{}}
}}
resource "aws_iam_role" "this" {{
  name = "{role}"
}}
data "aws_iam_policy_document" "inline" {{
  dynamic "statement" {{
    for_each = var.inline
    content {{
      actions = statement.value.actions
    }}
  }}
}}
resource "aws_iam_role_policy" "inline" {{
  role   = aws_iam_role.this.name
  policy = data.aws_iam_policy_document.inline.json
}}
"#
        )
    }

    /// Two roots of one unit that vendor different code under the same call key: each call is
    /// followed into its own root's copy.
    #[test]
    fn vendored_code_is_looked_up_in_the_root_init_ran_in() {
        let modules = [
            module("/r/a", CALL, &[("iam", "/r/a/.terraform/modules/iam")]),
            module("/r/b", CALL, &[("iam", "/r/b/.terraform/modules/iam")]),
            module(
                "/r/a/.terraform/modules/iam",
                &vendored_module("role-a"),
                &[],
            ),
            module(
                "/r/b/.terraform/modules/iam",
                &vendored_module("role-b"),
                &[],
            ),
        ];
        let extraction = extract_tree(&modules, &Options::default());
        let reached = |file: &str| -> Vec<String> {
            extraction
                .sites
                .iter()
                .filter(|s| s.file == Path::new(file))
                .flat_map(|s| s.principals.iter().map(|p| format!("{:?}", p.name)))
                .collect()
        };
        assert_eq!(reached("/r/a/main.tf"), ["Exact(\"role-a\")"]);
        assert_eq!(reached("/r/b/main.tf"), ["Exact(\"role-b\")"]);
        // The vendored copies' own documents are not reported.
        assert!(
            extraction
                .sites
                .iter()
                .all(|s| !crate::is_vendored(s.file.parent().unwrap_or(Path::new(""))))
        );
    }

    /// A local module called twice with actions that differ: its document is one place in
    /// the text but two documents, so no one edit fits; the site reaches both roles, and is
    /// neither narrowed nor edited.
    #[test]
    fn a_document_that_differs_between_calls_is_frozen() {
        let root = r#"
module "reader" {
  source = "./role"
  name   = "reader"
  action = "s3:GetObject"
}
module "writer" {
  source = "./role"
  name   = "writer"
  action = "s3:PutObject"
}
"#;
        let child = r#"
variable "name" {}
variable "action" {}
resource "aws_iam_role" "this" {
  name = var.name
}
resource "aws_iam_role_policy" "this" {
  role   = aws_iam_role.this.name
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = [var.action], Resource = "*" }] })
}
"#;
        let modules = [module("/r", root, &[]), module("/r/role", child, &[])];
        let extraction = extract_tree(&modules, &Options::default());
        let site = extraction
            .sites
            .iter()
            .find(|s| s.file == Path::new("/r/role/main.tf"))
            .unwrap_or_else(|| panic!("the module's policy: {:?}", extraction.sites));
        assert_eq!(site.principals.len(), 2, "{:?}", site.principals);
        assert!(!site.principals_complete);
        assert!(
            site.frozen
                .as_deref()
                .is_some_and(|why| why.contains("differs between calls")),
            "{:?}",
            site.frozen
        );
    }
}
