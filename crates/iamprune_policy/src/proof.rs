//! The proof obligation every refinement must meet before it is offered.
//!
//! Over the catalog, what the refined statement allows equals what the original allowed minus the
//! unused actions: nothing used is lost, nothing new is granted. Beyond today's catalog, every emitted
//! pattern is an exact catalog name or `Prefix*` where every string starting with `Prefix` matched the
//! original pattern and no unused name (known to the catalog or not) starts with `Prefix`, so actions AWS
//! adds later are granted only if the original pattern granted them too.

use std::fmt;

use iamprune_catalog::{ActionSet, Catalog, Pattern, PatternKind};

use crate::model::{ActionKey, Statement};
use crate::refine::{Outcome, StatementRefinement};
use crate::unused::UnusedSet;

/// A refinement that failed its proof: an internal error, reported with its inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofFailure {
    pub statement: usize,
    /// The pattern whose refinement failed, or the statement's patterns.
    pub original: Vec<String>,
    pub refined: Vec<String>,
    pub reason: String,
}

impl fmt::Display for ProofFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "internal error: the refinement of statement {} failed its proof ({}); original {:?}, refined {:?}",
            self.statement + 1,
            self.reason,
            self.original,
            self.refined
        )
    }
}

impl std::error::Error for ProofFailure {}

/// Checks a statement's refinement against the statement it came from.
pub fn check_statement(
    statement: &Statement,
    refinement: &StatementRefinement,
    unused: &UnusedSet<'_>,
) -> Result<(), ProofFailure> {
    let catalog = unused.catalog();
    let Some(block) = &statement.actions else {
        return Ok(());
    };
    let patterns: Vec<Pattern> = block
        .elements
        .iter()
        .filter_map(|e| e.pattern().cloned())
        .collect();
    let fail = |original: Vec<String>, refined: Vec<String>, reason: String| ProofFailure {
        statement: statement.index,
        original,
        refined,
        reason,
    };
    let all = ActionSet::from_range(catalog.len(), catalog.ids());
    match refinement {
        StatementRefinement::Unchanged(_) => Ok(()),
        StatementRefinement::Elements { changes, .. } => {
            if block.key != ActionKey::Action {
                return Err(fail(
                    names(&patterns),
                    vec![],
                    "element changes on a NotAction list".into(),
                ));
            }
            for change in changes {
                let original = Pattern::new(change.original.as_str());
                let refined: Vec<String> = match &change.refinement.outcome {
                    Outcome::Keep => continue,
                    Outcome::Remove => Vec::new(),
                    Outcome::Replace(patterns) => patterns.clone(),
                };
                check_pattern(catalog, &original, &refined, unused).map_err(|reason| {
                    fail(vec![change.original.clone()], refined.clone(), reason)
                })?;
            }
            Ok(())
        }
        StatementRefinement::ToNotAction { not_action } => {
            // Before: everything. After: everything but `not_action`. It must be exactly the unused.
            let excluded = expand_names(catalog, not_action);
            let mut expected = unused.ids().clone();
            expected.intersect_with(&all);
            if excluded != expected {
                return Err(fail(
                    names(&patterns),
                    not_action.clone(),
                    difference_reason(catalog, &excluded, &expected),
                ));
            }
            check_exclusions(not_action, unused)
                .map_err(|r| fail(names(&patterns), not_action.clone(), r))
        }
        StatementRefinement::ExtendNotAction { added } => {
            let before_excluded = catalog.expand_all(patterns.iter());
            let mut before = all.clone();
            before.difference_with(&before_excluded);
            let mut after_excluded = before_excluded.clone();
            after_excluded.union_with(&expand_names(catalog, added));
            let mut after = all;
            after.difference_with(&after_excluded);
            let mut expected = before;
            expected.difference_with(unused.ids());
            if after != expected {
                return Err(fail(
                    names(&patterns),
                    added.clone(),
                    difference_reason(catalog, &after, &expected),
                ));
            }
            check_exclusions(added, unused).map_err(|r| fail(names(&patterns), added.clone(), r))
        }
    }
}

/// `E(refined) = E(original) − U` over the catalog, and every refined pattern stays inside the original
/// and away from unused names for future actions too.
pub fn check_pattern(
    catalog: &Catalog,
    original: &Pattern,
    refined: &[String],
    unused: &UnusedSet<'_>,
) -> Result<(), String> {
    let mut expected = catalog.expand(original);
    expected.difference_with(unused.ids());
    let got = expand_names(catalog, refined);
    if got != expected {
        return Err(difference_reason(catalog, &got, &expected));
    }
    for text in refined {
        let pattern = Pattern::new(text.as_str());
        match pattern.kind() {
            PatternKind::Exact => {
                if catalog.lookup(text).is_none() {
                    return Err(format!("`{text}` is not a catalog action"));
                }
            }
            PatternKind::TrailingStar => {
                let prefix = pattern.literal_prefix();
                if !original.covers_prefix(prefix) {
                    return Err(format!("`{text}` can match actions `{original}` does not"));
                }
                if unused.any_with_prefix(prefix) {
                    return Err(format!("`{text}` matches an unused action"));
                }
            }
            _ => {
                return Err(format!(
                    "`{text}` is neither an exact action nor a prefix wildcard"
                ));
            }
        }
    }
    Ok(())
}

/// Each pattern added to a `NotAction` list must exclude only unused actions: an exact unused name, or
/// `svc:*` for a service unused as a whole.
fn check_exclusions(patterns: &[String], unused: &UnusedSet<'_>) -> Result<(), String> {
    for text in patterns {
        let pattern = Pattern::new(text.as_str());
        let ok = match pattern.kind() {
            PatternKind::Exact => unused.is_unused(text),
            PatternKind::TrailingStar => pattern
                .literal_prefix()
                .strip_suffix(':')
                .is_some_and(|service| unused.services().any(|s| s == service)),
            _ => false,
        };
        if !ok {
            return Err(format!(
                "`{text}` would exclude an action that is not unused"
            ));
        }
    }
    Ok(())
}

fn expand_names(catalog: &Catalog, patterns: &[String]) -> ActionSet {
    let patterns: Vec<Pattern> = patterns.iter().map(|p| Pattern::new(p.as_str())).collect();
    catalog.expand_all(patterns.iter())
}

fn names(patterns: &[Pattern]) -> Vec<String> {
    patterns.iter().map(|p| p.as_str().to_string()).collect()
}

fn difference_reason(catalog: &Catalog, got: &ActionSet, expected: &ActionSet) -> String {
    let mut lost = expected.clone();
    lost.difference_with(got);
    let mut extra = got.clone();
    extra.difference_with(expected);
    let sample = |set: &ActionSet| {
        set.iter()
            .take(5)
            .map(|id| catalog.name(id))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts = Vec::new();
    if !lost.is_empty() {
        parts.push(format!(
            "loses {} kept actions ({})",
            lost.len(),
            sample(&lost)
        ));
    }
    if !extra.is_empty() {
        parts.push(format!(
            "grants {} actions it should not ({})",
            extra.len(),
            sample(&extra)
        ));
    }
    parts.join("; ")
}
