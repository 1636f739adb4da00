//! `iamprune fix`: apply the safe fixes, each verified before it is written.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use iamprune_linter::units::UnitKind;
use iamprune_linter::{fix_loop, write};

use super::scan::{Fixes, Scan, ScanArgs, StdinFile};
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
    /// Fix SAM policy templates (`S3CrudPolicy: {BucketName: b}`) by writing out the statements each
    /// stands for in its place, without the unused actions (or `[cloudformation] fix-sam-templates`).
    #[arg(long)]
    pub fix_sam_templates: bool,
    #[command(flatten)]
    pub catalog: CatalogArgs,
}

pub fn run(args: &FixArgs) -> anyhow::Result<ExitCode> {
    let writes = !args.diff && args.scan.stdin_filename.is_none();
    // Held from before the files are read until they are written, so that a second `fix` of the tree
    // reads what this one wrote.
    let _lock = if writes {
        // An interrupted run leaves no temporary file behind; files are whole, old or new.
        let _ = ctrlc::set_handler(|| {
            write::remove_pending_temps();
            std::process::exit(130);
        });
        Some(tree_lock(&args.scan)?)
    } else {
        None
    };
    let mut scan = Scan::run(
        &args.scan,
        &args.catalog,
        Fixes {
            generated: args.fix_generated,
            sam_templates: args.fix_sam_templates,
        },
    )?;
    let findings_errors = scan.findings_errors();
    if !findings_errors.is_empty() {
        for error in findings_errors {
            eprintln!("iamprune: error: {error}");
        }
        anyhow::bail!("findings could not be loaded; nothing was changed");
    }
    let mut totals = Totals::default();
    match &scan.stdin {
        Some(stdin) => fix_stdin(&scan, stdin, args, &mut totals),
        None => fix_units(&scan, args, &mut totals)?,
    }
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
    say_unchecked(scan, totals, |m| Some(m.file.clone()));
    for report in scan.units() {
        let outcome = &report.fix;
        say_refused(outcome, totals, |file| file.to_path_buf());
        if outcome.changed.is_empty() {
            continue;
        }
        if args.diff {
            totals.applied += outcome.applied;
            totals.changed_files += outcome.changed.len();
            for (file, (before, after)) in &outcome.changed {
                crate::output::stdout(&unified_diff(file, before, after));
            }
        } else {
            match fix_loop::write(outcome) {
                Ok(()) => {
                    totals.applied += outcome.applied;
                    totals.changed_files += outcome.changed.len();
                    for file in outcome.changed.keys() {
                        crate::output::stdout(&format!("fixed {}\n", file.display()));
                    }
                }
                Err(error) => {
                    totals.failed = true;
                    eprintln!("iamprune: error: {error}");
                }
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

/// With `--stdin-filename`: prints the fixed text of the file (or its diff) and writes nothing. Fixes
/// the check found in other files of its unit are counted, not applied.
fn fix_stdin(scan: &Scan, stdin: &StdinFile, args: &FixArgs, totals: &mut Totals) {
    let mut fixed = None;
    let mut elsewhere = 0;
    say_unchecked(scan, totals, |m| {
        (m.file == stdin.path).then(|| stdin.shown.clone())
    });
    for report in scan.units() {
        let outcome = &report.fix;
        say_refused(outcome, totals, |file| {
            if file == stdin.path {
                stdin.shown.clone()
            } else {
                file.to_path_buf()
            }
        });
        for (file, (_, after)) in &outcome.changed {
            if *file == stdin.path {
                fixed = Some(after.as_str());
                totals.applied += outcome.applied;
                totals.changed_files += 1;
            } else {
                elsewhere += 1;
            }
        }
    }
    let after = fixed.unwrap_or(&stdin.text);
    if args.diff {
        crate::output::stdout(&unified_diff(&stdin.shown, &stdin.text, after));
    } else {
        crate::output::stdout(after);
    }
    if elsewhere > 0 {
        eprintln!(
            "iamprune: {elsewhere} other file(s) of its module or stack have fixes too; \
             `iamprune fix` without --stdin-filename applies them"
        );
    }
}

/// The lock of the tree the paths are in: the repository around the first, else the first itself.
fn tree_lock(args: &ScanArgs) -> anyhow::Result<write::TreeLock> {
    let first = args
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    let first = std::fs::canonicalize(&first).unwrap_or(first);
    let dir = if first.is_dir() {
        first.as_path()
    } else {
        first.parent().unwrap_or(Path::new("."))
    };
    let root = iamprune_linter::config::repository_root(dir).unwrap_or(dir);
    write::TreeLock::acquire(root, || {
        eprintln!(
            "iamprune: waiting for another `iamprune fix` of {} to finish",
            root.display()
        );
    })
    .map_err(|e| anyhow::anyhow!("{}: cannot lock the tree: {e}", root.display()))
}

/// Says what the check left messages about, under the name `shown` gives (`None`: not said). A file
/// that could not be checked was not fixed either: the run fails, as `check` would.
fn say_unchecked(
    scan: &Scan,
    totals: &mut Totals,
    shown: impl Fn(&iamprune_linter::Message) -> Option<PathBuf>,
) {
    let messages = scan
        .checked
        .iter()
        .flat_map(|c| &c.messages)
        .chain(scan.units().flat_map(|r| &r.messages));
    for message in messages {
        let Some(file) = shown(message) else {
            continue;
        };
        totals.unchecked |= message.level == iamprune_linter::Level::Error;
        eprintln!(
            "iamprune: {}: {}: {}",
            level(message),
            file.display(),
            message.message
        );
    }
}

/// Says why a unit's fixes were refused (the fixed text did not parse or failed its verification),
/// each message with its file under the name `shown` gives.
fn say_refused(
    outcome: &fix_loop::FixOutcome,
    totals: &mut Totals,
    shown: impl Fn(&Path) -> PathBuf,
) {
    for message in &outcome.messages {
        totals.failed = true;
        eprintln!(
            "iamprune: error: {}: {}",
            shown(&message.file).display(),
            message.message
        );
    }
}

fn unified_diff(file: &Path, before: &str, after: &str) -> String {
    let name = file.display().to_string();
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&name, &name)
        .to_string()
}

fn level(message: &iamprune_linter::Message) -> &'static str {
    match message.level {
        iamprune_linter::Level::Error => "error",
        iamprune_linter::Level::Note => "note",
    }
}
