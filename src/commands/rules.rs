//! `iamprune rules` and `iamprune explain`: what each rule checks.

use std::process::ExitCode;

use clap::Args;
use iamprune_linter::Rule;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule code (`IAM002`) or name (`wildcard-grants-unused`).
    #[arg(value_name = "CODE")]
    rule: String,
}

pub fn list() -> anyhow::Result<ExitCode> {
    let mut out = String::new();
    for rule in Rule::ALL {
        let meta = rule.meta();
        out.push_str(&format!(
            "{}  {:<26} {:<8} {}\n",
            meta.code,
            meta.name,
            meta.severity.as_str(),
            meta.summary
        ));
    }
    crate::output::stdout(&out);
    Ok(ExitCode::SUCCESS)
}

pub fn explain(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    match Rule::find(&args.rule) {
        Some(rule) => {
            crate::output::stdout(&rule.page());
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let codes: Vec<&str> = Rule::ALL.iter().map(|r| r.code()).collect();
            anyhow::bail!(
                "no rule `{}`; the rules are {}",
                args.rule,
                codes.join(", ")
            )
        }
    }
}
