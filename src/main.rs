//! `iamprune`: least privilege for IAM policies in infrastructure code.

mod commands;
mod findings;
mod output;

// A scan is many small allocations (parse trees, spans, strings) freed together; mimalloc's
// thread-local free lists cut their cost and the page faults of glibc's arenas.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use iamprune_catalog::{Catalog, CatalogRef};

/// Narrow IAM wildcards and remove unused actions, using IAM Access Analyzer unused-access findings.
#[derive(Debug, Parser)]
#[command(name = "iamprune", max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Report unused actions and over-broad wildcards at their place in Terraform, CloudFormation and
    /// CDK source (exit 1 when something at or above the fail level is found).
    Check(commands::check::CheckArgs),
    /// Apply the safe fixes: remove unused actions, narrow wildcards, each verified before it is written.
    Fix(commands::fix::FixArgs),
    /// Print a policy refined by the unused actions of its principal, as JSON.
    ///
    /// Every Allow statement loses the actions no principal used: exact names are removed, and each
    /// wildcard is replaced by the shortest CamelCase-token prefixes that keep every used action and
    /// none of the unused ones. Deny statements are never changed. Each result is proved against the
    /// catalog before it is printed.
    Refine(commands::refine::RefineArgs),
    /// Show the join: each source principal, what it is deployed as and the findings it matched; the
    /// findings that reach no policy and the policies they do not narrow, each with why and what to do.
    Principals(commands::principals::PrincipalsArgs),
    /// Print the actions that patterns match, one per line.
    Expand(commands::expand::ExpandArgs),
    /// Summarize findings exports: principals, unused actions and services, what was skipped and why;
    /// `findings pull` pulls them from IAM Access Analyzer.
    Findings(commands::findings::FindingsArgs),
    /// Deployment evidence from AWS: `deployments pull` writes each stack's resources where
    /// `--deployment` reads them.
    #[command(subcommand)]
    Deployments(DeploymentsCommand),
    /// List the rules.
    Rules,
    /// Print what a rule checks, why, an example and its fix.
    Explain(commands::rules::ExplainArgs),
    /// Run the language server on stdin and stdout: diagnostics, quick fixes and hover in editors.
    Server,
    /// Print the manual page of the command line, or of one command, in roff (`iamprune man >
    /// iamprune.1`).
    Man(commands::man::ManArgs),
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
enum DeploymentsCommand {
    /// Pull the resources of CloudFormation stacks (ListStackResources), one `STACK.json` each.
    Pull(commands::pull::DeploymentsPullArgs),
}

/// The action catalog to use.
#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// Use this catalog TSV (`service<TAB>Action<TAB>AccessLevel`) instead of the embedded one.
    #[arg(long, value_name = "TSV", global = true)]
    catalog: Option<PathBuf>,
}

impl CatalogArgs {
    pub fn load(&self) -> anyhow::Result<CatalogRef> {
        match &self.catalog {
            None => Ok(CatalogRef::Embedded(Catalog::embedded())),
            Some(path) => Ok(CatalogRef::Loaded(Box::new(Catalog::from_path(path)?))),
        }
    }
}

fn main() -> ExitCode {
    // The version names the catalog, since every result depends on it.
    let version = format!(
        "{}\ncatalog: {}",
        env!("CARGO_PKG_VERSION"),
        Catalog::embedded().describe()
    );
    let matches = Cli::command().version(version).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    };
    let result = match &cli.command {
        Command::Check(args) => commands::check::run(args),
        Command::Fix(args) => commands::fix::run(args),
        Command::Refine(args) => commands::refine::run(args),
        Command::Principals(args) => commands::principals::run(args),
        Command::Expand(args) => commands::expand::run(args),
        Command::Findings(args) => commands::findings::run(args),
        Command::Deployments(DeploymentsCommand::Pull(args)) => commands::pull::deployments(args),
        Command::Rules => commands::rules::list(),
        Command::Server => match iamprune_server::run_stdio() {
            Ok(()) => Ok(ExitCode::SUCCESS),
            // The protocol asks for 1 when the client exits without `shutdown`.
            Err(iamprune_server::ServerError::ExitWithoutShutdown) => Ok(ExitCode::from(1)),
            Err(error) => Err(error.into()),
        },
        Command::Explain(args) => commands::rules::explain(args),
        Command::Man(args) => commands::man::run(args, Cli::command()),
        Command::Completions { shell } => {
            // Into a buffer first: clap_complete panics when the pipe it writes to is closed.
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "iamprune", &mut script);
            output::stdout(&String::from_utf8_lossy(&script));
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("iamprune: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
