//! What `check` and `fix` share: the arguments, the workspace's check of the paths, the report.

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use clap::{Args, ValueEnum};
use iamprune_linter::check::UnitReport;
use iamprune_linter::files::FileKind;
use iamprune_linter::units::UnitKind;
use iamprune_linter::workspace::Checked;
use iamprune_linter::{Level, Rule, Settings, Severity, Workspace};
use iamprune_render::{Report, Sources};

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan (default: the current directory).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Read the text of this file from standard input instead of the disk, and report on it alone
    /// (with the rest of its module or stack read from the disk). For editors and hooks; `fix` prints
    /// the fixed text instead of writing it.
    #[arg(long, value_name = "PATH", conflicts_with = "paths")]
    pub stdin_filename: Option<PathBuf>,
    /// Unused-access findings, files or directories in any supported format; may be repeated.
    /// Without findings only the catalog rules run.
    #[arg(long, value_name = "PATH")]
    pub findings: Vec<PathBuf>,
    /// Deployment evidence, files or directories: `terraform show -json` of a state or plan, or
    /// `aws cloudformation describe-stack-resources` output; may be repeated (one per environment).
    #[arg(long, value_name = "PATH")]
    pub deployment: Vec<PathBuf>,
    /// The configuration file (default: the nearest `iamprune.toml` above the first path).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Glob of paths not to scan (gitignore syntax); may be repeated.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Scan what .gitignore files and hidden names exclude too (never .git). Without it they are
    /// counted in a note, and a CDK assembly among them is scanned anyway.
    #[arg(long)]
    pub no_ignore: bool,
    /// The lowest severity that fails the run (exit code 1).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
    /// The stack name of the scanned templates, for names CloudFormation generates.
    #[arg(long, value_name = "NAME")]
    pub stack_name: Option<String>,
    /// The AWS account id, for `${AWS::AccountId}` in names.
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// The principal ARN a simple list of unused actions is about (such a list names none, and is
    /// refused without it).
    #[arg(long, value_name = "ARN")]
    pub principal: Option<String>,
    /// Only these rules run, by code or name, comma-separated or repeated (`--select IAM001,IAM002`).
    #[arg(long, value_name = "RULE", value_delimiter = ',', value_parser = parse_rule)]
    pub select: Vec<Rule>,
    /// These rules do not run, beside those `[rules] ignore` turns off.
    #[arg(long, value_name = "RULE", value_delimiter = ',', value_parser = parse_rule)]
    pub ignore: Vec<Rule>,
    /// Fail the run (exit 1) when findings name a principal that reaches no policy in the source.
    #[arg(long)]
    pub fail_on_unjoined: bool,
    /// Narrow wildcards even when the findings are newer than the catalog's data (or name actions it
    /// does not know): an action AWS added since, if it was used, would be lost.
    #[arg(long)]
    pub accept_catalog_age: bool,
    /// How many files and modules are checked at once (default: one per CPU).
    #[arg(long = "threads", short = 'j', value_name = "N")]
    pub threads: Option<std::num::NonZeroUsize>,
    /// No progress bar.
    #[arg(long, short, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say on stderr what the run used and did: the configurations, the findings and deployment
    /// evidence loaded, each unit checked (what files were grouped into a module), and the time taken.
    #[arg(long, short)]
    pub verbose: bool,
}

/// A rule by its code (`IAM002`) or name (`wildcard-grants-unused`).
fn parse_rule(text: &str) -> Result<Rule, String> {
    Rule::find(text).ok_or_else(|| {
        let codes: Vec<&str> = Rule::ALL.iter().map(|r| r.code()).collect();
        format!("no rule `{text}`; the rules are {}", codes.join(", "))
    })
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
}

impl From<FailOn> for Severity {
    fn from(value: FailOn) -> Self {
        match value {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
            FailOn::Info => Severity::Info,
        }
    }
}

/// Which fixes `fix` may apply beyond the usual ones.
#[derive(Debug, Default, Clone, Copy)]
pub struct Fixes {
    /// In generated output (`--fix-generated`).
    pub generated: bool,
    /// Of SAM policy templates, written out (`--fix-sam-templates`).
    pub sam_templates: bool,
}

/// A run of `check` or `fix`: the workspace and what checking the paths gave.
pub struct Scan {
    pub workspace: Workspace,
    pub checked: Vec<Checked>,
    /// With `--stdin-filename`: the file read from standard input.
    pub stdin: Option<StdinFile>,
    fail_on: Severity,
    fail_on_unjoined: bool,
}

