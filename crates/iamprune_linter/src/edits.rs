//! Minimal text edits that carry a refinement into a file in its own syntax.
//!
//! No tree is rebuilt: an edit replaces an element's span, or deletes an element with the separator
//! that ties it to its neighbour, so comments, indentation, quoting, line endings and everything else in
//! the file stay as they were. New list items take the list's own layout: one per line at the same
//! indentation when the list is written one per line, `, `-separated otherwise; YAML block sequences get
//! `- ` items. What differs between formats (quoting, comments, keys) each format's crate tells
//! through [`Spelling`].

use iamprune_policy::{ActionBlock, PolicyDocument, StringStyle, Syntax};
use iamprune_syntax::spelling::{EmbeddedJson, Json};
use iamprune_syntax::{LineIndex, Span, Spelling};

use crate::diagnostic::Edit;

mod layout;
mod written_out;

use layout::ListLayout;
pub use written_out::Change;

/// A file's text with its lines, found at most once however many sites of the file are fixed: a
/// minified policy is one long line, and a template holds hundreds of policies, so searching the text
/// for line breaks at every edit, or indexing it for every site, would make fixing it quadratic.
pub struct FileText<'a> {
    text: &'a str,
    lines: std::cell::OnceCell<LineIndex>,
    /// One step of the file's indentation, found once (see `layout.rs`).
    indent_step: std::cell::OnceCell<String>,
}

impl<'a> FileText<'a> {
    pub fn new(text: &'a str) -> Self {
        FileText {
            text,
            lines: std::cell::OnceCell::new(),
            indent_step: std::cell::OnceCell::new(),
        }
    }

    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The line holding byte `at`, its line break included.
    fn line(&self, at: usize) -> Span {
        self.lines
            .get_or_init(|| LineIndex::new(self.text))
            .line_span(at)
    }

    /// One step of the file's indentation, found once (see `layout.rs`).
    pub(crate) fn indent_step(&self) -> &str {
        self.indent_step
            .get_or_init(|| layout::indent_step(self.text))
    }

    /// All a [`Writer`] may read of the text to write edits within `span`, besides
    /// [`FileText::indent_step`]: the lines `span` is on, and the lines around it whose width decides
    /// how a list is laid out.
    pub(crate) fn read_around(&self, span: Span) -> Span {
        let mut start = self.line(span.start.min(self.text.len())).start;
        let mut end = self.line(span.end.min(self.text.len())).end;
        for _ in 0..layout::NEARBY {
            if start > 0 {
                start = self.line(start - 1).start;
            }
            if end < self.text.len() {
                end = self.line(end).end;
            }
        }
        Span::new(start, end)
    }
}

/// The file text and syntax edits are made in.
pub struct Writer<'a> {
    text: &'a str,
    file: &'a FileText<'a>,
    spelling: &'static dyn Spelling,
    layout: ListLayout,
    /// `false` for statements no text holds ([`Syntax::Expanded`]): no edit is made in them.
    written: bool,
    /// Statements no text holds that are written out in place of what stands for them, when the user
    /// asks for it (`--fix-sam-templates`).
    written_out: Option<&'a iamprune_policy::Expansion>,
}

impl<'a> Writer<'a> {
    /// The writer of a site in `syntax`; `write_out` lets the statements of a SAM policy template be
    /// written out in its place.
    pub fn new(file: &'a FileText<'a>, syntax: &'a Syntax, write_out: bool) -> Self {
        let written_out = match syntax {
            Syntax::Expanded(expansion) if write_out && expansion.statements.is_some() => {
                Some(&**expansion)
            }
            _ => None,
        };
        Writer {
            text: file.text,
            file,
            spelling: spelling(syntax),
            layout: ListLayout::of(syntax),
            written: !matches!(syntax, Syntax::Expanded(_)),
            written_out,
        }
    }

    /// The line holding byte `at`, its line break included.
    fn line(&self, at: usize) -> Span {
        self.file.line(at)
    }

    /// The start of the line holding byte `at`.
    fn line_start(&self, at: usize) -> usize {
        self.line(at).start
    }

    /// The offset of the `\n` ending the line that holds byte `at` (the text's length on the last
    /// line).
    fn line_break_at(&self, at: usize) -> usize {
        let line = self.line(at);
        let ends_in_break = line.slice(self.text).is_some_and(|l| l.ends_with('\n'));
        line.end - usize::from(ends_in_break)
    }

