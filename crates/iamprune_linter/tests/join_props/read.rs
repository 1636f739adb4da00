//! Reading the statements of a project back, by `Sid`: from the texts written, and from the texts the
//! fix left. The format crates parse the files (their extraction of documents is tested on its own);
//! whom each statement reaches is the world's to say, not theirs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use iamprune_policy::Purpose;
use iamprune_syntax::{Node, NodeKind};

use crate::world::{Format, Grant};

/// Every `Allow` statement of the identity policies and ceilings in `files` (absolute path → text:
/// the module or template, and the files a module reads), by `Sid`.
pub fn grants(
    format: Format,
    dir: &Path,
    files: &[(PathBuf, String)],
) -> Result<BTreeMap<String, Grant>, String> {
    let (sites, errors) = match format {
        Format::Terraform => {
            // The module's `.tf` files; the files it reads with `file()` are given as they are here
            // (before the fix, or after), not read from the disk.
            let (module, read): (Vec<_>, Vec<_>) = files
                .iter()
                .cloned()
                .partition(|(path, _)| path.extension().is_some_and(|e| e == "tf"));
            let options = iamprune_terraform::Options {
                root: dir.to_path_buf(),
                overrides: read.into_iter().collect(),
            };
            let extraction = iamprune_terraform::extract_module(dir, &module, &options);
            let errors: Vec<String> = extraction.errors.iter().map(ToString::to_string).collect();
            (extraction.sites, errors)
        }
        _ => {
            let mut sites = Vec::new();
            let mut errors = Vec::new();
            for (path, text) in files {
                let extraction =
                    iamprune_cfn::extract_file(path, text, &iamprune_cfn::Options::default());
                errors.extend(extraction.errors.iter().map(ToString::to_string));
                sites.extend(extraction.sites);
            }
            (sites, errors)
        }
    };
    if !errors.is_empty() {
        return Err(errors.join("\n"));
    }
    let mut out: BTreeMap<String, Grant> = BTreeMap::new();
    for site in &sites {
        if site.purpose == Purpose::Trust {
            continue;
        }
        let text = files
            .iter()
            .find(|(path, _)| *path == site.file)
            .map(|(_, text)| text.as_str())
            .ok_or_else(|| format!("{}: not among the files read", site.file.display()))?;
        let statements = match site.document.get("Statement").map(|m| &m.value) {
            Some(node) => match &node.kind {
                NodeKind::Array(items) => items.iter().collect(),
                _ => vec![node],
            },
            None => Vec::new(),
        };
        for statement in statements {
            let (sid, grant) = read_statement(statement, text)
                .map_err(|e| format!("{} in `{}`: {e}", site.file.display(), site.owner))?;
            // One document read from two places (a shared one) reads the same both times.
            if let Some(previous) = out.get(&sid) {
                if *previous != grant {
                    return Err(format!("statement {sid} is read two ways"));
                }
            }
            out.insert(sid, grant);
        }
    }
    Ok(out)
}

fn read_statement(statement: &Node, text: &str) -> Result<(String, Grant), String> {
    let sid = statement
        .get("Sid")
        .and_then(|m| m.value.as_str())
        .ok_or("a statement without a literal Sid")?
        .to_string();
    match statement.get("Effect").and_then(|m| m.value.as_str()) {
        Some("Allow") => {}
        other => return Err(format!("{sid}: effect {other:?}")),
    }
    let (list, not_action) = match (statement.get("Action"), statement.get("NotAction")) {
        (Some(m), None) => (&m.value, false),
        (None, Some(m)) => (&m.value, true),
        _ => return Err(format!("{sid}: not one of Action and NotAction")),
    };
    let items: Vec<&Node> = match &list.kind {
        NodeKind::Array(items) => items.iter().collect(),
        _ => vec![list],
    };
    let mut grant = Grant {
        patterns: Vec::new(),
        var_action: false,
        not_action,
    };
    for item in items {
        match &item.kind {
            NodeKind::String(pattern) => grant.patterns.push(pattern.clone()),
            NodeKind::Opaque(_) => {
                // `var.extra_action`, `"${var.extra_action}"`, `!Ref ExtraAction`: what the
                // environment sets it to.
                let written = item.span.slice(text).unwrap_or_default();
                if written.contains("extra_action") || written.contains("ExtraAction") {
                    grant.var_action = true;
                } else {
                    return Err(format!("{sid}: an expression `{written}`"));
                }
            }
            other => return Err(format!("{sid}: an action {other:?}")),
        }
    }
    Ok((sid, grant))
}
