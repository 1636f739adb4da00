//! The least-general refinement: for each pattern, the shortest CamelCase-token prefixes that still
//! allow every used action it allowed and none of the unused ones.
//!
//! For a pattern `p` with expansion `E(p)` over the catalog and unused set `U`:
//! - `E(p) ∩ U = ∅` (counting unused names the catalog does not know): keep `p`;
//! - `p` exact and unused: remove it;
//! - otherwise walk a trie of `E(p)` over CamelCase tokens from `p`'s literal prefix. A node (a string
//!   prefix) is *safe* when no unused name starts with it, and *contained* when every string starting with
//!   it matches `p` — which holds for every node under a trailing `*`, and makes inner-wildcard patterns
//!   (`s3:*Object*`, `s3:Get?bject`) fall back to exact names wherever a prefix could leave `p`. A safe,
//!   contained node is emitted as `Prefix*`, or as the exact action when `Prefix*` matches just one
//!   catalog action; otherwise its own action (if it is one and is used) is emitted exactly and the walk
//!   goes on below it. Emitted patterns covered by another emitted wildcard are dropped.
//!
//! Statement forms: Deny is never changed; `Allow` + `Action` holding the full wildcard becomes
//! `NotAction: [unused]`, which allows exactly what `*` allowed minus the unused actions; `Allow` +
//! `NotAction` gains the unused actions it allowed. Every result is checked by [`crate::proof`] before it
//! is returned.

use iamprune_catalog::{ActionId, ActionSet, Catalog, Pattern, PatternKind};
use iamprune_syntax::Span;

use crate::model::{ActionKey, Effect, ElementValue, PolicyDocument, Statement};
use crate::proof::{self, ProofFailure};
use crate::tokens;
use crate::unused::UnusedSet;

/// What becomes of one pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing it grants is unused.
    Keep,
    /// Everything it grants is unused.
    Remove,
    /// Narrowed to these patterns, sorted.
    Replace(Vec<String>),
}

/// The refinement of one pattern, with what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternRefinement {
    pub outcome: Outcome,
    /// How many catalog actions the pattern matches.
    pub granted: usize,
    /// The unused actions it grants: canonical catalog names, then names the catalog does not know.
    pub unused: Vec<String>,
}

