//! `iamprune expand`: what a pattern grants.

use std::collections::BTreeSet;
use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use iamprune_catalog::{ActionId, Pattern};

use crate::CatalogArgs;

#[derive(Debug, Args)]
pub struct ExpandArgs {
    /// Action patterns, e.g. `s3:Get*`, `*:Describe*`, `s3:Get?bject`; matching ignores case.
    #[arg(required = true, value_name = "PATTERN")]
    patterns: Vec<String>,
    /// Print each action's access level after a tab.
    #[arg(long)]
    access_level: bool,
    #[command(flatten)]
    catalog: CatalogArgs,
}

pub fn run(args: &ExpandArgs) -> anyhow::Result<ExitCode> {
    let catalog = args.catalog.load()?;
    let mut ids: BTreeSet<ActionId> = BTreeSet::new();
    let mut code = ExitCode::SUCCESS;
    for text in &args.patterns {
        let matched = catalog.expand(&Pattern::new(text.as_str()));
        if matched.is_empty() {
            eprintln!(
                "iamprune: `{text}` matches no action in the catalog ({})",
                catalog.source()
            );
            code = ExitCode::from(1);
        }
        ids.extend(matched.iter());
    }
    let mut out = std::io::stdout().lock();
    for id in ids {
        let written = if args.access_level {
            writeln!(out, "{}\t{}", catalog.name(id), catalog.access_level(id))
        } else {
            writeln!(out, "{}", catalog.name(id))
        };
        // A closed pipe (`| head`) is not an error worth reporting.
        if written.is_err() {
            break;
        }
    }
    Ok(code)
}
