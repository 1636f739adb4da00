//! `iamprune findings`: what a findings export says, per principal.

use std::io::Write;
use std::path::PathBuf;

use std::process::ExitCode;

use clap::Args;
use iamprune_findings::{PrincipalFact, PrincipalFindings};

use crate::findings;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct FindingsArgs {
    #[command(subcommand)]
    command: Option<FindingsCommand>,
    /// Findings files or directories, in any supported export format.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The principal ARN for files that do not name one (simple lists, last-accessed reports).
    #[arg(long, value_name = "ARN")]
    principal: Option<String>,
    /// List every unused action and service under its principal.
    #[arg(long)]
    actions: bool,
}

#[derive(Debug, clap::Subcommand)]
enum FindingsCommand {
    /// Pull the active unused-access findings of an IAM Access Analyzer analyzer, in the format
    /// `--findings` reads (the only command besides `deployments pull` that uses the network).
    Pull(crate::commands::pull::FindingsPullArgs),
}

pub fn run(args: &FindingsArgs) -> anyhow::Result<ExitCode> {
    if let Some(FindingsCommand::Pull(pull)) = &args.command {
        return crate::commands::pull::findings(pull);
    }
    let (set, errors) = findings::load(&args.paths, args.principal.as_deref());
    let mut out = std::io::stdout().lock();
    let rows: Vec<[String; 5]> = set.principals().map(|p| row(p)).collect();
    let header = [
        "PRINCIPAL",
        "ACTIONS",
        "SERVICES",
        "PRINCIPAL FINDINGS",
        "ANALYZED",
    ]
    .map(String::from);
    let widths: Vec<usize> = (0..5)
        .map(|i| {
            rows.iter()
                .chain([&header])
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    if rows.is_empty() {
        writeln!(out, "no principals")?;
    } else {
        // Each principal's actions are merged again for its row, in the same order, one at a time.
        let mut principals = set.principals();
        for (n, r) in [&header].into_iter().chain(rows.iter()).enumerate() {
            let line = (0..5)
                .map(|i| format!("{:<w$}", r[i], w = widths[i]))
                .collect::<Vec<_>>()
                .join("  ");
            writeln!(out, "{}", line.trim_end())?;
            if args.actions && n > 0 {
                if let Some(p) = principals.next() {
                    for (service, fact) in &p.unused_services {
                        writeln!(
                            out,
                            "    {service}:*{}",
                            since(fact.last_accessed.as_deref())
                        )?;
                    }
                    for (action, fact) in &p.unused_actions {
                        writeln!(out, "    {action}{}", since(fact.last_accessed.as_deref()))?;
                    }
                }
            }
        }
    }
    for rec in set.recommendations() {
        writeln!(
            out,
            "recommendation: {} {} for {}",
            rec.action,
            rec.existing_policy_id,
            rec.principal.as_deref().unwrap_or("an unnamed principal")
        )?;
    }
    for note in set.notes() {
        writeln!(out, "note: {note}")?;
    }
    out.flush()?;
    for error in &errors {
        eprintln!("iamprune: error: {error}");
    }
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn row(p: &PrincipalFindings) -> [String; 5] {
    let facts: Vec<String> = p
        .facts
        .iter()
        .map(|f| match f {
            PrincipalFact::UnusedIAMRole { .. } => "unused role".to_string(),
            PrincipalFact::UnusedIAMUserAccessKey { .. } => "unused access key".to_string(),
            PrincipalFact::UnusedIAMUserPassword { .. } => "unused password".to_string(),
            PrincipalFact::SummaryOnly { finding_type } => format!("{finding_type} (summary)"),
        })
        .collect();
    [
        p.principal.to_string(),
        p.unused_actions.len().to_string(),
        p.unused_services.len().to_string(),
        if facts.is_empty() {
            "-".into()
        } else {
            facts.join(", ")
        },
        p.analyzed_at
            .as_deref()
            .map_or("-".into(), |t| t.chars().take(10).collect()),
    ]
}

fn since(last: Option<&str>) -> String {
    match last {
        Some(t) => format!("  (last used {})", t.chars().take(10).collect::<String>()),
        None => String::new(),
    }
}
