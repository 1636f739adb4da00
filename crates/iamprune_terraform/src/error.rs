//! Errors of the extraction, each at a place in a file.

use std::fmt;
use std::path::PathBuf;

use iamprune_syntax::SyntaxError;

/// Something that kept a file or a policy from being read. Extraction goes on past it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ExtractError {
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ExtractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

impl ExtractError {
    pub(crate) fn from_syntax(file: &std::path::Path, err: &SyntaxError) -> Self {
        ExtractError {
            file: file.to_path_buf(),
            line: err.line,
            column: err.column,
            message: err.message.clone(),
        }
    }
}
