use iamprune_policy::{PolicyKind, PolicySite, PrincipalKind, Purpose, document_size, output};

use super::{Rule, RuleMeta};
use crate::context::SiteContext;
use crate::diagnostic::{Diagnostic, Severity};

pub const META: RuleMeta = RuleMeta {
    code: "IAM020",
    name: "policy-too-large",
    severity: Severity::Warning,
    summary: "A policy document is over its IAM size quota, before or after a fix.",
    doc: r#"
## What it finds

A policy document whose size without white space is over its quota: 6,144 characters for a managed policy;
for inline policies 10,240 per role, 2,048 per user and 5,120 per group (the quotas count all inline policies
of the principal together; this rule checks each document against the whole quota). Also reported when the
refined document of a fix would be over the quota — a refinement is never silently coarsened to fit.

## Why it matters

IAM rejects an oversized policy at deploy time, after review and merge.

## Fix

None offered: split the policy, or move statements to a managed policy.
"#,
};

/// The quota a site's document is held to: `None` for trust and resource policies, whose quotas vary
/// by service.
pub(crate) fn quota_kind(site: &PolicySite) -> Option<PolicyKind> {
    match site.purpose {
        Purpose::ManagedPolicy => Some(PolicyKind::Managed),
        Purpose::InlinePolicy => {
            let kinds = || site.principals.iter().map(|p| p.kind);
            Some(if kinds().any(|k| k == PrincipalKind::User) {
                PolicyKind::UserInline
            } else if kinds().any(|k| k == PrincipalKind::Group) {
                PolicyKind::GroupInline
            } else {
                PolicyKind::RoleInline
            })
        }
        Purpose::Trust | Purpose::Resource => None,
    }
}

/// Whether applying the refinement would leave the document over its quota: its fixes are then shown,
/// not applied, since AWS would reject the result.
pub(crate) fn refined_over_quota(ctx: &SiteContext<'_>) -> bool {
    let (Some(kind), Some(refinement)) =
        (quota_kind(ctx.site), ctx.refinement.filter(|r| r.changes()))
    else {
        return false;
    };
    document_size(&output::refined_json(
        &ctx.site.document,
        ctx.document,
        refinement,
    )) > kind.quota()
}

pub fn check(ctx: &SiteContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(kind) = quota_kind(ctx.site) else {
        return;
    };
    let before = document_size(&output::to_json(&ctx.site.document));
    if before > kind.quota() {
        out.push(ctx.diagnostic(
            Rule::PolicyTooLarge,
            ctx.document.span,
            format!(
                "the document is {before} characters without white space, over the {} quota of {kind}",
                kind.quota()
            ),
            None,
        ));
        return;
    }
    if let Some(refinement) = ctx.refinement.filter(|r| r.changes()) {
        let after = document_size(&output::refined_json(
            &ctx.site.document,
            ctx.document,
            refinement,
        ));
        if after > kind.quota() {
            out.push(ctx.diagnostic(
                Rule::PolicyTooLarge,
                ctx.document.span,
                format!(
                    "the refined document would be {after} characters without white space, over the {} quota of {kind}",
                    kind.quota()
                ),
                None,
            ));
        }
    }
}