    /// Replaces element `i` of the list by `patterns` (at least one). A list the replacement makes
    /// too wide for its line is written one item per line.
    pub fn replace_element(&self, block: &ActionBlock, i: usize, patterns: &[String]) -> Vec<Edit> {
        if !self.written {
            return Vec::new();
        }
        let Some(element) = block.elements.get(i) else {
            return Vec::new();
        };
        let original = element.span.slice(self.text).unwrap_or("");
        let items: Vec<String> = patterns.iter().map(|p| self.item(p, original)).collect();
        if !block.is_list && patterns.len() > 1 {
            return vec![self.list_value(block, items)];
        }
        let separator = self.separator(&spans(block), i);
        if let Some(edit) = self.sorted(block, i, patterns, &items, &separator) {
            return vec![edit];
        }
        if block.is_list && !separator.contains('\n') && patterns.len() > 1 {
            let all: Vec<String> = block
                .elements
                .iter()
                .enumerate()
                .flat_map(|(j, e)| match j == i {
                    true => items.clone(),
                    false => vec![e.span.slice(self.text).unwrap_or("").to_string()],
                })
                .collect();
            if let Some(edit) = self.one_per_line(block, &all) {
                return vec![edit];
            }
        }
        vec![self.edit(element.span, items.join(&separator))]
    }

    /// A sorted list stays sorted: when element `i` of a list sorted by name (ignoring case) is
    /// replaced by `patterns` (written `items`) that do not fall in its place, the whole list is
    /// written again in order, in its own layout. `None` when the list is not sorted, the patterns
    /// fall in place, or a comment between items would lose its item.
    fn sorted(
        &self,
        block: &ActionBlock,
        i: usize,
        patterns: &[String],
        items: &[String],
        separator: &str,
    ) -> Option<Edit> {
        let key = |name: &str| name.to_ascii_lowercase();
        let names: Vec<&str> = block
            .elements
            .iter()
            .map(|e| e.pattern().map(|p| p.as_str()))
            .collect::<Option<_>>()?;
        if !block.is_list || names.len() < 2 || !names.is_sorted_by_key(|n| key(n)) {
            return None;
        }
        let mut after: Vec<(String, String)> = Vec::new();
        for (j, (element, name)) in block.elements.iter().zip(&names).enumerate() {
            if j == i {
                after.extend(patterns.iter().cloned().zip(items.iter().cloned()));
            } else {
                let written = element.span.slice(self.text)?.to_string();
                after.push((name.to_string(), written));
            }
        }
        if after.is_sorted_by_key(|(name, _)| key(name)) {
            return None;
        }
        let spans = spans(block);
        let commented = spans.windows(2).any(|pair| {
            self.text
                .get(pair[0].end..pair[1].start)
                .is_some_and(|gap| self.spelling.comment_in(gap))
        });
        if commented {
            return None;
        }
        after.sort_by_key(|(name, _)| key(name));
        let written: Vec<String> = after.into_iter().map(|(_, text)| text).collect();
        if !separator.contains('\n') {
            if let Some(edit) = self.one_per_line(block, &written) {
                return Some(edit);
            }
        }
        let (first, last) = (spans.first()?, spans.last()?);
        Some(self.edit(Span::new(first.start, last.end), written.join(separator)))
    }

    /// The value of `block` replaced by a list of `items`: inline, or one per line when inline it
    /// would be too wide.
    fn list_value(&self, block: &ActionBlock, items: Vec<String>) -> Edit {
        self.one_per_line(block, &items)
            .unwrap_or_else(|| self.edit(block.span, format!("[{}]", items.join(", "))))
    }

    /// Deletes element `i` of a list with more than one element, with the separator to its neighbour.
    pub fn remove_element(&self, block: &ActionBlock, i: usize) -> Vec<Edit> {
        if !self.written {
            return Vec::new();
        }
        self.remove_from(&spans(block), i).into_iter().collect()
    }

    /// Deletes statement `i` of the document, when other statements remain.
    pub fn remove_statement(&self, document: &PolicyDocument, i: usize) -> Option<Edit> {
        if !document.statement_is_list || !self.written {
            return None;
        }
        let spans: Vec<Span> = document.statements.iter().map(|s| s.span).collect();
        self.remove_from(&spans, i)
    }

