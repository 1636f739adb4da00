use std::collections::HashMap;

use iamprune_catalog::{Pattern, PatternKind};
use iamprune_policy::{ActionKey, Outcome, StatementRefinement};

use super::{FixAvailability, Rule, RuleMeta};
use crate::context::SiteContext;
use crate::diagnostic::{Applicability, Diagnostic, Fix, Severity};
use crate::refinement_fixes;

pub const META: RuleMeta = RuleMeta {
    code: "IAM011",
    name: "redundant-action",
    severity: Severity::Info,
    fix: FixAvailability::Always,
    summary: "A pattern already covered by another pattern of the same statement.",
    security_severity: 0.0,
    tags: &["maintainability", "iam"],
    doc: r#"
## What it finds

An element of `Action` or `NotAction` that another element of the same list already covers: a duplicate
(`s3:GetObject` twice, in any case) or a name inside a wildcard (`s3:GetObject` next to `s3:Get*`).

## Why it matters

Redundant entries make policies longer (IAM counts their size) and hide what a statement really grants.

## Fix

Remove the redundant element. Coverage is judged on the patterns themselves, so it holds for actions AWS
adds later too.
"#,
};

/// The elements of statement `index` that this run's fixes narrow or remove (a change held back is
/// not made, so the element still covers what it covers).
fn changing_elements(ctx: &SiteContext<'_>, index: usize) -> Vec<usize> {
    if ctx.applicability() != Applicability::Safe {
        return Vec::new();
    }
    match ctx.refinement.and_then(|r| r.statements.get(index)) {
        Some(StatementRefinement::Elements { changes, .. }) => changes
            .iter()
            .filter(|c| c.refinement.outcome != Outcome::Keep)
            .filter(|c| ctx.drift.blocks(&c.original).is_none())
            .map(|c| c.element)
            .collect(),
        _ => Vec::new(),
    }
}

pub fn check(ctx: &SiteContext<'_>, out: &mut Vec<Diagnostic>) {
    // Statements a transform writes (a SAM policy template's) are not the user's to correct: a redundant name
    // there is the publisher's, and harmless.
    if matches!(ctx.site.syntax, iamprune_policy::Syntax::Expanded(_)) {
        return;
    }
    for statement in &ctx.document.statements {
        let Some(block) = &statement.actions else {
            continue;
        };
        let patterns: Vec<_> = block.elements.iter().map(|e| e.pattern()).collect();
        // `fix` proves an edited document against its original before writing it; a `NotAction` that
        // holds an expression could exclude anything, so nothing in it can be proved and it must come
        // out unchanged: a removal there would take every other fix of the file down with it.
        let provable = block.key == ActionKey::Action || patterns.iter().all(Option::is_some);
        // Elements the refinement narrows or removes in this statement cover nothing: what they
        // cover now is not what they will cover (an action the catalog does not know, beside a
        // wildcard that is narrowed, would be lost). Once they are fixed, the next round judges again.
        let changing = changing_elements(ctx, statement.index);
        let covers = Candidates::new(&patterns, &changing);
        let mut candidates = Vec::new();
        for (i, element) in block.elements.iter().enumerate() {
            let Some(pattern) = patterns[i] else {
                continue;
            };
            // An identical earlier element, or a different element that covers this one: the first
            // in the list.
            covers.of(pattern, &mut candidates);
            let cover = candidates.iter().find_map(|&j| {
                let other = patterns[j]?;
                let same = other.lower() == pattern.lower();
                let covers = (same && j < i) || (!same && j != i && pattern.is_covered_by(other));
                covers.then_some(other)
            });
            let Some(cover) = cover else {
                continue;
            };
            // An exact action the catalog does not know is what keeps the wildcards of its service
            // from being narrowed (it may be newer than the catalog): removed, a later narrowing of
            // the wildcard that covers it now would lose it.
            let unknown = pattern.kind() == PatternKind::Exact
                && ctx.catalog.lookup(pattern.as_str()).is_none();
            let edits = refinement_fixes::writer(ctx).remove_element(block, i);
            let fix = (!edits.is_empty()).then(|| Fix {
                applicability: if provable && !unknown {
                    ctx.applicability()
                } else {
                    Applicability::DisplayOnly
                },
                title: if unknown {
                    format!(
                        "remove `{pattern}`; held back because the catalog does not know it, and a \
                         later narrowing of `{cover}` would not keep it"
                    )
                } else {
                    format!("remove `{pattern}`")
                },
                edits,
                refined: Vec::new(),
            });
            out.push(ctx.diagnostic(
                Rule::RedundantAction,
                element.span,
                if cover.lower() == pattern.lower() {
                    format!("`{pattern}` is listed twice in the same statement")
                } else {
                    format!("`{pattern}` is already covered by `{cover}` in the same statement")
                },
                fix,
            ));
        }
    }
}

