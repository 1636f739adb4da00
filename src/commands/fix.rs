//! `iamprune fix`: apply the safe fixes, each verified before it is written.

use std::process::ExitCode;

use clap::Args;
use iamprune_linter::fix_loop;
use iamprune_linter::units::UnitKind;

use super::scan::{Scan, ScanArgs};
use crate::CatalogArgs;

#[derive(Debug, Args)]
pub struct FixArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Print a unified diff of the changes and write nothing.
    #[arg(long, alias = "dry-run")]
    pub diff: bool,
    /// Also fix generated output (CDK templates in `cdk.out`); the next synth overwrites it, so prefer
    /// changing the construct.
    #[arg(long)]
    pub fix_generated: bool,
    #[command(flatten)]
    pub catalog: CatalogArgs,
}

pub fn run(args: &FixArgs) -> anyhow::Result<ExitCode> {
    let scan = Scan::run(&args.scan, &args.catalog, args.fix_generated)?;
    let findings_errors = scan.findings_errors();
    if !findings_errors.is_empty() {
        for error in findings_errors {
            eprintln!("iamprune: error: {error}");
        }
        anyhow::bail!("findings could not be loaded; nothing was changed");
    }
    let mut totals = Totals::default();
    fix_units(&scan, args, &mut totals)?;
    let Totals {
        applied,
        changed_files,
        failed,
        unchecked,
        generated,
    } = totals;
    let verb = if args.diff { "would apply" } else { "applied" };
    eprintln!("iamprune: {verb} {applied} edit(s) in {changed_files} file(s)");
    if generated > 0 && !args.fix_generated {
        eprintln!(
            "iamprune: {generated} fix(es) in CDK output were not applied: change the construct in the CDK app (`iamprune check` names it)"
        );
    }
    let (report, _) = scan.report();
    if let Some(coverage) = iamprune_render::join_coverage(&report.join) {
        eprintln!("iamprune: {coverage}");
    }
    if failed {
        return Ok(ExitCode::from(2));
    }
    if scan.fails_on_unjoined(&report) {
        return Ok(ExitCode::from(1));
    }
    // With --diff, pending changes fail the run, so CI can ask "is everything fixed?".
    Ok(if unchecked || (args.diff && changed_files > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[derive(Default)]
struct Totals {
    applied: usize,
    changed_files: usize,
    /// A fix failed its verification or could not be written.
    failed: bool,
    /// A file could not be checked, so it was not fixed either.
    unchecked: bool,
    /// Fixes in CDK output that were shown, not applied.
    generated: usize,
}

/// Writes (or prints) the fixes the check verified.
fn fix_units(scan: &Scan, args: &FixArgs, totals: &mut Totals) -> anyhow::Result<()> {
    // A file that could not be checked was not fixed either: the run fails, as `check` would.
    for message in scan
        .checked
        .iter()
        .flat_map(|c| &c.messages)
        .chain(scan.units().flat_map(|r| &r.messages))
    {
        totals.unchecked |= message.level == iamprune_linter::Level::Error;
        eprintln!(
            "iamprune: {}: {}: {}",
            level(message),
            message.file.display(),
            message.message
        );
    }
    for report in scan.units() {
        let outcome = &report.fix;
        for message in &outcome.messages {
            totals.failed = true;
            eprintln!(
                "iamprune: error: {}: {}",
                message.file.display(),
                message.message
            );
        }
        if outcome.changed.is_empty() {
            continue;
        }
        totals.applied += outcome.applied;
        totals.changed_files += outcome.changed.len();
        if args.diff {
            for (file, (before, after)) in &outcome.changed {
                let name = file.display().to_string();
                let diff = similar::TextDiff::from_lines(before.as_str(), after.as_str());
                crate::output::stdout(
                    &diff
                        .unified_diff()
                        .context_radius(3)
                        .header(&name, &name)
                        .to_string(),
                );
            }
        } else {
            fix_loop::write(outcome)?;
            for file in outcome.changed.keys() {
                crate::output::stdout(&format!("fixed {}\n", file.display()));
            }
        }
    }
    totals.generated += scan
        .units()
        .filter(|r| r.unit.kind == UnitKind::CdkAssembly)
        .flat_map(|r| &r.diagnostics)
        .filter(|d| d.fix.is_some())
        .count();
    Ok(())
}

fn level(message: &iamprune_linter::Message) -> &'static str {
    match message.level {
        iamprune_linter::Level::Error => "error",
        iamprune_linter::Level::Note => "note",
    }
}
