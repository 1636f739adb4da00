//! Properties of the refinement over random patterns and findings drawn from the real catalog.

use iamprune_catalog::{ActionSet, Catalog, Pattern, PatternKind};
use iamprune_policy::{Outcome, Unused, UnusedSet, refine_pattern, tokens};
use proptest::prelude::*;

/// A pattern from the catalog: an action cut after one of its tokens with `*` appended, the service
/// wildcard, an exact name, or an inner wildcard.
fn pattern(catalog: &Catalog, id: u32, cut: usize, shape: u8) -> Pattern {
    let name = catalog.name(id % catalog.len() as u32);
    let (service, action) = name.split_once(':').unwrap_or((name, ""));
    let mut cuts: Vec<usize> = tokens::boundaries(action);
    cuts.insert(0, 0);
    let at = cuts[cut % cuts.len()];
    match shape % 6 {
        0 => Pattern::new(format!("{service}:*")),
        1 => Pattern::new(name),
        2 => Pattern::new(format!("{service}:*{}*", &action[at..])),
        3 => Pattern::new(format!("{service}:{}?*", &action[..at])),
        _ => Pattern::new(format!("{service}:{}*", &action[..at])),
    }
}

/// Unused: a random part of what the pattern matches, sometimes its whole service, sometimes a name
/// the catalog does not know.
fn unused_for(catalog: &Catalog, pattern: &Pattern, picks: &[u16], extra: u8) -> Unused {
    let ids: Vec<u32> = catalog.expand(pattern).iter().collect();
    let mut unused = Unused::new();
    if !ids.is_empty() {
        for pick in picks {
            let _ = unused.add_action(catalog.name(ids[*pick as usize % ids.len()]));
        }
    }
    let service = pattern.as_str().split(':').next().unwrap_or("s3");
    match extra % 8 {
        0 => {
            let _ = unused.add_action(&format!(
                "{}NewInFuture",
                pattern.as_str().trim_end_matches(['*', '?'])
            ));
        }
        1 => {
            let _ = unused.add_service("sqs");
        }
        2 if picks.len() > 7 => {
            let _ = unused.add_service(service);
        }
        _ => {}
    }
    unused
}

fn emitted(outcome: &Outcome) -> Vec<Pattern> {
    match outcome {
        Outcome::Keep | Outcome::Remove => Vec::new(),
        Outcome::Replace(ps) => ps.iter().map(|p| Pattern::new(p.as_str())).collect(),
    }
}

fn allowed(catalog: &Catalog, original: &Pattern, outcome: &Outcome) -> ActionSet {
    match outcome {
        Outcome::Keep => catalog.expand(original),
        Outcome::Remove => ActionSet::empty(catalog.len()),
        Outcome::Replace(_) => catalog.expand_all(emitted(outcome).iter()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Soundness: nothing used is lost, nothing unused or new is granted, and every emitted pattern
    /// stays inside the original for actions AWS may add later.
    #[test]
    fn refinement_is_sound(id in any::<u32>(), cut in 0usize..8, shape in any::<u8>(),
                           picks in proptest::collection::vec(any::<u16>(), 0..40), extra in any::<u8>()) {
        let catalog = Catalog::embedded();
        let p = pattern(catalog, id, cut, shape);
        let unused = UnusedSet::resolve(catalog, &unused_for(catalog, &p, &picks, extra));
        let r = refine_pattern(&p, &unused);
        let mut expected = catalog.expand(&p);
        let hits_unused = !unused.granted_by(&p, &expected).0.is_empty();
        expected.difference_with(unused.ids());
        let got = allowed(catalog, &p, &r.outcome);
        if r.outcome == Outcome::Keep {
            prop_assert!(!hits_unused || iamprune_policy::is_full_wildcard(&p));
        } else {
            prop_assert_eq!(got, expected);
        }
        for q in emitted(&r.outcome) {
            match q.kind() {
                PatternKind::Exact => prop_assert!(catalog.lookup(q.as_str()).is_some()),
                PatternKind::TrailingStar => {
                    prop_assert!(p.covers_prefix(q.literal_prefix()), "{} escapes {}", q, p);
                    prop_assert!(!unused.any_with_prefix(q.literal_prefix()), "{} matches an unused name", q);
                }
                other => prop_assert!(false, "emitted {:?} {}", other, q),
            }
        }
    }

    /// Least generality, in the sense of shortest safe prefixes: every emitted wildcard covers at least
    /// two actions, none can be cut one token shorter and stay safe and inside the original, and none is
    /// covered by another.
    #[test]
    fn refinement_uses_the_shortest_safe_prefixes(id in any::<u32>(), cut in 0usize..8, shape in any::<u8>(),
                                                 picks in proptest::collection::vec(any::<u16>(), 1..40), extra in any::<u8>()) {
        let catalog = Catalog::embedded();
        let p = pattern(catalog, id, cut, shape);
        let unused = UnusedSet::resolve(catalog, &unused_for(catalog, &p, &picks, extra));
        let r = refine_pattern(&p, &unused);
        let out = emitted(&r.outcome);
        for (i, q) in out.iter().enumerate() {
            for (j, other) in out.iter().enumerate() {
                prop_assert!(i == j || !q.is_covered_by(other), "{} is covered by {}", q, other);
            }
            if q.kind() != PatternKind::TrailingStar {
                continue;
            }
            let prefix = q.literal_prefix();
            prop_assert!(catalog.prefix_range_lower(prefix).len() >= 2, "{} matches one action", q);
            // The parent node: the prefix cut at its previous token boundary.
            let colon = prefix.find(':').map_or(0, |c| c + 1);
            let full = catalog.name(catalog.prefix_range_lower(prefix).start);
            let parent = tokens::boundaries(&full[colon..]).into_iter().map(|b| b + colon)
                .chain([colon])
                .filter(|&b| b < prefix.len())
                .max();
            if let Some(parent) = parent.filter(|&b| b >= p.literal_prefix().len()) {
                let parent = &prefix[..parent];
                prop_assert!(unused.any_with_prefix(parent) || !p.covers_prefix(parent),
                    "{} could be shortened to {}*", q, parent);
            }
        }
    }

    /// Idempotence: refining the result again with the same findings changes nothing.
    #[test]
    fn refinement_is_idempotent(id in any::<u32>(), cut in 0usize..8, shape in any::<u8>(),
                                picks in proptest::collection::vec(any::<u16>(), 0..40), extra in any::<u8>()) {
        let catalog = Catalog::embedded();
        let p = pattern(catalog, id, cut, shape);
        let unused = UnusedSet::resolve(catalog, &unused_for(catalog, &p, &picks, extra));
        let r = refine_pattern(&p, &unused);
        for q in emitted(&r.outcome) {
            prop_assert_eq!(refine_pattern(&q, &unused).outcome, Outcome::Keep, "{} changes again", q);
        }
    }
}
