//! Loads IAM Access Analyzer unused-access findings, in every format the AWS CLI exports them,
//! into a model indexed by principal.
//!
//! Recognised inputs, detected from their content:
//!
//! - `aws accessanalyzer get-finding-v2` output: one object, a JSON array of them, or several
//!   in a row (JSON Lines, or outputs concatenated with `cat`);
//! - `aws accessanalyzer list-findings-v2` output (summaries: no action names);
//! - `aws accessanalyzer get-finding-recommendation` output (AWS's own refined policies);
//! - `aws iam get-service-last-accessed-details` output for an `ACTION_LEVEL` job;
//! - the simple list `[{"serviceNamespace": "s3", "actions": ["GetBucketAcl"]}]`.
//!
//! EventBridge events and Security Hub findings are recognised and refused: they carry counts,
//! not action names.
//!
//! When several sources talk about the same principal, disagreement resolves to *used*: an
//! action counts as unused only if every source that mentions its service says it is unused.
//! Findings are merged by id first: of several exports of one finding only the newest counts,
//! and a service that the newest UnusedPermission finding of a principal does not list was used,
//! whatever older findings say.
//!
//! ```
//! use std::path::Path;
//! use iamprune_findings::{FindingsSet, LoadOptions};
//!
//! let mut set = FindingsSet::new();
//! let text = r#"[{"serviceNamespace": "s3", "actions": ["GetBucketAcl"]}]"#;
//! set.load_str(text, Path::new("unused.json"), &LoadOptions::default())?;
//! let role = set.for_principal("arn:aws:iam::111122223333:role/Any").ok_or("no findings")?;
//! assert!(role.is_unused("s3:GetBucketAcl"));
//! assert!(!role.is_unused("s3:GetObject"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod arn;
mod error;
mod formats;
mod json;
mod model;
mod read;
mod set;
mod unused;
mod versions;

pub use arn::{ArnError, PrincipalArn, PrincipalKind};
pub use error::FindingsError;
pub use formats::UNUSED_TYPES as UNUSED_FINDING_TYPES;
pub use model::{
    ActionFact, FormatKind, Principal, PrincipalFact, PrincipalFindings, Recommendation,
    RecommendedAction, ServiceFact, SmallMap,
};
pub use read::MAX_DOCUMENT_BYTES;
pub use set::{FindingsSet, PULL_MANIFEST};

/// How to read files that do not say which principal they are about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// The principal ARN for a simple list (without it, the list applies to every principal),
    /// for a last-accessed report, and for a recommendation or finding with no resource ARN.
    pub principal: Option<String>,
}
