use std::path::Path;

use iamprune_syntax::{FileError, Position, PositionedError, Span};

/// A file that could not be loaded, at the place of the offending value: the error every format
/// shows, `FILE:LINE:COLUMN: MESSAGE`. Errors about a whole file (too large, unreadable, not text)
/// point at `1:1`.
pub type FindingsError = PositionedError;

/// An error about the whole file.
pub(crate) fn whole_file(file: &Path, message: impl Into<String>) -> FindingsError {
    FileError::whole_file(file, one_line(message.into())).positioned("")
}

/// An error at byte `offset` of `text`, the text of `file`.
pub(crate) fn at_offset(
    file: &Path,
    text: &str,
    offset: usize,
    message: impl Into<String>,
) -> FindingsError {
    FileError::at(file, Span::new(offset, offset), one_line(message.into())).positioned(text)
}

/// An error at a line and column another parser counted.
pub(crate) fn at_line_column(
    file: &Path,
    line: usize,
    column: usize,
    message: impl Into<String>,
) -> FindingsError {
    PositionedError {
        error: FileError::whole_file(file, one_line(message.into())),
        position: Position {
            line: line.max(1),
            column: column.max(1),
            offset: 0,
        },
    }
}

/// Messages quote file content; keeping them on one line keeps `FILE:LINE:COL: MESSAGE` greppable and
/// lets editors jump to the position.
fn one_line(message: String) -> String {
    message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
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
        let line_col = |offset| {
            let position = at_offset(Path::new("f"), text, offset, "m").position;
            (position.line, position.column)
        };
        assert_eq!(line_col(0), (1, 1));
        assert_eq!(line_col(1), (1, 2));
        assert_eq!(line_col(3), (2, 1));
        assert_eq!(line_col(5), (2, 3));
        // inside the two-byte `é`
        assert_eq!(line_col(6), (2, 3));
        assert_eq!(line_col(8), (3, 1));
        assert_eq!(line_col(1000), (3, 2));
    }

    #[test]
    fn display_is_one_line() {
        let e = at_line_column(Path::new("a/b.json"), 3, 7, "bad\nvalue");
        assert_eq!(e.to_string(), "a/b.json:3:7: bad value");
        let e = at_line_column(Path::new("x.json"), 0, 0, "m");
        assert_eq!(e.to_string(), "x.json:1:1: m");
        let e = at_offset(Path::new("y.json"), "{\n  x", 4, "m");
        assert_eq!(e.to_string(), "y.json:2:3: m");
    }

    #[test]
    fn quote_escapes_and_truncates() {
        assert_eq!(quote("a\"b\n"), "`a\\\"b\\n`");
        let long = "x".repeat(200);
        assert_eq!(quote(&long).len(), 80 + 5);
    }
}
