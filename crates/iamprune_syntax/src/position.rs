//! Byte offsets to lines and columns and back, for reports and the language server.
//!
//! Lines end at `\n`; a `\r` before it belongs to the line break, so no column past the end of a line
//! lands between the two.

use line_index::{LineCol, TextSize, WideEncoding, WideLineCol};

use crate::Span;

/// A place in a text. Lines and columns are 1-based; the column counts Unicode scalar values, as the
/// JSON and SARIF reports promise; `offset` is the byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
}

/// How a column is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnUnit {
    /// Bytes of UTF-8: the unit of spans.
    Utf8,
    /// UTF-16 code units: what most editors count.
    Utf16,
    /// Unicode scalar values.
    Char,
}

/// A 0-based line and a 0-based column in some [`ColumnUnit`]: a place as an editor names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LineColumn {
    pub line: u32,
    pub column: u32,
}

/// Line starts of one text, built once and queried per diagnostic.
#[derive(Debug)]
pub struct LineIndex {
    index: line_index::LineIndex,
    text_len: usize,
    /// The lines that end in `\r\n`, in order: a column past the end of one stops before the `\r`.
    crlf_lines: Vec<u32>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        // Most texts hold no `\r`: one `memchr` says so.
        let crlf_lines = match text.contains('\r') {
            false => Vec::new(),
            true => text
                .match_indices('\n')
                .enumerate()
                .filter(|&(_, (at, _))| text.get(..at).is_some_and(|b| b.ends_with('\r')))
                .map(|(line, _)| saturating_u32(line))
                .collect(),
        };
        LineIndex {
            index: line_index::LineIndex::new(text),
            text_len: text.len(),
            crlf_lines,
        }
    }

    /// The position of a byte offset, for reports. Offsets past the end, or inside a multi-byte
    /// character, are moved back to the nearest valid place, so a position can always be shown.
    pub fn position(&self, offset: usize) -> Position {
        let (at, offset) = self.valid(offset);
        let column = self.column_in(at, ColumnUnit::Char);
        Position {
            line: at.line as usize + 1,
            column: column as usize + 1,
            offset,
        }
    }

    /// The 0-based line and column of a byte offset, the column counted in `unit`. Offsets are moved
    /// as by [`LineIndex::position`].
    pub fn line_column(&self, offset: usize, unit: ColumnUnit) -> LineColumn {
        let (at, _) = self.valid(offset);
        LineColumn {
            line: at.line,
            column: self.column_in(at, unit),
        }
    }

    /// The byte offset of a 0-based line and column counted in `unit`. A line past the end gives the
    /// end of the text; a column past the end of its line gives the end of the line, before its line
    /// break; a column inside a character gives the start of that character. Editors send such places
    /// for text they have and the engine has not yet seen; each still names a place in this text.
    pub fn offset(&self, at: LineColumn, unit: ColumnUnit) -> usize {
        let Some(line) = self.index.line(at.line) else {
            return self.text_len;
        };
        let start = usize::from(line.start());
        let has_break = self.index.line(at.line.saturating_add(1)).is_some();
        let crlf = self.crlf_lines.binary_search(&at.line).is_ok();
        let content_end =
            usize::from(line.end()).saturating_sub(usize::from(has_break) + usize::from(crlf));
        let wide = |encoding| {
            let wide = WideLineCol {
                line: at.line,
                col: at.column,
            };
            // `None` when the column overflows: it is past the end of any line.
            self.index
                .to_utf8(encoding, wide)
                .map_or(u32::MAX, |utf8| utf8.col)
        };
        let utf8_column = match unit {
            ColumnUnit::Utf8 => at.column,
            ColumnUnit::Utf16 => wide(WideEncoding::Utf16),
            ColumnUnit::Char => wide(WideEncoding::Utf32),
        };
        let offset = start
            .saturating_add(utf8_column as usize)
            .min(content_end.max(start));
        self.valid(offset).1
    }

    /// The bytes of the line holding byte `offset` (moved as by [`LineIndex::position`]), its line
    /// break included.
    pub fn line_span(&self, offset: usize) -> Span {
        let (at, _) = self.valid(offset);
        self.index
            .line(at.line)
            .map_or(Span::new(self.text_len, self.text_len), |line| {
                Span::new(line.start().into(), line.end().into())
            })
    }

    /// The column of a valid place in `unit`.
    fn column_in(&self, at: LineCol, unit: ColumnUnit) -> u32 {
        let encoding = match unit {
            ColumnUnit::Utf8 => return at.col,
            ColumnUnit::Utf16 => WideEncoding::Utf16,
            ColumnUnit::Char => WideEncoding::Utf32,
        };
        // A valid place always converts; the byte column is the fallback the types ask for.
        self.index
            .to_wide(encoding, at)
            .map_or(at.col, |wide| wide.col)
    }

    /// The nearest valid place at or before `offset`: inside the text and on a character boundary.
    fn valid(&self, offset: usize) -> (LineCol, usize) {
        let mut offset = offset.min(self.text_len);
        loop {
            let size = TextSize::try_from(offset).unwrap_or(TextSize::from(u32::MAX));
            if let Some(at) = self.index.try_line_col(size) {
                return (at, offset);
            }
            if offset == 0 {
                return (LineCol { line: 0, col: 0 }, 0);
            }
            offset -= 1;
        }
    }
}

