//! The rules, one file each. Every rule file holds its code, name, default severity and the page
//! `iamprune explain` prints (and `rules/CODE.md` is generated from), next to the check itself.

mod iam001_unused_action;
mod iam002_wildcard_grants_unused;
mod iam003_unused_service;
mod iam004_not_action_grants_unused;
mod iam005_unused_principal;
mod iam010_unknown_action;
mod iam011_redundant_action;
mod iam020_policy_too_large;

use std::fmt;

use iamprune_policy::PolicySite;

use crate::context::SiteContext;
use crate::diagnostic::{Diagnostic, Severity};

/// A rule's fixed description.
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    /// Markdown: what it finds, why it matters, an example, the fix.
    pub doc: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    UnusedAction,
    WildcardGrantsUnused,
    UnusedService,
    NotActionGrantsUnused,
    UnusedPrincipal,
    UnknownAction,
    RedundantAction,
    PolicyTooLarge,
}

impl Rule {
    pub const ALL: [Rule; 8] = [
        Rule::UnusedAction,
        Rule::WildcardGrantsUnused,
        Rule::UnusedService,
        Rule::NotActionGrantsUnused,
        Rule::UnusedPrincipal,
        Rule::UnknownAction,
        Rule::RedundantAction,
        Rule::PolicyTooLarge,
    ];

    pub fn meta(self) -> &'static RuleMeta {
        match self {
            Rule::UnusedAction => &iam001_unused_action::META,
            Rule::WildcardGrantsUnused => &iam002_wildcard_grants_unused::META,
            Rule::UnusedService => &iam003_unused_service::META,
            Rule::NotActionGrantsUnused => &iam004_not_action_grants_unused::META,
            Rule::UnusedPrincipal => &iam005_unused_principal::META,
            Rule::UnknownAction => &iam010_unknown_action::META,
            Rule::RedundantAction => &iam011_redundant_action::META,
            Rule::PolicyTooLarge => &iam020_policy_too_large::META,
        }
    }

    pub fn code(self) -> &'static str {
        self.meta().code
    }

    pub fn name(self) -> &'static str {
        self.meta().name
    }

    /// A rule by its code (`IAM002`) or name (`wildcard-grants-unused`), any case.
    pub fn find(text: &str) -> Option<Rule> {
        Rule::ALL
            .into_iter()
            .find(|r| r.code().eq_ignore_ascii_case(text) || r.name().eq_ignore_ascii_case(text))
    }

    /// The page `iamprune explain` prints and `rules/CODE.md` holds.
    pub fn page(self) -> String {
        let meta = self.meta();
        format!(
            "# {} {}\n\n{}\n\nDefault severity: {}.\n\n{}\n",
            meta.code,
            meta.name,
            meta.summary,
            meta.severity,
            meta.doc.trim()
        )
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Runs every rule on one site, then the rules that judge the site's diagnostics together.
pub fn check_site(ctx: &SiteContext<'_>, out: &mut Vec<Diagnostic>) {
    let start = out.len();
    iam001_unused_action::check(ctx, out);
    iam002_wildcard_grants_unused::check(ctx, out);
    iam003_unused_service::check(ctx, out);
    iam004_not_action_grants_unused::check(ctx, out);
    iam005_unused_principal::check(ctx, out);
    iam010_unknown_action::check(ctx, out);
    iam011_redundant_action::check(ctx, out);
    iam020_policy_too_large::check(ctx, out);
    iam020_policy_too_large::after_site(ctx, &mut out[start..]);
}

/// Runs the rules that look at the sites of a unit together, once each site has been checked.
pub fn check_unit(sites: &[PolicySite], diagnostics: &mut Vec<Diagnostic>) {
    iam020_policy_too_large::check_unit(sites, diagnostics);
}
