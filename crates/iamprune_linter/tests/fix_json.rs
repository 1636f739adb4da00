//! The rules and the fix loop on a JSON policy document, end to end.

use std::path::{Path, PathBuf};

use iamprune_catalog::Catalog;
use iamprune_findings::{FindingsSet, LoadOptions};
use iamprune_linter::{Diagnostic, Linter, fix};
use iamprune_policy::{
    PolicyDocument, PolicySite, PrincipalKind, PrincipalName, PrincipalRef, Purpose, Syntax,
};
use iamprune_syntax::{LineIndex, Span};

fn testdata(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(path)
}

fn site(file: &Path, text: &str) -> PolicySite {
    let document = iamprune_syntax::json::parse(text).unwrap_or_else(|e| panic!("{e}"));
    PolicySite {
        file: file.to_path_buf(),
        owner: "policy".into(),
        owner_file: file.to_path_buf(),
        owner_span: Span::new(0, 1),
        construct_path: None,
        account: None,
        purpose: Purpose::ManagedPolicy,
        document,
        syntax: Syntax::Json,
        principals: vec![PrincipalRef {
            kind: PrincipalKind::Role,
            name: PrincipalName::Exact("SeedRole".into()),
            declared_as: "aws_iam_role.seed".into(),
        }],
        principals_complete: true,
        notes: Vec::new(),
        frozen: None,
    }
}

fn render(text: &str, diagnostics: &[Diagnostic]) -> String {
    let index = LineIndex::new(text);
    let mut out = String::new();
    for d in diagnostics {
        let at = index.position(d.span.start);
        out.push_str(&format!(
            "{}:{} {} {} {}\n",
            at.line,
            at.column,
            d.rule.code(),
            d.severity,
            d.message
        ));
        if let Some(fix) = &d.fix {
            out.push_str(&format!(
                "    fix ({}): {}\n",
                fix.applicability.as_str(),
                fix.title
            ));
        }
    }
    out
}

fn findings() -> FindingsSet {
    let mut set = FindingsSet::new();
    let errors = set.load_path(
        &testdata("seed/findings/get-finding-v2.json"),
        &LoadOptions::default(),
    );
    assert!(errors.is_empty(), "{errors:?}");
    set
}

