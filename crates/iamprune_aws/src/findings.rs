//! `findings pull`: the active unused-access findings of an analyzer, each with every page of its
//! details, grouped by the account of the resource.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_accessanalyzer::Client;
use aws_sdk_accessanalyzer::types::{AnalyzerStatus, Criterion, FindingDetails, Type};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::error::PullError;
use crate::{attempts, json};

/// The finding types `check` reads.
const FINDING_TYPES: [&str; 4] = iamprune_findings::UNUSED_FINDING_TYPES;

/// What to pull.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// The analyzer; found in the region when `None` (an organization's first, then an account's).
    pub analyzer_arn: Option<String>,
    /// Only the findings of resources in these accounts; all when empty.
    pub accounts: Vec<String>,
    /// `GetFindingV2` requests in flight at once.
    pub concurrency: usize,
}

/// The analyzer pulled from, and how it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzerChoice {
    pub arn: String,
    /// `ORGANIZATION_UNUSED_ACCESS` or `ACCOUNT_UNUSED_ACCESS`; `None` when the ARN was given.
    pub kind: Option<String>,
    /// Other active unused-access analyzers that were not chosen.
    pub passed_over: Vec<String>,
}

/// How far a pull is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Findings listed so far.
    Listed(usize),
    /// Findings fetched whole, of those listed.
    Fetched { done: usize, total: usize },
}

/// What a pull brought.
#[derive(Debug, Clone)]
pub struct FindingsPull {
    pub analyzer: AnalyzerChoice,
    pub region: String,
    /// The JSON line of each finding, by the account of its resource, in finding-id order.
    pub by_account: BTreeMap<String, Vec<String>>,
    /// How many findings of each type.
    pub by_type: BTreeMap<String, usize>,
}

/// Pulls every active unused-access finding of the analyzer.
pub async fn pull_findings(
    config: &SdkConfig,
    options: &PullOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<FindingsPull, PullError> {
    let client = Client::new(config);
    let region = config
        .region()
        .map(ToString::to_string)
        .ok_or(PullError::NoRegion)?;
    let analyzer = match &options.analyzer_arn {
        Some(arn) => AnalyzerChoice {
            arn: arn.clone(),
            kind: None,
            passed_over: Vec::new(),
        },
        None => choose_analyzer(&client, &region).await?,
    };
    let ids = list(&client, &analyzer.arn, &options.accounts, progress).await?;
    let total = ids.len();
    let permits = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for id in ids {
        let client = client.clone();
        let arn = analyzer.arn.clone();
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            // The semaphore is never closed, so a permit always comes.
            let _permit = permits.acquire_owned().await.ok();
            fetch(&client, &arn, &id).await
        });
    }
    let mut by_account: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut by_type = BTreeMap::new();
    let mut done = 0;
    while let Some(joined) = tasks.join_next().await {
        let fetched = joined.map_err(|e| PullError::Service {
            action: "GetFindingV2".into(),
            message: e.to_string(),
        })?;
        let (account, kind, id, line) = match fetched {
            Ok(f) => f,
            Err(e) => {
                tasks.abort_all();
                return Err(e);
            }
        };
        *by_type.entry(kind).or_insert(0) += 1;
        by_account.entry(account).or_default().push((id, line));
        done += 1;
        progress(Progress::Fetched { done, total });
    }
    let by_account = by_account
        .into_iter()
        .map(|(account, mut lines)| {
            lines.sort();
            (account, lines.into_iter().map(|(_, line)| line).collect())
        })
        .collect();
    Ok(FindingsPull {
        analyzer,
        region,
        by_account,
        by_type,
    })
}

/// The region's active unused-access analyzer: the organization's if there is one (it sees every
/// account), else the account's.
async fn choose_analyzer(client: &Client, region: &str) -> Result<AnalyzerChoice, PullError> {
    let mut found = Vec::new();
    for kind in [Type::OrganizationUnusedAccess, Type::AccountUnusedAccess] {
        let mut token = None;
        loop {
            let page = client
                .list_analyzers()
                .r#type(kind.clone())
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| {
                    PullError::of(
                        "ListAnalyzers",
                        "access-analyzer:ListAnalyzers",
                        e,
                        attempts(client.config().retry_config()),
                    )
                })?;
            found.extend(
                page.analyzers
                    .into_iter()
                    .filter(|a| a.status == AnalyzerStatus::Active)
                    .map(|a| (kind.as_str().to_string(), a.arn)),
            );
            token = page.next_token;
            if token.is_none() {
                break;
            }
        }
    }
    let mut found = found.into_iter();
    let Some((kind, arn)) = found.next() else {
        return Err(PullError::NoAnalyzer {
            region: region.to_string(),
        });
    };
    Ok(AnalyzerChoice {
        arn,
        kind: Some(kind),
        passed_over: found.map(|(_, arn)| arn).collect(),
    })
}

/// The ids of the active findings of the types `check` reads, every page.
async fn list(
    client: &Client,
    analyzer: &str,
    accounts: &[String],
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Vec<String>, PullError> {
    let eq = |values: Vec<String>| Criterion::builder().set_eq(Some(values)).build();
    let mut ids = Vec::new();
    let mut token = None;
    loop {
        let mut request = client
            .list_findings_v2()
            .analyzer_arn(analyzer)
            .filter("status", eq(vec!["ACTIVE".into()]))
            .filter(
                "findingType",
                eq(FINDING_TYPES.iter().map(|t| t.to_string()).collect()),
            )
            .set_next_token(token.take());
        if !accounts.is_empty() {
            request = request.filter("resourceOwnerAccount", eq(accounts.to_vec()));
        }
        let page = request.send().await.map_err(|e| {
            PullError::of(
                "ListFindingsV2",
                "access-analyzer:ListFindings",
                e,
                attempts(client.config().retry_config()),
            )
        })?;
        ids.extend(page.findings.into_iter().map(|f| f.id));
        progress(Progress::Listed(ids.len()));
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    // A finding listed on two pages (the list changed while it was read) is fetched once.
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// One finding with every page of its details: its account, type, id and JSON line.
async fn fetch(
    client: &Client,
    analyzer: &str,
    id: &str,
) -> Result<(String, String, String, String), PullError> {
    let action = "GetFindingV2";
    let mut details: Vec<FindingDetails> = Vec::new();
    let mut first = None;
    let mut token = None;
    loop {
        let mut page = client
            .get_finding_v2()
            .analyzer_arn(analyzer)
            .id(id)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| {
                PullError::of(
                    action,
                    "access-analyzer:GetFinding",
                    e,
                    attempts(client.config().retry_config()),
                )
            })?;
        details.append(&mut page.finding_details);
        token = page.next_token.take();
        if first.is_none() {
            first = Some(page);
        }
        if token.is_none() {
            break;
        }
    }
    let Some(first) = first else {
        return Err(PullError::Malformed {
            action: action.into(),
            message: format!("no answer for finding {id}"),
        });
    };
    let line = json::finding(&first, &details).to_string();
    let kind = first
        .finding_type
        .as_ref()
        .map_or("unknown", |t| t.as_str())
        .to_string();
    Ok((
        first.resource_owner_account.clone(),
        kind,
        id.to_string(),
        line,
    ))
}
