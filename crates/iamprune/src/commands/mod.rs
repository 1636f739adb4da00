pub mod expand;
pub mod refine;
