//! Units: what is checked together. A Terraform module with the local modules it calls and the modules
//! that share a policy file with it, a template, or a CDK cloud assembly. The walk that finds them and
//! the grouping are the same for a whole scan and for one file an editor has open.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use ignore::overrides::{Override, OverrideBuilder};

use crate::Message;
use crate::files::{self, FileKind, MAX_FILE_BYTES};

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
}

/// The units found under some roots, and which module reads which policy file.
#[derive(Debug, Default, Clone)]
pub struct UnitGraph {
    pub units: Vec<Unit>,
    /// A file a Terraform module reads with `file()` → the index of that module's unit.
    read_by: BTreeMap<PathBuf, usize>,
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

/// Finds the units under `roots`, honouring `.gitignore`, hidden names and the excludes unless told
/// not to. Sorted, so output is the same from run to run.
pub fn discover(roots: &[(PathBuf, Excludes)], options: WalkOptions) -> (UnitGraph, Vec<Message>) {
    let mut messages = Vec::new();
    let mut found: BTreeSet<PathBuf> = BTreeSet::new();
    // `check a ./a` or an absolute and a relative path to the same place: each file once.
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut add = |path: PathBuf| {
        if seen.insert(canonical(&path)) {
            found.insert(path);
        }
    };
    for (root, excludes) in roots {
        if !root.exists() {
            messages.push(files::error(root, "no such file or directory".into()));
            continue;
        }
        // A Terraform file named alone is checked in its module: its principals are known only there.
        if root.is_file() && FileKind::of(root) == Some(FileKind::Terraform) {
            for file in module_files(root) {
                add(file);
            }
            continue;
        }
        for entry in walker(root, excludes, options).build() {
            match entry {
                Ok(entry) if entry.file_type().is_some_and(|t| t.is_file()) => {
                    add(entry.into_path())
                }
                Ok(_) => {}
                Err(e) => messages.push(files::error(root, e.to_string())),
            }
        }
    }
    (units_of(found), messages)
}

/// The walk of a root. Hidden directories hold CI workflows and tool state, and ignored ones
/// dependencies and build output, not infrastructure; but a path the user names is scanned whatever
/// its name.
fn walker(root: &Path, excludes: &Excludes, options: WalkOptions) -> ignore::WalkBuilder {
    let mut walk = ignore::WalkBuilder::new(root);
    if options.no_ignore {
        walk.standard_filters(false)
            .filter_entry(|entry| entry.file_name() != ".git");
    } else {
        walk.hidden(true).require_git(false);
    }
    if let Some(overrides) = &excludes.overrides {
        walk.overrides(overrides.clone());
    }
    walk
}

fn units_of(files: BTreeSet<PathBuf>) -> UnitGraph {
    let assemblies = top_assemblies(&files);
    let mut modules: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    let mut units = Vec::new();
    for file in files {
        if let Some(assembly) = assemblies.iter().find(|a| file.starts_with(a)) {
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
    let (groups, reads) = module_groups(modules);
    units.extend(groups.into_iter().map(|(dir, files)| Unit {
        kind: UnitKind::TerraformModule,
        path: dir,
        files,
    }));
    units.sort();
    let mut read_by = BTreeMap::new();
    for (target, module_dir) in reads {
        if let Some(i) = units.iter().position(|u| {
            u.kind == UnitKind::TerraformModule
                && u.files.iter().any(|f| f.parent() == Some(&module_dir))
        }) {
            read_by.insert(canonical(&target), i);
        }
    }
    UnitGraph { units, read_by }
}

/// The directories of the CDK cloud assemblies among `files`; nested assemblies (stages) are read
/// through their parent's manifest.
fn top_assemblies(files: &BTreeSet<PathBuf>) -> Vec<PathBuf> {
    let assemblies: BTreeSet<PathBuf> = files
        .iter()
        .filter(|f| f.file_name().is_some_and(|n| n == "manifest.json") && is_cdk_assembly(f))
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .collect();
    assemblies
        .iter()
        .filter(|a| {
            !assemblies
                .iter()
                .any(|other| other != *a && a.starts_with(other))
        })
        .cloned()
        .collect()
}

/// Terraform modules that call each other through local paths (`source = "./modules/app"`) are one
/// unit, so that a role name passed into a module reaches the policies inside it. A policy file that
/// two modules read with `file()` reaches the principals of both: they are one unit too, so that it is
/// narrowed only by what none of them used. Also returns each file read with `file()` and the
/// directory of a module that reads it.
#[allow(clippy::type_complexity)]
fn module_groups(
    modules: BTreeMap<PathBuf, Vec<PathBuf>>,
) -> (Vec<(PathBuf, Vec<PathBuf>)>, Vec<(PathBuf, PathBuf)>) {
    let dirs: Vec<PathBuf> = modules.keys().cloned().collect();
    let mut sets = DisjointSets::new(dirs.len());
    let mut readers: BTreeMap<PathBuf, usize> = BTreeMap::new();
    let mut reads = Vec::new();
    for (i, (dir, files)) in modules.iter().enumerate() {
        for file in files {
            let Ok(text) = std::fs::read_to_string(file) else {
                continue;
            };
            for target in local_sources(&text) {
                let called = lexical_join(dir, &target);
                if let Some(j) = dirs.iter().position(|d| *d == called) {
                    sets.union(i, j);
                }
            }
            for target in read_files(&text) {
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
    }
    let mut groups: BTreeMap<usize, (PathBuf, Vec<PathBuf>)> = BTreeMap::new();
    for (i, (dir, files)) in modules.into_iter().enumerate() {
        let entry = groups
            .entry(sets.find(i))
            .or_insert_with(|| (dir.clone(), Vec::new()));
        entry.1.extend(files);
    }
    (groups.into_values().collect(), reads)
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
        && std::fs::read_to_string(manifest)
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

    fn write(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn no_ignore_scans_everything_but_git() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = dir.path();
        write(root, ".gitignore", "vendor/\n");
        for module in [
            "app",
            ".infra",
            "vendor",
            "app/.terraform/modules/iam",
            ".git/old",
        ] {
            write(root, &format!("{module}/main.tf"), "");
        }
        let modules = |no_ignore: bool| {
            let roots = [(root.to_path_buf(), Excludes::default())];
            let (graph, messages) = discover(&roots, WalkOptions { no_ignore });
            assert!(messages.is_empty(), "{messages:?}");
            let mut paths: Vec<String> = graph
                .units
                .iter()
                .filter_map(|u| Some(u.path.strip_prefix(root).ok()?.display().to_string()))
                .collect();
            paths.sort();
            paths
        };
        assert_eq!(modules(false), ["app"]);
        assert_eq!(
            modules(true),
            [".infra", "app", "app/.terraform/modules/iam", "vendor"]
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
