//! A deterministic text rendering of a `FindingsSet`, for snapshots.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use iamprune_findings::{
    FindingsError, FindingsSet, FormatKind, LoadOptions, PrincipalFact, PrincipalFindings,
};

/// The fixtures folder, relative to the crate (tests run from the crate's folder), so that the
/// paths in snapshots do not depend on where the checkout lives.
pub fn fixture(name: &str) -> PathBuf {
    Path::new("../../testdata/findings").join(name)
}

pub fn load_one(
    name: &str,
    principal: Option<&str>,
) -> (FindingsSet, Result<FormatKind, FindingsError>) {
    let mut set = FindingsSet::new();
    let opts = LoadOptions {
        principal: principal.map(str::to_string),
    };
    let result = set.load_file(&fixture(name), &opts);
    (set, result)
}

pub fn render_principal(out: &mut String, p: &PrincipalFindings) {
    let _ = writeln!(out, "principal {}", p.principal);
    let _ = writeln!(
        out,
        "  analyzed_at: {}  updated_at: {}",
        p.analyzed_at.as_deref().unwrap_or("-"),
        p.updated_at.as_deref().unwrap_or("-")
    );
    let _ = writeln!(out, "  unused services ({}):", p.unused_services.len());
    for (ns, fact) in &p.unused_services {
        let _ = writeln!(
            out,
            "    {ns}  last accessed {}",
            fact.last_accessed.as_deref().unwrap_or("-")
        );
    }
    let mut per_service: BTreeMap<&str, usize> = BTreeMap::new();
    for key in p.unused_actions.keys() {
        let service = key.split(':').next().unwrap_or("");
        *per_service.entry(service).or_default() += 1;
    }
    let counts: Vec<String> = per_service
        .iter()
        .map(|(s, n)| format!("{s} {n}"))
        .collect();
    if counts.is_empty() {
        let _ = writeln!(out, "  unused actions (0)");
    } else {
        let _ = writeln!(
            out,
            "  unused actions ({}): {}",
            p.unused_actions.len(),
            counts.join(", ")
        );
    }
    for (action, fact) in &p.unused_actions {
        match &fact.last_accessed {
            Some(t) => {
                let _ = writeln!(out, "    {action}  last accessed {t}");
            }
            None => {
                let _ = writeln!(out, "    {action}");
            }
        }
    }
    let _ = writeln!(out, "  facts ({}):", p.facts.len());
    for fact in &p.facts {
        let text = match fact {
            PrincipalFact::UnusedIAMRole { last_accessed } => {
                format!(
                    "UnusedIAMRole last accessed {}",
                    last_accessed.as_deref().unwrap_or("-")
                )
            }
            PrincipalFact::UnusedIAMUserAccessKey {
                access_key_id,
                last_accessed,
            } => format!(
                "UnusedIAMUserAccessKey {access_key_id} last accessed {}",
                last_accessed.as_deref().unwrap_or("-")
            ),
            PrincipalFact::UnusedIAMUserPassword { last_accessed } => format!(
                "UnusedIAMUserPassword last accessed {}",
                last_accessed.as_deref().unwrap_or("-")
            ),
            PrincipalFact::SummaryOnly { finding_type } => format!("SummaryOnly {finding_type}"),
        };
        let _ = writeln!(out, "    {text}");
    }
    let sources: Vec<String> = p.sources.iter().map(|s| s.display().to_string()).collect();
    let _ = writeln!(out, "  sources: {}", sources.join(", "));
}

pub fn render(set: &FindingsSet, errors: &[FindingsError]) -> String {
    let mut out = String::new();
    for p in set.principals() {
        render_principal(&mut out, p);
    }
    let recs = set.recommendations();
    let _ = writeln!(out, "recommendations ({}):", recs.len());
    for r in recs {
        let _ = writeln!(
            out,
            "  {} {} for {} (policy updated {})",
            r.action,
            r.existing_policy_id,
            r.principal.as_deref().unwrap_or("-"),
            r.policy_updated_at.as_deref().unwrap_or("-")
        );
        if let Some(policy) = &r.recommended_policy {
            let _ = writeln!(out, "    {policy}");
        }
    }
    let _ = writeln!(out, "notes ({}):", set.notes().len());
    for n in set.notes() {
        let _ = writeln!(out, "  {n}");
    }
    let _ = writeln!(out, "errors ({}):", errors.len());
    for e in errors {
        let _ = writeln!(out, "  {e}");
    }
    out
}

/// Summary of a single-file load: the detected format, then the set.
pub fn render_one(set: &FindingsSet, result: &Result<FormatKind, FindingsError>) -> String {
    let (head, errors) = match result {
        Ok(kind) => (format!("format: {kind}\n"), Vec::new()),
        Err(e) => ("format: -\n".to_string(), vec![e.clone()]),
    };
    head + &render(set, &errors)
}
