//! CamelCase tokens of action names, the unit the refinement generalizes over.
//!
//! `GetBucketCORS` is `Get` `Bucket` `CORS`: a prefix pattern is only ever cut between tokens, so the
//! refinement writes `s3:GetObject*`, never `s3:GetObj*`. The rules:
//! - a new token starts at an upper-case letter that follows a lower-case letter (`getBucket`);
//! - and at the last upper-case letter of a run when a lower-case letter follows it (`CORSConfig` is
//!   `CORS` `Config`), except for an acronym's plural `s` (`ListACLs`, `DescribeDBs` keep `ACLs`, `DBs`);
//! - digits stay with what they follow (`V2`, `EC2`, `S3Bucket` is `S3` `Bucket`), and an upper-case
//!   letter after a digit starts a token (`V2Things` is `V2` `Things`);
//! - `-` and `_` start a token of their own with what follows (`Service-EventsAndStates` is `Service`
//!   `-Events` `And` `States`);
//! - names in lower case (`cloudsearch:search`) are one token.

/// Byte offsets inside `name` (an action name without its service) where a token other than the first
/// starts, ascending.
pub fn boundaries(name: &str) -> Vec<usize> {
    let bytes = name.as_bytes();
    let mut out = Vec::new();
    for i in 1..bytes.len() {
        let (prev, cur) = (bytes[i - 1], bytes[i]);
        let next = bytes.get(i + 1).copied();
        let starts = if cur == b'-' || cur == b'_' {
            true
        } else if cur.is_ascii_uppercase() {
            if prev.is_ascii_lowercase() {
                true
            } else if prev.is_ascii_uppercase() {
                next.is_some_and(|n| n.is_ascii_lowercase()) && !is_plural_s(bytes, i + 1)
            } else {
                // After a digit (`V2Things`); after `-` or `_` the separator already started the token.
                prev.is_ascii_digit()
            }
        } else {
            false
        };
        if starts {
            out.push(i);
        }
    }
    out
}

/// The tokens of `name`, for tests and explanations.
pub fn tokens(name: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for b in boundaries(name) {
        out.push(&name[start..b]);
        start = b;
    }
    if start < name.len() || name.is_empty() {
        out.push(&name[start..]);
    }
    out
}

/// An `s` at `at` that ends the name or is followed by a new token is an acronym's plural (`ACLs`).
fn is_plural_s(bytes: &[u8], at: usize) -> bool {
    bytes.get(at) == Some(&b's')
        && bytes
            .get(at + 1)
            .is_none_or(|b| b.is_ascii_uppercase() || *b == b'-' || *b == b'_')
}

/// The end of the token that starts at or contains byte `after` of the full action name `svc:Name`:
/// the smallest token boundary greater than `after`, or the name's length. The service with its colon is
/// the first token, so `s3*` grows to `s3:` and `s3-outposts:` before any action token.
pub fn next_boundary(full: &str, after: usize) -> usize {
    let Some(colon) = full.find(':') else {
        return full.len();
    };
    let name_start = colon + 1;
    if after < name_start {
        return name_start;
    }
    boundaries(&full[name_start..])
        .into_iter()
        .map(|b| b + name_start)
        .find(|&b| b > after)
        .unwrap_or(full.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acronyms() {
        assert_eq!(tokens("GetBucketCORS"), ["Get", "Bucket", "CORS"]);
        assert_eq!(
            tokens("PutBucketCORSConfiguration"),
            ["Put", "Bucket", "CORS", "Configuration"]
        );
        assert_eq!(
            tokens("DescribeDBInstances"),
            ["Describe", "DB", "Instances"]
        );
        assert_eq!(tokens("ListACLs"), ["List", "ACLs"]);
        assert_eq!(
            tokens("DescribeACLsForUser"),
            ["Describe", "ACLs", "For", "User"]
        );
        assert_eq!(tokens("GetAWSThing"), ["Get", "AWS", "Thing"]);
    }

    #[test]
    fn digits() {
        assert_eq!(tokens("ListV2Things"), ["List", "V2", "Things"]);
        assert_eq!(tokens("ListObjectsV2"), ["List", "Objects", "V2"]);
        assert_eq!(
            tokens("DescribeEC2InstanceConnect"),
            ["Describe", "EC2", "Instance", "Connect"]
        );
        assert_eq!(tokens("GetS3Bucket"), ["Get", "S3", "Bucket"]);
        assert_eq!(tokens("Http2Enable"), ["Http2", "Enable"]);
    }

    #[test]
    fn lower_case_initial() {
        assert_eq!(tokens("search"), ["search"]);
        assert_eq!(tokens("document"), ["document"]);
        assert_eq!(tokens("uploadFiles"), ["upload", "Files"]);
        assert_eq!(tokens("connect"), ["connect"]);
    }

    #[test]
    fn separators() {
        assert_eq!(
            tokens("AssociateViaAWSService-EventsAndStates"),
            [
                "Associate",
                "Via",
                "AWS",
                "Service",
                "-Events",
                "And",
                "States"
            ]
        );
        assert_eq!(tokens("Get_Thing"), ["Get", "_Thing"]);
    }

    #[test]
    fn the_catalog_name_with_a_dash_tokenizes() {
        let catalog = iamprune_catalog::Catalog::embedded();
        let dashed: Vec<&str> = catalog
            .ids()
            .map(|id| catalog.name(id))
            .filter(|n| n.split(':').nth(1).is_some_and(|a| a.contains('-')))
            .collect();
        assert_eq!(
            dashed,
            ["vpc-lattice:AssociateViaAWSService-EventsAndStates"]
        );
    }

    #[test]
    fn next_boundaries_over_full_names() {
        let full = "s3:GetBucketCORS";
        assert_eq!(next_boundary(full, 0), 3);
        assert_eq!(next_boundary(full, 2), 3);
        assert_eq!(next_boundary(full, 3), 6);
        assert_eq!(next_boundary(full, 5), 6);
        assert_eq!(next_boundary(full, 6), 12);
        assert_eq!(next_boundary(full, 12), 16);
        assert_eq!(next_boundary("cloudsearch:search", 12), 18);
    }

    proptest::proptest! {
        #[test]
        fn tokens_rejoin(name in "[A-Za-z0-9_-]{0,24}") {
            proptest::prop_assert_eq!(tokens(&name).concat(), name);
        }
    }
}
