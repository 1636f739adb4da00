//! Units: what is checked together. A Terraform module with the local modules it calls and the modules
//! that share a policy file with it, a template, or a CDK cloud assembly. The walk that finds them and
//! the grouping are the same for a whole scan and for one file an editor has open.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use iamprune_syntax::path_order::order_key;
use ignore::overrides::{Override, OverrideBuilder};
use rayon::prelude::*;

use crate::files::{self, FileKind, MAX_FILE_BYTES};
use crate::{Level, Message};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum UnitKind {
    /// The `.tf` and `.tf.json` files of one directory, and of the local modules it calls.
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

impl Unit {
    /// Whether the unit reads `file` as one of its own (a file under an assembly counts).
    pub fn contains(&self, file: &Path) -> bool {
        match self.kind {
            UnitKind::CdkAssembly => file.starts_with(&self.path),
            _ => self.files.iter().any(|f| f == file),
        }
    }
}

/// The `exclude` globs (gitignore syntax) of a scanned root.
#[derive(Debug, Clone, Default)]
pub struct Excludes {
    overrides: Option<Override>,
}

#[derive(Debug, thiserror::Error)]
#[error("bad exclude glob `{glob}`: {source}")]
pub struct ExcludeError {
    pub glob: String,
    #[source]
    pub source: ignore::Error,
}

impl Excludes {
    /// The globs, relative to `root`.
    pub fn new(root: &Path, globs: &[String]) -> Result<Excludes, ExcludeError> {
        if globs.is_empty() {
            return Ok(Excludes::default());
        }
        let mut builder = OverrideBuilder::new(root);
        for glob in globs {
            builder
                .add(&format!("!{glob}"))
                .map_err(|source| ExcludeError {
                    glob: glob.clone(),
                    source,
                })?;
        }
        let overrides = builder.build().map_err(|source| ExcludeError {
            glob: globs.join(", "),
            source,
        })?;
        Ok(Excludes {
            overrides: Some(overrides),
        })
    }

    /// Whether a file is excluded: a walk never enters an excluded directory, so a glob matching any
    /// directory above the file excludes it too.
    pub fn excludes(&self, path: &Path) -> bool {
        let Some(overrides) = &self.overrides else {
            return false;
        };
        path.ancestors()
            .take_while(|a| a.starts_with(overrides.path()) && *a != overrides.path())
            .any(|a| overrides.matched(a, a != path).is_ignore())
    }

    /// Whether a glob excludes this file or directory itself: for a walk, which has not entered an
    /// excluded directory.
    fn excludes_entry(&self, path: &Path, is_dir: bool) -> bool {
        self.overrides
            .as_ref()
            .is_some_and(|o| o.matched(path, is_dir).is_ignore())
    }
}

/// The units found under some roots, and which module reads which policy file.
#[derive(Debug, Default, Clone)]
pub struct UnitGraph {
    pub units: Vec<Unit>,
    /// A file a Terraform module reads with `file()` → the index of that module's unit.
    read_by: BTreeMap<PathBuf, usize>,
    /// The note on what `.gitignore` files and hidden names left out that may hold policies, if any.
    pub skipped: Option<Message>,
    /// The text of each Terraform file that read, read once to group the modules: a scan checks
    /// its modules with these rather than reading every file a second time. An editor, which keeps
    /// a graph while files change, drops them.
    pub texts: HashMap<PathBuf, String>,
}

impl UnitGraph {
    /// The unit `file` is checked in: its own, or the Terraform module that reads it through `file()`
    /// (there its principals are known).
    pub fn unit_of(&self, file: &Path) -> Option<&Unit> {
        if let Some(&i) = self.read_by.get(&canonical(file)) {
            return self.units.get(i);
        }
        self.units.iter().find(|u| u.contains(file))
    }
}

/// How a walk treats what `.gitignore` files (and `.ignore` files, git's excludes) and hidden names
/// exclude.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalkOptions {
    /// Scan it too; only `.git` stays out.
    pub no_ignore: bool,
}

/// Finds the units under `roots`, honouring `.gitignore`, hidden names and the excludes, and says what
/// could not be walked. What the ignore files and hidden names leave out is not left out silently: a
/// CDK assembly among it is scanned (its policies live nowhere else), and the files that may hold
/// policies are counted in the graph's `skipped` note. A root is scanned whatever its name or
/// `.gitignore` say of it, since the user named it. Sorted, so output is the same from run to run.
pub fn discover(roots: &[(PathBuf, Excludes)], options: WalkOptions) -> (UnitGraph, Vec<Message>) {
    let mut messages = Vec::new();
    let mut found = Found::default();
    // The directories walked with the filters, and every path each walk yielded: what it did not
    // yield is what the filters left out.
    let mut walked: Vec<(&Path, &Excludes, Walked)> = Vec::new();
    for (root, excludes) in roots {
        if !root.exists() {
            messages.push(files::error(root, "no such file or directory".into()));
            continue;
        }
        // A Terraform file named alone is checked in its module: its principals are known only there.
        if root.is_file() && FileKind::of(root) == Some(FileKind::Terraform) {
            for file in module_files(root) {
                found.add(file);
            }
            continue;
        }
        let mut walked_root = walk(root, excludes, options);
        for (path, canonical) in std::mem::take(&mut walked_root.files) {
            found.add_canonical(path, canonical);
        }
        messages.append(&mut walked_root.messages);
        if !options.no_ignore && root.is_dir() {
            walked.push((root, excludes, walked_root));
        }
    }
    // Every manifest found is read once, here, to tell a CDK assembly's from any other.
    found.assemblies = found
        .files
        .par_iter()
        .filter(|f| f.file_name().is_some_and(|n| n == MANIFEST) && is_cdk_assembly(f))
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .collect();
    let mut skipped = Skipped::new(BUDGET);
    if !walked.is_empty() {
        let assemblies = outermost(&found.assemblies);
        for (root, excludes, walked) in walked {
            skipped.walk(root, excludes, walked, &assemblies, &mut found);
        }
    }
    messages.append(&mut found.problems);
    let assemblies = outermost(&found.assemblies);
    let graph = UnitGraph {
        skipped: skipped.note(),
        ..units_of(found.files, &assemblies)
    };
    (graph, messages)
}