    /// Turns `Action: <anything>` into `NotAction: [patterns]`.
    pub fn to_not_action(&self, block: &ActionBlock, patterns: &[String]) -> Vec<Edit> {
        if !self.written {
            return Vec::new();
        }
        let key = block.key_span.slice(self.text).unwrap_or("");
        // A key the format does not negate is not rewritten, so no fix is offered.
        let Some(not_key) = self.spelling.not_action_key(key) else {
            return Vec::new();
        };
        let sample = block
            .elements
            .first()
            .and_then(|e| e.span.slice(self.text))
            .unwrap_or("\"\"");
        let items: Vec<String> = patterns.iter().map(|p| self.item(p, sample)).collect();
        match self.one_per_line(block, &items) {
            // The YAML layout rewrites from the key on: the negated key goes into that one edit.
            Some(edit) if edit.span.start <= block.key_span.end => vec![self.edit(
                Span::new(block.key_span.start, edit.span.end),
                format!("{not_key}{}", edit.content),
            )],
            Some(edit) => vec![self.edit(block.key_span, not_key), edit],
            None => vec![
                self.edit(block.key_span, not_key),
                self.edit(block.span, self.list_literal(patterns, sample)),
            ],
        }
    }

    /// Appends patterns to a `NotAction` list (a single string becomes a list).
    pub fn extend_list(&self, block: &ActionBlock, added: &[String]) -> Vec<Edit> {
        if !self.written {
            return Vec::new();
        }
        let sample = block
            .elements
            .first()
            .and_then(|e| e.span.slice(self.text))
            .unwrap_or("\"\"");
        let (Some(last), true) = (block.elements.last(), block.is_list) else {
            let mut all: Vec<String> = block
                .elements
                .iter()
                .filter_map(|e| e.pattern().map(|p| p.as_str().to_string()))
                .collect();
            all.extend(added.iter().cloned());
            return vec![self.edit(block.span, self.list_literal(&all, sample))];
        };
        let spans = spans(block);
        let separator = self.separator(&spans, spans.len() - 1);
        let mut content = String::new();
        for pattern in added {
            content.push_str(&separator);
            content.push_str(&self.item(pattern, sample));
        }
        vec![self.edit(Span::new(last.span.end, last.span.end), content)]
    }

    fn remove_from(&self, spans: &[Span], i: usize) -> Option<Edit> {
        if spans.len() < 2 || i >= spans.len() {
            return None;
        }
        let span = if i + 1 < spans.len() {
            Span::new(spans[i].start, spans[i + 1].start)
        } else {
            Span::new(spans[i - 1].end, spans[i].end)
        };
        // Deleting up to the next item (or back to the previous one) takes whatever lies between them.
        // Where that holds a comment, the comment lines before the next item would go with the removed
        // item, and removing the last item would delete the previous item's own comment and leave the
        // removed one's in its place; so then the item's own line(s) go, with its trailing comment and
        // the comment block right above it, which describe it, and every other comment stays where it
        // was.
        let block_above = self.comment_block_above(spans[i].start);
        if self.has_comment(spans, i) || block_above.is_some() {
            if let Some(edit) = self.remove_lines(spans, i, block_above) {
                return Some(edit);
            }
        }
        Some(self.edit(span, ""))
    }

    /// Whether the text around item `i` that a removal would touch holds a comment.
    fn has_comment(&self, spans: &[Span], i: usize) -> bool {
        let from = if i > 0 {
            spans[i - 1].end
        } else {
            spans[i].end
        };
        let to = match spans.get(i + 1) {
            Some(next) => next.start,
            None => self.line_tail(spans[i].end).map_or(spans[i].end, |t| t.end),
        };
        let between = |a: usize, b: usize| self.text.get(a..b).unwrap_or("");
        let gaps = [between(from, spans[i].start), between(spans[i].end, to)];
        gaps.iter().any(|gap| self.spelling.comment_in(gap))
    }

    /// Where the lines of nothing but a comment right above the line of byte `at` start, when there
    /// are any: the comment that says what the item on that line is. A blank line ends the block.
    fn comment_block_above(&self, at: usize) -> Option<usize> {
        let line_start = self.line_start(at);
        let mut start = line_start;
        while start > 0 {
            let above = self.line_start(start - 1);
            let line = self.text.get(above..start)?.trim();
            if line.is_empty() || !self.spelling.line_comment(line, true) {
                break;
            }
            start = above;
        }
        (start < line_start).then_some(start)
    }

