//! Walking paths into units (a Terraform module, a template, a CDK assembly), extracting their policy
//! sites in parallel, checking them, and the fix loop over a unit.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use iamprune_policy::PolicySite;
use rayon::prelude::*;

use crate::diagnostic::Diagnostic;
use crate::fix::{self, FixError};
use crate::suppress;
use crate::{Level, Linter, Message};

/// Files larger than this are reported and skipped: no policy file is this big, and reading one
/// would cost more than the whole rest of a scan.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    pub paths: Vec<PathBuf>,
    /// Globs (gitignore syntax) of paths to leave out.
    pub exclude: Vec<String>,
    /// Template path → the stack deployed from it.
    pub stack_names: BTreeMap<PathBuf, String>,
    pub account: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum UnitKind {
    /// The `.tf` and `.tf.json` files of one directory.
    TerraformModule,
    /// One JSON or YAML file: a CloudFormation template, a standalone policy, or neither.
    Template,
    /// A `cdk.out` cloud assembly: generated, so its fixes are shown, not applied.
    CdkAssembly,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unit {
    pub kind: UnitKind,
    /// The directory of a module or assembly, the file of a template.
    pub path: PathBuf,
    pub files: Vec<PathBuf>,
}

/// A unit after extraction and checking.
#[derive(Debug)]
pub struct UnitReport {
    pub unit: Unit,
    pub sites: Vec<PolicySite>,
    /// The texts of every file a site or diagnostic points into.
    pub texts: BTreeMap<PathBuf, String>,
    pub diagnostics: Vec<Diagnostic>,
    pub messages: Vec<Message>,
}

/// Finds the units under `options.paths`, honouring `.gitignore` and the excludes. Sorted, so output
/// is the same from run to run.
pub fn discover(options: &ScanOptions) -> (Vec<Unit>, Vec<Message>) {
    let mut messages = Vec::new();
    let mut files: BTreeSet<PathBuf> = BTreeSet::new();
    // `check a ./a` or an absolute and a relative path to the same place: each file once.
    let mut seen: std::collections::HashSet<PathBuf> = std::collections::HashSet::new();
    for root in &options.paths {
        if !root.exists() {
            messages.push(error(root, "no such file or directory".into()));
            continue;
        }
        let mut overrides = ignore::overrides::OverrideBuilder::new(root);
        for glob in &options.exclude {
            if let Err(e) = overrides.add(&format!("!{glob}")) {
                messages.push(error(root, format!("bad exclude glob `{glob}`: {e}")));
            }
        }
        // A Terraform file named alone is checked in its module: its principals are known only there.
        let is_tf = |p: &Path| {
            let name = p.to_string_lossy().to_ascii_lowercase();
            name.ends_with(".tf") || name.ends_with(".tf.json")
        };
        if root.is_file() && is_tf(root) {
            if let Some(Unit { files: module, .. }) = unit_for(root) {
                for file in module.into_iter().filter(|f| is_tf(f)) {
                    if seen.insert(std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone())) {
                        files.insert(file);
                    }
                }
            }
            continue;
        }
        let mut walk = ignore::WalkBuilder::new(root);
        // Hidden directories hold CI workflows and tool state, not infrastructure; but a path the user
        // names is scanned whatever its name.
        walk.hidden(true).require_git(false);
        if let Ok(overrides) = overrides.build() {
            walk.overrides(overrides);
        }
        for entry in walk.build() {
            match entry {
                Ok(entry) if entry.file_type().is_some_and(|t| t.is_file()) => {
                    let path = entry.into_path();
                    if seen.insert(std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone())) {
                        files.insert(path);
                    }
                }
                Ok(_) => {}
                Err(e) => messages.push(error(root, e.to_string())),
            }
        }
    }
    (units_of(files), messages)
}

