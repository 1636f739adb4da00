//! Diagnostics and fixes: what the rules report, independent of how it is rendered.

use std::fmt;
use std::path::PathBuf;

use iamprune_syntax::Span;

use crate::rules::Rule;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding of a rule at a place in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub rule: Rule,
    pub severity: Severity,
    pub file: PathBuf,
    pub span: Span,
    pub message: String,
    /// The principals (ARNs) whose findings the diagnostic rests on.
    pub principals: Vec<String>,
    /// For CDK output: the construct the element belongs to.
    pub construct_path: Option<String>,
    /// Other places worth showing: for CDK output, the line of the app's source that wrote the action.
    pub related: Vec<Related>,
    pub fix: Option<Fix>,
}

/// Another place a diagnostic points to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub file: PathBuf,
    pub span: Span,
    pub message: String,
}

/// How a fix may be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Applicability {
    /// `iamprune fix` applies it.
    Safe,
    /// Shown, never applied automatically (it would delete a whole policy, or edit a generated file).
    DisplayOnly,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::DisplayOnly => "display-only",
        }
    }
}

/// A fix: non-overlapping edits on byte ranges of the original text of its diagnostic's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub applicability: Applicability,
    pub title: String,
    pub edits: Vec<Edit>,
    /// The patterns that replace the element (empty when it is removed).
    pub refined: Vec<String>,
}

/// The text that replaces a span. Which file it edits is its owner's to say (a fix's diagnostic, the
/// key of [`crate::fix::select`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edit {
    pub span: Span,
    pub content: String,
}

impl Edit {
    pub fn replace(span: Span, content: impl Into<String>) -> Self {
        Edit {
            span,
            content: content.into(),
        }
    }

    pub fn delete(span: Span) -> Self {
        Edit::replace(span, "")
    }
}

/// `n` things in words: "1 action", "22 actions". Messages read as sentences, not "action(s)".
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// "it" or "them", after [`count`].
pub fn them(n: usize) -> &'static str {
    if n == 1 { "it" } else { "them" }
}
