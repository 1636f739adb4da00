//! The document of a large export, read without building a tree: an active `UnusedPermission`
//! finding of `get-finding-v2` written as AWS writes it. Anything else, and anything in error, is
//! left to the tree reader, which gives each error its place; so this reader only has to tell a
//! plain finding, and read it exactly as the tree reader does. A test holds the two to that.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::{FindingMeta, Mention, normalise_action, normalise_service};
use crate::arn::PrincipalArn;
use crate::json::Checked;
use crate::model::Principal;
use crate::unused::UnusedActions;

/// The source `text`, one document of `file`, makes when it is a plain finding; `None` leaves it
/// for the tree reader. It touches nothing else, so the lines of an export are read on every core
/// ([`super::parse_reader`]).
pub(super) fn read(text: &str, file: &std::path::Path) -> Option<super::Source> {
    // Other documents are told apart without a parse.
    if !text.starts_with('{') || !text.contains("\"findingDetails\"") {
        return None;
    }
    let f: Finding<'_> = serde_json::from_str(text).ok()?;
    let others = [
        f.error,
        f.next_token,
        f.detail_type,
        f.source,
        f.security_hub_findings,
        f.schema_version,
    ];
    if f.finding_type.0 != "UnusedPermission"
        || f.status.0 != "ACTIVE"
        || others.iter().any(|p| p.0)
    {
        return None;
    }
    let principal: PrincipalArn = f.resource.0.parse().ok()?;
    let mut source = super::Source::new(Principal::Arn(principal), file);
    source.analyzed_at = f.analyzed_at.map(Str::owned);
    source.updated_at = f.updated_at.map(Str::owned);
    source.finding = Some(FindingMeta {
        id: f.id.map(Str::owned),
        status: "ACTIVE".to_string(),
        active: true,
        summary: false,
        unused_permission: true,
    });
    for detail in f.finding_details {
        let Some(entry) = detail.unused_permission_details else {
            continue;
        };
        let ns = normalise_service(&entry.service_namespace.0).ok()?;
        let mut mention = Mention {
            whole_unused: entry.actions.as_ref().is_none_or(Vec::is_empty),
            last_accessed: entry.last_accessed.map(Str::owned),
            unused: UnusedActions::default(),
            judged: None,
        };
        for action in entry.actions.into_iter().flatten() {
            let full = normalise_action(&ns, &action.name.0).ok()?;
            mention
                .unused
                .insert(full, action.last_accessed.map(Str::owned));
        }
        source.mention((ns, mention));
    }
    Some(source)
}

/// A string, borrowed from the text unless it has escapes. `null` and other types are errors:
/// a field that may be `null` is an `Option`.
struct Str<'a>(Cow<'a, str>);

impl Str<'_> {
    fn owned(self) -> String {
        self.0.into_owned()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(StrVisitor)
    }
}

/// Borrows the string when the text has it as written.
struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Str<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Str<'de>, E> {
        Ok(Str(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Str<'de>, E> {
        Ok(Str(Cow::Owned(s.to_string())))
    }
}

/// A key the document must not have, even as `null`, to be a plain finding.
#[derive(Default, Clone, Copy)]
struct Present(bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Skipped::deserialize(deserializer)?;
        Ok(Present(true))
    }
}

/// A value read past as strictly as serde_json checks a document ([`Checked`]): a line this reader
/// takes is one the check would have taken, so the check is skipped for it. `IgnoredAny`, which
/// serde's derive uses for unknown keys, is more lenient; so every key is named, and any other makes
/// the document the tree reader's.
struct Skipped;

impl<'de> Deserialize<'de> for Skipped {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Checked::deserialize(deserializer)?;
        Ok(Skipped)
    }
}

