use iamprune_findings::PrincipalFact;

use super::{FixAvailability, Rule, RuleMeta};
use crate::context::{SiteContext, short_principal};
use crate::diagnostic::{Diagnostic, Severity};

pub const META: RuleMeta = RuleMeta {
    code: "IAM005",
    name: "unused-principal",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "The role or user the policy reaches is itself unused.",
    security_severity: 5.0,
    tags: &["security", "iam", "unused-principal"],
    doc: r#"
## What it finds

Access Analyzer reports the role (`UnusedIAMRole`) — or a user's password or access key — as unused, and this
policy is attached to it.

## Why it matters

An unused role with permissions is standing access nobody needs; the right change is usually to delete the
role, not to narrow its policy.

## Fix

None offered: deleting a principal is a decision for its owner. The diagnostic names the principal and when it
was last used.
"#,
};

pub fn check(ctx: &SiteContext<'_>, out: &mut Vec<Diagnostic>) {
    for principal in ctx.principals {
        let Some(findings) = &principal.findings else {
            continue;
        };
        for fact in &findings.facts {
            let (what, last) = match fact {
                PrincipalFact::UnusedIAMRole { last_accessed } => ("is unused", last_accessed),
                PrincipalFact::UnusedIAMUserPassword { last_accessed } => {
                    ("has an unused console password", last_accessed)
                }
                PrincipalFact::UnusedIAMUserAccessKey { last_accessed, .. } => {
                    ("has an unused access key", last_accessed)
                }
                PrincipalFact::SummaryOnly { .. } => continue,
            };
            let since = last
                .as_deref()
                .map(|t| format!(" (last used {})", t.chars().take(10).collect::<String>()))
                .unwrap_or_else(|| " (never used in the tracking period)".into());
            let mut diagnostic = ctx.diagnostic(
                Rule::UnusedPrincipal,
                ctx.site.owner_span,
                format!(
                    "{} {what}{since}; consider removing it rather than narrowing `{}`",
                    short_principal(&principal.label),
                    ctx.site.owner
                ),
                None,
            );
            diagnostic.file = ctx.site.owner_file.clone();
            out.push(diagnostic);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::rules::testing::{Case, unused};
    use crate::{Rule, Severity};

    fn policy() -> Case {
        Case::policy(json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
        ]}))
    }

    #[test]
    fn iam005_names_an_unused_role_and_offers_no_fix() {
        let finding = json!({
            "id": "e78f075d-3663-4f64-9158-cb74bac7ca00",
            "resource": "arn:aws:iam::123456789012:role/AppRole",
            "resourceType": "AWS::IAM::Role",
            "status": "ACTIVE",
            "findingType": "UnusedIAMRole",
            "findingDetails": [{"unusedIamRoleDetails": {"lastAccessed": "2026-03-14T06:45:10+00:00"}}]
        });
        let case = policy().findings(&finding.to_string());
        let d = case.only(Rule::UnusedPrincipal);
        assert_eq!(
            d.message,
            "role AppRole is unused (last used 2026-03-14); consider removing it rather than narrowing `policy`"
        );
        assert_eq!(d.span, case.site.owner_span);
        assert_eq!(d.severity, Severity::Warning);
        assert_eq!(d.fix, None);
    }

    #[test]
    fn iam005_says_nothing_of_a_role_whose_findings_are_only_unused_actions() {
        let case = policy().findings(&unused(&["s3:GetObject"]));
        assert_eq!(case.check(Rule::UnusedPrincipal), []);
    }
}
