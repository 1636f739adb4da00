//! The seed example: the refinement must reproduce Access Analyzer's recommendation exactly.

mod common;

use common::*;
use iamprune_catalog::{Catalog, Pattern};
use iamprune_policy::{Outcome, UnusedSet, output, refine_document, refine_pattern};

#[test]
fn seed_with_the_2024_catalog_gives_the_expected_policy() {
    let catalog = catalog_2024();
    let (node, doc) = parse_policy(&read("seed/policy.json"));
    let unused = UnusedSet::resolve(&catalog, &simple_unused(&read("seed/unused.json")));
    let refinement = refine_document(&doc, &unused);
    assert_eq!(refinement.proof_failures().count(), 0);
    let got = output::refined_json(&node, &doc, &refinement);
    let expected: serde_json::Value =
        serde_json::from_str(&read("seed/expected-refined-2024.json")).unwrap_or_default();
    assert_eq!(got, expected);
    // Printed the way `iamprune refine` prints it, the file itself comes out.
    let printed = serde_json::to_string_pretty(&got).unwrap_or_default();
    assert_eq!(
        printed.trim_end(),
        read("seed/expected-refined-2024.json").trim_end()
    );
}

#[test]
fn the_2024_catalog_has_the_58_seed_get_actions() {
    let catalog = catalog_2024();
    let names: Vec<String> = catalog
        .expand(&Pattern::new("s3:Get*"))
        .iter()
        .map(|id| catalog.name(id).to_string())
        .collect();
    let expected: Vec<String> = read("seed/s3-get-2024.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(names, expected);
    assert_eq!(names.len(), 58);
}

#[test]
fn seed_with_the_embedded_catalog_adds_the_new_get_actions() {
    let catalog = Catalog::embedded();
    let names: Vec<String> = catalog
        .expand(&Pattern::new("s3:Get*"))
        .iter()
        .map(|id| catalog.name(id).to_string())
        .collect();
    let expected: Vec<String> = read("seed/s3-get-latest.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(names, expected, "the embedded catalog's s3:Get* actions");

    let unused = UnusedSet::resolve(catalog, &simple_unused(&read("seed/unused.json")));
    let refined = refine_pattern(&Pattern::new("s3:Get*"), &unused);
    assert_eq!(
        refined.outcome,
        Outcome::Replace(
            [
                "s3:GetAccess*",
                "s3:GetAccountPublicAccessBlock",
                "s3:GetBucketAbac",
                "s3:GetBucketMetadataTableConfiguration",
                "s3:GetDataAccess",
                "s3:GetJobTagging",
                "s3:GetMulti*",
                "s3:GetObject*",
                "s3:GetStorage*",
            ]
            .map(String::from)
            .to_vec()
        )
    );
    assert_eq!(refined.unused.len(), 22);
}

#[test]
fn seed_with_the_embedded_catalog_snapshot() {
    let (node, doc) = parse_policy(&read("seed/policy.json"));
    let unused = UnusedSet::resolve(
        Catalog::embedded(),
        &simple_unused(&read("seed/unused.json")),
    );
    let refinement = refine_document(&doc, &unused);
    let refined = output::refined_json(&node, &doc, &refinement);
    insta::assert_snapshot!(serde_json::to_string_pretty(&refined).unwrap_or_default());
}
