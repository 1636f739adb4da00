//! Applying fixes: pick non-overlapping edits, loop until nothing changes, verify, write atomically.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use iamprune_catalog::{ActionSet, Catalog};
use iamprune_policy::{ActionKey, Effect, PolicyDocument, PolicySite, Statement, UnusedSet};
use iamprune_syntax::{Node, NodeKind};

use crate::diagnostic::{Applicability, Diagnostic, Edit};

/// Rounds of fix → re-check before giving up; each round applies every fix that overlaps no other.
pub const MAX_ROUNDS: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum FixError {
    #[error("{}: overlapping edits at bytes {at}", file.display())]
    Overlap { file: PathBuf, at: usize },
    #[error("{}: an edit lies outside the text (bytes {start}..{end})", file.display())]
    OutOfRange {
        file: PathBuf,
        start: usize,
        end: usize,
    },
}

/// The edits of the safe fixes among `diagnostics`, grouped by file, taking each fix whole or not at
/// all and skipping any fix that overlaps one already taken (the next round gets it).
pub fn select(diagnostics: &[Diagnostic]) -> BTreeMap<PathBuf, Vec<Edit>> {
    let mut taken: BTreeMap<PathBuf, Vec<Edit>> = BTreeMap::new();
    for (file, fix) in diagnostics
        .iter()
        .filter_map(|d| Some((&d.file, d.fix.as_ref()?)))
    {
        if fix.applicability != Applicability::Safe || fix.edits.is_empty() {
            continue;
        }
        let clashes = taken.get(file).is_some_and(|edits| {
            fix.edits
                .iter()
                .any(|edit| edits.iter().any(|t| t != edit && overlaps(t, edit)))
        });
        if clashes {
            continue;
        }
        let edits = taken.entry(file.clone()).or_default();
        for edit in &fix.edits {
            if !edits.contains(edit) {
                edits.push(edit.clone());
            }
        }
    }
    taken
}

/// Two edits touch the same bytes, or insert at the same place.
fn overlaps(a: &Edit, b: &Edit) -> bool {
    a.span.start < b.span.end && b.span.start < a.span.end
        || (a.span.is_empty() || b.span.is_empty()) && a.span.start == b.span.start
}