/// The elements that may cover a pattern, by their literal prefix (the text before their first
/// wildcard). Every name a pattern matches starts with its literal prefix, so a pattern can only be
/// covered by one whose literal prefix starts the pattern. A statement of 2,000 actions is then
/// judged in some 60,000 lookups, not 4,000,000 comparisons.
struct Candidates<'a> {
    /// Literal prefix → the indices of the elements with it, ascending.
    by_prefix: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Candidates<'a> {
    /// The elements of `patterns` that can cover others: not an expression, and not `changing`.
    fn new(patterns: &[Option<&'a Pattern>], changing: &[usize]) -> Candidates<'a> {
        let mut by_prefix: HashMap<&str, Vec<usize>> = HashMap::new();
        for (j, pattern) in patterns.iter().enumerate() {
            if let Some(pattern) = pattern
                && !changing.contains(&j)
            {
                by_prefix
                    .entry(pattern.literal_prefix())
                    .or_default()
                    .push(j);
            }
        }
        Candidates { by_prefix }
    }

    /// The indices of the elements that may cover `pattern`, ascending, into `out`.
    fn of(&self, pattern: &Pattern, out: &mut Vec<usize>) {
        out.clear();
        let lower = pattern.lower();
        for (end, _) in lower.char_indices().chain([(lower.len(), ' ')]) {
            if let Some(found) = self.by_prefix.get(&lower[..end]) {
                out.extend_from_slice(found);
            }
        }
        out.sort_unstable();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use iamprune_catalog::Pattern;

    use crate::rules::testing::Case;
    use crate::{Applicability, Rule, Severity};

    #[test]
    fn iam011_removes_duplicates_and_covered_names() {
        let case = Case::allow(json!([
            "s3:GetObject",
            "s3:Get*",
            "s3:PutObject",
            "S3:PUTOBJECT"
        ]));
        let diagnostics = case.check(Rule::RedundantAction);
        let found = case.places(&diagnostics);
        assert_eq!(
            found,
            [
                (
                    "\"s3:GetObject\"",
                    "`s3:GetObject` is already covered by `s3:Get*` in the same statement"
                ),
                (
                    "\"S3:PUTOBJECT\"",
                    "`S3:PUTOBJECT` is listed twice in the same statement"
                ),
            ]
        );
        for d in &diagnostics {
            assert_eq!(d.severity, Severity::Info);
            let fix = d.fix.as_ref().expect("IAM011 always has a fix");
            assert_eq!(fix.applicability, Applicability::Safe);
        }
        assert_eq!(
            case.fixed(Rule::RedundantAction)["Statement"][0]["Action"],
            json!(["s3:Get*", "s3:PutObject"])
        );
    }

    #[test]
    fn iam011_keeps_names_a_wildcard_does_not_cover() {
        let case = Case::allow(json!(["s3:Get*", "s3:ListBucket", "ec2:GetConsoleOutput"]));
        assert_eq!(case.check(Rule::RedundantAction), []);
    }

    proptest::proptest! {
        /// The index leaves out no element that covers another: every pair the rule's comparison
        /// accepts is among the candidates, whatever the wildcards' places.
        #[test]
        fn candidates_hold_every_cover(texts in proptest::collection::vec("[sS3:gGeE*?]{0,6}", 1..24)) {
            let patterns: Vec<Pattern> = texts.iter().map(Pattern::new).collect();
            let refs: Vec<Option<&Pattern>> = patterns.iter().map(Some).collect();
            let covers = super::Candidates::new(&refs, &[]);
            let mut candidates = Vec::new();
            for pattern in &patterns {
                covers.of(pattern, &mut candidates);
                for (j, other) in patterns.iter().enumerate() {
                    if other.lower() == pattern.lower() || pattern.is_covered_by(other) {
                        proptest::prop_assert!(
                            candidates.contains(&j),
                            "{pattern} is covered by {other}, not a candidate"
                        );
                    }
                }
            }
        }
    }
}