/// The files found, each once: `check a ./a`, or an absolute and a relative path to the same place.
#[derive(Default)]
struct Found {
    /// In the order found: sorted once, when all are.
    files: Vec<PathBuf>,
    seen: HashSet<PathBuf>,
    /// The directories of the CDK assemblies among them, nested ones too.
    assemblies: BTreeSet<PathBuf>,
    /// What kept part of the tree from being read as it should (a module manifest that does not read).
    problems: Vec<Message>,
}

impl Found {
    fn add(&mut self, path: PathBuf) {
        let canonical = canonical(&path);
        self.add_canonical(path, canonical);
    }

    fn add_canonical(&mut self, path: PathBuf, canonical: PathBuf) {
        if self.seen.insert(canonical) {
            self.files.push(path);
        }
    }
}

/// What the filtered walk of one root yielded.
#[derive(Default)]
struct Walked {
    /// The files the engine reads, each with its canonical path.
    files: Vec<(PathBuf, PathBuf)>,
    /// What could not be walked, and sources that are not regular files; sorted by path.
    messages: Vec<Message>,
    /// Every path the walk yielded (unless `no_ignore`): what it did not yield, the filters left out.
    /// By its bytes: names are joined onto the same root, and hashing a `Path` parses it.
    visited: HashSet<OsString>,
    /// Every directory the walk entered, with the names of all it holds (unless `no_ignore`):
    /// listed here, on the walk's threads, so that finding what the filters left out needs no
    /// second walk of the tree.
    listed: Vec<(PathBuf, Vec<OsString>)>,
}

/// Walks a root with the filters, on as many threads as the checks run on.
fn walk(root: &Path, excludes: &Excludes, options: WalkOptions) -> Walked {
    let all = Mutex::new(Walked::default());
    let real_root = canonical(root);
    let real_root = real_root.as_path();
    walker(root, excludes, options)
        .threads(rayon::current_num_threads())
        .build_parallel()
        .run(|| {
            let mut collector = Collector {
                mine: Walked::default(),
                all: &all,
            };
            Box::new(move |entry| {
                see(root, real_root, entry, options, &mut collector.mine);
                ignore::WalkState::Continue
            })
        });
    let mut walked = all.into_inner().unwrap_or_else(|e| e.into_inner());
    // The threads' order is not the same from run to run: of two paths to one file (a symlink), the
    // first in path order is the one reported.
    walked.files.sort_by_cached_key(|(path, _)| order_key(path));
    walked.messages.sort_by(|a, b| a.file.cmp(&b.file));
    walked
}

/// What one thread of the walk yielded, handed over when the walk is done with the thread (its
/// visitor is dropped): one lock per thread, not per entry.
struct Collector<'a> {
    mine: Walked,
    all: &'a Mutex<Walked>,
}

impl Drop for Collector<'_> {
    fn drop(&mut self) {
        let mine = std::mem::take(&mut self.mine);
        let mut all = self.all.lock().unwrap_or_else(|e| e.into_inner());
        all.files.extend(mine.files);
        all.messages.extend(mine.messages);
        all.visited.extend(mine.visited);
        all.listed.extend(mine.listed);
    }
}

/// One entry of the filtered walk of `root`, whose canonical path is `real_root`.
fn see(
    root: &Path,
    real_root: &Path,
    entry: Result<ignore::DirEntry, ignore::Error>,
    options: WalkOptions,
    walked: &mut Walked,
) {
    let entry = match entry {
        Ok(entry) => entry,
        Err(e) => {
            walked.messages.push(files::error(root, e.to_string()));
            return;
        }
    };
    let kind = entry.file_type();
    let is_file = kind.is_some_and(|t| t.is_file());
    let path = entry.into_path();
    if is_file {
        if FileKind::of(&path).is_some() {
            // The walk follows no link, so below the root every directory is a real one: the file's
            // canonical path is the root's with the rest appended, without a system call per
            // directory of its path.
            let canonical = match path.strip_prefix(root) {
                Ok(rest) if rest.as_os_str().is_empty() => real_root.to_path_buf(),
                Ok(rest) => real_root.join(rest),
                Err(_) => canonical(&path),
            };
            walked.files.push((path.clone(), canonical));
        }
    } else if kind.is_some_and(|t| !t.is_dir())
        && FileKind::of(&path).is_some()
        && iamprune_syntax::fs::is_special(&path)
    {
        // A FIFO, socket or device named like a source: reading it could hang.
        let mut message = files::not_regular(&path);
        if path == *root {
            message.level = crate::Level::Error;
        }
        walked.messages.push(message);
    }
    if !options.no_ignore {
        if kind.is_some_and(|t| t.is_dir()) {
            // What cannot be listed was said by the walk, which could not list it either.
            if let Ok(entries) = std::fs::read_dir(&path) {
                let names = entries.flatten().map(|e| e.file_name()).collect();
                walked.listed.push((path.clone(), names));
            }
        }
        walked.visited.insert(path.into_os_string());
    }
}

