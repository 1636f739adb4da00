//! What the renderers' tests build reports from.

use std::path::PathBuf;

use iamprune_linter::{Diagnostic, Rule, Severity};
use iamprune_syntax::Span;

/// A diagnostic with nothing optional: no construct, no related places, no fix.
pub(crate) fn bare_diagnostic() -> Diagnostic {
    Diagnostic {
        rule: Rule::UnusedAction,
        severity: Severity::Warning,
        file: PathBuf::from("main.tf"),
        span: Span::new(0, 1),
        message: "unused".into(),
        principals: Vec::new(),
        construct_path: None,
        related: Vec::new(),
        fix: None,
    }
}
