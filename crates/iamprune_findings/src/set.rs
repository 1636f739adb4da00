use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::LoadOptions;
use crate::arn::{Identity, PrincipalArn};
use crate::error::{self, FindingsError};
use crate::formats::{self, Batch, Mention, Source};
use crate::model::{
    ActionFact, FormatKind, Principal, PrincipalFact, PrincipalFindings, Recommendation,
    ServiceFact, SmallMap, later,
};
use crate::unused::Caseless;
use crate::versions;

/// The extensions read when a directory is loaded.
const EXTENSIONS: [&str; 3] = ["json", "jsonl", "ndjson"];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum EntryKey {
    Any,
    Principal(Identity),
}

#[derive(Debug, Clone)]
struct Entry {
    /// Never empty.
    sources: Vec<Source>,
    /// The sources merged, on first use after the last one joined: a principal with many
    /// findings in one export is merged once, not once a finding. Boxed: until then it takes a
    /// word, not the size of a merged view.
    merged: OnceLock<Box<Merged>>,
}

#[derive(Debug, Clone)]
struct Merged {
    view: Arc<PrincipalFindings>,
    /// What merging its findings by id set aside.
    notes: Vec<String>,
}

impl Entry {
    /// An entry only holds RESOLVED or ARCHIVED findings until an active source joins it; until
    /// then the principal has no findings, as if they had been skipped.
    fn is_visible(&self) -> bool {
        self.sources.iter().any(Source::is_active)
    }

    /// The principal as its first active source spells it (as when inactive findings were
    /// skipped), else as its first source does.
    fn principal(&self) -> &Principal {
        let first = self.sources.iter().find(|s| s.is_active());
        match first.or(self.sources.first()) {
            Some(source) => &source.principal,
            None => &Principal::Any,
        }
    }

    fn merged(&self) -> &Merged {
        self.merged.get_or_init(|| {
            let (view, notes) = resolve(self.principal().clone(), self.sources.iter());
            let notes = notes.iter().map(|n| one_line(n)).collect();
            Box::new(Merged {
                view: Arc::new(view),
                notes,
            })
        })
    }

    fn view(&self) -> &Arc<PrincipalFindings> {
        &self.merged().view
    }
}

/// Unused-access findings from any number of files, indexed by principal.
#[derive(Debug, Clone, Default)]
pub struct FindingsSet {
    /// Boxed: an entry is large, and a map node holds room for eleven whether it has them or not.
    entries: BTreeMap<EntryKey, Box<Entry>>,
    /// The visible principals by lower-case name, built on first use after the last change: joining
    /// looks principals up by name once per source principal of every policy.
    by_name: OnceLock<BTreeMap<String, Vec<EntryKey>>>,
    recommendations: Vec<Recommendation>,
    /// The notes of loading, in load order, each once.
    load_notes: Vec<String>,
    seen_notes: HashSet<String>,
    /// `load_notes` followed by the entries' notes on merging, made on first use after the last
    /// change: a directory of many exports is committed file by file.
    notes: OnceLock<Vec<String>>,
    skipped: Vec<PathBuf>,
}

