//! What is known to be unused, by name and resolved against a catalog.

use std::collections::BTreeMap;

use iamprune_catalog::{ActionId, ActionSet, Catalog, Pattern};

/// Unused actions and services by name, as findings state them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unused {
    /// Lower-cased `svc:action` → the spelling given.
    actions: BTreeMap<String, String>,
    /// Lower-cased service prefixes that are unused as a whole.
    services: BTreeMap<String, String>,
}

/// A name that is not of the form `service:Action`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an action name of the form `service:Action`")]
pub struct BadActionName(pub String);

impl Unused {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an unused action, `s3:GetBucketAcl`.
    pub fn add_action(&mut self, name: &str) -> Result<(), BadActionName> {
        let name = name.trim();
        match name.split_once(':') {
            Some((service, action))
                if iamprune_catalog::is_service_name(&service.to_ascii_lowercase())
                    && !action.is_empty()
                    && !action.contains([':', '*', '?']) =>
            {
                self.actions
                    .insert(name.to_ascii_lowercase(), name.to_string());
                Ok(())
            }
            _ => Err(BadActionName(name.to_string())),
        }
    }

    /// Marks every action of a service as unused, `s3`.
    pub fn add_service(&mut self, service: &str) -> Result<(), BadActionName> {
        let lower = service.trim().to_ascii_lowercase();
        if !iamprune_catalog::is_service_name(&lower) {
            return Err(BadActionName(service.to_string()));
        }
        self.services.insert(lower, service.trim().to_string());
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty() && self.services.is_empty()
    }

    pub fn action_count(&self) -> usize {
        self.actions.len()
    }

    pub fn service_count(&self) -> usize {
        self.services.len()
    }
}

/// Unused access resolved against one catalog: what the refinement consults.
///
/// Service-level findings are expanded into the catalog set and also kept by name, so that actions the
/// catalog does not know yet still count as unused; action names the catalog does not know are kept too,
/// so that no emitted wildcard can match them.
#[derive(Debug, Clone)]
pub struct UnusedSet<'c> {
    catalog: &'c Catalog,
    ids: ActionSet,
    /// Lower-cased services unused as a whole.
    pub(crate) services: BTreeMap<String, String>,
    /// Lower-cased unused names the catalog does not know, not covered by `services` → their spelling.
    pub(crate) unknown: BTreeMap<String, String>,
}

impl<'c> UnusedSet<'c> {
    /// Nothing known unused.
    pub fn none(catalog: &'c Catalog) -> Self {
        UnusedSet {
            catalog,
            ids: ActionSet::empty(catalog.len()),
            services: BTreeMap::new(),
            unknown: BTreeMap::new(),
        }
    }

    pub fn resolve(catalog: &'c Catalog, unused: &Unused) -> Self {
        let mut set = UnusedSet::none(catalog);
        for (lower, spelled) in &unused.services {
            set.ids.insert_range(catalog.service_range(lower));
            set.services.insert(lower.clone(), spelled.clone());
        }
        for (lower, spelled) in &unused.actions {
            match catalog.lookup(lower) {
                Some(id) => set.ids.insert(id),
                None if !set.covered_by_service(lower) => {
                    set.unknown.insert(lower.clone(), spelled.clone());
                }
                None => {}
            }
        }
        set
    }

    /// What is unused by every one of several principals: a policy that reaches them all may only lose
    /// what none of them used.
    pub fn intersect(&self, other: &UnusedSet<'_>) -> UnusedSet<'c> {
        let mut ids = self.ids.clone();
        ids.intersect_with(&other.ids);
        let services: BTreeMap<String, String> = self
            .services
            .iter()
            .filter(|(s, _)| other.services.contains_key(*s))
            .map(|(s, v)| (s.clone(), v.clone()))
            .collect();
        let unknown = self
            .unknown
            .iter()
            .chain(other.unknown.iter())
            .filter(|(name, _)| self.is_unused_lower(name) && other.is_unused_lower(name))
            .filter(|(name, _)| !services.contains_key(service_of(name)))
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        UnusedSet {
            catalog: self.catalog,
            ids,
            services,
            unknown,
        }
    }

    pub fn catalog(&self) -> &'c Catalog {
        self.catalog
    }

    /// The unused actions of the catalog.
    pub fn ids(&self) -> &ActionSet {
        &self.ids
    }

    pub fn contains(&self, id: ActionId) -> bool {
        self.ids.contains(id)
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty() && self.services.is_empty() && self.unknown.is_empty()
    }

    /// Services unused as a whole, lower-cased.
    pub fn services(&self) -> impl Iterator<Item = &str> {
        self.services.keys().map(String::as_str)
    }

    /// Unused names the catalog does not know, as spelled in the findings.
    pub fn unknown_names(&self) -> impl Iterator<Item = &str> {
        self.unknown.values().map(String::as_str)
    }

    /// Whether a name (any case) is unused.
    pub fn is_unused(&self, name: &str) -> bool {
        self.is_unused_lower(&name.to_ascii_lowercase())
    }

    fn is_unused_lower(&self, lower: &str) -> bool {
        match self.catalog.lookup(lower) {
            Some(id) => self.ids.contains(id),
            None => self.unknown.contains_key(lower) || self.covered_by_service(lower),
        }
    }

    fn covered_by_service(&self, lower: &str) -> bool {
        self.services.contains_key(service_of(lower))
    }

    /// Whether some unused action's name starts with `prefix` (lower-cased). This is the refinement's
    /// safety test for `prefix*`, judged by the string, so `lex:ListBot*` is unsafe when
    /// `lex:ListBots` is unused.
    pub fn any_with_prefix(&self, prefix: &str) -> bool {
        self.ids.any_in(self.catalog.prefix_range_lower(prefix))
            || self.unknown.keys().any(|name| name.starts_with(prefix))
            || self.services.keys().any(|service| {
                // `s3:Get` lies inside the unused service `s3`; `s3` (from `s3*`) starts `s3:`.
                let scope = format!("{service}:");
                scope.starts_with(prefix) || prefix.starts_with(&scope)
            })
    }

    /// The unused actions a pattern grants: catalog ids, and the unknown names it matches.
    pub fn granted_by(&self, pattern: &Pattern, expansion: &ActionSet) -> (ActionSet, Vec<String>) {
        let mut ids = expansion.clone();
        ids.intersect_with(&self.ids);
        let unknown = self
            .unknown
            .iter()
            .filter(|(lower, _)| pattern.matches_lower(lower))
            .map(|(_, spelled)| spelled.clone())
            .collect();
        (ids, unknown)
    }
}

fn service_of(lower: &str) -> &str {
    lower.split(':').next().unwrap_or(lower)
}
