mod baseline;
pub mod check;
pub mod expand;
pub mod findings;
pub mod fix;
pub mod principals;
pub mod refine;
pub mod rules;
mod scan;
