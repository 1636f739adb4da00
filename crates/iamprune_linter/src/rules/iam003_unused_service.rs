use super::{FixAvailability, Rule, RuleMeta};
use crate::context::SiteContext;
use crate::diagnostic::{Diagnostic, Severity};
use crate::fixes;

pub const META: RuleMeta = RuleMeta {
    code: "IAM003",
    name: "unused-service",
    severity: Severity::Error,
    fix: FixAvailability::Always,
    summary: "Every action of a service is unused, and the statement grants it.",
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
    for (statement, refinement, change) in fixes::changes(ctx) {
        if !fixes::whole_service_removal(ctx, change) {
            continue;
        }
        let service = change.original.split(':').next().unwrap_or("");
        let message = format!(
            "every action of `{service}` is unused by {}; remove `{}`",
            ctx.who(),
            change.original
        );
        let fix = fixes::element_fix(ctx, statement, refinement, change);
        out.push(ctx.diagnostic(Rule::UnusedService, change.span, message, fix));
    }
}
