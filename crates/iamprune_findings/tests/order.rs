//! Loading the same files in any order gives the same findings: random exports of a few
//! findings of one role (versions, summaries, RESOLVED and ARCHIVED ones, simple lists, equal
//! and missing times), loaded in a random order, and every order of the stale fixtures.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::fixture;
use iamprune_findings::{FindingsSet, LoadOptions};
use proptest::prelude::*;

const ROLE: &str = "arn:aws:iam::111122223333:role/R";
/// The same role spelled with a path: the same entity.
const ROLE_WITH_PATH: &str = "arn:aws:iam::111122223333:role/service-role/R";
const PROBES: [&str; 5] = [
    "s3:GetObject",
    "s3:PutObject",
    "sqs:SendMessage",
    "sqs:DeleteQueue",
    "kms:Decrypt",
];

/// Instants with two spellings of the same one, and an unknown time.
const TIMES: [Option<&str>; 5] = [
    None,
    Some("2024-06-01T00:00:00Z"),
    Some("2024-06-01T00:00:00+00:00"),
    Some("2024-06-02T00:00:00.5Z"),
    Some("2024-06-03T00:00:00Z"),
];

#[derive(Debug, Clone)]
enum Export {
    Finding {
        id: Option<&'static str>,
        status: &'static str,
        with_path: bool,
        analyzed: Option<&'static str>,
        updated: Option<&'static str>,
        services: Vec<(&'static str, Vec<&'static str>)>,
    },
    Summary {
        id: &'static str,
        status: &'static str,
        analyzed: Option<&'static str>,
        updated: Option<&'static str>,
    },
    SimpleList {
        services: Vec<(&'static str, Vec<&'static str>)>,
    },
}

fn time_json(t: Option<&str>) -> String {
    t.map_or_else(|| "null".to_string(), |t| format!("\"{t}\""))
}

fn detail_json(ns: &str, actions: &[&str]) -> String {
    let actions = if actions.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = actions.iter().map(|a| format!("\"{a}\"")).collect();
        format!(", \"actions\": [{}]", list.join(", "))
    };
    format!("{{\"serviceNamespace\": \"{ns}\"{actions}}}")
}

impl Export {
    fn json(&self) -> String {
        match self {
            Export::Finding {
                id,
                status,
                with_path,
                analyzed,
                updated,
                services,
            } => {
                let details: Vec<String> = services
                    .iter()
                    .map(|(ns, a)| {
                        format!("{{\"unusedPermissionDetails\": {}}}", detail_json(ns, a))
                    })
                    .collect();
                format!(
                    r#"{{"id": {}, "status": "{status}", "resource": "{}", "findingType": "UnusedPermission",
                        "analyzedAt": {}, "updatedAt": {}, "findingDetails": [{}]}}"#,
                    time_json(*id),
                    if *with_path { ROLE_WITH_PATH } else { ROLE },
                    time_json(*analyzed),
                    time_json(*updated),
                    details.join(", ")
                )
            }
            Export::Summary {
                id,
                status,
                analyzed,
                updated,
            } => format!(
                r#"{{"findings": [{{"id": "{id}", "status": "{status}", "resource": "{ROLE}", "resourceType": "AWS::IAM::Role",
                    "findingType": "UnusedPermission", "analyzedAt": {}, "updatedAt": {}}}]}}"#,
                time_json(*analyzed),
                time_json(*updated)
            ),
            Export::SimpleList { services } => {
                let entries: Vec<String> =
                    services.iter().map(|(ns, a)| detail_json(ns, a)).collect();
                format!("[{}]", entries.join(", "))
            }
        }
    }
}

fn services() -> impl Strategy<Value = Vec<(&'static str, Vec<&'static str>)>> {
    let s3 = prop::sample::subsequence(vec!["GetObject", "PutObject"], 0..=2);
    let sqs = prop::sample::subsequence(vec!["SendMessage"], 0..=1);
    (prop::option::of(s3), prop::option::of(sqs), any::<bool>()).prop_map(|(s3, sqs, kms)| {
        let mut out = Vec::new();
        if let Some(a) = s3 {
            out.push(("s3", a));
        }
        if let Some(a) = sqs {
            out.push(("sqs", a));
        }
        if kms {
            out.push(("kms", vec!["Decrypt"]));
        }
        out
    })
}

fn time() -> impl Strategy<Value = Option<&'static str>> {
    prop::sample::select(TIMES.to_vec())
}

fn status() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["ACTIVE", "ACTIVE", "ACTIVE", "RESOLVED", "ARCHIVED"])
}

fn export(ids: Vec<Option<&'static str>>) -> impl Strategy<Value = Export> {
    let named: Vec<&'static str> = ids.iter().flatten().copied().collect();
    prop_oneof![
        6 => (prop::sample::select(ids), status(), any::<bool>(), time(), time(), services()).prop_map(
            |(id, status, with_path, analyzed, updated, services)| Export::Finding {
                id,
                status,
                with_path,
                analyzed,
                updated,
                services,
            }
        ),
        2 => (prop::sample::select(named), status(), time(), time()).prop_map(
            |(id, status, analyzed, updated)| Export::Summary {
                id,
                status,
                analyzed,
                updated,
            }
        ),
        1 => services().prop_map(|services| Export::SimpleList { services }),
    ]
}

/// What must not depend on the order: what is unused, which files spoke, the notes.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    known: bool,
    unused: Vec<bool>,
    actions: BTreeSet<String>,
    services: BTreeSet<String>,
    analyzed_at: Option<String>,
    updated_at: Option<String>,
    sources: BTreeSet<PathBuf>,
    facts: BTreeSet<String>,
    notes: BTreeSet<String>,
}

