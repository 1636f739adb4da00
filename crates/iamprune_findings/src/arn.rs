use std::fmt;
use std::str::FromStr;

/// The kind of IAM entity an ARN names, taken from the resource type before the first `/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalKind {
    Role,
    User,
    Group,
    /// Any other resource type (`assumed-role`, `federated-user`, `root`, ...), spelled as in the ARN.
    Other(String),
}

impl PrincipalKind {
    pub fn as_str(&self) -> &str {
        match self {
            PrincipalKind::Role => "role",
            PrincipalKind::User => "user",
            PrincipalKind::Group => "group",
            PrincipalKind::Other(s) => s,
        }
    }
}

impl fmt::Display for PrincipalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An IAM or STS principal ARN, split into its parts.
///
/// `arn:aws:iam::111122223333:role/service-role/Name` gives partition `aws`, account
/// `111122223333`, kind `Role`, path `/service-role/` and name `Name`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PrincipalArn {
    pub raw: String,
    pub partition: String,
    pub account: String,
    pub kind: PrincipalKind,
    /// `/` or `/a/b/`: always starts and ends with a slash.
    pub path: String,
    pub name: String,
}

impl PrincipalArn {
    /// Whether both ARNs name the same IAM entity.
    ///
    /// IAM role, user and group names are unique within an account whatever their path and
    /// letter case, and a template often spells the ARN without the path that AWS reports, so
    /// those kinds compare by partition, account, kind and name alone.
    pub fn same_entity(&self, other: &PrincipalArn) -> bool {
        self.identity() == other.identity()
    }

