use iamprune_catalog::{Pattern, PatternKind};
use iamprune_policy::{Outcome, StatementRefinement};

use super::{FixAvailability, Rule, RuleMeta};
use crate::context::SiteContext;
use crate::diagnostic::{Applicability, Diagnostic, Fix, Severity, count, them};
use crate::refinement_fixes;

pub const META: RuleMeta = RuleMeta {
    code: "IAM002",
    name: "wildcard-grants-unused",
    severity: Severity::Error,
    fix: FixAvailability::Always,
    summary: "A wildcard grants actions that no principal the policy reaches has used.",
    security_severity: 7.5,
    tags: &["security", "least-privilege", "iam", "wildcard"],
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
    for (statement, refinement, change) in refinement_fixes::changes(ctx) {
        if Pattern::new(change.original.as_str()).kind() == PatternKind::Exact
            || refinement_fixes::whole_service_removal(ctx, change)
        {
            continue;
        }
        let unused = change.refinement.unused.len();
        let mut fix = refinement_fixes::element_fix(ctx, statement, refinement, change);
        let message = match &change.refinement.outcome {
            // A long list in place of one pattern is the reviewer's call: shown, with what it
            // would take and what is unused.
            Outcome::Replace(patterns) if patterns.len() > ctx.max_patterns => {
                if let Some(fix) = fix.as_mut() {
                    fix.applicability = Applicability::DisplayOnly;
                }
                format!(
                    "`{}` grants {} unused by {}: {}; narrowing it takes {}, more than \
                     max-patterns ({}), so the fix is shown, not applied",
                    change.original,
                    count(unused, "action"),
                    ctx.who(),
                    refinement_fixes::list(&change.refinement.unused),
                    count(patterns.len(), "pattern"),
                    ctx.max_patterns
                )
            }
            Outcome::Replace(patterns) => format!(
                "`{}` grants {} unused by {}; narrow it to {}",
                change.original,
                count(unused, "action"),
                ctx.who(),
                count(patterns.len(), "pattern")
            ),
            _ if unused == 1 => format!(
                "`{}` grants 1 action, unused by {}; remove it",
                change.original,
                ctx.who()
            ),
            _ => format!(
                "`{}` grants {unused} actions, all unused by {}; remove it",
                change.original,
                ctx.who()
            ),
        };
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
        let writer = refinement_fixes::writer(ctx);
        let edits = writer.to_not_action(block, not_action);
        let message = format!(
            "`*` grants {} unused by {}; allow everything but {} with NotAction",
            count(not_action.len(), "pattern"),
            ctx.who(),
            them(not_action.len())
        );
        let fix = Fix {
            applicability: if edits.is_empty() {
                Applicability::DisplayOnly
            } else {
                ctx.applicability()
            },
            title: format!(
                "replace `Action` with `NotAction`: {}",
                refinement_fixes::list(not_action)
            ),
            edits,
            refined: not_action.clone(),
        };
        out.push(ctx.diagnostic(Rule::WildcardGrantsUnused, block.span, message, Some(fix)));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::rules::testing::{Case, testdata, unused};
    use crate::{Applicability, Rule};

    /// The seed example's findings: eight lambda actions and 22 `s3:Get*` configuration reads unused.
    fn seed_findings() -> String {
        let path = testdata("seed/unused.json");
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[test]
    fn iam002_narrows_a_wildcard_to_its_used_prefixes() {
        let case = Case::allow(json!(["s3:Get*", "s3:List*"])).findings(&seed_findings());
        let d = case.only(Rule::WildcardGrantsUnused);
        assert_eq!(case.at(d.span), "\"s3:Get*\"");
        assert_eq!(
            d.message,
            "`s3:Get*` grants 22 actions unused by role AppRole; narrow it to 7 patterns"
        );
        let fix = d.fix.as_ref().expect("IAM002 always has a fix");
        assert_eq!(fix.applicability, Applicability::Safe);
        let narrowed = [
            "s3:GetAccess*",
            "s3:GetAccountPublicAccessBlock",
            "s3:GetDataAccess",
            "s3:GetJobTagging",
            "s3:GetMulti*",
            "s3:GetObject*",
            "s3:GetStorage*",
        ];
        assert_eq!(fix.refined, narrowed);
        let mut expected: Vec<&str> = narrowed.to_vec();
        expected.push("s3:List*");
        assert_eq!(
            case.fixed(Rule::WildcardGrantsUnused)["Statement"][0]["Action"],
            json!(expected)
        );
    }

    #[test]
    fn iam002_shows_a_narrowing_past_max_patterns_without_applying_it() {
        // `s3:Get*` narrows to 7 patterns for the seed's findings.
        let case = Case::allow(json!("s3:Get*"))
            .findings(&seed_findings())
            .max_patterns(6);
        let d = case.only(Rule::WildcardGrantsUnused);
        assert!(
            d.message.starts_with("`s3:Get*` grants 22 actions unused by role AppRole: `s3:")
                && d.message.ends_with(
                    "narrowing it takes 7 patterns, more than max-patterns (6), so the fix is shown, not applied"
                ),
            "{}",
            d.message
        );
        let fix = d.fix.as_ref().unwrap_or_else(|| panic!("a fix to show"));
        assert_eq!(fix.applicability, Applicability::DisplayOnly);
        assert_eq!(fix.refined.len(), 7);
        let at_the_limit = Case::allow(json!("s3:Get*"))
            .findings(&seed_findings())
            .max_patterns(7);
        let d = at_the_limit.only(Rule::WildcardGrantsUnused);
        assert_eq!(
            d.fix.as_ref().map(|f| f.applicability),
            Some(Applicability::Safe)
        );
    }

    #[test]
    fn iam002_removes_a_wildcard_that_grants_only_unused_actions() {
        let case = Case::allow(json!(["s3:GetBucketPolicy*", "s3:GetObject"]))
            .findings(&unused(&["s3:GetBucketPolicy", "s3:GetBucketPolicyStatus"]));
        assert_eq!(
            case.only(Rule::WildcardGrantsUnused).message,
            "`s3:GetBucketPolicy*` grants 2 actions, all unused by role AppRole; remove it"
        );
        assert_eq!(
            case.fixed(Rule::WildcardGrantsUnused)["Statement"][0]["Action"],
            json!(["s3:GetObject"])
        );
    }

    #[test]
    fn iam002_turns_action_star_into_not_action() {
        let case = Case::allow(json!("*")).findings(&seed_findings());
        let d = case.only(Rule::WildcardGrantsUnused);
        let fix = d.fix.as_ref().expect("IAM002 always has a fix");
        assert_eq!(
            d.message,
            format!(
                "`*` grants {} patterns unused by role AppRole; allow everything but them with NotAction",
                fix.refined.len()
            )
        );
        assert!(fix.refined.iter().any(|p| p == "lambda:DeleteFunction"));
        let statement = &case.fixed(Rule::WildcardGrantsUnused)["Statement"][0];
        assert_eq!(statement["Action"], Value::Null);
        assert_eq!(statement["NotAction"], json!(fix.refined));
    }

    #[test]
    fn iam002_leaves_exact_actions_and_unused_services_to_their_rules() {
        let case = Case::allow(json!(["s3:GetBucketPolicy", "sqs:*"]))
            .findings(&unused(&["s3:GetBucketPolicy", "sqs"]));
        assert_eq!(case.check(Rule::WildcardGrantsUnused), []);
    }
}