/// Applies non-overlapping edits to a text.
pub fn apply(file: &Path, text: &str, edits: &[Edit]) -> Result<String, FixError> {
    let mut edits: Vec<&Edit> = edits.iter().collect();
    edits.sort_by_key(|e| (e.span.start, e.span.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for edit in edits {
        if edit.span.start < at {
            return Err(FixError::Overlap {
                file: file.to_path_buf(),
                at: edit.span.start,
            });
        }
        let (Some(before), true) = (
            text.get(at..edit.span.start),
            text.get(edit.span.range()).is_some(),
        ) else {
            return Err(FixError::OutOfRange {
                file: file.to_path_buf(),
                start: edit.span.start,
                end: edit.span.end,
            });
        };
        out.push_str(before);
        out.push_str(&edit.content);
        at = edit.span.end;
    }
    out.push_str(text.get(at..).unwrap_or(""));
    Ok(out)
}

/// The proof that a fixed document is sound, statement by statement: an `Allow` statement now allows at
/// least what it allowed minus the unused actions (nothing used is lost) and at most what it allowed
/// (nothing new is granted), over the catalog; it keeps everything but its actions (effect, resources,
/// conditions, …); it goes only when nothing of it was used; a `Deny` statement denies exactly what it
/// denied; expressions stay. Bounds rather than equality, because not every fix is applied: some are
/// display-only, suppressed, or left for a later round.
pub fn verify_document(
    catalog: &Catalog,
    before: (&Node, &PolicyDocument),
    after: (&Node, &PolicyDocument),
    unused: Option<&UnusedSet<'_>>,
) -> Result<(), String> {
    let rest_before = statement_rest(before.0);
    let rest_after = statement_rest(after.0);
    let mut next = after.1.statements.iter().zip(rest_after).peekable();
    for (statement, rest) in before.1.statements.iter().zip(rest_before) {
        let bounds = bounds(catalog, statement, unused);
        // Names the catalog does not know are beyond the set comparison: each one that is not unused must
        // still be there.
        let kept_unknown = unknown_names(catalog, statement, unused);
        let fits = |candidate: &Statement, candidate_rest: &serde_json::Value| {
            candidate.effect == statement.effect
                && *candidate_rest == rest
                && expressions(candidate) == expressions(statement)
                && still_allowed(candidate, &kept_unknown)
                && match &bounds {
                    Some((lower, upper)) => allowed(catalog, candidate)
                        .is_some_and(|a| lower.is_subset(&a) && a.is_subset(upper)),
                    None => patterns(candidate) == patterns(statement),
                }
        };
        match next.peek() {
            Some((candidate, candidate_rest)) if fits(candidate, candidate_rest) => {
                next.next();
            }
            _ if statement.effect == Effect::Allow
                && expressions(statement) == 0
                && kept_unknown.is_empty()
                && bounds.as_ref().is_some_and(|(lower, _)| lower.is_empty()) => {}
            _ => {
                return Err(format!(
                    "statement {} of the fixed document does not keep what was used or grants more than before",
                    statement.index + 1
                ));
            }
        }
    }
    if next.next().is_some() {
        return Err("the fixed document has a statement the original did not".into());
    }
    Ok(())
}

/// What a statement must match after a fix, at least and at most: an `Allow` statement may lose unused
/// actions; a `Deny` statement must deny exactly what it denied (only redundant patterns may go); `None`
/// for statements that must stay as they are.
fn bounds(
    catalog: &Catalog,
    statement: &Statement,
    unused: Option<&UnusedSet<'_>>,
) -> Option<(ActionSet, ActionSet)> {
    let upper = allowed(catalog, statement)?;
    match statement.effect {
        Effect::Allow => {
            let mut lower = upper.clone();
            if let Some(unused) = unused {
                lower.difference_with(unused.ids());
            }
            Some((lower, upper))
        }
        Effect::Deny => Some((upper.clone(), upper)),
        Effect::Unknown => None,
    }
}

/// Each statement of a document as JSON without its `Action`/`NotAction`: what a fix must not touch.
fn statement_rest(document: &Node) -> Vec<serde_json::Value> {
    let statements: Vec<&Node> = match document.get("Statement").map(|m| &m.value) {
        Some(node) => match &node.kind {
            NodeKind::Array(items) => items.iter().collect(),
            _ => vec![node],
        },
        None => Vec::new(),
    };
    statements
        .into_iter()
        .map(|node| {
            let mut value = iamprune_policy::output::to_json(node);
            if let Some(map) = value.as_object_mut() {
                map.remove("Action");
                map.remove("NotAction");
            }
            value
        })
        .collect()
}

/// The catalog actions the patterns of a statement allow. Elements that are expressions are left out:
/// a fix never touches them, and [`expressions`] checks they stay. `None` for a `NotAction` with an
/// expression, which could exclude anything.
fn allowed(catalog: &Catalog, statement: &Statement) -> Option<ActionSet> {
    let block = statement.actions.as_ref()?;
    if block.key == ActionKey::NotAction && expressions(statement) > 0 {
        return None;
    }
    let patterns: Vec<_> = block
        .elements
        .iter()
        .filter_map(|e| e.pattern().cloned())
        .collect();
    let expanded = catalog.expand_all(patterns.iter());
    Some(match block.key {
        ActionKey::Action => expanded,
        ActionKey::NotAction => {
            let mut all = ActionSet::from_range(catalog.len(), catalog.ids());
            all.difference_with(&expanded);
            all
        }
    })
}

/// The lower-cased exact names of a statement that the catalog does not know, less those unused.
fn unknown_names(
    catalog: &Catalog,
    statement: &Statement,
    unused: Option<&UnusedSet<'_>>,
) -> std::collections::BTreeSet<String> {
    statement
        .actions
        .iter()
        .filter(|b| b.key == ActionKey::Action)
        .flat_map(|b| &b.elements)
        .filter_map(|e| e.pattern())
        .filter(|p| !p.has_wildcard() && catalog.lookup(p.lower()).is_none())
        .filter(|p| !unused.is_some_and(|u| u.is_unused(p.as_str())))
        .map(|p| p.lower().to_string())
        .collect()
}

/// Whether every name is still matched by a pattern of the statement's `Action` (a `NotAction` is not
/// asked: its unknown names are exclusions, kept by the pattern comparison).
fn still_allowed(statement: &Statement, names: &std::collections::BTreeSet<String>) -> bool {
    let Some(block) = statement
        .actions
        .as_ref()
        .filter(|b| b.key == ActionKey::Action)
    else {
        return true;
    };
    names.iter().all(|name| {
        block
            .elements
            .iter()
            .filter_map(|e| e.pattern())
            .any(|p| p.matches_lower(name))
    })
}

/// How many elements of a statement are expressions.
fn expressions(statement: &Statement) -> usize {
    statement
        .actions
        .iter()
        .flat_map(|b| &b.elements)
        .filter(|e| e.pattern().is_none())
        .count()
}

fn patterns(statement: &Statement) -> Vec<String> {
    statement
        .actions
        .iter()
        .flat_map(|b| &b.elements)
        .map(|e| {
            e.pattern()
                .map_or_else(|| "<expression>".to_string(), |p| p.lower().to_string())
        })
        .collect()
}

/// Sites before and after a fix are paired by file and owner, in order.
pub fn pair_sites<'s>(
    before: &'s [PolicySite],
    after: &'s [PolicySite],
) -> Result<Vec<(&'s PolicySite, &'s PolicySite)>, String> {
    if before.len() != after.len() {
        return Err(format!(
            "the fixed files hold {} policy documents, the originals {}",
            after.len(),
            before.len()
        ));
    }
    before
        .iter()
        .zip(after)
        .map(|(b, a)| {
            if b.file == a.file && b.owner == a.owner {
                Ok((b, a))
            } else {
                Err(format!("`{}` is no longer found after the fix", b.owner))
            }
        })
        .collect()
}
