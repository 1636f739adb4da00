//! From findings files to the unused set of the principals a policy reaches.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use iamprune_findings::{FindingsError, FindingsSet, LoadOptions, Principal, PrincipalFindings};
use iamprune_policy::Unused;

/// Loads findings files and directories; every file that loads is kept, and the errors of the
/// others are returned for the caller to report.
pub fn load(paths: &[PathBuf], principal: Option<&str>) -> (FindingsSet, Vec<FindingsError>) {
    let options = LoadOptions {
        principal: principal.map(str::to_string),
    };
    FindingsSet::load_paths(paths, &options)
}

/// As [`load`], but any file that fails is an error: a refinement from partial findings would quietly
/// differ from what the user asked for.
pub fn load_all(paths: &[PathBuf], principal: Option<&str>) -> anyhow::Result<FindingsSet> {
    let (set, errors) = load(paths, principal);
    if !errors.is_empty() {
        let count = errors.len();
        for error in errors {
            eprintln!("iamprune: error: {error}");
        }
        bail!("{count} findings file(s) could not be loaded");
    }
    for note in set.notes() {
        eprintln!("iamprune: note: {note}");
    }
    Ok(set)
}

/// The findings of each chosen principal. With no principal named, the findings must be about one
/// principal, or be a simple list that applies to any.
pub fn select(
    set: &FindingsSet,
    principals: &[String],
) -> anyhow::Result<Vec<(String, Option<Arc<PrincipalFindings>>)>> {
    if !principals.is_empty() {
        return Ok(principals
            .iter()
            .map(|arn| (arn.clone(), set.for_principal(arn)))
            .collect());
    }
    let named: Vec<_> = set
        .principals_where(|p| matches!(p, Principal::Arn(_)))
        .collect();
    match named.as_slice() {
        [] => Ok(set
            .principals()
            .find(|p| p.principal == Principal::Any)
            .map(|p| vec![("any principal".to_string(), Some(p.clone()))])
            .unwrap_or_default()),
        [one] => {
            let arn = one.principal.to_string();
            Ok(vec![(arn.clone(), set.for_principal(&arn))])
        }
        many => {
            let list: Vec<String> = many.iter().map(|p| p.principal.to_string()).collect();
            bail!(
                "the findings are about {} principals; name the ones the policy reaches with --principal:\n  {}",
                many.len(),
                list.join("\n  ")
            )
        }
    }
}

/// The unused actions and services of one principal, by name.
pub fn unused_of(findings: &PrincipalFindings) -> anyhow::Result<Unused> {
    let mut unused = Unused::new();
    for action in findings.unused_actions.keys() {
        unused
            .add_action(action)
            .with_context(|| format!("in the findings for {}", findings.principal))?;
    }
    for service in findings.unused_services.keys() {
        unused
            .add_service(service)
            .with_context(|| format!("in the findings for {}", findings.principal))?;
    }
    Ok(unused)
}
