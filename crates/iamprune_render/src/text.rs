//! `--format text`: annotated source, the fix shown as a diff, and a summary line.

use annotate_snippets::{AnnotationKind, Group, Level, Patch, Renderer, Snippet};

use iamprune_linter::{Applicability, Level as MessageLevel, Severity};

use crate::{Report, Sources, path_string};

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
        let Some(source) = sources.text(&d.file) else {
            let at = sources.position(&d.file, d.span.start);
            out.push_str(&format!(
                "{path}:{}:{}: {} [{}] {}\n",
                at.line,
                at.column,
                d.severity,
                d.rule.code(),
                d.message
            ));
            continue;
        };
        let mut title = level
            .primary_title(d.message.as_str())
            .id(d.rule.code())
            .element(
                Snippet::source(source).path(path.as_str()).annotation(
                    AnnotationKind::Primary
                        .span(d.span.range())
                        .label(d.rule.name()),
                ),
            );
        if let Some(construct) = &d.construct_path {
            title = title.element(Level::NOTE.message(format!("construct {construct}")));
        }
        let mut groups = vec![title];
        for related in &d.related {
            let Some(related_source) = sources.text(&related.file) else {
                continue;
            };
            let related_path = path_string(&related.file);
            groups.push(
                Level::NOTE
                    .secondary_title(related.message.clone())
                    .element(
                        Snippet::source(related_source)
                            .path(related_path)
                            .annotation(AnnotationKind::Context.span(related.span.range())),
                    ),
            );
        }
        if let Some(fix) = &d.fix {
            let label = match fix.applicability {
                Applicability::Safe => format!("{} (`iamprune fix` applies it)", fix.title),
                Applicability::DisplayOnly => format!("{} (not applied automatically)", fix.title),
            };
            let help = Level::HELP.secondary_title(label);
            groups.push(if fix.edits.is_empty() {
                Group::with_title(help)
            } else {
                help.element(
                    Snippet::source(source).path(path.as_str()).patches(
                        fix.edits
                            .iter()
                            .map(|e| Patch::new(e.span.range(), e.content.as_str())),
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
