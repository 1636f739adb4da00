//! `--format github`: workflow commands that GitHub Actions turns into annotations on the diff.

use iamprune_linter::{Level, Severity};

use crate::{Report, Sources, path_string};

/// GitHub shows this many annotations of each kind (error, warning, notice) per step and drops the
/// rest.
pub const ANNOTATIONS_PER_KIND: usize = 10;

/// Rows of the job summary table: a step summary holds at most 1 MiB.
const SUMMARY_ROWS: usize = 1_000;

/// Workflow commands for the first [`ANNOTATIONS_PER_KIND`] diagnostics of each kind, then one line
/// saying how many more there are and where they are listed: the job summary when `summary` is
/// written too (see [`github_summary`]).
pub fn github(report: &Report, sources: &Sources, summary: bool) -> String {
    let mut out = String::new();
    let mut shown = [0usize; 3];
    let mut hidden = [0usize; 3];
    let mut annotate = |kind: Kind, command: String, out: &mut String| {
        let i = kind as usize;
        if shown[i] < ANNOTATIONS_PER_KIND {
            shown[i] += 1;
            out.push_str(&command);
        } else {
            hidden[i] += 1;
        }
    };
    for d in &report.diagnostics {
        let (start, end) = sources.range(&d.file, d.span);
        let kind = match d.severity {
            Severity::Error => Kind::Error,
            Severity::Warning => Kind::Warning,
            Severity::Info => Kind::Notice,
        };
        let mut message = d.message.clone();
        if let Some(fix) = &d.fix {
            message.push_str(&format!("\nfix: {}", fix.title));
        }
        let command = format!(
            "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            kind.command(),
            property(&path_string(&d.file)),
            start.line,
            start.column,
            end.line,
            end.column,
            property(&format!("{} {}", d.rule.code(), d.rule.name())),
            data(&message)
        );
        annotate(kind, command, &mut out);
    }
    for m in report.messages.iter().filter(|m| m.level == Level::Error) {
        let at = m.span.map(|s| sources.position(&m.file, s.start));
        let command = format!(
            "::error file={},line={},col={}::{}\n",
            property(&path_string(&m.file)),
            at.map_or(1, |p| p.line),
            at.map_or(1, |p| p.column),
            data(&m.message)
        );
        annotate(Kind::Error, command, &mut out);
    }
    // The notes of the run or of a whole file, in the run's summary: they are about no line of a diff.
    for m in report
        .messages
        .iter()
        .filter(|m| m.level == Level::Note && m.span.is_none())
    {
        let command = format!(
            "::notice title=iamprune::{}\n",
            data(&format!("{}: {}", path_string(&m.file), m.message))
        );
        annotate(Kind::Notice, command, &mut out);
    }
    let more: usize = hidden.iter().sum();
    if more > 0 {
        let where_ = if summary {
            "the job summary lists them all"
        } else {
            "`--format text` lists them all"
        };
        out.push_str(&format!(
            "iamprune: {more} more not shown as annotations ({} errors, {} warnings, {} notices; GitHub \
             shows {ANNOTATIONS_PER_KIND} of each per step): {where_}\n",
            hidden[0], hidden[1], hidden[2]
        ));
    }
    out
}

#[derive(Clone, Copy)]
enum Kind {
    Error = 0,
    Warning = 1,
    Notice = 2,
}

impl Kind {
    fn command(self) -> &'static str {
        match self {
            Kind::Error => "error",
            Kind::Warning => "warning",
            Kind::Notice => "notice",
        }
    }
}

