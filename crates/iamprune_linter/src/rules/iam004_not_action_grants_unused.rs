use iamprune_policy::StatementRefinement;

use super::{FixAvailability, Rule, RuleMeta};
use crate::context::SiteContext;
use crate::diagnostic::{Diagnostic, Fix, Severity, count, them};
use crate::refinement_fixes;

pub const META: RuleMeta = RuleMeta {
    code: "IAM004",
    name: "notaction-grants-unused",
    severity: Severity::Error,
    fix: FixAvailability::Always,
    summary: "An Allow + NotAction statement grants actions that no principal has used.",
    security_severity: 7.5,
    tags: &["security", "least-privilege", "iam", "not-action"],
    doc: r#"
## What it finds

`Effect: Allow` with `NotAction` allows every action except the listed ones — including actions the findings
list as unused.

## Why it matters

`Allow` + `NotAction` is near-admin by construction, and it silently grows with every new AWS service.

## Example

```json
{"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}
```

## Fix

Add the unused actions (a whole unused service as `svc:*`) to `NotAction`. This keeps the statement's
structure and is the least general change. Rewriting it as an `Action` allow-list is a design decision left
to you.
"#,
};

pub fn check(ctx: &SiteContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(refinement) = ctx.refinement else {
        return;
    };
    for (statement, change) in ctx.document.statements.iter().zip(&refinement.statements) {
        let (StatementRefinement::ExtendNotAction { added }, Some(block)) =
            (change, &statement.actions)
        else {
            continue;
        };
        let message = format!(
            "this NotAction statement allows {} unused by {}; exclude {}",
            count(added.len(), "pattern"),
            ctx.who(),
            them(added.len())
        );
        let fix = Fix {
            applicability: ctx.applicability(),
            title: format!("add {} to `NotAction`", refinement_fixes::list(added)),
            edits: refinement_fixes::writer(ctx).extend_list(block, added),
            refined: added.clone(),
        };
        out.push(ctx.diagnostic(
            Rule::NotActionGrantsUnused,
            block.key_span,
            message,
            Some(fix),
        ));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::rules::testing::{Case, unused};
    use crate::{Applicability, Rule};

    #[test]
    fn iam004_adds_the_unused_actions_to_not_action() {
        let case = Case::policy(json!({"Statement": [
            {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}
        ]}))
        .findings(&unused(&["lambda:DeleteFunction", "sqs"]));
        let d = case.only(Rule::NotActionGrantsUnused);
        assert_eq!(case.at(d.span), "\"NotAction\"");
        assert_eq!(
            d.message,
            "this NotAction statement allows 2 patterns unused by role AppRole; exclude them"
        );
        let fix = d.fix.as_ref().expect("IAM004 always has a fix");
        assert_eq!(fix.applicability, Applicability::Safe);
        assert_eq!(fix.refined, ["lambda:DeleteFunction", "sqs:*"]);
        assert_eq!(
            case.fixed(Rule::NotActionGrantsUnused)["Statement"][0]["NotAction"],
            json!(["iam:*", "lambda:DeleteFunction", "sqs:*"])
        );
    }

    #[test]
    fn iam004_turns_a_single_not_action_into_a_list() {
        let case = Case::policy(json!({"Statement": [
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
        ]}))
        .findings(&unused(&["sqs"]));
        assert_eq!(
            case.fixed(Rule::NotActionGrantsUnused)["Statement"][0]["NotAction"],
            json!(["iam:*", "sqs:*"])
        );
    }

    #[test]
    fn iam004_leaves_a_deny_alone() {
        let case = Case::policy(json!({"Statement": [
            {"Effect": "Deny", "NotAction": ["iam:*"], "Resource": "*"}
        ]}))
        .findings(&unused(&["sqs"]));
        assert_eq!(case.check(Rule::NotActionGrantsUnused), []);
    }
}
