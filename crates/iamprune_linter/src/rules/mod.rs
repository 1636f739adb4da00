//! The rules, one file each. Every rule file holds its code, name, default severity and the page
//! `iamprune explain` prints (and `rules/CODE.md` is generated from), next to the check itself.
//!
//! A rule is registered by its file alone. `iamNNN_snake_case_name.rs` is rule `IAMNNN`, variant
//! `Rule::SnakeCaseName`; it defines `META: RuleMeta` and `check(ctx, out)`, which runs on each site,
//! and may define `after_site(ctx, diagnostics)`, which sees the diagnostics of a site once every rule
//! has checked it, and `check_unit(sites, diagnostics)`, which sees the sites of a unit together.
//! `build.rs` reads the file names and writes the module declarations, `Rule` and the registry. As no
//! `mod` line names the rule files, `cargo fmt` does not reach them: `rustfmt --edition 2024
//! crates/iamprune_linter/src/rules/iam*.rs` formats them, and `.ci/run` checks that it has.
//!
//! Each rule file ends with its unit tests, on policies written in the test with `testing.rs`; their
//! names start with the rule's code, so `cargo test -p iamprune_linter iam002` runs IAM002's.

// The rule modules, `Rule`, `Rule::ALL` and `REGISTRY`, written by `build.rs`.
include!(concat!(env!("OUT_DIR"), "/rules.rs"));

#[cfg(test)]
mod testing;

use std::fmt;

use iamprune_policy::PolicySite;

use crate::analysis::SiteAnalysis;
use crate::context::SiteContext;
use crate::diagnostic::{Diagnostic, Severity};

/// A rule's fixed description.
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub fix: FixAvailability,
    pub summary: &'static str,
    /// How much a finding of the rule matters for security, 0.1–10 as CVSS scores (code scanning shows
    /// 7 and above as high, 4 and above as medium); 0 for rules that are not about security.
    pub security_severity: f32,
    /// Kinds, for code scanning's filters: `security`, `least-privilege`, `correctness`, ….
    pub tags: &'static [&'static str],
    /// Markdown: what it finds, why it matters, an example, the fix.
    pub doc: &'static str,
}

/// Whether a rule's diagnostics come with a fix. A fix may still only be shown, not applied: in
/// generated output, where the source cannot be edited as written, or where the result would be over
/// the size quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixAvailability {
    /// No diagnostic of the rule has a fix.
    None,
    /// Some of its diagnostics have one.
    Sometimes,
    /// Every one of its diagnostics has one.
    Always,
}

impl FixAvailability {
    /// Whether a diagnostic with or without a fix is one a rule of this kind can give.
    pub fn admits(self, has_fix: bool) -> bool {
        match self {
            FixAvailability::None => !has_fix,
            FixAvailability::Sometimes => true,
            FixAvailability::Always => has_fix,
        }
    }
}

/// What the registry holds of one rule: its description and the functions its file defines.
struct Entry {
    meta: &'static RuleMeta,
    check: SiteCheck,
    check_unit: Option<UnitCheck>,
    after_site: Option<AfterSite>,
}

/// Checks one site, adding to its diagnostics.
type SiteCheck = fn(&SiteContext<'_>, &mut Vec<Diagnostic>);
/// Checks the sites of a unit together, given what the sites' checks found.
type UnitCheck = fn(&[PolicySite], &[SiteAnalysis], &mut Vec<Diagnostic>);
/// Adjusts the diagnostics of one site once every rule has checked it.
type AfterSite = fn(&SiteContext<'_>, &mut [Diagnostic]);

impl Rule {
    /// `REGISTRY` is generated in the order of the variants, so a rule's index is its entry's.
    fn entry(self) -> &'static Entry {
        &REGISTRY[self as usize]
    }

    pub fn meta(self) -> &'static RuleMeta {
        self.entry().meta
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
    for entry in &REGISTRY {
        let from = out.len();
        (entry.check)(ctx, out);
        // The table tells users which rules fix what; a rule that gives otherwise makes it wrong.
        debug_assert!(
            out[from..]
                .iter()
                .all(|d| entry.meta.fix.admits(d.fix.is_some())),
            "{} gave a diagnostic its META.fix does not admit",
            entry.meta.code
        );
    }
    for after_site in REGISTRY.iter().filter_map(|e| e.after_site) {
        after_site(ctx, &mut out[start..]);
    }
}

/// Runs the rules that look at the sites of a unit together, once each site has been checked.
pub fn check_unit(
    sites: &[PolicySite],
    analyses: &[SiteAnalysis],
    diagnostics: &mut Vec<Diagnostic>,
) {
    for check_unit in REGISTRY.iter().filter_map(|e| e.check_unit) {
        check_unit(sites, analyses, diagnostics);
    }
}
