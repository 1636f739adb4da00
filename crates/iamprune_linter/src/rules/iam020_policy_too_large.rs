use std::collections::BTreeMap;

use iamprune_policy::{
    PolicyKind, PolicySite, PrincipalKind, PrincipalName, Purpose, document_size, output,
};

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
for inline policies 10,240 per role, 2,048 per user and 5,120 per group, counted over all the inline policies
of the principal together (those of one module or template). Also reported when the
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

/// The inline policies of one principal count against its quota together: when those of a unit add up
/// to more, the largest of them is reported (unless one is over the quota on its own, already
/// reported).
pub(crate) fn inline_totals(sites: &[PolicySite], reported: &[Diagnostic]) -> Vec<Diagnostic> {
    let mut totals: BTreeMap<(PrincipalKind, String), Vec<(usize, &PolicySite)>> = BTreeMap::new();
    for site in sites.iter().filter(|s| s.purpose == Purpose::InlinePolicy) {
        let size = document_size(&output::to_json(&site.document));
        for principal in &site.principals {
            let name = match &principal.name {
                PrincipalName::Exact(name) => name.clone(),
                _ => principal.declared_as.clone(),
            };
            totals
                .entry((principal.kind, name))
                .or_default()
                .push((size, site));
        }
    }
    let mut out = Vec::new();
    for ((kind, name), parts) in totals {
        let quota = match kind {
            PrincipalKind::Role => PolicyKind::RoleInline,
            PrincipalKind::User => PolicyKind::UserInline,
            PrincipalKind::Group => PolicyKind::GroupInline,
        };
        let total: usize = parts.iter().map(|(size, _)| size).sum();
        let Some(&(_, largest)) = parts.iter().max_by_key(|(size, _)| *size) else {
            continue;
        };
        let already = reported.iter().any(|d| {
            d.rule == Rule::PolicyTooLarge
                && parts
                    .iter()
                    .any(|(_, s)| s.file == d.file && s.document.span == d.span)
        });
        if parts.len() < 2 || total <= quota.quota() || already {
            continue;
        }
        let kind_name = match kind {
            PrincipalKind::Role => "role",
            PrincipalKind::User => "user",
            PrincipalKind::Group => "group",
        };
        out.push(Diagnostic {
            rule: Rule::PolicyTooLarge,
            severity: META.severity,
            file: largest.file.clone(),
            span: largest.document.span,
            message: format!(
                "the {} inline policies of {kind_name} {name} total {total} characters without white space, over the {} quota of {quota}",
                parts.len(),
                quota.quota()
            ),
            principals: Vec::new(),
            construct_path: largest.construct_path.clone(),
            related: Vec::new(),
            fix: None,
        });
    }
    out
}
