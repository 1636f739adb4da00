//! Something wrong at a place in a text, composed with what is known around it: the span it is about
//! ([`SyntaxError`]), the file that text is ([`FileError`]), and, where the text is at hand to count
//! them, the line and column of that place ([`PositionedError`]).
//!
//! Spans travel; lines and columns are computed only where an error is shown. Reports do it through
//! their own line index of each file; [`FileError::positioned`] does it for errors shown on their own
//! (a configuration, deployment evidence, a policy given on the command line).

use std::path::{Path, PathBuf};

use crate::{LineIndex, Position, Span};

/// What is wrong, and the bytes of the text it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SyntaxError {
    pub message: String,
    pub span: Span,
}

impl SyntaxError {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        SyntaxError {
            message: message.into(),
            span,
        }
    }

    /// The same error, in `file`.
    pub fn in_file(self, file: &Path) -> FileError {
        FileError {
            file: file.to_path_buf(),
            span: Some(self.span),
            message: self.message,
        }
    }
}

/// Something that kept a file, or part of it, from being read: at a span of its text, or about the
/// whole file (`span: None`, when it could not be read at all).
///
/// It shows as `FILE: MESSAGE`; its line and column need the text ([`FileError::positioned`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", file.display())]
pub struct FileError {
    pub file: PathBuf,
    pub span: Option<Span>,
    pub message: String,
}

impl FileError {
    pub fn at(file: &Path, span: Span, message: impl Into<String>) -> Self {
        SyntaxError::new(span, message).in_file(file)
    }

    pub fn whole_file(file: &Path, message: impl Into<String>) -> Self {
        FileError {
            file: file.to_path_buf(),
            span: None,
            message: message.into(),
        }
    }

    /// This error with the line and column of its span in `text`, the text of its file. An error about
    /// the whole file points at its start.
    pub fn positioned(self, text: &str) -> PositionedError {
        let position = LineIndex::new(text).position(self.span.map_or(0, |span| span.start));
        PositionedError {
            error: self,
            position,
        }
    }
}

/// A [`FileError`] with the line and column of its place: `FILE:LINE:COLUMN: MESSAGE`, which terminals
/// and editors jump to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{}:{}: {}", error.file.display(), position.line, position.column, error.message)]
pub struct PositionedError {
    pub error: FileError,
    pub position: Position,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_gains_its_file_then_its_position() {
        let text = "ab\ncdé = x\n";
        let at = text.find('x').unwrap_or(0);
        let error = SyntaxError::new(Span::new(at, at + 1), "bad value");
        assert_eq!(error.to_string(), "bad value");
        let error = error.in_file(Path::new("dir/main.tf"));
        assert_eq!(error.to_string(), "dir/main.tf: bad value");
        assert_eq!(
            error.positioned(text).to_string(),
            "dir/main.tf:2:7: bad value"
        );
        let unreadable = FileError::whole_file(Path::new("gone.json"), "cannot read");
        assert_eq!(
            unreadable.positioned("").to_string(),
            "gone.json:1:1: cannot read"
        );
    }
}
