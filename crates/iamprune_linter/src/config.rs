//! `iamprune.toml`: where findings and the catalog are, how principals map to the source, which rules
//! run at which severity. Paths in it are relative to the file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use iamprune_syntax::{FileError, PositionedError, Span};
use serde::Deserialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::Rule;

pub const FILE_NAME: &str = "iamprune.toml";

/// Which rules run, and at which severity when not their default. The engine applies it to every
/// unit it checks before anything else sees a diagnostic, so a rule turned off is neither reported nor
/// fixed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSelection {
    pub ignored: BTreeSet<Rule>,
    pub severity: BTreeMap<Rule, Severity>,
}

impl RuleSelection {
    /// Drops the diagnostics of rules turned off and sets the configured severities.
    pub fn apply(&self, diagnostics: &mut Vec<Diagnostic>) {
        diagnostics.retain(|d| !self.ignored.contains(&d.rule));
        for diagnostic in diagnostics {
            if let Some(severity) = self.severity.get(&diagnostic.rule) {
                diagnostic.severity = *severity;
            }
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Findings files or directories, any supported format.
    #[serde(default)]
    pub findings: Vec<PathBuf>,
    /// Deployment evidence, files or directories: `terraform show -json` of a state or plan, or
    /// `aws cloudformation describe-stack-resources` / `list-stack-resources` output (one file per
    /// environment or stack).
    #[serde(default)]
    pub deployments: Vec<PathBuf>,
    /// A catalog TSV instead of the embedded one.
    pub catalog: Option<PathBuf>,
    /// Globs of paths not to scan (in addition to .gitignore).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Scan what .gitignore files and hidden names exclude too (never `.git`), as `--no-ignore` does.
    #[serde(default)]
    pub no_ignore: bool,
    /// The lowest severity that fails the run.
    pub fail_on: Option<Severity>,
    /// Fail the run when findings name a principal that reaches no policy in the source.
    #[serde(default)]
    pub fail_on_unjoined: bool,
    /// Narrow wildcards even when the findings are newer than the catalog's data, or name actions it
    /// does not know: an action AWS added since, if used, would be lost. Off by default.
    #[serde(default)]
    pub accept_catalog_age: bool,
    /// The most patterns a wildcard may be narrowed to by a fix that is applied (default 40). Past it
    /// the narrowing is a judgment call: the fix is shown, not applied, and the message says how many
    /// patterns it would take and what is unused. `logs:*` with three unused actions takes 53,
    /// `ec2:Describe*` 96; 90 % of the wildcards narrowed over the corpus take 39 or fewer.
    pub max_patterns: Option<usize>,
    /// The AWS account the source deploys to: findings about principals of other accounts are not
    /// matched by name, and without it (or `accounts`) nothing matched by name alone is narrowed.
    pub account: Option<String>,
    /// Every account the source deploys to, when it is more than one: a principal matched by name is
    /// narrowed only by what it left unused in all of them.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// Finding principal ARN → the source owner it is.
    #[serde(default)]
    pub principals: BTreeMap<String, String>,
    #[serde(default)]
    pub cloudformation: CloudFormation,
    #[serde(default)]
    pub serverless: Serverless,
    #[serde(default)]
    pub rules: Rules,
    /// The directory of the file, which its relative paths are resolved against.
    #[serde(skip)]
    #[schemars(skip)]
    pub base: PathBuf,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CloudFormation {
    /// Template path (relative to the config file) → the name of the stack deployed from it.
    #[serde(default)]
    pub stack_names: BTreeMap<String, String>,
    pub account: Option<String>,
    /// Fix SAM policy templates (`S3CrudPolicy: {BucketName: b}`) by writing out the statements each
    /// stands for in its place, without the actions that are unused (as `--fix-sam-templates`). Off
    /// by default: the template's name says what it grants, and the statements are longer.
    #[serde(default)]
    pub fix_sam_templates: bool,
}

/// How the Serverless Framework services are deployed, as `serverless deploy --stage … --region …`
/// is told: the roles' names then follow from them, not from the defaults.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Serverless {
    pub stage: Option<String>,
    pub region: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Codes or names of rules that do not run.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Code or name → severity.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Syntax(PositionedError),
}

/// The root of the repository holding `dir`: the nearest directory at or above it that holds `.git`.
/// Configuration lookup stops there, and SARIF locations are relative to it.
pub fn repository_root(dir: &Path) -> Option<&Path> {
    dir.ancestors().find(|d| d.join(".git").exists())
}

impl Config {
    /// The JSON schema of the file, for editors (`iamprune.schema.json` at the repository root).
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(Config)).unwrap_or_default()
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = iamprune_syntax::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let syntax = |span: Span, message: String| {
            ConfigError::Syntax(FileError::at(path, span, message).positioned(&text))
        };
        let mut config: Config = toml::from_str(&text).map_err(|e| {
            let span = e.span().map_or(Span::default(), Span::from);
            syntax(span, e.message().to_string())
        })?;
        for name in config
            .rules
            .ignore
            .iter()
            .chain(config.rules.severity.keys())
        {
            if Rule::find(name).is_none() {
                let span = text
                    .find(name.as_str())
                    .map_or(Span::default(), |at| Span::new(at, at + name.len()));
                return Err(syntax(span, format!("unknown rule `{name}`")));
            }
        }
        config.base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(config)
    }