/// A `get-finding-v2` output. A duplicate key is an error here (the tree reader takes the last).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)] // The fields that are only read past.
struct Finding<'a> {
    #[serde(borrow)]
    id: Option<Str<'a>>,
    #[serde(borrow)]
    finding_type: Str<'a>,
    #[serde(borrow)]
    status: Str<'a>,
    #[serde(borrow)]
    resource: Str<'a>,
    #[serde(borrow)]
    analyzed_at: Option<Str<'a>>,
    #[serde(borrow)]
    updated_at: Option<Str<'a>>,
    #[serde(borrow)]
    finding_details: Vec<Detail<'a>>,
    // What the tree reader has a note for, or reads as another kind of document.
    #[serde(default)]
    error: Present,
    #[serde(default)]
    next_token: Present,
    #[serde(default, rename = "detail-type")]
    detail_type: Present,
    #[serde(default)]
    source: Present,
    #[serde(default, rename = "Findings")]
    security_hub_findings: Present,
    #[serde(default, rename = "SchemaVersion")]
    schema_version: Present,
    // What AWS writes beside, and this reader does not need.
    #[serde(default)]
    created_at: Option<Skipped>,
    #[serde(default)]
    resource_type: Option<Skipped>,
    #[serde(default)]
    resource_owner_account: Option<Skipped>,
}

/// A finding detail; another kind of detail (even `null`) has a note in the tree reader.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Detail<'a> {
    #[serde(borrow)]
    unused_permission_details: Option<Entry<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Entry<'a> {
    #[serde(borrow)]
    service_namespace: Str<'a>,
    #[serde(borrow)]
    actions: Option<Vec<Action<'a>>>,
    #[serde(borrow)]
    last_accessed: Option<Str<'a>>,
}

/// An action of an entry: its name, or `{"action": NAME, "lastAccessed": TIME}`.
struct Action<'a> {
    name: Str<'a>,
    last_accessed: Option<Str<'a>>,
}

