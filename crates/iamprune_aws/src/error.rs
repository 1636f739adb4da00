//! What can keep a pull from finishing, said so that the user can act on it.

use aws_sdk_accessanalyzer::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error(
        "no AWS region: pass --region, set AWS_REGION, or set `region` in the profile (~/.aws/config)"
    )]
    NoRegion,
    #[error(
        "no AWS credentials: sign in (`aws sso login`, `aws configure`), set AWS_PROFILE or --profile, or run \
         where a role is assumed (OIDC in CI, an instance profile); {detail}"
    )]
    NoCredentials { detail: String },
    #[error("access denied to {action}: the caller needs `{permission}` ({message})")]
    AccessDenied {
        action: String,
        permission: String,
        message: String,
    },
    #[error(
        "no active unused-access analyzer in {region}: create one with `aws accessanalyzer create-analyzer \
         --analyzer-name unused-access --type ACCOUNT_UNUSED_ACCESS --region {region}` (or \
         ORGANIZATION_UNUSED_ACCESS from the organization's management or delegated administrator \
         account), or name one with --analyzer-arn"
    )]
    NoAnalyzer { region: String },
    #[error(
        "{action} was throttled and still was after {attempts} attempts: pull again later, or with a \
         lower --concurrency"
    )]
    Throttled { action: String, attempts: u32 },
    #[error("{action} failed: {message}")]
    Service { action: String, message: String },
    #[error("{action}: the answer is not what AWS documents: {message}")]
    Malformed { action: String, message: String },
}

impl PullError {
    /// The error of a request, classified: `action` is the API operation (`GetFindingV2`), `permission`
    /// the IAM action that authorizes it (`access-analyzer:GetFinding`: the V2 operations are
    /// authorized by the actions of the first ones).
    pub(crate) fn of<E, R>(
        action: &str,
        permission: &str,
        err: SdkError<E, R>,
        attempts: u32,
    ) -> PullError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        let detail = DisplayErrorContext(&err).to_string();
        if let SdkError::ServiceError(service) = &err {
            let e = service.err();
            let code = e.code().unwrap_or_default();
            let message = e.message().unwrap_or(code).to_string();
            return match code {
                "AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation" => {
                    PullError::AccessDenied {
                        action: action.to_string(),
                        permission: permission.to_string(),
                        message,
                    }
                }
                "ThrottlingException" | "Throttling" | "TooManyRequestsException" => {
                    PullError::Throttled {
                        action: action.to_string(),
                        attempts,
                    }
                }
                _ => PullError::Service {
                    action: action.to_string(),
                    message: format!("{code}: {message}"),
                },
            };
        }
        // The credential chain fails before any request is sent: the SDK's error then holds the
        // provider's among its sources.
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
        while let Some(error) = source {
            if error
                .downcast_ref::<aws_credential_types::provider::error::CredentialsError>()
                .is_some()
            {
                return PullError::NoCredentials { detail };
            }
            source = error.source();
        }
        PullError::Service {
            action: action.to_string(),
            message: detail,
        }
    }
}
