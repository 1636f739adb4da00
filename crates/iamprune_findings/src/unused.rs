//! The unused actions one source lists for one service, kept small: an organization's export has
//! millions of such lists, each of a handful of actions.

use std::cmp::Ordering;

/// A name compared and ordered ignoring ASCII case, as IAM compares action names.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caseless<'a>(pub &'a str);

impl Ord for Caseless<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        // Most names differ in case nowhere: compare bytes first, and only fold case when
        // they differ.
        if self.0 == other.0 {
            return Ordering::Equal;
        }
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        match a
            .iter()
            .zip(b)
            .map(|(x, y)| x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase()))
            .find(|o| o.is_ne())
        {
            Some(order) => order,
            None => a.len().cmp(&b.len()),
        }
    }
}

impl PartialOrd for Caseless<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Caseless<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(other.0)
    }
}

impl Eq for Caseless<'_> {}

/// An unused action: its name as the source spells it, and its own last-accessed time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnusedAction {
    pub name: String,
    pub last_accessed: Option<String>,
}

/// Unused actions, each once whatever its case, in the order of their lower-case names. A sorted
/// vector rather than a map: a map's smallest node holds eleven entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UnusedActions(Vec<UnusedAction>);

impl UnusedActions {
    fn find(&self, name: &str) -> Result<usize, usize> {
        self.0
            .binary_search_by(|a| Caseless(&a.name).cmp(&Caseless(name)))
    }

    /// Adds an action unless it is there already, in any case: the first spelling and time stay.
    pub(crate) fn insert(&mut self, name: String, last_accessed: Option<String>) {
        if let Err(at) = self.find(&name) {
            self.0.insert(
                at,
                UnusedAction {
                    name,
                    last_accessed,
                },
            );
        }
    }

    /// Adds an action, or gives the one there the later of the two times.
    pub(crate) fn merge(&mut self, action: UnusedAction) {
        match self.find(&action.name) {
            Ok(at) => {
                if let Some(existing) = self.0.get_mut(at) {
                    existing.last_accessed = crate::model::later(
                        existing.last_accessed.take(),
                        action.last_accessed.as_deref(),
                    );
                }
            }
            Err(at) => self.0.insert(at, action),
        }
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit();
    }

    pub(crate) fn contains(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    pub(crate) fn iter(&self) -> std::slice::Iter<'_, UnusedAction> {
        self.0.iter()
    }
}

impl IntoIterator for UnusedActions {
    type Item = UnusedAction;
    type IntoIter = std::vec::IntoIter<UnusedAction>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_whatever_their_case_and_stay_in_order() {
        let mut unused = UnusedActions::default();
        unused.insert("s3:GetObject".into(), None);
        unused.insert("s3:getobject".into(), Some("2025".into()));
        unused.insert("s3:DeleteBucket".into(), None);
        unused.insert("s3:Get".into(), None);
        let names: Vec<&str> = unused.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["s3:DeleteBucket", "s3:Get", "s3:GetObject"]);
        assert_eq!(
            unused.iter().nth(2).and_then(|a| a.last_accessed.clone()),
            None
        );
        assert!(unused.contains("S3:GETOBJECT"));
        assert!(!unused.contains("s3:GetObjects"));

        unused.merge(UnusedAction {
            name: "S3:GETOBJECT".into(),
            last_accessed: Some("2025-01-01T00:00:00Z".into()),
        });
        let got = unused.iter().nth(2).cloned();
        assert_eq!(got.as_ref().map(|a| a.name.as_str()), Some("s3:GetObject"));
        assert_eq!(
            got.and_then(|a| a.last_accessed).as_deref(),
            Some("2025-01-01T00:00:00Z")
        );
    }

    #[test]
    fn caseless_order_is_the_order_of_lower_case() {
        let names = ["a", "B", "ab", "Ab", "a-b", "A_b", "", "ba", "Z", "z1"];
        for x in names {
            for y in names {
                assert_eq!(
                    Caseless(x).cmp(&Caseless(y)),
                    x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase()),
                    "{x} {y}"
                );
            }
        }
    }
}
