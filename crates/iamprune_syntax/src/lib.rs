//! Source text and the format-neutral spanned value tree that every extractor produces, and the errors
//! at a place in a file.
//!
//! Spans are byte ranges into the original file text. Lines and columns exist only at the edges
//! (rendering, the language server, an error shown on its own), computed by [`LineIndex`].

mod change;
mod error;
pub mod fs;
pub mod json;
pub mod path_order;
mod position;
mod spans;
pub mod spelling;
pub mod suppression;
mod tree;

pub use change::Change;
pub use error::{FileError, PositionedError, SyntaxError};
pub use position::{ColumnUnit, LineColumn, LineIndex, Position};
pub use spans::Spans;
pub use spelling::Spelling;
pub use tree::{Member, Node, NodeKind};

use std::fmt;

/// A byte range `start..end` into a source text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    pub const fn len(self) -> usize {
        self.end - self.start
    }

    pub const fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start..self.end
    }

    /// The same span moved by `delta` bytes, for trees parsed out of a slice of a larger text.
    pub const fn shifted(self, delta: usize) -> Self {
        Span::new(self.start + delta, self.end + delta)
    }

    /// The text this span covers, if it lies inside `text` on character boundaries.
    pub fn slice(self, text: &str) -> Option<&str> {
        text.get(self.range())
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

impl From<std::ops::Range<usize>> for Span {
    fn from(range: std::ops::Range<usize>) -> Self {
        Span::new(range.start, range.end)
    }
}