/// The walk of a root. Hidden directories hold CI workflows and tool state, and ignored ones
/// dependencies and build output, not infrastructure; what of it may hold policies is counted by
/// [`Skipped`].
fn walker(root: &Path, excludes: &Excludes, options: WalkOptions) -> ignore::WalkBuilder {
    let mut walk = ignore::WalkBuilder::new(root);
    if options.no_ignore {
        walk.standard_filters(false)
            .filter_entry(|entry| entry.file_name() != ".git");
    } else {
        // The root itself is never filtered out, whatever its name or `.gitignore` say; but a pattern
        // above it such as `cdk.out/*` or `vendor/**` would leave out everything in the directory the
        // user asked for, so then the ignore files above it are not read.
        walk.hidden(true)
            .require_git(false)
            .parents(!root.is_dir() || !excluded_from_above(root));
    }
    if let Some(overrides) = &excludes.overrides {
        walk.overrides(overrides.clone());
    }
    walk
}

/// Whether the ignore files above a directory exclude everything in it (`vendor/**`, `cdk.out/*`): the
/// directory is then as good as excluded itself.
fn excluded_from_above(dir: &Path) -> bool {
    let any_child = |parents: bool| {
        let mut probe = ignore::WalkBuilder::new(dir);
        // Hidden names exclude only the entry itself: that is for the walk to count, not for this.
        probe
            .max_depth(Some(1))
            .hidden(false)
            .require_git(false)
            .parents(parents);
        probe.build().flatten().any(|entry| entry.depth() == 1)
    };
    !any_child(true) && any_child(false)
}

/// How much of what the walk left out is looked at.
#[derive(Debug, Clone, Copy)]
struct Budget {
    /// Files that may hold policies counted: the note says "at least" past it.
    counted: usize,
    /// Files and directories looked at (a `node_modules` can hold hundreds of thousands); past it the
    /// directories left out are still checked for CDK assemblies, but not entered.
    looked_at: usize,
}

const BUDGET: Budget = Budget {
    counted: 1000,
    looked_at: 20_000,
};

/// What the walks left out that may hold policies, counted, not parsed.
#[derive(Debug)]
struct Skipped {
    budget: Budget,
    /// The root of the first place: the note's file.
    root: Option<PathBuf>,
    files: usize,
    looked_at: usize,
    /// The budget ran out before everything excluded was looked at.
    incomplete: bool,
    /// Each excluded directory or file highest up (its parent was walked), as shown.
    places: BTreeMap<String, Place>,
    /// The place being walked through, and how it is shown.
    current: Option<(PathBuf, String)>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Place {
    /// Files that may hold policies.
    files: usize,
    /// Files and directories looked at.
    entries: usize,
    /// Some of it was not looked at: the budget had run out.
    cut: bool,
}

impl Skipped {
    fn new(budget: Budget) -> Skipped {
        Skipped {
            budget,
            root: None,
            files: 0,
            looked_at: 0,
            incomplete: false,
            places: BTreeMap::new(),
            current: None,
        }
    }

    /// Looks at what the filtered walk of `root` did not yield: the entries of the directories it
    /// entered that it left out, and everything under them, in path order.
    fn walk(
        &mut self,
        root: &Path,
        excludes: &Excludes,
        mut walked: Walked,
        assemblies: &BTreeSet<PathBuf>,
        found: &mut Found,
    ) {
        let visited = &walked.visited;
        // By their keys, which are equal exactly when the paths are (`a/b/` is `a/b`).
        let known: HashSet<Vec<u8>> = assemblies.iter().map(|a| order_key(a)).collect();
        // What each directory holds that the walk did not yield, on every core; nearly every
        // directory holds nothing of the kind and drops out here.
        let mut listed: Vec<Listing> = std::mem::take(&mut walked.listed)
            .into_par_iter()
            .filter_map(|(dir, names)| Listing::of(dir, &names, visited, &known))
            .collect();
        listed.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        // The entries left out whose directory was walked, in path order: walking each of them in
        // turn is walking the whole tree in path order and passing over what was walked.
        let mut left_out: Vec<(Vec<u8>, PathBuf)> = Vec::new();
        // The assembly being passed over: everything in one is read through its manifest, so none
        // of it is left out.
        let mut assembly: Option<Vec<u8>> = None;
        for listing in listed {
            if assembly
                .as_ref()
                .is_some_and(|a| listing.key.starts_with(a))
            {
                continue;
            }
            // An assembly whose files are ignored (`cdk.out/*`) is scanned as if they were not.
            if listing.is_assembly
                || (listing.manifest_left_out && add_assembly(&listing.dir, found))
            {
                assembly = Some(listing.key);
                continue;
            }
            left_out.extend(listing.left_out);
        }
        left_out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (_, top) in left_out {
            let mut entries = walkdir::WalkDir::new(&top).sort_by_file_name().into_iter();
            while let Some(entry) = entries.next() {
                // What cannot be read is out of the scan either way.
                let Ok(entry) = entry else {
                    continue;
                };
                if !self.look(root, excludes, &entry, found) {
                    entries.skip_current_dir();
                }
            }
        }
    }