impl FindingsSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads several files and directories: every file that loads is kept, and the errors of the
    /// others are returned for the caller to report.
    pub fn load_paths(paths: &[PathBuf], opts: &LoadOptions) -> (Self, Vec<FindingsError>) {
        let mut set = Self::new();
        let errors = paths
            .iter()
            .flat_map(|path| set.load_path(path, opts))
            .collect();
        set.merge_all();
        (set, errors)
    }

    /// Merges every principal's findings now, on every core: a check reads them all (the notes of
    /// merging, the catalog's age), and principals are merged independently of each other.
    fn merge_all(&self) {
        use rayon::prelude::*;
        let entries: Vec<&Entry> = self.entries.values().map(|e| &**e).collect();
        entries.par_iter().for_each(|entry| {
            entry.merged();
        });
    }

    /// Loads a file, or every `*.json`, `*.jsonl` and `*.ndjson` file under a directory (in
    /// path order). A file that fails is left out whole and reported; the others still load.
    /// Other files under a directory are listed in [`FindingsSet::skipped`] and the notes.
    pub fn load_path(&mut self, path: &Path, opts: &LoadOptions) -> Vec<FindingsError> {
        let meta = match fs::metadata(path) {
            Ok(m) => m,
            Err(e) => return vec![error::whole_file(path, format!("cannot read: {e}"))],
        };
        if !meta.is_dir() {
            return self.load_file(path, opts).err().into_iter().collect();
        }
        let mut files = Vec::new();
        let mut errors = Vec::new();
        let mut visited = BTreeSet::new();
        self.collect(path, &mut files, &mut errors, &mut visited);
        files.sort();
        for file in files {
            if let Err(e) = self.load_file(&file, opts) {
                errors.push(e);
            }
        }
        errors
    }

    /// Loads one file whatever its extension. It is read a window at a time: JSON Lines of any
    /// length load in the memory of the index they make (one document is capped at
    /// [`crate::MAX_DOCUMENT_BYTES`]).
    pub fn load_file(
        &mut self,
        path: &Path,
        opts: &LoadOptions,
    ) -> Result<FormatKind, FindingsError> {
        self.load_reader(open(path)?, path, opts)
    }

    /// Loads one file's contents; `origin` names it in errors, notes and sources. Nothing of
    /// the text is kept when it has an error.
    pub fn load_str(
        &mut self,
        text: &str,
        origin: &Path,
        opts: &LoadOptions,
    ) -> Result<FormatKind, FindingsError> {
        self.load_reader(text.as_bytes(), origin, opts)
    }

    /// Loads what `reader` reads, the contents of `origin`, whole or not at all.
    fn load_reader(
        &mut self,
        reader: impl std::io::Read,
        origin: &Path,
        opts: &LoadOptions,
    ) -> Result<FormatKind, FindingsError> {
        let mut batch = Batch::default();
        let kind = formats::parse_reader(reader, origin, opts, &mut batch)?;
        self.commit(batch);
        Ok(kind)
    }

    /// Each principal's own findings, the `Any` entry first, then by partition, account, kind
    /// and name. [`FindingsSet::for_principal`] gives a principal's view merged with `Any`.
    pub fn principals(&self) -> impl Iterator<Item = &Arc<PrincipalFindings>> {
        self.principals_where(|_| true)
    }

    /// The principals of [`FindingsSet::principals`] for which `keep` holds; the others are not
    /// merged.
    pub fn principals_where<'s>(
        &'s self,
        keep: impl Fn(&Principal) -> bool + 's,
    ) -> impl Iterator<Item = &'s Arc<PrincipalFindings>> + 's {
        self.entries
            .values()
            .filter(move |e| e.is_visible() && keep(e.principal()))
            .map(|e| e.view())
    }

    /// How many principals [`FindingsSet::principals`] gives, without merging their findings.
    pub fn principal_count(&self) -> usize {
        self.entries.values().filter(|e| e.is_visible()).count()
    }

    /// The principals whose name starts with `prefix`, ignoring ASCII case; every one of
    /// [`FindingsSet::principals`] that does, without looking at the others.
    pub fn principals_named_from<'s>(
        &'s self,
        prefix: &str,
    ) -> impl Iterator<Item = &'s Arc<PrincipalFindings>> + 's {
        let index = self.by_name.get_or_init(|| {
            let mut index: BTreeMap<String, Vec<EntryKey>> = BTreeMap::new();
            for (key, entry) in &self.entries {
                if let (EntryKey::Principal(_), Principal::Arn(arn), true) =
                    (key, entry.principal(), entry.is_visible())
                {
                    index
                        .entry(arn.name.to_ascii_lowercase())
                        .or_default()
                        .push(key.clone());
                }
            }
            index
        });
        let prefix = prefix.to_ascii_lowercase();
        index
            .range(prefix.clone()..)
            .take_while(move |(name, _)| name.starts_with(&prefix))
            .flat_map(|(_, keys)| keys)
            .filter_map(|key| self.entries.get(key))
            .map(|e| e.view())
    }

    /// Everything known about `arn`: its own findings (a role, user or group with another path
    /// or letter case in the same account is the same entity) merged with those that apply to
    /// every principal. `None` when nothing is known about it. A string that is not an ARN
    /// gets only what applies to every principal.
    pub fn for_principal(&self, arn: &str) -> Option<Arc<PrincipalFindings>> {
        let parsed = arn.trim().parse::<PrincipalArn>().ok();
        let own = parsed
            .as_ref()
            .and_then(|p| self.entries.get(&EntryKey::Principal(p.identity())))
            .filter(|e| e.is_visible());
        let any = self.entries.get(&EntryKey::Any);
        let principal = match (own, parsed) {
            (Some(entry), _) => entry.principal().clone(),
            (None, Some(p)) if any.is_some() => Principal::Arn(p),
            (None, None) if any.is_some() => Principal::Any,
            (None, _) => return None,
        };
        let sources = own.into_iter().chain(any).flat_map(|e| e.sources.iter());
        Some(Arc::new(resolve(principal, sources).0))
    }

    pub fn recommendations(&self) -> &[Recommendation] {
        &self.recommendations
    }

    /// Things the user should know that are not errors: skipped findings and files, pending
    /// or failed recommendations, partial exports, then what merging findings by id set aside
    /// (an older export of a finding, a finding a newer analysis overrules). Each note is given
    /// once.
    pub fn notes(&self) -> &[String] {
        self.notes.get_or_init(|| {
            // A later file can supersede what an earlier note on merging said, so those notes
            // are the ones of the set as it is now.
            let mut notes = self.load_notes.clone();
            let mut seen: HashSet<&str> = self.load_notes.iter().map(String::as_str).collect();
            for note in self.entries.values().flat_map(|e| &e.merged().notes) {
                if seen.insert(note) {
                    notes.push(note.clone());
                }
            }
            notes
        })
    }

    /// Files under a loaded directory that were not read.
    pub fn skipped(&self) -> &[PathBuf] {
        &self.skipped
    }

    /// Takes out what applies to every principal (simple lists loaded without one) and returns the
    /// files it came from: narrowing every policy by one list is only right for a single principal.
    pub fn remove_principal_less(&mut self) -> Vec<PathBuf> {
        self.by_name = OnceLock::new();
        // What merging said of those lists still holds: the notes are made before they go.
        self.notes();
        self.entries
            .remove(&EntryKey::Any)
            .map(|e| e.view().sources.clone())
            .unwrap_or_default()
    }

    /// Whether no principal has any findings (notes and recommendations aside).
    pub fn is_empty(&self) -> bool {
        !self.entries.values().any(|e| e.is_visible())
    }

    fn note(&mut self, note: String) {
        let note = one_line(&note);
        if self.seen_notes.insert(note.clone()) {
            self.load_notes.push(note);
            self.notes = OnceLock::new();
        }
    }

    fn commit(&mut self, batch: Batch) {
        self.by_name = OnceLock::new();
        self.notes = OnceLock::new();
        for note in batch.notes {
            self.note(note);
        }
        if batch.summaries_seen {
            self.note(
                "list-findings-v2 holds summaries only: export each finding with get-finding-v2 for action details"
                    .to_string(),
            );
        }
        for mut source in batch.sources {
            let key = match &source.principal {
                Principal::Any => EntryKey::Any,
                Principal::Arn(arn) => EntryKey::Principal(arn.identity()),
            };
            let entry = self.entries.entry(key).or_insert_with(|| {
                Box::new(Entry {
                    // Most principals have one finding: a first push would make room for four.
                    sources: Vec::with_capacity(1),
                    merged: OnceLock::new(),
                })
            });
            source.shrink_to_fit();
            entry.sources.push(source);
            entry.merged = OnceLock::new();
        }
        self.recommendations.extend(batch.recommendations);
    }

    fn collect(
        &mut self,
        dir: &Path,
        files: &mut Vec<PathBuf>,
        errors: &mut Vec<FindingsError>,
        visited: &mut BTreeSet<PathBuf>,
    ) {
        // Symbolic links may lead back up the tree.
        match fs::canonicalize(dir) {
            Ok(real) => {
                if !visited.insert(real) {
                    return;
                }
            }
            Err(e) => {
                errors.push(error::whole_file(
                    dir,
                    format!("cannot read directory: {e}"),
                ));
                return;
            }
        }
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                errors.push(error::whole_file(
                    dir,
                    format!("cannot read directory: {e}"),
                ));
                return;
            }
        };
        let mut paths = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => paths.push(entry.path()),
                Err(e) => errors.push(error::whole_file(
                    dir,
                    format!("cannot read directory: {e}"),
                )),
            }
        }
        paths.sort();
        for path in paths {
            let hidden = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if hidden {
                self.skip(path, "hidden");
                continue;
            }
            // What `iamprune findings pull` writes beside the findings it pulled: not a finding.
            if path.file_name().is_some_and(|n| n == PULL_MANIFEST) {
                continue;
            }
            match fs::metadata(&path) {
                Ok(meta) if meta.is_dir() => self.collect(&path, files, errors, visited),
                // Reading a FIFO would wait for a writer forever, a device may never end.
                Ok(meta) if !meta.is_file() => {
                    self.skip(path, "not a regular file (a FIFO, socket or device)")
                }
                Ok(_) if has_wanted_extension(&path) => files.push(path),
                Ok(_) => self.skip(path, "only .json, .jsonl and .ndjson files are read"),
                Err(e) => errors.push(error::whole_file(&path, format!("cannot read: {e}"))),
            }
        }
    }

    fn skip(&mut self, path: PathBuf, why: &str) {
        self.note(format!("{}: skipped: {why}", path.display()));
        self.skipped.push(path);
    }
}

