//! Snapshots of what the extractor finds in the fixtures of `testdata/terraform`: every site with its
//! owner, purpose, syntax, principals, notes, and every action element with its position and the exact
//! source text its span covers (which shows the spans are right).

use std::path::{Path, PathBuf};

use iamprune_policy::{ElementValue, PolicyDocument, PolicySite};
use iamprune_syntax::LineIndex;
use iamprune_terraform::{Extraction, ModuleFiles, Options, extract_module, extract_tree};

fn testdata() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/terraform");
    // The extractor names `file()` targets by their lexically resolved path; compare like with like.
    path.canonicalize().unwrap_or(path)
}

fn module_files(dir: &Path) -> ModuleFiles {
    let mut files: Vec<(PathBuf, String)> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                    name.ends_with(".tf") || name.ends_with(".tf.json")
                })
                .filter_map(|p| std::fs::read_to_string(&p).ok().map(|t| (p, t)))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    ModuleFiles {
        dir: dir.to_path_buf(),
        files,
        var_files: Vec::new(),
        vendored: Vec::new(),
    }
}

fn extract(name: &str) -> Extraction {
    let dir = testdata().join(name);
    let module = module_files(&dir);
    extract_module(
        &dir,
        &module.files,
        &Options {
            root: testdata(),
            ..Options::default()
        },
    )
}

fn relative(path: &Path) -> String {
    let root = testdata();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn position(text: &str, offset: usize) -> String {
    let p = LineIndex::new(text).position(offset);
    format!("{}:{}", p.line, p.column)
}

fn render_site(site: &PolicySite, out: &mut String) {
    let text = std::fs::read_to_string(&site.file).unwrap_or_default();
    let owner_text = std::fs::read_to_string(&site.owner_file).unwrap_or_default();
    out.push_str(&format!(
        "site {} ({:?}, {:?})\n  file {}\n  owner at {}:{}\n",
        site.owner,
        site.purpose,
        site.syntax,
        relative(&site.file),
        relative(&site.owner_file),
        position(&owner_text, site.owner_span.start),
    ));
    out.push_str(&format!(
        "  principals ({}):\n",
        if site.principals_complete {
            "complete"
        } else {
            "incomplete"
        }
    ));
    for p in &site.principals {
        out.push_str(&format!(
            "    {:?} {:?} as {}\n",
            p.kind, p.name, p.declared_as
        ));
    }
    match PolicyDocument::from_node(&site.document) {
        Ok(doc) => {
            for statement in &doc.statements {
                out.push_str(&format!(
                    "  statement {} {:?}{}\n",
                    statement.index,
                    statement.effect,
                    statement
                        .undecidable
                        .as_ref()
                        .map(|u| format!(" undecidable: {u}"))
                        .unwrap_or_default()
                ));
                let Some(block) = &statement.actions else {
                    continue;
                };
                out.push_str(&format!(
                    "    {} (list: {})\n",
                    block.key.as_str(),
                    block.is_list
                ));
                for element in &block.elements {
                    let raw = element
                        .span
                        .slice(&text)
                        .unwrap_or("<span outside the file>");
                    let value = match &element.value {
                        ElementValue::Pattern(p) => format!("pattern {p:?}"),
                        ElementValue::Undecidable(what) => format!("undecidable {what:?}"),
                    };
                    out.push_str(&format!(
                        "      {} {raw} -> {value}\n",
                        position(&text, element.span.start)
                    ));
                }
            }
        }
        Err(e) => out.push_str(&format!("  document not read: {e}\n")),
    }
    for note in &site.notes {
        out.push_str(&format!(
            "  note {}: {}\n",
            position(&text, note.span.start),
            note.message
        ));
    }
    if let Some(why) = &site.frozen {
        out.push_str(&format!("  frozen: {why}\n"));
    }
}

fn render(extraction: &Extraction) -> String {
    let mut out = String::new();
    for site in &extraction.sites {
        render_site(site, &mut out);
    }
    for error in &extraction.errors {
        let text = std::fs::read_to_string(&error.file).unwrap_or_default();
        let shown = error
            .clone()
            .positioned(&text)
            .to_string()
            .replace(&testdata().display().to_string(), "testdata/terraform");
        out.push_str(&format!("error {shown}\n"));
    }
    out
}

macro_rules! fixture {
    ($test:ident, $dir:literal) => {
        #[test]
        fn $test() {
            insta::assert_snapshot!(render(&extract($dir)));
        }
    };
}

fixture!(jsonencode, "jsonencode");
fixture!(heredoc, "heredoc");
fixture!(quoted, "quoted");
fixture!(file_and_templatefile, "file");
fixture!(policy_document, "policy_document");
fixture!(count_for_each, "count_for_each");
fixture!(locals, "locals");
fixture!(resource_policies, "resource_policies");
fixture!(tf_json, "tfjson");
fixture!(byte_order_mark, "bom");
fixture!(broken_files, "broken");
fixture!(override_documents, "override");

#[test]
fn local_module_inputs() {
    let root = testdata().join("module");
    let modules = [module_files(&root), module_files(&root.join("modules/app"))];
    insta::assert_snapshot!(render(&extract_tree(
        &modules,
        &Options {
            root: testdata(),
            ..Options::default()
        }
    )));
}

/// Statements passed into modules, extracted where each call writes them.
#[test]
fn statements_passed_into_modules() {
    let root = testdata().join("statement_inputs");
    let modules = [
        module_files(&root),
        module_files(&root.join("modules/lambda-like")),
        module_files(&root.join("modules/shared")),
        module_files(&root.join("modules/deny-default")),
        module_files(&root.join("modules/grants")),
    ];
    let extraction = extract_tree(
        &modules,
        &Options {
            root: testdata(),
            ..Options::default()
        },
    );
    for site in &extraction.sites {
        if let Err(e) = PolicyDocument::from_node(&site.document) {
            panic!("{}: {e}", site.owner);
        }
    }
    insta::assert_snapshot!(render(&extraction));
}

/// Every fixture document the engine is meant to read, it reads.
#[test]
fn engine_reads_every_fixture_document() {
    for dir in [
        "jsonencode",
        "heredoc",
        "quoted",
        "file",
        "policy_document",
        "count_for_each",
        "locals",
        "resource_policies",
        "tfjson",
        "bom",
        "broken",
        "override",
    ] {
        for site in extract(dir).sites {
            if let Err(e) = PolicyDocument::from_node(&site.document) {
                panic!("{dir}: {}: {e}", site.owner);
            }
        }
    }
}