    /// Looks at one entry the filtered walk left out; whether to look inside it, if a directory.
    fn look(
        &mut self,
        root: &Path,
        excludes: &Excludes,
        entry: &walkdir::DirEntry,
        found: &mut Found,
    ) -> bool {
        let path = entry.path();
        let is_dir = entry.file_type().is_dir();
        // What the configuration excludes is left out on purpose, and git's store holds no source.
        if entry.file_name() == ".git" || excludes.excludes_entry(path, is_dir) {
            return false;
        }
        let full = self.files >= self.budget.counted || self.looked_at >= self.budget.looked_at;
        self.incomplete |= full;
        // A `.gitignore`d `cdk.out`, as `cdk init` writes it: where CDK policies live. Checked
        // past the budget too, since it costs one look per directory.
        if is_dir && add_assembly(path, found) {
            return false;
        }
        // A `.terraform` that `terraform init` filled: the code of the registry modules its root
        // calls, read with the root so that statements passed to them are followed. The rest of
        // it (providers, stale copies) is Terraform's own.
        if is_dir && entry.file_name() == ".terraform" && add_vendored(path, found) {
            return false;
        }
        self.looked_at += 1;
        let counted =
            !is_dir && !full && entry.file_type().is_file() && files::may_hold_policies(path);
        self.add(root, path, is_dir, counted, full);
        !(is_dir && full)
    }

    /// Adds a file or directory the walk left out to its place.
    fn add(&mut self, root: &Path, path: &Path, is_dir: bool, counted: bool, cut: bool) {
        let within = self
            .current
            .as_ref()
            .is_some_and(|(place, _)| path.starts_with(place));
        if !within {
            self.current = Some((path.to_path_buf(), shown(path, is_dir)));
            self.root.get_or_insert_with(|| root.to_path_buf());
        }
        let Some((_, shown)) = &self.current else {
            return;
        };
        let place = self.places.entry(shown.clone()).or_default();
        place.entries += 1;
        place.cut |= cut;
        if counted {
            place.files += 1;
            self.files += 1;
        }
    }

    /// One note for the whole walk, with the count, where they are, and how to scan them.
    fn note(&self) -> Option<Message> {
        let root = self.root.clone()?;
        // The places with the most files first; when nothing was counted before the budget ran out,
        // where the search stopped, those searched the most first.
        let mut places: Vec<(&String, Place)> = self
            .places
            .iter()
            .map(|(shown, place)| (shown, *place))
            .filter(|(_, place)| place.files > 0 || (self.files == 0 && place.cut))
            .collect();
        let weight = |place: &Place| match self.files {
            0 => place.entries,
            _ => place.files,
        };
        places.sort_by(|(a, p), (b, q)| weight(q).cmp(&weight(p)).then(a.cmp(b)));
        const SHOWN: usize = 3;
        let mut listed = places
            .iter()
            .take(SHOWN)
            .map(|(shown, place)| match place.files {
                0 => shown.to_string(),
                n => format!("{shown} ({n})"),
            })
            .collect::<Vec<_>>()
            .join(", ");
        if places.len() > SHOWN {
            listed.push_str(&format!(" and {} more", places.len() - SHOWN));
        }
        let how = "--no-ignore (`no-ignore = true` in iamprune.toml) or by naming";
        let message = match (self.files, self.incomplete) {
            (0, false) => return None,
            // Silence would say that nothing there holds a policy, which is not known.
            (0, true) => format!(
                "what .gitignore or hidden names exclude was searched for policies only in part \
                 (the first {} files and directories): {listed}; scan it with {how} \
                 it, or name what holds none in `exclude`",
                self.budget.looked_at
            ),
            (files, incomplete) => {
                let (files, them, is) = if files == 1 {
                    ("1 file".to_string(), "it", "was")
                } else {
                    (format!("{files} files"), "them", "were")
                };
                let at_least = if incomplete { "at least " } else { "" };
                format!(
                    "{at_least}{files} that may hold policies {is} not scanned because .gitignore \
                     or a hidden name excludes {them}: {listed}; scan {them} with {how} {them}"
                )
            }
        };
        Some(Message {
            level: Level::Note,
            file: root,
            span: None,
            message,
        })
    }
}

/// What one directory the filtered walk entered holds that the walk did not yield.
struct Listing {
    key: Vec<u8>,
    dir: PathBuf,
    /// One of the assemblies found: everything under it is read through its manifest.
    is_assembly: bool,
    /// It holds a `manifest.json` that the filters left out: it may be an assembly.
    manifest_left_out: bool,
    /// The entries left out, each with its path's order key.
    left_out: Vec<(Vec<u8>, PathBuf)>,
}

impl Listing {
    /// The listing of `dir`, unless it has nothing left out and is no assembly.
    fn of(
        dir: PathBuf,
        names: &[OsString],
        visited: &HashSet<OsString>,
        assemblies: &HashSet<Vec<u8>>,
    ) -> Option<Listing> {
        let key = order_key(&dir);
        let is_assembly = assemblies.contains(&key);
        let mut path = dir.clone();
        let mut manifest_left_out = false;
        let mut left_out = Vec::new();
        for name in names {
            path.push(name);
            if !visited.contains(path.as_os_str()) {
                manifest_left_out |= name == MANIFEST;
                left_out.push((order_key(&path), path.clone()));
            }
            path.pop();
        }
        (is_assembly || !left_out.is_empty()).then_some(Listing {
            key,
            dir,
            is_assembly,
            manifest_left_out,
            left_out,
        })
    }
}

/// The name of a CDK assembly's manifest.
const MANIFEST: &str = "manifest.json";

/// Adds the manifest of the CDK assembly `dir` is, if it is one.
fn add_assembly(dir: &Path, found: &mut Found) -> bool {
    let manifest = dir.join(MANIFEST);
    let is_assembly = manifest.is_file() && is_cdk_assembly(&manifest);
    if is_assembly {
        found.add(manifest);
        found.assemblies.insert(dir.to_path_buf());
    }
    is_assembly
}

/// Adds the Terraform files of the modules `.terraform/modules/modules.json` lists, if `dir` is a
/// `.terraform` with one and it lists any.
fn add_vendored(dir: &Path, found: &mut Found) -> bool {
    let Some(root) = dir.parent() else {
        return false;
    };
    let Ok(manifest) =
        iamprune_syntax::fs::read_to_string(&root.join(iamprune_terraform::VENDORED_MANIFEST))
    else {
        return false;
    };
    let modules = match iamprune_terraform::vendored_modules(root, &manifest) {
        Ok(modules) => modules,
        Err(error) => {
            let path = root.join(iamprune_terraform::VENDORED_MANIFEST);
            found.problems.push(Message {
                level: Level::Error,
                file: path,
                span: Some(error.span),
                message: error.message,
            });
            return false;
        }
    };
    let mut added = false;
    for (_, module) in modules {
        if !module.starts_with(dir) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&module) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if FileKind::of(&path) == Some(FileKind::Terraform)
                && entry.file_type().is_ok_and(|t| t.is_file())
            {
                found.add(path);
                added = true;
            }
        }
    }
    added
}

