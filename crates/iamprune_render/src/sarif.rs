//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it.

use serde_json::{Value, json};

use iamprune_linter::{Level, Rule, Severity};
use iamprune_syntax::Span;

use crate::{Report, Sources, fingerprints, uri};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn sarif(report: &Report, sources: &Sources) -> Value {
    let rules: Vec<Value> = Rule::ALL.iter().map(|r| rule(*r)).collect();
    let fingerprints = fingerprints(report, sources);
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .zip(&fingerprints)
        .map(|(d, fingerprint)| {
            let rule_index = Rule::ALL.iter().position(|r| *r == d.rule).unwrap_or(0);
            let mut result = json!({
                "ruleId": d.rule.code(),
                "ruleIndex": rule_index,
                "level": level(d.severity),
                "message": {"text": d.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&d.file)},
                        "region": region(sources, &d.file, d.span),
                    }
                }],
                "partialFingerprints": {"iamprune/v1": fingerprint},
            });
            if let (false, Some(map)) = (d.related.is_empty(), result.as_object_mut()) {
                let related: Vec<Value> = d
                    .related
                    .iter()
                    .enumerate()
                    .map(|(id, r)| {
                        json!({
                            "id": id,
                            "message": {"text": r.message},
                            "physicalLocation": {
                                "artifactLocation": {"uri": uri(&r.file)},
                                "region": region(sources, &r.file, r.span),
                            },
                        })
                    })
                    .collect();
                map.insert("relatedLocations".into(), json!(related));
            }
            if let (Some(fix), Some(map)) = (
                d.fix.as_ref().filter(|f| !f.edits.is_empty()),
                result.as_object_mut(),
            ) {
                let changes: Vec<Value> = fix
                    .edits
                    .iter()
                    .map(|e| {
                        json!({
                            "artifactLocation": {"uri": uri(&e.file)},
                            "replacements": [{
                                "deletedRegion": region(sources, &e.file, e.span),
                                "insertedContent": {"text": e.content},
                            }],
                        })
                    })
                    .collect();
                map.insert(
                    "fixes".into(),
                    json!([{"description": {"text": fix.title}, "artifactChanges": changes}]),
                );
            }
            result
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "iamprune",
                "version": report.version,
                "semanticVersion": report.version,
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules,
                "properties": {"catalog": report.catalog},
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
            "invocations": [invocation(report, sources)],
        }],
    })
}

/// Files that could not be checked are the run's notifications, so code scanning shows them too.
fn invocation(report: &Report, sources: &Sources) -> Value {
    let notifications: Vec<Value> = report
        .messages
        .iter()
        .filter(|m| m.level == Level::Error)
        .map(|m| {
            let mut location =
                json!({"physicalLocation": {"artifactLocation": {"uri": uri(&m.file)}}});
            if let (Some(span), Some(physical)) =
                (m.span, location["physicalLocation"].as_object_mut())
            {
                physical.insert("region".into(), region(sources, &m.file, span));
            }
            json!({"level": "error", "message": {"text": m.message}, "locations": [location]})
        })
        .collect();
    json!({"executionSuccessful": true, "toolExecutionNotifications": notifications})
}

fn rule(rule: Rule) -> Value {
    let meta = rule.meta();
    json!({
        "id": meta.code,
        "name": meta.name,
        "shortDescription": {"text": meta.summary},
        "fullDescription": {"text": meta.summary},
        "help": {"text": rule.page(), "markdown": rule.page()},
        "helpUri": format!("{}/blob/main/rules/{}.md", env!("CARGO_PKG_REPOSITORY"), meta.code),
        "defaultConfiguration": {"level": level(meta.severity)},
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// 1-based lines and columns in code points (the run's `columnKind`), with byte offsets too.
fn region(sources: &Sources, file: &std::path::Path, span: Span) -> Value {
    let (start, end) = sources.range(file, span);
    json!({
        "startLine": start.line,
        "startColumn": start.column,
        "endLine": end.line,
        "endColumn": end.column,
        "byteOffset": span.start,
        "byteLength": span.len(),
    })
}
