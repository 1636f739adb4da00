//! `--format junit`: JUnit XML, which most CI systems (GitLab, Jenkins, Azure Pipelines, CircleCI)
//! show as test results. One test suite per file with one failing test case per diagnostic; errors of
//! the run at a file are `<error>` cases. A run that found nothing is one passing case, so the CI still
//! shows that the check ran.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use iamprune_linter::Level;
use quick_xml::escape::escape;

use crate::{Report, Sources, path_string};

/// One test case: a diagnostic or an error of the run.
struct Case {
    name: String,
    line: usize,
    column: usize,
    message: String,
    /// `failure` for a diagnostic, `error` for a file that could not be checked.
    outcome: &'static str,
    kind: String,
}

pub fn junit(report: &Report, sources: &Sources) -> String {
    let mut suites: BTreeMap<String, Vec<Case>> = BTreeMap::new();
    for d in &report.diagnostics {
        let start = sources.position(&d.file, d.span.start);
        let mut message = d.message.clone();
        if let Some(fix) = &d.fix {
            message.push_str(&format!(" (fix: {})", fix.title));
        }
        suites.entry(path_string(&d.file)).or_default().push(Case {
            name: format!("{} {}", d.rule.code(), d.rule.name()),
            line: start.line,
            column: start.column,
            message,
            outcome: "failure",
            kind: d.rule.code().to_string(),
        });
    }
    for m in report.messages.iter().filter(|m| m.level == Level::Error) {
        let at = m.span.map(|s| sources.position(&m.file, s.start));
        suites.entry(path_string(&m.file)).or_default().push(Case {
            name: "iamprune/error".into(),
            line: at.map_or(1, |p| p.line),
            column: at.map_or(1, |p| p.column),
            message: m.message.clone(),
            outcome: "error",
            kind: "error".into(),
        });
    }
    let count = |outcome: &str| {
        suites
            .values()
            .flatten()
            .filter(|c| c.outcome == outcome)
            .count()
    };
    let (failures, errors) = (count("failure"), count("error"));
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let tests = (failures + errors).max(1);
    let _ = writeln!(
        out,
        "<testsuites name=\"iamprune\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">"
    );
    if suites.is_empty() {
        out.push_str(concat!(
            "  <testsuite name=\"iamprune\" tests=\"1\" failures=\"0\" errors=\"0\">\n",
            "    <testcase name=\"no problems found\" classname=\"iamprune\"/>\n",
            "  </testsuite>\n",
        ));
    }
    for (file, cases) in &suites {
        let file = xml(file);
        let failures = cases.iter().filter(|c| c.outcome == "failure").count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{file}\" tests=\"{}\" failures=\"{failures}\" errors=\"{}\">",
            cases.len(),
            cases.len() - failures
        );
        for case in cases {
            let (line, column) = (case.line, case.column);
            let _ = writeln!(
                out,
                "    <testcase name=\"{}\" classname=\"{file}\" file=\"{file}\" line=\"{line}\">",
                xml(&case.name)
            );
            let _ = writeln!(
                out,
                "      <{outcome} message=\"{message}\" type=\"{kind}\">{file}:{line}:{column}: {message}</{outcome}>",
                outcome = case.outcome,
                message = xml(&case.message),
                kind = xml(&case.kind),
            );
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Text for an XML attribute or element: escaped, and without the control characters XML 1.0 does
/// not allow (file content quoted in a message may hold them).
fn xml(text: &str) -> String {
    let allowed: String = text
        .chars()
        .map(|c| {
            if c.is_control() && !matches!(c, '\t' | '\n' | '\r') {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect();
    escape(allowed.as_str()).into_owned()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use iamprune_linter::Message;
    use iamprune_syntax::Span;
    use quick_xml::Reader;
    use quick_xml::events::Event;

    use super::*;
    use crate::fixtures::bare_diagnostic;

    /// The element names and attributes of a document, failing on anything that is not well-formed.
    fn elements(xml: &str) -> Vec<(String, Vec<(String, String)>)> {
        let mut reader = Reader::from_str(xml);
        let mut out = Vec::new();
        loop {
            match reader.read_event() {
                Ok(Event::Start(e) | Event::Empty(e)) => {
                    let attributes = e
                        .attributes()
                        .map(|a| {
                            let a = a.unwrap_or_else(|e| panic!("{e}"));
                            let value = a
                                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .unwrap_or_else(|e| panic!("{e}"));
                            (
                                String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                                value.into_owned(),
                            )
                        })
                        .collect();
                    out.push((
                        String::from_utf8_lossy(e.name().as_ref()).into_owned(),
                        attributes,
                    ));
                }
                Ok(Event::Eof) => return out,
                Ok(_) => {}
                Err(e) => panic!("not well-formed at {}: {e}\n{xml}", reader.error_position()),
            }
        }
    }

    fn attribute<'a>(element: &'a (String, Vec<(String, String)>), name: &str) -> &'a str {
        element
            .1
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    #[test]
    fn each_diagnostic_fails_a_case_in_its_files_suite() {
        let mut hostile = bare_diagnostic();
        hostile.file = PathBuf::from("b & <c>.yaml");
        hostile.message = "a \"quoted\" <tag> & \u{1} control".into();
        let report = Report {
            diagnostics: vec![bare_diagnostic(), bare_diagnostic(), hostile],
            messages: vec![Message {
                level: Level::Error,
                file: PathBuf::from("main.tf"),
                span: Some(Span::new(0, 1)),
                message: "cannot parse".into(),
            }],
            ..Report::default()
        };
        let xml = junit(&report, &Sources::new());
        let elements = elements(&xml);
        let names: Vec<&str> = elements.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "testsuites",
                "testsuite",
                "testcase",
                "failure",
                "testsuite",
                "testcase",
                "failure",
                "testcase",
                "failure",
                "testcase",
                "error",
            ]
        );
        assert_eq!(attribute(&elements[0], "tests"), "4");
        assert_eq!(attribute(&elements[0], "failures"), "3");
        assert_eq!(attribute(&elements[0], "errors"), "1");
        assert_eq!(attribute(&elements[1], "name"), "b & <c>.yaml");
        assert_eq!(
            attribute(&elements[3], "message"),
            "a \"quoted\" <tag> & \u{fffd} control"
        );
        assert_eq!(attribute(&elements[4], "errors"), "1");
        assert_eq!(attribute(&elements[5], "name"), "IAM001 unused-action");
    }

    #[test]
    fn a_clean_run_is_one_passing_case() {
        let elements = elements(&junit(&Report::default(), &Sources::new()));
        assert_eq!(elements.len(), 3);
        assert_eq!(attribute(&elements[0], "failures"), "0");
        assert_eq!(attribute(&elements[2], "name"), "no problems found");
    }
}
