//! `deployments pull`: each stack's resources, as `aws cloudformation describe-stack-resources` prints
//! them (every entry with its `StackName`), which `--deployment` reads.

use aws_config::SdkConfig;
use aws_sdk_cloudformation::Client;
use serde_json::{Map, Value, json};

use crate::error::PullError;
use crate::{attempts, json::time};

/// One stack's resources, as the JSON document `--deployment` reads.
#[derive(Debug, Clone)]
pub struct StackResources {
    pub stack: String,
    pub document: Value,
    /// The roles, users and groups left out because AWS gives them no physical id (a resource that
    /// failed or is still being created has none, and no name to tie findings to): their logical
    /// ids, with their status.
    pub left_out: Vec<(String, String)>,
}

/// The resource types a deployment file ties to findings, which need a physical id.
const PRINCIPAL_TYPES: [&str; 3] = ["AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"];

/// Lists the resources of each stack, every page (`ListStackResources`, which unlike
/// `DescribeStackResources` is not cut at 100 resources).
pub async fn pull_stacks(
    config: &SdkConfig,
    stacks: &[String],
) -> Result<Vec<StackResources>, PullError> {
    let client = Client::new(config);
    let mut out = Vec::new();
    for stack in stacks {
        let mut resources = Vec::new();
        let mut left_out = Vec::new();
        let mut token = None;
        loop {
            let page = client
                .list_stack_resources()
                .stack_name(stack)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| {
                    PullError::of(
                        "ListStackResources",
                        "cloudformation:ListStackResources",
                        e,
                        attempts(client.config().retry_config()),
                    )
                })?;
            for summary in page.stack_resource_summaries.unwrap_or_default() {
                let principal = summary
                    .resource_type
                    .as_deref()
                    .is_some_and(|t| PRINCIPAL_TYPES.contains(&t));
                if principal && summary.physical_resource_id.is_none() {
                    let status = summary
                        .resource_status
                        .as_ref()
                        .map_or("no status", |s| s.as_str());
                    left_out.push((
                        summary.logical_resource_id.unwrap_or_default(),
                        status.to_string(),
                    ));
                    continue;
                }
                let mut entry = Map::new();
                entry.insert("StackName".into(), json!(stack));
                entry.insert(
                    "LogicalResourceId".into(),
                    json!(summary.logical_resource_id),
                );
                if let Some(id) = summary.physical_resource_id {
                    entry.insert("PhysicalResourceId".into(), json!(id));
                }
                entry.insert("ResourceType".into(), json!(summary.resource_type));
                if let Some(t) = &summary.last_updated_timestamp {
                    entry.insert("Timestamp".into(), time(t));
                }
                if let Some(status) = &summary.resource_status {
                    entry.insert("ResourceStatus".into(), json!(status.as_str()));
                }
                resources.push(Value::Object(entry));
            }
            token = page.next_token;
            if token.is_none() {
                break;
            }
        }
        out.push(StackResources {
            stack: stack.clone(),
            document: json!({ "StackResources": resources }),
            left_out,
        });
    }
    Ok(out)
}
