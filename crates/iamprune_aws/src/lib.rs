//! Pulling from AWS what `iamprune check` reads: IAM Access Analyzer unused-access findings (as
//! `get-finding-v2` JSON Lines, one file per account) and CloudFormation stack resources (as
//! `describe-stack-resources` JSON).
//!
//! The standard AWS configuration applies, as the SDK reads it: `AWS_REGION`, `AWS_PROFILE` and
//! `~/.aws/config` / `~/.aws/credentials`, the rest of the credential chain, and `AWS_ENDPOINT_URL` (how
//! the tests point it at a fake on 127.0.0.1). Retries and throttling are the SDK's (standard retry:
//! exponential backoff with jitter, throttling errors retried).
//! Nothing else in iamprune talks to the network: `check` reads files.

mod deployments;
mod error;
mod findings;
mod json;

pub use deployments::{StackResources, pull_stacks};
pub use error::PullError;
pub use findings::{AnalyzerChoice, FindingsPull, Progress, PullOptions, pull_findings};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// The time now, as the AWS CLI writes a time (`2026-11-30T20:00:00+00:00`).
pub fn now() -> String {
    json::time(&aws_smithy_types::DateTime::from(
        std::time::SystemTime::now(),
    ))
    .as_str()
    .unwrap_or_default()
    .to_string()
}

/// Where and as whom to pull.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    /// `--region`; the SDK's chain (`AWS_REGION`, the profile) when `None`.
    pub region: Option<String>,
    /// `--profile`; `AWS_PROFILE` or `default` when `None`.
    pub profile: Option<String>,
}

/// Attempts per request, throttling included, unless the AWS configuration says otherwise. Standard retry rather than adaptive: the requests are
/// already bounded by `--concurrency`, and adaptive's client-side rate limit, once tripped, slows a
/// whole pull for longer than the throttling lasts.
const MAX_ATTEMPTS: u32 = 8;

/// The attempts a request gets: `AWS_MAX_ATTEMPTS` when set, for the message of a throttling that
/// outlasted them.
pub(crate) fn attempts() -> u32 {
    std::env::var("AWS_MAX_ATTEMPTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(MAX_ATTEMPTS)
}

impl Connection {
    /// The SDK configuration: the standard chain, with the region and profile given here first.
    pub async fn load(&self) -> Result<SdkConfig, PullError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        // `AWS_MAX_ATTEMPTS` and `AWS_RETRY_MODE` (or the profile's) win, as everywhere in AWS tooling.
        if std::env::var_os("AWS_MAX_ATTEMPTS").is_none()
            && std::env::var_os("AWS_RETRY_MODE").is_none()
        {
            loader = loader.retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
        }
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &self.region {
            loader = loader.region(Region::new(region.clone()));
        }
        let config = loader.load().await;
        if config.region().is_none() {
            return Err(PullError::NoRegion);
        }
        Ok(config)
    }
}
