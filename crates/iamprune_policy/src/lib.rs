//! The IAM policy model and the refinement engine.
//!
//! Parsers hand this crate a spanned tree ([`iamprune_syntax::Node`]); it reads policy documents from it
//! ([`PolicyDocument`]), and, given what is unused ([`UnusedSet`]), computes the least-general refinement
//! of every `Allow` statement ([`refine_document`]), each one checked by its proof ([`proof`]) before it
//! is returned. It knows nothing of file formats or of where findings come from.

mod memo;
mod model;
pub mod output;
pub mod proof;
mod refine;
mod site;
mod size;
mod spans;
pub mod tokens;
mod unused;

pub use memo::RefineMemo;
pub use model::{
    ActionBlock, ActionElement, ActionKey, Effect, ElementValue, PolicyDocument, PolicyError,
    Statement, documents_parsed,
};
pub use proof::ProofFailure;
pub use refine::{
    ElementRefinement, Outcome, PatternRefinement, Refinement, StatementRefinement, Unchanged,
    is_full_wildcard, refine_document, refine_pattern, refine_statement,
};
pub use site::{
    Expansion, PolicySite, PrincipalKind, PrincipalName, PrincipalRef, Purpose, Reach, SiteNote,
    StringStyle, Syntax,
};
pub use size::{PolicyKind, document_size};
pub use unused::{BadActionName, Unused, UnusedSet};