fn saturating_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const TEXT: &str = "ab\n  \"é—😀\": [\"s3:Get*\"]\r\nlast";

    const UNITS: [ColumnUnit; 3] = [ColumnUnit::Utf8, ColumnUnit::Utf16, ColumnUnit::Char];

    fn at(line: u32, column: u32) -> LineColumn {
        LineColumn { line, column }
    }

    #[test]
    fn columns_count_characters() {
        let index = LineIndex::new(TEXT);
        assert_eq!(
            index.position(0),
            Position {
                line: 1,
                column: 1,
                offset: 0
            }
        );
        let bracket = TEXT.find("[").unwrap_or(0);
        assert_eq!(index.position(bracket).line, 2);
        assert_eq!(index.position(bracket).column, 10);
        let last = TEXT.find("last").unwrap_or(0);
        assert_eq!(
            (index.position(last).line, index.position(last).column),
            (3, 1)
        );
        // Past the end and inside a character are clamped, never a panic.
        assert_eq!(index.position(10_000).offset, TEXT.len());
        let inside = TEXT.find('é').unwrap_or(0) + 1;
        assert_eq!(index.position(inside).offset, inside - 1);
    }

    #[test]
    fn each_unit_counts_its_own_way() {
        let index = LineIndex::new(TEXT);
        let bracket = TEXT.find("[").unwrap_or(0);
        // `  "é—😀": ` is 2 + 1 + (2 + 3 + 4) + 3 = 15 bytes; é and — are one UTF-16 unit each and 😀
        // two, so 10 units; 9 characters.
        let columns = UNITS.map(|unit| index.line_column(bracket, unit));
        assert_eq!(columns, [at(1, 15), at(1, 10), at(1, 9)]);
        for (unit, column) in UNITS.into_iter().zip(columns) {
            assert_eq!(index.offset(column, unit), bracket, "{unit:?}");
        }
    }

    #[test]
    fn places_outside_the_text_are_clamped() {
        let index = LineIndex::new(TEXT);
        let emoji = TEXT.find('😀').unwrap_or(0);
        // Inside the emoji, in each unit: its start.
        let utf16 = index.line_column(emoji, ColumnUnit::Utf16);
        assert_eq!(
            index.offset(at(utf16.line, utf16.column + 1), ColumnUnit::Utf16),
            emoji
        );
        let utf8 = index.line_column(emoji, ColumnUnit::Utf8);
        assert_eq!(
            index.offset(at(utf8.line, utf8.column + 2), ColumnUnit::Utf8),
            emoji
        );
        assert_eq!(index.line_column(emoji + 1, ColumnUnit::Utf8), utf8);
        // Past the end of a CRLF line: before the `\r`; of an LF line: before the `\n`.
        for unit in UNITS {
            assert_eq!(
                index.offset(at(1, 500), unit),
                TEXT.find("\r\n").unwrap_or(0)
            );
            assert_eq!(index.offset(at(0, 500), unit), 2);
            assert_eq!(
                index.offset(at(1, u32::MAX), unit),
                TEXT.find("\r\n").unwrap_or(0)
            );
            // Past the last line: the end of the text.
            assert_eq!(index.offset(at(40, 0), unit), TEXT.len());
        }
        assert_eq!(index.line_column(10_000, ColumnUnit::Utf16), at(2, 4));
    }

    #[test]
    fn lines_hold_their_break() {
        let index = LineIndex::new(TEXT);
        let second = TEXT.find("  \"").unwrap_or(0);
        let last = TEXT.find("last").unwrap_or(0);
        assert_eq!(index.line_span(0), Span::new(0, second));
        assert_eq!(index.line_span(2), Span::new(0, second));
        assert_eq!(index.line_span(last - 1), Span::new(second, last));
        assert_eq!(index.line_span(10_000), Span::new(last, TEXT.len()));
        assert_eq!(LineIndex::new("").line_span(0), Span::new(0, 0));
    }

    proptest! {
        /// Every character boundary a client can name comes back from its line and column, in every
        /// unit (between `\r` and `\n` is no such place).
        #[test]
        fn offsets_round_trip(text in "([a-z\r\n é—😀漢]{0,12}){0,6}") {
            let index = LineIndex::new(&text);
            let places = text
                .char_indices()
                .map(|(i, _)| i)
                .chain([text.len()])
                .filter(|&i| !(text[i..].starts_with('\n') && text[..i].ends_with('\r')));
            for offset in places {
                for unit in UNITS {
                    let column = index.line_column(offset, unit);
                    prop_assert_eq!(index.offset(column, unit), offset, "{:?} {:?}", unit, column);
                }
            }
        }
    }
}
