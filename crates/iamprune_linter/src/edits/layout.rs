//! A list that a fix makes too wide for its line is written one item per line, as the file would have
//! it: the file's indentation, its line break, and for YAML a block sequence under the key.

use iamprune_policy::{ActionBlock, Syntax};
use iamprune_syntax::Span;

use super::Writer;
use crate::diagnostic::Edit;

/// How a list is written one item per line in a syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ListLayout {
    /// `[`, the items each on a line of their own one step in, `]` at the line's indentation; HCL
    /// ends each item with a `,`, JSON all but the last.
    Brackets { trailing_comma: bool },
    /// A YAML block sequence under the key: `Action:` then `- item` lines one step in.
    YamlBlock,
    /// Never laid out anew: JSON inside a string, whose line breaks would be the string's.
    Kept,
}

impl ListLayout {
    pub(super) fn of(syntax: &Syntax) -> ListLayout {
        match syntax {
            Syntax::Hcl => ListLayout::Brackets {
                trailing_comma: true,
            },
            Syntax::Json => ListLayout::Brackets {
                trailing_comma: false,
            },
            Syntax::Yaml => ListLayout::YamlBlock,
            Syntax::EmbeddedJson(_) | Syntax::Expanded(_) => ListLayout::Kept,
        }
    }
}

/// The width a line may take when nothing near it is wider.
const WIDTH: usize = 100;

/// How many lines on each side say how wide the file's lines are.
pub(super) const NEARBY: usize = 10;

impl Writer<'_> {
    /// The whole value of `block` as `items` (each as written), one per line, when written inline on
    /// the block's line they would pass the file's line width; `None` to keep the list inline.
    pub(super) fn one_per_line(&self, block: &ActionBlock, items: &[String]) -> Option<Edit> {
        let line = self.line(block.span.start);
        // Only a value written on one line is laid out anew.
        if self.line_start(block.span.end.saturating_sub(1).max(block.span.start)) != line.start {
            return None;
        }
        let inline = 2 + items.iter().map(|i| i.len() + 2).sum::<usize>();
        let before = self.text.get(line.start..block.span.start)?;
        let after = self
            .text
            .get(block.span.end..self.line_break_at(block.span.end))?;
        let width = before.chars().count() + inline + after.trim_end().chars().count();
        let limit = self.width(block.span.start);
        // A line already wider than that is how the file is written (a document on one line,
        // minified JSON): it stays so.
        if width <= limit || self.columns(line) > limit {
            return None;
        }
        // Only a list whose key starts its line (`Action = [`, `"Action": [`, `Action: [`, or after
        // the `- ` of a YAML statement): in a document written on one line, or a flow mapping, the
        // list stays inline with the rest of it.
        let key_prefix = self.text.get(line.start..block.key_span.start)?;
        let key_first = block.key_span.start >= line.start
            && (key_prefix.trim().is_empty() || key_prefix.trim_start() == "- ");
        if !key_first {
            return None;
        }
        let newline = self.line_break(block.span.start);
        let indent: String = before
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        let step = self.indent_step();
        match self.layout {
            ListLayout::Brackets { trailing_comma } => {
                let mut content = format!("[{newline}");
                for (n, item) in items.iter().enumerate() {
                    content.push_str(&format!("{indent}{step}{item}"));
                    if trailing_comma || n + 1 < items.len() {
                        content.push(',');
                    }
                    content.push_str(newline);
                }
                content.push_str(&indent);
                content.push(']');
                Some(self.edit(block.span, content))
            }
            ListLayout::YamlBlock => {
                // The key then stands alone, the items under it.
                let colon = self.text.get(block.key_span.end..block.span.start)?;
                if colon.trim() != ":" {
                    return None;
                }
                let column = " ".repeat(key_prefix.chars().count());
                let mut content = String::from(":");
                for item in items {
                    content.push_str(&format!("{newline}{column}{step}- {item}"));
                }
                Some(self.edit(Span::new(block.key_span.end, block.span.end), content))
            }
            ListLayout::Kept => None,
        }
    }

    /// The widest line near byte `at`, other than its own, or [`WIDTH`] when none is wider.
    fn width(&self, at: usize) -> usize {
        let own = self.line(at);
        let mut widest = WIDTH;
        let mut up = own.start;
        let mut down = own.end;
        for _ in 0..NEARBY {
            if up > 0 {
                let line = self.line(up - 1);
                widest = widest.max(self.columns(line));
                up = line.start;
            }
            if down < self.text.len() {
                let line = self.line(down);
                widest = widest.max(self.columns(line));
                down = line.end;
            }
        }
        widest
    }

    /// The characters of a line, its line break left out.
    fn columns(&self, line: Span) -> usize {
        self.text
            .get(line.start..line.end)
            .map_or(0, |l| l.trim_end_matches(['\n', '\r']).chars().count())
    }

    /// One step of the file's indentation, found at most once per file however many lists are laid
    /// out in it.
    pub(super) fn indent_step(&self) -> &str {
        self.file.indent_step()
    }
}

/// One step of a text's indentation: a tab when lines are indented with tabs, else the smallest
/// indentation of any line (two spaces when no line is indented).
pub(super) fn indent_step(text: &str) -> String {
    let mut smallest = usize::MAX;
    for line in text.lines() {
        if line.starts_with('\t') {
            return "\t".to_string();
        }
        let spaces = line.len() - line.trim_start_matches(' ').len();
        if spaces > 0 && spaces < line.len() {
            smallest = smallest.min(spaces);
        }
    }
    " ".repeat(if smallest == usize::MAX {
        2
    } else {
        smallest.min(8)
    })
}
