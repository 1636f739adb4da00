//! Site reports kept between an editor's checks of one project. A keystroke changes one resource of a
//! template; every other site is extracted again the same, only moved, and what checking it found
//! moves with it instead of being found again.
//!
//! A report is taken again only when everything it was made from is the same: the site itself
//! (moved), whether it is generated output, and the text a writer may read around it
//! ([`FileText::read_around`]) with the file's indentation step. The rest a check reads (catalog,
//! findings, configuration) is the project's, and so is the cache.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;

use iamprune_policy::PolicySite;
use iamprune_syntax::{Span, Spans};
use rayon::prelude::*;

use crate::SiteReport;
use crate::edits::FileText;

/// Past this many files remembered, the cache starts again: a long session keeps only the files it
/// checks lately.
const MAX_FILES: usize = 256;

/// The reports of the last check of each file, by the owner of their site.
#[derive(Debug, Default)]
pub struct SiteCache {
    files: Mutex<HashMap<PathBuf, Owners>>,
}

// Boxed: an entry (a site, its report and the text around it) is moved several times a check, once
// for every site of a template.
type Owners = HashMap<String, Vec<Box<Entry>>>;

/// A site's report, with what it was made from.
#[derive(Debug)]
struct Entry {
    site: PolicySite,
    generated: bool,
    report: SiteReport,
    /// What a writer may have read of the text, and that text.
    read: Span,
    text: String,
    indent: String,
}

impl SiteCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// One check's use of the cache. The entries of a file are taken out while a check uses them, so
    /// two checks of the same file at once (an old one not yet cancelled) do not share an entry: the
    /// second finds none and checks every site.
    pub(crate) fn session(&self) -> Session<'_> {
        Session {
            cache: self,
            taken: HashMap::new(),
            kept: HashMap::new(),
            finished: false,
        }
    }

    /// Forgets a file's reports (closed in the editor), as its last parse is forgotten.
    pub fn forget(&self, file: &std::path::Path) {
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        files.remove(file);
    }

    fn take(&self, file: &PathBuf) -> Owners {
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        files.remove(file).unwrap_or_default()
    }

    fn put(&self, kept: HashMap<PathBuf, Owners>) {
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        if files.len() + kept.len() > MAX_FILES {
            files.clear();
        }
        files.extend(kept);
    }
}

/// The entries one check took and made.
pub(crate) struct Session<'c> {
    cache: &'c SiteCache,
    taken: HashMap<PathBuf, Owners>,
    kept: HashMap<PathBuf, Owners>,
    finished: bool,
}

