//! The workspace: every project (configuration) of the paths it is asked about, loaded once and kept,
//! the units found under their roots, and the buffers an editor holds unsaved. The command line asks it
//! to check paths; the language server asks it to check the unit of one file. Both get the same
//! diagnostics and the same verified fixes, because both go through here.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use iamprune_syntax::PositionedError;

use crate::check::{self, Interrupt, Interrupted, UnitReport};
use crate::config::Config;
use crate::files::{self, FileKind};
use crate::join::JoinReport;
use crate::project::{Project, ProjectError};
use crate::units::{self, UnitGraph};
use crate::{Level, Message};

/// What the command line adds to every configuration.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// One configuration for every path, instead of the nearest `iamprune.toml` above each.
    pub config: Option<PathBuf>,
    /// Findings instead of the configuration's.
    pub findings: Vec<PathBuf>,
    /// Deployment evidence instead of the configuration's.
    pub deployments: Vec<PathBuf>,
    /// A catalog TSV instead of the configuration's or the embedded one.
    pub catalog: Option<PathBuf>,
    /// More `exclude` globs.
    pub exclude: Vec<String>,
    /// Scan what `.gitignore` files and hidden names exclude too.
    pub no_ignore: bool,
    /// The stack every scanned template is deployed as.
    pub stack_name: Option<String>,
    pub account: Option<String>,
    /// Only these rules run (the command line's `--select`); empty: every rule.
    pub select: Vec<crate::Rule>,
    /// These rules do not run, beside those the configuration turns off (`--ignore`).
    pub ignore: Vec<crate::Rule>,
    /// Severities over the configuration's (an editor's settings).
    pub severity: BTreeMap<crate::Rule, crate::Severity>,
    /// The principal a simple list of unused actions is about; without it such a list is refused.
    pub principal: Option<String>,
    /// Apply fixes to generated output (CDK templates) too.
    pub fix_generated: bool,
    /// Write out the statements of SAM policy templates to fix them (`--fix-sam-templates`).
    pub fix_sam_templates: bool,
    /// Narrow wildcards with a catalog older than the findings (`--accept-catalog-age`).
    pub accept_catalog_age: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error("{}: no such file or directory", .0.display())]
    Missing(PathBuf),
}

/// The key of a project: its configuration file, `None` for the defaults.
pub type ProjectKey = Option<PathBuf>;

/// What checking some paths of one project gave.
#[derive(Debug)]
pub struct Checked {
    pub project: ProjectKey,
    /// The roots the units were found under.
    pub roots: Vec<PathBuf>,
    pub reports: Vec<UnitReport>,
    /// Said of the run rather than of a unit: files that could not be walked, what the walk left out,
    /// findings that did not load or joined nothing.
    pub messages: Vec<Message>,
    /// The note among `messages` on what `.gitignore` files and hidden names left out, for the
    /// commands that show no other message.
    pub skipped: Option<Message>,
    pub stats: Stats,
    /// What the findings reached, and why not where they did not.
    pub join: JoinReport,
}

/// What a check covered.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    pub files: usize,
    pub policies: usize,
    pub statements: usize,
    pub actions: usize,
}

impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, other: Stats) {
        self.files += other.files;
        self.policies += other.policies;
        self.statements += other.statements;
        self.actions += other.actions;
    }
}

pub struct Workspace {
    settings: Settings,
    /// An editor's workspace goes on with the defaults where a configuration is broken; the command
    /// line stops.
    lenient: bool,
    projects: BTreeMap<ProjectKey, Project>,
    /// An editor's workspace folders: where units are found for files no configuration covers.
    roots: Vec<PathBuf>,
    /// Unsaved texts, by absolute path.
    buffers: BTreeMap<PathBuf, String>,
    /// The units under each root an editor's files were checked from.
    graphs: BTreeMap<PathBuf, UnitGraph>,
    /// What the walk of each root could not read or left out (and its note on what the ignore files
    /// left out), until a check of a file under it completes and says it.
    unsaid: BTreeMap<PathBuf, (Vec<Message>, Option<Message>)>,
    /// An editor's last parse of each YAML template it checked: the next check after an edit inside
    /// one resource parses only that resource. `None` on the command line, which reads each file once.
    reparse: Option<iamprune_cfn::ReparseCache>,
}

impl Workspace {
    /// The command line's workspace.
    pub fn new(settings: Settings) -> Workspace {
        Workspace {
            settings,
            lenient: false,
            projects: BTreeMap::new(),
            roots: Vec::new(),
            buffers: BTreeMap::new(),
            graphs: BTreeMap::new(),
            unsaid: BTreeMap::new(),
            reparse: None,
        }
    }

