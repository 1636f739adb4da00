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

/// Where a window of a file's text starts, when the file is read a window at a time: what came
/// before it, so that an error found in the window is placed in the file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Origin {
    /// Lines before the window's first line.
    pub line: usize,
    /// Characters of the window's first line before the window.
    pub column: usize,
    /// Bytes before the window.
    pub offset: usize,
}

impl Origin {
    /// The place in the file of `error`, which was placed in the window.
    pub(crate) fn place(self, mut error: FindingsError) -> FindingsError {
        let p = &mut error.position;
        if p.line <= 1 {
            p.column += self.column;
        }
        p.line += self.line;
        p.offset += self.offset;
        error
    }

    /// The origin of the text that follows `dropped`, UTF-8 text that followed this origin. Read
    /// as bytes: the text was checked when it was decoded.
    pub(crate) fn after(self, dropped: &[u8]) -> Origin {
        // A character is counted at its first byte, which is never a continuation byte.
        let chars = |bytes: &[u8]| bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count();
        let offset = self.offset + dropped.len();
        match dropped.iter().rposition(|&b| b == b'\n') {
            Some(last) => Origin {
                line: self.line + dropped.iter().filter(|&&b| b == b'\n').count(),
                column: chars(dropped.get(last + 1..).unwrap_or_default()),
                offset,
            },
            None => Origin {
                line: self.line,
                column: self.column + chars(dropped),
                offset,
            },
        }
    }
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
    fn an_origin_places_a_window_in_its_file() {
        let file = "ab\ncdé{x}\n{y}";
        for split in [0, 2, 3, 5, 8, 10, 11] {
            let origin = Origin::default().after(&file.as_bytes()[..split]);
            let window = &file[split..];
            for at in split..file.len() {
                let whole = at_offset(Path::new("f"), file, at, "m").position;
                let placed = origin.place(at_offset(Path::new("f"), window, at - split, "m"));
                assert_eq!(placed.position, whole, "split {split}, offset {at}");
            }
        }
    }

    #[test]
    fn quote_escapes_and_truncates() {
        assert_eq!(quote("a\"b\n"), "`a\\\"b\\n`");
        let long = "x".repeat(200);
        assert_eq!(quote(&long).len(), 80 + 5);
    }
}
