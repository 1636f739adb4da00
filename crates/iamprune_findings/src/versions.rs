//! Which of a principal's Access Analyzer findings still count when its sources are merged.
//!
//! A findings folder often holds exports made at different times. Merged naively, a stale
//! export keeps an action unused after a newer one found it used, and a fix removes it. Two
//! rules prevent that; simple lists and last-accessed reports have no id and no analysis and
//! keep voting as they are.
//!
//! - Exports of one finding (one id): only its newest version counts, by `updatedAt` then
//!   `analyzedAt`. What that version no longer lists was used since, and when it is RESOLVED or
//!   ARCHIVED nothing the finding ever reported counts as unused.
//! - UnusedPermission findings of one principal with different ids: each one judges every
//!   service of the principal, listing those with unused actions. A service that the newest of
//!   them (by `analyzedAt` then `updatedAt`) does not list was used, so what older findings
//!   report about it is dropped. On the services it lists, the older findings still vote: they
//!   may come from an analyzer with a longer tracking period, and disagreement stays *used*.
//!
//! Versions whose times cannot be ordered (equal, or missing on either side) all count and
//! vote as any sources do. Everything here is decided on the whole set of sources, never on the
//! order they were loaded in.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::quote;
use crate::formats::Source;
use crate::model::cmp_time;

/// What counts of each source of one principal, in the order the sources were given.
#[derive(Debug, Clone)]
pub(crate) struct Plan<'s> {
    /// Whether the source's mentions and facts count: false for a version of a finding that a
    /// newer one supersedes, and for every version of a finding whose newest is inactive.
    pub speaks: Vec<bool>,
    /// Whether the source's file and times belong to the principal's view: every active source,
    /// and an inactive one when an active export of the same finding is loaded.
    pub shown: Vec<bool>,
    /// The services the findings may still report unused: those the newest UnusedPermission
    /// analysis of the principal lists. `None` when there is no such finding.
    pub judged: Option<BTreeSet<&'s str>>,
    /// One line each, in a fixed order.
    pub notes: Vec<String>,
}

impl Plan<'_> {
    /// Whether what source `index` reports about service `ns` counts.
    pub fn counts(&self, index: usize, source: &Source, ns: &str) -> bool {
        if !self.speaks.get(index).copied().unwrap_or(true) {
            return false;
        }
        match (&source.finding, &self.judged) {
            (Some(_), Some(judged)) => judged.contains(ns),
            _ => true,
        }
    }
}

/// How a finding's newest version leaves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Its newest exports have details, and they speak.
    Detailed,
    /// Its newest exports are list-findings-v2 summaries: whatever it reports now is unknown.
    SummaryOnly,
    /// One of its newest exports is RESOLVED or ARCHIVED.
    Inactive,
}

#[derive(Debug)]
struct Group<'s> {
    /// Indices of the exports of this finding.
    versions: Vec<usize>,
    /// The versions no other version is known to be newer than.
    newest: BTreeSet<usize>,
    outcome: Outcome,
    /// Services the speaking versions mention.
    services: BTreeSet<&'s str>,
    unused_permission: bool,
}

impl Group<'_> {
    /// The newest versions that decide the outcome: the inactive ones when the finding is no
    /// longer active, else all of them.
    fn deciding(&self, sources: &[&Source]) -> BTreeSet<usize> {
        self.newest
            .iter()
            .copied()
            .filter(|&i| self.outcome != Outcome::Inactive || !sources[i].is_active())
            .collect()
    }
}

