//! The engine: the workspace (configurations, catalogs, findings, units), the rules over policy sites,
//! principal resolution, and the verified fix loop. The command line and the language server are thin
//! shells over [`Workspace`].
//!
//! It knows nothing of output formats (renderers take its [`Diagnostic`]s); the format crates hand it
//! [`PolicySite`]s.

mod analysis;
mod cdk_source;
pub mod check;
pub mod config;
mod context;
pub mod deployments;
pub mod diagnostic;
pub mod drift;
pub mod edits;
mod extract;
pub mod files;
pub mod fix;
pub mod fix_loop;
pub mod join;
pub mod process;
pub mod project;
mod refinement_fixes;
pub mod resolve;
pub mod rules;
mod site_cache;
mod spans;
pub mod suppress;
pub mod units;
pub mod workspace;
pub mod write;

use std::path::PathBuf;

use iamprune_catalog::Catalog;
use iamprune_findings::FindingsSet;
use iamprune_policy::{PolicyDocument, PolicySite, refine_document};
use iamprune_syntax::Span;

pub use analysis::SiteAnalysis;
pub use config::RuleSelection;
pub use context::{MatchedPrincipal, SiteContext, Tie};
pub use diagnostic::{Applicability, Diagnostic, Edit, Fix, Related, Severity};
pub use extract::ExtractOptions;
pub use project::Project;
pub use resolve::Resolver;
pub use rules::{Rule, RuleMeta};
pub use site_cache::SiteCache;
pub use workspace::{Settings, Workspace};

/// Something said about the scan itself rather than a rule: an error that stopped a file or document
/// from being checked (a syntax error, a document that is not a policy, a failed proof), or a note on
/// what could not be decided. The rest of the scan goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub level: Level,
    pub file: PathBuf,
    pub span: Option<Span>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Note,
    Error,
}

/// What checking one site gave.
#[derive(Debug, Clone)]
pub struct SiteReport {
    pub diagnostics: Vec<Diagnostic>,
    pub messages: Vec<Message>,
    /// What the rules saw, for whoever reads the site next (verification, hover, statistics).
    pub analysis: SiteAnalysis,
}

/// The checks to run and how to tie findings to the source.
pub struct Linter<'a> {
    pub catalog: &'a Catalog,
    /// `None`: no findings given; only the catalog rules can report.
    pub findings: Option<&'a FindingsSet>,
    pub resolver: Resolver,
    /// Apply fixes to generated output (CDK templates) too, rather than only showing them.
    pub fix_generated: bool,
    /// Which rules run, at which severity: applied to a unit's diagnostics by [`check`], so
    /// [`Linter::lint_site`] alone reports every rule.
    pub rules: RuleSelection,
    /// Narrow wildcards even with a catalog older than the findings (see [`drift`]).
    pub accept_catalog_age: bool,
    /// A wildcard whose narrowing takes more patterns than this is narrowed by a fix that is shown,
    /// not applied (`max-patterns`).
    pub max_patterns: usize,
    /// Write out the statements of a SAM policy template in its place to remove what is unused
    /// (`--fix-sam-templates`); otherwise such fixes are shown, not applied.
    pub fix_sam_templates: bool,
    /// Refinements kept from earlier checks of the same project (an editor's); `None`: each
    /// statement is refined afresh.
    pub memo: Option<&'a iamprune_policy::RefineMemo>,
    /// Site reports kept from earlier checks of the same project (an editor's); `None`: every site
    /// is checked afresh.
    pub site_cache: Option<&'a SiteCache>,
}

/// `max-patterns` when the configuration does not say.
pub const DEFAULT_MAX_PATTERNS: usize = 40;

impl<'a> Linter<'a> {
    pub fn new(catalog: &'a Catalog, findings: Option<&'a FindingsSet>) -> Self {
        Linter {
            catalog,
            findings,
            resolver: Resolver::default(),
            fix_generated: false,
            rules: RuleSelection::default(),
            accept_catalog_age: false,
            max_patterns: DEFAULT_MAX_PATTERNS,
            fix_sam_templates: false,
            memo: None,
            site_cache: None,
        }
    }

