//! Byte offsets to LSP positions and back, in the encoding negotiated at `initialize`.
//!
//! The linter speaks byte offsets; LSP speaks 0-based lines and columns counted in UTF-8 or UTF-16
//! code units. The engine's [`LineIndex`] converts both ways; this is where its places become the
//! protocol's.

use lsp_types::{Position, Range};

use iamprune_syntax::{ColumnUnit, LineColumn, LineIndex, Span};

/// How columns are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Bytes: what the linter uses, so no conversion of the column is needed.
    Utf8,
    /// UTF-16 code units: the LSP default, which every client supports.
    Utf16,
}

impl Encoding {
    /// Prefers UTF-8 when the client offers it (no conversion, and no ambiguity on astral
    /// characters); otherwise UTF-16, the only encoding every client must accept.
    pub fn negotiate(offered: &[String]) -> Encoding {
        if offered.iter().any(|e| e.eq_ignore_ascii_case("utf-8")) {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf16 => "utf-16",
        }
    }

    fn unit(self) -> ColumnUnit {
        match self {
            Encoding::Utf8 => ColumnUnit::Utf8,
            Encoding::Utf16 => ColumnUnit::Utf16,
        }
    }
}

/// One text's [`LineIndex`], converting between the engine's byte offsets and the protocol's positions.
#[derive(Debug)]
pub struct LineMap {
    index: LineIndex,
}

impl LineMap {
    pub fn new(text: &str) -> Self {
        LineMap {
            index: LineIndex::new(text),
        }
    }

    /// The position of a byte offset. Offsets past the end, or inside a character, move back to the
    /// nearest character boundary: a stale span must still land somewhere in the document.
    pub fn position(&self, offset: usize, encoding: Encoding) -> Position {
        let at = self.index.line_column(offset, encoding.unit());
        Position {
            line: at.line,
            character: at.column,
        }
    }

    /// The byte offset of a position. A line past the end gives the end of the text; a column past
    /// the end of its line gives the end of the line (as the LSP specification asks); a column inside
    /// a character gives the start of that character.
    pub fn offset(&self, position: Position, encoding: Encoding) -> usize {
        let at = LineColumn {
            line: position.line,
            column: position.character,
        };
        self.index.offset(at, encoding.unit())
    }

    pub fn range(&self, span: Span, encoding: Encoding) -> Range {
        Range {
            start: self.position(span.start, encoding),
            end: self.position(span.end, encoding),
        }
    }

    /// The byte span of a range, start and end in order.
    pub fn span(&self, range: Range, encoding: Encoding) -> Span {
        let start = self.offset(range.start, encoding);
        let end = self.offset(range.end, encoding);
        Span::new(start.min(end), start.max(end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "ab\n  \"é—😀\": [\"s3:Get*\"]\r\nlast";

    #[test]
    fn negotiation_prefers_utf8() {
        let offered = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            Encoding::negotiate(&offered(&["utf-16", "utf-8"])),
            Encoding::Utf8
        );
        assert_eq!(
            Encoding::negotiate(&offered(&["utf-32", "utf-16"])),
            Encoding::Utf16
        );
        assert_eq!(Encoding::negotiate(&[]), Encoding::Utf16);
    }

    /// The conversions themselves are the line index's (and tested there); here, that each encoding
    /// counts in its own unit, both ways, and that a range becomes a span in order.
    #[test]
    fn positions_in_the_negotiated_encoding() {
        let map = LineMap::new(TEXT);
        let bracket = TEXT.find('[').unwrap_or(usize::MAX);
        // `  "é—😀": ` is 15 bytes, and 10 UTF-16 units (😀 is two).
        for (encoding, character) in [(Encoding::Utf8, 15), (Encoding::Utf16, 10)] {
            let position = map.position(bracket, encoding);
            assert_eq!(position, Position { line: 1, character });
            assert_eq!(map.offset(position, encoding), bracket);
        }
        let backwards = Range {
            start: map.position(bracket + 1, Encoding::Utf16),
            end: map.position(bracket, Encoding::Utf16),
        };
        assert_eq!(
            map.span(backwards, Encoding::Utf16),
            Span::new(bracket, bracket + 1)
        );
    }
}