impl Scan {
    /// Checks the paths, each with the configuration found above it (or `--config`).
    pub fn run(
        args: &ScanArgs,
        catalog: &crate::CatalogArgs,
        fixes: Fixes,
    ) -> anyhow::Result<Scan> {
        if let Some(threads) = args.threads {
            // The first scan of the process sets the pool; a second setting is an error only rayon
            // sees, never the user.
            let _ = rayon::ThreadPoolBuilder::new()
                .num_threads(threads.get())
                .build_global();
        }
        let workspace = Workspace::new(Settings {
            config: args.config.clone(),
            findings: args.findings.clone(),
            deployments: args.deployment.clone(),
            catalog: catalog.catalog.clone(),
            exclude: args.exclude.clone(),
            no_ignore: args.no_ignore,
            stack_name: args.stack_name.clone(),
            account: args.account.clone(),
            principal: args.principal.clone(),
            select: args.select.clone(),
            ignore: args.ignore.clone(),
            fix_generated: fixes.generated,
            fix_sam_templates: fixes.sam_templates,
            accept_catalog_age: args.accept_catalog_age,
            severity: Default::default(),
        });
        let started = Instant::now();
        let (workspace, checked, stdin) = match &args.stdin_filename {
            Some(shown) => {
                let stdin = StdinFile::read(shown)?;
                let (workspace, checked) = stdin.check(workspace);
                (workspace, checked.into_iter().collect(), Some(stdin))
            }
            None => {
                let mut workspace = workspace;
                let paths = if args.paths.is_empty() {
                    vec![PathBuf::from(".")]
                } else {
                    args.paths.clone()
                };
                let progress = Progress::new(!args.quiet && std::io::stderr().is_terminal());
                let checked = workspace.check_paths(&paths, &|| progress.tick())?;
                progress.finish();
                (workspace, checked, None)
            }
        };
        // `--fail-on` is the same for every configuration; a configuration's own `fail-on` rules as far
        // as the first one's.
        let fail_on = args
            .fail_on
            .map(Severity::from)
            .or_else(|| {
                let key = &checked.first()?.project;
                workspace.project(key)?.fail_on()
            })
            .unwrap_or(Severity::Error);
        if args.verbose {
            say_what_was_done(&workspace, &checked, started.elapsed());
        }
        let fail_on_unjoined = args.fail_on_unjoined
            || checked
                .iter()
                .filter_map(|c| workspace.project(&c.project))
                .any(|p| p.config.fail_on_unjoined);
        Ok(Scan {
            workspace,
            checked,
            stdin,
            fail_on,
            fail_on_unjoined,
        })
    }

    /// The reports of every unit checked.
    pub fn units(&self) -> impl Iterator<Item = &UnitReport> {
        self.checked.iter().flat_map(|c| &c.reports)
    }

    /// Findings files that did not load.
    pub fn findings_errors(&self) -> Vec<&iamprune_findings::FindingsError> {
        self.checked
            .iter()
            .filter_map(|c| self.workspace.project(&c.project))
            .flat_map(|p| &p.findings_errors)
            .collect()
    }

    /// The report of the run, for the renderers. The units' diagnostics, messages and texts and the
    /// join are moved into it, not copied (a repository's texts, an organization's export), so it is
    /// made once a run, after anything that reads the units.
    pub fn report(&mut self) -> (Report, Sources) {
        let mut report = Report {
            version: env!("CARGO_PKG_VERSION").to_string(),
            ..Report::default()
        };
        let mut sources = Sources::new();
        // The texts shown, each once (the first unit's), indexed together on every core.
        let mut shown_texts: Vec<(PathBuf, String)> = Vec::new();
        let mut taken: HashSet<PathBuf> = HashSet::new();
        let mut shown_paths = ShownPaths::new();
        for checked in &mut self.checked {
            if let Some(config) = checked.project.as_deref().map(|p| shown_paths.shown(p)) {
                if !report.configs.contains(&config) {
                    report.configs.push(config);
                }
            }
            if let Some(project) = self.workspace.project(&checked.project) {
                if report.catalog.is_empty() {
                    report.catalog = project.catalog.describe();
                }
            }
            report.stats += checked.stats;
            let mut join = std::mem::take(&mut checked.join);
            for finding in &mut join.findings {
                for source in &mut finding.sources {
                    *source = shown_paths.shown(source);
                }
            }
            report.join.extend(join);
            report.messages.append(&mut checked.messages);
            for unit in &mut checked.reports {
                // Only the texts something is shown in: with `[principals]` mappings a unit keeps
                // the others for the join.
                let shown: Vec<PathBuf> = unit.shown_files().cloned().collect();
                let mut texts = std::mem::take(&mut unit.texts);
                for path in shown {
                    if !taken.contains(&path) {
                        if let Some(text) = texts.remove(&path) {
                            taken.insert(path.clone());
                            shown_texts.push((path, text));
                        }
                    }
                }
                report.diagnostics.append(&mut unit.diagnostics);
                report.messages.append(&mut unit.messages);
            }
        }
        sources.extend(shown_texts);
        if report.catalog.is_empty() {
            report.catalog = iamprune_catalog::Catalog::embedded().describe();
        }
        // The run's own messages (a module manifest that does not read) point into files no unit
        // holds: their text is read here, so that they show at their line and column.
        for message in &report.messages {
            if message.span.is_some() && !sources.contains(&message.file) {
                if let Ok(text) = iamprune_syntax::fs::read_to_string(&message.file) {
                    sources.insert(message.file.clone(), text);
                }
            }
        }
        report
            .diagnostics
            .sort_by(|a, b| (&a.file, a.span.start, a.rule).cmp(&(&b.file, b.span.start, b.rule)));
        report
            .messages
            .sort_by(|a, b| (&a.file, a.span, a.level).cmp(&(&b.file, b.span, b.level)));
        match &self.stdin {
            Some(stdin) => stdin.only(report, &sources),
            None => (report, sources),
        }
    }