#[test]
fn check_and_fix_a_json_policy() {
    let catalog =
        Catalog::from_path(&testdata("seed/catalog-2024-07.tsv")).unwrap_or_else(|e| panic!("{e}"));
    let findings = findings();
    let mut linter = Linter::new(&catalog, Some(&findings));
    // The seed's role is deployed to the account of its finding, and only there.
    linter.resolver.accounts = ["123456789012".to_string()].into();
    let file = testdata("linter/seed-policy.json");
    let original = std::fs::read_to_string(&file).unwrap_or_default();
    let report = linter.lint_site(&site(&file, &original), &original, false);
    assert!(report.messages.is_empty(), "{:?}", report.messages);
    insta::assert_snapshot!("json_diagnostics", render(&original, &report.diagnostics));

    // The fix loop: apply what does not overlap, check again, until nothing is left to fix.
    let mut text = original.clone();
    let mut rounds = 0;
    loop {
        let report = linter.lint_site(&site(&file, &text), &text, false);
        let selected = fix::select(&report.diagnostics);
        let Some(edits) = selected.get(&file) else {
            break;
        };
        text = fix::apply(&file, &text, edits).unwrap_or_else(|e| panic!("{e}"));
        rounds += 1;
        assert!(rounds < 10, "the fix loop does not settle");
    }
    insta::assert_snapshot!("json_fixed", text);
    let before = PolicyDocument::from_node(&site(&file, &original).document)
        .unwrap_or_else(|e| panic!("{e}"));
    let after =
        PolicyDocument::from_node(&site(&file, &text).document).unwrap_or_else(|e| panic!("{e}"));
    let resolution = linter.resolver.resolve(&site(&file, &original), &findings);
    let unused = iamprune_linter::resolve::unused_for(&catalog, &resolution);
    fix::verify_document(
        &catalog,
        (&site(&file, &original).document, &before),
        (&site(&file, &text).document, &after),
        unused.as_ref(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // A second check finds nothing left to fix; what remains is the misspelled action.
    let report = linter.lint_site(&site(&file, &text), &text, false);
    insta::assert_snapshot!("json_after_fix", render(&text, &report.diagnostics));
}

#[test]
fn verification_catches_a_wrong_fix() {
    let catalog =
        Catalog::from_path(&testdata("seed/catalog-2024-07.tsv")).unwrap_or_else(|e| panic!("{e}"));
    let findings = findings();
    let mut linter = Linter::new(&catalog, Some(&findings));
    // The seed's role is deployed to the account of its finding, and only there.
    linter.resolver.accounts = ["123456789012".to_string()].into();
    let file = testdata("linter/seed-policy.json");
    let original = std::fs::read_to_string(&file).unwrap_or_default();
    let verify = |tampered: &str| {
        let before = PolicyDocument::from_node(&site(&file, &original).document)
            .unwrap_or_else(|e| panic!("{e}"));
        let after = PolicyDocument::from_node(&site(&file, tampered).document)
            .unwrap_or_else(|e| panic!("{e}"));
        let resolution = linter.resolver.resolve(&site(&file, &original), &findings);
        let unused = iamprune_linter::resolve::unused_for(&catalog, &resolution);
        fix::verify_document(
            &catalog,
            (&site(&file, &original).document, &before),
            (&site(&file, tampered).document, &after),
            unused.as_ref(),
        )
    };
    // Removing only unused actions, or nothing at all, is sound.
    assert!(verify(&original).is_ok());
    assert!(verify(&original.replace("        \"lambda:GetFunction\",\n", "")).is_ok());
    // Granting more than before is not.
    assert!(verify(&original.replace("\"lambda:Invoke*\"", "\"lambda:*\"")).is_err());
    // Nor is touching anything but the actions.
    assert!(verify(&original.replace("function:my-lambda", "function:*")).is_err());
    // Nor dropping a name the catalog does not know, unless the findings call it unused or another
    // pattern still covers it.
    let refined = original.replace(
        "\"s3:Get*\"",
        "\"s3:GetAccess*\", \"s3:GetAccountPublicAccessBlock\", \"s3:GetDataAccess\", \"s3:GetJobTagging\", \"s3:GetMulti*\", \"s3:GetObject*\", \"s3:GetStorage*\"",
    );
    assert!(verify(&refined).is_ok());
    assert!(verify(&original.replace(", \"s3:GetObjekt\"", "")).is_ok());
    assert!(verify(&refined.replace(", \"s3:GetObjekt\"", "")).is_err());
    // Nor dropping a statement that holds used actions.
    assert!(verify(&original.replace("\"Effect\": \"Deny\"", "\"Effect\": \"Allow\"")).is_err());
    // Narrowing s3:List* is not what the findings allow: List actions were used.
    let tampered = original.replace("\"s3:List*\"", "\"s3:ListBucket\"");
    let before = PolicyDocument::from_node(&site(&file, &original).document)
        .unwrap_or_else(|e| panic!("{e}"));
    let after = PolicyDocument::from_node(&site(&file, &tampered).document)
        .unwrap_or_else(|e| panic!("{e}"));
    let resolution = linter.resolver.resolve(&site(&file, &original), &findings);
    let unused = iamprune_linter::resolve::unused_for(&catalog, &resolution);
    assert!(
        fix::verify_document(
            &catalog,
            (&site(&file, &original).document, &before),
            (&site(&file, &tampered).document, &after),
            unused.as_ref()
        )
        .is_err()
    );
}

#[test]
fn without_findings_only_the_catalog_rules_report() {
    let catalog = Catalog::embedded();
    let linter = Linter::new(catalog, None);
    let file = testdata("linter/seed-policy.json");
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let report = linter.lint_site(&site(&file, &text), &text, false);
    insta::assert_snapshot!("json_without_findings", render(&text, &report.diagnostics));
}

#[test]
fn atomic_write_keeps_permissions() {
    let dir = std::env::temp_dir().join(format!("iamprune-atomic-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join("p.json");
    std::fs::write(&path, "old").unwrap_or_else(|e| panic!("{e}"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    iamprune_linter::write::write_if_unchanged(&path, "old", "new")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(std::fs::read_to_string(&path).unwrap_or_default(), "new");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        assert_eq!(mode, 0o640);
    }
    assert_eq!(
        std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0),
        1,
        "no temporary file is left"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
