//! Policy size quotas. IAM counts a document's characters without white space.

use std::fmt;

/// Where a document lives decides its quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// A customer managed policy: 6,144 characters.
    Managed,
    /// The inline policies of a role together: 10,240 characters.
    RoleInline,
    /// The inline policies of a user together: 2,048 characters.
    UserInline,
    /// The inline policies of a group together: 5,120 characters.
    GroupInline,
}

impl PolicyKind {
    pub fn quota(self) -> usize {
        match self {
            PolicyKind::Managed => 6_144,
            PolicyKind::RoleInline => 10_240,
            PolicyKind::UserInline => 2_048,
            PolicyKind::GroupInline => 5_120,
        }
    }

    pub fn parse(text: &str) -> Option<PolicyKind> {
        match text {
            "managed" => Some(PolicyKind::Managed),
            "role-inline" | "role" => Some(PolicyKind::RoleInline),
            "user-inline" | "user" => Some(PolicyKind::UserInline),
            "group-inline" | "group" => Some(PolicyKind::GroupInline),
            _ => None,
        }
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PolicyKind::Managed => "managed policy",
            PolicyKind::RoleInline => "inline policies of a role",
            PolicyKind::UserInline => "inline policies of a user",
            PolicyKind::GroupInline => "inline policies of a group",
        })
    }
}

/// The size IAM counts: the characters of the compact JSON, white space excluded.
pub fn document_size(document: &serde_json::Value) -> usize {
    serde_json::to_string(document)
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_whitespace())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_space_does_not_count() {
        let compact: serde_json::Value =
            serde_json::from_str(r#"{"Statement":[{"Effect":"Allow","Action":"s3:Get*"}]}"#)
                .unwrap_or_default();
        let spaced: serde_json::Value = serde_json::from_str(
            "{\n  \"Statement\": [ { \"Effect\" : \"Allow\",\n \"Action\": \"s3:Get*\" } ]\n}",
        )
        .unwrap_or_default();
        assert_eq!(document_size(&compact), 53);
        assert_eq!(document_size(&spaced), 53);
        assert_eq!(
            PolicyKind::parse("managed").map(PolicyKind::quota),
            Some(6_144)
        );
    }
}
