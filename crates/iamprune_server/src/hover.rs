//! Hover on an action pattern: what it grants in the catalog, and what the findings say of it.

use std::fmt::Write;
use std::path::Path;

use iamprune_catalog::{Catalog, Pattern};
use iamprune_linter::check::UnitReport;
use iamprune_linter::{Project, SiteAnalysis};
use iamprune_policy::{ActionKey, Effect, Outcome, PolicySite, Statement, refine_pattern};
use iamprune_syntax::Span;

/// How many matched actions a hover lists; the count says how many there are in all.
const LISTED: usize = 20;

/// The span of the action element under `offset` in `file`, and the markdown to show for it.
pub fn at(
    project: &Project,
    report: &UnitReport,
    file: &Path,
    offset: usize,
) -> Option<(Span, String)> {
    let analysed = report.sites.iter().zip(&report.analyses);
    for (site, analysis) in analysed.filter(|(s, _)| s.file == file) {
        let Some(document) = &analysis.document else {
            continue;
        };
        for statement in &document.statements {
            let Some(block) = &statement.actions else {
                continue;
            };
            for element in &block.elements {
                // The end is included: the cursor right after the closing quote still points at it.
                if element.span.start <= offset && offset <= element.span.end {
                    let markdown = match element.pattern() {
                        Some(pattern) => describe(project, site, analysis, statement, pattern),
                        None => "This element is an expression: iamprune cannot tell which actions it grants, so it is never narrowed.".to_string(),
                    };
                    return Some((element.span, markdown));
                }
            }
        }
    }
    None
}

fn describe(
    project: &Project,
    site: &PolicySite,
    analysis: &SiteAnalysis,
    statement: &Statement,
    pattern: &Pattern,
) -> String {
    let catalog = &*project.catalog;
    let expansion = catalog.expand(pattern);
    let mut out = String::new();
    let count = expansion.len();
    let _ = writeln!(
        out,
        "**`{}`** matches **{count}** action(s) of the catalog ({}).",
        pattern.as_str(),
        catalog.describe()
    );
    let key = statement.actions.as_ref().map(|b| b.key);
    if key == Some(ActionKey::NotAction) {
        let _ = writeln!(
            out,
            "\nIn `NotAction`: the statement applies to every action except these."
        );
    }
    if count > 0 {
        out.push_str("\n| action | access level |\n|---|---|\n");
        for id in expansion.iter().take(LISTED) {
            let _ = writeln!(
                out,
                "| `{}` | {} |",
                catalog.name(id),
                catalog.access_level(id).as_str()
            );
        }
        if count > LISTED {
            let _ = writeln!(out, "| … and {} more | |", count - LISTED);
        }
    }
    if project.findings.is_some() {
        out.push('\n');
        out.push_str(&findings_part(
            catalog, site, analysis, statement, key, pattern,
        ));
    }
    out
}

/// What the findings say of the pattern: how much of it is unused, and what it would be narrowed to.
fn findings_part(
    catalog: &Catalog,
    site: &PolicySite,
    analysis: &SiteAnalysis,
    statement: &Statement,
    key: Option<ActionKey>,
    pattern: &Pattern,
) -> String {
    if !site.purpose.grants_identity() {
        return "Findings apply to identity policies only; this is a trust policy, a resource policy or a ceiling (a permissions boundary, SCP or RCP).\n"
            .into();
    }
    let resolution = &analysis.resolution;
    let names: Vec<String> = resolution
        .principals
        .iter()
        .filter(|p| p.findings.is_some())
        .map(|p| short(&p.label))
        .collect();
    let Some(unused) = analysis.unused(catalog, site) else {
        return if let Some(gap) = resolution.gaps.first() {
            format!("Not narrowed: {}.\n", gap.message(&site.owner))
        } else if names.is_empty() {
            format!("No findings name a principal `{}` reaches.\n", site.owner)
        } else {
            format!(
                "Nothing it grants is unused by {} according to the findings.\n",
                names.join(", ")
            )
        };
    };
    let who = if names.is_empty() {
        "any principal".to_string()
    } else {
        names.join(", ")
    };
    let refinement = refine_pattern(pattern, &unused);
    let unused_count = refinement.unused.len();
    let mut out = format!(
        "**{unused_count}** of them unused by {who}{}.\n",
        if unused_count > 0 { "" } else { " (none)" }
    );
    if statement.effect != Effect::Allow || key != Some(ActionKey::Action) {
        return out;
    }
    match &refinement.outcome {
        Outcome::Keep => {}
        Outcome::Remove => out.push_str("\nRefinement: remove it.\n"),
        Outcome::Replace(patterns) => {
            let listed: Vec<String> = patterns.iter().map(|p| format!("`{p}`")).collect();
            let _ = writeln!(
                out,
                "\nRefinement: replace it with {} pattern(s): {}.",
                patterns.len(),
                listed.join(", ")
            );
        }
    }
    out
}

/// `arn:aws:iam::1:role/path/Name` → `role Name`; anything else as it is.
fn short(label: &str) -> String {
    match label.rsplit_once(':') {
        Some((_, resource)) => match resource.split_once('/') {
            Some((kind, rest)) => format!("{kind} {}", rest.rsplit('/').next().unwrap_or(rest)),
            None => label.to_string(),
        },
        None => label.to_string(),
    }
}
