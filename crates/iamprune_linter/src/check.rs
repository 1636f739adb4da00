//! Checking units: extracting their policy sites, running the rules on each, applying suppressions,
//! and verifying the unit's fixes before any of them is offered as safe.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ffi::OsStr;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;

use iamprune_policy::PolicySite;
use rayon::prelude::*;

use crate::analysis::SiteAnalysis;
use crate::diagnostic::{Applicability, Diagnostic};
use crate::edits::FileText;
use crate::extract::ExtractOptions;
use crate::files::{self, read_text};
use crate::fix_loop::{self, FixOutcome};
use crate::join::UnitJoin;
use crate::suppress;
use crate::units::{Unit, UnitKind, canonical};
use crate::workspace::Stats;
use crate::{Level, Linter, Message, SiteCache};

/// A unit after extraction and checking.
#[derive(Debug)]
pub struct UnitReport {
    pub unit: Unit,
    /// Empty in the reports of [`check_units`], which keep only what is reported and the join's part.
    pub sites: Vec<PolicySite>,
    /// What the rules saw of each site, in the order of `sites`; empty where `sites` is.
    pub analyses: Vec<SiteAnalysis>,
    /// The texts of every file a site or diagnostic points into; in the reports of [`check_units`],
    /// of the files something reported points into.
    pub texts: BTreeMap<PathBuf, String>,
    /// With the configuration's rule selection and severities applied.
    pub diagnostics: Vec<Diagnostic>,
    pub messages: Vec<Message>,
    /// Every safe fix of the unit applied and verified: what `fix` writes, and what lets an editor
    /// offer the fixes. Empty when nothing is safe to fix.
    pub fix: FixOutcome,
    /// Whether the fixes were verified (`fix` holds the outcome); until then none may be offered.
    pub verified: bool,
    /// The policies, statements and actions of the sites (`files` is counted across units).
    pub covered: Stats,
    /// What the unit adds to the join of a check of many units; empty in a check of one.
    pub join: UnitJoin,
}

impl UnitReport {
    /// The files something reported points into: a diagnostic, a related place, a message, a fix.
    /// Their texts are the ones a report shows.
    pub fn shown_files(&self) -> impl Iterator<Item = &PathBuf> {
        self.diagnostics
            .iter()
            .flat_map(|d| std::iter::once(&d.file).chain(d.related.iter().map(|r| &r.file)))
            .chain(self.messages.iter().map(|m| &m.file))
            .chain(self.fix.changed.keys())
    }

    fn failed(unit: &Unit, message: Message) -> UnitReport {
        UnitReport {
            unit: unit.clone(),
            sites: Vec::new(),
            analyses: Vec::new(),
            texts: BTreeMap::new(),
            diagnostics: Vec::new(),
            messages: vec![message],
            fix: FixOutcome::default(),
            verified: true,
            covered: Stats::default(),
            join: UnitJoin::default(),
        }
    }

    /// Counts what the sites hold.
    fn count(&mut self) {
        let mut covered = Stats {
            policies: self.sites.len(),
            ..Stats::default()
        };
        for document in self.analyses.iter().filter_map(|a| a.document.as_ref()) {
            covered.statements += document.statements.len();
            covered.actions += document
                .statements
                .iter()
                .filter_map(|s| s.actions.as_ref())
                .map(|b| b.elements.len())
                .sum::<usize>();
        }
        self.covered = covered;
    }

    /// Keeps what a report of many units shows and what their join needs, and lets the rest go: a
    /// repository's sites, analyses and texts held to the end of a run would be most of its memory.
    /// Returns the files other than `.tf` that a Terraform module's sites read.
    fn fold(&mut self, mappings: &BTreeMap<String, String>) -> Vec<PathBuf> {
        self.join = UnitJoin::of(self, mappings);
        let read_by_module = match self.unit.kind {
            UnitKind::TerraformModule => self
                .sites
                .iter()
                .map(|s| &s.file)
                .filter(|f| f.extension().is_none_or(|e| e != "tf"))
                .map(|f| canonical(f))
                .collect(),
            _ => Vec::new(),
        };
        self.sites = Vec::new();
        self.analyses = Vec::new();
        let shown: BTreeSet<PathBuf> = self.shown_files().cloned().collect();
        self.texts.retain(|path, _| shown.contains(path));
        read_by_module
    }
}

