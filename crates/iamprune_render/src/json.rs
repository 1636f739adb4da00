//! `--format json`: one object, the shape the CLI contract fixes.
//!
//! The structs below are that shape: field order is the order of the keys in the output, so it must
//! not change.

use std::path::Path;

use serde::Serialize;

use iamprune_linter::{Diagnostic, Edit, Fix, Level, Message, Related};
use iamprune_syntax::{Position, Span};

use crate::{JoinReport, Report, Sources, Stats, path_string};

/// The report `--format json` prints.
#[derive(Debug, Serialize)]
pub struct JsonReport<'r> {
    version: String,
    catalog: String,
    /// The configuration files used.
    configs: Vec<String>,
    diagnostics: Vec<JsonDiagnostic>,
    /// Files or documents that could not be checked.
    errors: Vec<JsonMessage>,
    notes: Vec<JsonMessage>,
    stats: Stats,
    /// Each source principal and what it is deployed as, each finding principal and whether it
    /// reached a policy, each policy findings reach but do not narrow. Borrowed: an organization's
    /// export makes it large.
    join: &'r JoinReport,
}

#[derive(Debug, Serialize)]
struct JsonDiagnostic {
    code: &'static str,
    name: &'static str,
    severity: &'static str,
    file: String,
    range: TextRange,
    message: String,
    principals: Vec<String>,
    /// `null` rather than absent, so that readers can rely on the key.
    fix: Option<JsonFix>,
    #[serde(skip_serializing_if = "Option::is_none")]
    construct: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<JsonRelated>,
}

#[derive(Debug, Serialize)]
struct JsonFix {
    applicability: &'static str,
    title: String,
    edits: Vec<JsonEdit>,
    refined: Vec<String>,
}

#[derive(Debug, Serialize)]
struct JsonEdit {
    file: String,
    range: TextRange,
    content: String,
}

#[derive(Debug, Serialize)]
struct JsonRelated {
    file: String,
    range: TextRange,
    message: String,
}

#[derive(Debug, Serialize)]
struct JsonMessage {
    file: String,
    /// `null` when the message is about the whole file.
    range: Option<TextRange>,
    message: String,
}

#[derive(Debug, Serialize)]
struct TextRange {
    start: TextPosition,
    end: TextPosition,
}

#[derive(Debug, Serialize)]
struct TextPosition {
    line: usize,
    column: usize,
    offset: usize,
}

pub fn json<'r>(report: &'r Report, sources: &Sources) -> JsonReport<'r> {
    JsonReport {
        version: report.version.clone(),
        catalog: report.catalog.clone(),
        configs: report.configs.iter().map(|p| path_string(p)).collect(),
        diagnostics: report
            .diagnostics
            .iter()
            .map(|d| diagnostic(d, sources))
            .collect(),
        errors: messages(report, Level::Error, sources),
        notes: messages(report, Level::Note, sources),
        stats: report.stats,
        join: &report.join,
    }
}

fn diagnostic(d: &Diagnostic, sources: &Sources) -> JsonDiagnostic {
    JsonDiagnostic {
        code: d.rule.code(),
        name: d.rule.name(),
        severity: d.severity.as_str(),
        file: path_string(&d.file),
        range: range(sources, &d.file, d.span),
        message: d.message.clone(),
        principals: d.principals.clone(),
        fix: d.fix.as_ref().map(|f| fix(&d.file, f, sources)),
        construct: d.construct_path.clone(),
        related: d.related.iter().map(|r| related(r, sources)).collect(),
    }
}

/// A fix of the diagnostic in `file`: its edits are in that file.
fn fix(file: &Path, fix: &Fix, sources: &Sources) -> JsonFix {
    JsonFix {
        applicability: fix.applicability.as_str(),
        title: fix.title.clone(),
        edits: fix.edits.iter().map(|e| edit(file, e, sources)).collect(),
        refined: fix.refined.clone(),
    }
}

fn edit(file: &Path, edit: &Edit, sources: &Sources) -> JsonEdit {
    JsonEdit {
        file: path_string(file),
        range: range(sources, file, edit.span),
        content: edit.content.clone(),
    }
}

fn related(related: &Related, sources: &Sources) -> JsonRelated {
    JsonRelated {
        file: path_string(&related.file),
        range: range(sources, &related.file, related.span),
        message: related.message.clone(),
    }
}

fn messages(report: &Report, level: Level, sources: &Sources) -> Vec<JsonMessage> {
    report
        .messages
        .iter()
        .filter(|m| m.level == level)
        .map(|m| message(m, sources))
        .collect()
}

fn message(m: &Message, sources: &Sources) -> JsonMessage {
    JsonMessage {
        file: path_string(&m.file),
        range: m.span.map(|s| range(sources, &m.file, s)),
        message: m.message.clone(),
    }
}

fn range(sources: &Sources, file: &Path, span: Span) -> TextRange {
    let (start, end) = sources.range(file, span);
    TextRange {
        start: start.into(),
        end: end.into(),
    }
}

impl From<Position> for TextPosition {
    fn from(p: Position) -> Self {
        TextPosition {
            line: p.line,
            column: p.column,
            offset: p.offset,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::fixtures::bare_diagnostic;

    fn keys(d: &Diagnostic) -> Vec<String> {
        let value = serde_json::to_value(diagnostic(d, &Sources::new())).unwrap_or_default();
        value
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    }

    #[test]
    fn fix_is_null_and_construct_and_related_are_absent_when_missing() {
        let d = bare_diagnostic();
        let value = serde_json::to_value(diagnostic(&d, &Sources::new())).unwrap_or_default();
        assert_eq!(value["fix"], serde_json::Value::Null);
        assert_eq!(
            keys(&d),
            [
                "code",
                "name",
                "severity",
                "file",
                "range",
                "message",
                "principals",
                "fix"
            ]
        );
    }

    #[test]
    fn construct_and_related_follow_the_fix() {
        let mut d = bare_diagnostic();
        d.construct_path = Some("Stack/Role".into());
        d.related.push(Related {
            file: PathBuf::from("lib/stack.ts"),
            span: Span::new(0, 1),
            message: "written here".into(),
        });
        assert_eq!(keys(&d)[7..], ["fix", "construct", "related"]);
    }
}
