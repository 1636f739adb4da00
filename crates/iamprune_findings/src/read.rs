//! A findings file read a window at a time, so that an export of any size loads in the memory of
//! its largest document and the index it builds, not of its text.
//!
//! The bytes are decoded as they come: UTF-8, with or without a byte-order mark, or UTF-16 with
//! one (what Windows PowerShell 5 writes when the CLI output is redirected to a file). Errors are
//! placed in the file, not in the window.

use std::io::Read;
use std::path::Path;

use crate::error::{self, FindingsError, Origin};
use crate::json::{self, Doc};

/// How much is read at a time: enough to amortise the reads, small enough to stay in cache.
const CHUNK: usize = 1 << 20;

/// One JSON document larger than this is refused: it would have to be held whole. JSON Lines of
/// any length are fine.
pub const MAX_DOCUMENT_BYTES: usize = 64 << 20;

/// Calls `each` with every document read from `reader`, the contents of `file`, in order, and
/// stops at the first error. A line is offered unchecked first, as [`json::documents_in`] says.
/// `window` is called with each window of text before its documents are.
pub(crate) fn for_each_document(
    reader: impl Read,
    file: &Path,
    window: impl FnMut(&str),
    each: impl FnMut(&Doc<'_>) -> Result<bool, FindingsError>,
) -> Result<(), FindingsError> {
    read_documents(reader, file, CHUNK, window, each)
}

/// [`for_each_document`] reading `chunk` bytes at a time.
fn read_documents(
    reader: impl Read,
    file: &Path,
    chunk: usize,
    mut before: impl FnMut(&str),
    mut each: impl FnMut(&Doc<'_>) -> Result<bool, FindingsError>,
) -> Result<(), FindingsError> {
    let mut text = Text::new(reader, file);
    let mut want = chunk;
    loop {
        text.fill(want)?;
        let window = text.window();
        before(window);
        let next = json::documents_in(window, text.origin, text.eof, file, &mut each)?;
        if text.eof {
            return Ok(());
        }
        text.consume(next);
        let left = text.valid;
        if left > MAX_DOCUMENT_BYTES {
            return Err(text.origin.place(error::at_line_column(
                file,
                1,
                1,
                format!(
                    "a JSON document of over {} MiB starts here: write the export as JSON Lines, one \
                     finding a line (for example `jq -c '.[]' FILE > FILE.jsonl`), or split it into \
                     several files",
                    MAX_DOCUMENT_BYTES >> 20
                ),
            )));
        }
        // A document cut short by the window is parsed again from its start in the next one:
        // reading at least as much again as it has keeps the parses of a large document linear.
        // The window never grows past the cap by more than a byte, whatever the reads.
        want = chunk.max(left).min(MAX_DOCUMENT_BYTES + 1 - left);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Unknown,
    Utf8,
    Utf16 { big_endian: bool },
}

struct Text<'f, R> {
    reader: R,
    file: &'f Path,
    encoding: Encoding,
    /// The decoded text not consumed yet: UTF-8 up to `valid`, then the first bytes of a
    /// character that the last read cut.
    buf: Vec<u8>,
    valid: usize,
    /// Where `buf` starts in the decoded text.
    origin: Origin,
    /// Bytes of the file before the decoded text (a byte-order mark), for messages that give
    /// an offset in the file.
    skipped: usize,
    /// The bytes of the last read; for UTF-16, a byte of a code unit it cut, and a high
    /// surrogate waiting for its pair.
    raw: Vec<u8>,
    odd: Option<u8>,
    high: Option<u16>,
    eof: bool,
}

impl<'f, R: Read> Text<'f, R> {
    fn new(reader: R, file: &'f Path) -> Self {
        Text {
            reader,
            file,
            encoding: Encoding::Unknown,
            buf: Vec::new(),
            valid: 0,
            origin: Origin::default(),
            skipped: 0,
            raw: Vec::new(),
            odd: None,
            high: None,
            eof: false,
        }
    }

    /// The decoded text not consumed yet, whole characters only.
    fn window(&self) -> &str {
        // `valid` only ever ends where `from_utf8` said the text is valid.
        std::str::from_utf8(self.buf.get(..self.valid).unwrap_or_default()).unwrap_or_default()
    }

    /// Drops the first `n` bytes of the window, which must end at a character boundary.
    fn consume(&mut self, n: usize) {
        let n = n.min(self.valid);
        self.origin = self.origin.after(self.buf.get(..n).unwrap_or_default());
        self.buf.drain(..n);
        self.valid -= n;
    }

    /// Reads up to `want` more bytes of the file and decodes them.
    fn fill(&mut self, want: usize) -> Result<(), FindingsError> {
        // The first read takes in the longest byte-order mark whole.
        let want = if self.encoding == Encoding::Unknown {
            want.max(3)
        } else {
            want
        };
        // Into a buffer of its own, reused and made large enough first: `read_to_end` would grow
        // it by doubling, copying it each time.
        self.raw.clear();
        self.raw.reserve(want);
        let got = (&mut self.reader)
            .take(want as u64)
            .read_to_end(&mut self.raw)
            .map_err(|e| error::whole_file(self.file, format!("cannot read: {e}")))?;
        self.eof = got < want;
        match self.encoding {
            Encoding::Unknown => self.sniff(),
            Encoding::Utf8 => self.buf.extend_from_slice(&self.raw),
            Encoding::Utf16 { .. } => {}
        }
        match self.encoding {
            Encoding::Utf16 { big_endian } => self.decode_utf16(big_endian),
            _ => self.check_utf8(),
        }
    }

    /// Reads the byte-order mark, if any, at the start of the file, from the first read.
    fn sniff(&mut self) {
        let (encoding, mark) = match self.raw.as_slice() {
            [0xFF, 0xFE, ..] => (Encoding::Utf16 { big_endian: false }, 2),
            [0xFE, 0xFF, ..] => (Encoding::Utf16 { big_endian: true }, 2),
            [0xEF, 0xBB, 0xBF, ..] => (Encoding::Utf8, 3),
            _ => (Encoding::Utf8, 0),
        };
        self.encoding = encoding;
        self.skipped = mark;
        self.raw.drain(..mark);
        if encoding == Encoding::Utf8 {
            self.buf.extend_from_slice(&self.raw);
        }
    }

    fn check_utf8(&mut self) -> Result<(), FindingsError> {
        let rest = self.buf.get(self.valid..).unwrap_or_default();
        match std::str::from_utf8(rest) {
            Ok(_) => {
                self.valid = self.buf.len();
                Ok(())
            }
            // A character cut by the read: its other bytes come with the next one.
            Err(e) if e.error_len().is_none() && !self.eof => {
                self.valid += e.valid_up_to();
                Ok(())
            }
            Err(e) => {
                let bad_at = self.valid + e.valid_up_to();
                let bad = self.buf.get(bad_at).copied().unwrap_or(0);
                self.valid = bad_at;
                let offset = self.skipped + self.origin.offset + bad_at;
                Err(self.origin.place(error::at_offset(
                    self.file,
                    self.window(),
                    bad_at,
                    format!(
                        "not UTF-8 text (a binary or compressed file?): byte 0x{bad:02X} at offset \
                         {offset}; expected a JSON export"
                    ),
                )))
            }
        }
    }

    fn decode_utf16(&mut self, big_endian: bool) -> Result<(), FindingsError> {
        let invalid = || error::whole_file(self.file, "invalid UTF-16 text");
        let raw = std::mem::take(&mut self.raw);
        let mut bytes = self.odd.take().into_iter().chain(raw.iter().copied());
        let mut utf8 = [0; 4];
        while let Some(first) = bytes.next() {
            let Some(second) = bytes.next() else {
                self.odd = Some(first);
                break;
            };
            let unit = if big_endian {
                u16::from_be_bytes([first, second])
            } else {
                u16::from_le_bytes([first, second])
            };
            let c = match (self.high.take(), unit) {
                (None, 0xD800..=0xDBFF) => {
                    self.high = Some(unit);
                    continue;
                }
                (Some(high), 0xDC00..=0xDFFF) => char::decode_utf16([high, unit])
                    .next()
                    .and_then(Result::ok)
                    .ok_or_else(invalid)?,
                (Some(_), _) | (None, 0xDC00..=0xDFFF) => return Err(invalid()),
                (None, _) => char::from_u32(u32::from(unit)).ok_or_else(invalid)?,
            };
            self.buf
                .extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        }
        self.raw = raw;
        if self.eof {
            if self.odd.is_some() {
                return Err(error::whole_file(
                    self.file,
                    "UTF-16 text with an odd number of bytes",
                ));
            }
            if self.high.is_some() {
                return Err(invalid());
            }
        }
        self.valid = self.buf.len();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documents of `bytes` read `step` bytes at a time, to cut documents and characters at
    /// every place.
    fn documents(bytes: &[u8], step: usize) -> Result<Vec<String>, FindingsError> {
        let mut out = Vec::new();
        read_documents(
            bytes,
            Path::new("t.json"),
            step,
            |_| {},
            |doc| {
                // A line is taken unchecked when it is one document whole, as the fast reader does.
                if !doc.checked && serde_json::from_str::<serde_json::Value>(doc.slice()).is_err() {
                    return Ok(false);
                }
                out.push(doc.spanned_text()?);
                Ok(true)
            },
        )?;
        Ok(out)
    }

    #[test]
    fn documents_cut_by_reads_are_read_whole() {
        let text = "{\"a\": \"é\"}\n[1, 2]\n  {\"b\": \"日本\"} 12 {}";
        let whole = documents(text.as_bytes(), 1 << 20);
        assert_eq!(
            whole,
            Ok(vec![
                "{\"a\": \"é\"}".to_string(),
                "[1, 2]".to_string(),
                "{\"b\": \"日本\"}".to_string(),
                "12".to_string(),
                "{}".to_string(),
            ])
        );
        for step in 1..8 {
            assert_eq!(documents(text.as_bytes(), step), whole, "step {step}");
        }
    }

    #[test]
    fn errors_are_placed_in_the_file() {
        let text = "{\"a\": 1}\n{\"b\": 2}\n{\"c\": ,}\n";
        let err = documents(text.as_bytes(), 3).expect_err("invalid");
        assert_eq!((err.position.line, err.position.column), (3, 7), "{err}");
        let bytes = [b"{\"a\": 1}\n\"x".as_slice(), &[0xC3, 0x28], b"\"\n"].concat();
        let err = documents(&bytes, 1).expect_err("not UTF-8");
        assert!(
            err.error.message.contains("byte 0xC3 at offset 11"),
            "{err}"
        );
        assert_eq!((err.position.line, err.position.column), (2, 3), "{err}");
    }

    #[test]
    fn utf16_is_decoded_across_reads() {
        let text = "[{\"s\": \"😀 é\"}]\r\n";
        for big_endian in [false, true] {
            let mut bytes = if big_endian {
                vec![0xFE, 0xFF]
            } else {
                vec![0xFF, 0xFE]
            };
            for unit in text.encode_utf16() {
                bytes.extend(if big_endian {
                    unit.to_be_bytes()
                } else {
                    unit.to_le_bytes()
                });
            }
            for step in 1..6 {
                assert_eq!(
                    documents(&bytes, step),
                    Ok(vec![text.trim_end().to_string()]),
                    "step {step}"
                );
            }
            bytes.pop();
            assert!(documents(&bytes, 3).is_err());
        }
    }
}
