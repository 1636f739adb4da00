//! `--format github`: workflow commands that GitHub Actions turns into annotations on the diff.

use iamprune_linter::{Level, Severity};

use crate::{Report, Sources, path_string};

pub fn github(report: &Report, sources: &Sources) -> String {
    let mut out = String::new();
    for d in &report.diagnostics {
        let (start, end) = sources.range(&d.file, d.span);
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut message = d.message.clone();
        if let Some(fix) = &d.fix {
            message.push_str(&format!("\nfix: {}", fix.title));
        }
        out.push_str(&format!(
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            property(&path_string(&d.file)),
            start.line,
            start.column,
            end.line,
            end.column,
            property(&format!("{} {}", d.rule.code(), d.rule.name())),
            data(&message)
        ));
    }
    for m in report.messages.iter().filter(|m| m.level == Level::Error) {
        let at = m.span.map(|s| sources.position(&m.file, s.start));
        out.push_str(&format!(
            "::error file={},line={},col={}::{}\n",
            property(&path_string(&m.file)),
            at.map_or(1, |p| p.line),
            at.map_or(1, |p| p.column),
            data(&m.message)
        ));
    }
    // The notes of the run or of a whole file, in the run's summary: they are about no line of a diff.
    for m in report
        .messages
        .iter()
        .filter(|m| m.level == Level::Note && m.span.is_none())
    {
        out.push_str(&format!(
            "::notice title=iamprune::{}\n",
            data(&format!("{}: {}", path_string(&m.file), m.message))
        ));
    }
    out
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
            github(&report, &Sources::new()),
            "::notice title=iamprune::infra: 3 files were not scanned: infra/.x/ (3)\n"
        );
    }
}
