//! `--format gitlab`: the Code Quality report GitLab shows in merge requests
//! (`artifacts:reports:codequality`), a JSON array of issues in the subset of the Code Climate format
//! GitLab reads. Paths are relative to the repository root, as GitLab requires.

use iamprune_linter::{Level, Severity};
use serde::Serialize;

use crate::{Report, Sources, fingerprints, fnv1a, path_string, repository_path};

/// One Code Quality issue.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct CodeQualityIssue {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub check_name: String,
    pub description: String,
    pub categories: Vec<&'static str>,
    /// `info`, `minor`, `major`, `critical` or `blocker`.
    pub severity: &'static str,
    /// Unique per issue and stable across runs, so GitLab can tell new issues from fixed ones.
    pub fingerprint: String,
    pub location: Location,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Location {
    pub path: String,
    pub positions: Positions,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Positions {
    pub begin: LineColumn,
    pub end: LineColumn,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct LineColumn {
    pub line: usize,
    pub column: usize,
}

/// The diagnostics of a report, and the errors of the run at a file (a file that did not parse), as
/// Code Quality issues. Notes are not issues.
pub fn gitlab(report: &Report, sources: &Sources) -> Vec<CodeQualityIssue> {
    let diagnostics = report
        .diagnostics
        .iter()
        .zip(fingerprints(report, sources))
        .map(|(d, fingerprint)| {
            let (start, end) = sources.range(&d.file, d.span);
            let mut description = format!("{}: {}", d.rule.name(), d.message);
            if let Some(fix) = &d.fix {
                description.push_str(&format!(" (fix: {})", fix.title));
            }
            CodeQualityIssue {
                kind: "issue",
                check_name: d.rule.code().to_string(),
                description,
                categories: vec!["Security"],
                severity: match d.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                    Severity::Info => "info",
                },
                fingerprint,
                location: location(&d.file, (start.line, start.column), (end.line, end.column)),
            }
        });
    let errors = report
        .messages
        .iter()
        .filter(|m| m.level == Level::Error)
        .map(|m| {
            let at = m
                .span
                .map(|s| sources.position(&m.file, s.start))
                .map_or((1, 1), |p| (p.line, p.column));
            CodeQualityIssue {
                kind: "issue",
                check_name: "iamprune/error".into(),
                description: m.message.clone(),
                categories: vec!["Bug Risk"],
                severity: "major",
                fingerprint: format!(
                    "{:016x}",
                    fnv1a(&format!("error\0{}\0{}", path_string(&m.file), m.message))
                ),
                location: location(&m.file, at, at),
            }
        });
    diagnostics.chain(errors).collect()
}

fn location(file: &std::path::Path, begin: (usize, usize), end: (usize, usize)) -> Location {
    let path = repository_path(file).unwrap_or_else(|| file.to_path_buf());
    Location {
        path: path_string(&path),
        positions: Positions {
            begin: LineColumn {
                line: begin.0,
                column: begin.1,
            },
            end: LineColumn {
                line: end.0,
                column: end.1,
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use iamprune_linter::Message;

    use super::*;
    use crate::fixtures::bare_diagnostic;

    #[test]
    fn issues_carry_what_gitlab_requires() {
        let mut error = bare_diagnostic();
        error.severity = Severity::Error;
        let report = Report {
            diagnostics: vec![bare_diagnostic(), bare_diagnostic(), error],
            messages: vec![
                Message {
                    level: Level::Error,
                    file: PathBuf::from("broken.yaml"),
                    span: None,
                    message: "cannot parse".into(),
                },
                Message {
                    level: Level::Note,
                    file: PathBuf::from("x"),
                    span: None,
                    message: "a note is no issue".into(),
                },
            ],
            ..Report::default()
        };
        let issues = gitlab(&report, &Sources::new());
        assert_eq!(issues.len(), 4);
        let severities: Vec<&str> = issues.iter().map(|i| i.severity).collect();
        assert_eq!(severities, ["minor", "minor", "major", "major"]);
        assert_eq!(issues[0].check_name, "IAM001");
        assert_eq!(issues[3].check_name, "iamprune/error");
        // Two diagnostics at the same text still differ, so GitLab keeps both.
        let fingerprints: std::collections::BTreeSet<&str> =
            issues.iter().map(|i| i.fingerprint.as_str()).collect();
        assert_eq!(fingerprints.len(), 4);
        // Relative to the repository root: this crate's directory inside it.
        assert_eq!(
            issues[0].location.path, "crates/iamprune_render/main.tf",
            "the test runs in the crate's directory"
        );
        let json = serde_json::to_value(&issues[0]).unwrap_or_default();
        for key in [
            "type",
            "check_name",
            "description",
            "severity",
            "fingerprint",
        ] {
            assert!(json.get(key).is_some(), "{key} missing: {json}");
        }
        assert_eq!(json["location"]["positions"]["begin"]["line"], 1);
    }
}
