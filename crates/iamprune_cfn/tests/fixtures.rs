//! Snapshot tests of the sites extracted from the fixtures in `testdata/cfn`: owner, purpose,
//! principals, every `Action`/`NotAction` element with its line:column and source text, and notes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use iamprune_cfn::{Extraction, FileKind, Options, extract_cdk_assembly, extract_file};
use iamprune_policy::{ElementValue, PolicyDocument, PolicySite, PrincipalName};
use iamprune_syntax::{LineIndex, Span};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cfn")
}

fn options() -> Options {
    Options {
        stack_name: Some("fixture-stack".into()),
        account: Some("123456789012".into()),
        ..Options::default()
    }
}

fn extract(name: &str, options: &Options) -> (Extraction, String) {
    let path = testdata().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    (extract_file(&path, &text, options), text)
}

fn relative(path: &Path) -> String {
    let base = testdata();
    path.strip_prefix(&base)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn at(lines: &LineIndex, span: Span) -> String {
    let p = lines.position(span.start);
    format!("{}:{}", p.line, p.column)
}

fn source(text: &str, span: Span) -> String {
    format!(
        "{:?}",
        span.slice(text).unwrap_or("<span outside the text>")
    )
}

/// A deterministic text rendering of an extraction. Texts of files other than the one given are read
/// from disk (CDK assemblies).
fn render(extraction: &Extraction) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "kind: {:?}", extraction.kind);
    for e in &extraction.errors {
        // `0:0`: about the whole file.
        let place = e.span.map_or_else(
            || "0:0".to_string(),
            |span| {
                let text = std::fs::read_to_string(&e.file).unwrap_or_default();
                at(&LineIndex::new(&text), span)
            },
        );
        let _ = writeln!(out, "error {}:{place}: {}", relative(&e.file), e.message);
    }
    for site in &extraction.sites {
        render_site(&mut out, site);
    }
    out
}

fn render_site(out: &mut String, site: &PolicySite) {
    let text = std::fs::read_to_string(&site.file).unwrap_or_default();
    let lines = LineIndex::new(&text);
    let _ = writeln!(out, "\nsite {} in {}", site.owner, relative(&site.file));
    // An expansion shows what the text around is, and the statements written out in its place.
    let syntax = match &site.syntax {
        iamprune_policy::Syntax::Expanded(expansion) => format!(
            "Expanded({:?}) at {}, written out as {}",
            expansion.around,
            at(&lines, expansion.span),
            expansion
                .statements
                .as_ref()
                .map_or("nothing".to_string(), |s| serde_json::Value::Array(
                    s.clone()
                )
                .to_string())
        ),
        other => format!("{other:?}"),
    };
    let _ = writeln!(
        out,
        "  owner at {}, {:?}, {syntax}",
        at(&lines, site.owner_span),
        site.purpose,
    );
    if let Some(path) = &site.construct_path {
        let _ = writeln!(out, "  construct path {path}");
    }
    let _ = writeln!(
        out,
        "  principals ({}):",
        if site.principals_complete {
            "complete"
        } else {
            "incomplete"
        }
    );
    for p in &site.principals {
        let name = match &p.name {
            PrincipalName::Exact(n) => format!("exact {n:?}"),
            PrincipalName::Assumed(n) => format!("assumed {n:?}"),
            PrincipalName::Prefix(n) => format!("prefix {n:?}"),
            PrincipalName::Generated {
                stack,
                logical_id,
                rivals,
            } => {
                format!("generated stack={stack:?} logical_id={logical_id:?} rivals={rivals:?}")
            }
            PrincipalName::Unknown => "unknown".into(),
        };
        let _ = writeln!(out, "    {:?} {name} declared as {}", p.kind, p.declared_as);
    }
    match PolicyDocument::from_node(&site.document) {
        Err(e) => {
            let _ = writeln!(out, "  not a policy at {}: {e}", at(&lines, e.span));
        }
        Ok(doc) => {
            for s in &doc.statements {
                if let Some(what) = &s.undecidable {
                    let _ = writeln!(
                        out,
                        "  statement {} undecidable ({what}) at {}",
                        s.index,
                        at(&lines, s.span)
                    );
                    continue;
                }
                let Some(block) = &s.actions else { continue };
                let _ = writeln!(
                    out,
                    "  statement {} {:?} {}{}",
                    s.index,
                    s.effect,
                    block.key.as_str(),
                    if block.is_list { " [list]" } else { "" }
                );
                for e in &block.elements {
                    let value = match &e.value {
                        ElementValue::Pattern(p) => format!("{p:?}"),
                        ElementValue::Undecidable(what) => format!("undecidable {what}"),
                    };
                    let _ = writeln!(
                        out,
                        "    {} {value} {}",
                        at(&lines, e.span),
                        source(&text, e.span)
                    );
                }
            }
        }
    }
    for note in &site.notes {
        let _ = writeln!(out, "  note {}: {}", at(&lines, note.span), note.message);
    }
    if let Some(why) = &site.frozen {
        let _ = writeln!(out, "  frozen: {why}");
    }
}

macro_rules! fixture {
    ($test:ident, $file:literal) => {
        #[test]
        fn $test() {
            let (extraction, _) = extract($file, &options());
            insta::assert_snapshot!(stringify!($test), render(&extraction));
        }
    };
}