/// The whole report as Markdown for the job summary (`$GITHUB_STEP_SUMMARY`): the counts, then every
/// diagnostic and error of the run in a table (the first thousand, to stay within the summary's size).
pub fn github_summary(report: &Report, sources: &Sources) -> String {
    let count = |severity: Severity| {
        report
            .diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    };
    let errors: Vec<_> = report
        .messages
        .iter()
        .filter(|m| m.level == Level::Error)
        .collect();
    let mut out = format!(
        "## iamprune\n\n{} error(s), {} warning(s), {} info; {} file(s) could not be checked\n\n",
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
        errors.len()
    );
    if report.diagnostics.is_empty() && errors.is_empty() {
        return out;
    }
    out.push_str("| | Rule | Where | Message |\n|---|---|---|---|\n");
    let rows = report
        .diagnostics
        .iter()
        .map(|d| {
            let at = sources.position(&d.file, d.span.start);
            let rule = format!("{} {}", d.rule.code(), d.rule.name());
            (
                d.severity.as_str(),
                rule,
                path_string(&d.file),
                at.line,
                d.message.as_str(),
            )
        })
        .chain(errors.iter().map(|m| {
            let line = m
                .span
                .map_or(1, |s| sources.position(&m.file, s.start).line);
            (
                "error",
                String::new(),
                path_string(&m.file),
                line,
                m.message.as_str(),
            )
        }));
    let total = report.diagnostics.len() + errors.len();
    for (icon, rule, file, line, message) in rows.take(SUMMARY_ROWS) {
        out.push_str(&format!(
            "| {icon} | {} | `{}:{line}` | {} |\n",
            cell(&rule),
            file.replace('`', "'"),
            cell(message)
        ));
    }
    if total > SUMMARY_ROWS {
        out.push_str(&format!(
            "\n{} more not listed; `--format text` or `--format sarif` holds them all.\n",
            total - SUMMARY_ROWS
        ));
    }
    out
}

/// A Markdown table cell: one line, no column separators.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\r', '\n'], " ")
}

/// Workflow command data: `%`, CR and LF are escaped.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Workflow command properties: also `:` and `,`.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use iamprune_linter::Message;
    use iamprune_syntax::Span;

    use super::*;

    #[test]
    fn a_note_of_the_run_is_a_notice_and_a_note_at_a_place_is_not() {
        let note = |span: Option<Span>, message: &str| Message {
            level: Level::Note,
            file: PathBuf::from("infra"),
            span,
            message: message.into(),
        };
        let report = Report {
            messages: vec![
                note(None, "3 files were not scanned: infra/.x/ (3)"),
                note(Some(Span::new(0, 1)), "a variable"),
            ],
            ..Report::default()
        };
        assert_eq!(
            github(&report, &Sources::new(), false),
            "::notice title=iamprune::infra: 3 files were not scanned: infra/.x/ (3)\n"
        );
    }

    #[test]
    fn annotations_stop_at_what_github_shows_and_the_summary_lists_all() {
        let mut error = crate::fixtures::bare_diagnostic();
        error.severity = Severity::Error;
        error.message = "a | pipe\nand a line".into();
        let mut diagnostics = vec![crate::fixtures::bare_diagnostic(); 25];
        diagnostics.extend(vec![error; 3]);
        let report = Report {
            diagnostics,
            ..Report::default()
        };
        let out = github(&report, &Sources::new(), true);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("::warning")).count(),
            10
        );
        assert_eq!(lines.iter().filter(|l| l.starts_with("::error")).count(), 3);
        assert_eq!(
            lines.last().copied(),
            Some(
                "iamprune: 15 more not shown as annotations (0 errors, 15 warnings, 0 notices; \
                 GitHub shows 10 of each per step): the job summary lists them all"
            )
        );
        let summary = github_summary(&report, &Sources::new());
        assert!(summary.starts_with("## iamprune\n\n3 error(s), 25 warning(s), 0 info"));
        let rows: Vec<&str> = summary.lines().filter(|l| l.starts_with("| ")).collect();
        // The header, then every diagnostic.
        assert_eq!(rows.len(), 1 + 28);
        assert!(
            rows.contains(
                &"| error | IAM001 unused-action | `main.tf:1` | a \\| pipe and a line |"
            ),
            "{summary}"
        );
        let few = Report {
            diagnostics: vec![crate::fixtures::bare_diagnostic(); 10],
            ..Report::default()
        };
        assert!(!github(&few, &Sources::new(), false).contains("more not shown"));
    }
}
