use std::path::{Path, PathBuf};

use iamprune_syntax::LineIndex;

/// A file that could not be loaded, with the 1-based position of the offending value.
///
/// Errors about a whole file (too large, unreadable, not text) point at `1:1`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", file.display())]
pub struct FindingsError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl FindingsError {
    pub(crate) fn new(file: &Path, line: usize, column: usize, message: impl Into<String>) -> Self {
        // Messages quote file content; keeping them on one line keeps `FILE:LINE:COL: MESSAGE`
        // greppable and lets editors jump to the position.
        let message: String = message
            .into()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        FindingsError {
            file: file.to_path_buf(),
            line: line.max(1),
            column: column.max(1),
            message,
        }
    }

    pub(crate) fn whole_file(file: &Path, message: impl Into<String>) -> Self {
        Self::new(file, 1, 1, message)
    }

    pub(crate) fn at_offset(
        file: &Path,
        text: &str,
        offset: usize,
        message: impl Into<String>,
    ) -> Self {
        let (line, column) = line_col(text, offset);
        Self::new(file, line, column, message)
    }
}

/// 1-based line and column (in characters) of a byte offset; offsets past the end or inside
/// a multi-byte character clamp to the nearest earlier character.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let position = LineIndex::new(text).position(offset);
    (position.line, position.column)
}

/// Quotes a string taken from a file for an error message: escaped, and cut short so that a
/// 10 MB string does not end up in a terminal.
pub(crate) fn quote(s: &str) -> String {
    const MAX: usize = 80;
    let mut out = String::from("`");
    for (i, c) in s.chars().enumerate() {
        if i == MAX {
            out.push_str("...");
            break;
        }
        out.extend(c.escape_debug());
    }
    out.push('`');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let text = "ab\ncdé\nf";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 1), (1, 2));
        assert_eq!(line_col(text, 3), (2, 1));
        assert_eq!(line_col(text, 5), (2, 3));
        // inside the two-byte `é`
        assert_eq!(line_col(text, 6), (2, 3));
        assert_eq!(line_col(text, 8), (3, 1));
        assert_eq!(line_col(text, 1000), (3, 2));
    }

    #[test]
    fn display_is_one_line() {
        let e = FindingsError::new(Path::new("a/b.json"), 3, 7, "bad\nvalue");
        assert_eq!(e.to_string(), "a/b.json:3:7: bad value");
        let e = FindingsError::new(Path::new("x.json"), 0, 0, "m");
        assert_eq!(e.to_string(), "x.json:1:1: m");
    }

    #[test]
    fn quote_escapes_and_truncates() {
        assert_eq!(quote("a\"b\n"), "`a\\\"b\\n`");
        let long = "x".repeat(200);
        assert_eq!(quote(&long).len(), 80 + 5);
    }
}