fn outcome(set: &FindingsSet) -> Outcome {
    let p = set.for_principal(ROLE);
    // `later` keeps the first of two spellings of one instant; both spellings name it.
    let instant = |t: &Option<String>| t.as_ref().map(|t| t.replace("+00:00", "Z"));
    Outcome {
        known: p.is_some(),
        unused: PROBES
            .iter()
            .map(|a| p.as_ref().is_some_and(|p| p.is_unused(a)))
            .collect(),
        actions: p
            .iter()
            .flat_map(|p| p.unused_actions.keys().map(|k| k.to_ascii_lowercase()))
            .collect(),
        services: p
            .iter()
            .flat_map(|p| p.unused_services.keys().cloned())
            .collect(),
        analyzed_at: p.as_ref().and_then(|p| instant(&p.analyzed_at)),
        updated_at: p.as_ref().and_then(|p| instant(&p.updated_at)),
        sources: p.iter().flat_map(|p| p.sources.iter().cloned()).collect(),
        facts: p
            .iter()
            .flat_map(|p| p.facts.iter().map(|f| format!("{f:?}")))
            .collect(),
        notes: set.notes().iter().cloned().collect(),
    }
}

/// Loads `exports` in the order `order` gives; each keeps its own file name.
fn load(exports: &[Export], order: &[usize]) -> FindingsSet {
    let mut set = FindingsSet::new();
    for &i in order {
        if let Some(export) = exports.get(i) {
            let origin = format!("{i}.json");
            let result = set.load_str(&export.json(), Path::new(&origin), &LoadOptions::default());
            assert!(result.is_ok(), "{result:?}");
        }
    }
    set
}

fn exports_and_order(
    ids: Vec<Option<&'static str>>,
) -> impl Strategy<Value = (Vec<Export>, Vec<usize>)> {
    prop::collection::vec(export(ids), 1..=6).prop_flat_map(|exports| {
        let order: Vec<usize> = (0..exports.len()).collect();
        (Just(exports), Just(order).prop_shuffle())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_load_order_gives_the_same_findings(
        (exports, order) in exports_and_order(vec![Some("a"), Some("b"), Some("c"), None]),
    ) {
        let natural: Vec<usize> = (0..exports.len()).collect();
        prop_assert_eq!(outcome(&load(&exports, &order)), outcome(&load(&exports, &natural)));
    }

    #[test]
    fn newer_resolved_exports_leave_no_finding_unused(
        (mut exports, order) in exports_and_order(vec![Some("a"), Some("b"), Some("c")]),
    ) {
        // Whatever was exported before, each finding RESOLVED later means none of them makes
        // anything unused; only the simple lists, which have no id, still can.
        exports.retain(|e| !matches!(e, Export::SimpleList { .. }));
        let mut order: Vec<usize> = order.into_iter().filter(|&i| i < exports.len()).collect();
        for id in ["a", "b", "c"] {
            order.insert(0, exports.len());
            exports.push(Export::Finding {
                id: Some(id),
                status: "RESOLVED",
                with_path: false,
                analyzed: Some("2025-01-01T00:00:00Z"),
                updated: Some("2025-01-01T00:00:01Z"),
                services: vec![("s3", vec!["GetObject"])],
            });
        }
        let set = load(&exports, &order);
        if let Some(p) = set.for_principal(ROLE) {
            prop_assert!(p.unused_actions.is_empty(), "{:?}", p);
            prop_assert!(p.unused_services.is_empty(), "{:?}", p);
        }
    }
}

/// Every order of a few files that overrule one another.
#[test]
fn every_order_of_the_stale_fixtures_gives_the_same_findings() {
    let files: Vec<PathBuf> = [
        "stale/superseded/older.json",
        "stale/superseded/newer.json",
        "stale/resolved/older.json",
        "stale/resolved/newer.json",
        "stale/reanalysed/older.json",
        "stale/reanalysed/newer.json",
    ]
    .into_iter()
    .map(fixture)
    .collect();
    let roles = [
        "arn:aws:iam::111122223333:role/ReportingRole",
        "arn:aws:iam::111122223333:role/ArchiveRole",
        "arn:aws:iam::111122223333:role/IngestRole",
    ];
    let view = |order: &[usize]| {
        let mut set = FindingsSet::new();
        for &i in order {
            assert!(set.load_file(&files[i], &LoadOptions::default()).is_ok());
        }
        let mut notes: Vec<String> = set.notes().to_vec();
        notes.sort();
        let views: Vec<_> = roles
            .iter()
            .map(|r| {
                set.for_principal(r).map(|p| {
                    let mut p = std::sync::Arc::unwrap_or_clone(p);
                    p.sources.sort();
                    p
                })
            })
            .collect();
        (views, notes)
    };
    let first = view(&[0, 1, 2, 3, 4, 5]);
    for (views, _) in [&first] {
        for p in views.iter().flatten() {
            assert!(!p.is_unused("s3:GetObject"), "{p:?}");
        }
    }
    let mut order = vec![0, 1, 2, 3, 4, 5];
    let mut count = 0;
    permutations(&mut order, 0, &mut |o| {
        assert_eq!(view(o), first, "{o:?}");
        count += 1;
    });
    assert_eq!(count, 720);
}

fn permutations(items: &mut Vec<usize>, k: usize, each: &mut dyn FnMut(&[usize])) {
    if k == items.len() {
        each(items);
        return;
    }
    for i in k..items.len() {
        items.swap(k, i);
        permutations(items, k + 1, each);
        items.swap(k, i);
    }
}