/// Checks every unit, in parallel, folding each report as it is done ([`UnitReport::fold`]):
/// `texts` are files already read ([`crate::units::UnitGraph::texts`]), `mappings` the
/// configuration's `[principals]`. A panic in one unit is reported as an internal error for that
/// unit; the others go on. `done` is called after each unit (for a progress bar).
pub fn check_units(
    linter: &Linter<'_>,
    units: &[Unit],
    mut texts: HashMap<PathBuf, String>,
    options: &ExtractOptions,
    mappings: &BTreeMap<String, String>,
    done: &(dyn Fn() + Sync),
) -> Vec<UnitReport> {
    // The heaviest units first: a Terraform module or CDK assembly started last would leave one
    // thread working alone at the end. Stable, so the rest keep their order.
    let mut order: Vec<usize> = (0..units.len()).collect();
    order.sort_by_key(|&i| Reverse((units[i].kind != UnitKind::Template, units[i].files.len())));
    // Each unit takes its texts along, and lets them go when it is checked.
    let jobs: Vec<(usize, BTreeMap<PathBuf, String>)> = order
        .iter()
        .map(|&i| {
            let read = units[i]
                .files
                .iter()
                .filter_map(|f| texts.remove_entry(f))
                .collect();
            (i, read)
        })
        .collect();
    let mut checked: Vec<(usize, UnitReport, Vec<PathBuf>)> = jobs
        .into_par_iter()
        .map(|(i, read)| {
            let mut report = check_unit(linter, &units[i], options, &read);
            let read = report.fold(mappings);
            (i, report, read)
        })
        .inspect(|_| done())
        .collect();
    checked.sort_unstable_by_key(|(i, ..)| *i);
    let (mut reports, read_by_modules): (Vec<UnitReport>, Vec<Vec<PathBuf>>) = checked
        .into_iter()
        .map(|(_, report, read)| (report, read))
        .unzip();
    // A JSON file that a Terraform module reads with `file()` is checked as part of that module,
    // where its principals are known, not a second time as a standalone policy.
    let read_by_modules: BTreeSet<PathBuf> = read_by_modules.into_iter().flatten().collect();
    if !read_by_modules.is_empty() {
        // A real path costs a system call per directory of the path, and a file's real path ends
        // in its own name unless it is a link: only those that may be read are resolved, on every
        // core.
        let names: HashSet<&OsStr> = read_by_modules
            .iter()
            .filter_map(|p| p.file_name())
            .collect();
        let read = |f: &PathBuf| {
            let may_be = f.file_name().is_some_and(|n| names.contains(n)) || f.is_symlink();
            may_be && read_by_modules.contains(&canonical(f))
        };
        let keep: Vec<bool> = reports
            .par_iter()
            .map(|r| r.unit.kind != UnitKind::Template || !r.unit.files.iter().all(read))
            .collect();
        let mut keep = keep.into_iter();
        reports.retain(|_| keep.next().unwrap_or(true));
    }
    reports
}

/// Checks one unit, taking the texts of some files from `buffers` instead of the disk: the buffers an
/// editor holds, unsaved. A panic is reported as an internal error of the unit.
pub fn check_unit(
    linter: &Linter<'_>,
    unit: &Unit,
    options: &ExtractOptions,
    buffers: &BTreeMap<PathBuf, String>,
) -> UnitReport {
    let never = Interrupt::never();
    // `never` never interrupts: neither half returns `Err`.
    let checked =
        check_unit_unverified(linter, unit, options, buffers, &never).map(|mut report| {
            let _ = verify_unit(linter, &mut report, options, &never);
            report
        });
    checked.unwrap_or_else(|Interrupted| UnitReport::failed(unit, panicked(unit)))
}

/// The first half of [`check_unit`], for an editor that shows diagnostics before their fixes are
/// verified: the unit's diagnostics, with its fixes not yet verified ([`UnitReport::verified`] is
/// false until [`verify_unit`] ran). Stops early, with `Err`, when `interrupt` says the result would
/// be stale.
pub fn check_unit_unverified(
    linter: &Linter<'_>,
    unit: &Unit,
    options: &ExtractOptions,
    buffers: &BTreeMap<PathBuf, String>,
    interrupt: &Interrupt<'_>,
) -> Result<UnitReport, Interrupted> {
    std::panic::catch_unwind(AssertUnwindSafe(|| {
        check_unit_unguarded(linter, unit, options, buffers, interrupt)
    }))
    .unwrap_or_else(|_| Ok(UnitReport::failed(unit, panicked(unit))))
}

/// The second half of [`check_unit`]: applies every safe fix of the unit and verifies the result; a
/// fix is offered as safe only after this.
pub fn verify_unit(
    linter: &Linter<'_>,
    report: &mut UnitReport,
    options: &ExtractOptions,
    interrupt: &Interrupt<'_>,
) -> Result<(), Interrupted> {
    let verified = std::panic::catch_unwind(AssertUnwindSafe(|| {
        verify_fixes(linter, report, options, interrupt)
    }));
    match verified {
        Ok(result) => result?,
        Err(_) => {
            let unit = report.unit.clone();
            *report = UnitReport::failed(&unit, panicked(&unit));
        }
    }
    report.verified = true;
    Ok(())
}

