use std::cmp::Ordering;
use std::fmt;
use std::path::PathBuf;

use crate::arn::PrincipalArn;

/// Who a set of findings is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Principal {
    Arn(PrincipalArn),
    /// A simple-list file loaded without a principal: it applies to every principal.
    Any,
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::Arn(arn) => f.write_str(&arn.raw),
            Principal::Any => f.write_str("*"),
        }
    }
}

/// What is known about one unused action.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionFact {
    /// As AWS printed it; `None` when the action was never used in the tracking period.
    pub last_accessed: Option<String>,
}

/// What is known about a service none of whose actions were used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceFact {
    pub last_accessed: Option<String>,
}

/// A finding about the principal as a whole or one of its credentials. These are reported,
/// never used to narrow a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalFact {
    UnusedIAMRole {
        last_accessed: Option<String>,
    },
    UnusedIAMUserAccessKey {
        access_key_id: String,
        last_accessed: Option<String>,
    },
    UnusedIAMUserPassword {
        last_accessed: Option<String>,
    },
    /// A list-findings-v2 summary: the finding exists, its details were not exported.
    SummaryOnly {
        finding_type: String,
    },
}

/// A map from strings, in their order, for the few entries a principal's findings hold per
/// action or service: a sorted vector rather than a B-tree, whose smallest node has room for
/// eleven entries. An organization's export makes a million of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmallMap<V>(Vec<(String, V)>);

impl<V> Default for SmallMap<V> {
    fn default() -> Self {
        SmallMap(Vec::new())
    }
}

impl<V> SmallMap<V> {
    pub fn new() -> Self {
        Self::default()
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// Sets the value of `key`, and returns the value it replaces.
    pub fn insert(&mut self, key: String, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(at) => self.0.get_mut(at).map(|(_, v)| std::mem::replace(v, value)),
            Err(at) => {
                self.0.insert(at, (key, value));
                None
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.find(key)
            .ok()
            .and_then(|at| self.0.get(at))
            .map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &V)> + ExactSizeIterator {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.0.iter().map(|(_, v)| v)
    }

    /// Gives back the room that growing left.
    pub fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit();
    }
}

impl<V> std::ops::Index<&str> for SmallMap<V> {
    type Output = V;

    /// The value of `key`; panics when there is none, as a map's index does.
    fn index(&self, key: &str) -> &V {
        match self.get(key) {
            Some(v) => v,
            None => panic!("no entry for {key:?}"),
        }
    }
}

impl<V> FromIterator<(String, V)> for SmallMap<V> {
    fn from_iter<I: IntoIterator<Item = (String, V)>>(iter: I) -> Self {
        let mut map = SmallMap::new();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

impl<'m, V> IntoIterator for &'m SmallMap<V> {
    type Item = (&'m String, &'m V);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'m, (String, V)>,
        fn(&'m (String, V)) -> (&'m String, &'m V),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

/// Everything known about one principal after merging every source that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalFindings {
    pub principal: Principal,
    /// `svc:Action`, service in lower case and the action spelled as the source spelled it.
    pub unused_actions: SmallMap<ActionFact>,
    /// Service namespace (lower case) of services with no used action at all.
    pub unused_services: SmallMap<ServiceFact>,
    pub facts: Vec<PrincipalFact>,
    /// The latest `analyzedAt` of the sources.
    pub analyzed_at: Option<String>,
    /// The latest `updatedAt` of the sources.
    pub updated_at: Option<String>,
    /// The files that said something about this principal, in load order.
    pub sources: Vec<PathBuf>,
}

impl PrincipalFindings {
    /// Whether the action (`svc:Action`, any letter case) is reported unused, either by name or
    /// because its whole service is.
    pub fn is_unused(&self, action: &str) -> bool {
        let Some((service, name)) = action.split_once(':') else {
            return false;
        };
        let service = service.to_ascii_lowercase();
        if self.unused_services.contains_key(&service) {
            return true;
        }
        let wanted = format!("{service}:{name}");
        self.unused_actions
            .keys()
            .any(|k| k.eq_ignore_ascii_case(&wanted))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecommendedAction {
    CreatePolicy,
    DetachPolicy,
}

impl fmt::Display for RecommendedAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecommendedAction::CreatePolicy => "CREATE_POLICY",
            RecommendedAction::DetachPolicy => "DETACH_POLICY",
        })
    }
}

/// One step of AWS's own refinement (get-finding-recommendation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recommendation {
    /// `resourceArn` of the file, else the principal given in [`crate::LoadOptions`].
    pub principal: Option<String>,
    /// A managed policy ARN, or the name of an inline policy.
    pub existing_policy_id: String,
    pub action: RecommendedAction,
    /// The policy document as JSON text (already unescaped from the CLI output).
    pub recommended_policy: Option<String>,
    pub policy_updated_at: Option<String>,
    pub source: PathBuf,
}

/// The export formats that [`crate::FindingsSet::load_str`] recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FormatKind {
    /// `aws accessanalyzer get-finding-v2`: one object, an array of them, or several in a row.
    GetFindingV2,
    /// `aws accessanalyzer list-findings-v2`: summaries without action details.
    ListFindingsV2,
    /// `aws accessanalyzer get-finding-recommendation`.
    FindingRecommendation,
    /// `aws iam get-service-last-accessed-details`.
    ServiceLastAccessed,
    /// `[{"serviceNamespace": "s3", "actions": ["GetBucketAcl"]}]`.
    SimpleList,
}

