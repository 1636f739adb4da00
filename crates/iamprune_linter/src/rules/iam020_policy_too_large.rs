use std::collections::BTreeMap;

use iamprune_policy::{
    PolicyKind, PolicySite, PrincipalKind, PrincipalName, Purpose, document_size, output,
};

use super::{FixAvailability, Rule, RuleMeta};
use crate::analysis::SiteAnalysis;
use crate::context::SiteContext;
use crate::diagnostic::{Applicability, Diagnostic, Severity};

pub const META: RuleMeta = RuleMeta {
    code: "IAM020",
    name: "policy-too-large",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "A policy document is over its IAM size quota, before or after a fix.",
    security_severity: 0.0,
    tags: &["correctness", "iam", "quota"],
    doc: r#"
## What it finds

A policy document whose size without white space is over its quota: 6,144 characters for a managed policy;
for inline policies 10,240 per role, 2,048 per user and 5,120 per group, counted over all the inline policies
of the principal together (those of one module or template). Also reported when the
refined document of a fix, or the refined inline policies of a principal together, would be over the
quota (narrowing a wildcard can lengthen a list): those fixes are then shown, not applied, and a
refinement is never silently coarsened to fit.

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
        Purpose::Trust | Purpose::Resource | Purpose::Boundary => None,
    }
}

/// Whether applying the refinement would leave the document over its quota.
fn refined_over_quota(ctx: &SiteContext<'_>) -> bool {
    let (Some(kind), Some(_)) = (quota_kind(ctx.site), ctx.refinement.filter(|r| r.changes()))
    else {
        return false;
    };
    sizes(ctx).1 > kind.quota()
}

/// The site's document size before and after its refinement, measured once.
fn sizes(ctx: &SiteContext<'_>) -> (usize, usize) {
    *ctx.sizes.get_or_init(|| {
        let refinement = ctx.refinement.filter(|r| r.changes());
        measure(&ctx.site.document, Some(ctx.document).zip(refinement))
    })
}

/// The size of `node` as a document, and with the refinement applied when there is one.
fn measure(
    node: &iamprune_syntax::Node,
    refined: Option<(
        &iamprune_policy::PolicyDocument,
        &iamprune_policy::Refinement,
    )>,
) -> (usize, usize) {
    let before = document_size(&output::to_json(node));
    let after = refined.map_or(before, |(document, refinement)| {
        document_size(&output::refined_json(node, document, refinement))
    });
    (before, after)
}