    /// Checks one site. `text` is the text of `site.file`; `generated` marks build output (CDK), whose
    /// fixes are shown but not applied.
    pub fn lint_site(&self, site: &PolicySite, text: &str, generated: bool) -> SiteReport {
        self.lint_site_in(site, &edits::FileText::new(text), generated)
    }

    /// Checks one site of `file`, whose lines are shared with the other sites of the file.
    pub(crate) fn lint_site_in(
        &self,
        site: &PolicySite,
        file: &edits::FileText<'_>,
        generated: bool,
    ) -> SiteReport {
        let text = file.text();
        let mut report = SiteReport {
            diagnostics: Vec::new(),
            messages: Vec::new(),
            analysis: SiteAnalysis::empty(site),
        };
        let message = |level, span, message: String| Message {
            level,
            file: site.file.clone(),
            span,
            message,
        };
        for note in &site.notes {
            report.messages.push(message(
                Level::Note,
                Some(note.span),
                format!("{}: {}", site.owner, note.message),
            ));
        }
        if let Some(why) = &site.frozen {
            report.messages.push(message(
                Level::Note,
                Some(site.document.span),
                format!("{}: {why}", site.owner),
            ));
        }
        let document = match PolicyDocument::from_node(&site.document) {
            Ok(document) => document,
            Err(e) => {
                report.messages.push(message(
                    Level::Error,
                    Some(e.span),
                    format!("{} (in {})", e.message, site.owner),
                ));
                return report;
            }
        };
        let resolution = self
            .findings
            .map(|f| self.resolver.resolve(site, f))
            .unwrap_or_else(|| resolve::Resolution::unresolved(site));
        if self.findings.is_some() {
            report.messages.extend(
                join_notes(site, &resolution)
                    .into_iter()
                    .map(|text| message(Level::Note, Some(site.owner_span), text)),
            );
        }
        let unused = analysis::unused(self.catalog, site, &resolution);
        let refinement = unused.as_ref().map(|u| match self.memo {
            Some(memo) => memo.refine_document(&document, u),
            None => refine_document(&document, u),
        });
        if let Some(refinement) = &refinement {
            for failure in refinement.proof_failures() {
                report.messages.push(message(
                    Level::Error,
                    Some(site.document.span),
                    format!("{failure} (in {})", site.owner),
                ));
            }
        }
        let ctx = SiteContext {
            site,
            document: &document,
            text,
            catalog: self.catalog,
            principals: &resolution.principals,
            unused: unused.as_ref(),
            refinement: refinement.as_ref(),
            generated,
            drift: if self.accept_catalog_age {
                drift::Drift::default()
            } else {
                drift::Drift::of_site(self.catalog, &resolution.principals, &document)
            },
            writer: edits::Writer::new(file, &site.syntax, self.fix_sam_templates),
            max_patterns: self.max_patterns,
            sizes: std::cell::OnceCell::new(),
        };
        rules::check_site(&ctx, &mut report.diagnostics);
        report
            .diagnostics
            .sort_by(|a, b| (&a.file, a.span.start, a.rule).cmp(&(&b.file, b.span.start, b.rule)));
        let sizes = ctx.sizes.get().copied();
        report.analysis = SiteAnalysis {
            document: Some(document),
            resolution,
            refinement,
            sizes,
        };
        report
    }
}

/// What keeps findings from reaching an identity policy: a generated name without its stack, and every
/// gap in whom it reaches, each with its remedy.
fn join_notes(site: &PolicySite, resolution: &resolve::Resolution) -> Vec<String> {
    if !site.purpose.grants_identity() {
        return Vec::new();
    }
    let mut notes = Vec::new();
    for reference in &site.principals {
        if let iamprune_policy::PrincipalName::Generated {
            stack: None,
            logical_id,
            ..
        } = &reference.name
        {
            notes.push(format!(
                "{}: `{logical_id}` gets the name CloudFormation generates from the stack; name the stack (--stack-name, or [cloudformation] stack-names in iamprune.toml) to tie findings to it",
                site.owner
            ));
        }
    }
    for gap in &resolution.gaps {
        notes.push(format!(
            "{}: not narrowed: {}",
            site.owner,
            gap.message(&site.owner)
        ));
    }
    notes
}
