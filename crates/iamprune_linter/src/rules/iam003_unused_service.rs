use super::{FixAvailability, Rule, RuleMeta};
use crate::context::SiteContext;
use crate::diagnostic::{Diagnostic, Severity};
use crate::refinement_fixes;

pub const META: RuleMeta = RuleMeta {
    code: "IAM003",
    name: "unused-service",
    severity: Severity::Error,
    fix: FixAvailability::Always,
    summary: "Every action of a service is unused, and the statement grants it.",
    security_severity: 7.0,
    tags: &["security", "least-privilege", "iam"],
    doc: r#"
## What it finds

The findings say a whole service is unused (a service-level finding: `serviceNamespace` without `actions`, or
an IAM last-accessed report with no authenticated entity), and an `Allow` statement grants patterns of it.

## Why it matters

A service the workload never calls should not be reachable with its credentials at all.

## Example

```json
"Action": ["sqs:*", "s3:GetObject"]
```

with `sqs` unused as a whole.

## Fix

Remove the patterns of that service; a statement left with no action is removed.
"#,
};

pub fn check(ctx: &SiteContext<'_>, out: &mut Vec<Diagnostic>) {
    for (statement, refinement, change) in refinement_fixes::changes(ctx) {
        if !refinement_fixes::whole_service_removal(ctx, change) {
            continue;
        }
        let service = change.original.split(':').next().unwrap_or("");
        let message = format!(
            "every action of `{service}` is unused by {}; remove `{}`",
            ctx.who(),
            change.original
        );
        let fix = refinement_fixes::element_fix(ctx, statement, refinement, change);
        out.push(ctx.diagnostic(Rule::UnusedService, change.span, message, fix));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::rules::testing::{Case, unused};
    use crate::{Applicability, Rule};

    #[test]
    fn iam003_removes_the_patterns_of_a_wholly_unused_service() {
        let case = Case::allow(json!(["sqs:*", "s3:GetObject", "SQS:SendMessage"]))
            .findings(&unused(&["sqs"]));
        let diagnostics = case.check(Rule::UnusedService);
        let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "every action of `sqs` is unused by role AppRole; remove `sqs:*`",
                "every action of `SQS` is unused by role AppRole; remove `SQS:SendMessage`",
            ]
        );
        for d in &diagnostics {
            let fix = d.fix.as_ref().expect("IAM003 always has a fix");
            assert_eq!(fix.applicability, Applicability::Safe);
        }
        assert_eq!(
            case.fixed(Rule::UnusedService)["Statement"][0]["Action"],
            json!(["s3:GetObject"])
        );
    }

    #[test]
    fn iam003_removes_a_statement_left_without_actions() {
        let case = Case::policy(json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Allow", "Action": ["sns:Publish", "sns:Subscribe"], "Resource": "*"}
        ]}))
        .findings(&unused(&["sns"]));
        assert_eq!(case.check(Rule::UnusedService).len(), 2);
        assert_eq!(
            case.fixed(Rule::UnusedService)["Statement"],
            json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}])
        );
    }

    #[test]
    fn iam003_says_nothing_when_only_some_actions_of_the_service_are_unused() {
        let case = Case::allow(json!(["sqs:SendMessage", "sqs:PurgeQueue"]))
            .findings(&unused(&["sqs:PurgeQueue"]));
        assert_eq!(case.check(Rule::UnusedService), []);
    }
}