impl<'a> Action<'a> {
    fn named(name: Str<'a>) -> Self {
        Action {
            name,
            last_accessed: None,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Action<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ActionVisitor;
        impl<'de> Visitor<'de> for ActionVisitor {
            type Value = Action<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an action name or an object {\"action\": ...}")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Action<'de>, E> {
                StrVisitor.visit_borrowed_str(s).map(Action::named)
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Action<'de>, E> {
                StrVisitor.visit_str(s).map(Action::named)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Action<'de>, A::Error> {
                let mut name = None;
                let mut last_accessed = None;
                while let Some(key) = map.next_key::<Str<'de>>()? {
                    match &*key.0 {
                        "action" if name.is_none() => name = Some(map.next_value::<Str<'de>>()?),
                        "lastAccessed" if last_accessed.is_none() => {
                            last_accessed = Some(map.next_value::<Option<Str<'de>>>()?);
                        }
                        "action" | "lastAccessed" => {
                            return Err(de::Error::custom("duplicate key"));
                        }
                        _ => {
                            map.next_value::<Skipped>()?;
                        }
                    }
                }
                Ok(Action {
                    name: name.ok_or_else(|| de::Error::missing_field("action"))?,
                    last_accessed: last_accessed.flatten(),
                })
            }
        }
        deserializer.deserialize_any(ActionVisitor)
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use proptest::prelude::*;
    use proptest::strategy::ValueTree;

    use super::super::{Batch, Ctx, parse_document};
    use super::*;
    use crate::LoadOptions;
    use crate::json;

    /// What each reader makes of one document: the fast reader's batch if it took the document,
    /// and the tree reader's.
    fn both(text: &str) -> (Option<Batch>, Result<Batch, String>) {
        let file = Path::new("f.json");
        let opts = LoadOptions::default();
        let mut fast = Batch::default();
        let took = read(text, file).map(|source| fast.sources.push(source));
        let mut tree = Batch::default();
        let read = json::for_each_document(text, file, |doc| {
            let mut ctx = Ctx {
                file,
                opts: &opts,
                batch: &mut tree,
            };
            parse_document(doc, &doc.tree()?, &mut ctx).map(|_| ())
        });
        (
            took.map(|_| fast),
            read.map(|()| tree).map_err(|e| e.to_string()),
        )
    }

    /// The fast reader either leaves a document or reads it as the tree reader does.
    fn agree(text: &str) -> Result<bool, String> {
        match both(text) {
            (None, _) => Ok(false),
            (Some(fast), Ok(tree)) => {
                if fast.sources == tree.sources
                    && fast.notes == tree.notes
                    && tree.recommendations.is_empty()
                {
                    Ok(true)
                } else {
                    Err(format!(
                        "{text}\nfast: {:?}\ntree: {:?}",
                        fast.sources, tree.sources
                    ))
                }
            }
            (Some(_), Err(e)) => Err(format!(
                "{text}\nthe fast reader took it; the tree reader says {e}"
            )),
        }
    }

    #[test]
    fn a_plain_finding_is_read_fast() {
        let text = r#"{"id": "a\u0062c", "resource": "arn:aws:iam::111122223333:role/R", "status": "ACTIVE",
            "findingType": "UnusedPermission", "analyzedAt": "2026-01-01T00:00:00Z", "updatedAt": null,
            "findingDetails": [{"unusedPermissionDetails": {"serviceNamespace": "S3", "lastAccessed": "2025-01-01T00:00:00Z",
              "actions": ["GetObject", {"action": "s3:putObject", "lastAccessed": "2025-02-01T00:00:00Z", "x": [1]}, "s3:GetObject"]}},
              {}, {"unusedPermissionDetails": null}, {"unusedPermissionDetails": {"serviceNamespace": "sqs"}}]}"#;
        assert_eq!(agree(text), Ok(true));
    }

    #[test]
    fn every_fixture_reads_the_same() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
        let mut files = Vec::new();
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path
                    .extension()
                    .is_some_and(|e| e == "json" || e == "jsonl")
                {
                    files.push(path);
                }
            }
        }
        let mut fast = 0;
        for path in &files {
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let _ = json::for_each_document(&text, path, |doc| {
                match agree(doc.slice()) {
                    Ok(took) => fast += usize::from(took),
                    Err(e) => panic!("{}: {e}", path.display()),
                }
                Ok(())
            });
        }
        assert!(files.len() > 50, "{} files", files.len());
        assert!(fast > 20, "only {fast} documents were read fast");
    }

    fn pick(options: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
        proptest::sample::select(options)
    }

    /// A field of an object: `"key": value`, mostly with the first of `values` (as AWS writes
    /// it), else absent (empty) or with any of them.
    fn field(key: &'static str, values: &'static [&'static str]) -> impl Strategy<Value = String> {
        prop_oneof![
            8 => Just(values[0]),
            1 => Just(""),
            2 => pick(values),
        ]
        .prop_map(move |v| {
            if v.is_empty() {
                String::new()
            } else {
                format!("\"{key}\": {v}")
            }
        })
    }

    /// A field that AWS does not write, mostly absent.
    fn spoiler(
        key: &'static str,
        values: &'static [&'static str],
    ) -> impl Strategy<Value = String> {
        prop_oneof![
            9 => Just(String::new()),
            1 => pick(values).prop_map(move |v| format!("\"{key}\": {v}")),
        ]
    }

    fn object(fields: Vec<String>) -> String {
        let fields: Vec<String> = fields.into_iter().filter(|f| !f.is_empty()).collect();
        format!("{{{}}}", fields.join(", "))
    }

    fn action() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => pick(&["\"GetObject\"", "\"s3:GetObject\"", "\"S3:getobject\"", "\"Put\\u004fbject\""])
                .prop_map(str::to_string),
            1 => pick(&["\"ec2:RunInstances\"", "\"Get*\"", "\"\"", "\"Get Object\"", "5", "null"])
                .prop_map(str::to_string),
            3 => (
                field("action", &["\"GetObject\"", "\"s3:ListBucket\"", "null", "7", "\"*\""]),
                field("lastAccessed", &["\"2025-01-01T00:00:00Z\"", "null", "1", "\"x\""]),
                spoiler("action", &["\"PutObject\""]),
                spoiler("note", &["\"x\"", "\"\\ud800\"", "-1e400"]),
            )
                .prop_map(|(a, b, c, d)| object(vec![a, b, c, d])),
        ]
    }

    fn entry() -> impl Strategy<Value = String> {
        (
            field(
                "serviceNamespace",
                &["\"s3\"", "\"S3\"", "\"bad ns\"", "null", "3", "\"\""],
            ),
            (
                proptest::bool::weighted(0.8),
                proptest::collection::vec(action(), 0..4),
            ),
            field(
                "lastAccessed",
                &["\"2025-03-01T00:00:00Z\"", "null", "false"],
            ),
            spoiler("serviceNamespace", &["\"sqs\""]),
        )
            .prop_map(|(ns, (has_actions, actions), last, dup)| {
                let actions = if has_actions {
                    format!("\"actions\": [{}]", actions.join(", "))
                } else {
                    String::new()
                };
                object(vec![ns, actions, last, dup])
            })
    }

    fn detail() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => entry().prop_map(|e| format!("{{\"unusedPermissionDetails\": {e}}}")),
            1 => pick(&["{}", "null", "{\"unusedPermissionDetails\": null}", "{\"unusedIamRoleDetails\": {}}",
                "{\"other\": 1}", "{\"unusedPermissionDetails\": 4}", "[]"])
                .prop_map(str::to_string),
        ]
    }

    fn document() -> impl Strategy<Value = String> {
        (
            (
                field("id", &["\"f-1\"", "null", "12", "\"f\\u002d2\""]),
                field(
                    "findingType",
                    &[
                        "\"UnusedPermission\"",
                        "\"UnusedIAMRole\"",
                        "null",
                        "5",
                        "\"Other\"",
                    ],
                ),
                field(
                    "status",
                    &["\"ACTIVE\"", "\"ARCHIVED\"", "\"active\"", "null"],
                ),
                field(
                    "resource",
                    &[
                        "\"arn:aws:iam::111122223333:role/R\"",
                        "\"arn:aws:iam::111122223333:user/u\"",
                        "\"arn:aws:s3:::b\"",
                        "\"arn:aws:iam::111122223333:role\\/p\\/R\"",
                        "null",
                    ],
                ),
            ),
            (
                field("analyzedAt", &["\"2026-01-01T00:00:00Z\"", "null", "3"]),
                field("updatedAt", &["\"2026-01-02T00:00:00+00:00\"", "null"]),
                (
                    proptest::bool::weighted(0.9),
                    proptest::collection::vec(detail(), 0..4),
                ),
                spoiler("status", &["\"RESOLVED\"", "\"ACTIVE\""]),
                spoiler("error", &["\"ACCESS_DENIED\"", "null"]),
                spoiler("nextToken", &["\"t\"", "null"]),
                spoiler("source", &["\"aws.access-analyzer\"", "\"x\"", "null"]),
                // Values the check refuses and a lenient skip would pass: a lone surrogate, a
                // number out of range.
                field(
                    "resourceType",
                    &[
                        "\"AWS::IAM::Role\"",
                        "\"\\ud800\"",
                        "1e999",
                        "[1, {\"a\": \"\\udfff\"}]",
                    ],
                ),
            ),
        )
            .prop_map(
                |(
                    (id, t, status, resource),
                    (an, up, (has_details, details), dup, error, next, source, rt),
                )| {
                    let details = if has_details {
                        format!("\"findingDetails\": [{}]", details.join(", "))
                    } else {
                        "\"findingDetails\": null".to_string()
                    };
                    object(vec![
                        id, t, status, resource, an, up, details, dup, error, next, source, rt,
                    ])
                },
            )
    }

    /// The generated documents must reach the fast reader often enough for the property to mean
    /// something.
    #[test]
    fn generated_documents_are_often_plain() {
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let strategy = document();
        let mut taken = 0;
        for _ in 0..2000 {
            let text = strategy
                .new_tree(&mut runner)
                .map(|t| t.current())
                .unwrap_or_default();
            taken += usize::from(agree(&text) == Ok(true));
        }
        assert!(taken > 200, "{taken} of 2000 were read fast");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn the_fast_reader_agrees_with_the_tree_reader(text in document()) {
            if let Err(e) = agree(&text) {
                prop_assert!(false, "{}", e);
            }
        }
    }
}
