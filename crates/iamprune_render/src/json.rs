//! `--format json`: one object, the shape the CLI contract fixes.

use serde_json::{Value, json};

use iamprune_linter::{Diagnostic, Level};
use iamprune_syntax::{Position, Span};

use crate::{Report, Sources, path_string};

pub fn json(report: &Report, sources: &Sources) -> Value {
    let diagnostics: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| diagnostic(d, sources))
        .collect();
    let errors: Vec<Value> = report
        .messages
        .iter()
        .filter(|m| m.level == Level::Error)
        .map(|m| message(m, sources))
        .collect();
    let notes: Vec<Value> = report
        .messages
        .iter()
        .filter(|m| m.level == Level::Note)
        .map(|m| message(m, sources))
        .collect();
    json!({
        "version": report.version,
        "catalog": report.catalog,
        "diagnostics": diagnostics,
        "errors": errors,
        "notes": notes,
        "stats": {
            "files": report.stats.files,
            "policies": report.stats.policies,
            "statements": report.stats.statements,
            "actions": report.stats.actions,
        },
    })
}

fn diagnostic(d: &Diagnostic, sources: &Sources) -> Value {
    let fix = d.fix.as_ref().map(|fix| {
        json!({
            "applicability": fix.applicability.as_str(),
            "title": fix.title,
            "edits": fix.edits.iter().map(|e| json!({
                "file": path_string(&e.file),
                "range": range(sources, &e.file, e.span),
                "content": e.content,
            })).collect::<Vec<_>>(),
            "refined": fix.refined,
        })
    });
    let mut object = json!({
        "code": d.rule.code(),
        "name": d.rule.name(),
        "severity": d.severity.as_str(),
        "file": path_string(&d.file),
        "range": range(sources, &d.file, d.span),
        "message": d.message,
        "principals": d.principals,
        "fix": fix,
    });
    if let (Some(path), Some(map)) = (&d.construct_path, object.as_object_mut()) {
        map.insert("construct".into(), json!(path));
    }
    if let (false, Some(map)) = (d.related.is_empty(), object.as_object_mut()) {
        let related: Vec<Value> = d
            .related
            .iter()
            .map(|r| json!({"file": path_string(&r.file), "range": range(sources, &r.file, r.span), "message": r.message}))
            .collect();
        map.insert("related".into(), json!(related));
    }
    object
}

fn message(m: &iamprune_linter::Message, sources: &Sources) -> Value {
    json!({
        "file": path_string(&m.file),
        "range": m.span.map(|s| range(sources, &m.file, s)),
        "message": m.message,
    })
}

pub(crate) fn range(sources: &Sources, file: &std::path::Path, span: Span) -> Value {
    let (start, end) = sources.range(file, span);
    json!({"start": position(start), "end": position(end)})
}

fn position(p: Position) -> Value {
    json!({"line": p.line, "column": p.column, "offset": p.offset})
}
