//! A project: one configuration (`iamprune.toml`, or the defaults) and everything it names, loaded once:
//! the catalog, the findings, the rule selection, how principals are tied to findings.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use iamprune_catalog::{Catalog, CatalogError, CatalogRef};
use iamprune_findings::{FindingsError, FindingsSet, LoadOptions};
use iamprune_syntax::PositionedError;

use crate::config::{Config, ConfigError, RuleSelection};
use crate::deployments::Deployments;
use crate::diagnostic::Severity;
use crate::extract::ExtractOptions;
use crate::units::{ExcludeError, Excludes, WalkOptions};
use crate::workspace::Settings;
use crate::{Linter, Resolver};

pub struct Project {
    /// The refinements an editor's checks of this project made, for its next checks (the catalog
    /// and findings they were made with are this project's).
    pub memo: iamprune_policy::RefineMemo,
    /// The site reports of an editor's last check of each file, for its next check.
    pub site_cache: crate::SiteCache,
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
    /// What each source principal is deployed as, where evidence says.
    pub deployments: Arc<Deployments>,
    /// The evidence files and directories, resolved, watched for changes.
    deployments_paths: Vec<PathBuf>,
    /// The `exclude` globs of the configuration and the command line that parse.
    exclude: Vec<String>,
    /// `--no-ignore` or `no-ignore = true`.
    no_ignore: bool,
    /// `--stack-name`: the stack of every template scanned.
    stack_name: Option<String>,
    account: Option<String>,
    fix_generated: bool,
    /// `--fix-sam-templates` or `[cloudformation] fix-sam-templates = true`.
    fix_sam_templates: bool,
    /// `--accept-catalog-age` or `accept-catalog-age = true`.
    pub accept_catalog_age: bool,
    /// The `[rules]` table, by rule.
    rules: RuleSelection,
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
    #[error(transparent)]
    Exclude(#[from] ExcludeError),
    /// An evidence file that could not be read or understood.
    #[error(transparent)]
    Deployment(#[from] PositionedError),
    #[error(
        "{}: a simple list names no principal, so it would narrow every policy of every role; \
         name the principal it is about with --principal ARN, or refine one policy with `iamprune refine`",
        .0.display()
    )]
    PrincipalLess(PathBuf),
}

impl Project {
    /// Loads the project of a configuration (`None`: the defaults) with the command line's settings;
    /// a configuration, catalog or exclude glob that cannot be read is an error.
    pub fn load(config_path: Option<&Path>, settings: &Settings) -> Result<Project, ProjectError> {
        let (project, errors) = Project::load_all(config_path, settings);
        match errors.into_iter().next() {
            Some(error) => Err(error),
            None => Ok(project),
        }
    }

    /// As [`Project::load`], but what cannot be loaded is replaced by the defaults and said in
    /// `problems`: an editor keeps its diagnostics for the catalog rules while the configuration is
    /// being written.
    pub fn load_lenient(config_path: Option<&Path>, settings: &Settings) -> Project {
        Project::load_all(config_path, settings).0
    }

