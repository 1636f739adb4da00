use std::collections::BTreeMap;

use iamprune_policy::{
    PolicyKind, PolicySite, PrincipalKind, PrincipalName, Purpose, document_size, output,
};

use super::{FixAvailability, Rule, RuleMeta};
use crate::context::SiteContext;
use crate::diagnostic::{Applicability, Diagnostic, Severity};

pub const META: RuleMeta = RuleMeta {
    code: "IAM020",
    name: "policy-too-large",
    severity: Severity::Warning,
    fix: FixAvailability::None,
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
fn quota_kind(site: &PolicySite) -> Option<PolicyKind> {
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

/// Whether applying the refinement would leave the document over its quota.
fn refined_over_quota(ctx: &SiteContext<'_>) -> bool {
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

/// Once every rule has checked a site: when its refined document would be over the quota, the site's
/// fixes are shown, not applied, since AWS would reject the result.
pub fn after_site(ctx: &SiteContext<'_>, diagnostics: &mut [Diagnostic]) {
    if refined_over_quota(ctx) {
        for fix in diagnostics.iter_mut().filter_map(|d| d.fix.as_mut()) {
            fix.applicability = Applicability::DisplayOnly;
        }
    }
}

/// The inline policies of one principal count against its quota together: when those of a unit add up
/// to more, the largest of them is reported (unless one is over the quota on its own, already
/// reported).
pub fn check_unit(sites: &[PolicySite], diagnostics: &mut Vec<Diagnostic>) {
    let mut over = Vec::new();
    for ((kind, name), parts) in inline_sizes(sites) {
        let quota = inline_quota(kind);
        let total: usize = parts.iter().map(|(size, _)| size).sum();
        let Some(&(_, largest)) = parts.iter().max_by_key(|(size, _)| *size) else {
            continue;
        };
        if parts.len() < 2 || total <= quota.quota() || already_reported(&parts, diagnostics) {
            continue;
        }
        let message = format!(
            "the {} inline policies of {} {name} total {total} characters without white space, over the {} quota of {quota}",
            parts.len(),
            kind_name(kind),
            quota.quota()
        );
        over.push(unit_diagnostic(largest, message));
    }
    diagnostics.extend(over);
}

/// The size of each inline policy, by the principal it is attached to.
type InlineSizes<'a> = BTreeMap<(PrincipalKind, String), Vec<(usize, &'a PolicySite)>>;

fn inline_sizes(sites: &[PolicySite]) -> InlineSizes<'_> {
    let mut sizes = InlineSizes::new();
    for site in sites.iter().filter(|s| s.purpose == Purpose::InlinePolicy) {
        let size = document_size(&output::to_json(&site.document));
        for principal in &site.principals {
            let name = match &principal.name {
                PrincipalName::Exact(name) => name.clone(),
                _ => principal.declared_as.clone(),
            };
            sizes
                .entry((principal.kind, name))
                .or_default()
                .push((size, site));
        }
    }
    sizes
}

/// Whether one of the principal's policies is already reported over the quota on its own.
fn already_reported(parts: &[(usize, &PolicySite)], diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| {
        d.rule == Rule::PolicyTooLarge
            && parts
                .iter()
                .any(|(_, s)| s.file == d.file && s.document.span == d.span)
    })
}

fn inline_quota(kind: PrincipalKind) -> PolicyKind {
    match kind {
        PrincipalKind::Role => PolicyKind::RoleInline,
        PrincipalKind::User => PolicyKind::UserInline,
        PrincipalKind::Group => PolicyKind::GroupInline,
    }
}

fn kind_name(kind: PrincipalKind) -> &'static str {
    match kind {
        PrincipalKind::Role => "role",
        PrincipalKind::User => "user",
        PrincipalKind::Group => "group",
    }
}

/// A diagnostic on a whole document, which no one site's context made.
fn unit_diagnostic(site: &PolicySite, message: String) -> Diagnostic {
    Diagnostic {
        rule: Rule::PolicyTooLarge,
        severity: META.severity,
        file: site.file.clone(),
        span: site.document.span,
        message,
        principals: Vec::new(),
        construct_path: site.construct_path.clone(),
        related: Vec::new(),
        fix: None,
    }
}
