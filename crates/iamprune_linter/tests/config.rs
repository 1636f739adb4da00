//! `iamprune.toml`: what it accepts and how it says what is wrong.

use std::path::PathBuf;

use iamprune_linter::config::Config;
use iamprune_linter::{Rule, Severity};

fn write(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("iamprune-config-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join("iamprune.toml");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path
}

#[test]
fn a_full_config_loads() {
    let path = write(
        "full",
        r#"findings = ["findings/"]
catalog = "vendor/catalog.tsv"
exclude = ["cdk.out/asset.*"]
fail-on = "warning"
[principals]
"arn:aws:iam::123456789012:role/App" = "aws_iam_role.app"
[cloudformation]
stack-names = { "template.yaml" = "prod-app" }
account = "123456789012"
[rules]
ignore = ["IAM011"]
severity = { IAM010 = "error", unused-principal = "info" }
"#,
    );
    let config = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let dir = path.parent().map(PathBuf::from).unwrap_or_default();
    assert_eq!(config.resolve(&config.findings[0]), dir.join("findings/"));
    assert_eq!(config.fail_on, Some(Severity::Warning));
    assert!(config.is_ignored(Rule::RedundantAction));
    assert_eq!(config.severity(Rule::UnknownAction), Severity::Error);
    assert_eq!(config.severity(Rule::UnusedPrincipal), Severity::Info);
    assert_eq!(config.severity(Rule::UnusedAction), Severity::Error);
    assert_eq!(
        config
            .cloudformation
            .stack_names
            .get("template.yaml")
            .map(String::as_str),
        Some("prod-app")
    );
    assert_eq!(
        Config::find(&dir.join("sub/dir")).as_deref(),
        Some(path.as_path())
    );
}

#[test]
fn mistakes_name_their_line_and_column() {
    let cases = [
        (
            "unknown-key",
            "findings = []\ncatalogue = \"x\"\n",
            "iamprune.toml:2:1: unknown field `catalogue`, expected one of `findings`, `deployments`, `catalog`, `exclude`, `no-ignore`, `fail-on`, `fail-on-unjoined`, `accept-catalog-age`, `max-patterns`, `account`, `accounts`, `principals`, `cloudformation`, `serverless`, `rules`",
        ),
        (
            "bad-rule",
            "[rules]\nignore = [\"IAM999\"]\n",
            "iamprune.toml:2:12: unknown rule `IAM999`",
        ),
        (
            "bad-type",
            "findings = \"one\"\n",
            "iamprune.toml:1:12: invalid type: string \"one\", expected a sequence",
        ),
        (
            "bad-severity",
            "fail-on = \"fatal\"\n",
            "iamprune.toml:1:11: unknown variant `fatal`, expected one of `info`, `warning`, `error`",
        ),
    ];
    for (name, text, expected) in cases {
        let path = write(name, text);
        let error = Config::load(&path)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.ends_with(expected), "{name}: {error}");
    }
}