fn units_of(files: BTreeSet<PathBuf>) -> Vec<Unit> {
    let assemblies: BTreeSet<PathBuf> = files
        .iter()
        .filter(|f| f.file_name().is_some_and(|n| n == "manifest.json") && is_cdk_assembly(f))
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .collect();
    // Nested assemblies (stages) are read through their parent's manifest.
    let top: Vec<PathBuf> = assemblies
        .iter()
        .filter(|a| {
            !assemblies
                .iter()
                .any(|other| other != *a && a.starts_with(other))
        })
        .cloned()
        .collect();
    let mut modules: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    let mut units = Vec::new();
    for file in files {
        if let Some(assembly) = top.iter().find(|a| file.starts_with(a)) {
            if file.file_name().is_some_and(|n| n == "manifest.json")
                && file.parent() == Some(assembly)
            {
                units.push(Unit {
                    kind: UnitKind::CdkAssembly,
                    path: assembly.clone(),
                    files: vec![file],
                });
            }
            continue;
        }
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if name.ends_with(".tf") || name.ends_with(".tf.json") {
            let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
            modules.entry(dir).or_default().push(file);
        } else if [".json", ".yaml", ".yml", ".template", ".cfn"]
            .iter()
            .any(|ext| name.ends_with(ext))
        {
            units.push(Unit {
                kind: UnitKind::Template,
                path: file.clone(),
                files: vec![file],
            });
        }
    }
    units.extend(module_groups(modules).into_iter().map(|(dir, files)| Unit {
        kind: UnitKind::TerraformModule,
        path: dir,
        files,
    }));
    units.sort();
    units
}