fn panicked(unit: &Unit) -> Message {
    files::error(
        &unit.path,
        "internal error: checking this file panicked; please report it with the file".into(),
    )
}

/// Asked between steps of a check whether to stop it because its result would be stale (an editor
/// received a newer text). A check that is never interrupted is the command line's.
pub struct Interrupt<'a>(Option<&'a dyn Fn() -> bool>);

impl<'a> Interrupt<'a> {
    pub fn never() -> Interrupt<'static> {
        Interrupt(None)
    }

    pub fn when(asked: &'a dyn Fn() -> bool) -> Interrupt<'a> {
        Interrupt(Some(asked))
    }

    /// This interrupt when `enabled`, else one that never interrupts.
    pub fn only_if(self, enabled: bool) -> Interrupt<'a> {
        if enabled { self } else { Interrupt(None) }
    }

    /// `Err` when the check should stop.
    pub fn check(&self) -> Result<(), Interrupted> {
        match self.0 {
            Some(asked) if asked() => Err(Interrupted),
            _ => Ok(()),
        }
    }
}

/// A check stopped by its [`Interrupt`]: nothing of it is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

fn check_unit_unguarded(
    linter: &Linter<'_>,
    unit: &Unit,
    options: &ExtractOptions,
    buffers: &BTreeMap<PathBuf, String>,
    interrupt: &Interrupt<'_>,
) -> Result<UnitReport, Interrupted> {
    let mut texts = BTreeMap::new();
    let mut messages = Vec::new();
    if unit.kind != UnitKind::CdkAssembly {
        // A module's variable files name its principals when it is a root: read with the module, once
        // per check, so that extraction (and each round of the fix loop) takes them from `texts`.
        let variable_files: BTreeSet<PathBuf> = match unit.kind {
            UnitKind::TerraformModule => unit
                .files
                .iter()
                .filter_map(|f| f.parent())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .flat_map(files::variable_files)
                .collect(),
            _ => BTreeSet::new(),
        };
        for file in unit.files.iter().chain(&variable_files) {
            if let Some(text) = buffers.get(file) {
                texts.insert(file.clone(), text.clone());
                continue;
            }
            match read_text(file) {
                Ok(text) => {
                    texts.insert(file.clone(), text);
                }
                Err(message) => messages.push(message),
            }
        }
    }
    interrupt.check()?;
    let (sites, extract_messages) = crate::extract::extract(unit, &texts, options);
    messages.extend(extract_messages);
    interrupt.check()?;
    let linted = lint_sites(linter, unit, &sites, &mut texts, interrupt)?;
    messages.extend(linted.messages);
    let mut diagnostics = linted.diagnostics;
    apply_suppressions(&texts, &mut diagnostics, &mut messages);
    if unit.kind == UnitKind::CdkAssembly && !diagnostics.is_empty() {
        point_to_app_sources(unit, &mut diagnostics, &mut texts);
    }
    let mut report = UnitReport {
        unit: unit.clone(),
        sites,
        analyses: linted.analyses,
        texts,
        diagnostics,
        messages,
        fix: FixOutcome::default(),
        verified: false,
        covered: Stats::default(),
        join: UnitJoin::default(),
    };
    report.count();
    Ok(report)
}

/// Points the diagnostics of a CDK assembly at the lines of the app's source that wrote them too.
fn point_to_app_sources(
    unit: &Unit,
    diagnostics: &mut [Diagnostic],
    texts: &mut BTreeMap<PathBuf, String>,
) {
    let sources = crate::cdk_source::app_sources(&unit.path);
    crate::cdk_source::point_to_sources(diagnostics, texts, &sources);
    for diagnostic in diagnostics.iter() {
        for related in &diagnostic.related {
            if let Some(text) = sources.get(&related.file) {
                texts
                    .entry(related.file.clone())
                    .or_insert_with(|| text.clone());
            }
        }
    }
}

