use iamprune_catalog::{Pattern, PatternKind};
use iamprune_policy::{Outcome, StatementRefinement};

use super::{FixAvailability, Rule, RuleMeta};
use crate::context::SiteContext;
use crate::diagnostic::{Applicability, Diagnostic, Fix, Severity};
use crate::fixes;

pub const META: RuleMeta = RuleMeta {
    code: "IAM002",
    name: "wildcard-grants-unused",
    severity: Severity::Error,
    fix: FixAvailability::Always,
    summary: "A wildcard grants actions that no principal the policy reaches has used.",
    doc: r#"
## What it finds

A wildcard in an `Allow` statement (`s3:Get*`, `lambda:*`, `*`) matches actions that the unused-access
findings of every principal the policy reaches list as unused.

## Why it matters

Wildcards are how policies grow past what a workload needs: `s3:Get*` grants 63 actions today and more as
AWS adds them. The unused ones can go without breaking anything.

## Example

```json
"Action": "s3:Get*"
```

where the role used `s3:GetObject` and `s3:GetObjectVersion` but none of the 22 `s3:GetBucket*`-style
configuration reads.

## Fix

Replace the wildcard by its least-general generalization: the shortest CamelCase-token prefixes that still
allow every used action and none of the unused ones (`s3:GetObject*`), or the exact action where a prefix
would match only one. The same algorithm as IAM Access Analyzer's policy recommendations. Every replacement
is proved against the action catalog before it is offered: nothing used is lost, nothing new is granted, and
no emitted prefix can match an action the original pattern did not. `Action: "*"` becomes
`NotAction: [the unused actions]`, which allows exactly what `*` allowed minus the unused actions.
"#,
};

pub fn check(ctx: &SiteContext<'_>, out: &mut Vec<Diagnostic>) {
    for (statement, refinement, change) in fixes::changes(ctx) {
        if Pattern::new(change.original.as_str()).kind() == PatternKind::Exact
            || fixes::whole_service_removal(ctx, change)
        {
            continue;
        }
        let unused = change.refinement.unused.len();
        let message = match &change.refinement.outcome {
            Outcome::Replace(patterns) => format!(
                "`{}` grants {unused} action(s) unused by {}; narrow it to {} pattern(s)",
                change.original,
                ctx.who(),
                patterns.len()
            ),
            _ => format!(
                "`{}` grants only actions unused by {} ({unused}); remove it",
                change.original,
                ctx.who()
            ),
        };
        let fix = fixes::element_fix(ctx, statement, refinement, change);
        out.push(ctx.diagnostic(Rule::WildcardGrantsUnused, change.span, message, fix));
    }
    // `Action: "*"` becomes NotAction.
    let Some(refinement) = ctx.refinement else {
        return;
    };
    for (statement, change) in ctx.document.statements.iter().zip(&refinement.statements) {
        let (StatementRefinement::ToNotAction { not_action }, Some(block)) =
            (change, &statement.actions)
        else {
            continue;
        };
        let writer = fixes::writer(ctx);
        let edits = writer.to_not_action(block, not_action);
        let message = format!(
            "`*` grants {} unused pattern(s) of {}; allow everything but them with NotAction",
            not_action.len(),
            ctx.who()
        );
        let fix = Fix {
            applicability: if edits.is_empty() {
                Applicability::DisplayOnly
            } else {
                ctx.applicability()
            },
            title: format!(
                "replace `Action` with `NotAction`: {}",
                fixes::list(not_action)
            ),
            edits,
            refined: not_action.clone(),
        };
        out.push(ctx.diagnostic(Rule::WildcardGrantsUnused, block.span, message, Some(fix)));
    }
}
