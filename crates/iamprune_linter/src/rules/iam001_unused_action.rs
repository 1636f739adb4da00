use iamprune_catalog::Pattern;
use iamprune_catalog::PatternKind;

use super::{FixAvailability, Rule, RuleMeta};
use crate::context::SiteContext;
use crate::diagnostic::{Diagnostic, Severity};
use crate::fixes;

pub const META: RuleMeta = RuleMeta {
    code: "IAM001",
    name: "unused-action",
    severity: Severity::Error,
    fix: FixAvailability::Always,
    summary: "An exact action that no principal the policy reaches has used.",
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
    for (statement, refinement, change) in fixes::changes(ctx) {
        if Pattern::new(change.original.as_str()).kind() != PatternKind::Exact
            || fixes::whole_service_removal(ctx, change)
        {
            continue;
        }
        let message = format!(
            "`{}` is unused by {}; remove it",
            change.original,
            ctx.who()
        );
        let fix = fixes::element_fix(ctx, statement, refinement, change);
        out.push(ctx.diagnostic(Rule::UnusedAction, change.span, message, fix));
    }
}
