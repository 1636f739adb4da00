//! The editor's settings for iamprune, from `initializationOptions` at start and
//! `workspace/didChangeConfiguration` after: what the command line's options give `check`, over the
//! configuration file's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use iamprune_linter::{Rule, Settings, Severity};

/// As the editor sends them; unknown keys (an editor's own, such as the executable's path) are ignored.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EditorSettings {
    /// Findings files or directories instead of the configuration's; relative to the first folder.
    pub findings: Vec<PathBuf>,
    /// Deployment evidence instead of the configuration's; relative to the first folder.
    pub deployments: Vec<PathBuf>,
    /// Rule code or name → `error`, `warning`, `info` or `off`.
    pub severity: BTreeMap<String, String>,
    /// One configuration file for every folder instead of the nearest `iamprune.toml`.
    pub config: Option<PathBuf>,
    /// Narrow wildcards with a catalog older than the findings.
    pub accept_catalog_age: bool,
    /// Show the diagnostics of the files that are not open too (the whole workspace is checked in the
    /// background after start and after changes).
    pub workspace_diagnostics: bool,
}

impl Default for EditorSettings {
    fn default() -> Self {
        EditorSettings {
            findings: Vec::new(),
            deployments: Vec::new(),
            severity: BTreeMap::new(),
            config: None,
            accept_catalog_age: false,
            workspace_diagnostics: true,
        }
    }
}

impl EditorSettings {
    /// The settings in what an editor sent: an object with an `iamprune` key (a client that sends its
    /// whole configuration), or the settings themselves. `Err` says what is wrong with them.
    pub fn from_value(value: &Value) -> Result<Option<EditorSettings>, String> {
        let value = match value.get("iamprune") {
            Some(ours) => ours,
            None if value.is_object() => value,
            None => return Ok(None),
        };
        serde_json::from_value(value.clone())
            .map(Some)
            .map_err(|e| format!("the editor's iamprune settings are not valid: {e}"))
    }

    /// The engine's settings, paths taken relative to `base`; and what was left out, said to the user.
    pub fn to_settings(&self, base: Option<&Path>) -> (Settings, Vec<String>) {
        let absolute = |path: &PathBuf| match base {
            Some(base) if path.is_relative() => base.join(path),
            _ => path.clone(),
        };
        let mut settings = Settings {
            findings: self.findings.iter().map(absolute).collect(),
            deployments: self.deployments.iter().map(absolute).collect(),
            config: self.config.as_ref().map(absolute),
            accept_catalog_age: self.accept_catalog_age,
            ..Settings::default()
        };
        let mut problems = Vec::new();
        for (name, level) in &self.severity {
            let Some(rule) = Rule::find(name) else {
                problems.push(format!("iamprune.severity: no rule `{name}`; left out"));
                continue;
            };
            match (level.as_str(), Severity::parse(level)) {
                ("off", _) => settings.ignore.push(rule),
                (_, Some(severity)) => {
                    settings.severity.insert(rule, severity);
                }
                (_, None) => problems.push(format!(
                    "iamprune.severity.{name}: `{level}` is not one of error, warning, info, off; left out"
                )),
            }
        }
        (settings, problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_resolve_paths_and_rules() {
        let value = serde_json::json!({"iamprune": {
            "findings": ["exports/", "/abs/f.jsonl"],
            "severity": {"IAM002": "warning", "unknown-action": "off", "IAM999": "error", "IAM001": "loud"},
            "acceptCatalogAge": true,
            "path": "/usr/local/bin/iamprune",
        }});
        let Ok(Some(editor)) = EditorSettings::from_value(&value) else {
            panic!("settings did not parse");
        };
        let (settings, problems) = editor.to_settings(Some(Path::new("/work")));
        assert_eq!(
            settings.findings,
            vec![
                PathBuf::from("/work/exports/"),
                PathBuf::from("/abs/f.jsonl")
            ]
        );
        assert_eq!(
            settings
                .severity
                .get(&Rule::find("IAM002").unwrap_or_else(|| panic!())),
            Some(&Severity::Warning)
        );
        assert_eq!(
            settings.ignore,
            vec![Rule::find("IAM010").unwrap_or_else(|| panic!())]
        );
        assert!(settings.accept_catalog_age);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("IAM001") || problems[1].contains("IAM001"));
    }

    #[test]
    fn null_or_a_wrong_shape_is_not_taken() {
        assert_eq!(EditorSettings::from_value(&Value::Null), Ok(None));
        assert!(
            EditorSettings::from_value(&serde_json::json!({"findings": "not a list"})).is_err()
        );
    }
}