    /// Whether the report fails the run at the configured level.
    pub fn fails(&self, report: &Report) -> bool {
        report
            .diagnostics
            .iter()
            .any(|d| d.severity >= self.fail_on)
            || report.messages.iter().any(|m| m.level == Level::Error)
            || self.fails_on_unjoined(report)
    }

    /// Whether findings that reach no policy fail the run (`--fail-on-unjoined`, `fail-on-unjoined`).
    pub fn fails_on_unjoined(&self, report: &Report) -> bool {
        self.fail_on_unjoined && report.join.findings.iter().any(|f| !f.joined)
    }
}

/// `--verbose`: what each project of the run loaded and which units it checked, on stderr.
fn say_what_was_done(workspace: &Workspace, checked: &[Checked], elapsed: Duration) {
    for checked in checked {
        let Some(project) = workspace.project(&checked.project) else {
            continue;
        };
        match &project.config_path {
            Some(path) => eprintln!("iamprune: config {}", shown_path(path).display()),
            None => eprintln!("iamprune: no iamprune.toml: the defaults"),
        }
        eprintln!("iamprune: catalog {}", project.catalog.describe());
        match &project.findings {
            Some(findings) => eprintln!(
                "iamprune: findings for {} principal(s), {} file(s) that did not load",
                findings.principal_count(),
                project.findings_errors.len()
            ),
            None => eprintln!("iamprune: no findings: only the catalog rules run"),
        }
        if !project.deployments.is_empty() {
            eprintln!("iamprune: deployment evidence loaded");
        }
        for report in &checked.reports {
            let kind = match report.unit.kind {
                UnitKind::TerraformModule => "Terraform module",
                UnitKind::Template => "template",
                UnitKind::CdkAssembly => "CDK assembly",
            };
            const NAMED: usize = 5;
            let files = &report.unit.files;
            let mut named: Vec<String> = files
                .iter()
                .take(NAMED)
                .map(|f| shown_path(f).display().to_string())
                .collect();
            if files.len() > NAMED {
                named.push(format!("and {} more", files.len() - NAMED));
            }
            eprintln!(
                "iamprune: {kind} {}: {} file(s) [{}], {} diagnostic(s)",
                shown_path(&report.unit.path).display(),
                files.len(),
                named.join(", "),
                report.diagnostics.len()
            );
        }
    }
    let units: usize = checked.iter().map(|c| c.reports.len()).sum();
    eprintln!(
        "iamprune: checked {units} unit(s) in {} ms on {} thread(s)",
        elapsed.as_millis(),
        rayon::current_num_threads()
    );
}

/// The file `--stdin-filename` names, whose text came from standard input.
pub struct StdinFile {
    /// Where it is checked: absolute, as the workspace keys its buffers.
    pub path: PathBuf,
    /// The working directory, canonical: where its unit is found.
    root: PathBuf,
    /// As the user named it, for the report.
    pub shown: PathBuf,
    pub text: String,
}