    /// The project, with the defaults in place of what could not be loaded, and why.
    fn load_all(config_path: Option<&Path>, settings: &Settings) -> (Project, Vec<ProjectError>) {
        let mut errors: Vec<ProjectError> = Vec::new();
        let mut problems = Vec::new();
        let config = match config_path.map(Config::load) {
            Some(Ok(config)) => config,
            Some(Err(e)) => {
                problems.push(format!("{e}; using the defaults"));
                errors.push(e.into());
                Config::default()
            }
            None => Config::default(),
        };
        let catalog_path = settings
            .catalog
            .clone()
            .or_else(|| config.catalog.as_ref().map(|p| config.resolve(p)));
        let catalog = match catalog_path.as_deref().map(Catalog::from_path) {
            Some(Ok(catalog)) => CatalogRef::Loaded(Box::new(catalog)),
            Some(Err(source)) => {
                let path = catalog_path.clone().unwrap_or_default();
                let error = ProjectError::Catalog { path, source };
                problems.push(format!("{error}; using the embedded catalog"));
                errors.push(error);
                CatalogRef::Embedded(Catalog::embedded())
            }
            None => CatalogRef::Embedded(Catalog::embedded()),
        };
        let mut exclude = Vec::new();
        for glob in config.exclude.iter().chain(&settings.exclude) {
            match Excludes::new(Path::new("."), std::slice::from_ref(glob)) {
                Ok(_) => exclude.push(glob.clone()),
                Err(e) => {
                    problems.push(format!("{e}; it is left out"));
                    errors.push(e.into());
                }
            }
        }
        let findings_paths = if settings.findings.is_empty() {
            config.findings_paths()
        } else {
            settings.findings.clone()
        };
        let (findings, findings_errors) = if findings_paths.is_empty() {
            (None, Vec::new())
        } else {
            let options = LoadOptions {
                principal: settings.principal.clone(),
            };
            let (mut set, load_errors) = FindingsSet::load_paths(&findings_paths, &options);
            for file in set.remove_principal_less() {
                let error = ProjectError::PrincipalLess(file);
                problems.push(format!("{error}; it is left out"));
                errors.push(error);
            }
            (Some(set), load_errors)
        };
        problems.extend(findings_errors.iter().map(ToString::to_string));
        let deployments_paths = if settings.deployments.is_empty() {
            config.deployments_paths()
        } else {
            settings.deployments.clone()
        };
        let (deployments, deployment_errors) = Deployments::load_paths(&deployments_paths);
        for error in deployment_errors {
            problems.push(format!("{error}; it is left out"));
            errors.push(error.into());
        }
        let project = Project {
            memo: iamprune_policy::RefineMemo::new(),
            site_cache: crate::SiteCache::new(),
            config_path: config_path.map(Path::to_path_buf),
            account: settings
                .account
                .clone()
                .or_else(|| config.account.clone())
                .or_else(|| config.cloudformation.account.clone()),
            rules: {
                let mut rules = config.rule_selection();
                rules.ignored.extend(settings.ignore.iter().copied());
                rules.severity.extend(settings.severity.clone());
                if !settings.select.is_empty() {
                    rules.ignored.extend(
                        crate::Rule::ALL
                            .into_iter()
                            .filter(|r| !settings.select.contains(r)),
                    );
                }
                rules
            },
            no_ignore: settings.no_ignore || config.no_ignore,
            accept_catalog_age: settings.accept_catalog_age || config.accept_catalog_age,
            fix_sam_templates: settings.fix_sam_templates
                || config.cloudformation.fix_sam_templates,
            config,
            catalog,
            catalog_path,
            findings,
            findings_paths,
            findings_errors,
            deployments: Arc::new(deployments),
            deployments_paths,
            exclude,
            stack_name: settings.stack_name.clone(),
            fix_generated: settings.fix_generated,
            problems,
        };
        (project, errors)
    }

    /// The linter of this project: its catalog, findings, principal mapping and rule selection.
    pub fn linter(&self) -> Linter<'_> {
        let mut linter = Linter::new(&self.catalog, self.findings.as_ref());
        linter.resolver = Resolver {
            explicit: self.config.principals.clone(),
            accounts: self.accounts(),
            deployments: Arc::clone(&self.deployments),
        };
        linter.fix_generated = self.fix_generated;
        linter.fix_sam_templates = self.fix_sam_templates;
        linter.accept_catalog_age = self.accept_catalog_age;
        linter.max_patterns = self
            .config
            .max_patterns
            .unwrap_or(crate::DEFAULT_MAX_PATTERNS);
        linter.rules = self.rules.clone();
        linter
    }

    /// What the extractors need for files under `roots`.
    pub fn extract_options(&self, roots: &[PathBuf]) -> ExtractOptions {
        let mut options = self.config.extract_options(roots.to_vec());
        if let Some(name) = &self.stack_name {
            for root in roots {
                options
                    .stack_names
                    .insert(crate::units::canonical(root), name.clone());
            }
        }
        options.account = self.account.clone();
        options
    }

    /// The excludes of a scanned root.
    pub fn excludes(&self, root: &Path) -> Excludes {
        // Every glob kept parsed when the project was loaded.
        Excludes::new(root, &self.exclude).unwrap_or_default()
    }

    /// How its roots are walked.
    pub fn walk_options(&self) -> WalkOptions {
        WalkOptions {
            no_ignore: self.no_ignore,
        }
    }

    /// The AWS accounts the source deploys to, as configured (`--account`, `account`, `accounts`,
    /// `[cloudformation] account`); empty when not said.
    pub fn accounts(&self) -> std::collections::BTreeSet<String> {
        self.account
            .iter()
            .chain(&self.config.accounts)
            .chain(&self.config.account)
            .chain(&self.config.cloudformation.account)
            .cloned()
            .collect()
    }

    /// The lowest severity that fails a run, as configured.
    pub fn fail_on(&self) -> Option<Severity> {
        self.config.fail_on
    }

    /// Whether a change to `path` changes what this project loaded.
    /// The files and directories the project was loaded from, besides the sources: its configuration,
    /// catalog, findings and deployment evidence. A change to any of them is a reason to load it again
    /// ([`depends_on`](Self::depends_on) tells which paths are under them).
    pub fn watched(&self) -> Vec<PathBuf> {
        self.config_path
            .iter()
            .chain(&self.catalog_path)
            .chain(&self.findings_paths)
            .chain(&self.deployments_paths)
            .cloned()
            .collect()
    }

    pub fn depends_on(&self, path: &Path) -> bool {
        self.config_path.as_deref() == Some(path)
            || self.catalog_path.as_deref() == Some(path)
            || self
                .findings_paths
                .iter()
                .chain(&self.deployments_paths)
                .any(|p| path == p || path.starts_with(p))
    }
}
