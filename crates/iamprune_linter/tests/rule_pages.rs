//! `rules/CODE.md` are generated from the rule files; this test fails when they drift.
//! Regenerate with `IAMPRUNE_UPDATE_RULES=1 cargo test -p iamprune_linter --test rule_pages`.

use std::path::PathBuf;

use iamprune_linter::Rule;

#[test]
fn rule_pages_match_the_rules() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let update = std::env::var_os("IAMPRUNE_UPDATE_RULES").is_some();
    let mut index =
        String::from("# Rules\n\n| code | name | severity | what |\n|---|---|---|---|\n");
    for rule in Rule::ALL {
        let meta = rule.meta();
        index.push_str(&format!(
            "| [{0}]({0}.md) | {1} | {2} | {3} |\n",
            meta.code, meta.name, meta.severity, meta.summary
        ));
        check(&dir.join(format!("{}.md", meta.code)), &rule.page(), update);
    }
    check(&dir.join("README.md"), &index, update);
}

fn check(path: &PathBuf, expected: &str, update: bool) {
    if update {
        std::fs::create_dir_all(path.parent().unwrap_or(path)).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(path, expected).unwrap_or_else(|e| panic!("{e}"));
        return;
    }
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    assert_eq!(
        actual,
        expected,
        "{} is out of date: run IAMPRUNE_UPDATE_RULES=1 cargo test -p iamprune_linter --test rule_pages",
        path.display()
    );
}

#[test]
fn codes_and_names_are_unique_and_found() {
    for rule in Rule::ALL {
        assert_eq!(Rule::find(rule.code()), Some(rule));
        assert_eq!(Rule::find(rule.name()), Some(rule));
        assert_eq!(Rule::find(&rule.code().to_lowercase()), Some(rule));
    }
    assert_eq!(Rule::find("IAM999"), None);
}

/// `iamprune.schema.json` is generated from the configuration type; editors (taplo, VS Code) use it.
#[test]
fn config_schema_matches_the_config() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../iamprune.schema.json");
    let schema = iamprune_linter::config::Config::json_schema();
    let text = serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n";
    check(
        &path,
        &text,
        std::env::var_os("IAMPRUNE_UPDATE_RULES").is_some(),
    );
    assert!(
        text.contains("\"findings\"")
            && text.contains("\"stack-names\"")
            && text.contains("\"fail-on\"")
    );
}
