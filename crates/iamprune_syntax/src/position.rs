//! Byte offsets to line and column, for reports and the language server.

use line_index::{TextSize, WideEncoding};

/// A place in a text. Lines and columns are 1-based; the column counts Unicode scalar values, as the
/// JSON and SARIF reports promise; `offset` is the byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
}

/// Line starts of one text, built once and queried per diagnostic.
#[derive(Debug)]
pub struct LineIndex {
    index: line_index::LineIndex,
    text_len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        LineIndex {
            index: line_index::LineIndex::new(text),
            text_len: text.len(),
        }
    }

    /// The position of a byte offset. Offsets past the end, or inside a multi-byte character, are moved
    /// back to the nearest valid place, so a position can always be shown.
    pub fn position(&self, offset: usize) -> Position {
        let (line, utf8_col, offset) = self.line_col(offset);
        let column = self
            .index
            .to_wide(
                WideEncoding::Utf32,
                line_index::LineCol {
                    line,
                    col: utf8_col,
                },
            )
            .map_or(utf8_col as usize, |wide| wide.col as usize);
        Position {
            line: line as usize + 1,
            column: column + 1,
            offset,
        }
    }

    /// The 0-based line and the 0-based column in UTF-16 code units, as LSP clients count by default.
    pub fn utf16_line_col(&self, offset: usize) -> (u32, u32) {
        let (line, utf8_col, _) = self.line_col(offset);
        let col = self
            .index
            .to_wide(
                WideEncoding::Utf16,
                line_index::LineCol {
                    line,
                    col: utf8_col,
                },
            )
            .map_or(utf8_col, |wide| wide.col);
        (line, col)
    }

    fn line_col(&self, offset: usize) -> (u32, u32, usize) {
        let mut offset = offset.min(self.text_len);
        loop {
            let size = TextSize::try_from(offset).unwrap_or(TextSize::from(u32::MAX));
            if let Some(lc) = self.index.try_line_col(size) {
                return (lc.line, lc.col, offset);
            }
            if offset == 0 {
                return (0, 0, 0);
            }
            offset -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters() {
        let text = "ab\n  \"é—😀\": [\"s3:Get*\"]\r\nlast";
        let index = LineIndex::new(text);
        assert_eq!(
            index.position(0),
            Position {
                line: 1,
                column: 1,
                offset: 0
            }
        );
        let at = text.find("[").unwrap_or(0);
        assert_eq!(index.position(at).line, 2);
        assert_eq!(index.position(at).column, 10);
        let last = text.find("last").unwrap_or(0);
        assert_eq!(
            (index.position(last).line, index.position(last).column),
            (3, 1)
        );
        // The emoji is two UTF-16 units.
        assert_eq!(index.utf16_line_col(at), (1, 10));
        // Past the end and inside a character are clamped, never a panic.
        assert_eq!(index.position(10_000).offset, text.len());
        let inside = text.find('é').unwrap_or(0) + 1;
        assert_eq!(index.position(inside).offset, inside - 1);
    }
}