    /// Removes item `i` of a list written one item per line by deleting its own line(s), with the
    /// separator and comment that end its last line; for a last item without a separator of its own,
    /// the separator of the previous item goes too, and `block_above`, where the comment block right
    /// above it starts. `None` when the layout is not that simple.
    fn remove_lines(&self, spans: &[Span], i: usize, block_above: Option<usize>) -> Option<Edit> {
        let span = spans[i];
        let own_line = self.line_start(span.start);
        let prefix = self.text.get(own_line..span.start)?;
        let block_item = self.spelling.block_sequences() && prefix.trim() == "-";
        if !prefix.trim().is_empty() && !block_item {
            return None;
        }
        // The comment block right above the item goes with it.
        let line_start = block_above.unwrap_or(own_line);
        let tail = self.line_tail(span.end)?;
        // Lists separate items with `,`; YAML block sequences and HCL blocks do not.
        let comma_after = |from: usize, to: usize| {
            self.text
                .get(from..to)
                .is_some_and(|gap| gap.trim_start().starts_with(','))
        };
        if let Some(next) = spans.get(i + 1) {
            // The next item must start on a later line, and a separator must end this one.
            if next.start < tail.end || (comma_after(span.end, next.start) && !tail.separator) {
                return None;
            }
            // Between blank lines (HCL blocks), one blank line goes too, so no two are left in a row.
            let blank = |line: &str| line.trim().is_empty();
            let before = (line_start > 0)
                .then(|| {
                    self.text
                        .get(self.line_start(line_start - 1)..line_start - 1)
                })
                .flatten();
            let after_end = (tail.end < self.text.len())
                .then(|| self.line_break_at(tail.end) + 1)
                .filter(|&end| end <= self.text.len());
            let end = match (before, after_end) {
                (Some(line), Some(end)) if blank(line) && blank(&self.text[tail.end..end]) => end,
                _ => tail.end,
            };
            return Some(self.edit(Span::new(line_start, end), ""));
        }
        let previous = spans[i - 1];
        if previous.end > line_start {
            return None;
        }
        if tail.separator || !comma_after(previous.end, span.start) {
            return Some(self.edit(Span::new(line_start, tail.end), ""));
        }
        // The previous item's separator is the first thing after it; keep all else up to this line.
        let between = self.text.get(previous.end..line_start)?;
        let comma = between.find(|c: char| !c.is_whitespace())?;
        let kept = format!("{}{}", &between[..comma], &between[comma + 1..]);
        Some(self.edit(Span::new(previous.end, tail.end), kept))
    }

    /// The rest of the line after an item: blanks, an optional `,`, blanks, an optional comment and
    /// the line break. `None` when anything else follows on that line.
    fn line_tail(&self, from: usize) -> Option<LineTail> {
        // An item whose span takes in its line break (an HCL block) ends where the next line starts.
        if from > 0 && self.text.get(..from)?.ends_with('\n') {
            return Some(LineTail {
                end: from,
                separator: false,
            });
        }
        let rest = self.text.get(from..)?;
        let line = self.text.get(from..self.line_break_at(from).max(from))?;
        let end = from + line.len() + usize::from(line.len() < rest.len());
        let line = line.strip_suffix('\r').unwrap_or(line);
        let after_blanks = line.trim_start_matches([' ', '\t']);
        let separator = after_blanks.starts_with(',');
        let after = after_blanks
            .strip_prefix(',')
            .unwrap_or(after_blanks)
            .trim_start_matches([' ', '\t']);
        let comment = self.spelling.line_comment(after, after.len() < line.len());
        (after.is_empty() || comment).then_some(LineTail { end, separator })
    }

    fn edit(&self, span: Span, content: impl Into<String>) -> Edit {
        Edit::replace(span, content)
    }

    /// The line break used at byte `at`: the one that ends its line, `\n` at the end of the text.
    fn line_break(&self, at: usize) -> &'static str {
        let end = self.line_break_at(at.min(self.text.len()));
        if end < self.text.len() && self.text.get(..end).is_some_and(|t| t.ends_with('\r')) {
            "\r\n"
        } else {
            "\n"
        }
    }

    /// The text between two items of this list in the style it is written in.
    fn separator(&self, spans: &[Span], i: usize) -> String {
        // The gap after an item (or before it, for the last) shows whether items go one per line.
        let gap = if spans.len() > 1 {
            let j = if i + 1 < spans.len() { i } else { i - 1 };
            self.text
                .get(spans[j].end..spans[j + 1].start)
                .unwrap_or(", ")
        } else {
            ""
        };
        let element = spans.get(i).copied().unwrap_or_default();
        let line_start = self.line_start(element.start.min(self.text.len()));
        let prefix = self.text.get(line_start..element.start).unwrap_or("");
        let yaml_block = self.spelling.block_sequences() && {
            let trimmed = prefix.trim_start();
            trimmed.starts_with('-') && trimmed.trim_start_matches('-').trim().is_empty()
        };
        let one_per_line = if spans.len() > 1 {
            gap.contains('\n')
        } else {
            yaml_block || (!prefix.is_empty() && prefix.trim().is_empty())
        };
        // New lines take the file's own line break, so a CRLF file stays CRLF throughout.
        let newline = self.line_break(element.start);
        if yaml_block {
            format!("{newline}{prefix}")
        } else if one_per_line {
            let indent = if spans.len() > 1 {
                gap.rsplit('\n').next().unwrap_or("")
            } else {
                prefix
            };
            let indent: String = indent.chars().take_while(|c| c.is_whitespace()).collect();
            format!(",{newline}{indent}")
        } else if gap.trim() == "," {
            // Keep the list's own spacing: `"a","b"` in compact JSON, `"a", "b"` elsewhere.
            gap.to_string()
        } else {
            ", ".to_string()
        }
    }

    /// One list item, quoted as `like` (an existing item of the list) is.
    fn item(&self, pattern: &str, like: &str) -> String {
        self.spelling.string(pattern, like)
    }

    /// A whole flow list: `["a", "b"]` (`[a, b]` in YAML).
    fn list_literal(&self, patterns: &[String], like: &str) -> String {
        let items: Vec<String> = patterns.iter().map(|p| self.item(p, like)).collect();
        format!("[{}]", items.join(", "))
    }
}

