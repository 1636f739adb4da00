//! What a check needs besides the text: the configuration, the catalog and the findings, loaded the way
//! `iamprune check` loads them, once per `iamprune.toml`, and dropped when one of their files changes.

use std::path::{Path, PathBuf};

use iamprune_catalog::{Catalog, CatalogRef};
use iamprune_findings::{FindingsSet, LoadOptions};
use iamprune_linter::config::{self, Config};
use iamprune_linter::scan::ScanOptions;
use iamprune_linter::{Linter, Resolver};

/// One loaded configuration and everything it names.
pub struct Session {
    /// The `iamprune.toml` it was loaded from; `None` for the defaults.
    pub config_path: Option<PathBuf>,
    pub config: Config,
    pub catalog: CatalogRef,
    /// The catalog file named in the configuration, watched for changes.
    pub catalog_path: Option<PathBuf>,
    pub findings: Option<FindingsSet>,
    /// The findings files and directories, resolved, watched for changes.
    pub findings_paths: Vec<PathBuf>,
    pub options: ScanOptions,
    /// The configuration's `exclude` globs, which `check` never scans: the editor shows nothing for
    /// those files either.
    excludes: Option<ignore::overrides::Override>,
    /// What went wrong loading it, for the user: the session still works with what did load.
    pub problems: Vec<String>,
}

impl Session {
    /// Loads the session that applies under `root` (the directory of `config_path`, or the workspace
    /// root when there is no configuration). A broken configuration falls back to the defaults and
    /// says why, so the editor keeps its diagnostics for the catalog rules.
    pub fn load(config_path: Option<&Path>, root: &Path) -> Session {
        let mut problems = Vec::new();
        let config = match config_path {
            Some(path) => Config::load(path).unwrap_or_else(|e| {
                problems.push(format!("{e}; using the defaults"));
                Config::default()
            }),
            None => Config::default(),
        };
        let (catalog, catalog_path) = match &config.catalog {
            Some(path) => {
                let path = config.resolve(path);
                match Catalog::from_path(&path) {
                    Ok(catalog) => (CatalogRef::Loaded(Box::new(catalog)), Some(path)),
                    Err(e) => {
                        problems.push(format!(
                            "{}: {e}; using the embedded catalog",
                            path.display()
                        ));
                        (CatalogRef::Embedded(Catalog::embedded()), Some(path))
                    }
                }
            }
            None => (CatalogRef::Embedded(Catalog::embedded()), None),
        };
        let findings_paths = config.findings_paths();
        let findings = if findings_paths.is_empty() {
            None
        } else {
            let (set, errors) = FindingsSet::load_paths(&findings_paths, &LoadOptions::default());
            problems.extend(errors.iter().map(ToString::to_string));
            Some(set)
        };
        // The root bounds the files `file()` may read, as the scanned directory does for `check`.
        let options = config.scan_options(vec![root.to_path_buf()]);
        let excludes = excludes(&config, root, &mut problems);
        Session {
            config_path: config_path.map(Path::to_path_buf),
            excludes,
            config,
            catalog,
            catalog_path,
            findings,
            findings_paths,
            options,
            problems,
        }
    }

    pub fn linter(&self) -> Linter<'_> {
        let mut linter = Linter::new(&self.catalog, self.findings.as_ref());
        linter.resolver = Resolver {
            explicit: self.config.principals.clone(),
            account: self.config.cloudformation.account.clone(),
        };
        linter
    }

    /// Whether the configuration excludes a file.
    pub fn excludes(&self, path: &Path) -> bool {
        let Some(excludes) = &self.excludes else {
            return false;
        };
        // A walk never enters an excluded directory, so a glob matching any directory above the file
        // excludes it too.
        path.ancestors()
            .take_while(|a| a.starts_with(excludes.path()) && *a != excludes.path())
            .any(|a| excludes.matched(a, a != path).is_ignore())
    }

    /// Whether a change to `path` changes what this session loaded.
    pub fn depends_on(&self, path: &Path) -> bool {
        self.config_path.as_deref() == Some(path)
            || self.catalog_path.as_deref() == Some(path)
            || self
                .findings_paths
                .iter()
                .any(|p| path == p || path.starts_with(p))
    }
}

/// The `exclude` globs as `check` reads them (gitignore syntax, relative to the root).
fn excludes(
    config: &Config,
    root: &Path,
    problems: &mut Vec<String>,
) -> Option<ignore::overrides::Override> {
    if config.exclude.is_empty() {
        return None;
    }
    let mut builder = ignore::overrides::OverrideBuilder::new(root);
    for glob in &config.exclude {
        if let Err(e) = builder.add(&format!("!{glob}")) {
            problems.push(format!("bad exclude glob `{glob}`: {e}"));
        }
    }
    builder
        .build()
        .map_err(|e| problems.push(format!("bad exclude globs: {e}")))
        .ok()
}

/// The configuration file that applies to `file`: the nearest `iamprune.toml` in its directory or
/// above.
pub fn config_for(file: &Path) -> Option<PathBuf> {
    Config::find(file)
}

/// Whether `path` is a configuration file.
pub fn is_config(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == config::FILE_NAME)
}
