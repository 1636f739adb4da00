//! Diagnostics for the files of the workspace that are not open, so that the editor's problem list
//! shows the whole repository: the folders are checked as `iamprune check` checks them, on a thread of
//! their own and one core, once after start and again when what they depend on changes; the result is
//! published for the files the editor does not hold open (an open file's diagnostics are its own
//! check's). What is said of the run rather than of a file (findings that reach no policy, the catalog's
//! age) is published on the file it names.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crossbeam_channel::Receiver;
use lsp_types as lsp;

use iamprune_linter::check::UnitReport;
use iamprune_linter::units::UnitKind;
use iamprune_linter::{Diagnostic, Settings, Workspace, files};
use iamprune_syntax::Span;

use crate::ServerError;
use crate::main_loop::Server;
use crate::position::{Encoding, LineMap};
use crate::proto::{self, Files};

/// A workspace check under way, or the wish for one.
#[derive(Default)]
pub struct WorkspaceChecks {
    /// Whether they are wanted at all (the `workspaceDiagnostics` setting; on unless turned off).
    pub enabled: bool,
    /// The check under way: its result arrives here.
    running: Option<Receiver<Published>>,
    /// Something changed since the check under way started: another follows it.
    due: bool,
    /// The last result, by file, for the files it published.
    pub last: Published,
    /// Whether a check has logged what the walk said of directories (what the ignore files left out):
    /// once a session, not after every save.
    walk_said: bool,
    /// The progress shown for the check under way: the request that created its token, and whether
    /// it began.
    progress: Option<(lsp_server::RequestId, bool)>,
}

/// The token of the workspace check's progress.
const PROGRESS_TOKEN: &str = "iamprune/workspace";

/// What one workspace check found, converted for the protocol, by file.
pub type Published = BTreeMap<PathBuf, (lsp::Uri, Vec<lsp::Diagnostic>)>;

impl WorkspaceChecks {
    pub fn new(enabled: bool) -> WorkspaceChecks {
        WorkspaceChecks {
            enabled,
            due: enabled,
            ..WorkspaceChecks::default()
        }
    }

    /// The workspace is to be checked again (at once, or after the check under way).
    pub fn request(&mut self) {
        self.due = self.enabled;
    }

    /// Where the result of the check under way arrives.
    pub fn receiver(&self) -> Option<&Receiver<Published>> {
        self.running.as_ref()
    }

    /// Starts a check when one is due and none runs; `true` when it started.
    /// Starts a check when one is due and none runs; `true` when it started. What the walk says of
    /// directories goes to `log` (the client's connection) the first time.
    pub fn start_if_due(
        &mut self,
        roots: &[PathBuf],
        settings: &Settings,
        encoding: Encoding,
        log: &crossbeam_channel::Sender<lsp_server::Message>,
    ) -> bool {
        if !self.due || self.running.is_some() || roots.is_empty() {
            return false;
        }
        self.due = false;
        let log = (!std::mem::replace(&mut self.walk_said, true)).then(|| log.clone());
        let (sender, receiver) = crossbeam_channel::bounded(1);
        let (roots, settings) = (roots.to_vec(), settings.clone());
        let spawned = std::thread::Builder::new()
            .name("workspace-check".into())
            .spawn(move || {
                let published =
                    std::panic::catch_unwind(|| check(&roots, settings, encoding, log.as_ref()));
                let _ = sender.send(published.unwrap_or_default());
            });
        if spawned.is_ok() {
            self.running = Some(receiver);
        }
        self.running.is_some()
    }
}

