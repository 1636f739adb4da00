//! A project: one configuration (`iamprune.toml`, or the defaults) and everything it names, loaded once:
//! the catalog, the findings, the rule selection, how principals are tied to findings.

use std::path::{Path, PathBuf};

use iamprune_catalog::{Catalog, CatalogError, CatalogRef};
use iamprune_findings::{FindingsError, FindingsSet, LoadOptions};

use crate::config::{Config, ConfigError, RuleSelection};
use crate::diagnostic::Severity;
use crate::extract::ExtractOptions;
use crate::units::{ExcludeError, Excludes};
use crate::workspace::Settings;
use crate::{Linter, Resolver};

pub struct Project {
    /// The `iamprune.toml` it was loaded from; `None` for the defaults.
    pub config_path: Option<PathBuf>,
    pub config: Config,
    pub catalog: CatalogRef,
    /// The catalog file it loaded, watched for changes.
    catalog_path: Option<PathBuf>,
    /// `None`: no findings given; only the catalog rules run.
    pub findings: Option<FindingsSet>,
    /// The findings files and directories, resolved, watched for changes.
    findings_paths: Vec<PathBuf>,
    /// Findings files that did not load; the rest did.
    pub findings_errors: Vec<FindingsError>,
    /// The `exclude` globs of the configuration and the command line.
    exclude: Vec<String>,
    /// `--stack-name`: the stack of every template scanned.
    stack_name: Option<String>,
    account: Option<String>,
    fix_generated: bool,
    /// What could not be loaded, when the project went on without it (see [`Project::load_lenient`]).
    pub problems: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{}: {source}", path.display())]
    Catalog {
        path: PathBuf,
        #[source]
        source: CatalogError,
    },
}

impl Project {
    /// Loads the project of a configuration (`None`: the defaults) with the command line's settings;
    /// a configuration or catalog that cannot be read is an error.
    pub fn load(config_path: Option<&Path>, settings: &Settings) -> Result<Project, ProjectError> {
        let config = match config_path {
            Some(path) => Config::load(path)?,
            None => Config::default(),
        };
        let catalog_path = settings
            .catalog
            .clone()
            .or_else(|| config.catalog.as_ref().map(|p| config.resolve(p)));
        let catalog = match &catalog_path {
            Some(path) => {
                CatalogRef::Loaded(Box::new(Catalog::from_path(path).map_err(|source| {
                    ProjectError::Catalog {
                        path: path.clone(),
                        source,
                    }
                })?))
            }
            None => CatalogRef::Embedded(Catalog::embedded()),
        };
        Ok(Project::with(
            config_path,
            config,
            catalog,
            catalog_path,
            settings,
        ))
    }

    /// As [`Project::load`], but what cannot be loaded is replaced by the defaults and said in
    /// `problems`: an editor keeps its diagnostics for the catalog rules while the configuration is
    /// being written.
    pub fn load_lenient(config_path: Option<&Path>, settings: &Settings) -> Project {
        match Project::load(config_path, settings) {
            Ok(project) => project,
            Err(ProjectError::Config(e)) => {
                let mut project = Project::load_lenient(None, settings);
                project.config_path = config_path.map(Path::to_path_buf);
                project
                    .problems
                    .insert(0, format!("{e}; using the defaults"));
                project
            }
            Err(e @ ProjectError::Catalog { .. }) => {
                let (config, catalog_path) = match config_path.map(Config::load) {
                    Some(Ok(config)) => {
                        let path = config.catalog.as_ref().map(|p| config.resolve(p));
                        (config, path)
                    }
                    _ => (Config::default(), None),
                };
                let catalog = CatalogRef::Embedded(Catalog::embedded());
                let mut project =
                    Project::with(config_path, config, catalog, catalog_path, settings);
                project
                    .problems
                    .insert(0, format!("{e}; using the embedded catalog"));
                project
            }
        }
    }

    fn with(
        config_path: Option<&Path>,
        config: Config,
        catalog: CatalogRef,
        catalog_path: Option<PathBuf>,
        settings: &Settings,
    ) -> Project {
        let findings_paths = if settings.findings.is_empty() {
            config.findings_paths()
        } else {
            settings.findings.clone()
        };
        let (findings, findings_errors) = if findings_paths.is_empty() {
            (None, Vec::new())
        } else {
            let (set, errors) = FindingsSet::load_paths(&findings_paths, &LoadOptions::default());
            (Some(set), errors)
        };
        let mut exclude = config.exclude.clone();
        exclude.extend(settings.exclude.iter().cloned());
        Project {
            config_path: config_path.map(Path::to_path_buf),
            account: settings
                .account
                .clone()
                .or_else(|| config.cloudformation.account.clone()),
            problems: findings_errors.iter().map(ToString::to_string).collect(),
            config,
            catalog,
            catalog_path,
            findings,
            findings_paths,
            findings_errors,
            exclude,
            stack_name: settings.stack_name.clone(),
            fix_generated: settings.fix_generated,
        }
    }

    /// The linter of this project: its catalog, findings, principal mapping and rule selection.
    pub fn linter(&self) -> Linter<'_> {
        let mut linter = Linter::new(&self.catalog, self.findings.as_ref());
        linter.resolver = Resolver {
            explicit: self.config.principals.clone(),
            account: self.account.clone(),
        };
        linter.fix_generated = self.fix_generated;
        linter.rules = self.rule_selection();
        linter
    }

    pub fn rule_selection(&self) -> RuleSelection {
        self.config.rule_selection()
    }

    /// What the extractors need for files under `roots`.
    pub fn extract_options(&self, roots: &[PathBuf]) -> ExtractOptions {
        let mut options = self.config.extract_options(roots.to_vec());
        if let Some(name) = &self.stack_name {
            for root in roots {
                options.stack_names.insert(root.clone(), name.clone());
            }
        }
        options.account = self.account.clone();
        options
    }

    /// The excludes of a scanned root.
    pub fn excludes(&self, root: &Path) -> Result<Excludes, ExcludeError> {
        Excludes::new(root, &self.exclude)
    }

    /// The lowest severity that fails a run, as configured.
    pub fn fail_on(&self) -> Option<Severity> {
        self.config.fail_on
    }

    /// Whether a change to `path` changes what this project loaded.
    pub fn depends_on(&self, path: &Path) -> bool {
        self.config_path.as_deref() == Some(path)
            || self.catalog_path.as_deref() == Some(path)
            || self
                .findings_paths
                .iter()
                .any(|p| path == p || path.starts_with(p))
    }
}