/// Notes quote file content; one line each keeps them readable in a terminal.
fn one_line(note: &str) -> String {
    note.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The manifest `iamprune findings pull` writes into its directory (the analyzer, region, time and
/// counts); a directory read for findings passes it over without a word.
pub const PULL_MANIFEST: &str = "iamprune-pull.json";

fn has_wanted_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|w| e.eq_ignore_ascii_case(w)))
}

fn no_findings(principal: Principal) -> PrincipalFindings {
    PrincipalFindings {
        principal,
        unused_actions: SmallMap::new(),
        unused_services: SmallMap::new(),
        facts: Vec::new(),
        analyzed_at: None,
        updated_at: None,
        sources: Vec::new(),
    }
}

/// Merges what every source says about one principal, with the notes on what it set aside.
///
/// Findings are first merged by id and by analysis time ([`versions::plan`]): a version of a
/// finding that a newer one supersedes, or whose newest version is RESOLVED or ARCHIVED, says
/// nothing, and neither does a finding about a service that the newest UnusedPermission
/// analysis of the principal does not list.
///
/// Then each source that mentions a service votes on it, and disagreement resolves to *used*:
/// an action is unused only when every mention of its service says so (a whole-service mention
/// says so for every action), and a service is unused as a whole only when every mention says
/// that. Sources that never mention a service do not vote on it, and a last-accessed report
/// does not vote on the actions it does not track.
fn resolve<'s>(
    principal: Principal,
    sources: impl Iterator<Item = &'s Source>,
) -> (PrincipalFindings, Vec<String>) {
    let sources: Vec<&Source> = sources.collect();
    let plan = versions::plan(&sources);
    let mut by_service: BTreeMap<&str, Vec<&Mention>> = BTreeMap::new();
    let mut findings = no_findings(principal);
    for (i, source) in sources.iter().copied().enumerate() {
        if plan.shown.get(i).copied().unwrap_or(true) {
            findings.analyzed_at =
                later(findings.analyzed_at.take(), source.analyzed_at.as_deref());
            findings.updated_at = later(findings.updated_at.take(), source.updated_at.as_deref());
            if !findings.sources.contains(&source.file) {
                findings.sources.push(source.file.clone());
            }
        }
        if !plan.speaks.get(i).copied().unwrap_or(true) {
            continue;
        }
        for (ns, mention) in &source.mentions {
            if plan.counts(i, source, ns) {
                by_service.entry(ns.as_str()).or_default().push(mention);
            }
        }
        for fact in &source.facts {
            add_fact(&mut findings.facts, fact);
        }
    }
    for (ns, mentions) in by_service {
        let partial: Vec<&Mention> = mentions
            .iter()
            .copied()
            .filter(|m| !m.whole_unused)
            .collect();
        if partial.is_empty() {
            let last_accessed = mentions
                .iter()
                .fold(None, |acc, m| later(acc, m.last_accessed.as_deref()));
            findings
                .unused_services
                .insert(ns.to_string(), ServiceFact { last_accessed });
            continue;
        }
        // Only an action that some mention names can be reported: a whole-service mention
        // alone cannot say which actions the service has.
        let mut candidates: BTreeMap<Caseless<'_>, Option<String>> = BTreeMap::new();
        for m in &partial {
            for action in m.unused.iter() {
                let last = candidates.entry(Caseless(&action.name)).or_default();
                *last = later(last.take(), action.last_accessed.as_deref());
            }
        }
        for (Caseless(spelling), last_accessed) in candidates {
            let agreed = partial.iter().all(|m| {
                m.unused.contains(spelling)
                    || m.judged
                        .as_ref()
                        .is_some_and(|judged| !judged.contains(&spelling.to_ascii_lowercase()))
            });
            if agreed {
                findings
                    .unused_actions
                    .insert(spelling.to_string(), ActionFact { last_accessed });
            }
        }
    }
    findings.sources.shrink_to_fit();
    findings.facts.shrink_to_fit();
    findings.unused_actions.shrink_to_fit();
    findings.unused_services.shrink_to_fit();
    (findings, plan.notes)
}