/// Applies every safe fix of the unit and verifies the result, as `fix` does before it writes. Fixes
/// that fail are shown, not offered, and the reason is noted.
fn verify_fixes(
    linter: &Linter<'_>,
    report: &mut UnitReport,
    options: &ExtractOptions,
    interrupt: &Interrupt<'_>,
) -> Result<(), Interrupted> {
    let is_safe = |d: &Diagnostic| {
        d.fix
            .as_ref()
            .is_some_and(|f| f.applicability == Applicability::Safe)
    };
    // The files the fixes would change: where the reason they are not offered is said.
    let fixed_files: BTreeSet<PathBuf> = report
        .diagnostics
        .iter()
        .filter(|d| is_safe(d))
        .map(|d| d.file.clone())
        .collect();
    if fixed_files.is_empty() {
        return Ok(());
    }
    let outcome = fix_loop::fix_unit(linter, report, options, interrupt)?;
    if outcome.failed() {
        for fix in report.diagnostics.iter_mut().filter_map(|d| d.fix.as_mut()) {
            fix.applicability = Applicability::DisplayOnly;
        }
        // The reasons' positions are in the fixed text, not this one: the note names the file only.
        let reasons: Vec<&str> = outcome
            .messages
            .iter()
            .map(|m| m.message.as_str())
            .collect();
        let note = format!("its fixes are shown, not applied: {}", reasons.join("; "));
        report
            .messages
            .extend(fixed_files.into_iter().map(|file| Message {
                level: Level::Note,
                file,
                span: None,
                message: note.clone(),
            }));
    }
    report.fix = outcome;
    Ok(())
}

/// What linting the sites of a unit gave.
pub(crate) struct Linted {
    pub diagnostics: Vec<Diagnostic>,
    pub messages: Vec<Message>,
    pub analyses: Vec<SiteAnalysis>,
}

/// Checks the sites of a unit, reading any file a site points into that is not read yet (the JSON
/// file of a Terraform `file()`, the templates of a CDK assembly).
pub(crate) fn lint_sites(
    linter: &Linter<'_>,
    unit: &Unit,
    sites: &[PolicySite],
    texts: &mut BTreeMap<PathBuf, String>,
    interrupt: &Interrupt<'_>,
) -> Result<Linted, Interrupted> {
    let mut linted = Linted {
        diagnostics: Vec::new(),
        messages: Vec::new(),
        analyses: Vec::with_capacity(sites.len()),
    };
    let mut unreadable = BTreeSet::new();
    for site in sites {
        if texts.contains_key(&site.file) || unreadable.contains(&site.file) {
            continue;
        }
        match read_text(&site.file) {
            Ok(text) => {
                texts.insert(site.file.clone(), text);
            }
            Err(message) => {
                linted.messages.push(message);
                unreadable.insert(site.file.clone());
            }
        }
    }
    let files: BTreeMap<&PathBuf, FileText<'_>> = texts
        .iter()
        .map(|(path, text)| (path, FileText::new(text)))
        .collect();
    let generated = unit.kind == UnitKind::CdkAssembly && !linter.fix_generated;
    let mut cache = linter.site_cache.map(SiteCache::session);
    let reused = match cache.as_mut() {
        Some(cache) => cache.reuse_all(sites, &files, generated),
        None => sites.iter().map(|_| None).collect(),
    };
    for (site, reused) in sites.iter().zip(reused) {
        interrupt.check()?;
        let Some(file) = files.get(&site.file) else {
            linted.analyses.push(SiteAnalysis::empty(site));
            continue;
        };
        let report = reused.unwrap_or_else(|| {
            let report = linter.lint_site_in(site, file, generated);
            if let Some(cache) = cache.as_mut() {
                cache.keep(site, file, generated, &report);
            }
            report
        });
        linted.diagnostics.extend(report.diagnostics);
        linted.messages.extend(report.messages);
        linted.analyses.push(report.analysis);
    }
    if let Some(cache) = cache {
        cache.finish();
    }
    crate::rules::check_unit(sites, &linted.analyses, &mut linted.diagnostics);
    // Rules turned off are dropped here, where every check and every round of the fix loop passes,
    // before suppressions, fixes or reports see them.
    linter.rules.apply(&mut linted.diagnostics);
    Ok(linted)
}

/// Drops the diagnostics that inline suppressions cover, and reports the suppressions that cover
/// nothing. Only texts that mention `iamprune` are searched, which keeps this off the hot path.
pub(crate) fn apply_suppressions(
    texts: &BTreeMap<PathBuf, String>,
    diagnostics: &mut Vec<Diagnostic>,
    messages: &mut Vec<Message>,
) {
    let mut suppressions = Vec::new();
    for (path, text) in texts.iter().filter(|(_, t)| t.contains("iamprune")) {
        let (found, problems) = suppress::of_file(path, text);
        suppressions.extend(found);
        messages.extend(problems);
    }
    if !suppressions.is_empty() {
        suppress::apply(diagnostics, &suppressions, messages);
    }
}
