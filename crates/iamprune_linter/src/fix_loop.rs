//! The fix loop over a unit: apply the safe fixes in memory until none is left, re-extract and re-check
//! the result, and verify every fixed document against its original before anything may be written.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;

use iamprune_policy::PolicySite;

use crate::analysis::SiteAnalysis;
use crate::check::{Interrupt, Interrupted, UnitReport, apply_suppressions, lint_sites};
use crate::extract::ExtractOptions;
use crate::files;
use crate::fix;
use crate::units::UnitKind;
use crate::write::{self, WriteError};
use crate::{Level, Linter, Message};

/// What fixing a unit did.
#[derive(Debug, Default, Clone)]
pub struct FixOutcome {
    /// File → (original text, fixed text), for the files that change.
    pub changed: BTreeMap<PathBuf, (String, String)>,
    /// How many fixes were applied.
    pub applied: usize,
    /// How many rounds of fixing it took (each re-extracts and re-checks the unit).
    pub rounds: usize,
    /// Why nothing may be written: the fixed text did not parse or failed its verification.
    pub messages: Vec<Message>,
}

impl FixOutcome {
    pub fn failed(&self) -> bool {
        self.messages.iter().any(|m| m.level == Level::Error)
    }

    fn failed_with(messages: Vec<Message>) -> FixOutcome {
        FixOutcome {
            messages,
            ..FixOutcome::default()
        }
    }
}

/// Applies the safe fixes of a unit in memory until none is left (or [`fix::MAX_ROUNDS`]), then
/// verifies every document of the result against the original. A unit whose result fails is left as it
/// was, with an error message. A panic leaves the unit unwritten and reported; the others go on.
pub(crate) fn fix_unit(
    linter: &Linter<'_>,
    report: &UnitReport,
    options: &ExtractOptions,
    interrupt: &Interrupt<'_>,
) -> Result<FixOutcome, Interrupted> {
    std::panic::catch_unwind(AssertUnwindSafe(|| fix_unit_unguarded(linter, report, options, interrupt))).unwrap_or_else(|_| {
        Ok(FixOutcome::failed_with(vec![files::error(
            &report.unit.path,
            "internal error: fixing this file panicked; nothing was written; please report it with the file".into(),
        )]))
    })
}

fn fix_unit_unguarded(
    linter: &Linter<'_>,
    report: &UnitReport,
    options: &ExtractOptions,
    interrupt: &Interrupt<'_>,
) -> Result<FixOutcome, Interrupted> {
    if report.unit.kind == UnitKind::CdkAssembly && !linter.fix_generated {
        return Ok(FixOutcome::default());
    }
    let mut applied = 0;
    let mut rounds = 0;
    let mut texts = report.texts.clone();
    let mut diagnostics = report.diagnostics.clone();
    // The sites of the fixed texts and what the last round saw of them, for the verification.
    let mut fixed: Option<(Vec<PolicySite>, Vec<SiteAnalysis>)> = None;
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
                Err(e) => {
                    return Ok(FixOutcome::failed_with(vec![files::error(
                        file,
                        e.to_string(),
                    )]));
                }
            }
        }
        applied += selected.values().map(Vec::len).sum::<usize>();
        rounds += 1;
        interrupt.check()?;
        let (sites, messages) = crate::extract::extract(&report.unit, &texts, options);
        if messages
            .iter()
            .any(|m| m.level == Level::Error && !known.contains(m.message.as_str()))
        {
            let mut reasons = vec![files::error(
                &report.unit.path,
                "the fixed text does not parse; nothing was written".into(),
            )];
            reasons.extend(messages);
            return Ok(FixOutcome::failed_with(reasons));
        }
        let linted = lint_sites(linter, &report.unit, &sites, &mut texts, interrupt)?;
        diagnostics = linted.diagnostics;
        apply_suppressions(&texts, &mut diagnostics, &mut Vec::new());
        fixed = Some((sites, linted.analyses));
    }
    let Some((sites, analyses)) = fixed else {
        return Ok(FixOutcome::default());
    };
    match verify(linter, report, &sites, &analyses, interrupt) {
        Ok(()) => {}
        Err(Unverified::Interrupted) => return Err(Interrupted),
        Err(Unverified::Failed(reason)) => {
            return Ok(FixOutcome::failed_with(vec![files::error(
                &report.unit.path,
                format!("the fix failed its verification ({reason}); nothing was written"),
            )]));
        }
    }
    let mut outcome = FixOutcome {
        applied,
        rounds,
        ..FixOutcome::default()
    };
    for (file, text) in texts {
        if let Some(original) = report.texts.get(&file).filter(|o| **o != text) {
            outcome.changed.insert(file, (original.clone(), text));
        }
    }
    Ok(outcome)
}

/// Why a fixed unit was not verified.
enum Unverified {
    Failed(String),
    Interrupted,
}

impl From<String> for Unverified {
    fn from(reason: String) -> Self {
        Unverified::Failed(reason)
    }
}

impl From<Interrupted> for Unverified {
    fn from(_: Interrupted) -> Self {
        Unverified::Interrupted
    }
}

/// Checks each fixed document against its original, with what the check saw of both.
fn verify(
    linter: &Linter<'_>,
    report: &UnitReport,
    after: &[PolicySite],
    after_analyses: &[SiteAnalysis],
    interrupt: &Interrupt<'_>,
) -> Result<(), Unverified> {
    let pairs = fix::pair_sites(&report.sites, after)?;
    for (i, (before, after)) in pairs.into_iter().enumerate() {
        interrupt.check()?;
        let old = report.analyses.get(i).and_then(|a| a.document.as_ref());
        let new = after_analyses.get(i).and_then(|a| a.document.as_ref());
        let Some(old) = old else {
            // Not a policy document before the fix either (it was reported): nothing was refined in it,
            // so it must be exactly as it was.
            if iamprune_policy::output::to_json(&before.document)
                != iamprune_policy::output::to_json(&after.document)
            {
                return Err(Unverified::Failed(format!(
                    "`{}` changed though it is not a policy document",
                    before.owner
                )));
            }
            continue;
        };
        let Some(new) = new else {
            return Err(Unverified::Failed(format!(
                "`{}` is no longer a policy document",
                before.owner
            )));
        };
        let unused = report
            .analyses
            .get(i)
            .and_then(|a| a.unused(linter.catalog, before));
        fix::verify_document(
            linter.catalog,
            (&before.document, old),
            (&after.document, new),
            unused.as_ref(),
        )
        .map_err(|e| format!("{}: {e}", before.owner))?;
    }
    Ok(())
}

/// Writes the changed files of a fix, each only if it still holds what the fix was computed from;
/// the files of a unit that changed since are named, and nothing of the unit is written.
pub fn write(outcome: &FixOutcome) -> Result<(), WriteError> {
    for (file, (before, _)) in &outcome.changed {
        if std::fs::read(file).ok().as_deref() != Some(before.as_bytes()) {
            return Err(WriteError::Changed { file: file.clone() });
        }
    }
    for (file, (before, after)) in &outcome.changed {
        write::write_if_unchanged(file, before, after)?;
    }
    Ok(())
}
