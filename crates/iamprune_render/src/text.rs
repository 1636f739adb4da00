//! `--format text`: annotated source, the fix shown as a diff, and a summary line.

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Patch, Renderer, Snippet};

use iamprune_linter::{Applicability, Diagnostic, Level as MessageLevel, Severity};
use iamprune_syntax::Span;

use crate::{Report, Sources, path_string};

/// Lines longer than this are not shown (a minified template is one line of megabytes: showing it
/// for each of its diagnostics would print gigabytes). The place and the fix's title still are.
const MAX_LINE: usize = 1_000;

/// The lines of a file that a diagnostic and its fix touch: what its snippet shows, so that rendering
/// it costs those lines rather than the whole file.
struct Excerpt<'a> {
    text: &'a str,
    /// The byte offset of `text` in the file.
    start: usize,
    /// The 1-based number of its first line.
    line: usize,
}

impl Excerpt<'_> {
    /// A span of the file as a range of the excerpt.
    fn range(&self, span: Span) -> std::ops::Range<usize> {
        span.start.saturating_sub(self.start)..span.end.saturating_sub(self.start)
    }
}

/// The whole lines of `path` that `spans` touch; `None` when the file is unknown or one of those lines
/// is too long to show.
fn excerpt_of<'a>(
    sources: &'a Sources,
    path: &std::path::Path,
    spans: &[Span],
) -> Option<Excerpt<'a>> {
    let (source, index) = sources.indexed(path)?;
    let from = spans.iter().map(|s| s.start).min()?;
    let to = spans.iter().map(|s| s.end.max(s.start)).max()?;
    let start = index.line_span(from).start;
    // A span that ends just after a line break ends on that line.
    let end = index.line_span(to.saturating_sub(1).max(from)).end;
    let text = source.get(start..end)?;
    if text.split('\n').any(|line| line.len() > MAX_LINE) {
        return None;
    }
    Some(Excerpt {
        text,
        start,
        line: index.position(start).line,
    })
}

#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    pub color: bool,
}

pub fn text(report: &Report, sources: &Sources, options: TextOptions) -> String {
    let renderer = if options.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for m in &report.messages {
        let at = m.span.map(|s| sources.position(&m.file, s.start));
        let place = match at {
            Some(p) => format!("{}:{}:{}", path_string(&m.file), p.line, p.column),
            None => path_string(&m.file),
        };
        let level = match m.level {
            MessageLevel::Error => "error",
            MessageLevel::Note => "note",
        };
        out.push_str(&format!("{place}: {level}: {}\n", m.message));
    }
    if !report.messages.is_empty() && !report.diagnostics.is_empty() {
        out.push('\n');
    }
    for d in &report.diagnostics {
        let path = path_string(&d.file);
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
            Severity::Info => Level::INFO,
        };
        let text = sources.text(&d.file).unwrap_or_default();
        let shown_edits: Vec<(Span, &str)> = d
            .fix
            .iter()
            .flat_map(|fix| &fix.edits)
            .map(|e| (whole_lines(text, e), e.content.as_str()))
            .collect();
        let mut touched = vec![d.span];
        touched.extend(shown_edits.iter().map(|(span, _)| *span));
        let Some(excerpt) = excerpt_of(sources, &d.file, &touched) else {
            out.push_str(&renderer.render(&without_source(d, sources, level)));
            out.push_str("\n\n");
            continue;
        };
        let mut title = level
            .primary_title(d.message.as_str())
            .id(d.rule.code())
            .element(
                Snippet::source(excerpt.text)
                    .line_start(excerpt.line)
                    .path(path.as_str())
                    .annotation(
                        AnnotationKind::Primary
                            .span(excerpt.range(d.span))
                            .label(d.rule.name()),
                    ),
            );
        if let Some(construct) = &d.construct_path {
            title = title.element(Level::NOTE.message(format!("construct {construct}")));
        }
        let mut groups = vec![title];
        for related in &d.related {
            let Some(related_excerpt) = excerpt_of(sources, &related.file, &[related.span]) else {
                continue;
            };
            let related_path = path_string(&related.file);
            groups.push(
                Level::NOTE
                    .secondary_title(related.message.clone())
                    .element(
                        Snippet::source(related_excerpt.text)
                            .line_start(related_excerpt.line)
                            .path(related_path)
                            .annotation(
                                AnnotationKind::Context.span(related_excerpt.range(related.span)),
                            ),
                    ),
            );
        }
        if let Some(fix) = &d.fix {
            let help = Level::HELP.secondary_title(fix_label(fix));
            groups.push(if fix.edits.is_empty() {
                Group::with_title(help)
            } else {
                help.element(
                    Snippet::source(excerpt.text)
                        .line_start(excerpt.line)
                        .path(path.as_str())
                        .patches(
                            shown_edits
                                .iter()
                                .map(|&(span, content)| Patch::new(excerpt.range(span), content)),
                        ),
                )
            });
        }
        out.push_str(&renderer.render(&groups));
        out.push_str("\n\n");
    }
    out.push_str(&summary(report));
    out
}

/// The span of `edit` as shown in a diff. Removing the last item of a YAML list or an HCL block takes
/// the line break before it and the line up to its end: a diff of that shows the line above as removed
/// and added again. Removing the line and the break after it instead changes the text the same way,
/// and shows as the one line removed.
fn whole_lines(text: &str, edit: &iamprune_linter::Edit) -> Span {
    let span = edit.span;
    if !edit.content.is_empty() {
        return span;
    }
    let removed = text.get(span.start..span.end).unwrap_or_default();
    let after = text.get(span.end..).unwrap_or_default();
    for line_break in ["\r\n", "\n"] {
        if removed.starts_with(line_break) && after.starts_with(line_break) {
            let shift = line_break.len();
            return Span::new(span.start + shift, span.end + shift);
        }
    }
    span
}

