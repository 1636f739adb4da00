//! `iamprune man [COMMAND]`: the manual page of the command line, or of one command, in roff, made
//! from the same definitions as `--help` (`iamprune man > iamprune.1`, `iamprune man check >
//! iamprune-check.1`).

use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print (`check`, `fix`, ...); the overview page without it.
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

pub fn run(args: &ManArgs, mut cli: clap::Command) -> anyhow::Result<ExitCode> {
    // Subcommands show their arguments as they are used: `iamprune check [OPTIONS]`.
    cli.build();
    let page = match &args.command {
        None => cli,
        Some(name) => {
            let names: Vec<String> = cli
                .get_subcommands()
                .filter(|c| c.get_name() != "help")
                .map(|c| c.get_name().to_string())
                .collect();
            let command = cli.find_subcommand(name).cloned().ok_or_else(|| {
                anyhow::anyhow!("no command `{name}`; the commands are {}", names.join(", "))
            })?;
            let full = format!("iamprune-{}", command.get_name());
            command.name(full.clone()).bin_name(full)
        }
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page.version(env!("CARGO_PKG_VERSION"))).render(&mut roff)?;
    crate::output::stdout(&String::from_utf8_lossy(&roff));
    Ok(ExitCode::SUCCESS)
}
