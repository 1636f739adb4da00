use iamprune_catalog::PatternKind;
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
        for (i, element) in block.elements.iter().enumerate() {
            let Some(pattern) = patterns[i] else {
                continue;
            };
            // An identical earlier element, or a different element that covers this one.
            let cover = patterns.iter().enumerate().find_map(|(j, other)| {
                if changing.contains(&j) {
                    return None;
                }
                let other = (*other)?;
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

#[cfg(test)]
mod tests {
    use serde_json::json;

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
}