/// A path as a note shows it, a directory with a trailing `/`.
fn shown(path: &Path, is_dir: bool) -> String {
    let mut shown = path.display().to_string();
    if is_dir {
        shown.push('/');
    }
    shown
}

fn units_of(files: Vec<PathBuf>, assemblies: &BTreeSet<PathBuf>) -> UnitGraph {
    // Path order, compared as bytes: see `order_key`.
    let mut files: Vec<(Vec<u8>, PathBuf)> =
        files.into_iter().map(|f| (order_key(&f), f)).collect();
    files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let assemblies: Vec<(Vec<u8>, &PathBuf)> =
        assemblies.iter().map(|a| (order_key(a), a)).collect();
    let mut modules: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    let mut units = Vec::new();
    // The assemblies before the file in path order.
    let mut before = 0;
    for (key, file) in files {
        // Assemblies do not nest, so the only one that can hold a file is the last before it in
        // path order; a key starts another exactly when the path does.
        while before < assemblies.len() && assemblies[before].0 < key {
            before += 1;
        }
        let assembly = before
            .checked_sub(1)
            .map(|i| &assemblies[i])
            .filter(|(dir, _)| key.starts_with(dir))
            .map(|(_, dir)| PathBuf::clone(dir));
        if let Some(assembly) = assembly {
            if file.file_name().is_some_and(|n| n == "manifest.json")
                && file.parent() == Some(assembly.as_path())
            {
                units.push(Unit {
                    kind: UnitKind::CdkAssembly,
                    path: assembly,
                    files: vec![file],
                });
            }
            continue;
        }
        match FileKind::of(&file) {
            Some(FileKind::Terraform) => {
                let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
                modules.entry(dir).or_default().push(file);
            }
            Some(FileKind::Document) => units.push(Unit {
                kind: UnitKind::Template,
                path: file.clone(),
                files: vec![file],
            }),
            None => {}
        }
    }
    let (groups, reads, texts) = module_groups(modules);
    units.extend(groups.into_iter().map(|(dir, files)| Unit {
        kind: UnitKind::TerraformModule,
        path: dir,
        files,
    }));
    // As `Unit`'s order: no two units are of one kind and path, so their files never decide.
    units.sort_by_cached_key(|unit| (unit.kind, order_key(&unit.path)));
    // The first module unit holding a file of each directory.
    let mut unit_of_dir: HashMap<&Path, usize> = HashMap::new();
    for (i, unit) in units.iter().enumerate() {
        if unit.kind == UnitKind::TerraformModule {
            for dir in unit.files.iter().filter_map(|f| f.parent()) {
                unit_of_dir.entry(dir).or_insert(i);
            }
        }
    }
    let mut read_by = BTreeMap::new();
    for (target, module_dir) in reads {
        if let Some(&i) = unit_of_dir.get(module_dir.as_path()) {
            read_by.insert(canonical(&target), i);
        }
    }
    UnitGraph {
        units,
        read_by,
        skipped: None,
        texts,
    }
}

/// The assemblies no other one holds; nested assemblies (stages) are read through their parent's
/// manifest.
fn outermost(assemblies: &BTreeSet<PathBuf>) -> BTreeSet<PathBuf> {
    let mut out: BTreeSet<PathBuf> = BTreeSet::new();
    for dir in assemblies {
        // In path order a directory comes right before everything under it.
        if out.last().is_none_or(|last| !dir.starts_with(last)) {
            out.insert(dir.clone());
        }
    }
    out
}

