//! Checking the units of open files through the workspace, and publishing their diagnostics.

use std::collections::BTreeSet;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use lsp_types as lsp;

use iamprune_linter::Level;
use iamprune_linter::check::{Interrupt, UnitReport};
use iamprune_linter::files;
use iamprune_linter::units::UnitKind;
use iamprune_linter::workspace::ProjectKey;

use crate::ServerError;
use crate::main_loop::Server;
use crate::position::LineMap;
use crate::proto::{self, Files};

/// The notification naming what a loaded project was read from besides the sources (configuration,
/// catalog, findings, deployment evidence): `{"paths": [...]}`, files or directories. A client that
/// does not watch files for the server watches these and reports their changes with
/// `workspace/didChangeWatchedFiles`.
pub const WATCH_NOTIFICATION: &str = "iamprune/watch";

/// The last check of a unit, kept for code actions and hovers until the next one.
pub struct UnitCheck {
    /// The project it was checked in.
    pub project: ProjectKey,
    /// The roots its unit was found under.
    pub roots: Vec<PathBuf>,
    pub report: UnitReport,
    /// The open files its diagnostics were last published for.
    pub published: BTreeSet<PathBuf>,
}

impl Server<'_> {
    /// Marks an open file's unit to be checked before the next request is answered.
    pub fn schedule(&mut self, path: PathBuf) {
        if self.documents.contains_key(&path) && files::is_source(&path) {
            self.pending.insert(path);
        }
    }

    /// Marks every open file to be checked again.
    pub fn schedule_all(&mut self) {
        let open: Vec<PathBuf> = self.documents.keys().cloned().collect();
        for file in open {
            self.schedule(file);
        }
    }

    /// Checks the units of every pending file, each unit once. With `interruptible`, stops when a newer
    /// text or a request to answer at once arrives (`Ok(false)`); the files not checked stay pending.
    pub fn flush(&mut self, interruptible: bool) -> Result<bool, ServerError> {
        let asked = self.interrupt_asked();
        let interrupt = Interrupt::when(&asked).only_if(interruptible);
        while let Some(path) = self.pending.first().cloned() {
            // The engine catches its own panics around a check; this catches the server's, so that one
            // file cannot take the editor's diagnostics down for every other.
            match std::panic::catch_unwind(AssertUnwindSafe(|| self.check(&path, &interrupt))) {
                Ok(Ok(true)) => {}
                Ok(Ok(false)) => return Ok(false),
                Ok(Err(e)) => return Err(e),
                Err(_) => self.log(
                    lsp::MessageType::Error,
                    format!("internal error checking {}", path.display()),
                )?,
            }
            self.pending.remove(&path);
        }
        Ok(true)
    }

    /// Verifies the fixes of the checks whose fixes are not verified yet; a unit whose fixes fail is
    /// published again, with the reason. With `interruptible`, stops as [`flush`](Self::flush) does.
    pub fn verify_checks(&mut self, interruptible: bool) -> Result<bool, ServerError> {
        let asked = self.interrupt_asked();
        let interrupt = Interrupt::when(&asked).only_if(interruptible);
        let unverified: Vec<PathBuf> = self
            .checks
            .iter()
            .filter(|(_, c)| !c.report.verified)
            .map(|(unit, _)| unit.clone())
            .collect();
        for unit in unverified {
            let Some(mut check) = self.checks.remove(&unit) else {
                continue;
            };
            let verified =
                self.workspace
                    .verify(&check.project, &check.roots, &mut check.report, &interrupt);
            let failed = check.report.fix.failed();
            self.checks.insert(unit.clone(), check);
            if verified.is_err() {
                return Ok(false);
            }
            if failed {
                self.publish_check(&unit)?;
            }
        }
        Ok(true)
    }

    /// Checks `path`'s unit; `Ok(false)` when interrupted, with nothing changed.
    fn check(&mut self, path: &Path, interrupt: &Interrupt<'_>) -> Result<bool, ServerError> {
        let key = self.workspace.project_key(path);
        if self.workspace.load(&key).unwrap_or(false) {
            self.show_problems(&key)?;
        }
        let Ok(checked) = self.workspace.check_file_unverified(path, interrupt) else {
            return Ok(false);
        };
        let Some(mut checked) = checked else {
            // Not checked (excluded): whatever was shown for it goes.
            self.forget(path);
            self.publish_empty(path)?;
            return Ok(true);
        };
        // Files the walk of the project could not read, and what it left out: no open file to show
        // them on.
        for message in &checked.messages {
            let kind = match message.level {
                Level::Error => lsp::MessageType::Warning,
                Level::Note => lsp::MessageType::Info,
            };
            self.log(
                kind,
                format!("iamprune: {}: {}", message.file.display(), message.message),
            )?;
        }
        let Some(report) = checked.reports.pop() else {
            return Ok(true);
        };
        for file in &report.unit.files {
            self.pending.remove(file);
        }
        let unit_path = report.unit.path.clone();
        let previous = match self.checks.remove(&unit_path) {
            Some(mut replaced) => {
                let published = std::mem::take(&mut replaced.published);
                drop_elsewhere(replaced);
                published
            }
            None => BTreeSet::new(),
        };
        // A standalone check of a file this module now claims would publish over the module's.
        if report.unit.kind == UnitKind::TerraformModule {
            self.checks.retain(|_, c| {
                c.report.unit.kind != UnitKind::Template
                    || !c
                        .report
                        .unit
                        .files
                        .iter()
                        .all(|f| report.texts.contains_key(f))
            });
        }
        let mut check = UnitCheck {
            project: checked.project,
            roots: checked.roots,
            report,
            published: previous,
        };
        check.published.insert(path.to_path_buf());
        self.checks.insert(unit_path.clone(), check);
        self.publish_check(&unit_path)?;
        Ok(true)
    }

    /// Publishes the diagnostics of a unit's last check for each of its open files, and empties those
    /// of the open files it published for before and no longer covers.
    fn publish_check(&mut self, unit_path: &Path) -> Result<(), ServerError> {
        let Some(check) = self.checks.get(unit_path) else {
            return Ok(());
        };
        let mut files: BTreeSet<PathBuf> = check.published.clone();
        files.extend(check.report.unit.files.iter().cloned());
        files.extend(check.report.texts.keys().cloned());
        files.extend(check.report.diagnostics.iter().map(|d| d.file.clone()));
        files.extend(check.report.messages.iter().map(|m| m.file.clone()));
        let mut published = BTreeSet::new();
        for file in files {
            let Some(document) = self.documents.get(&file) else {
                continue;
            };
            let diagnostics = self.file_diagnostics(&file, check);
            self.publish(&document.uri, Some(document.version), diagnostics)?;
            published.insert(file);
        }
        if let Some(check) = self.checks.get_mut(unit_path) {
            check.published = published;
        }
        Ok(())
    }

    /// Says each problem to the user once, as a warning.
    pub fn show_warnings<P: std::fmt::Display>(&self, problems: &[P]) -> Result<(), ServerError> {
        for problem in problems {
            self.notify(
                "window/showMessage",
                lsp::ShowMessageParams {
                    kind: lsp::MessageType::Warning,
                    message: format!("iamprune: {problem}"),
                },
            )?;
        }
        Ok(())
    }

    /// Says what could not be loaded of a project the first time it is used, and what it was loaded
    /// from (`iamprune/watch`).
    fn show_problems(&self, key: &ProjectKey) -> Result<(), ServerError> {
        let Some(project) = self.workspace.project(key) else {
            return Ok(());
        };
        self.show_warnings(&project.problems)?;
        // A client that does not watch files for the server (Neovim on Linux) can watch these itself.
        self.notify(
            WATCH_NOTIFICATION,
            serde_json::json!({ "paths": project.watched() }),
        )
    }

    /// Drops a file from the checks that published for it.
    pub fn forget(&mut self, path: &Path) -> Vec<PathBuf> {
        let mut others = Vec::new();
        for check in self.checks.values_mut() {
            if check.published.remove(path) {
                others.extend(check.published.iter().cloned());
            }
        }
        others
    }

    fn publish_empty(&self, path: &Path) -> Result<(), ServerError> {
        match self.documents.get(path) {
            Some(document) => self.publish(&document.uri, Some(document.version), Vec::new()),
            None => Ok(()),
        }
    }

    pub fn publish(
        &self,
        uri: &lsp::Uri,
        version: Option<i32>,
        diagnostics: Vec<lsp::Diagnostic>,
    ) -> Result<(), ServerError> {
        let params = lsp::PublishDiagnosticsParams {
            uri: uri.clone(),
            version,
            diagnostics,
        };
        self.publisher
            .send(crate::transport::Outgoing::Diagnostics(params))
    }

    /// The diagnostics of one open file: the rules' findings, and the errors and notes that kept part
    /// of it from being checked.
    fn file_diagnostics(&self, file: &Path, check: &UnitCheck) -> Vec<lsp::Diagnostic> {
        let Some(text) = self.text_of(file, check) else {
            return Vec::new();
        };
        let files = CheckFiles {
            server: self,
            check,
        };
        proto::file_diagnostics(
            &check.report,
            file,
            &LineMap::new(&text),
            self.setup.encoding,
            &files,
        )
    }

    /// The check whose diagnostics cover a file.
    pub fn check_of(&self, path: &Path) -> Option<&UnitCheck> {
        self.checks
            .values()
            .find(|c| c.published.contains(path))
            .or_else(|| self.checks.values().find(|c| c.report.unit.contains(path)))
    }

    /// A file's text as the last check saw it: the editor's buffer for the files of the unit (the
    /// check used it), the disk for files read through them (a `file()` target).
    pub fn text_of(&self, path: &Path, check: &UnitCheck) -> Option<String> {
        if let Some(text) = check.report.texts.get(path) {
            return Some(text.clone());
        }
        if let Some(text) = self.workspace.buffer(path) {
            return Some(text.to_string());
        }
        files::read_text(path).ok()
    }

    pub fn uri_of(&self, path: &Path) -> Option<lsp::Uri> {
        match self.documents.get(path) {
            Some(document) => Some(document.uri.clone()),
            None => lsp::Uri::from_file_path(path).ok(),
        }
    }
}