/// Decides which sources count. `sources` are every source of one principal (with those that
/// apply to every principal, which carry no finding and are left as they are).
pub(crate) fn plan<'s>(sources: &[&'s Source]) -> Plan<'s> {
    let mut speaks = vec![true; sources.len()];
    let mut shown: Vec<bool> = sources.iter().map(|s| s.is_active()).collect();
    let mut notes = Vec::new();

    // Exports of the same id are versions of one finding; an export without an id is a finding
    // of its own.
    let mut by_id: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut alone: Vec<Vec<usize>> = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        match source.finding.as_ref().map(|f| f.id.as_deref()) {
            Some(Some(id)) => by_id.entry(id).or_default().push(i),
            Some(None) => alone.push(vec![i]),
            None => {}
        }
    }

    let mut groups = Vec::new();
    for versions in by_id.into_values().chain(alone) {
        let newest = newest(
            sources,
            &versions,
            |s| s.updated_at.as_deref(),
            |s| s.analyzed_at.as_deref(),
        );
        let inactive = newest.iter().any(|&i| !sources[i].is_active());
        let detailed = newest
            .iter()
            .any(|&i| sources[i].finding.as_ref().is_some_and(|f| !f.summary));
        let outcome = match (inactive, detailed) {
            (true, _) => Outcome::Inactive,
            (false, true) => Outcome::Detailed,
            (false, false) => Outcome::SummaryOnly,
        };
        let has_active = versions.iter().any(|&i| sources[i].is_active());
        let mut services = BTreeSet::new();
        for &i in &versions {
            // An inactive export still belongs to the view when it overrules an active one.
            shown[i] = shown[i] || has_active;
            if outcome == Outcome::Inactive || !newest.contains(&i) {
                speaks[i] = false;
            } else {
                services.extend(sources[i].mentions.iter().map(|(ns, _)| ns.as_str()));
            }
        }
        let unused_permission = versions.iter().any(|&i| {
            sources[i]
                .finding
                .as_ref()
                .is_some_and(|f| f.unused_permission)
        });
        let group = Group {
            versions,
            newest,
            outcome,
            services,
            unused_permission,
        };
        if let Some(note) = version_note(sources, &group, has_active) {
            notes.push(note);
        }
        groups.push(group);
    }

    let judged = judged_services(sources, &groups, &mut notes);
    notes.sort();
    notes.dedup();
    Plan {
        speaks,
        shown,
        judged,
        notes,
    }
}

/// The services the newest UnusedPermission analyses of the principal list, and a note for each
/// older finding whose claims on other services are dropped.
fn judged_services<'s>(
    sources: &[&'s Source],
    groups: &[Group<'s>],
    notes: &mut Vec<String>,
) -> Option<BTreeSet<&'s str>> {
    // Each newest version of a finding stands for it, with what the finding now reports.
    let mut owner = BTreeMap::new();
    for (g, group) in groups.iter().enumerate() {
        if group.unused_permission {
            for &i in &group.newest {
                owner.insert(i, g);
            }
        }
    }
    if owner.is_empty() {
        return None;
    }
    let members: Vec<usize> = owner.keys().copied().collect();
    let latest = newest(
        sources,
        &members,
        |s| s.analyzed_at.as_deref(),
        |s| s.updated_at.as_deref(),
    );
    let latest_groups: BTreeSet<usize> = latest
        .iter()
        .filter_map(|i| owner.get(i))
        .copied()
        .collect();
    let judged: BTreeSet<&str> = latest_groups
        .iter()
        .filter_map(|&g| groups.get(g))
        .flat_map(|group| group.services.iter().copied())
        .collect();
    for group in groups {
        let dropped: Vec<&str> = group
            .services
            .iter()
            .filter(|ns| !judged.contains(*ns))
            .copied()
            .collect();
        if dropped.is_empty() {
            continue;
        }
        let Some(source) = representative(sources, group.newest.iter().copied()) else {
            continue;
        };
        let described: BTreeSet<String> = latest_groups
            .iter()
            .filter_map(|&g| groups.get(g))
            .map(|g| describe_analysis(sources, g))
            .collect();
        let described: Vec<String> = described.into_iter().collect();
        notes.push(format!(
            "{} for {}: what it reports unused in {} is treated as used: the newest analysis of the \
             principal ({}) does not report {} unused",
            label(source),
            quote(&source.principal.to_string()),
            dropped.join(", "),
            shorten(&described, " and "),
            if dropped.len() == 1 { "it" } else { "them" },
        ));
    }
    Some(judged)
}

/// "finding `ID` analyzed `ANALYZED_AT` in FILE", and its state when it reports nothing.
fn describe_analysis(sources: &[&Source], group: &Group) -> String {
    let deciding = group.deciding(sources);
    let Some(source) = representative(sources, deciding.iter().copied()) else {
        return String::new();
    };
    let state = match group.outcome {
        Outcome::Detailed => String::new(),
        Outcome::SummaryOnly => ", a list-findings-v2 summary".to_string(),
        Outcome::Inactive => format!(", {}", inactive_status(sources, group)),
    };
    format!(
        "{} analyzed {} in {}{state}",
        label(source),
        time(source.analyzed_at.as_deref()),
        files(sources, &deciding)
    )
}

