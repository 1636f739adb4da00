use super::{FixAvailability, Rule, RuleMeta};
use crate::context::SiteContext;
use crate::diagnostic::{Diagnostic, Severity};

pub const META: RuleMeta = RuleMeta {
    code: "IAM010",
    name: "unknown-action",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "A pattern matches no action in the catalog.",
    security_severity: 0.0,
    tags: &["correctness", "iam"],
    doc: r#"
## What it finds

An action or pattern in `Action` or `NotAction` that matches no action of the embedded catalog: a typo
(`s3:GetObjekt`), an action AWS retired, a service prefix that does not exist, or an action newer than the
catalog (`iamprune --version` prints its date).

## Why it matters

IAM accepts unknown actions silently, so a typo grants nothing and the workload fails at run time — or a
`Deny` meant to block something blocks nothing.

## Fix

None offered. Correct the name, or update the catalog if the action is new.
"#,
};

pub fn check(ctx: &SiteContext<'_>, out: &mut Vec<Diagnostic>) {
    // Statements a transform writes (a SAM policy template's) are not the user's to correct: an unknown name
    // there is the publisher's, and harmless.
    if matches!(ctx.site.syntax, iamprune_policy::Syntax::Expanded(_)) {
        return;
    }
    for statement in &ctx.document.statements {
        let Some(block) = &statement.actions else {
            continue;
        };
        for element in &block.elements {
            let Some(pattern) = element.pattern() else {
                continue;
            };
            if !ctx.catalog.expand(pattern).is_empty() {
                continue;
            }
            let service = pattern.as_str().split(':').next().unwrap_or("");
            let known_service = !ctx
                .catalog
                .service_range(&service.to_ascii_lowercase())
                .is_empty();
            let message = if !pattern.as_str().contains(':') {
                format!("`{pattern}` is not of the form `service:Action`")
            } else if !known_service && !service.contains(['*', '?']) {
                format!("`{pattern}`: the catalog knows no service `{service}`")
            } else {
                format!(
                    "`{pattern}` matches no action in the catalog (a typo, a retired action, or one newer than {})",
                    ctx.catalog.source()
                )
            };
            out.push(ctx.diagnostic(Rule::UnknownAction, element.span, message, None));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::Rule;
    use crate::rules::testing::Case;

    #[test]
    fn iam010_reports_patterns_that_match_no_action() {
        let case = Case::allow(json!([
            "s3:GetObjekt",
            "nosuch:GetThing",
            "GetObject",
            "s3:Zz*",
            "s3:GetObject"
        ]));
        let diagnostics = case.check(Rule::UnknownAction);
        let found = case.places(&diagnostics);
        let newer = "(a typo, a retired action, or one newer than";
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(found[0].0 == "\"s3:GetObjekt\"" && found[0].1.contains(newer));
        assert_eq!(
            found[1],
            (
                "\"nosuch:GetThing\"",
                "`nosuch:GetThing`: the catalog knows no service `nosuch`"
            )
        );
        assert_eq!(
            found[2],
            (
                "\"GetObject\"",
                "`GetObject` is not of the form `service:Action`"
            )
        );
        assert!(found[3].0 == "\"s3:Zz*\"" && found[3].1.contains(newer));
        assert!(diagnostics.iter().all(|d| d.fix.is_none()));
    }

    #[test]
    fn iam010_checks_not_action_too() {
        let case = Case::policy(json!({"Statement": [
            {"Effect": "Deny", "NotAction": ["iam:PassRoles"], "Resource": "*"}
        ]}));
        assert_eq!(case.check(Rule::UnknownAction).len(), 1);
    }
}
