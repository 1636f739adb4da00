//! `iamprune check`: report unused actions, over-broad wildcards and catalog problems at their source.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use iamprune_render::TextOptions;

use super::baseline;
use super::scan::{Fixes, Scan, ScanArgs};
use crate::CatalogArgs;

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Output format (text, json, sarif, github, gitlab, junit), optionally written to a file:
    /// `--format sarif=results.sarif`. Repeat it to write several formats from one run
    /// (`--format github --format sarif=results.sarif`).
    #[arg(long, value_name = "FORMAT[=PATH]", value_parser = parse_target, default_value = "text")]
    pub format: Vec<Target>,
    /// Write the report to FILE instead of standard output (the format given without `=PATH`).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// Notes in the text and GitHub reports: `all` of them, or their `count` on one line (the JSON and
    /// SARIF reports always hold them all).
    #[arg(long, value_enum, default_value = "all")]
    pub notes: Notes,
    /// Colour in the text report: `auto` colours a terminal unless `NO_COLOR` is set, or when
    /// `FORCE_COLOR` is.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
    /// Exit 0 even when diagnostics are found (errors in the run itself still exit 2).
    #[arg(long)]
    pub exit_zero: bool,
    /// Report only diagnostics not recorded in this baseline (see `--write-baseline`).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record the fingerprints of every diagnostic found in FILE, and exit 0: later runs with
    /// `--baseline FILE` report only new problems. Fingerprints do not depend on line numbers.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    pub write_baseline: Option<PathBuf>,
    #[command(flatten)]
    pub catalog: CatalogArgs,
}

/// Where one format of the report goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub format: Format,
    /// `None`: standard output, or `--output-file`.
    pub path: Option<PathBuf>,
}

fn parse_target(text: &str) -> Result<Target, String> {
    let (name, path) = match text.split_once('=') {
        Some((name, path)) if !path.is_empty() => (name, Some(PathBuf::from(path))),
        Some(_) => return Err(format!("`{text}`: no path after `=`")),
        None => (text, None),
    };
    let format = Format::from_str(name, true).map_err(|_| {
        let names: Vec<String> = Format::value_variants()
            .iter()
            .filter_map(|f| f.to_possible_value().map(|v| v.get_name().to_string()))
            .collect();
        format!(
            "`{name}` is not a format; the formats are {}",
            names.join(", ")
        )
    })?;
    Ok(Target { format, path })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Notes {
    All,
    Count,
}

/// The report as a person reads it: with `--notes count`, the notes make one line on stderr. Made
/// once, and a copy only when notes are left out.
fn for_people(
    report: &iamprune_render::Report,
    notes: Notes,
) -> std::borrow::Cow<'_, iamprune_render::Report> {
    if notes == Notes::All {
        return std::borrow::Cow::Borrowed(report);
    }
    let mut shown = report.clone();
    shown
        .messages
        .retain(|m| m.level != iamprune_linter::Level::Note);
    let hidden = report.messages.len() - shown.messages.len();
    if hidden > 0 {
        eprintln!("iamprune: {hidden} note(s) not shown (`--notes all` lists them)");
    }
    std::borrow::Cow::Owned(shown)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

impl Color {
    /// Whether text written to standard output is coloured.
    fn enabled(self) -> bool {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto if set("FORCE_COLOR") => true,
            Color::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Annotated source with each fix as a diff, for people.
    Text,
    /// Everything the run found, for programs.
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions annotations (the first ten of each kind), and the whole report in the job
    /// summary when `$GITHUB_STEP_SUMMARY` is set.
    Github,
    /// GitLab Code Quality (`artifacts:reports:codequality`).
    Gitlab,
    /// JUnit XML test results.
    Junit,
}

fn render(
    format: Format,
    report: &iamprune_render::Report,
    sources: &iamprune_render::Sources,
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Text => {
            out.write_all(iamprune_render::text(report, sources, TextOptions { color }).as_bytes())
        }
        Format::Json => json_to(out, &iamprune_render::json(report, sources)),
        Format::Sarif => json_to(out, &iamprune_render::sarif(report, sources)),
        Format::Github => {
            let summary = step_summary(report, sources);
            out.write_all(iamprune_render::github(report, sources, summary).as_bytes())
        }
        Format::Gitlab => json_to(out, &iamprune_render::gitlab(report, sources)),
        Format::Junit => out.write_all(iamprune_render::junit(report, sources).as_bytes()),
    }
}

/// Pretty JSON and a line break, written as it is serialized: an organization's report is never
/// held whole as text.
fn json_to(out: &mut dyn Write, value: &impl serde::Serialize) -> std::io::Result<()> {
    // serde_json writes a few bytes at a time: into a buffer of this writer's own type, each is a
    // copy the compiler sees, not a call through `dyn Write`.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut out, value)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Appends the report to the job summary of a GitHub Actions step (`$GITHUB_STEP_SUMMARY`), where the
/// diagnostics GitHub does not show as annotations are listed; whether it was written.
fn step_summary(report: &iamprune_render::Report, sources: &iamprune_render::Sources) -> bool {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return false;
    };
    let summary = iamprune_render::github_summary(report, sources);
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| std::io::Write::write_all(&mut file, summary.as_bytes()));
    match written {
        Ok(()) => true,
        Err(e) => {
            eprintln!(
                "iamprune: warning: cannot write the job summary to {}: {e}",
                std::path::Path::new(&path).display()
            );
            false
        }
    }
}

pub fn run(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let mut scan = Scan::run(&args.scan, &args.catalog, Fixes::default())?;
    let (mut report, sources) = scan.report();
    if let Some(path) = &args.write_baseline {
        baseline::write(path, &report, &sources)?;
        eprintln!(
            "iamprune: wrote {} fingerprint(s) to {}",
            report.diagnostics.len(),
            path.display()
        );
    }
    if let Some(path) = &args.baseline {
        baseline::filter(path, &mut report, &sources)?;
    }
    let unnamed = args.format.iter().filter(|t| t.path.is_none()).count();
    if unnamed > 1 || (unnamed == 1 && args.output_file.is_some() && args.format.len() > 1) {
        anyhow::bail!(
            "several formats would go to the same place; give each but one a file: --format sarif=results.sarif"
        );
    }
    let people = args
        .format
        .iter()
        .any(|t| matches!(t.format, Format::Text | Format::Github))
        .then(|| for_people(&report, args.notes));
    for target in &args.format {
        let to_file = target.path.as_ref().or(args.output_file.as_ref());
        // Colour is for a terminal: never in a file.
        let color = to_file.is_none() && args.color.enabled();
        let shown = match target.format {
            Format::Text | Format::Github => people.as_deref().unwrap_or(&report),
            Format::Json | Format::Sarif | Format::Gitlab | Format::Junit => &report,
        };
        let write = |out: &mut dyn Write| render(target.format, shown, &sources, color, out);
        match to_file {
            Some(path) => crate::output::to_file(path, write)
                .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", path.display()))?,
            None => crate::output::stdout_with(write),
        }
    }
    let findings_errors = scan.findings_errors();
    let code = if !findings_errors.is_empty() {
        for error in findings_errors {
            eprintln!("iamprune: error: {error}");
        }
        ExitCode::from(2)
    } else if scan.fails(&report) && !args.exit_zero && args.write_baseline.is_none() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    // The process ends with this command: freeing the repository's reports and an organization's
    // findings one allocation at a time would cost a tenth of the run, for nothing.
    std::mem::forget(people);
    std::mem::forget(report);
    std::mem::forget(scan);
    Ok(code)
}
