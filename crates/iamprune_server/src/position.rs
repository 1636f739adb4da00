//! Byte offsets to LSP positions and back, in the encoding negotiated at `initialize`.
//!
//! The linter speaks byte offsets; LSP speaks 0-based lines and columns counted in UTF-8 or UTF-16
//! code units. Lines end at `\n` (a `\r` before it is part of the line ending, never of a column).

use lsp_types::{Position, Range};

use iamprune_syntax::Span;

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

    fn width(self, c: char) -> usize {
        match self {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
        }
    }
}

/// The line starts of one text, for converting many offsets of it.
#[derive(Debug)]
pub struct LineMap<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineMap<'t> {
    pub fn new(text: &'t str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineMap { text, starts }
    }

    /// The position of a byte offset. Offsets past the end, or inside a character, move back to the
    /// nearest character boundary: a stale span must still land somewhere in the document.
    pub fn position(&self, offset: usize, encoding: Encoding) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let column: usize = self
            .text
            .get(start..offset)
            .unwrap_or("")
            .chars()
            .map(|c| encoding.width(c))
            .sum();
        Position {
            line: saturating_u32(line),
            character: saturating_u32(column),
        }
    }

    /// The byte offset of a position. A line past the end gives the end of the text; a column past
    /// the end of its line gives the end of the line (as the LSP specification asks); a column inside
    /// a character gives the start of that character.
    pub fn offset(&self, position: Position, encoding: Encoding) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return self.text.len();
        };
        let end = self
            .starts
            .get(position.line as usize + 1)
            .map_or(self.text.len(), |&next| next - 1);
        let line = self.text.get(start..end).unwrap_or("");
        let line = line.strip_suffix('\r').unwrap_or(line);
        let wanted = position.character as usize;
        let mut units = 0;
        for (i, c) in line.char_indices() {
            if units >= wanted {
                return start + i;
            }
            units += encoding.width(c);
            if units > wanted {
                return start + i;
            }
        }
        start + line.len()
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

fn saturating_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "ab\n  \"é—😀\": [\"s3:Get*\"]\r\nlast";

    fn at(text: &str, needle: &str) -> usize {
        text.find(needle).unwrap_or(usize::MAX)
    }

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

    #[test]
    fn multibyte_line_both_ways() {
        let map = LineMap::new(TEXT);
        let bracket = at(TEXT, "[");
        // `  "é—😀": ` is 2 + 1 + (2 + 3 + 4) bytes + `": ` 3 = 15 bytes; in UTF-16 é, — are one unit
        // each and 😀 two: 2 + 1 + 4 + 3 = 10.
        assert_eq!(
            map.position(bracket, Encoding::Utf8),
            Position {
                line: 1,
                character: 15
            }
        );
        assert_eq!(
            map.position(bracket, Encoding::Utf16),
            Position {
                line: 1,
                character: 10
            }
        );
        // The project's own line index agrees on UTF-16.
        assert_eq!(
            iamprune_syntax::LineIndex::new(TEXT).utf16_line_col(bracket),
            (1, 10)
        );
        for encoding in [Encoding::Utf8, Encoding::Utf16] {
            // Between `\r` and `\n` is no place a client can name, so it has no round trip.
            for (offset, _) in TEXT
                .char_indices()
                .filter(|&(i, c)| !(c == '\n' && TEXT[..i].ends_with('\r')))
            {
                let position = map.position(offset, encoding);
                assert_eq!(
                    map.offset(position, encoding),
                    offset,
                    "{encoding:?} {offset}"
                );
            }
            assert_eq!(
                map.offset(map.position(TEXT.len(), encoding), encoding),
                TEXT.len()
            );
        }
    }

    #[test]
    fn out_of_range_positions_are_clamped() {
        let map = LineMap::new(TEXT);
        let emoji = at(TEXT, "😀");
        // Inside the emoji's surrogate pair: the start of the emoji.
        let utf16 = map.position(emoji, Encoding::Utf16);
        let inside = Position {
            line: utf16.line,
            character: utf16.character + 1,
        };
        assert_eq!(map.offset(inside, Encoding::Utf16), emoji);
        // Inside the emoji's bytes, from the other direction.
        assert_eq!(
            map.position(emoji + 1, Encoding::Utf8),
            map.position(emoji, Encoding::Utf8)
        );
        // Past the end of a CRLF line: before the `\r`.
        let long = Position {
            line: 1,
            character: 500,
        };
        assert_eq!(map.offset(long, Encoding::Utf8), at(TEXT, "\r\n"));
        // Past the last line: the end of the text.
        let below = Position {
            line: 40,
            character: 0,
        };
        assert_eq!(map.offset(below, Encoding::Utf16), TEXT.len());
        assert_eq!(
            map.position(10_000, Encoding::Utf16),
            Position {
                line: 2,
                character: 4
            }
        );
    }
}
