//! `iamprune refine`: the pure refinement of one policy document.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use iamprune_linter::drift::Drift;
use iamprune_policy::{
    Outcome, PolicyDocument, PolicyKind, Refinement, StatementRefinement, UnusedSet, document_size,
    output, refine_document,
};
use iamprune_syntax::FileError;

use crate::{CatalogArgs, findings};

#[derive(Debug, Args)]
pub struct RefineArgs {
    /// The policy document (JSON).
    #[arg(long, value_name = "POLICY.json")]
    policy: PathBuf,
    /// Unused actions in the simple list form: `[{"serviceNamespace": "s3", "actions": [...]}]` (an entry
    /// without `actions` is a whole unused service). Any findings format is accepted.
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "findings",
        conflicts_with = "findings"
    )]
    unused: Option<PathBuf>,
    /// Findings files or directories, in any supported export format; may be repeated.
    #[arg(long, value_name = "PATH")]
    findings: Vec<PathBuf>,
    /// The principal ARN the policy reaches; repeat it for a policy shared by several principals (only
    /// what none of them used is removed). Needed when the findings name more than one principal.
    #[arg(long, value_name = "ARN")]
    principal: Vec<String>,
    /// The quota the refined document is checked against.
    #[arg(long, value_name = "KIND", default_value = "managed", value_parser = ["managed", "role-inline", "user-inline", "group-inline"])]
    policy_type: String,
    #[command(flatten)]
    catalog: CatalogArgs,
}

pub fn run(args: &RefineArgs) -> anyhow::Result<ExitCode> {
    let catalog = args.catalog.load()?;
    let path = &args.policy;
    let text = iamprune_syntax::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the policy", path.display()))?;
    let node =
        iamprune_syntax::json::parse(&text).map_err(|e| e.in_file(path).positioned(&text))?;
    let document = PolicyDocument::from_node(&node)
        .map_err(|e| FileError::at(path, e.span, e.message).positioned(&text))?;

    let paths: Vec<PathBuf> = args.unused.iter().chain(&args.findings).cloned().collect();
    let principal_for_lists = match args.principal.as_slice() {
        [one] => Some(one.as_str()),
        _ => None,
    };
    let set = findings::load_all(&paths, principal_for_lists)?;
    let chosen = findings::select(&set, &args.principal)?;
    let mut unused: Option<UnusedSet<'_>> = None;
    for (name, principal) in &chosen {
        let resolved = match principal {
            Some(p) => UnusedSet::resolve(&catalog, &findings::unused_of(p)?),
            None => {
                eprintln!(
                    "iamprune: note: no findings for {name}: nothing is known unused, so nothing changes"
                );
                UnusedSet::none(&catalog)
            }
        };
        unused = Some(match unused {
            None => resolved,
            Some(previous) => previous.intersect(&resolved),
        });
    }
    let unused = unused.unwrap_or_else(|| UnusedSet::none(&catalog));

    let refinement = refine_document(&document, &unused);
    // `refine` prints what it is asked for; `fix` would hold such a wildcard back, so say why.
    let drift = Drift::of(&catalog, chosen.iter().filter_map(|(_, p)| p.as_deref()))
        .with_policy(&catalog, &document);
    if let Some(why) = drift
        .first_block(&document)
        .filter(|_| refinement.changes())
    {
        eprintln!(
            "iamprune: warning: {why}: a narrowed wildcard may lose an action AWS added since, which \
             `iamprune fix` would keep (use a newer catalog with --catalog)"
        );
    }
    let failures: Vec<String> = refinement.proof_failures().map(|f| f.to_string()).collect();
    let refined = output::refined_json(&node, &document, &refinement);
    if refinement.removes_every_statement() && failures.is_empty() {
        // IAM rejects a policy without statements: there is no document to print.
        eprintln!(
            "iamprune: every statement is unused: the policy grants nothing its principals use; \
             detach or delete it (no document is printed, since IAM rejects an empty `Statement`)"
        );
        return Ok(ExitCode::from(1));
    }
    let printed = serde_json::to_string_pretty(&refined)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{printed}")?;
    out.flush()?;

    report(&refinement, &refined, &args.policy_type);
    if !failures.is_empty() {
        for failure in &failures {
            eprintln!("iamprune: {failure}");
        }
        bail!(
            "{} statement(s) left unchanged after a failed proof",
            failures.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A short account on stderr of what changed, so stdout stays a JSON document.
fn report(refinement: &Refinement, refined: &serde_json::Value, policy_type: &str) {
    let (mut removed, mut narrowed) = (0usize, Vec::new());
    for statement in &refinement.statements {
        match statement {
            StatementRefinement::Elements { changes, .. } => {
                for change in changes {
                    match &change.refinement.outcome {
                        Outcome::Remove => removed += 1,
                        Outcome::Replace(patterns) => narrowed.push(format!(
                            "`{}` ({} unused) → {} pattern(s)",
                            change.original,
                            change.refinement.unused.len(),
                            patterns.len()
                        )),
                        Outcome::Keep => {}
                    }
                }
            }
            StatementRefinement::ToNotAction { not_action } => narrowed.push(format!(
                "`*` → NotAction with {} unused pattern(s)",
                not_action.len()
            )),
            StatementRefinement::ExtendNotAction { added } => narrowed.push(format!(
                "{} unused pattern(s) added to NotAction",
                added.len()
            )),
            StatementRefinement::Unchanged(_) => {}
        }
    }
    if removed == 0 && narrowed.is_empty() {
        eprintln!("iamprune: nothing to refine");
    } else {
        eprintln!("iamprune: {removed} pattern(s) removed");
        for line in narrowed {
            eprintln!("iamprune: {line}");
        }
    }
    if let Some(kind) = PolicyKind::parse(policy_type) {
        let size = document_size(refined);
        if size > kind.quota() {
            eprintln!(
                "iamprune: warning[IAM020]: the refined document is {size} characters, over the {} quota of {kind}",
                kind.quota()
            );
        }
    }
}