impl fmt::Display for FormatKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FormatKind::GetFindingV2 => "get-finding-v2",
            FormatKind::ListFindingsV2 => "list-findings-v2",
            FormatKind::FindingRecommendation => "get-finding-recommendation",
            FormatKind::ServiceLastAccessed => "get-service-last-accessed-details",
            FormatKind::SimpleList => "simple list",
        })
    }
}

/// Orders two timestamps as AWS prints them.
///
/// AWS prints UTC instants with a varying number of fraction digits and either `Z` or
/// `+00:00`, which plain string order gets wrong (`...44Z` sorts after `...44.5Z`); those two
/// differences are normalised and the rest is compared as a string.
pub(crate) fn cmp_time(a: &str, b: &str) -> Ordering {
    normalised_time(a).cmp(normalised_time(b))
}

/// The bytes of `WHOLE.FRACTIONZ` for a UTC instant, the fraction padded to nine digits, else of
/// the time as written; without building the string, since merging compares times per source.
fn normalised_time(s: &str) -> impl Iterator<Item = u8> + '_ {
    let utc = s.strip_suffix('Z').or_else(|| s.strip_suffix("+00:00"));
    let (whole, fraction, padding) = match utc {
        Some(base) => {
            let (whole, fraction) = base.split_once('.').unwrap_or((base, ""));
            (whole, fraction, Some(9usize.saturating_sub(fraction.len())))
        }
        None => (s, "", None),
    };
    whole
        .bytes()
        .chain(padding.map(|_| b'.'))
        .chain(fraction.bytes())
        .chain(std::iter::repeat_n(b'0', padding.unwrap_or(0)))
        .chain(padding.map(|_| b'Z'))
}

/// The later of two optional timestamps.
pub(crate) fn later(current: Option<String>, candidate: Option<&str>) -> Option<String> {
    match (current, candidate) {
        (Some(cur), Some(cand)) if cmp_time(cand, &cur) == Ordering::Greater => {
            Some(cand.to_string())
        }
        (Some(cur), _) => Some(cur),
        (None, cand) => cand.map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn normalised_times_are_the_formatted_ones(s in "[0-9T:.+Z-]{0,30}") {
            let formatted = match s.strip_suffix('Z').or_else(|| s.strip_suffix("+00:00")) {
                Some(base) => {
                    let (whole, fraction) = base.split_once('.').unwrap_or((base, ""));
                    format!("{whole}.{fraction:0<9}Z")
                }
                None => s.clone(),
            };
            proptest::prop_assert_eq!(normalised_time(&s).collect::<Vec<u8>>(), formatted.into_bytes());
        }
    }

    #[test]
    fn a_small_map_is_a_map_in_key_order() {
        let mut map = SmallMap::new();
        assert_eq!(map.insert("s3:b".to_string(), 1), None);
        assert_eq!(map.insert("s3:B".to_string(), 2), None);
        assert_eq!(map.insert("ec2:a".to_string(), 3), None);
        assert_eq!(map.insert("s3:b".to_string(), 4), Some(1));
        assert_eq!(map.keys().collect::<Vec<_>>(), ["ec2:a", "s3:B", "s3:b"]);
        assert_eq!((map["s3:b"], map.get("s3:c"), map.len()), (4, None, 3));
        assert!(map.contains_key("s3:B") && !map.contains_key("s3"));
        let same: SmallMap<i32> = map.iter().map(|(k, v)| (k.clone(), *v)).rev().collect();
        assert_eq!(same, map);
    }

    #[test]
    fn times_compare_as_instants_in_utc() {
        assert_eq!(
            cmp_time("2024-06-10T09:12:44Z", "2024-06-10T09:12:44.532000+00:00"),
            Ordering::Less
        );
        assert_eq!(
            cmp_time("2024-06-10T09:12:44.5Z", "2024-06-10T09:12:44.500+00:00"),
            Ordering::Equal
        );
        assert_eq!(
            cmp_time("2024-06-10T09:12:45+00:00", "2024-06-10T09:12:44.999Z"),
            Ordering::Greater
        );
        assert_eq!(
            cmp_time("2023-12-31T23:59:59Z", "2024-01-01T00:00:00Z"),
            Ordering::Less
        );
    }

    #[test]
    fn later_keeps_the_latest() {
        let t = later(None, Some("2024-01-01T00:00:00Z"));
        let t = later(t, Some("2023-01-01T00:00:00Z"));
        let t = later(t, None);
        assert_eq!(t.as_deref(), Some("2024-01-01T00:00:00Z"));
        let t = later(t, Some("2024-01-01T00:00:01+00:00"));
        assert_eq!(t.as_deref(), Some("2024-01-01T00:00:01+00:00"));
    }
}
