//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it.

mod model;

use std::collections::BTreeMap;
use std::path::Path;

use iamprune_linter::{Diagnostic, Edit, Level as MessageLevel, Related, Rule, Severity};
use iamprune_syntax::Span;

use crate::{Report, Sources, fingerprints, uri};
use model::{
    ArtifactChange, ArtifactContent, ArtifactLocation, ColumnKind, Fix, Invocation, Level,
    Location, Message, MultiformatMessageString, Notification, PhysicalLocation, PropertyBag,
    Region, Replacement, ReportingConfiguration, ReportingDescriptor, RuleProperties, Run,
    RunAutomationDetails, SarifResult, Tool, ToolComponent,
};

pub use model::SarifLog;

/// The name of the fingerprint method in `partialFingerprints`; a new method takes a new version.
const FINGERPRINT: &str = "iamprune/v1";

pub fn sarif(report: &Report, sources: &Sources) -> SarifLog {
    let results = report
        .diagnostics
        .iter()
        .zip(fingerprints(report, sources))
        .map(|(d, fingerprint)| result(d, fingerprint, sources))
        .collect();
    SarifLog::new(vec![Run {
        tool: Tool {
            driver: driver(report),
        },
        automation_details: RunAutomationDetails {
            id: "iamprune/".into(),
        },
        original_uri_base_ids: BTreeMap::from([(
            SRCROOT.to_string(),
            ArtifactLocation {
                uri: root_uri(),
                uri_base_id: None,
            },
        )]),
        column_kind: ColumnKind::UnicodeCodePoints,
        results,
        invocations: vec![invocation(report, sources)],
    }])
}

fn driver(report: &Report) -> ToolComponent {
    ToolComponent {
        name: "iamprune".into(),
        full_name: format!("iamprune {}", report.version),
        version: report.version.clone(),
        semantic_version: report.version.clone(),
        information_uri: env!("CARGO_PKG_REPOSITORY").into(),
        rules: Rule::ALL.iter().map(|r| rule(*r)).collect(),
        properties: PropertyBag::from([("catalog".into(), report.catalog.clone())]),
    }
}

fn rule(rule: Rule) -> ReportingDescriptor {
    let meta = rule.meta();
    let page = rule.page();
    ReportingDescriptor {
        id: meta.code.into(),
        name: meta.name.into(),
        short_description: plain(meta.summary),
        full_description: plain(meta.summary),
        // The page is Markdown that reads well as plain text too.
        help: MultiformatMessageString {
            text: page.clone(),
            markdown: Some(page),
        },
        // The page as released with this version, so that it matches the rule that reported.
        help_uri: format!(
            "{}/blob/v{}/rules/{}.md",
            env!("CARGO_PKG_REPOSITORY"),
            env!("CARGO_PKG_VERSION"),
            meta.code
        ),
        default_configuration: ReportingConfiguration {
            level: level(meta.severity),
        },
        properties: RuleProperties {
            security_severity: (meta.security_severity > 0.0)
                .then(|| format!("{:.1}", meta.security_severity)),
            tags: meta.tags.iter().map(|t| t.to_string()).collect(),
        },
    }
}

fn result(d: &Diagnostic, fingerprint: String, sources: &Sources) -> SarifResult {
    SarifResult {
        rule_id: d.rule.code().into(),
        rule_index: Rule::ALL.iter().position(|r| *r == d.rule).unwrap_or(0),
        level: level(d.severity),
        message: message(&d.message),
        locations: vec![location(physical_location(sources, &d.file, Some(d.span)))],
        partial_fingerprints: BTreeMap::from([(FINGERPRINT.into(), fingerprint)]),
        related_locations: d
            .related
            .iter()
            .enumerate()
            .map(|(id, r)| related_location(id, r, sources))
            .collect(),
        fixes: fixes(&d.file, d.fix.as_ref(), sources),
    }
}

fn related_location(id: usize, related: &Related, sources: &Sources) -> Location {
    Location {
        id: Some(id),
        message: Some(message(&related.message)),
        physical_location: physical_location(sources, &related.file, Some(related.span)),
    }
}

/// A fix without edits can only be made by hand, so code scanning is given none. The edits of a fix
/// are in its diagnostic's file.
fn fixes(file: &Path, fix: Option<&iamprune_linter::Fix>, sources: &Sources) -> Vec<Fix> {
    fix.filter(|f| !f.edits.is_empty())
        .map(|f| Fix {
            description: message(&f.title),
            artifact_changes: f
                .edits
                .iter()
                .map(|e| artifact_change(file, e, sources))
                .collect(),
        })
        .into_iter()
        .collect()
}

fn artifact_change(file: &Path, edit: &Edit, sources: &Sources) -> ArtifactChange {
    ArtifactChange {
        artifact_location: artifact_location(file),
        replacements: vec![Replacement {
            deleted_region: region(sources, file, edit.span),
            inserted_content: ArtifactContent {
                text: edit.content.clone(),
            },
        }],
    }
}

