//! `iamprune check`: report unused actions, over-broad wildcards and catalog problems at their source.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use iamprune_render::TextOptions;

use super::baseline;
use super::scan::{Scan, ScanArgs};
use crate::CatalogArgs;

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Github,
}

pub fn run(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let scan = Scan::run(&args.scan, &args.catalog, false)?;
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
    let rendered = match args.format {
        Format::Text => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            iamprune_render::text(&report, &sources, TextOptions { color })
        }
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&iamprune_render::json(&report, &sources))?
        ),
        Format::Sarif => format!(
            "{}\n",
            serde_json::to_string_pretty(&iamprune_render::sarif(&report, &sources))?
        ),
        Format::Github => iamprune_render::github(&report, &sources),
    };
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) ends the output, not the run's verdict.
    let _ = out.write_all(rendered.as_bytes());
    let _ = out.flush();
    let findings_errors = scan.findings_errors();
    if !findings_errors.is_empty() {
        for error in findings_errors {
            eprintln!("iamprune: error: {error}");
        }
        return Ok(ExitCode::from(2));
    }
    let fails = scan.fails(&report);
    Ok(
        if fails && !args.exit_zero && args.write_baseline.is_none() {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        },
    )
}
