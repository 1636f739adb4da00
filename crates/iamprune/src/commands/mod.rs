pub mod expand;
pub mod findings;
pub mod refine;
