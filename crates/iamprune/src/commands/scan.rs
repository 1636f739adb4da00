//! What `check` and `fix` share: configuration, catalog, findings, and the scan itself.

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use anyhow::Context;
use clap::{Args, ValueEnum};
use iamprune_catalog::Catalog;
use iamprune_findings::FindingsSet;
use iamprune_linter::config::Config;
use iamprune_linter::scan::{self, ScanOptions, Unit, UnitReport};
use iamprune_linter::{Level, Linter, Message, Resolver, Severity};
use iamprune_render::{Report, Sources};

use crate::{CatalogRef, findings};

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan (default: the current directory).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Unused-access findings, files or directories in any supported format; may be repeated.
    /// Without findings only the catalog rules run.
    #[arg(long, value_name = "PATH")]
    pub findings: Vec<PathBuf>,
    /// The configuration file (default: the nearest `iamprune.toml` above the first path).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Glob of paths not to scan (gitignore syntax); may be repeated.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// The lowest severity that fails the run (exit code 1).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
    /// The stack name of the scanned templates, for names CloudFormation generates.
    #[arg(long, value_name = "NAME")]
    pub stack_name: Option<String>,
    /// The AWS account id, for `${AWS::AccountId}` in names.
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
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

/// Everything a scan needs, loaded once.
pub struct Session {
    pub config: Config,
    pub catalog: CatalogRef,
    pub findings: Option<FindingsSet>,
    /// Errors loading findings: reported, and the run exits 2.
    pub findings_errors: Vec<iamprune_findings::FindingsError>,
    pub options: ScanOptions,
    pub fail_on: Severity,
    /// Show a progress bar on a terminal when a scan takes more than a moment.
    pub progress: bool,
}