/// Frees a replaced check on another thread: a large template's report is many small allocations, and
/// freeing them is time a hover or the next edit would wait for. One thread frees them all, one after
/// another: a burst of keystrokes would otherwise start a thread a check, each taking a core from
/// the check of the next keystroke.
fn drop_elsewhere(check: UnitCheck) {
    static DROPPER: std::sync::OnceLock<Option<std::sync::mpsc::Sender<UnitCheck>>> =
        std::sync::OnceLock::new();
    let dropper = DROPPER.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel::<UnitCheck>();
        std::thread::Builder::new()
            .name("drop-checks".into())
            .spawn(move || receiver.into_iter().for_each(drop))
            .ok()
            .map(|_| sender)
    });
    match dropper {
        Some(sender) => {
            // The thread is gone only if it panicked: then the check is freed here.
            if let Err(unsent) = sender.send(check) {
                drop(unsent.0);
            }
        }
        None => drop(check),
    }
}

/// The files of one check, as the conversions to the protocol see them.
pub struct CheckFiles<'a, 'c> {
    pub server: &'a Server<'c>,
    pub check: &'a UnitCheck,
}

impl Files for CheckFiles<'_, '_> {
    fn text(&self, path: &Path) -> Option<String> {
        let text = self.server.text_of(path, self.check)?;
        // A fix computed on the file as it is on disk would garble a buffer edited since.
        match self.server.workspace.buffer(path) {
            Some(buffer) if buffer != text => None,
            _ => Some(text),
        }
    }

    fn uri(&self, path: &Path) -> Option<lsp::Uri> {
        self.server.uri_of(path)
    }
}