pub fn check(ctx: &SiteContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(kind) = quota_kind(ctx.site) else {
        return;
    };
    let (before, after) = sizes(ctx);
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
    if ctx.refinement.is_some_and(|r| r.changes()) && after > kind.quota() {
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
/// reported). When they are under it but their refined documents would add up to more (narrowing a
/// wildcard can lengthen a list), the fixes of all of them are shown, not applied: IAM would reject
/// the result at deploy time.
pub fn check_unit(
    sites: &[PolicySite],
    analyses: &[SiteAnalysis],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut over = Vec::new();
    for ((kind, name), parts) in inline_sizes(sites, analyses) {
        let quota = inline_quota(kind);
        let total: usize = parts.iter().map(|p| p.before).sum();
        let refined: usize = parts.iter().map(|p| p.after).sum();
        let Some(largest) = parts.iter().max_by_key(|p| p.before) else {
            continue;
        };
        if parts.len() < 2 || already_reported(&parts, diagnostics) {
            continue;
        }
        if total > quota.quota() {
            let message = format!(
                "the {} inline policies of {} {name} total {total} characters without white space, over the {} quota of {quota}",
                parts.len(),
                kind_name(kind),
                quota.quota()
            );
            over.push(unit_diagnostic(largest.site, message));
        } else if refined > quota.quota() {
            let message = format!(
                "the {} inline policies of {} {name} would total {refined} characters without white space once fixed, over the {} quota of {quota}: their fixes are shown, not applied",
                parts.len(),
                kind_name(kind),
                quota.quota()
            );
            for part in &parts {
                hold_back(part.site, diagnostics);
            }
            over.push(unit_diagnostic(largest.site, message));
        }
    }
    diagnostics.extend(over);
}

/// The fixes of the diagnostics in a site's document are shown, not applied.
fn hold_back(site: &PolicySite, diagnostics: &mut [Diagnostic]) {
    let span = site.document.span;
    for d in diagnostics
        .iter_mut()
        .filter(|d| d.file == site.file && span.start <= d.span.start && d.span.end <= span.end)
    {
        if let Some(fix) = d.fix.as_mut() {
            fix.applicability = Applicability::DisplayOnly;
        }
    }
}

/// An inline policy's size now and once refined.
struct Part<'a> {
    before: usize,
    after: usize,
    site: &'a PolicySite,
}

/// The size of each inline policy, by the principal it is attached to.
type InlineSizes<'a> = BTreeMap<(PrincipalKind, String), Vec<Part<'a>>>;

fn inline_sizes<'a>(sites: &'a [PolicySite], analyses: &[SiteAnalysis]) -> InlineSizes<'a> {
    let mut sizes = InlineSizes::new();
    for (i, site) in sites.iter().enumerate() {
        if site.purpose != Purpose::InlinePolicy {
            continue;
        }
        let analysis = analyses.get(i);
        let (before, after) = analysis.and_then(|a| a.sizes).unwrap_or_else(|| {
            let refined = analysis
                .and_then(|a| Some((a.document.as_ref()?, a.refinement.as_ref()?)))
                .filter(|(_, refinement)| refinement.changes());
            measure(&site.document, refined)
        });
        for principal in &site.principals {
            let name = match &principal.name {
                PrincipalName::Exact(name) => name.clone(),
                _ => principal.declared_as.clone(),
            };
            sizes.entry((principal.kind, name)).or_default().push(Part {
                before,
                after,
                site,
            });
        }
    }
    sizes
}

