//! What the rules see of one site: its document, its text, and what the findings say of its principals.

use iamprune_catalog::Catalog;
use iamprune_findings::PrincipalFindings;
use iamprune_policy::{PolicyDocument, PolicySite, Refinement, UnusedSet};
use iamprune_syntax::Span;

use crate::diagnostic::{Applicability, Diagnostic, Fix};
use crate::edits::Writer;
use crate::rules::Rule;

/// A principal of the site, matched to the findings.
#[derive(Debug, Clone)]
pub struct MatchedPrincipal {
    /// The finding principal's ARN, or the source's name for it when no finding matched.
    pub label: String,
    /// `None`: no finding names it, so nothing is known unused.
    /// Shared with the findings set: a principal's findings are the same for every site it reaches.
    pub findings: Option<std::sync::Arc<PrincipalFindings>>,
    /// The source principal it is deployed from (`aws_iam_role.app`, `AppRole`); `None` when the
    /// configuration maps the policy itself to it.
    pub declared_as: Option<String>,
    pub tie: Tie,
}

/// How a deployed principal was tied to the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tie {
    /// By the name the source gives it.
    Name,
    /// By `[principals]` in iamprune.toml.
    Mapping,
    /// By a deployment file, which lists it.
    Deployment(std::path::PathBuf),
}

pub struct SiteContext<'a> {
    pub site: &'a PolicySite,
    pub document: &'a PolicyDocument,
    /// The text of `site.file`.
    pub text: &'a str,
    pub catalog: &'a Catalog,
    pub principals: &'a [MatchedPrincipal],
    /// What every principal left unused (their intersection); `None` when nothing can be known unused
    /// (no findings, no principals, or a principal that could not be named).
    pub unused: Option<&'a UnusedSet<'a>>,
    pub refinement: Option<&'a Refinement>,
    /// The site is in generated output (a CDK assembly): fixes are shown, not applied.
    pub generated: bool,
    /// Why wildcards may not be narrowed with this catalog.
    pub drift: crate::drift::Drift,
    /// Spells the fixes' edits in the site's syntax.
    pub writer: Writer<'a>,
    /// A narrowing to more patterns than this is shown, not applied.
    pub max_patterns: usize,
    /// The document's size before and after the refinement, measured on first use (serializing a
    /// document is the dearest thing a rule does).
    pub sizes: std::cell::OnceCell<(usize, usize)>,
}

impl SiteContext<'_> {
    /// A diagnostic of `rule` at `span` of the site's file, with the rule's default severity.
    pub fn diagnostic(
        &self,
        rule: Rule,
        span: Span,
        message: String,
        mut fix: Option<Fix>,
    ) -> Diagnostic {
        // Whatever a rule decided, no edit is made in text shared with something else.
        if let (Some(fix), Some(_)) = (&mut fix, &self.site.frozen) {
            fix.applicability = Applicability::DisplayOnly;
        }
        Diagnostic {
            rule,
            severity: rule.meta().severity,
            file: self.site.file.clone(),
            span,
            message,
            principals: self
                .principals
                .iter()
                .filter(|p| p.findings.is_some())
                .map(|p| p.label.clone())
                .collect(),
            construct_path: self.site.construct_path.clone(),
            related: Vec::new(),
            fix,
        }
    }

    /// Fixes in generated output, or in text shared with something else, are shown, not applied.
    pub fn applicability(&self) -> Applicability {
        if self.generated || self.site.frozen.is_some() {
            Applicability::DisplayOnly
        } else {
            Applicability::Safe
        }
    }

    /// "role DataPipelineRole (analyzed 2024-06-10)", or "roles A, B" — who the finding is about.
    pub fn who(&self) -> String {
        let names: Vec<String> = self
            .principals
            .iter()
            .filter(|p| p.findings.is_some())
            .map(|p| short_principal(&p.label))
            .collect();
        let analyzed = self
            .principals
            .iter()
            .filter_map(|p| p.findings.as_ref()?.analyzed_at.as_deref())
            .max()
            .map(|t| format!(" (analyzed {})", t.chars().take(10).collect::<String>()))
            .unwrap_or_default();
        match names.as_slice() {
            [] => "any principal".to_string(),
            [one] => format!("{one}{analyzed}"),
            many => format!("{}{analyzed}", many.join(", ")),
        }
    }
}

/// `arn:aws:iam::1:role/path/Name` → `role Name`.
pub fn short_principal(arn: &str) -> String {
    match arn.rsplit_once(':').map(|(_, resource)| resource) {
        Some(resource) => {
            let (kind, rest) = resource.split_once('/').unwrap_or(("principal", resource));
            let name = rest.rsplit('/').next().unwrap_or(rest);
            format!("{kind} {name}")
        }
        None => arn.to_string(),
    }
}
