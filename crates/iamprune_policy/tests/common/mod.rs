//! Shared test helpers: the seed fixtures and a reader for the simple unused-list form.

#![allow(dead_code)]

use std::path::PathBuf;

use iamprune_catalog::Catalog;
use iamprune_policy::{PolicyDocument, Unused};
use iamprune_syntax::Node;

pub fn testdata(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(path)
}

pub fn read(path: &str) -> String {
    std::fs::read_to_string(testdata(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn catalog_2024() -> Catalog {
    Catalog::from_path(&testdata("seed/catalog-2024-07.tsv")).unwrap_or_else(|e| panic!("{e}"))
}

pub fn parse_policy(text: &str) -> (Node, PolicyDocument) {
    let node = iamprune_syntax::json::parse(text).unwrap_or_else(|e| panic!("{e}"));
    let doc = PolicyDocument::from_node(&node).unwrap_or_else(|e| panic!("{e}"));
    (node, doc)
}

/// `[{"serviceNamespace": "s3", "actions": ["GetBucketAcl"]}]`; no `actions` means the whole service.
pub fn simple_unused(text: &str) -> Unused {
    let value: serde_json::Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
    let mut unused = Unused::new();
    for entry in value.as_array().into_iter().flatten() {
        let service = entry["serviceNamespace"].as_str().unwrap_or_default();
        match entry.get("actions").and_then(|a| a.as_array()) {
            Some(actions) => {
                for action in actions.iter().filter_map(|a| a.as_str()) {
                    let name = if action.contains(':') {
                        action.to_string()
                    } else {
                        format!("{service}:{action}")
                    };
                    unused.add_action(&name).unwrap_or_else(|e| panic!("{e}"));
                }
            }
            None => unused
                .add_service(service)
                .unwrap_or_else(|e| panic!("{e}")),
        }
    }
    unused
}