impl StdinFile {
    /// The report on this file alone, under the name the user gave it. The rest of its unit was read
    /// to check it, but was not asked about.
    fn only(&self, mut report: Report, sources: &Sources) -> (Report, Sources) {
        report.diagnostics.retain(|d| d.file == self.path);
        report.messages.retain(|m| m.file == self.path);
        let mut only = Sources::new();
        only.insert(
            self.shown.clone(),
            sources.text(&self.path).unwrap_or(&self.text).to_string(),
        );
        for d in &mut report.diagnostics {
            d.file = self.shown.clone();
            for related in &mut d.related {
                // The check read the other files it points into (a CDK app's source).
                let shown = shown_path(&related.file);
                if let Some(text) = sources.text(&related.file) {
                    only.insert(shown.clone(), text.to_string());
                }
                related.file = shown;
            }
        }
        for m in &mut report.messages {
            m.file = self.shown.clone();
        }
        (report, only)
    }

    /// Reads standard input as the text of `shown`.
    fn read(shown: &Path) -> anyhow::Result<StdinFile> {
        if FileKind::of(shown).is_none() {
            let endings: Vec<&str> = FileKind::endings().collect();
            anyhow::bail!(
                "{}: not a file iamprune reads ({})",
                shown.display(),
                endings.join(", ")
            );
        }
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| anyhow::anyhow!("cannot read standard input: {e}"))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            anyhow::anyhow!(
                "{}: standard input is not UTF-8 text (byte {} of it)",
                shown.display(),
                e.utf8_error().valid_up_to()
            )
        })?;
        let root = std::env::current_dir().and_then(std::fs::canonicalize)?;
        // Without `.` components, so that the path is the one the walk of the working directory
        // finds.
        let path = root
            .join(shown)
            .components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect();
        Ok(StdinFile {
            path,
            root,
            shown: shown.to_path_buf(),
            text,
        })
    }

    /// Checks the text in the file's unit, found under the working directory as `check .` finds it.
    fn check(&self, workspace: Workspace) -> (Workspace, Option<Checked>) {
        let mut workspace = workspace.with_roots(vec![self.root.clone()]);
        workspace.set_buffer(self.path.clone(), self.text.clone());
        let checked = workspace.check_file(&self.path);
        if checked.is_none() {
            eprintln!(
                "iamprune: note: {}: excluded by the configuration; nothing was checked",
                self.shown.display()
            );
        }
        (workspace, checked)
    }
}

/// A path as the user would write it from the working directory: configurations are found as
/// canonical paths, which would make every report depend on where the repository is checked out.
fn shown_path(path: &std::path::Path) -> PathBuf {
    ShownPaths::new().shown(path)
}

/// [`shown_path`] for many paths: the working directory's real path is found once, not a system
/// call per directory of it per path, and each path is shown once (an organization's findings name
/// one export a million times).
struct ShownPaths {
    cwd: Option<PathBuf>,
    shown: HashMap<PathBuf, PathBuf>,
}

impl ShownPaths {
    fn new() -> ShownPaths {
        ShownPaths {
            cwd: std::env::current_dir().and_then(std::fs::canonicalize).ok(),
            shown: HashMap::new(),
        }
    }

    fn shown(&mut self, path: &std::path::Path) -> PathBuf {
        if let Some(shown) = self.shown.get(path) {
            return shown.clone();
        }
        let shown = self
            .cwd
            .as_deref()
            .and_then(|cwd| pathdiff::diff_paths(path, cwd))
            .unwrap_or_else(|| path.to_path_buf());
        self.shown.insert(path.to_path_buf(), shown.clone());
        shown
    }
}

/// A progress bar on a terminal, shown only when a scan takes more than a moment.
struct Progress {
    bar: ProgressBar,
    enabled: bool,
    started: Instant,
    shown: AtomicBool,
}

impl Progress {
    fn new(enabled: bool) -> Progress {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template("{spinner} checking {pos} files and modules {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        Progress {
            bar,
            enabled,
            started: Instant::now(),
            shown: AtomicBool::new(false),
        }
    }

    fn tick(&self) {
        self.bar.inc(1);
        if self.enabled
            && self.started.elapsed() > Duration::from_millis(300)
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_shown_from_the_working_directory_each_worked_out_once() {
        let cwd = std::env::current_dir()
            .and_then(std::fs::canonicalize)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut paths = ShownPaths::new();
        let inside = cwd.join("testdata/demo/terraform/main.tf");
        assert_eq!(
            paths.shown(&inside),
            PathBuf::from("testdata/demo/terraform/main.tf")
        );
        assert_eq!(paths.shown(&inside), shown_path(&inside));
        let beside = cwd.with_file_name("elsewhere.jsonl");
        assert_eq!(paths.shown(&beside), PathBuf::from("../elsewhere.jsonl"));
        assert_eq!(paths.shown.len(), 2);
    }
}
