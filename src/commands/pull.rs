//! `findings pull` and `deployments pull`: what `check` reads, straight from AWS, written where
//! `--findings` and `--deployment` read it. The only commands that use the network.

#[cfg(feature = "aws")]
use std::path::Path;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

/// The name of the manifest `findings pull` writes beside the findings; the findings reader passes it
/// over.
#[cfg(feature = "aws")]
const MANIFEST: &str = iamprune_findings::PULL_MANIFEST;

#[derive(Debug, Args)]
pub struct Connection {
    /// The AWS region (else AWS_REGION, or the profile's).
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// The profile of ~/.aws/config and ~/.aws/credentials (else AWS_PROFILE, or `default`).
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
}

#[derive(Debug, Args)]
pub struct FindingsPullArgs {
    /// The unused-access analyzer. Without it, the region's active one is used: an organization's
    /// (ORGANIZATION_UNUSED_ACCESS) before an account's, and the choice is said.
    #[arg(long, value_name = "ARN")]
    analyzer_arn: Option<String>,
    #[command(flatten)]
    connection: Connection,
    /// Only the findings of resources in this account; may be repeated.
    #[arg(long = "account", value_name = "ID")]
    accounts: Vec<String>,
    /// The directory to write: one `ACCOUNT.jsonl` per account (a `get-finding-v2` line per finding,
    /// every page of its details merged) and `iamprune-pull.json`, what was pulled. Files an earlier
    /// pull wrote that this one does not are removed.
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// `GetFindingV2` requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8)]
    concurrency: usize,
}

#[derive(Debug, Args)]
pub struct DeploymentsPullArgs {
    /// A stack to pull; may be repeated. Without it, the stacks `[cloudformation] stack-names` of
    /// iamprune.toml names, and those of the CDK app in `cdk.out` beside it.
    #[arg(long = "stack", value_name = "NAME")]
    stacks: Vec<String>,
    #[command(flatten)]
    connection: Connection,
    /// The directory to write: one `STACK.json` per stack, as `describe-stack-resources` prints it.
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// The configuration whose stack names to pull (default: iamprune.toml in the current directory).
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
}

#[cfg(not(feature = "aws"))]
pub fn findings(_: &FindingsPullArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("this iamprune was built without the `aws` feature, so it cannot pull")
}

#[cfg(not(feature = "aws"))]
pub fn deployments(_: &DeploymentsPullArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("this iamprune was built without the `aws` feature, so it cannot pull")
}

#[cfg(feature = "aws")]
pub fn findings(args: &FindingsPullArgs) -> anyhow::Result<ExitCode> {
    use iamprune_aws::{Progress, PullOptions};
    let options = PullOptions {
        analyzer_arn: args.analyzer_arn.clone(),
        accounts: args.accounts.clone(),
        concurrency: args.concurrency.max(1),
    };
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} {wide_bar} {pos}/{len}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.set_message("listing findings");
    let progress = |p: Progress| match p {
        Progress::Listed(n) => bar.set_length(n as u64),
        Progress::Fetched { done, total } => {
            bar.set_message("fetching findings");
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    };
    let pulled = runtime()?.block_on(async {
        let config = connection(&args.connection).load().await?;
        iamprune_aws::pull_findings(&config, &options, &progress).await
    });
    bar.finish_and_clear();
    let pulled = pulled?;
    let written = write_findings(&args.output, &pulled)?;
    let total: usize = pulled.by_account.values().map(Vec::len).sum();
    let how = match &pulled.analyzer.kind {
        Some(kind) if pulled.analyzer.passed_over.is_empty() => {
            format!("the region's {kind} analyzer")
        }
        Some(kind) => format!(
            "the region's first {kind} analyzer (not {}; choose with --analyzer-arn)",
            pulled.analyzer.passed_over.join(", ")
        ),
        None => "the analyzer given".to_string(),
    };
    let types: Vec<String> = pulled
        .by_type
        .iter()
        .map(|(kind, n)| format!("{kind} {n}"))
        .collect();
    eprintln!(
        "pulled {total} finding(s){} of {} account(s) from {} in {}, {how}, into {} ({} file(s))",
        if types.is_empty() {
            String::new()
        } else {
            format!(" ({})", types.join(", "))
        },
        pulled.by_account.len(),
        pulled.analyzer.arn,
        pulled.region,
        args.output.display(),
        written,
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "aws")]
pub fn deployments(args: &DeploymentsPullArgs) -> anyhow::Result<ExitCode> {
    let mut stacks = args.stacks.clone();
    if stacks.is_empty() {
        stacks = configured_stacks(args.config.as_deref())?;
    }
    if stacks.is_empty() {
        anyhow::bail!(
            "no stack to pull: name one with --stack, list them in iamprune.toml \
             ([cloudformation] stack-names = {{ \"template.yaml\" = \"STACK\" }}), or run it beside \
             the cdk.out of a CDK app"
        );
    }
    let pulled = runtime()?.block_on(async {
        let config = connection(&args.connection).load().await?;
        iamprune_aws::pull_stacks(&config, &stacks).await
    })?;
    create_dir(&args.output)?;
    for stack in &pulled {
        let text = serde_json::to_string_pretty(&stack.document)? + "\n";
        let path = args
            .output
            .join(format!("{}.json", file_stem(&stack.stack)));
        write_atomic(&path, &text)?;
        // Read back as `--deployment` reads it: what it counts is what a check will tie.
        let (read, errors) =
            iamprune_linter::deployments::Deployments::load_paths(std::slice::from_ref(&path));
        if let Some(error) = errors.first() {
            anyhow::bail!("{error}");
        }
        eprintln!(
            "pulled stack {}: {} role(s), user(s) and group(s)",
            stack.stack,
            read.len()
        );
        for (logical_id, status) in &stack.left_out {
            eprintln!(
                "iamprune: note: stack {}: {logical_id} has no physical id yet ({status}), so no \
                 finding can be tied to it; it is left out",
                stack.stack
            );
        }
    }
    eprintln!(
        "wrote {} stack(s) into {}; check with --deployment {}",
        pulled.len(),
        args.output.display(),
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "aws")]
fn connection(args: &Connection) -> iamprune_aws::Connection {
    iamprune_aws::Connection {
        region: args.region.clone(),
        profile: args.profile.clone(),
    }
}

