//! Baselines: the fingerprints of known problems, so that CI fails only on new ones.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context;
use iamprune_render::{Report, Sources, fingerprints, path_string};
use serde_json::json;

pub fn write(path: &Path, report: &Report, sources: &Sources) -> anyhow::Result<()> {
    let entries: Vec<serde_json::Value> = report
        .diagnostics
        .iter()
        .zip(fingerprints(report, sources))
        .map(|(d, fingerprint)| {
            json!({
                "fingerprint": fingerprint,
                "code": d.rule.code(),
                "file": path_string(&d.file),
                "message": d.message,
            })
        })
        .collect();
    let text = serde_json::to_string_pretty(&json!({"version": 1, "diagnostics": entries}))?;
    std::fs::write(path, text + "\n")
        .with_context(|| format!("{}: cannot write the baseline", path.display()))
}

/// Drops the diagnostics whose fingerprint the baseline holds.
pub fn filter(path: &Path, report: &mut Report, sources: &Sources) -> anyhow::Result<()> {
    let text = iamprune_syntax::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the baseline", path.display()))?;
    let value: serde_json::Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: not a baseline written by --write-baseline",
            path.display()
        )
    })?;
    let known: BTreeSet<&str> = value["diagnostics"]
        .as_array()
        .with_context(|| {
            format!(
                "{}: not a baseline written by --write-baseline",
                path.display()
            )
        })?
        .iter()
        .filter_map(|d| d["fingerprint"].as_str())
        .collect();
    let prints = fingerprints(report, sources);
    let mut keep = prints.iter().map(|p| !known.contains(p.as_str()));
    report.diagnostics.retain(|_| keep.next().unwrap_or(true));
    Ok(())
}
