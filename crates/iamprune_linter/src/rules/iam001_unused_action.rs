use iamprune_catalog::Pattern;
use iamprune_catalog::PatternKind;

use super::{FixAvailability, Rule, RuleMeta};
use crate::context::SiteContext;
use crate::diagnostic::{Diagnostic, Severity};
use crate::refinement_fixes;

pub const META: RuleMeta = RuleMeta {
    code: "IAM001",
    name: "unused-action",
    severity: Severity::Error,
    fix: FixAvailability::Always,
    summary: "An exact action that no principal the policy reaches has used.",
    security_severity: 6.5,
    tags: &["security", "least-privilege", "iam"],
    doc: r#"
## What it finds

An `Allow` statement names an action (`lambda:DeleteFunction`) that the unused-access findings of every
principal the policy reaches list as unused.

## Why it matters

A granted action nobody uses is pure risk: if the role's credentials leak, it is one more thing an attacker
can do, and nothing breaks when it goes.

## Example

```json
"Action": ["lambda:InvokeFunction", "lambda:DeleteFunction"]
```

with `lambda:DeleteFunction` unused by the role that holds the policy.

## Fix

Remove the element. A statement that loses every action is removed; a policy that loses every statement is
reported and left for you to detach or delete.
"#,
};

pub fn check(ctx: &SiteContext<'_>, out: &mut Vec<Diagnostic>) {
    for (statement, refinement, change) in refinement_fixes::changes(ctx) {
        if Pattern::new(change.original.as_str()).kind() != PatternKind::Exact
            || refinement_fixes::whole_service_removal(ctx, change)
        {
            continue;
        }
        let message = format!(
            "`{}` is unused by {}; remove it",
            change.original,
            ctx.who()
        );
        let fix = refinement_fixes::element_fix(ctx, statement, refinement, change);
        out.push(ctx.diagnostic(Rule::UnusedAction, change.span, message, fix));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::rules::testing::{Case, unused};
    use crate::{Applicability, Rule};

    #[test]
    fn iam001_removes_an_exact_action_nobody_used() {
        let case = Case::allow(json!(["lambda:InvokeFunction", "lambda:DeleteFunction"]))
            .findings(&unused(&["lambda:DeleteFunction"]));
        let d = case.only(Rule::UnusedAction);
        assert_eq!(case.at(d.span), "\"lambda:DeleteFunction\"");
        assert_eq!(
            d.message,
            "`lambda:DeleteFunction` is unused by role AppRole; remove it"
        );
        let fix = d.fix.as_ref().expect("IAM001 always has a fix");
        assert_eq!(fix.title, "remove `lambda:DeleteFunction`");
        assert_eq!(fix.applicability, Applicability::Safe);
        assert_eq!(
            case.fixed(Rule::UnusedAction)["Statement"][0]["Action"],
            json!(["lambda:InvokeFunction"])
        );
    }

    #[test]
    fn iam001_removes_a_statement_none_of_whose_actions_is_used() {
        let case = Case::policy(json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Allow", "Action": ["lambda:DeleteFunction", "lambda:CreateFunction"], "Resource": "*"}
        ]}))
        .findings(&unused(&["lambda:DeleteFunction", "lambda:CreateFunction"]));
        let diagnostics = case.check(Rule::UnusedAction);
        assert_eq!(diagnostics.len(), 2, "{diagnostics:?}");
        for d in &diagnostics {
            let fix = d.fix.as_ref().expect("IAM001 always has a fix");
            assert_eq!(
                fix.title,
                "remove the statement: none of its actions is used"
            );
        }
        assert_eq!(
            case.fixed(Rule::UnusedAction)["Statement"],
            json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}])
        );
    }

    #[test]
    fn iam001_only_shows_the_fix_when_no_statement_would_be_left() {
        let case = Case::allow(json!(["lambda:DeleteFunction"]))
            .findings(&unused(&["lambda:DeleteFunction"]));
        let d = case.only(Rule::UnusedAction);
        let fix = d.fix.as_ref().expect("IAM001 always has a fix");
        assert_eq!(fix.applicability, Applicability::DisplayOnly);
        assert!(fix.edits.is_empty(), "{fix:?}");
        assert_eq!(
            fix.title,
            "no statement of the policy is used: detach or delete the policy"
        );
    }

    #[test]
    fn iam001_leaves_wildcards_and_unused_services_to_their_rules() {
        let case = Case::allow(json!([
            "s3:GetBucketPolicy*",
            "sqs:SendMessage",
            "s3:GetObject"
        ]))
        .findings(&unused(&[
            "s3:GetBucketPolicy",
            "s3:GetBucketPolicyStatus",
            "sqs",
        ]));
        assert_eq!(case.check(Rule::UnusedAction), []);
        assert_eq!(case.check(Rule::WildcardGrantsUnused).len(), 1);
        assert_eq!(case.check(Rule::UnusedService).len(), 1);
    }
}