/// What follows an item on its line (see [`Writer::line_tail`]).
struct LineTail {
    /// Just past the line break (or the end of the text).
    end: usize,
    /// A `,` follows the item.
    separator: bool,
}

fn spans(block: &ActionBlock) -> Vec<Span> {
    block.elements.iter().map(|e| e.span).collect()
}

/// The spelling of a syntax, from the crate of its format.
pub(crate) fn spelling(syntax: &Syntax) -> &'static dyn Spelling {
    match syntax {
        Syntax::Json => &Json,
        // Its comments are those of the text around it; its lists are never written.
        Syntax::Expanded(expansion) => spelling(&expansion.around),
        Syntax::Yaml => &iamprune_cfn::spelling::Yaml,
        Syntax::Hcl => &iamprune_terraform::spelling::Hcl,
        Syntax::EmbeddedJson(StringStyle::DoubleQuoted) => &EmbeddedJson {
            double_quoted: true,
        },
        Syntax::EmbeddedJson(_) => &EmbeddedJson {
            double_quoted: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text`, a one-statement policy, after element `i` of its `Action` is replaced by `patterns`.
    fn replaced(text: &str, syntax: Syntax, i: usize, patterns: &[&str]) -> String {
        let root = match syntax {
            Syntax::Yaml => iamprune_cfn::yaml::parse(text).map(|t| t.root),
            _ => iamprune_syntax::json::parse(text),
        }
        .unwrap_or_else(|e| panic!("{e}"));
        let document = PolicyDocument::from_node(&root).unwrap_or_else(|e| panic!("{e}"));
        let block = document.statements[0]
            .actions
            .as_ref()
            .unwrap_or_else(|| panic!("actions"));
        let file = FileText::new(text);
        let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        let mut out = text.to_string();
        for edit in Writer::new(&file, &syntax, false).replace_element(block, i, &patterns) {
            out.replace_range(edit.span.start..edit.span.end, &edit.content);
        }
        out
    }

    #[test]
    fn a_sorted_list_stays_sorted_unless_a_comment_would_lose_its_item() {
        let json = |actions: &str| {
            format!(
                r#"{{"Statement": [{{"Effect": "Allow", "Action": [{actions}], "Resource": "*"}}]}}"#
            )
        };
        let yaml = |items: &str| {
            format!("Statement:\n  - Effect: Allow\n    Action:\n{items}    Resource: '*'\n")
        };
        let cases = [
            // Sorted: the narrowed patterns go where they sort.
            (
                json(r#""s3:*Object*", "s3:ListBucket""#),
                Syntax::Json,
                0,
                json(r#""s3:GetObject", "s3:ListBucket", "s3:PutObject""#),
            ),
            (
                yaml("      - s3:*Object*\n      - s3:ListBucket\n"),
                Syntax::Yaml,
                0,
                yaml("      - s3:GetObject\n      - s3:ListBucket\n      - s3:PutObject\n"),
            ),
            // Not sorted: in place.
            (
                json(r#""s3:ListBucket", "s3:*Object*""#),
                Syntax::Json,
                1,
                json(r#""s3:ListBucket", "s3:GetObject", "s3:PutObject""#),
            ),
            // Sorting would part the comment from the item it describes: in place.
            (
                yaml("      - s3:*Object*  # the exports\n      - s3:ListBucket\n"),
                Syntax::Yaml,
                0,
                yaml(
                    "      - s3:GetObject\n      - s3:PutObject  # the exports\n      - s3:ListBucket\n",
                ),
            ),
        ];
        for (text, syntax, i, expected) in cases {
            assert_eq!(
                replaced(&text, syntax, i, &["s3:GetObject", "s3:PutObject"]),
                expected
            );
        }
    }
}