/// Files that could not be checked are the run's notifications, so code scanning shows them too; so are
/// the notes of the run or of a whole file (what the walk left out, findings that reach no policy). A
/// note at a place in the source tells the context of a result there, and is not one.
fn invocation(report: &Report, sources: &Sources) -> Invocation {
    Invocation {
        execution_successful: true,
        tool_execution_notifications: report
            .messages
            .iter()
            .filter_map(|m| {
                let level = match m.level {
                    MessageLevel::Error => Level::Error,
                    MessageLevel::Note if m.span.is_none() => Level::Note,
                    MessageLevel::Note => return None,
                };
                Some(Notification {
                    level,
                    message: message(&m.message),
                    locations: vec![location(physical_location(sources, &m.file, m.span))],
                })
            })
            .collect(),
    }
}

fn level(severity: Severity) -> Level {
    match severity {
        Severity::Error => Level::Error,
        Severity::Warning => Level::Warning,
        Severity::Info => Level::Note,
    }
}

fn message(text: &str) -> Message {
    Message { text: text.into() }
}

fn plain(text: &str) -> MultiformatMessageString {
    MultiformatMessageString {
        text: text.into(),
        markdown: None,
    }
}

fn location(physical_location: PhysicalLocation) -> Location {
    Location {
        id: None,
        message: None,
        physical_location,
    }
}

/// The file, and the region in it when there is a span.
fn physical_location(sources: &Sources, file: &Path, span: Option<Span>) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: artifact_location(file),
        region: span.map(|s| region(sources, file, s)),
    }
}

/// The base id artifact URIs are relative to: the repository root, where code scanning expects them.
const SRCROOT: &str = "%SRCROOT%";

/// `file:///…/` of the repository root (with the final slash a base URI needs).
fn root_uri() -> String {
    let root = crate::source_root().unwrap_or_default();
    let text = uri(&root);
    let text = if text.starts_with("file://") {
        text
    } else {
        format!("file://{text}")
    };
    if text.ends_with('/') {
        text
    } else {
        format!("{text}/")
    }
}

/// A file as a URI relative to the repository root (`%SRCROOT%`), whatever path the scan was started
/// with (`.`, `./infra`, absolute); a file outside the root keeps an absolute URI.
fn artifact_location(file: &Path) -> ArtifactLocation {
    match crate::repository_path(file) {
        Some(relative) => ArtifactLocation {
            uri: uri(&relative),
            uri_base_id: Some(SRCROOT.into()),
        },
        None => ArtifactLocation {
            uri: uri(file),
            uri_base_id: None,
        },
    }
}

/// 1-based lines and columns in code points (the run's `columnKind`), with byte offsets too.
fn region(sources: &Sources, file: &Path, span: Span) -> Region {
    let (start, end) = sources.range(file, span);
    Region {
        start_line: start.line,
        start_column: start.column,
        end_line: end.line,
        end_column: end.column,
        byte_offset: span.start,
        byte_length: span.len(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use iamprune_linter::Applicability;

    use super::*;
    use crate::fixtures::bare_diagnostic;

    fn serialized(value: impl serde::Serialize) -> serde_json::Value {
        serde_json::to_value(value).unwrap_or_default()
    }

    #[test]
    fn a_result_without_related_places_or_edits_has_neither_key() {
        let mut d = bare_diagnostic();
        d.fix = Some(iamprune_linter::Fix {
            applicability: Applicability::DisplayOnly,
            title: "remove the policy by hand".into(),
            edits: Vec::new(),
            refined: Vec::new(),
        });
        let result = serialized(result(&d, "0".into(), &Sources::new()));
        assert!(result.get("relatedLocations").is_none());
        assert!(result.get("fixes").is_none());
    }

    #[test]
    fn a_notification_about_a_whole_file_has_no_region() {
        let report = Report {
            messages: vec![iamprune_linter::Message {
                level: MessageLevel::Error,
                file: PathBuf::from("broken.tf"),
                span: None,
                message: "syntax error".into(),
            }],
            ..Report::default()
        };
        let invocation = serialized(invocation(&report, &Sources::new()));
        let physical =
            &invocation["toolExecutionNotifications"][0]["locations"][0]["physicalLocation"];
        // Relative to the repository root, wherever the test runs from.
        let uri = physical["artifactLocation"]["uri"].as_str().unwrap_or("");
        assert!(uri.ends_with("broken.tf"), "{uri}");
        assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(physical.get("region").is_none());
    }

    #[test]
    fn a_note_of_the_run_is_a_notification_and_a_note_at_a_place_is_not() {
        let note = |span: Option<Span>, message: &str| iamprune_linter::Message {
            level: MessageLevel::Note,
            file: PathBuf::from("."),
            span,
            message: message.into(),
        };
        let report = Report {
            messages: vec![
                note(None, "3 files were not scanned"),
                note(Some(Span::new(0, 1)), "a variable"),
            ],
            ..Report::default()
        };
        let invocation = serialized(invocation(&report, &Sources::new()));
        let notifications = &invocation["toolExecutionNotifications"];
        assert_eq!(notifications.as_array().map(Vec::len), Some(1));
        assert_eq!(notifications[0]["level"], "note");
        assert_eq!(
            notifications[0]["message"]["text"],
            "3 files were not scanned"
        );
    }
}