    /// Units of files no configuration covers are found under `roots`, as an editor's folders: a file
    /// checked alone (`check_file`) is grouped with the modules it calls as a check of the root would.
    pub fn with_roots(mut self, roots: Vec<PathBuf>) -> Workspace {
        self.roots = roots;
        self
    }

    /// An editor's workspace over its folders.
    pub fn for_editor(roots: Vec<PathBuf>) -> Workspace {
        Workspace {
            lenient: true,
            roots,
            reparse: Some(iamprune_cfn::ReparseCache::new()),
            ..Workspace::new(Settings::default())
        }
    }

    /// New settings (an editor's changed): everything loaded with the old ones goes.
    pub fn set_settings(&mut self, settings: Settings) {
        self.settings = settings;
        self.reload();
    }

    /// The editor's folders changed: units are found under the new ones.
    pub fn set_roots(&mut self, roots: Vec<PathBuf>) {
        self.roots = roots;
        self.graphs.clear();
    }

    /// The settings every configuration is read with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The editor's folders.
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Drops every loaded project and unit graph, so that configurations, findings, deployments and
    /// catalogs are read again at the next check.
    pub fn reload(&mut self) {
        self.projects.clear();
        self.graphs.clear();
    }

    /// The project `path` belongs to.
    pub fn project_key(&self, path: &Path) -> ProjectKey {
        self.settings.config.clone().or_else(|| Config::find(path))
    }

    /// A loaded project.
    pub fn project(&self, key: &ProjectKey) -> Option<&Project> {
        self.projects.get(key)
    }

    /// Loads a project unless it is loaded; `Ok(true)` when it was loaded now.
    pub fn load(&mut self, key: &ProjectKey) -> Result<bool, ProjectError> {
        if self.projects.contains_key(key) {
            return Ok(false);
        }
        let project = if self.lenient {
            Project::load_lenient(key.as_deref(), &self.settings)
        } else {
            Project::load(key.as_deref(), &self.settings)?
        };
        self.projects.insert(key.clone(), project);
        Ok(true)
    }