impl Session<'_> {
    /// For each site, the report of its check before when everything it was made from is the same,
    /// moved to where the site is now; `None` for a site to check afresh. The sites are compared on
    /// every core: an editor's check of a large template is mostly this.
    pub(crate) fn reuse_all(
        &mut self,
        sites: &[PolicySite],
        files: &BTreeMap<&PathBuf, FileText<'_>>,
        generated: bool,
    ) -> Vec<Option<SiteReport>> {
        // Each site is offered the next entry of its owner, in the order the last check kept them.
        let mut candidates: Vec<Option<Box<Entry>>> = Vec::with_capacity(sites.len());
        for run in same_file(sites) {
            let Some(first) = run.first() else { continue };
            let owners = self.taken_for(&first.file);
            candidates.extend(run.iter().map(|site| {
                let entries = owners.get_mut(&site.owner)?;
                (!entries.is_empty()).then(|| entries.remove(0))
            }));
        }
        // What the comparison reads of each file, found here: a FileText finds it once, but lazily,
        // which is not to be shared between threads.
        let texts: HashMap<&PathBuf, (&str, &str)> = same_file(sites)
            .filter_map(|run| files.get_key_value(&run.first()?.file))
            .map(|(path, file)| (*path, (file.text(), file.indent_step())))
            .collect();
        let reused: Vec<(Option<SiteReport>, Option<Box<Entry>>)> = sites
            .par_iter()
            .zip(candidates)
            .map(|(site, entry)| {
                let (Some(mut entry), Some((text, indent))) = (entry, texts.get(&site.file)) else {
                    return (None, None);
                };
                match entry.reuse(site, text, indent, generated) {
                    Some(report) => (Some(report), Some(entry)),
                    None => (None, None),
                }
            })
            .collect();
        let mut reused = reused.into_iter();
        let mut out = Vec::with_capacity(sites.len());
        for run in same_file(sites) {
            let Some(first) = run.first() else { continue };
            let kept = self.kept.entry(first.file.clone()).or_default();
            for (site, (report, entry)) in run.iter().zip(reused.by_ref()) {
                if let Some(entry) = entry {
                    kept.entry(site.owner.clone()).or_default().push(entry);
                }
                out.push(report);
            }
        }
        out
    }

    /// The entries the last check kept for `file`, taken out of the cache on first use.
    fn taken_for(&mut self, file: &PathBuf) -> &mut Owners {
        let cache = self.cache;
        self.taken
            .entry(file.clone())
            .or_insert_with(|| cache.take(file))
    }

    /// Remembers a site's report for the next check.
    pub(crate) fn keep(
        &mut self,
        site: &PolicySite,
        file: &FileText<'_>,
        generated: bool,
        report: &SiteReport,
    ) {
        if !in_one_file(site, report) {
            return;
        }
        let mut site = site.clone();
        let mut report = report.clone();
        let Some(hull) = [site.hull(), report.hull()]
            .into_iter()
            .flatten()
            .reduce(|a, b| Span::new(a.start.min(b.start), a.end.max(b.end)))
        else {
            return;
        };
        let read = file.read_around(hull);
        let Some(text) = read.slice(file.text()) else {
            return;
        };
        let entry = Box::new(Entry {
            text: text.to_string(),
            indent: file.indent_step().to_string(),
            read,
            generated,
            report,
            site,
        });
        let (file, owner) = (entry.site.file.clone(), entry.site.owner.clone());
        self.kept
            .entry(file)
            .or_default()
            .entry(owner)
            .or_default()
            .push(entry);
    }

    /// The check went through: what it did not take again is of sites that changed or are gone.
    pub(crate) fn finish(mut self) {
        self.finished = true;
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        let mut kept = std::mem::take(&mut self.kept);
        if !self.finished {
            // An interrupted check: the sites it did not reach are still good for the next.
            for (file, owners) in self.taken.drain() {
                let into = kept.entry(file).or_default();
                for (owner, entries) in owners {
                    into.entry(owner).or_default().extend(entries);
                }
            }
        }
        self.cache.put(kept);
    }
}

impl Entry {
    /// The report, moved to where `site` is in `text` (whose indent step is `indent`), when
    /// everything it was made from is the same.
    fn reuse(
        &mut self,
        site: &PolicySite,
        text: &str,
        indent: &str,
        generated: bool,
    ) -> Option<SiteReport> {
        if self.generated != generated {
            return None;
        }
        let delta = site.document.span.start as isize - self.site.document.span.start as isize;
        let read = self.read.moved(delta);
        if read.slice(text) != Some(self.text.as_str()) || indent != self.indent {
            return None;
        }
        if delta != 0 {
            self.site.move_spans(delta);
        }
        if self.site != *site {
            return None;
        }
        if delta != 0 {
            self.report.move_spans(delta);
            self.read = read;
        }
        Some(self.report.clone())
    }
}

/// The sites in runs of the same file, as an extraction gives them: what is done per file is done
/// once a run, not once a site (paths hash and compare component by component).
fn same_file(sites: &[PolicySite]) -> impl Iterator<Item = &[PolicySite]> {
    sites.chunk_by(|a, b| a.file.as_os_str() == b.file.as_os_str())
}

/// Whether everything the site and its report point at is in the site's file: only then does all of
/// it move with the one text. (A Terraform `file()` site is declared in another file.)
fn in_one_file(site: &PolicySite, report: &SiteReport) -> bool {
    let file = &site.file;
    site.owner_file == *file
        && report.messages.iter().all(|m| m.file == *file)
        && report
            .diagnostics
            .iter()
            .all(|d| d.file == *file && d.related.iter().all(|r| r.file == *file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forgotten_file_keeps_nothing() {
        let cache = SiteCache::new();
        let (a, b) = (PathBuf::from("/p/a.yaml"), PathBuf::from("/p/b.yaml"));
        cache.put(HashMap::from([
            (a.clone(), Owners::new()),
            (b.clone(), Owners::new()),
        ]));
        cache.forget(&a);
        let files = cache.files.lock().unwrap_or_else(|p| p.into_inner());
        assert!(!files.contains_key(&a));
        assert!(files.contains_key(&b));
    }
}