/// Adds a fact unless one about the same thing is there already; of two such facts (the same
/// finding exported twice, or at two times) the later last-accessed time is kept.
fn add_fact(facts: &mut Vec<PrincipalFact>, fact: &PrincipalFact) {
    use PrincipalFact::{
        SummaryOnly, UnusedIAMRole, UnusedIAMUserAccessKey, UnusedIAMUserPassword,
    };
    for existing in facts.iter_mut() {
        match (existing, fact) {
            (UnusedIAMRole { last_accessed: a }, UnusedIAMRole { last_accessed: b })
            | (
                UnusedIAMUserPassword { last_accessed: a },
                UnusedIAMUserPassword { last_accessed: b },
            ) => {
                *a = later(a.take(), b.as_deref());
                return;
            }
            (
                UnusedIAMUserAccessKey {
                    access_key_id: ka,
                    last_accessed: a,
                },
                UnusedIAMUserAccessKey {
                    access_key_id: kb,
                    last_accessed: b,
                },
            ) if ka == kb => {
                *a = later(a.take(), b.as_deref());
                return;
            }
            (SummaryOnly { finding_type: a }, SummaryOnly { finding_type: b }) if a == b => return,
            _ => {}
        }
    }
    facts.push(fact.clone());
}

fn open(path: &Path) -> Result<fs::File, FindingsError> {
    iamprune_syntax::fs::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidInput => error::whole_file(
            path,
            "not a regular file (a FIFO, socket or device); give the export as a file",
        ),
        _ => error::whole_file(path, format!("cannot read: {e}")),
    })
}
