//! Refinements remembered across checks of the same text, as an editor checks a template again at
//! every keystroke: a statement refined against the same unused actions refines the same way wherever
//! it stands, so only the spans of its elements are taken anew.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use iamprune_catalog::ActionSet;

use crate::model::{ActionKey, Effect, ElementValue, PolicyDocument, Statement};
use crate::refine::{Refinement, StatementRefinement, Unchanged, refine_statement};
use crate::unused::UnusedSet;

/// Past this many unused sets remembered, the memo starts again: a long editing session over many
/// principals keeps only what it uses lately.
const MAX_SETS: usize = 1024;

/// Past this many statements remembered for one unused set, that set starts again.
const MAX_STATEMENTS: usize = 16 * 1024;

/// Statement refinements by the unused set they were made against. One per catalog: it belongs to
/// the project whose catalog and findings made the sets.
#[derive(Debug, Default)]
pub struct RefineMemo {
    sets: Mutex<HashMap<u64, Vec<Remembered>>>,
}

/// The refinements made against one unused set, with the set itself to tell it from another of the
/// same hash.
#[derive(Debug)]
struct Remembered {
    ids: ActionSet,
    services: BTreeMap<String, String>,
    unknown: BTreeMap<String, String>,
    statements: HashMap<StatementKey, StatementRefinement>,
}

impl Remembered {
    fn is(&self, unused: &UnusedSet<'_>) -> bool {
        self.ids == *unused.ids()
            && self.services == unused.services
            && self.unknown == unused.unknown
    }
}

/// What a statement's refinement depends on: everything of it but its spans, sid and place.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct StatementKey {
    effect: Effect,
    undecidable: Option<String>,
    key: Option<ActionKey>,
    is_list: bool,
    /// Each element as written: a pattern, or what stands for an expression.
    elements: Vec<Result<String, String>>,
}

impl StatementKey {
    fn of(statement: &Statement) -> Self {
        let block = statement.actions.as_ref();
        StatementKey {
            effect: statement.effect,
            undecidable: statement.undecidable.clone(),
            key: block.map(|b| b.key),
            is_list: block.is_some_and(|b| b.is_list),
            elements: block
                .into_iter()
                .flat_map(|b| &b.elements)
                .map(|e| match &e.value {
                    ElementValue::Pattern(p) => Ok(p.as_str().to_string()),
                    ElementValue::Undecidable(what) => Err(what.clone()),
                })
                .collect(),
        }
    }
}

impl RefineMemo {
    pub fn new() -> Self {
        Self::default()
    }

    /// [`crate::refine_document`], taking each statement's refinement from the memo when the same
    /// statement was refined against the same unused set before.
    pub fn refine_document(&self, document: &PolicyDocument, unused: &UnusedSet<'_>) -> Refinement {
        let hash = fingerprint(unused);
        Refinement {
            statements: document
                .statements
                .iter()
                .map(|statement| self.refine_statement(statement, unused, hash))
                .collect(),
        }
    }

    fn refine_statement(
        &self,
        statement: &Statement,
        unused: &UnusedSet<'_>,
        hash: u64,
    ) -> StatementRefinement {
        let key = StatementKey::of(statement);
        if let Some(mut remembered) = self.lookup(hash, unused, &key) {
            // The same refinement, at the places of this statement and its elements.
            match (&mut remembered, &statement.actions) {
                (StatementRefinement::Elements { changes, .. }, Some(block)) => {
                    for change in changes {
                        if let Some(element) = block.elements.get(change.element) {
                            change.span = element.span;
                        }
                    }
                }
                (StatementRefinement::Unchanged(Unchanged::ProofFailed(failure)), _) => {
                    failure.statement = statement.index;
                }
                _ => {}
            }
            return remembered;
        }
        let refined = refine_statement(statement, unused);
        self.remember(hash, unused, key, refined.clone());
        refined
    }

    fn lookup(
        &self,
        hash: u64,
        unused: &UnusedSet<'_>,
        key: &StatementKey,
    ) -> Option<StatementRefinement> {
        let sets = self.sets.lock().unwrap_or_else(|p| p.into_inner());
        sets.get(&hash)?
            .iter()
            .find(|r| r.is(unused))?
            .statements
            .get(key)
            .cloned()
    }

    fn remember(
        &self,
        hash: u64,
        unused: &UnusedSet<'_>,
        key: StatementKey,
        refined: StatementRefinement,
    ) {
        let mut sets = self.sets.lock().unwrap_or_else(|p| p.into_inner());
        if !sets.contains_key(&hash) && sets.len() >= MAX_SETS {
            sets.clear();
        }
        let same_hash = sets.entry(hash).or_default();
        let at = match same_hash.iter().position(|r| r.is(unused)) {
            Some(at) => at,
            None => {
                same_hash.push(Remembered {
                    ids: unused.ids().clone(),
                    services: unused.services.clone(),
                    unknown: unused.unknown.clone(),
                    statements: HashMap::new(),
                });
                same_hash.len() - 1
            }
        };
        if let Some(remembered) = same_hash.get_mut(at) {
            if remembered.statements.len() >= MAX_STATEMENTS {
                remembered.statements.clear();
            }
            remembered.statements.insert(key, refined);
        }
    }
}

/// A hash of what an unused set holds; sets of equal hash are told apart by comparing them.
fn fingerprint(unused: &UnusedSet<'_>) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for id in unused.ids().iter() {
        id.hash(&mut hasher);
    }
    unused.services.hash(&mut hasher);
    unused.unknown.hash(&mut hasher);
    hasher.finish()
}
