//! Terraform sources to policy sites.
//!
//! Every policy document a Terraform module writes becomes a [`PolicySite`] whose spans point into the
//! file text, so that a narrowed action list can be written back in place:
//! - `jsonencode({...})` objects (spans of the HCL literals, [`Syntax::Hcl`]);
//! - JSON in heredocs and quoted strings ([`Syntax::EmbeddedJson`]), spans mapped back through escapes
//!   and indentation; interpolations make only the values they touch opaque;
//! - `file()` / `templatefile()` with a literal path inside the scanned root ([`Syntax::Json`], spans in
//!   the named file);
//! - `data "aws_iam_policy_document"` blocks, tied through every `.json` reference (and
//!   `source_policy_documents` / `override_policy_documents` merges) to the resources that use them.
//!
//! Principals are the roles, users and groups the module declares, reached through `role`/`user`/
//! `group` arguments, attachments, `managed_policy_arns`, `inline_policy` and group membership. Names
//! come from literals, literal locals and variable defaults (or literal module inputs, see
//! [`extract_tree`]); `name_prefix` gives a prefix; anything else is
//! [`PrincipalName::Unknown`](iamprune_policy::PrincipalName::Unknown) and the site is marked
//! incomplete. Nothing is evaluated and Terraform is never run.

mod document;
mod embedded;
mod extract;
mod inputs;
mod ir;
mod parse;
mod principals;
mod scope;
pub mod spelling;
mod state;
mod strings;
mod tree;
mod vendored;

use std::path::{Path, PathBuf};

use iamprune_syntax::FileError;

pub use iamprune_policy::{PolicySite, Syntax};
pub use scope::InputValue;
pub use spelling::suppressions;
pub use state::{StatePrincipal, is_state, state_principals};
pub use tree::{ModuleFiles, extract_tree, is_local_source};
pub use vendored::{MANIFEST as VENDORED_MANIFEST, is_vendored, vendored_modules};

/// Settings of an extraction.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `file()` and `templatefile()` paths may not leave this directory; a path that does is an error
    /// and is not read.
    pub root: PathBuf,
    /// Texts to use instead of what is on disk: the files `file()` names, as a fix loop has edited them
    /// in memory, by the path the module names them by (its directory joined with the argument, `.`
    /// and `..` resolved), which is also the path their sites report.
    pub overrides: std::collections::BTreeMap<PathBuf, String>,
}

/// What an extraction found: the sites in file order, and the errors that kept files or documents from
/// being read (the rest of the module is still extracted).
#[derive(Debug, Clone, Default)]
pub struct Extraction {
    pub sites: Vec<PolicySite>,
    pub errors: Vec<FileError>,
}

/// Extracts the sites of one module: the `.tf` and `.tf.json` files of `dir`, given with their text.
/// Variables take their defaults; [`extract_tree`] passes literal inputs into local modules.
pub fn extract_module(dir: &Path, files: &[(PathBuf, String)], options: &Options) -> Extraction {
    extract_tree(
        &[ModuleFiles {
            dir: dir.to_path_buf(),
            files: files.to_vec(),
            var_files: Vec::new(),
            vendored: Vec::new(),
        }],
        options,
    )
}