/// Checks the folders on one core, so that the editor's own checks keep the other.
fn check(
    roots: &[PathBuf],
    settings: Settings,
    encoding: Encoding,
    log: Option<&crossbeam_channel::Sender<lsp_server::Message>>,
) -> Published {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build();
    let run = || {
        let mut workspace = Workspace::for_editor(roots.to_vec());
        workspace.set_settings(settings);
        workspace.check_paths(roots, &|| ()).unwrap_or_default()
    };
    let checked = match pool {
        Ok(pool) => pool.install(run),
        Err(_) => run(),
    };
    let mut out = Collected {
        encoding,
        maps: HashMap::new(),
        published: BTreeMap::new(),
    };
    for run in &checked {
        for report in &run.reports {
            let files = ReportFiles {
                texts: &report.texts,
            };
            let by_file: BTreeSet<&PathBuf> = report
                .diagnostics
                .iter()
                .map(|d| &d.file)
                .chain(report.messages.iter().map(|m| &m.file))
                .collect();
            for file in by_file {
                out.add(file, &files, |map| {
                    proto::file_diagnostics(report, file, map, encoding, &files)
                });
            }
            if report.unit.kind == UnitKind::CdkAssembly {
                app_source_diagnostics(report, &files, &mut out);
            }
        }
        // Said of the run: on the file each names (a findings export, the configuration); what names
        // a directory (what the walk left out) is logged.
        let disk = ReportFiles {
            texts: &BTreeMap::new(),
        };
        for message in &run.messages {
            if !message.file.is_dir() {
                out.add(&message.file, &disk, |map| {
                    vec![proto::message(message, map, encoding)]
                });
            } else if let Some(log) = log {
                let params = lsp::LogMessageParams {
                    kind: lsp::MessageType::Info,
                    message: format!("iamprune: {}: {}", message.file.display(), message.message),
                };
                let _ = log
                    .send(lsp_server::Notification::new("window/logMessage".into(), params).into());
            }
        }
    }
    out.published
}

/// What a workspace check publishes, file by file, with each file's line map made once.
struct Collected {
    encoding: Encoding,
    maps: HashMap<PathBuf, Option<LineMap>>,
    published: Published,
}

impl Collected {
    /// Adds what `convert` makes of `file` with its line map; nothing when the file cannot be read.
    fn add(
        &mut self,
        file: &Path,
        files: &dyn Files,
        convert: impl FnOnce(&LineMap) -> Vec<lsp::Diagnostic>,
    ) {
        let map = self
            .maps
            .entry(file.to_path_buf())
            .or_insert_with(|| files.text(file).map(|text| LineMap::new(&text)));
        let (Some(map), Some(uri)) = (map.as_ref(), files.uri(file)) else {
            return;
        };
        let diagnostics = convert(map);
        self.published
            .entry(file.to_path_buf())
            .or_insert_with(|| (uri, Vec::new()))
            .1
            .extend(diagnostics);
    }

    fn range(&mut self, file: &Path, files: &dyn Files, span: Span) -> Option<lsp::Range> {
        let encoding = self.encoding;
        self.maps
            .entry(file.to_path_buf())
            .or_insert_with(|| files.text(file).map(|text| LineMap::new(&text)))
            .as_ref()
            .map(|map| map.range(span, encoding))
    }
}

/// A CDK assembly's diagnostics on the app's source line that writes each action, where that line is
/// known for certain (the literal is written once in the app, see [`iamprune_linter::cdk_source`]):
/// shown there, with what to write instead, since that is where the change belongs; never a fix, the
/// template being regenerated from the app.
fn app_source_diagnostics(report: &UnitReport, files: &ReportFiles<'_>, out: &mut Collected) {
    let encoding = out.encoding;
    for diagnostic in &report.diagnostics {
        if diagnostic.related.is_empty() {
            continue;
        }
        // Back to the template the finding is about.
        let template = out
            .range(&diagnostic.file, files, diagnostic.span)
            .zip(files.uri(&diagnostic.file))
            .map(|(range, uri)| {
                vec![lsp::DiagnosticRelatedInformation {
                    location: lsp::Location { uri, range },
                    message: "in the synthesized template".into(),
                }]
            });
        let instead = match &diagnostic.fix {
            Some(fix) if !fix.refined.is_empty() => format!(
                "; write {} here instead, then synthesize again",
                fix.refined
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Some(_) => "; remove it here, then synthesize again".to_string(),
            None => String::new(),
        };
        let whose = diagnostic
            .construct_path
            .as_deref()
            .map(|path| format!(" ({path})"))
            .unwrap_or_default();
        // Its own related places are where it is shown now.
        let shown = Diagnostic {
            related: Vec::new(),
            message: format!("{}{whose}{instead}", diagnostic.message),
            ..diagnostic.clone()
        };
        for related in &diagnostic.related {
            out.add(&related.file, files, |map| {
                let mut converted = proto::diagnostic(&shown, map, encoding, files);
                converted.range = map.range(related.span, encoding);
                converted.related_information = template.clone();
                vec![converted]
            });
        }
    }
}

/// The texts of one report's files, the disk for the others.
struct ReportFiles<'a> {
    texts: &'a BTreeMap<PathBuf, String>,
}