    pub(crate) fn identity(&self) -> Identity {
        match self.kind {
            PrincipalKind::Role | PrincipalKind::User | PrincipalKind::Group => Identity::Named {
                partition: self.partition.clone(),
                account: self.account.clone(),
                kind: self.kind.clone(),
                name: self.name.to_ascii_lowercase(),
            },
            PrincipalKind::Other(_) => Identity::Raw(self.raw.clone()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Identity {
    Named {
        partition: String,
        account: String,
        kind: PrincipalKind,
        name: String,
    },
    Raw(String),
}

impl fmt::Display for PrincipalArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Why a string is not a principal ARN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    #[error("expected an ARN of the form arn:PARTITION:iam::ACCOUNT:role/NAME")]
    NotAnArn,
    #[error("the ARN has an empty or invalid partition")]
    Partition,
    #[error("service `{0}` does not name principals: expected `iam` or `sts`")]
    Service(String),
    #[error("IAM principal ARNs have no region, found `{0}`")]
    Region(String),
    #[error("account `{0}` is not a 12-digit account id")]
    Account(String),
    #[error("the resource part is empty")]
    EmptyResource,
    #[error("the principal name is empty")]
    EmptyName,
    #[error("the path has an empty segment")]
    EmptyPathSegment,
    #[error("the resource part contains whitespace or a control character")]
    BadCharacter,
}

impl FromStr for PrincipalArn {
    type Err = ArnError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ArnError::BadCharacter);
        }
        let mut parts = raw.splitn(6, ':');
        let (
            Some("arn"),
            Some(partition),
            Some(service),
            Some(region),
            Some(account),
            Some(resource),
        ) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        )
        else {
            return Err(ArnError::NotAnArn);
        };
        if partition.is_empty()
            || !partition
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(ArnError::Partition);
        }
        if service != "iam" && service != "sts" {
            return Err(ArnError::Service(service.to_string()));
        }
        if !region.is_empty() {
            return Err(ArnError::Region(region.to_string()));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ArnError::Account(account.to_string()));
        }
        if resource.is_empty() {
            return Err(ArnError::EmptyResource);
        }
        let (kind_text, rest) = match resource.split_once('/') {
            Some((k, r)) => (k, Some(r)),
            None => (resource, None),
        };
        if kind_text.is_empty() {
            return Err(ArnError::EmptyResource);
        }
        let kind = match (service, kind_text) {
            ("iam", "role") => PrincipalKind::Role,
            ("iam", "user") => PrincipalKind::User,
            ("iam", "group") => PrincipalKind::Group,
            (_, other) => PrincipalKind::Other(other.to_string()),
        };
        let (path, name) = match rest {
            // `arn:aws:iam::111122223333:root` and the like name the account itself.
            None => ("/".to_string(), kind_text.to_string()),
            // STS resources (`assumed-role/Role/session`) carry no IAM path.
            Some(rest) if service == "sts" => ("/".to_string(), rest.to_string()),
            Some(rest) => match rest.rsplit_once('/') {
                Some((dirs, name)) => (format!("/{dirs}/"), name.to_string()),
                None => ("/".to_string(), rest.to_string()),
            },
        };
        if name.is_empty() {
            return Err(ArnError::EmptyName);
        }
        if path.contains("//") {
            return Err(ArnError::EmptyPathSegment);
        }
        Ok(PrincipalArn {
            raw: raw.to_string(),
            partition: partition.to_string(),
            account: account.to_string(),
            kind,
            path,
            name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<PrincipalArn, ArnError> {
        s.parse()
    }

    #[test]
    fn role_without_path() {
        let arn = parse("arn:aws:iam::111122223333:role/DataPipelineRole").unwrap();
        assert_eq!(arn.partition, "aws");
        assert_eq!(arn.account, "111122223333");
        assert_eq!(arn.kind, PrincipalKind::Role);
        assert_eq!(arn.path, "/");
        assert_eq!(arn.name, "DataPipelineRole");
        assert_eq!(
            arn.to_string(),
            "arn:aws:iam::111122223333:role/DataPipelineRole"
        );
    }

    #[test]
    fn role_with_nested_path() {
        let arn = parse("arn:aws-us-gov:iam::111122223333:role/service-role/team/Name").unwrap();
        assert_eq!(arn.partition, "aws-us-gov");
        assert_eq!(arn.path, "/service-role/team/");
        assert_eq!(arn.name, "Name");
    }

    #[test]
    fn users_and_groups() {
        let user = parse("arn:aws:iam::111122223333:user/ci-deployer").unwrap();
        assert_eq!(user.kind, PrincipalKind::User);
        assert_eq!(user.name, "ci-deployer");
        let group = parse("arn:aws-cn:iam::111122223333:group/ops/Admins").unwrap();
        assert_eq!(group.kind, PrincipalKind::Group);
        assert_eq!(group.path, "/ops/");
        assert_eq!(group.name, "Admins");
    }

    #[test]
    fn assumed_role_and_other_kinds() {
        let assumed =
            parse("arn:aws:sts::111122223333:assumed-role/DataPipelineRole/session-1").unwrap();
        assert_eq!(
            assumed.kind,
            PrincipalKind::Other("assumed-role".to_string())
        );
        assert_eq!(assumed.path, "/");
        assert_eq!(assumed.name, "DataPipelineRole/session-1");
        let root = parse("arn:aws:iam::111122223333:root").unwrap();
        assert_eq!(root.kind, PrincipalKind::Other("root".to_string()));
        assert_eq!(root.name, "root");
        let profile = parse("arn:aws:iam::111122223333:instance-profile/web/Profile").unwrap();
        assert_eq!(
            profile.kind,
            PrincipalKind::Other("instance-profile".to_string())
        );
        assert_eq!(profile.path, "/web/");
    }

    #[test]
    fn same_entity_ignores_path_and_case_for_named_kinds() {
        let a = parse("arn:aws:iam::111122223333:role/DataPipelineRole").unwrap();
        let b = parse("arn:aws:iam::111122223333:role/service-role/datapipelinerole").unwrap();
        let c = parse("arn:aws:iam::444455556666:role/DataPipelineRole").unwrap();
        let d = parse("arn:aws:iam::111122223333:user/DataPipelineRole").unwrap();
        assert!(a.same_entity(&b));
        assert!(!a.same_entity(&c));
        assert!(!a.same_entity(&d));
    }

    #[test]
    fn malformed() {
        assert_eq!(parse(""), Err(ArnError::NotAnArn));
        assert_eq!(parse("DataPipelineRole"), Err(ArnError::NotAnArn));
        assert_eq!(parse("arn:aws:iam::111122223333"), Err(ArnError::NotAnArn));
        assert_eq!(
            parse("arx:aws:iam::111122223333:role/A"),
            Err(ArnError::NotAnArn)
        );
        assert_eq!(
            parse("arn::iam::111122223333:role/A"),
            Err(ArnError::Partition)
        );
        assert_eq!(
            parse("arn:aws:s3:::bucket"),
            Err(ArnError::Service("s3".to_string()))
        );
        assert_eq!(
            parse("arn:aws:iam:us-east-1:111122223333:role/A"),
            Err(ArnError::Region("us-east-1".to_string()))
        );
        assert_eq!(
            parse("arn:aws:iam::1111:role/A"),
            Err(ArnError::Account("1111".to_string()))
        );
        assert_eq!(
            parse("arn:aws:iam::111122223333:"),
            Err(ArnError::EmptyResource)
        );
        assert_eq!(
            parse("arn:aws:iam::111122223333:role/"),
            Err(ArnError::EmptyName)
        );
        assert_eq!(
            parse("arn:aws:iam::111122223333:role/a//B"),
            Err(ArnError::EmptyPathSegment)
        );
        assert_eq!(
            parse("arn:aws:iam::111122223333:/x"),
            Err(ArnError::EmptyResource)
        );
        assert_eq!(
            parse("arn:aws:iam::111122223333:role/A B"),
            Err(ArnError::BadCharacter)
        );
        assert_eq!(
            parse(" arn:aws:iam::111122223333:role/A"),
            Err(ArnError::BadCharacter)
        );
    }
}