impl Session {
    /// One session per configuration: the paths are grouped by the `iamprune.toml` found above each
    /// (all under `--config` when it is given), so every path is checked with its own findings.
    pub fn load_all(
        args: &ScanArgs,
        catalog_arg: &crate::CatalogArgs,
    ) -> anyhow::Result<Vec<Session>> {
        let paths = if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths.clone()
        };
        for path in &paths {
            if !path.exists() {
                anyhow::bail!("{}: no such file or directory", path.display());
            }
        }
        let mut groups: Vec<(Option<PathBuf>, Vec<PathBuf>)> = Vec::new();
        for path in paths {
            let config = args.config.clone().or_else(|| Config::find(&path));
            match groups.iter_mut().find(|(c, _)| *c == config) {
                Some((_, group)) => group.push(path),
                None => groups.push((config, vec![path])),
            }
        }
        groups
            .into_iter()
            .map(|(config, paths)| Session::load(args, catalog_arg, paths, config))
            .collect()
    }

    fn load(
        args: &ScanArgs,
        catalog_arg: &crate::CatalogArgs,
        paths: Vec<PathBuf>,
        config_path: Option<PathBuf>,
    ) -> anyhow::Result<Session> {
        let config = match &config_path {
            Some(path) => Config::load(path)?,
            None => Config::default(),
        };
        let catalog = match (&catalog_arg.catalog, &config.catalog) {
            (Some(_), _) => catalog_arg.load()?,
            (None, Some(path)) => {
                let path = config.resolve(path);
                CatalogRef::Loaded(Box::new(
                    Catalog::from_path(&path)
                        .with_context(|| "the catalog named in iamprune.toml")?,
                ))
            }
            (None, None) => catalog_arg.load()?,
        };
        let findings_paths: Vec<PathBuf> = if args.findings.is_empty() {
            config.findings_paths()
        } else {
            args.findings.clone()
        };
        let (findings, findings_errors) = if findings_paths.is_empty() {
            (None, Vec::new())
        } else {
            let (set, errors) = findings::load(&findings_paths, None);
            (Some(set), errors)
        };
        let mut options = config.scan_options(paths.clone());
        if let Some(name) = &args.stack_name {
            for path in &paths {
                options.stack_names.insert(path.clone(), name.clone());
            }
        }
        options.exclude.extend(args.exclude.iter().cloned());
        if let Some(account) = &args.account {
            options.account = Some(account.clone());
        }
        for glob in &options.exclude {
            if let Err(e) = ignore::overrides::OverrideBuilder::new(".").add(&format!("!{glob}")) {
                anyhow::bail!("bad --exclude glob `{glob}`: {e}");
            }
        }
        let fail_on = args
            .fail_on
            .map(Severity::from)
            .or(config.fail_on)
            .unwrap_or(Severity::Error);
        let progress = !args.quiet && std::io::stderr().is_terminal();
        Ok(Session {
            progress,
            config,
            catalog,
            findings,
            findings_errors,
            options,
            fail_on,
        })
    }

    pub fn linter(&self) -> Linter<'_> {
        let mut linter = Linter::new(&self.catalog, self.findings.as_ref());
        linter.resolver = Resolver {
            explicit: self.config.principals.clone(),
            account: self.options.account.clone(),
        };
        linter
    }

    /// Discovers and checks every unit.
    pub fn scan(&self, linter: &Linter<'_>) -> (Vec<Unit>, Vec<UnitReport>, Vec<Message>) {
        let (units, messages) = scan::discover(&self.options);
        let bar =
            ProgressBar::with_draw_target(Some(units.len() as u64), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} checking {pos}/{len} files and modules {wide_bar} {elapsed}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let started = Instant::now();
        let shown = AtomicBool::new(false);
        let done = || {
            bar.inc(1);
            // Only scans that take longer than a moment get a bar; quick ones stay quiet.
            if self.progress
                && started.elapsed() > Duration::from_millis(300)
                && !shown.swap(true, Ordering::Relaxed)
            {
                bar.set_draw_target(ProgressDrawTarget::stderr());
            }
        };
        let reports = scan::check(linter, &units, &self.options, &done);
        bar.finish_and_clear();
        (units, reports, messages)
    }

    /// The report of a scan, with the configuration's rule selection and severities applied.
    pub fn report(
        &self,
        reports: &[UnitReport],
        discover_messages: Vec<Message>,
    ) -> (Report, Sources) {
        let mut report = Report {
            version: env!("CARGO_PKG_VERSION").to_string(),
            catalog: self.catalog.describe(),
            ..Report::default()
        };
        let mut sources = Sources::new();
        let mut files: BTreeSet<PathBuf> = BTreeSet::new();
        report.messages = discover_messages;
        for unit in reports {
            files.extend(unit.unit.files.iter().cloned());
            for (path, text) in &unit.texts {
                sources.insert(path.clone(), text.clone());
            }
            report.stats.policies += unit.sites.len();
            for site in &unit.sites {
                if let Ok(document) = iamprune_policy::PolicyDocument::from_node(&site.document) {
                    report.stats.statements += document.statements.len();
                    report.stats.actions += document
                        .statements
                        .iter()
                        .filter_map(|s| s.actions.as_ref())
                        .map(|b| b.elements.len())
                        .sum::<usize>();
                }
            }
            for diagnostic in &unit.diagnostics {
                if self.config.is_ignored(diagnostic.rule) {
                    continue;
                }
                let mut diagnostic = diagnostic.clone();
                diagnostic.severity = self.config.severity(diagnostic.rule);
                report.diagnostics.push(diagnostic);
            }
            report.messages.extend(unit.messages.iter().cloned());
        }
        report.stats.files = files.len();
        // Findings about principals no source declares are worth saying: a typo in a role name, a
        // missing stack name or account, or a mapping that iamprune.toml lacks.
        if let Some(findings) = &self.findings {
            let resolver = self.linter().resolver;
            let matched: BTreeSet<String> = reports
                .iter()
                .flat_map(|unit| &unit.sites)
                .flat_map(|site| resolver.resolve(site, findings).principals)
                .filter(|p| p.findings.is_some())
                .map(|p| p.label)
                .collect();
            for principal in findings.principals() {
                let iamprune_findings::Principal::Arn(arn) = &principal.principal else {
                    continue;
                };
                if matched.contains(&arn.raw)
                    || principal.unused_actions.is_empty() && principal.unused_services.is_empty()
                {
                    continue;
                }
                report.messages.push(Message {
                    level: Level::Note,
                    file: principal.sources.first().cloned().unwrap_or_default(),
                    span: None,
                    message: format!(
                        "the findings for {} match no role or user in the scanned source (map it in iamprune.toml [principals])",
                        arn.raw
                    ),
                });
            }
        }
        // Findings that did not load are errors of the run, in every format as on stderr.
        for error in &self.findings_errors {
            report.messages.push(Message {
                level: Level::Error,
                file: error.file.clone(),
                span: None,
                message: format!("{}:{}: {}", error.line, error.column, error.message),
            });
        }
        report
            .diagnostics
            .sort_by(|a, b| (&a.file, a.span.start, a.rule).cmp(&(&b.file, b.span.start, b.rule)));
        report
            .messages
            .sort_by(|a, b| (&a.file, a.span, a.level).cmp(&(&b.file, b.span, b.level)));
        (report, sources)
    }

    /// Whether the report fails the run at the configured level.
    pub fn fails(&self, report: &Report) -> bool {
        report
            .diagnostics
            .iter()
            .any(|d| d.severity >= self.fail_on)
            || report.messages.iter().any(|m| m.level == Level::Error)
    }
}