impl Files for ReportFiles<'_> {
    fn text(&self, path: &Path) -> Option<String> {
        self.texts
            .get(path)
            .cloned()
            .or_else(|| files::read_text(path).ok())
    }

    fn uri(&self, path: &Path) -> Option<lsp::Uri> {
        lsp::Uri::from_file_path(path).ok()
    }
}

impl Server<'_> {
    /// Starts a workspace check when one is due, with its progress where the client shows it (once
    /// the client has created the token, see [`on_response`](Self::on_response)).
    pub fn start_workspace_check(&mut self) -> Result<(), ServerError> {
        let roots = self.workspace.roots().to_vec();
        let log = self.connection().sender.clone();
        let started = self.workspace_checks.start_if_due(
            &roots,
            self.workspace.settings(),
            self.setup.encoding,
            &log,
        );
        if started && self.setup.progress && self.workspace_checks.progress.is_none() {
            let id = self.send_request(
                "window/workDoneProgress/create",
                serde_json::json!({ "token": PROGRESS_TOKEN }),
            )?;
            self.workspace_checks.progress = Some((id, false));
        }
        Ok(())
    }

    /// The client answered a request of the server's: a created progress token begins the progress of
    /// the check under way.
    pub fn on_response(&mut self, response: lsp_server::Response) -> Result<(), ServerError> {
        let Some((id, begun)) = &mut self.workspace_checks.progress else {
            return Ok(());
        };
        if *id != response.id || *begun {
            return Ok(());
        }
        if response.response_result.is_err() || self.workspace_checks.running.is_none() {
            self.workspace_checks.progress = None;
            return Ok(());
        }
        *begun = true;
        self.progress(serde_json::json!({
            "kind": "begin",
            "title": "iamprune",
            "message": "checking the workspace",
        }))
    }

    fn progress(&self, value: serde_json::Value) -> Result<(), ServerError> {
        self.notify(
            "$/progress",
            serde_json::json!({ "token": PROGRESS_TOKEN, "value": value }),
        )
    }

    /// A workspace check finished: its diagnostics are published for the files not open, and those
    /// the last one published and this one does not are emptied.
    pub fn workspace_checked(&mut self, published: Option<Published>) -> Result<(), ServerError> {
        self.workspace_checks.running = None;
        let files = published.as_ref().map_or(0, BTreeMap::len);
        // Not begun yet: the client's answer will find no check under way.
        if let Some((_, true)) = self.workspace_checks.progress.take() {
            self.progress(serde_json::json!({
                "kind": "end",
                "message": format!("{files} file(s) with diagnostics"),
            }))?;
        }
        let Some(published) = published else {
            return Ok(());
        };
        let previous = std::mem::replace(&mut self.workspace_checks.last, published);
        for (file, (uri, _)) in &previous {
            if !self.workspace_checks.last.contains_key(file) && !self.documents.contains_key(file)
            {
                self.publish(uri, None, Vec::new())?;
            }
        }
        for (file, (uri, diagnostics)) in &self.workspace_checks.last {
            let unchanged = previous
                .get(file)
                .is_some_and(|(_, before)| before == diagnostics);
            if !self.documents.contains_key(file) && !unchanged {
                self.publish(uri, None, diagnostics.clone())?;
            }
        }
        Ok(())
    }

    /// Turns the workspace's diagnostics on or off; off, what they showed of closed files goes.
    pub fn set_workspace_diagnostics(&mut self, enabled: bool) -> Result<(), ServerError> {
        self.workspace_checks.enabled = enabled;
        if !enabled {
            self.workspace_checked(Some(Published::new()))?;
        }
        Ok(())
    }

    /// What the last workspace check found in a file, published when the editor closes it.
    pub fn publish_workspace_result(&self, path: &Path, uri: &lsp::Uri) -> Result<(), ServerError> {
        let diagnostics = self
            .workspace_checks
            .last
            .get(path)
            .map(|(_, list)| list.clone())
            .unwrap_or_default();
        self.publish(uri, None, diagnostics)
    }
}
