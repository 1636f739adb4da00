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

/// Attempts per request, throttling included, unless the AWS configuration says otherwise. Standard
/// retry rather than adaptive: the requests are already bounded by `--concurrency`, and adaptive's
/// client-side rate limit, once tripped, slows a whole pull for longer than the throttling lasts.
const MAX_ATTEMPTS: u32 = 8;

/// The attempts a request of a client with `retry` gets, for the message of a throttling that
/// outlasted them.
pub(crate) fn attempts(retry: Option<&RetryConfig>) -> u32 {
    retry.map_or(1, RetryConfig::max_attempts)
}

impl Connection {
    /// The SDK configuration: the standard chain, with the region and profile given here first.
    pub async fn load(&self) -> Result<SdkConfig, PullError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &self.region {
            loader = loader.region(Region::new(region.clone()));
        }
        let mut config = loader.load().await;
        // What `AWS_MAX_ATTEMPTS`, `AWS_RETRY_MODE` or the profile's `max_attempts`/`retry_mode` say
        // wins, as everywhere in AWS tooling; the SDK's own default (standard, 3 attempts) is raised
        // to MAX_ATTEMPTS, since an organization's pull meets throttling. A profile that asks for
        // exactly that default is raised too: it cannot be told from none.
        let configured = std::env::var_os("AWS_MAX_ATTEMPTS").is_some()
            || std::env::var_os("AWS_RETRY_MODE").is_some();
        let default = RetryConfig::standard();
        let is_default = |r: &RetryConfig| {
            r.mode() == default.mode() && r.max_attempts() == default.max_attempts()
        };
        if !configured && config.retry_config().is_none_or(is_default) {
            config = config
                .into_builder()
                .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
                .build();
        }
        if config.region().is_none() {
            return Err(PullError::NoRegion);
        }
        Ok(config)
    }
}