/// The refinement of one element of an `Action` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementRefinement {
    /// Index in the statement's `Action` list.
    pub element: usize,
    pub span: Span,
    pub original: String,
    pub refinement: PatternRefinement,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementRefinement {
    Unchanged(Unchanged),
    /// `Allow` + `Action`: the elements that change (at least one), in list order.
    Elements {
        changes: Vec<ElementRefinement>,
        /// Every element goes: remove the statement.
        removes_statement: bool,
        /// Elements that are expressions, left as they are.
        undecidable: Vec<(usize, String)>,
    },
    /// `Allow` + `Action` with the full wildcard: becomes `NotAction` with these patterns.
    ToNotAction {
        not_action: Vec<String>,
    },
    /// `Allow` + `NotAction`: these patterns are added to `NotAction`.
    ExtendNotAction {
        added: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unchanged {
    Deny,
    /// The effect is an expression.
    UnknownEffect,
    /// The statement, or the element that decides its form, is an expression.
    Undecidable(String),
    NothingUnused,
    /// A refinement was computed but failed its proof; it is not offered.
    ProofFailed(ProofFailure),
}

/// The refinement of a whole document, one entry per statement in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refinement {
    pub statements: Vec<StatementRefinement>,
}

impl Refinement {
    /// Whether anything changes.
    pub fn changes(&self) -> bool {
        self.statements
            .iter()
            .any(|s| !matches!(s, StatementRefinement::Unchanged(_)))
    }

    /// Whether every statement of the document is removed: the policy should be detached or deleted.
    pub fn removes_every_statement(&self) -> bool {
        !self.statements.is_empty()
            && self.statements.iter().all(|s| {
                matches!(
                    s,
                    StatementRefinement::Elements {
                        removes_statement: true,
                        ..
                    }
                )
            })
    }

    pub fn proof_failures(&self) -> impl Iterator<Item = &ProofFailure> {
        self.statements.iter().filter_map(|s| match s {
            StatementRefinement::Unchanged(Unchanged::ProofFailed(f)) => Some(f),
            _ => None,
        })
    }
}

/// Refines every statement of a document.
pub fn refine_document(document: &PolicyDocument, unused: &UnusedSet<'_>) -> Refinement {
    Refinement {
        statements: document
            .statements
            .iter()
            .map(|s| refine_statement(s, unused))
            .collect(),
    }
}

/// Refines one statement; the result has passed its proof or says why there is none.
pub fn refine_statement(statement: &Statement, unused: &UnusedSet<'_>) -> StatementRefinement {
    if let Some(what) = &statement.undecidable {
        return StatementRefinement::Unchanged(Unchanged::Undecidable(what.clone()));
    }
    match statement.effect {
        Effect::Deny => return StatementRefinement::Unchanged(Unchanged::Deny),
        Effect::Unknown => return StatementRefinement::Unchanged(Unchanged::UnknownEffect),
        Effect::Allow => {}
    }
    let Some(block) = &statement.actions else {
        return StatementRefinement::Unchanged(Unchanged::NothingUnused);
    };
    if unused.is_empty() {
        return StatementRefinement::Unchanged(Unchanged::NothingUnused);
    }
    let patterns: Vec<&Pattern> = block.elements.iter().filter_map(|e| e.pattern()).collect();
    let undecidable: Vec<(usize, String)> = block
        .elements
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match &e.value {
            ElementValue::Undecidable(what) => Some((i, what.clone())),
            ElementValue::Pattern(_) => None,
        })
        .collect();

    let refinement = match block.key {
        ActionKey::NotAction => {
            // An expression in NotAction could exclude anything: what the statement allows is unknown.
            if let Some((_, what)) = undecidable.first() {
                return StatementRefinement::Unchanged(Unchanged::Undecidable(what.clone()));
            }
            let added = not_action_additions(&patterns, unused);
            if added.is_empty() {
                return StatementRefinement::Unchanged(Unchanged::NothingUnused);
            }
            StatementRefinement::ExtendNotAction { added }
        }
        ActionKey::Action if patterns.iter().any(|p| is_full_wildcard(p)) => {
            StatementRefinement::ToNotAction {
                not_action: unused_patterns(
                    unused,
                    &ActionSet::from_range(unused.catalog().len(), unused.catalog().ids()),
                ),
            }
        }
        ActionKey::Action => {
            let mut changes = Vec::new();
            for (i, element) in block.elements.iter().enumerate() {
                let Some(pattern) = element.pattern() else {
                    continue;
                };
                let refinement = refine_pattern(pattern, unused);
                if refinement.outcome != Outcome::Keep {
                    changes.push(ElementRefinement {
                        element: i,
                        span: element.span,
                        original: pattern.as_str().to_string(),
                        refinement,
                    });
                }
            }
            if changes.is_empty() {
                return StatementRefinement::Unchanged(Unchanged::NothingUnused);
            }
            let removes_statement = undecidable.is_empty()
                && changes.len() == block.elements.len()
                && changes
                    .iter()
                    .all(|c| c.refinement.outcome == Outcome::Remove);
            StatementRefinement::Elements {
                changes,
                removes_statement,
                undecidable,
            }
        }
    };
    match proof::check_statement(statement, &refinement, unused) {
        Ok(()) => refinement,
        Err(failure) => StatementRefinement::Unchanged(Unchanged::ProofFailed(failure)),
    }
}

/// `*`, `**`, `*:*`: a pattern that matches every action of every service.
pub fn is_full_wildcard(pattern: &Pattern) -> bool {
    match pattern.kind() {
        PatternKind::FullWildcard => true,
        PatternKind::Glob => pattern
            .lower()
            .split_once(':')
            .is_some_and(|(s, a)| is_stars(s) && is_stars(a)),
        _ => false,
    }
}

fn is_stars(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b == b'*')
}

/// Refines one pattern of an `Allow` + `Action` statement. The full wildcard is left to the statement
/// (it becomes `NotAction`); here it is kept.
pub fn refine_pattern(pattern: &Pattern, unused: &UnusedSet<'_>) -> PatternRefinement {
    let catalog = unused.catalog();
    let expansion = catalog.expand(pattern);
    let (unused_ids, unknown) = unused.granted_by(pattern, &expansion);
    // An exact name the catalog lacks can still be unused by name (or by its whole service).
    let exact_unknown_unused = pattern.kind() == PatternKind::Exact
        && expansion.is_empty()
        && unused.is_unused(pattern.as_str());
    let mut names: Vec<String> = unused_ids
        .iter()
        .map(|id| catalog.name(id).to_string())
        .collect();
    names.extend(unknown.iter().cloned());
    if exact_unknown_unused && names.is_empty() {
        names.push(pattern.as_str().to_string());
    }
    let granted = expansion.len();
    let outcome = if names.is_empty() || is_full_wildcard(pattern) {
        Outcome::Keep
    } else if pattern.kind() == PatternKind::Exact {
        Outcome::Remove
    } else {
        let emitted = generalize(pattern, &expansion, unused);
        if emitted.is_empty() {
            Outcome::Remove
        } else {
            Outcome::Replace(emitted)
        }
    };
    PatternRefinement {
        outcome,
        granted,
        unused: names,
    }
}