fixture!(role_inline_yaml, "role_inline.yaml");
fixture!(iam_resources_json, "iam_resources.json");
fixture!(string_policies_json, "string_policies.json");
fixture!(string_policies_yaml, "string_policies.yaml");
fixture!(sam_function_yaml, "sam_function.yaml");
fixture!(resource_policies_yaml, "resource_policies.yaml");
fixture!(anchors_nested_yaml, "anchors_nested.yaml");
fixture!(policy_json, "policy.json");
fixture!(crlf_tabs_yaml, "crlf_tabs.yaml");
fixture!(broken_yaml, "broken.yaml");

#[test]
fn cdk_assembly_from_the_corpus() {
    let out = extract_cdk_assembly(&testdata().join("cdk/lambda-cron/cdk.out"));
    insta::assert_snapshot!("cdk_lambda_cron", render(&out));
}

#[test]
fn cdk_nested_stage_assembly() {
    let out = extract_cdk_assembly(&testdata().join("cdk/stage/cdk.out"));
    insta::assert_snapshot!("cdk_nested_stage", render(&out));
}

#[test]
fn other_files_are_skipped() {
    for name in ["k8s_deployment.yaml", "package.json", "README.md"] {
        let (extraction, _) = extract(name, &options());
        assert_eq!(extraction.kind, None, "{name}");
        assert!(
            extraction.sites.is_empty() && extraction.errors.is_empty(),
            "{name}"
        );
    }
}

#[test]
fn every_policy_fixture_is_a_policy() {
    for name in [
        "role_inline.yaml",
        "iam_resources.json",
        "string_policies.json",
        "string_policies.yaml",
        "sam_function.yaml",
        "resource_policies.yaml",
        "anchors_nested.yaml",
        "policy.json",
        "crlf_tabs.yaml",
    ] {
        let (extraction, text) = extract(name, &options());
        assert!(
            extraction.errors.is_empty(),
            "{name}: {:?}",
            extraction.errors
        );
        assert!(!extraction.sites.is_empty(), "{name}");
        for site in &extraction.sites {
            let doc = PolicyDocument::from_node(&site.document)
                .unwrap_or_else(|e| panic!("{name} {}: {e}", site.owner));
            // Every literal element's span holds exactly that action, quoted or not; statements no text
            // holds (a SAM policy template's) point at the template's name.
            if matches!(site.syntax, iamprune_policy::Syntax::Expanded(_)) {
                continue;
            }
            for block in doc.statements.iter().filter_map(|s| s.actions.as_ref()) {
                for e in &block.elements {
                    if let ElementValue::Pattern(p) = &e.value {
                        let raw = e.span.slice(&text).unwrap_or_default();
                        if raw.contains("\\u") {
                            // An escaped character: the raw text differs from the value by design.
                            continue;
                        }
                        let unquoted = raw.trim_matches(|c| c == '"' || c == '\'' || c == '\\');
                        assert_eq!(unquoted, p.as_str(), "{name} {}", site.owner);
                    }
                }
            }
        }
    }
}

#[test]
fn names_without_stack_options() {
    let (extraction, _) = extract("role_inline.yaml", &Options::default());
    let sub_named = extraction
        .sites
        .iter()
        .find(|s| s.owner.starts_with("NamedBySub.Policies"))
        .unwrap_or_else(|| panic!("no NamedBySub site"));
    // Unnamed, but in the list: the join asks for a mapping of it rather than giving up on the site.
    assert_eq!(sub_named.principals[0].name, PrincipalName::Unknown);
    let (extraction, _) = extract("iam_resources.json", &Options::default());
    let managed = extraction
        .sites
        .iter()
        .find(|s| s.owner.starts_with("SharedManaged"))
        .unwrap_or_else(|| panic!("no SharedManaged site"));
    assert!(managed.principals.iter().any(|p| matches!(
        &p.name,
        PrincipalName::Generated { stack: None, logical_id, .. } if logical_id == "GeneratedRole"
    )));
}

#[test]
fn standalone_policy_kind() {
    let (extraction, _) = extract("policy.json", &options());
    assert_eq!(extraction.kind, Some(FileKind::PolicyJson));
    assert_eq!(extraction.sites.len(), 1);
}

#[test]
fn errors_display_as_file_line_column() {
    let (extraction, text) = extract("broken.yaml", &options());
    let shown = extraction
        .errors
        .first()
        .map(|e| e.clone().positioned(&text).to_string());
    assert!(
        shown.as_deref().is_some_and(|s| s.ends_with(
            "broken.yaml:9:1: did not find expected ',' or '}' (while parsing a flow mapping)"
        ) || s.contains("broken.yaml:")),
        "{shown:?}"
    );
}

/// A Serverless service that does not parse is named with the place of the mistake, though nothing
/// in it says `AWS::`: skipping it would leave its statements unchecked without a word.
#[test]
fn a_broken_serverless_service_is_an_error() {
    let path = Path::new("/project/serverless.yml");
    let text = "service: orders\nprovider:\n  iamRoleStatements:\n    - Effect: Allow\n      Action: [s3:GetObject\n";
    let extraction = extract_file(path, text, &options());
    assert_eq!(extraction.kind, Some(FileKind::Serverless));
    let shown = extraction
        .errors
        .first()
        .map(|e| e.clone().positioned(text).to_string());
    assert!(
        shown
            .as_deref()
            .is_some_and(|s| s.starts_with("/project/serverless.yml:")),
        "{shown:?}"
    );
}