    /// Checks every unit under `paths`, grouped by the configuration above each path (all under
    /// `--config` when it is given), so that every path is checked with its own findings.
    pub fn check_paths(
        &mut self,
        paths: &[PathBuf],
        done: &(dyn Fn() + Sync),
    ) -> Result<Vec<Checked>, WorkspaceError> {
        let mut groups: Vec<(ProjectKey, Vec<PathBuf>)> = Vec::new();
        for path in paths {
            if !path.exists() {
                return Err(WorkspaceError::Missing(path.clone()));
            }
            let key = self.project_key(path);
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, group)) => group.push(path.clone()),
                None => groups.push((key, vec![path.clone()])),
            }
        }
        let mut out = Vec::new();
        for (key, roots) in groups {
            self.load(&key)?;
            let Some(project) = self.projects.get(&key) else {
                continue;
            };
            out.push(check_roots(project, key, &roots, done)?);
        }
        Ok(out)
    }

    /// Holds an editor's unsaved text of a file: checks read it instead of the disk.
    pub fn set_buffer(&mut self, path: PathBuf, text: String) {
        self.buffers.insert(path, text);
    }

    /// The unsaved text of a file, when an editor holds one.
    pub fn buffer(&self, path: &Path) -> Option<&str> {
        self.buffers.get(path).map(String::as_str)
    }

    /// The file is read from disk again.
    pub fn remove_buffer(&mut self, path: &Path) {
        self.buffers.remove(path);
        if let Some(reparse) = &self.reparse {
            reparse.forget(path);
        }
        for project in self.projects.values() {
            project.site_cache.forget(path);
        }
    }

    /// Checks the unit `file` is checked in, as a check of its project's root would: the same
    /// grouping of modules, the same excludes, the same rules. `None` when the file is not checked
    /// (not a source file, or excluded).
    pub fn check_file(&mut self, file: &Path) -> Option<Checked> {
        let never = Interrupt::never();
        // `never` never interrupts.
        let mut checked = self.check_file_unverified(file, &never).ok()??;
        for report in &mut checked.reports {
            let _ = self.verify(&checked.project, &checked.roots, report, &never);
        }
        Some(checked)
    }

    /// [`check_file`](Self::check_file) without verifying the unit's fixes, stopped early when
    /// `interrupt` says so: an editor shows the diagnostics at once and verifies when it is idle
    /// ([`verify`](Self::verify)).
    pub fn check_file_unverified(
        &mut self,
        file: &Path,
        interrupt: &Interrupt<'_>,
    ) -> Result<Option<Checked>, Interrupted> {
        let Some(_) = FileKind::of(file) else {
            return Ok(None);
        };
        let key = self.project_key(file);
        // An editor's workspace is lenient: loading never fails.
        if self.load(&key).is_err() {
            return Ok(None);
        }
        let Some(project) = self.projects.get(&key) else {
            return Ok(None);
        };
        // A file outside the project and every folder of the editor is checked with what lies beside
        // it only: walking whatever directory it is in (a home directory) could take minutes.
        let Some(root) = root_of(file, &key, &self.roots) else {
            let Some(unit) = units::unit_alone(file) else {
                return Ok(None);
            };
            let parent = file.parent().map(Path::to_path_buf).unwrap_or_default();
            return check_one(
                project,
                key,
                &unit,
                &parent,
                &self.buffers,
                self.reparse.clone(),
                interrupt,
            )
            .map(Some);
        };
        let excludes = project.excludes(&root);
        if excludes.excludes(file) {
            return Ok(None);
        }
        // What the walk could not read or left out is said once, with the first check that completes
        // after the units are found.
        let unsaid = &mut self.unsaid;
        let graph = self.graphs.entry(root.clone()).or_insert_with(|| {
            let (mut graph, mut messages) =
                units::discover(&[(root.clone(), excludes)], project.walk_options());
            // Files change while an editor is open: each check reads its own.
            graph.texts = HashMap::new();
            messages.extend(graph.skipped.clone());
            unsaid.insert(root.clone(), (messages, graph.skipped.clone()));
            graph
        });
        let Some(unit) = graph
            .unit_of(file)
            .cloned()
            .or_else(|| units::unit_alone(file))
        else {
            return Ok(None);
        };
        let mut checked = check_one(
            project,
            key,
            &unit,
            &root,
            &self.buffers,
            self.reparse.clone(),
            interrupt,
        )?;
        if let Some((messages, skipped)) = self.unsaid.remove(&root) {
            checked.messages = messages;
            checked.skipped = skipped;
        }
        Ok(Some(checked))
    }

    /// Verifies the fixes of a unit checked by [`check_file_unverified`](Self::check_file_unverified)
    /// in project `key` under `roots` (what its [`Checked`] says).
    pub fn verify(
        &self,
        key: &ProjectKey,
        roots: &[PathBuf],
        report: &mut UnitReport,
        interrupt: &Interrupt<'_>,
    ) -> Result<(), Interrupted> {
        let Some(project) = self.projects.get(key) else {
            // The project was dropped since (its configuration or findings changed): the report is
            // stale and about to be replaced; none of its fixes is offered meanwhile.
            for fix in report.diagnostics.iter_mut().filter_map(|d| d.fix.as_mut()) {
                fix.applicability = crate::Applicability::DisplayOnly;
            }
            report.verified = true;
            return Ok(());
        };
        let options = project.extract_options(roots);
        check::verify_unit(&project.linter(), report, &options, interrupt)
    }

    /// Files changed on disk, were created or deleted: drops what was loaded from them. Returns whether
    /// anything was dropped or a file read at every check changed (a variable file), so that whatever
    /// was checked with it is checked again.
    pub fn files_changed(&mut self, paths: &[PathBuf]) -> bool {
        let mut dropped = false;
        for path in paths {
            if path
                .file_name()
                .is_some_and(|n| n == crate::config::FILE_NAME)
            {
                // A new, deleted or edited configuration can change which one applies to any file.
                dropped |= !self.projects.is_empty() || !self.graphs.is_empty();
                self.projects.clear();
                self.graphs.clear();
                continue;
            }
            let before = self.projects.len();
            self.projects.retain(|_, p| !p.depends_on(path));
            dropped |= self.projects.len() != before;
            // A source file created or deleted changes which files are units, and a Terraform file's
            // module calls and `file()` reads group them; a template that stays where it is changes
            // neither, and a save of one must not walk the project again.
            // A variable file is read with its module at every check: the open files are checked
            // again, with nothing to drop.
            dropped |= files::variable_file_rank(path).is_some();
            if files::is_source(path) {
                let regroups = FileKind::of(path) == Some(FileKind::Terraform) || !path.exists();
                let before = self.graphs.len();
                self.graphs.retain(|root, graph| {
                    !path.starts_with(root) || (!regroups && graph.unit_of(path).is_some())
                });
                dropped |= self.graphs.len() != before;
            }
        }
        dropped
    }
}