/// A note when older exports of a finding were set aside, or when its newest is inactive beside
/// an active export.
fn version_note(sources: &[&Source], group: &Group, has_active: bool) -> Option<String> {
    let superseded = group.versions.len() - group.newest.len();
    let deciding = group.deciding(sources);
    let source = representative(sources, deciding.iter().copied())?;
    // Most findings are exported once: the note is only written when there is one.
    let head = || {
        format!(
            "{} for {}: the version of {} in {}",
            label(source),
            quote(&source.principal.to_string()),
            time(source.updated_at.as_deref()),
            files(sources, &deciding)
        )
    };
    let older = || {
        if superseded > 0 {
            format!(" supersedes {superseded} older export(s)")
        } else {
            String::new()
        }
    };
    match group.outcome {
        Outcome::Detailed if superseded > 0 => Some(format!("{}{}", head(), older())),
        // Only details were set aside: older summaries reported nothing unused.
        Outcome::SummaryOnly if superseded_details(sources, group) => Some(format!(
            "{} is a list-findings-v2 summary and{}: what they report unused is treated as \
             used; export the finding again with get-finding-v2",
            head(),
            older()
        )),
        Outcome::Inactive if has_active => Some(format!(
            "{} is {}{}: what any export of it reports unused is treated as used",
            head(),
            inactive_status(sources, group),
            if superseded > 0 {
                format!(" and{}", older())
            } else {
                String::new()
            }
        )),
        _ => None,
    }
}

fn superseded_details(sources: &[&Source], group: &Group) -> bool {
    group.versions.iter().any(|&i| {
        !group.newest.contains(&i) && sources[i].finding.as_ref().is_some_and(|f| !f.summary)
    })
}

fn inactive_status(sources: &[&Source], group: &Group) -> String {
    let statuses: BTreeSet<&str> = group
        .newest
        .iter()
        .filter(|&&i| !sources[i].is_active())
        .filter_map(|&i| sources[i].finding.as_ref().map(|f| f.status.as_str()))
        .collect();
    statuses.into_iter().collect::<Vec<_>>().join(" and ")
}

fn label(source: &Source) -> String {
    match source.finding.as_ref().and_then(|f| f.id.as_deref()) {
        Some(id) => format!("finding {}", quote(id)),
        None => format!("the finding without an id in {}", source.file.display()),
    }
}

fn time(t: Option<&str>) -> String {
    t.map_or_else(|| "unknown time".to_string(), quote)
}

/// The files of some sources, each once, in path order.
fn files(sources: &[&Source], indices: &BTreeSet<usize>) -> String {
    let names: BTreeSet<String> = indices
        .iter()
        .map(|&i| sources[i].file.display().to_string())
        .collect();
    shorten(&names.into_iter().collect::<Vec<_>>(), ", ")
}

/// At most a few items, then how many more: a note stays one readable line.
fn shorten(items: &[String], separator: &str) -> String {
    const SHOWN: usize = 3;
    let mut text = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(separator);
    if items.len() > SHOWN {
        text.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    text
}

/// The items no other item is known to be newer than: ordered by the `first` time, and among
/// those of the same `first` time by the `second`.
///
/// Two items are ordered only on a time both have, so an item missing its `first` time, or its
/// `second` when the `first` ties, is among the newest: which of them is newer is unknown, and
/// the cautious reading is to let them all vote. "Newer" so defined is a strict partial order,
/// which makes the result the same whatever order the items come in.
fn newest(
    sources: &[&Source],
    items: &[usize],
    first: impl Fn(&Source) -> Option<&str>,
    second: impl Fn(&Source) -> Option<&str>,
) -> BTreeSet<usize> {
    let Some(top) = latest(items.iter().filter_map(|&i| first(sources[i]))) else {
        return items.iter().copied().collect();
    };
    let at_top = |i: usize| first(sources[i]).is_some_and(|t| cmp_time(t, top).is_eq());
    let top_second = latest(
        items
            .iter()
            .filter(|&&i| at_top(i))
            .filter_map(|&i| second(sources[i])),
    );
    items
        .iter()
        .copied()
        .filter(|&i| match first(sources[i]) {
            None => true,
            Some(_) if !at_top(i) => false,
            Some(_) => match (second(sources[i]), top_second) {
                (Some(t), Some(top)) => cmp_time(t, top).is_eq(),
                _ => true,
            },
        })
        .collect()
}

fn latest<'t>(times: impl Iterator<Item = &'t str>) -> Option<&'t str> {
    times.fold(None, |max, t| match max {
        Some(m) if cmp_time(t, m).is_le() => Some(m),
        _ => Some(t),
    })
}

