//! The edge between the engine and the protocol: URIs to paths and back, byte spans to ranges in the
//! negotiated encoding, the engine's diagnostics, messages and edits as LSP values. Nothing else in the
//! server converts.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lsp_types as lsp;

use iamprune_linter::check::UnitReport;
use iamprune_linter::{Diagnostic, Edit, Level, Message, Rule, Severity};
use iamprune_syntax::Span;

use crate::position::{Encoding, LineMap};

/// Where a rule's page lives, for the link on each diagnostic's code.
const RULE_URL: &str = "https://github.com/iamprune/iamprune/blob/main/rules/";

// --- from the protocol ------------------------------------------------------------------------------

/// The path of a `file:` URI, canonical; `None` for other schemes (untitled buffers).
pub fn path_of_uri(uri: &lsp::Uri) -> Option<PathBuf> {
    uri.to_file_path().ok().map(|p| canonical(&p))
}

pub fn path_of_uri_str(uri: &str) -> Option<PathBuf> {
    path_of_uri(&lsp::Uri::parse(uri).ok()?)
}

/// Paths are compared canonical, as `iamprune.toml` is found: a symlinked directory must not make two
/// documents of one file. A file not yet on disk keeps its path.
pub fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Applies one change the editor sent to its text.
pub fn apply_change(
    text: &mut String,
    change: lsp::TextDocumentContentChangeEvent,
    encoding: Encoding,
) {
    match change {
        lsp::TextDocumentContentChangeEvent::TextDocumentContentChangeWholeDocument(whole) => {
            *text = whole.text;
        }
        lsp::TextDocumentContentChangeEvent::TextDocumentContentChangePartial(partial) => {
            let span: Span = LineMap::new(text).span(partial.range, encoding);
            text.replace_range(span.range(), &partial.text);
        }
    }
}

// --- to the protocol --------------------------------------------------------------------------------

/// How the server reaches the texts and URIs of files while converting.
pub trait Files {
    fn text(&self, path: &Path) -> Option<String>;
    fn uri(&self, path: &Path) -> Option<lsp::Uri>;
}

pub fn diagnostic(
    diagnostic: &Diagnostic,
    map: &LineMap,
    encoding: Encoding,
    files: &dyn Files,
) -> lsp::Diagnostic {
    let code = diagnostic.rule.code();
    let related: Vec<lsp::DiagnosticRelatedInformation> = diagnostic
        .related
        .iter()
        .filter_map(|related| {
            let text = files.text(&related.file)?;
            Some(lsp::DiagnosticRelatedInformation {
                location: lsp::Location {
                    uri: files.uri(&related.file)?,
                    range: LineMap::new(&text).range(related.span, encoding),
                },
                message: related.message.clone(),
            })
        })
        .collect();
    let unnecessary = matches!(
        diagnostic.rule,
        Rule::UnusedAction | Rule::UnusedService | Rule::RedundantAction
    );
    lsp::Diagnostic {
        range: map.range(diagnostic.span, encoding),
        severity: Some(match diagnostic.severity {
            Severity::Error => lsp::DiagnosticSeverity::Error,
            Severity::Warning => lsp::DiagnosticSeverity::Warning,
            Severity::Info => lsp::DiagnosticSeverity::Information,
        }),
        code: Some(lsp::Code::String(code.to_string())),
        code_description: rule_page(diagnostic.rule).map(|href| lsp::CodeDescription { href }),
        source: Some("iamprune".into()),
        message: lsp::Message::String(diagnostic.message.clone()),
        tags: unnecessary.then(|| vec![lsp::DiagnosticTag::Unnecessary]),
        related_information: (!related.is_empty()).then_some(related),
        data: None,
    }
}

/// The page of a rule, parsed once: a check of a large template publishes thousands of diagnostics.
fn rule_page(rule: Rule) -> Option<lsp::Uri> {
    static PAGES: std::sync::OnceLock<Vec<(Rule, lsp::Uri)>> = std::sync::OnceLock::new();
    PAGES
        .get_or_init(|| {
            Rule::ALL
                .iter()
                .filter_map(|r| {
                    let page = lsp::Uri::parse(&format!("{RULE_URL}{}.md", r.code())).ok()?;
                    Some((*r, page))
                })
                .collect()
        })
        .iter()
        .find(|(r, _)| *r == rule)
        .map(|(_, page)| page.clone())
}

/// The diagnostics of one file of a unit's report, whose text is `map`'s: the rules' findings, then the
/// errors and notes that kept part of it from being checked.
pub fn file_diagnostics(
    report: &UnitReport,
    file: &Path,
    map: &LineMap,
    encoding: Encoding,
    files: &dyn Files,
) -> Vec<lsp::Diagnostic> {
    let findings = report
        .diagnostics
        .iter()
        .filter(|d| d.file == file)
        .map(|d| diagnostic(d, map, encoding, files));
    let messages = report
        .messages
        .iter()
        .filter(|m| m.file == file)
        .map(|m| message(m, map, encoding));
    findings.chain(messages).collect()
}

/// An error (syntax, a document that is not a policy) or a note that kept part of a file from being
/// checked.
pub fn message(message: &Message, map: &LineMap, encoding: Encoding) -> lsp::Diagnostic {
    lsp::Diagnostic {
        range: map.range(message.span.unwrap_or_default(), encoding),
        severity: Some(match message.level {
            Level::Error => lsp::DiagnosticSeverity::Error,
            Level::Note => lsp::DiagnosticSeverity::Hint,
        }),
        source: Some("iamprune".into()),
        message: lsp::Message::String(message.message.clone()),
        ..Default::default()
    }
}

/// Edits by file as a workspace edit, each file's spans converted with that file's text. `None` when
/// some file's text or URI is not known: a partial fix must never be offered.
pub fn workspace_edit<'e>(
    edits: impl IntoIterator<Item = (&'e Path, &'e [Edit])>,
    encoding: Encoding,
    files: &dyn Files,
) -> Option<lsp::WorkspaceEdit> {
    let mut changes = HashMap::new();
    for (file, edits) in edits {
        let text = files.text(file)?;
        let map = LineMap::new(&text);
        let mut text_edits: Vec<lsp::TextEdit> = edits
            .iter()
            .map(|edit| lsp::TextEdit {
                range: map.range(edit.span, encoding),
                new_text: edit.content.clone(),
            })
            .collect();
        text_edits.sort_by_key(|e| e.range.start);
        changes.insert(files.uri(file)?, text_edits);
    }
    Some(lsp::WorkspaceEdit {
        changes: Some(changes),
        ..Default::default()
    })
}