    /// The nearest `iamprune.toml` in `start` or a directory above it, up to the root of the
    /// repository (the first directory holding `.git`): a file above the repository belongs to someone
    /// else, and taking findings from it would narrow policies by another project's data.
    pub fn find(start: &Path) -> Option<PathBuf> {
        let start = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
        let dir = if start.is_dir() {
            Some(start.as_path())
        } else {
            start.parent()
        };
        let dir = dir?;
        let root = repository_root(dir);
        for dir in dir.ancestors() {
            let candidate = dir.join(FILE_NAME);
            if candidate.is_file() {
                return Some(candidate);
            }
            if Some(dir) == root {
                return None;
            }
        }
        None
    }

    /// A path of the file, resolved against its directory.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.base.join(path)
        }
    }

    /// The deployment evidence it names, resolved.
    pub fn deployments_paths(&self) -> Vec<PathBuf> {
        self.deployments.iter().map(|p| self.resolve(p)).collect()
    }

    /// The findings files and directories it names, resolved.
    pub fn findings_paths(&self) -> Vec<PathBuf> {
        self.findings.iter().map(|p| self.resolve(p)).collect()
    }

    /// What the extractors need from this configuration: stack names and account.
    pub fn extract_options(&self, roots: Vec<PathBuf>) -> crate::ExtractOptions {
        crate::ExtractOptions {
            roots,
            stack_names: self
                .cloudformation
                .stack_names
                .iter()
                .map(|(path, name)| {
                    let path = crate::units::canonical(&self.resolve(Path::new(path)));
                    (path, name.clone())
                })
                .collect(),
            account: self
                .account
                .clone()
                .or_else(|| self.cloudformation.account.clone()),
            serverless: iamprune_cfn::ServerlessDeploy {
                stage: self.serverless.stage.clone(),
                region: self.serverless.region.clone(),
            },
            reparse: None,
        }
    }

    /// The `[rules]` table, by rule.
    pub fn rule_selection(&self) -> RuleSelection {
        RuleSelection {
            ignored: Rule::ALL
                .into_iter()
                .filter(|r| self.is_ignored(*r))
                .collect(),
            severity: Rule::ALL
                .into_iter()
                .map(|r| (r, self.severity(r)))
                .filter(|(r, s)| *s != r.meta().severity)
                .collect(),
        }
    }

    pub fn is_ignored(&self, rule: Rule) -> bool {
        self.rules
            .ignore
            .iter()
            .any(|name| Rule::find(name) == Some(rule))
    }

    pub fn severity(&self, rule: Rule) -> Severity {
        self.rules
            .severity
            .iter()
            .find(|(name, _)| Rule::find(name) == Some(rule))
            .map_or(rule.meta().severity, |(_, s)| *s)
    }
}