/// Terraform modules that call each other through local paths (`source = "./modules/app"`) are one
/// unit, so that a role name passed into a module reaches the policies inside it. A policy file that
/// two modules read with `file()` reaches the principals of both: they are one unit too, so that it is
/// narrowed only by what none of them used. Also returns each file read with `file()` and the
/// directory of a module that reads it.
#[allow(clippy::type_complexity)]
fn module_groups(
    modules: BTreeMap<PathBuf, Vec<PathBuf>>,
) -> (
    Vec<(PathBuf, Vec<PathBuf>)>,
    Vec<(PathBuf, PathBuf)>,
    HashMap<PathBuf, String>,
) {
    let index: HashMap<&Path, usize> = modules
        .keys()
        .enumerate()
        .map(|(i, dir)| (dir.as_path(), i))
        .collect();
    // What each module's files call and read, from all of them at once: one read each, as the
    // check reads them (a file that does not read is read again there, to say why).
    #[allow(clippy::type_complexity)]
    let named: Vec<(Vec<String>, Vec<String>, Vec<(PathBuf, String)>)> = modules
        .par_iter()
        .map(|(_, files)| {
            let mut named = (Vec::new(), Vec::new(), Vec::new());
            for file in files {
                if let Ok(text) = files::read_text(file) {
                    named.0.extend(local_sources(&text));
                    named.1.extend(read_files(&text));
                    named.2.push((file.clone(), text));
                }
            }
            named
        })
        .collect();
    let mut texts = HashMap::new();
    let mut sets = DisjointSets::new(modules.len());
    // Code `terraform init` vendored belongs to the root it ran in.
    for (i, dir) in modules.keys().enumerate() {
        if !iamprune_terraform::is_vendored(dir) {
            continue;
        }
        let root: PathBuf = dir
            .components()
            .take_while(|c| c.as_os_str() != ".terraform")
            .collect();
        if let Some(&j) = index.get(root.as_path()) {
            sets.union(i, j);
        }
    }
    let mut readers: BTreeMap<PathBuf, usize> = BTreeMap::new();
    let mut reads = Vec::new();
    for (i, (dir, (calls, files_read, read))) in modules.keys().zip(named).enumerate() {
        texts.extend(read);
        for target in calls {
            let called = lexical_join(dir, &target);
            if let Some(&j) = index.get(called.as_path()) {
                sets.union(i, j);
            }
        }
        for target in files_read {
            let path = lexical_join(dir, &target);
            reads.push((path.clone(), dir.clone()));
            match readers.get(&path) {
                Some(&j) => sets.union(i, j),
                None => {
                    readers.insert(path, i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, (PathBuf, Vec<PathBuf>)> = BTreeMap::new();
    for (i, (dir, files)) in modules.into_iter().enumerate() {
        let entry = groups
            .entry(sets.find(i))
            .or_insert_with(|| (dir.clone(), Vec::new()));
        entry.1.extend(files);
    }
    (groups.into_values().collect(), reads, texts)
}

/// Union-find over module indices.
struct DisjointSets {
    parent: Vec<usize>,
}

impl DisjointSets {
    fn new(len: usize) -> Self {
        DisjointSets {
            parent: (0..len).collect(),
        }
    }

    fn find(&mut self, i: usize) -> usize {
        let mut root = i;
        while self.parent[root] != root {
            root = self.parent[root];
        }
        self.parent[i] = root;
        root
    }

    fn union(&mut self, i: usize, j: usize) {
        let (a, b) = (self.find(i), self.find(j));
        self.parent[a.max(b)] = a.min(b);
    }
}

/// The `source = "./…"` and `"../…"` paths of module calls, found line by line: a full parse here would
/// be done again by the extractor.
fn local_sources(text: &str) -> Vec<String> {
    // Found by the word, not line by line: a module's files are read here before anything else,
    // and few of their lines say `source`.
    memchr::memmem::find_iter(text.as_bytes(), "source")
        .filter_map(|at| {
            let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            if !text[line_start..at].trim_start().is_empty() {
                return None;
            }
            let after = &text[at + "source".len()..];
            let line = after.split('\n').next().unwrap_or_default();
            let rest = line.trim_start().strip_prefix('=')?.trim();
            let value = rest.strip_prefix('"')?.split('"').next()?;
            iamprune_terraform::is_local_source(value).then(|| value.to_string())
        })
        .collect()
}

/// The literal paths `file("${path.module}/x.json")` and `templatefile(...)` name, relative to the
/// module's directory (`./x.json`).
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
        // As the Terraform extractor reads them: `path.module`, `path.root` and `path.cwd` all stand
        // for the module's directory, and nothing else may be interpolated.
        let path = ["module", "root", "cwd"]
            .iter()
            .fold(literal.to_string(), |path, name| {
                path.replace(&format!("${{path.{name}}}"), ".")
            });
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

/// The Terraform files of the directory of `file`, `file` among them even before it is on disk.
fn module_files(file: &Path) -> Vec<PathBuf> {
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let listed = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        &dir
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(listed)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| dir.join(e.file_name()))
                .filter(|p| FileKind::of(p) == Some(FileKind::Terraform))
                .collect()
        })
        .unwrap_or_default();
    if !files.iter().any(|f| f == file) {
        files.push(file.to_path_buf());
    }
    files.sort();
    files
}

/// The unit of a file no walk found (one not on disk yet, or outside every root): a Terraform file's
/// module (every `.tf` and `.tf.json` beside it), a CDK assembly's template, or the file alone.
pub fn unit_alone(file: &Path) -> Option<Unit> {
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    match FileKind::of(file)? {
        FileKind::Terraform => Some(Unit {
            kind: UnitKind::TerraformModule,
            path: dir,
            files: module_files(file),
        }),
        FileKind::Document => {
            let manifest = dir.join("manifest.json");
            if file != manifest && manifest.is_file() && is_cdk_assembly(&manifest) {
                return Some(Unit {
                    kind: UnitKind::CdkAssembly,
                    path: dir,
                    files: vec![manifest],
                });
            }
            Some(Unit {
                kind: UnitKind::Template,
                path: file.to_path_buf(),
                files: vec![file.to_path_buf()],
            })
        }
    }
}

/// A `manifest.json` of a CDK cloud assembly names its artifacts; other manifests do not.
fn is_cdk_assembly(manifest: &Path) -> bool {
    std::fs::metadata(manifest).is_ok_and(|m| m.len() < MAX_FILE_BYTES)
        && iamprune_syntax::fs::read_to_string(manifest)
            .is_ok_and(|t| t.contains("\"artifacts\"") && t.contains("aws:cloudformation:stack"))
}

/// Paths are compared canonical: a symlinked directory must not make two units of one file. A file
/// not on disk keeps its path.
pub(crate) fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn testdata(path: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata")
            .join(path)
    }

    fn write(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    }

    fn copy(root: &Path, from: &str, to: &str) {
        let text = std::fs::read_to_string(testdata(from)).unwrap_or_else(|e| panic!("{e}"));
        write(root, to, &text);
    }

    /// A project as `cdk init` and `terraform init` leave it: an ignored `cdk.out`, an ignored
    /// vendored module, a hidden directory of Terraform, provider binaries, a `.git`.
    fn project() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = dir.path();
        write(root, ".gitignore", "cdk.out\nvendor/\nnode_modules\n");
        copy(
            root,
            "e2e/cdk/cdk.out/manifest.json",
            "cdk.out/manifest.json",
        );
        copy(
            root,
            "e2e/cdk/cdk.out/SeedStack.template.json",
            "cdk.out/SeedStack.template.json",
        );
        // Lambda code bundled into the assembly: read through the manifest, never counted.
        write(root, "cdk.out/asset.1/.hidden.json", r#"{"Statement": []}"#);
        copy(root, "terraform/jsonencode/main.tf", "app/main.tf");
        copy(root, "terraform/jsonencode/main.tf", ".infra/main.tf");
        copy(root, "terraform/jsonencode/main.tf", "vendor/main.tf");
        copy(
            root,
            "terraform/jsonencode/main.tf",
            "app/.terraform/modules/iam/main.tf",
        );
        write(
            root,
            "app/.terraform/providers/aws/terraform-provider-aws_v5",
            "\u{7f}ELF",
        );
        write(
            root,
            "app/.terraform/modules/modules.json",
            r#"{"Modules": []}"#,
        );
        write(root, "node_modules/pkg/package.json", r#"{"name": "pkg"}"#);
        write(root, ".git/config", "[core]\n");
        copy(root, "terraform/jsonencode/main.tf", ".git/stash/main.tf");
        dir
    }

    /// The units and the walk's note, after checking that nothing failed.
    fn walk(roots: &[PathBuf], no_ignore: bool) -> (Vec<Unit>, Option<Message>) {
        let roots: Vec<(PathBuf, Excludes)> = roots
            .iter()
            .map(|r| (r.clone(), Excludes::default()))
            .collect();
        let (graph, messages) = discover(&roots, WalkOptions { no_ignore });
        assert!(messages.is_empty(), "{messages:?}");
        (graph.units, graph.skipped)
    }

    fn paths(units: &[Unit], root: &Path) -> Vec<String> {
        let mut paths: Vec<String> = units
            .iter()
            .map(|u| {
                let path = u.path.strip_prefix(root).unwrap_or(&u.path);
                path.display().to_string()
            })
            .collect();
        paths.sort();
        paths
    }

    /// The text of a note that must be there.
    fn text(note: Option<Message>) -> String {
        note.map(|n| n.message).unwrap_or_default()
    }

    #[test]
    fn an_ignored_assembly_is_scanned_and_the_rest_is_counted_in_one_note() {
        let dir = project();
        let root = dir.path();
        let (units, note) = walk(&[root.to_path_buf()], false);
        assert_eq!(paths(&units, root), ["app", "cdk.out"]);
        assert!(units.iter().any(|u| u.kind == UnitKind::CdkAssembly));
        let Some(note) = note else {
            panic!("no note");
        };
        assert_eq!(note.level, Level::Note);
        assert_eq!(note.file, root);
        assert_eq!(note.span, None);
        let r = root.display();
        assert_eq!(
            note.message,
            format!(
                "3 files that may hold policies were not scanned because .gitignore or a hidden \
                 name excludes them: {r}/.infra/ (1), {r}/app/.terraform/ (1), {r}/vendor/ (1); \
                 scan them with --no-ignore (`no-ignore = true` in iamprune.toml) or by naming them"
            )
        );
    }

    #[test]
    fn no_ignore_scans_everything_but_git() {
        let dir = project();
        let root = dir.path();
        let (units, note) = walk(&[root.to_path_buf()], true);
        assert_eq!(note, None);
        assert_eq!(
            paths(&units, root),
            [
                ".infra",
                // With `app/.terraform/modules/iam`: vendored code belongs to the root `init` ran in.
                "app",
                // Read, and found to hold no policy, as every JSON file is.
                "app/.terraform/modules/modules.json",
                "cdk.out",
                "node_modules/pkg/package.json",
                "vendor",
            ]
        );
    }

    #[test]
    fn a_named_directory_is_scanned_whatever_excludes_it() {
        let dir = project();
        let root = dir.path();
        for named in [".infra", "vendor", "cdk.out"] {
            let (units, note) = walk(&[root.join(named)], false);
            assert_eq!(paths(&units, root), [named]);
            assert_eq!(note, None);
        }
        // Patterns that match everything in a directory rather than the directory.
        write(root, ".gitignore", "cdk.out/*\nvendor/**\nnode_modules\n");
        for named in ["vendor", "cdk.out"] {
            let (units, note) = walk(&[root.join(named)], false);
            assert_eq!(paths(&units, root), [named]);
            assert_eq!(note, None);
        }
        let (units, note) = walk(&[root.to_path_buf()], false);
        assert_eq!(paths(&units, root), ["app", "cdk.out"]);
        assert!(text(note).contains("/vendor/main.tf (1)"));
    }

    #[test]
    fn modules_terraform_init_vendored_are_read_with_their_root() {
        let dir = project();
        let root = dir.path();
        write(
            root,
            "app/.terraform/modules/modules.json",
            r#"{"Modules": [{"Key": "iam", "Source": "registry.terraform.io/x/iam/aws", "Dir": ".terraform/modules/iam"}]}"#,
        );
        let (units, note) = walk(&[root.to_path_buf()], false);
        assert_eq!(paths(&units, root), ["app", "cdk.out"]);
        let app = units
            .iter()
            .find(|u| u.path.ends_with("app"))
            .unwrap_or_else(|| panic!("no app unit"));
        assert!(
            app.files
                .iter()
                .any(|f| f.ends_with(".terraform/modules/iam/main.tf")),
            "{:?}",
            app.files
        );
        // Read, so not among what was left out.
        assert!(!text(note).contains(".terraform"));
    }

    #[test]
    fn what_the_configuration_excludes_is_not_counted() {
        let dir = project();
        let root = dir.path();
        let excludes = Excludes::new(root, &["vendor".into(), ".infra".into()])
            .unwrap_or_else(|e| panic!("{e}"));
        let (graph, _) = discover(&[(root.to_path_buf(), excludes)], WalkOptions::default());
        let note = text(graph.skipped);
        assert!(
            note.starts_with("1 file that may hold policies was not scanned"),
            "{note}"
        );
    }

    #[test]
    fn nothing_left_out_says_nothing() {
        let (units, note) = walk(&[testdata("terraform/module")], false);
        assert!(!units.is_empty());
        assert_eq!(note, None);
    }

    #[test]
    fn counting_stops_at_the_cap() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = dir.path();
        for i in 0..=BUDGET.counted {
            write(root, &format!(".terraform/modules/m{i}.tf"), "");
        }
        // Walked after the budget ran out, and scanned all the same.
        write(root, ".gitignore", "cdk.out\n");
        copy(
            root,
            "e2e/cdk/cdk.out/manifest.json",
            "cdk.out/manifest.json",
        );
        let (units, note) = walk(&[root.to_path_buf()], false);
        assert_eq!(paths(&units, root), ["cdk.out"]);
        let note = text(note);
        assert!(
            note.starts_with(&format!("at least {} files", BUDGET.counted)),
            "{note}"
        );
    }

    #[test]
    fn a_search_cut_short_says_so_even_when_it_found_nothing() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = dir.path();
        write(root, ".gitignore", "node_modules\n");
        for i in 0..10 {
            write(root, &format!("node_modules/p{i}/package.json"), "{}");
        }
        write(root, "node_modules/z/template.yaml", "Resources: {}\n");
        let mut found = Found::default();
        let mut skipped = Skipped::new(Budget {
            counted: 10,
            looked_at: 5,
        });
        let walked = super::walk(root, &Excludes::default(), WalkOptions::default());
        skipped.walk(
            root,
            &Excludes::default(),
            walked,
            &BTreeSet::new(),
            &mut found,
        );
        let r = root.display();
        assert_eq!(
            text(skipped.note()),
            format!(
                "what .gitignore or hidden names exclude was searched for policies only in part \
                 (the first 5 files and directories): {r}/node_modules/; scan it with --no-ignore \
                 (`no-ignore = true` in iamprune.toml) or by naming it, or name what holds none in \
                 `exclude`"
            )
        );
    }

    #[test]
    fn the_terraform_files_read_to_group_modules_are_kept_for_the_check() {
        let dir = project();
        let root = dir.path();
        write(root, "app/broken.tf", "\u{0}binary");
        let roots = [(root.to_path_buf(), Excludes::default())];
        let (graph, _) = discover(&roots, WalkOptions::default());
        let mut kept: Vec<&Path> = graph
            .texts
            .keys()
            .map(|p| p.strip_prefix(root).unwrap_or(p))
            .collect();
        kept.sort();
        // Not the one that does not read: the check reads it again, to say why.
        assert_eq!(kept, [Path::new("app/main.tf")]);
        let text = std::fs::read_to_string(root.join("app/main.tf")).unwrap_or_default();
        assert_eq!(graph.texts.get(&root.join("app/main.tf")), Some(&text));
    }

    #[test]
    fn module_sources_are_read_where_a_line_starts_with_them() {
        let text = "module \"a\" {\n  source = \"./modules/a\"\n}\r\nmodule \"b\" {\r\n\tsource=\"../b\"\r\n}\n\
                    # source = \"./commented\"\nx = 1 # source = \"./mid-line\"\n  sources = \"./plural\"\n\
                    module \"r\" { source = \"terraform-aws-modules/iam/aws\" }\nsource = \"./last\"";
        assert_eq!(
            local_sources(text),
            ["./modules/a", "../b", "./last"].map(String::from)
        );
    }

    #[test]
    fn file_reads_name_paths_as_the_extractor_does() {
        let text = r#"
          a = file("${path.module}/a.json")
          b = templatefile("${path.root}/b.json.tpl", {})
          c = file("${path.cwd}/c.json")
          d = file("${var.dir}/d.json")
          e = file("/etc/e.json")
        "#;
        assert_eq!(read_files(text), ["./a.json", "./b.json.tpl", "./c.json"]);
    }
}