/// The root a file's units are found from: its configuration's directory, else the editor's folder
/// that holds it; `None` when neither holds it.
fn root_of(file: &Path, key: &ProjectKey, roots: &[PathBuf]) -> Option<PathBuf> {
    if let Some(dir) = key.as_deref().and_then(Path::parent) {
        if file.starts_with(dir) {
            return Some(dir.to_path_buf());
        }
    }
    roots
        .iter()
        .filter(|r| file.starts_with(r))
        .max_by_key(|r| r.components().count())
        .cloned()
}

/// Checks one unit of a project found under `root`, its fixes not verified.
fn check_one(
    project: &Project,
    key: ProjectKey,
    unit: &units::Unit,
    root: &Path,
    buffers: &BTreeMap<PathBuf, String>,
    reparse: Option<iamprune_cfn::ReparseCache>,
    interrupt: &Interrupt<'_>,
) -> Result<Checked, Interrupted> {
    // An editor checks the same unit again at every keystroke: what did not change is not refined
    // again.
    let mut linter = project.linter();
    linter.memo = Some(&project.memo);
    linter.site_cache = Some(&project.site_cache);
    let roots = vec![root.to_path_buf()];
    let mut options = project.extract_options(&roots);
    options.reparse = reparse;
    let report = check::check_unit_unverified(&linter, unit, &options, buffers, interrupt)?;
    Ok(Checked {
        project: key,
        roots,
        stats: stats(std::slice::from_ref(&report)),
        reports: vec![report],
        messages: Vec::new(),
        skipped: None,
        // An editor checks one unit: what the findings reach across the project is `check`'s to say.
        join: JoinReport::default(),
    })
}

/// Checks the units under some roots of one project.
fn check_roots(
    project: &Project,
    key: ProjectKey,
    roots: &[PathBuf],
    done: &(dyn Fn() + Sync),
) -> Result<Checked, WorkspaceError> {
    let mut scanned = Vec::new();
    for root in roots {
        scanned.push((root.clone(), project.excludes(root)));
    }
    let (mut graph, mut messages) = units::discover(&scanned, project.walk_options());
    messages.extend(graph.skipped.clone());
    let linter = project.linter();
    let options = project.extract_options(roots);
    let reports = check::check_units(
        &linter,
        &graph.units,
        std::mem::take(&mut graph.texts),
        &options,
        &project.config.principals,
        done,
    );
    let whole_project = project
        .config_path
        .as_deref()
        .and_then(Path::parent)
        .is_some_and(|dir| {
            roots
                .iter()
                .any(|root| std::fs::canonicalize(root).is_ok_and(|r| dir.starts_with(&r)))
        });
    let join = JoinReport::build(project, &reports, whole_project);
    messages.extend(join.messages());
    messages.extend(findings_errors(project));
    if let (Some(findings), false) = (&project.findings, project.accept_catalog_age) {
        let place = project
            .config_path
            .clone()
            .unwrap_or_else(|| roots.first().cloned().unwrap_or_default());
        messages.extend(crate::drift::note(&project.catalog, findings, &place));
    }
    Ok(Checked {
        project: key,
        roots: roots.to_vec(),
        stats: stats(&reports),
        reports,
        messages,
        skipped: graph.skipped,
        join,
    })
}

/// Findings that did not load are errors of the run, in every output format; a FIFO, socket or device
/// in a findings directory, which was not read, is a note.
fn findings_errors(project: &Project) -> Vec<Message> {
    let errors = project
        .findings_errors
        .iter()
        .map(|PositionedError { error, position }| Message {
            level: Level::Error,
            file: error.file.clone(),
            // The reports do not hold the export's text, so the place is in the message.
            span: None,
            message: format!("{}:{}: {}", position.line, position.column, error.message),
        });
    let not_regular = project
        .findings
        .iter()
        .flat_map(|findings| findings.skipped())
        .filter(|path| iamprune_syntax::fs::is_special(path))
        .map(|path| files::not_regular(path));
    errors.chain(not_regular).collect()
}

/// What the reports covered.
fn stats(reports: &[UnitReport]) -> Stats {
    let files: HashSet<&PathBuf> = reports.iter().flat_map(|r| &r.unit.files).collect();
    let mut stats = Stats::default();
    for report in reports {
        stats += report.covered;
    }
    stats.files = files.len();
    stats
}
