//! From a synthesized CDK template back to the app's source: where an action string is written once
//! in the app, diagnostics on it also point there, since that is where a fix belongs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use iamprune_syntax::Span;

use crate::diagnostic::{Diagnostic, Related};

/// Source files bigger than this are not searched; app code is far smaller.
const MAX_SOURCE_BYTES: u64 = 1024 * 1024;
/// Apps with more source files than this are not searched, to keep a scan fast.
const MAX_SOURCE_FILES: usize = 5_000;
const EXTENSIONS: [&str; 8] = ["ts", "js", "mjs", "py", "java", "cs", "go", "kt"];

/// The app's source files: under the directory that holds `cdk.out`, leaving out build output and
/// dependencies.
pub fn app_sources(assembly: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let app = match assembly.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut walk = ignore::WalkBuilder::new(app);
    walk.require_git(false)
        .max_depth(Some(8))
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            !matches!(
                name.as_ref(),
                "cdk.out"
                    | "node_modules"
                    | "target"
                    | "dist"
                    | "build"
                    | ".venv"
                    | "venv"
                    | "__pycache__"
            )
        });
    for entry in walk.build().flatten() {
        if out.len() >= MAX_SOURCE_FILES {
            break;
        }
        let path = entry.path();
        let wanted = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e))
            && !path.to_string_lossy().ends_with(".d.ts");
        if !wanted
            || entry
                .metadata()
                .map_or(true, |m| m.len() > MAX_SOURCE_BYTES)
        {
            continue;
        }
        if let Ok(text) = iamprune_syntax::fs::read_to_string(path) {
            out.insert(path.strip_prefix(".").unwrap_or(path).to_path_buf(), text);
        }
    }
    out
}

/// Adds to each diagnostic the app source line that writes its element, when the quoted literal
/// occurs exactly once in the whole app.
pub fn point_to_sources(
    diagnostics: &mut [Diagnostic],
    texts: &BTreeMap<PathBuf, String>,
    sources: &BTreeMap<PathBuf, String>,
) {
    if sources.is_empty() {
        return;
    }
    for diagnostic in diagnostics.iter_mut() {
        let Some(literal) = texts
            .get(&diagnostic.file)
            .and_then(|t| t.get(diagnostic.span.range()))
            .map(|raw| raw.trim_matches(['"', '\'']))
            .filter(|l| l.contains(':') && !l.is_empty())
        else {
            continue;
        };
        let mut hits = sources.iter().flat_map(|(path, text)| {
            ['"', '\'', '`'].into_iter().flat_map(move |quote| {
                let needle = format!("{quote}{literal}{quote}");
                let len = needle.len();
                text.match_indices(needle.as_str())
                    .map(|(at, _)| (path.clone(), Span::new(at, at + len)))
                    .collect::<Vec<_>>()
            })
        });
        if let (Some((file, span)), None) = (hits.next(), hits.next()) {
            diagnostic.related.push(Related {
                file,
                span,
                message: format!("`{literal}` is written here in the CDK app"),
            });
        }
    }
}