fn fix_label(fix: &iamprune_linter::Fix) -> String {
    match fix.applicability {
        Applicability::Safe => format!("{} (`iamprune fix` applies it)", fix.title),
        Applicability::DisplayOnly => format!("{} (not applied automatically)", fix.title),
    }
}

/// A diagnostic whose lines are not shown (an unknown file, or a line too long to show): its place,
/// its message and its fix's title.
fn without_source<'a>(d: &'a Diagnostic, sources: &Sources, level: Level<'a>) -> Vec<Group<'a>> {
    let at = sources.position(&d.file, d.span.start);
    let mut title = level
        .primary_title(d.message.as_str())
        .id(d.rule.code())
        .element(
            Origin::path(path_string(&d.file))
                .line(at.line)
                .char_column(at.column),
        );
    if sources.text(&d.file).is_some() {
        let edits = d.fix.as_ref().is_some_and(|f| !f.edits.is_empty());
        title = title.element(Level::NOTE.message(format!(
            "the line is over {MAX_LINE} characters long and is not shown{}",
            if edits {
                "; `--format json` holds the fix's edits"
            } else {
                ""
            }
        )));
    }
    let mut groups = vec![title];
    if let Some(fix) = &d.fix {
        groups.push(Group::with_title(
            Level::HELP.secondary_title(fix_label(fix)),
        ));
    }
    groups
}

/// "findings for 14 principal(s): 12 joined, 2 not (see `iamprune principals`)"; `None` without
/// findings.
pub fn join_coverage(join: &crate::JoinReport) -> Option<String> {
    if join.findings.is_empty() {
        return None;
    }
    let total = join.findings.len();
    let joined = join.joined();
    let mut line = format!(
        "findings for {total} principal(s): {joined} joined, {} not",
        total - joined
    );
    if joined < total || !join.policies.is_empty() {
        line.push_str(" (see `iamprune principals`)");
    }
    Some(line)
}

fn summary(report: &Report) -> String {
    let count = |s: Severity| {
        report
            .diagnostics
            .iter()
            .filter(|d| d.severity == s)
            .count()
    };
    let fixable = report
        .diagnostics
        .iter()
        .filter(|d| {
            d.fix
                .as_ref()
                .is_some_and(|f| f.applicability == Applicability::Safe && !f.edits.is_empty())
        })
        .count();
    let errors = report
        .messages
        .iter()
        .filter(|m| m.level == MessageLevel::Error)
        .count();
    let mut line = format!(
        "{} error(s), {} warning(s), {} info in {} policies ({} files)",
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
        report.stats.policies,
        report.stats.files
    );
    if fixable > 0 {
        line.push_str(&format!("; {fixable} fixable with `iamprune fix`"));
    }
    if errors > 0 {
        line.push_str(&format!("; {errors} file(s) could not be checked"));
    }
    if let Some(coverage) = join_coverage(&report.join) {
        line.push('\n');
        line.push_str(&coverage);
    }
    line.push_str(&format!("\ncatalog: {}\n", report.catalog));
    let configs: Vec<String> = report.configs.iter().map(|p| path_string(p)).collect();
    line.push_str(&match configs.as_slice() {
        [] => "config: none (defaults)\n".to_string(),
        many => format!("config: {}\n", many.join(", ")),
    });
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use iamprune_linter::Edit;

    /// What a diff of the shown span of removing `from` (to the end of `PutObject`) takes away; the
    /// shown edit must change the text as the edit does.
    fn removed(text: &str, from: &str) -> String {
        let start = text.find(from).unwrap_or_else(|| panic!("{from}"));
        let end = text
            .find("PutObject")
            .map_or(0, |at| at + "PutObject".len());
        let edit = Edit::replace(Span::new(start, end), "");
        let span = whole_lines(text, &edit);
        let after = |s: Span| format!("{}{}", &text[..s.start], &text[s.end..]);
        assert_eq!(after(span), after(edit.span), "{text:?}");
        text[span.start..span.end].to_string()
    }

    #[test]
    fn removing_a_last_item_shows_as_its_own_lines() {
        for (text, from, shown) in [
            // YAML's last item, LF and CRLF: the line and the break after it.
            (
                "Action:\n  - s3:GetObject\n  - s3:PutObject\nResource: x\n",
                "\n  - s3:P",
                "  - s3:PutObject\n",
            ),
            (
                "Action:\r\n  - s3:GetObject\r\n  - s3:PutObject\r\nResource: x\r\n",
                "\r\n  - s3:P",
                "  - s3:PutObject\r\n",
            ),
            // At the end of the file no line break follows to take instead.
            (
                "Action:\n  - s3:GetObject\n  - s3:PutObject",
                "\n  - s3:P",
                "\n  - s3:PutObject",
            ),
            // An element removed inside its line.
            (
                "Action: [s3:GetObject, s3:PutObject]\n",
                ", s3:P",
                ", s3:PutObject",
            ),
        ] {
            assert_eq!(removed(text, from), shown, "{text:?}");
        }
    }

    #[test]
    fn a_replacement_shows_as_it_is() {
        // A replacement is never moved.
        let text = "a\nb\nc\n";
        let edit = Edit::replace(Span::new(1, 3), "x");
        assert_eq!(whole_lines(text, &edit), Span::new(1, 3));
    }
}