/// Whether one of the principal's policies is already reported over the quota on its own.
fn already_reported(parts: &[Part<'_>], diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| {
        d.rule == Rule::PolicyTooLarge
            && parts
                .iter()
                .any(|p| p.site.file == d.file && p.site.document.span == d.span)
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

#[cfg(test)]
mod tests {
    use iamprune_policy::{PolicySite, document_size, output};
    use serde_json::{Value, json};

    use crate::rules::testing::{Case, actions, catalog, unused};
    use crate::{Applicability, Diagnostic, Rule, SiteAnalysis};

    /// The first and the second third of the `ec2` actions: lists of about 7,000 characters each.
    fn ec2_thirds() -> (Value, Value) {
        let all = actions("ec2:");
        let all = all.as_array().map(Vec::as_slice).unwrap_or_default();
        let third = all.len() / 3;
        (
            Value::from(all[..third].to_vec()),
            Value::from(all[third..2 * third].to_vec()),
        )
    }

    #[test]
    fn iam020_reports_a_managed_policy_over_its_quota() {
        let case = Case::allow(actions("ec2:"));
        let d = case.only(Rule::PolicyTooLarge);
        let size = document_size(&output::to_json(&case.site.document));
        assert_eq!(
            d.message,
            format!(
                "the document is {size} characters without white space, over the 6144 quota of managed policy"
            )
        );
        assert_eq!(d.span, case.site.document.span);
        assert_eq!(d.fix, None);
        // A third of it is still over the managed quota, but under that of a role's inline policies.
        let (third, _) = ec2_thirds();
        assert_eq!(
            Case::allow(third.clone()).check(Rule::PolicyTooLarge).len(),
            1
        );
        assert_eq!(Case::allow(third).inline().check(Rule::PolicyTooLarge), []);
    }

    #[test]
    fn iam020_shows_but_does_not_apply_fixes_that_would_go_over_the_quota() {
        // Every other ec2 action unused: the NotAction list has to name most of them one by one.
        let catalog = catalog();
        let every_other: Vec<&str> = catalog
            .service_range("ec2")
            .step_by(2)
            .map(|id| catalog.name(id))
            .collect();
        let case = Case::allow(json!("*")).findings(&unused(&every_other));
        let message = case.only(Rule::PolicyTooLarge).message;
        assert!(
            message.starts_with("the refined document would be "),
            "{message}"
        );
        let star = case.only(Rule::WildcardGrantsUnused);
        let fix = star.fix.as_ref().expect("IAM002 always has a fix");
        assert_eq!(fix.applicability, Applicability::DisplayOnly);
    }

    #[test]
    fn iam020_counts_the_inline_policies_of_a_role_together() {
        let (first, second) = ec2_thirds();
        let first = Case::allow(first).inline();
        let second = Case::allow(second).inline();
        // Each is under the 10,240 quota of a role's inline policies on its own.
        assert_eq!(first.check(Rule::PolicyTooLarge), []);
        assert_eq!(second.check(Rule::PolicyTooLarge), []);
        let mut diagnostics = Vec::new();
        super::check_unit(&[first.site, second.site], &[], &mut diagnostics);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        let d = &diagnostics[0];
        assert_eq!(d.rule, Rule::PolicyTooLarge);
        assert!(
            d.message
                .starts_with("the 2 inline policies of role AppRole total ")
                && d.message.contains(" over the 10240 quota of "),
            "{}",
            d.message
        );
        assert_eq!(d.fix, None);
    }

    #[test]
    fn iam020_holds_back_fixes_that_would_take_a_roles_inline_policies_over_the_quota() {
        // Every other `ec2:Describe*` action unused: each narrowed policy lists the rest one by one.
        let catalog = catalog();
        let every_other: Vec<&str> = catalog
            .prefix_range("ec2:Describe")
            .step_by(2)
            .map(|id| catalog.name(id))
            .collect();
        // Hundreds of patterns each: allowed here, so that only the quota holds the fixes back.
        let case = Case::allow(json!("ec2:Describe*"))
            .inline()
            .max_patterns(usize::MAX)
            .findings(&unused(&every_other));
        let report = case.report();
        let refined = report.analysis.refinement.as_ref().map(|r| {
            document_size(&output::refined_json(
                &case.site.document,
                report
                    .analysis
                    .document
                    .as_ref()
                    .unwrap_or_else(|| panic!("a policy")),
                r,
            ))
        });
        let refined = refined.unwrap_or_else(|| panic!("a refinement"));
        // Alone, one narrowed policy is under the role's quota; enough of them together are over it.
        assert!(refined < 10_240, "{refined}");
        let copies = 10_240 / refined + 1;
        let sites: Vec<PolicySite> = (0..copies).map(|_| case.site.clone()).collect();
        let analyses: Vec<SiteAnalysis> = (0..copies).map(|_| report.analysis.clone()).collect();
        let mut diagnostics: Vec<Diagnostic> = (0..copies)
            .flat_map(|_| report.diagnostics.clone())
            .collect();
        assert!(
            diagnostics
                .iter()
                .filter_map(|d| d.fix.as_ref())
                .all(|f| f.applicability == Applicability::Safe)
        );
        super::check_unit(&sites, &analyses, &mut diagnostics);
        let over: Vec<&Diagnostic> = diagnostics
            .iter()
            .filter(|d| d.rule == Rule::PolicyTooLarge)
            .collect();
        assert_eq!(over.len(), 1, "{over:?}");
        assert!(
            over[0].message.contains(" would total ")
                && over[0]
                    .message
                    .ends_with("their fixes are shown, not applied"),
            "{}",
            over[0].message
        );
        assert!(
            diagnostics
                .iter()
                .filter_map(|d| d.fix.as_ref())
                .all(|f| f.applicability == Applicability::DisplayOnly)
        );
    }

    #[test]
    fn iam020_does_not_count_a_policy_already_over_the_quota_again() {
        let large = Case::allow(actions("ec2:")).inline();
        let small = Case::allow(json!("s3:GetObject")).inline();
        let mut diagnostics = large.check(Rule::PolicyTooLarge);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        super::check_unit(&[large.site, small.site], &[], &mut diagnostics);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    }
}
