//! SAM policy templates (`- S3ReadPolicy: {BucketName: b}` in a function's `Policies`), expanded from
//! the definitions SAM publishes (`data/sam/`, vendored with their licence), so that the actions they
//! grant are checked like written ones.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;

const DEFINITIONS: &str = include_str!("../data/sam/policy_templates.json");

/// A template: its statements as SAM writes them, all `Allow` with a list of actions (every published
/// template's are), whose `{"Ref": P}` for each parameter `P` SAM replaces with the value given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    definition: Vec<Value>,
    parameters: Vec<String>,
}

impl Template {
    /// The statements SAM writes for the template with these parameter values (the JSON form of the
    /// user's values), and whether every parameter was given (SAM refuses the template otherwise, and
    /// a `{"Ref": P}` of a parameter not given is left as it is).
    pub fn expand(&self, given: &serde_json::Map<String, Value>) -> (Vec<Value>, bool) {
        let complete = self.parameters.iter().all(|p| given.contains_key(p));
        let statements = self
            .definition
            .iter()
            .map(|statement| substitute(statement, given))
            .collect();
        (statements, complete)
    }

    /// The actions of each statement.
    pub fn actions(&self) -> Vec<Vec<&str>> {
        self.definition
            .iter()
            .map(|s| match &s["Action"] {
                Value::String(one) => vec![one.as_str()],
                Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            })
            .collect()
    }
}

/// `value` with every `{"Ref": P}` of a given parameter `P` replaced by its value.
fn substitute(value: &Value, given: &serde_json::Map<String, Value>) -> Value {
    match value {
        Value::Object(map) => {
            if let (1, Some(Value::String(name))) = (map.len(), map.get("Ref")) {
                if let Some(given) = given.get(name) {
                    return given.clone();
                }
            }
            Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), substitute(v, given)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| substitute(v, given)).collect()),
        other => other.clone(),
    }
}

#[derive(Deserialize)]
struct Definitions {
    #[serde(rename = "Templates")]
    templates: HashMap<String, Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "Definition")]
    definition: Definition,
    #[serde(rename = "Parameters", default)]
    parameters: HashMap<String, Value>,
}

#[derive(Deserialize)]
struct Definition {
    #[serde(rename = "Statement")]
    statements: Vec<Value>,
}

#[derive(Deserialize)]
struct StatementDef {
    #[serde(rename = "Effect")]
    effect: String,
    #[serde(rename = "Action")]
    action: Actions,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Actions {
    One(String),
    Many(Vec<String>),
}

/// The template SAM publishes under `name`; `None` for a name it does not (a typo, or a template
/// newer than the vendored definitions).
pub(crate) fn template(name: &str) -> Option<&'static Template> {
    static TEMPLATES: OnceLock<HashMap<String, Template>> = OnceLock::new();
    TEMPLATES
        .get_or_init(|| {
            // The data is part of the build, checked by the tests below: a failure here is a broken
            // build, and then no template is known rather than a panic.
            let Ok(definitions) = serde_json::from_str::<Definitions>(DEFINITIONS) else {
                return HashMap::new();
            };
            definitions
                .templates
                .into_iter()
                .filter_map(|(name, entry)| {
                    let allows = entry.definition.statements.iter().all(|s| {
                        StatementDef::deserialize(s).is_ok_and(|s| {
                            s.effect == "Allow"
                                && match s.action {
                                    Actions::One(one) => !one.is_empty(),
                                    Actions::Many(all) => !all.is_empty(),
                                }
                        })
                    });
                    let mut parameters: Vec<String> = entry.parameters.into_keys().collect();
                    parameters.sort();
                    allows.then(|| {
                        let definition = entry.definition.statements;
                        (
                            name,
                            Template {
                                definition,
                                parameters,
                            },
                        )
                    })
                })
                .collect()
        })
        .get(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sam_templates_are_read_from_the_vendored_definitions() {
        let Some(read) = template("S3ReadPolicy") else {
            panic!("S3ReadPolicy is not known");
        };
        assert!(
            read.actions()
                .iter()
                .flatten()
                .any(|a| *a == "s3:GetObject")
        );
        let Some(kms) = template("KMSDecryptPolicy") else {
            panic!("KMSDecryptPolicy is not known");
        };
        assert_eq!(kms.actions(), [vec!["kms:Decrypt"]]);
        assert_eq!(template("S3ReadPolicyy"), None);
        // Every template SAM publishes is read (all of them only allow).
        let count = serde_json::from_str::<serde_json::Value>(DEFINITIONS)
            .ok()
            .and_then(|v| v["Templates"].as_object().map(|t| t.len()))
            .unwrap_or(0);
        assert!(count >= 80, "{count}");
        let names: Vec<String> = serde_json::from_str::<serde_json::Value>(DEFINITIONS)
            .ok()
            .and_then(|v| {
                v["Templates"]
                    .as_object()
                    .map(|t| t.keys().cloned().collect())
            })
            .unwrap_or_default();
        for name in names {
            assert!(template(&name).is_some(), "{name}");
        }
    }
}