/// The trie walk: the shortest safe, contained token prefixes of `E(p)`.
fn generalize(pattern: &Pattern, expansion: &ActionSet, unused: &UnusedSet<'_>) -> Vec<String> {
    let catalog = unused.catalog();
    let ids: Vec<ActionId> = expansion.iter().collect();
    let mut walk = Walk {
        catalog,
        pattern,
        unused,
        emitted: Vec::new(),
    };
    walk.node(pattern.literal_prefix(), &ids);
    let mut emitted = walk.emitted;
    emitted.sort_by_key(|p| p.lower().to_string());
    emitted.dedup_by(|a, b| a.lower() == b.lower());
    // The string-prefix safety can make two sibling nodes both emit (`ListBot*` and `ListBots*`):
    // keep only patterns no other emitted wildcard covers.
    let kept: Vec<String> = emitted
        .iter()
        .enumerate()
        .filter(|(i, p)| {
            !emitted
                .iter()
                .enumerate()
                .any(|(j, q)| j != *i && q.has_wildcard() && p.is_covered_by(q))
        })
        .map(|(_, p)| p.as_str().to_string())
        .collect();
    kept
}

struct Walk<'a, 'c> {
    catalog: &'c Catalog,
    pattern: &'a Pattern,
    unused: &'a UnusedSet<'c>,
    emitted: Vec<Pattern>,
}

impl Walk<'_, '_> {
    /// `prefix` is lower-cased; `ids` are the actions of `E(p)` that start with it (never empty).
    fn node(&mut self, prefix: &str, ids: &[ActionId]) {
        let Some(&first) = ids.first() else {
            return;
        };
        let safe = !self.unused.any_with_prefix(prefix);
        if safe && self.pattern.covers_prefix(prefix) {
            let matching = self.catalog.prefix_range_lower(prefix);
            if matching.len() == 1 {
                self.emitted
                    .push(Pattern::new(self.catalog.name(matching.start)));
            } else {
                let canonical = &self.catalog.name(first)[..prefix.len()];
                self.emitted.push(Pattern::new(format!("{canonical}*")));
            }
            return;
        }
        // The node's own action, if it is one: kept exactly when used.
        let mut children: Vec<(String, ActionId)> = Vec::with_capacity(ids.len());
        for &id in ids {
            let lower = self.catalog.lower_name(id);
            if lower.len() == prefix.len() {
                if !self.unused.contains(id) {
                    self.emitted.push(Pattern::new(self.catalog.name(id)));
                }
            } else {
                let end = tokens::next_boundary(self.catalog.name(id), prefix.len());
                children.push((lower[..end].to_string(), id));
            }
        }
        // Sibling keys can interleave in id order (`getobject` / `getobjects…` / `getobject…`).
        children.sort();
        let mut start = 0;
        while start < children.len() {
            let key = children[start].0.clone();
            let len = children[start..]
                .iter()
                .take_while(|(k, _)| *k == key)
                .count();
            let group: Vec<ActionId> = children[start..start + len]
                .iter()
                .map(|(_, id)| *id)
                .collect();
            self.node(&key, &group);
            start += len;
        }
    }
}

/// The unused actions among `allowed`, as patterns for a `NotAction` list: `svc:*` for a service unused
/// as a whole, exact names otherwise (including unused names the catalog does not know yet), sorted.
fn unused_patterns(unused: &UnusedSet<'_>, allowed: &ActionSet) -> Vec<String> {
    let catalog = unused.catalog();
    let services: Vec<&str> = unused.services().collect();
    let mut out: Vec<String> = Vec::new();
    for service in &services {
        let range = catalog.service_range(service);
        // A whole unused service is excluded as `svc:*` only if the statement allows some of it now or
        // could in future (the catalog may not know the service at all).
        if range.is_empty() || allowed.any_in(range) {
            out.push(format!("{service}:*"));
        }
    }
    let mut ids = unused.ids().clone();
    ids.intersect_with(allowed);
    for id in ids.iter() {
        let service = catalog.lower_name(id).split(':').next().unwrap_or("");
        if !services.contains(&service) {
            out.push(catalog.name(id).to_string());
        }
    }
    out.extend(unused.unknown_names().map(str::to_string));
    out.sort_by_key(|p| p.to_ascii_lowercase());
    out.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    out
}

/// For `Allow` + `NotAction`: the unused actions the statement allows today, to add to `NotAction`.
fn not_action_additions(not_action: &[&Pattern], unused: &UnusedSet<'_>) -> Vec<String> {
    let catalog = unused.catalog();
    let mut allowed = ActionSet::from_range(catalog.len(), catalog.ids());
    allowed.difference_with(&catalog.expand_all(not_action.iter().copied()));
    let mut added = unused_patterns(unused, &allowed);
    // Unknown names and services already excluded by a NotAction pattern need not be added again.
    added.retain(|name| {
        let candidate = Pattern::new(name.as_str());
        !not_action.iter().any(|p| candidate.is_covered_by(p))
    });
    added
}