#[cfg(feature = "aws")]
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// The stack names of the configuration and of the CDK assembly beside it, in name order, each once.
#[cfg(feature = "aws")]
fn configured_stacks(config: Option<&Path>) -> anyhow::Result<Vec<String>> {
    use iamprune_linter::config::Config;
    // The configuration `check` would use here: found upwards to the repository's root.
    let path = config
        .map(Path::to_path_buf)
        .or_else(|| Config::find(Path::new(".")));
    let mut stacks: Vec<String> = Vec::new();
    if let Some(path) = &path {
        let config = Config::load(path)?;
        stacks.extend(config.cloudformation.stack_names.into_values());
    }
    let dir = path
        .as_deref()
        .and_then(Path::parent)
        .unwrap_or(Path::new(""));
    let assembly = dir.join("cdk.out");
    if assembly.join("manifest.json").is_file() {
        // The stacks of its stages too: the manifest's nested assemblies are followed.
        let (names, problems) = iamprune_cfn::cdk_stack_names(&assembly);
        for problem in problems {
            eprintln!("iamprune: warning: {problem}; its stacks are not pulled");
        }
        stacks.extend(names);
    }
    stacks.sort();
    stacks.dedup();
    Ok(stacks)
}

/// Writes each account's findings and the manifest, and removes what an earlier pull wrote that this
/// one did not: a stale account file would still be read by `--findings DIR`. Returns how many files
/// were written.
#[cfg(feature = "aws")]
fn write_findings(dir: &Path, pulled: &iamprune_aws::FindingsPull) -> anyhow::Result<usize> {
    use serde_json::json;
    create_dir(dir)?;
    let before: Vec<String> = iamprune_syntax::fs::read_to_string(&dir.join(MANIFEST))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|m| {
            m["files"].as_array().map(|files| {
                files
                    .iter()
                    .filter_map(|f| f.as_str().map(str::to_string))
                    .collect()
            })
        })
        .unwrap_or_default();
    let mut files = Vec::new();
    for (account, lines) in &pulled.by_account {
        let name = format!("{}.jsonl", file_stem(account));
        let mut text = lines.join("\n");
        text.push('\n');
        write_atomic(&dir.join(&name), &text)?;
        files.push(name);
    }
    for stale in before.iter().filter(|f| !files.contains(f)) {
        // Only names a pull writes (`ACCOUNT.jsonl`): the manifest is not trusted with paths.
        let ours = stale
            .strip_suffix(".jsonl")
            .is_some_and(|stem| !stem.is_empty() && file_stem(stem) == stem);
        if ours {
            let path = dir.join(stale);
            if let Err(e) = std::fs::remove_file(&path) {
                // Still read by `--findings DIR`, and no longer in the manifest: said, not hidden.
                if e.kind() != std::io::ErrorKind::NotFound {
                    eprintln!(
                        "iamprune: warning: {}: cannot remove what an earlier pull wrote: {e}; \
                         remove it by hand, or it is read with this pull's files",
                        path.display()
                    );
                }
            }
        }
    }
    let manifest = json!({
        "analyzer": pulled.analyzer.arn,
        "analyzerType": pulled.analyzer.kind,
        "region": pulled.region,
        "pulledAt": iamprune_aws::now(),
        "accounts": pulled.by_account.iter().map(|(a, l)| (a.clone(), json!(l.len()))).collect::<serde_json::Map<_, _>>(),
        "findingTypes": pulled.by_type,
        "files": files,
    });
    write_atomic(
        &dir.join(MANIFEST),
        &(serde_json::to_string_pretty(&manifest)? + "\n"),
    )?;
    Ok(files.len() + 1)
}

/// A name safe as a file name: an account id or a stack name is, but a hostile answer is not trusted.
#[cfg(feature = "aws")]
fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Writes through a temporary file and a rename, so that a reader never sees half a file.
#[cfg(feature = "aws")]
fn write_atomic(path: &Path, text: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    let tmp = path.with_extension("iamprune-pull.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("{}: cannot write", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(())
}

#[cfg(feature = "aws")]
fn create_dir(dir: &Path) -> anyhow::Result<()> {
    use anyhow::Context;
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))
}
