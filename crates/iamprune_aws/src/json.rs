//! A finding as `aws accessanalyzer get-finding-v2` prints it: the keys in the CLI's order, timestamps
//! as it writes them (`2026-09-20T08:14:02+00:00`, microseconds when there are any), absent fields left
//! out. This is the line `--findings` reads.

use aws_sdk_accessanalyzer::operation::get_finding_v2::GetFindingV2Output;
use aws_sdk_accessanalyzer::types::FindingDetails;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use serde_json::{Map, Value, json};

/// The finding, with `details` (every page of its `findingDetails`) in place of the last page's.
pub(crate) fn finding(first: &GetFindingV2Output, details: &[FindingDetails]) -> Value {
    let mut out = Map::new();
    out.insert("analyzedAt".into(), time(&first.analyzed_at));
    out.insert("createdAt".into(), time(&first.created_at));
    out.insert(
        "error".into(),
        first.error.clone().map_or(Value::Null, Value::String),
    );
    out.insert("id".into(), json!(first.id));
    if let Some(resource) = &first.resource {
        out.insert("resource".into(), json!(resource));
    }
    out.insert("resourceType".into(), json!(first.resource_type.as_str()));
    out.insert(
        "resourceOwnerAccount".into(),
        json!(first.resource_owner_account),
    );
    out.insert("status".into(), json!(first.status.as_str()));
    out.insert("updatedAt".into(), time(&first.updated_at));
    if let Some(kind) = &first.finding_type {
        out.insert("findingType".into(), json!(kind.as_str()));
    }
    out.insert(
        "findingDetails".into(),
        Value::Array(details.iter().filter_map(detail).collect()),
    );
    Value::Object(out)
}

/// One entry of `findingDetails`; a kind this SDK does not know is left out (the engine would not
/// read it either).
fn detail(detail: &FindingDetails) -> Option<Value> {
    let mut inner = Map::new();
    let key = match detail {
        FindingDetails::UnusedPermissionDetails(d) => {
            inner.insert("serviceNamespace".into(), json!(d.service_namespace));
            if let Some(actions) = &d.actions {
                let actions = actions
                    .iter()
                    .map(|a| {
                        let mut action = Map::new();
                        action.insert("action".into(), json!(a.action));
                        if let Some(t) = &a.last_accessed {
                            action.insert("lastAccessed".into(), time(t));
                        }
                        Value::Object(action)
                    })
                    .collect();
                inner.insert("actions".into(), Value::Array(actions));
            }
            last_accessed(&mut inner, d.last_accessed.as_ref());
            "unusedPermissionDetails"
        }
        FindingDetails::UnusedIamRoleDetails(d) => {
            last_accessed(&mut inner, d.last_accessed.as_ref());
            "unusedIamRoleDetails"
        }
        FindingDetails::UnusedIamUserAccessKeyDetails(d) => {
            inner.insert("accessKeyId".into(), json!(d.access_key_id));
            last_accessed(&mut inner, d.last_accessed.as_ref());
            "unusedIamUserAccessKeyDetails"
        }
        FindingDetails::UnusedIamUserPasswordDetails(d) => {
            last_accessed(&mut inner, d.last_accessed.as_ref());
            "unusedIamUserPasswordDetails"
        }
        _ => return None,
    };
    let mut out = Map::new();
    out.insert(key.into(), Value::Object(inner));
    Some(Value::Object(out))
}

fn last_accessed(map: &mut Map<String, Value>, t: Option<&DateTime>) {
    if let Some(t) = t {
        map.insert("lastAccessed".into(), time(t));
    }
}

/// `2026-09-20T08:14:02+00:00`, or `2026-09-20T08:14:02.532000+00:00`, as the AWS CLI prints a time.
pub(crate) fn time(t: &DateTime) -> Value {
    let Ok(iso) = t.fmt(Format::DateTime) else {
        return Value::Null;
    };
    let utc = iso.trim_end_matches('Z');
    let text = match utc.split_once('.') {
        Some((seconds, fraction)) => format!("{seconds}.{fraction:0<6}+00:00"),
        None => format!("{utc}+00:00"),
    };
    Value::String(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_the_cli_writes_them() {
        assert_eq!(
            time(&DateTime::from_secs(1_789_891_200)),
            json!("2026-09-20T08:00:00+00:00")
        );
        assert_eq!(
            time(&DateTime::from_millis(1_789_891_200_532)),
            json!("2026-09-20T08:00:00.532000+00:00")
        );
    }
}