/// The version a note names among several equally new ones: fixed by what they hold rather
/// than by the order they were loaded in.
fn representative<'s>(
    sources: &[&'s Source],
    indices: impl Iterator<Item = usize>,
) -> Option<&'s Source> {
    indices.map(|i| sources[i]).min_by_key(|s| {
        (
            // A version with a time names it.
            s.updated_at.is_none(),
            s.file.clone(),
            s.updated_at.clone(),
            s.analyzed_at.clone(),
            s.principal.to_string(),
        )
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::formats::{FindingMeta, Mention};
    use crate::model::Principal;

    const ROLE: &str = "arn:aws:iam::111122223333:role/R";

    fn version(
        id: Option<&str>,
        status: &str,
        analyzed: Option<&str>,
        updated: Option<&str>,
        services: &[&str],
    ) -> Source {
        Source {
            principal: ROLE.parse().map_or(Principal::Any, Principal::Arn),
            mentions: services
                .iter()
                .map(|ns| (ns.to_string(), Mention::default()))
                .collect(),
            facts: Vec::new(),
            analyzed_at: analyzed.map(str::to_string),
            updated_at: updated.map(str::to_string),
            file: PathBuf::from(format!(
                "{}-{}.json",
                id.unwrap_or("none"),
                updated.unwrap_or("none")
            )),
            finding: Some(FindingMeta {
                id: id.map(str::to_string),
                status: status.to_string(),
                active: status == "ACTIVE",
                summary: false,
                unused_permission: true,
            }),
        }
    }

    fn newest_by_update(sources: &[Source]) -> Vec<usize> {
        let refs: Vec<&Source> = sources.iter().collect();
        let items: Vec<usize> = (0..refs.len()).collect();
        newest(
            &refs,
            &items,
            |s| s.updated_at.as_deref(),
            |s| s.analyzed_at.as_deref(),
        )
        .into_iter()
        .collect()
    }

    #[test]
    fn newest_orders_by_the_first_time_then_the_second() {
        let t = |a: &str, u: &str| version(Some("f"), "ACTIVE", Some(a), Some(u), &[]);
        let sources = [
            t("2024-06-09T00:00:00Z", "2024-06-01T00:00:00Z"),
            t("2024-06-01T00:00:00Z", "2024-06-02T00:00:00Z"),
            t("2024-06-02T00:00:00Z", "2024-06-02T00:00:00+00:00"),
        ];
        // The second and third have the same update time; the third was analyzed later.
        assert_eq!(newest_by_update(&sources), [2]);
    }

    #[test]
    fn equal_instants_in_other_spellings_tie() {
        let t = |u: &str| version(Some("f"), "ACTIVE", None, Some(u), &[]);
        let sources = [
            t("2024-06-02T00:00:00Z"),
            t("2024-06-02T00:00:00.000+00:00"),
        ];
        assert_eq!(newest_by_update(&sources), [0, 1]);
    }

    #[test]
    fn a_missing_time_cannot_be_ordered() {
        let sources = [
            version(Some("f"), "ACTIVE", None, None, &[]),
            version(Some("f"), "ACTIVE", None, Some("2024-06-01T00:00:00Z"), &[]),
            version(Some("f"), "ACTIVE", None, Some("2024-06-02T00:00:00Z"), &[]),
        ];
        assert_eq!(newest_by_update(&sources), [0, 2]);
        // The same update time, one without an analysis time: both are newest.
        let sources = [
            version(Some("f"), "ACTIVE", None, Some("2024-06-02T00:00:00Z"), &[]),
            version(
                Some("f"),
                "ACTIVE",
                Some("2024-06-03T00:00:00Z"),
                Some("2024-06-02T00:00:00Z"),
                &[],
            ),
            version(
                Some("f"),
                "ACTIVE",
                Some("2024-06-01T00:00:00Z"),
                Some("2024-06-02T00:00:00Z"),
                &[],
            ),
        ];
        assert_eq!(newest_by_update(&sources), [0, 1]);
    }

    #[test]
    fn an_older_version_says_nothing() {
        let sources = [
            version(
                Some("f"),
                "ACTIVE",
                Some("2024-06-01T00:00:00Z"),
                Some("2024-06-01T00:00:00Z"),
                &["s3", "dynamodb"],
            ),
            version(
                Some("f"),
                "ACTIVE",
                Some("2024-06-20T00:00:00Z"),
                Some("2024-06-20T00:00:00Z"),
                &["dynamodb"],
            ),
        ];
        let refs: Vec<&Source> = sources.iter().collect();
        let plan = plan(&refs);
        assert_eq!(plan.speaks, [false, true]);
        assert_eq!(plan.shown, [true, true]);
        assert_eq!(
            plan.judged.map(|j| j.into_iter().collect::<Vec<_>>()),
            Some(vec!["dynamodb"])
        );
        assert_eq!(plan.notes.len(), 1);
        assert!(
            plan.notes[0].ends_with("supersedes 1 older export(s)"),
            "{:?}",
            plan.notes
        );
    }

    #[test]
    fn an_inactive_newest_version_silences_every_version() {
        let sources = [
            version(
                Some("f"),
                "ACTIVE",
                Some("2024-06-01T00:00:00Z"),
                Some("2024-06-01T00:00:00Z"),
                &["s3"],
            ),
            version(
                Some("f"),
                "ARCHIVED",
                Some("2024-06-01T00:00:00Z"),
                Some("2024-06-20T00:00:00Z"),
                &[],
            ),
            version(Some("g"), "RESOLVED", None, None, &[]),
        ];
        let refs: Vec<&Source> = sources.iter().collect();
        let plan = plan(&refs);
        assert_eq!(plan.speaks, [false, false, false]);
        // The ARCHIVED version overrules an active export; `g` has none and stays out of view.
        assert_eq!(plan.shown, [true, true, false]);
        assert_eq!(plan.judged.map(|j| j.len()), Some(0));
        assert!(
            plan.notes
                .iter()
                .any(|n| n.contains("is ARCHIVED and supersedes 1 older export(s)")),
            "{:?}",
            plan.notes
        );
    }

    #[test]
    fn sources_without_a_finding_are_left_alone() {
        let mut list = version(None, "ACTIVE", None, None, &["s3"]);
        list.finding = None;
        let newer = version(
            Some("f"),
            "ACTIVE",
            Some("2024-06-20T00:00:00Z"),
            None,
            &["sqs"],
        );
        let refs = [&list, &newer];
        let plan = plan(&refs);
        assert_eq!(plan.speaks, [true, true]);
        assert!(plan.counts(0, &list, "s3"), "a simple list keeps its vote");
        assert!(!plan.counts(1, &newer, "s3"));
        assert!(plan.counts(1, &newer, "sqs"));
        assert!(plan.notes.is_empty());
    }

    #[test]
    fn the_plan_does_not_depend_on_the_order() {
        let sources = [
            version(
                Some("a"),
                "ACTIVE",
                Some("2024-06-01T00:00:00Z"),
                Some("2024-06-01T00:00:00Z"),
                &["s3", "kms"],
            ),
            version(
                Some("a"),
                "ACTIVE",
                Some("2024-06-05T00:00:00Z"),
                Some("2024-06-05T00:00:00Z"),
                &["s3"],
            ),
            version(
                Some("b"),
                "ACTIVE",
                Some("2024-06-04T00:00:00Z"),
                Some("2024-06-04T00:00:00Z"),
                &["sqs", "kms"],
            ),
            version(None, "ACTIVE", None, None, &["sns"]),
            version(
                Some("c"),
                "RESOLVED",
                Some("2024-06-03T00:00:00Z"),
                Some("2024-06-06T00:00:00Z"),
                &[],
            ),
        ];
        let forward: Vec<&Source> = sources.iter().collect();
        let backward: Vec<&Source> = sources.iter().rev().collect();
        let (f, b) = (plan(&forward), plan(&backward));
        assert_eq!(f.notes, b.notes);
        assert_eq!(f.judged, b.judged);
        let reversed: Vec<bool> = b.speaks.iter().rev().copied().collect();
        assert_eq!(f.speaks, reversed);
        // `a` analyzed on 5 June and the finding with no time are the newest analyses (`c` was
        // updated later but analyzed before): `b` loses sqs and kms.
        assert_eq!(
            f.judged.map(|j| j.into_iter().collect::<Vec<_>>()),
            Some(vec!["s3", "sns"])
        );
    }
}
