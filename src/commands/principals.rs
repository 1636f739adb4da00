//! `iamprune principals`: whom each policy reaches, what each source principal is deployed as, which
//! findings reached nothing and which policies are not narrowed, and why.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::scan::{Fixes, Scan, ScanArgs};
use crate::CatalogArgs;

#[derive(Debug, Args)]
pub struct PrincipalsArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    #[command(flatten)]
    pub catalog: CatalogArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub fn run(args: &PrincipalsArgs) -> anyhow::Result<ExitCode> {
    let mut scan = Scan::run(&args.scan, &args.catalog, Fixes::default())?;
    let (report, _) = scan.report();
    let rendered = match args.format {
        Format::Text => iamprune_render::principals_text(&report.join),
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&report.join)?),
    };
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) ends the output, not the run.
    let _ = out.write_all(rendered.as_bytes());
    let _ = out.flush();
    // Principals whose policies the walk left out would be missing here without a word.
    for note in scan.checked.iter().filter_map(|c| c.skipped.as_ref()) {
        eprintln!("iamprune: note: {}: {}", note.file.display(), note.message);
    }
    let findings_errors = scan.findings_errors();
    for error in &findings_errors {
        eprintln!("iamprune: error: {error}");
    }
    Ok(if !findings_errors.is_empty() {
        ExitCode::from(2)
    } else if scan.fails_on_unjoined(&report) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