/// Terraform modules that call each other through local paths (`source = "./modules/app"`) are one
/// unit, so that a role name passed into a module reaches the policies inside it.
fn module_groups(modules: BTreeMap<PathBuf, Vec<PathBuf>>) -> Vec<(PathBuf, Vec<PathBuf>)> {
    let dirs: Vec<PathBuf> = modules.keys().cloned().collect();
    let mut parent: Vec<usize> = (0..dirs.len()).collect();
    // A policy file that two modules read with `file()` reaches the principals of both: they are one
    // unit, so that it is narrowed only by what none of them used.
    let mut readers: BTreeMap<PathBuf, usize> = BTreeMap::new();
    fn find(parent: &mut [usize], i: usize) -> usize {
        let mut root = i;
        while parent[root] != root {
            root = parent[root];
        }
        parent[i] = root;
        root
    }
    for (i, (dir, files)) in modules.iter().enumerate() {
        for file in files {
            let Ok(text) = std::fs::read_to_string(file) else {
                continue;
            };
            for target in local_sources(&text) {
                let called = lexical_join(dir, &target);
                if let Some(j) = dirs.iter().position(|d| *d == called) {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    parent[a.max(b)] = a.min(b);
                }
            }
            for target in read_files(&text) {
                let path = lexical_join(dir, &target);
                match readers.get(&path) {
                    Some(&j) => {
                        let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                        parent[a.max(b)] = a.min(b);
                    }
                    None => {
                        readers.insert(path, i);
                    }
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, (PathBuf, Vec<PathBuf>)> = BTreeMap::new();
    for (i, (dir, files)) in modules.into_iter().enumerate() {
        let root = find(&mut parent, i);
        let entry = groups
            .entry(root)
            .or_insert_with(|| (dir.clone(), Vec::new()));
        entry.1.extend(files);
    }
    groups.into_values().collect()
}

/// The `source = "./…"` and `"../…"` paths of module calls, found line by line: a full parse here would
/// be done again by the extractor.
fn local_sources(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let rest = line
                .trim_start()
                .strip_prefix("source")?
                .trim_start()
                .strip_prefix('=')?
                .trim();
            let value = rest.strip_prefix('"')?.split('"').next()?;
            (value.starts_with("./") || value.starts_with("../")).then(|| value.to_string())
        })
        .collect()
}

/// The literal paths `file("${path.module}/x.json")` and `templatefile(...)` name, relative to the
/// module's directory.
fn read_files(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("file(") {
        let Some(rest) = text.get(at + "file(".len()..) else {
            continue;
        };
        let Some(literal) = rest
            .trim_start()
            .strip_prefix('"')
            .and_then(|r| r.split('"').next())
        else {
            continue;
        };
        let path = literal
            .strip_prefix("${path.module}/")
            .map(str::to_string)
            .unwrap_or_else(|| literal.to_string());
        if !path.contains("${") && !path.starts_with('/') {
            out.push(path);
        }
    }
    out
}

/// `dir` joined with a relative path, `..` and `.` resolved without touching the file system.
fn lexical_join(dir: &Path, relative: &str) -> PathBuf {
    let mut out = dir.to_path_buf();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if !out.pop() || out.as_os_str().is_empty() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The unit a file belongs to, for checking one file as an editor has it: a Terraform file's module
/// (every `.tf` and `.tf.json` beside it), a CDK assembly's template, or the file alone.
pub fn unit_for(file: &Path) -> Option<Unit> {
    let name = file.file_name()?.to_str()?.to_ascii_lowercase();
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    if name.ends_with(".tf") || name.ends_with(".tf.json") {
        let mut files: Vec<PathBuf> = std::fs::read_dir(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            &dir
        })
        .map(|entries| {
            entries
                .flatten()
                .map(|e| dir.join(e.file_name()))
                .filter(|p| {
                    let n = p.to_string_lossy().to_ascii_lowercase();
                    n.ends_with(".tf") || n.ends_with(".tf.json")
                })
                .collect()
        })
        .unwrap_or_default();
        if !files.contains(&file.to_path_buf()) {
            files.push(file.to_path_buf());
        }
        files.sort();
        return Some(Unit {
            kind: UnitKind::TerraformModule,
            path: dir,
            files,
        });
    }
    if [".json", ".yaml", ".yml", ".template", ".cfn"]
        .iter()
        .any(|ext| name.ends_with(ext))
    {
        let manifest = dir.join("manifest.json");
        if name != "manifest.json" && manifest.is_file() && is_cdk_assembly(&manifest) {
            return Some(Unit {
                kind: UnitKind::CdkAssembly,
                path: dir,
                files: vec![manifest],
            });
        }
        return Some(Unit {
            kind: UnitKind::Template,
            path: file.to_path_buf(),
            files: vec![file.to_path_buf()],
        });
    }
    None
}

/// A `manifest.json` of a CDK cloud assembly names its artifacts; other manifests do not.
fn is_cdk_assembly(manifest: &Path) -> bool {
    std::fs::metadata(manifest).is_ok_and(|m| m.len() < MAX_FILE_BYTES)
        && std::fs::read_to_string(manifest)
            .is_ok_and(|t| t.contains("\"artifacts\"") && t.contains("aws:cloudformation:stack"))
}

/// Reads a file as text; a file that is too large, binary, or not UTF-8 is an error message.
pub fn read_text(path: &Path) -> Result<String, Message> {
    let meta = std::fs::metadata(path).map_err(|e| error(path, format!("cannot read: {e}")))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(error(
            path,
            format!(
                "{} bytes: larger than the {MAX_FILE_BYTES} bytes a policy file could need; skipped",
                meta.len()
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| error(path, format!("cannot read: {e}")))?;
    if bytes.contains(&0) {
        return Err(error(
            path,
            "a binary file (it holds NUL bytes); skipped".into(),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        error(
            path,
            format!(
                "not UTF-8 text (invalid byte at offset {}); skipped",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

pub(crate) fn error(path: &Path, message: String) -> Message {
    Message {
        level: Level::Error,
        file: path.to_path_buf(),
        span: None,
        message,
    }
}

/// Extracts and checks every unit, in parallel. A panic in one unit is reported as an internal error
/// for that unit; the others go on.
/// `done` is called after each unit (for a progress bar).
pub fn check(
    linter: &Linter<'_>,
    units: &[Unit],
    options: &ScanOptions,
    done: &(dyn Fn() + Sync),
) -> Vec<UnitReport> {
    let mut reports: Vec<UnitReport> = units
        .par_iter()
        .map(|unit| {
            std::panic::catch_unwind(AssertUnwindSafe(|| check_unit(linter, unit, options))).unwrap_or_else(|_| {
                UnitReport {
                    unit: unit.clone(),
                    sites: Vec::new(),
                    texts: BTreeMap::new(),
                    diagnostics: Vec::new(),
                    messages: vec![error(
                        &unit.path,
                        "internal error: checking this file panicked; please report it with the file".into(),
                    )],
                }
            })
        })
        .inspect(|_| done())
        .collect();
    // A JSON file that a Terraform module reads with `file()` is checked as part of that module, where
    // its principals are known, not a second time as a standalone policy.
    let read_by_modules: BTreeSet<PathBuf> = reports
        .iter()
        .filter(|r| r.unit.kind == UnitKind::TerraformModule)
        .flat_map(|r| r.sites.iter().map(|s| s.file.clone()))
        .filter(|f| f.extension().is_none_or(|e| e != "tf"))
        .map(|f| std::fs::canonicalize(&f).unwrap_or(f))
        .collect();
    reports.retain(|r| {
        r.unit.kind != UnitKind::Template
            || !r.unit.files.iter().all(|f| {
                read_by_modules.contains(&std::fs::canonicalize(f).unwrap_or_else(|_| f.clone()))
            })
    });
    reports
}

fn check_unit(linter: &Linter<'_>, unit: &Unit, options: &ScanOptions) -> UnitReport {
    check_unit_with(linter, unit, options, &BTreeMap::new())
}

/// Checks one unit, taking the texts of some files from `open` instead of the disk: the buffers an
/// editor holds, unsaved.
pub fn check_unit_with(
    linter: &Linter<'_>,
    unit: &Unit,
    options: &ScanOptions,
    open: &BTreeMap<PathBuf, String>,
) -> UnitReport {
    let mut texts = BTreeMap::new();
    let mut messages = Vec::new();
    if unit.kind != UnitKind::CdkAssembly {
        for file in &unit.files {
            if let Some(text) = open.get(file) {
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
    let (sites, extract_messages) = crate::extract::extract(unit, &texts, options);
    messages.extend(extract_messages);
    let (mut diagnostics, lint_messages) = lint_sites(linter, unit, &sites, &mut texts);
    messages.extend(lint_messages);
    apply_suppressions(&texts, &mut diagnostics, &mut messages);
    if unit.kind == UnitKind::CdkAssembly && !diagnostics.is_empty() {
        let sources = crate::cdk_source::app_sources(&unit.path);
        crate::cdk_source::point_to_sources(&mut diagnostics, &texts, &sources);
        for diagnostic in &diagnostics {
            for related in &diagnostic.related {
                if let Some(text) = sources.get(&related.file) {
                    texts
                        .entry(related.file.clone())
                        .or_insert_with(|| text.clone());
                }
            }
        }
    }
    UnitReport {
        unit: unit.clone(),
        sites,
        texts,
        diagnostics,
        messages,
    }
}

/// Checks the sites of a unit, reading any file a site points into that is not read yet (the JSON
/// file of a Terraform `file()`, the templates of a CDK assembly).
fn lint_sites(
    linter: &Linter<'_>,
    unit: &Unit,
    sites: &[PolicySite],
    texts: &mut BTreeMap<PathBuf, String>,
) -> (Vec<Diagnostic>, Vec<Message>) {
    let mut diagnostics = Vec::new();
    let mut messages = Vec::new();
    for site in sites {
        if !texts.contains_key(&site.file) {
            match read_text(&site.file) {
                Ok(text) => {
                    texts.insert(site.file.clone(), text);
                }
                Err(message) => {
                    messages.push(message);
                    continue;
                }
            }
        }
        let text = texts.get(&site.file).map(String::as_str).unwrap_or("");
        let generated = unit.kind == UnitKind::CdkAssembly && !linter.fix_generated;
        let report = linter.lint_site(site, text, generated);
        diagnostics.extend(report.diagnostics);
        messages.extend(report.messages);
    }
    crate::rules::check_unit(sites, &mut diagnostics);
    (diagnostics, messages)
}

/// Drops the diagnostics that inline suppressions cover, and reports the suppressions that cover
/// nothing. Only texts that mention `iamprune` are searched, which keeps this off the hot path.
fn apply_suppressions(
    texts: &BTreeMap<PathBuf, String>,
    diagnostics: &mut Vec<Diagnostic>,
    messages: &mut Vec<Message>,
) {
    let mut suppressions = Vec::new();
    for (path, text) in texts.iter().filter(|(_, t)| t.contains("iamprune")) {
        let name = path.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".json") || name.ends_with(".template") {
            if let Ok(tree) = iamprune_syntax::json::parse(text) {
                suppressions.extend(suppress::from_metadata(path, &tree));
            }
            continue;
        }
        let (found, problems) = suppress::from_comments(path, text);
        suppressions.extend(found);
        messages.extend(problems);
        if name.ends_with(".yaml") || name.ends_with(".yml") {
            if let Ok(tree) = iamprune_cfn::yaml::parse(text) {
                suppressions.extend(suppress::from_metadata(path, &tree.root));
            }
        }
    }
    if !suppressions.is_empty() {
        suppress::apply(diagnostics, &suppressions, messages);
    }
}

/// What fixing a unit did.
#[derive(Debug, Default)]
pub struct FixOutcome {
    /// File → (original text, fixed text), for the files that change.
    pub changed: BTreeMap<PathBuf, (String, String)>,
    /// How many fixes were applied.
    pub applied: usize,
    pub messages: Vec<Message>,
}

/// Applies the safe fixes of a unit in memory until none is left (or [`fix::MAX_ROUNDS`]), then
/// re-extracts the result and verifies every document against the original before anything is
/// returned for writing. A unit whose result fails is left as it was, with an error message.
pub fn fix_unit(linter: &Linter<'_>, report: &UnitReport, options: &ScanOptions) -> FixOutcome {
    // A panic while fixing one unit leaves it unwritten and reported; the others go on.
    std::panic::catch_unwind(AssertUnwindSafe(|| fix_unit_unguarded(linter, report, options))).unwrap_or_else(|_| {
        FixOutcome {
            messages: vec![error(
                &report.unit.path,
                "internal error: fixing this file panicked; nothing was written; please report it with the file".into(),
            )],
            ..FixOutcome::default()
        }
    })
}

fn fix_unit_unguarded(
    linter: &Linter<'_>,
    report: &UnitReport,
    options: &ScanOptions,
) -> FixOutcome {
    if report.unit.kind == UnitKind::CdkAssembly && !linter.fix_generated {
        return FixOutcome::default();
    }
    // Nothing is written when any step fails: the outcome holds only the reasons.
    let failed = |messages: Vec<Message>| FixOutcome {
        messages,
        ..FixOutcome::default()
    };
    let mut applied = 0;
    let mut texts = report.texts.clone();
    let mut diagnostics = report.diagnostics.clone();
    // The sites of the fixed texts, from the last round's extraction, for the verification.
    let mut fixed_sites = None;
    // Errors the original had too (a missing `file()` target) are not the fix's doing.
    let known: BTreeSet<&str> = report.messages.iter().map(|m| m.message.as_str()).collect();
    for _ in 0..fix::MAX_ROUNDS {
        let selected = fix::select(&diagnostics);
        if selected.is_empty() {
            break;
        }
        for (file, edits) in &selected {
            let Some(text) = texts.get(file) else {
                continue;
            };
            match fix::apply(file, text, edits) {
                Ok(new) => {
                    texts.insert(file.clone(), new);
                }
                Err(e) => return failed(vec![error(file, e.to_string())]),
            }
        }
        applied += selected.values().map(Vec::len).sum::<usize>();
        let (sites, messages) = crate::extract::extract(&report.unit, &texts, options);
        if messages
            .iter()
            .any(|m| m.level == Level::Error && !known.contains(m.message.as_str()))
        {
            let mut reasons = vec![error(
                &report.unit.path,
                "the fixed text does not parse; nothing was written".into(),
            )];
            reasons.extend(messages);
            return failed(reasons);
        }
        diagnostics = lint_sites(linter, &report.unit, &sites, &mut texts).0;
        apply_suppressions(&texts, &mut diagnostics, &mut Vec::new());
        fixed_sites = Some(sites);
    }
    let Some(fixed_sites) = fixed_sites else {
        return FixOutcome::default();
    };
    if let Err(reason) = verify(linter, report, &fixed_sites) {
        return failed(vec![error(
            &report.unit.path,
            format!("the fix failed its verification ({reason}); nothing was written"),
        )]);
    }
    let mut outcome = FixOutcome {
        applied,
        ..FixOutcome::default()
    };
    for (file, text) in texts {
        if let Some(original) = report.texts.get(&file).filter(|o| **o != text) {
            outcome.changed.insert(file, (original.clone(), text));
        }
    }
    outcome
}

/// Checks each fixed document against its original.
fn verify(linter: &Linter<'_>, report: &UnitReport, after: &[PolicySite]) -> Result<(), String> {
    let pairs = fix::pair_sites(&report.sites, after)?;
    for (before, after) in pairs {
        let Ok(old) = iamprune_policy::PolicyDocument::from_node(&before.document) else {
            // Not a policy document before the fix either (it was reported): nothing was refined in it,
            // so it must be exactly as it was.
            if iamprune_policy::output::to_json(&before.document)
                != iamprune_policy::output::to_json(&after.document)
            {
                return Err(format!(
                    "`{}` changed though it is not a policy document",
                    before.owner
                ));
            }
            continue;
        };
        let Ok(new) = iamprune_policy::PolicyDocument::from_node(&after.document) else {
            return Err(format!("`{}` is no longer a policy document", before.owner));
        };
        let unused = linter.findings.and_then(|findings| {
            let resolution = linter.resolver.resolve(before, findings);
            crate::resolve::unused_for(linter.catalog, &resolution)
        });
        let identity = matches!(
            before.purpose,
            iamprune_policy::Purpose::ManagedPolicy | iamprune_policy::Purpose::InlinePolicy
        );
        fix::verify_document(
            linter.catalog,
            (&before.document, &old),
            (&after.document, &new),
            unused.as_ref().filter(|_| identity),
        )
        .map_err(|e| format!("{}: {e}", before.owner))?;
    }
    Ok(())
}

/// Writes the changed files of a fix.
pub fn write(outcome: &FixOutcome) -> Result<(), FixError> {
    for (file, (_, text)) in &outcome.changed {
        fix::write_atomic(file, text)?;
    }
    Ok(())
}
