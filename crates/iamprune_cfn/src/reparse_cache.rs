//! The last parse of each YAML template an editor checks, so that the next check after an edit inside
//! one resource parses only that resource ([`crate::yaml::reparse`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use iamprune_syntax::SyntaxError;

use crate::yaml::{self, YamlTree};

/// Shared by the checks of one editor's workspace; the command line has none and parses whole.
#[derive(Debug, Clone, Default)]
pub struct ReparseCache(Arc<Mutex<HashMap<PathBuf, (String, YamlTree)>>>);

impl PartialEq for ReparseCache {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for ReparseCache {}

impl ReparseCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The tree of `text`, the contents of `path`: from the last parse of the file when the text
    /// changed inside one resource since (or not at all), else parsed whole. The last parse is taken
    /// out until [`ReparseCache::keep`] gives the new one back.
    pub(crate) fn parse(&self, path: &Path, text: &str) -> Result<YamlTree, SyntaxError> {
        let last = self.lock().remove(path);
        match last {
            Some((old, tree)) if old == text => Ok(tree),
            Some((old, tree)) => match yaml::reparse(&old, tree, text) {
                Some(tree) => Ok(tree),
                None => yaml::parse(text),
            },
            None => yaml::parse(text),
        }
    }

    /// Keeps the tree of `text` for the next check of `path`.
    pub(crate) fn keep(&self, path: &Path, text: &str, tree: YamlTree) {
        self.lock()
            .insert(path.to_path_buf(), (text.to_string(), tree));
    }

    /// Forgets a file (closed in the editor).
    pub fn forget(&self, path: &Path) {
        self.lock().remove(path);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, (String, YamlTree)>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
