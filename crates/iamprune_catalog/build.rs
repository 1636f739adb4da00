//! Reads the embedded catalog when the crate is built, so that a run starts with it ready: the
//! generated code is the catalog's tables as constants, with nothing to parse, sort or allocate.

use std::fmt::Write as _;
use std::path::PathBuf;

#[path = "src/tsv.rs"]
#[allow(dead_code)]
mod tsv;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let data = manifest.join("data/catalog.tsv");
    println!("cargo::rerun-if-changed=data/catalog.tsv");
    println!("cargo::rerun-if-changed=src/tsv.rs");
    let text = std::fs::read_to_string(&data)
        .unwrap_or_else(|e| panic!("{}: cannot read: {e}", data.display()));
    let rows = tsv::parse(&text)
        .unwrap_or_else(|e| panic!("{}:{}:{}: {}", data.display(), e.line, e.column, e.message));
    let (mut names, mut lower, mut ends, mut access) =
        (String::new(), String::new(), String::new(), String::new());
    for (lower_name, name, level) in &rows.rows {
        names.push_str(name);
        lower.push_str(lower_name);
        let end = u32::try_from(names.len()).expect("the catalog is under 4 GiB");
        let _ = write!(ends, "{end},");
        let _ = write!(access, "AccessLevel::{level:?},");
    }
    let source = rows.source.as_deref().unwrap_or("unknown source");
    let code = format!(
        "Catalog {{\n\
         source: Cow::Borrowed({source:?}),\n\
         names: Cow::Borrowed({names:?}),\n\
         lower: Cow::Borrowed({lower:?}),\n\
         ends: Cow::Borrowed(&[{ends}]),\n\
         access: Cow::Borrowed(&[{access}]),\n\
         }}\n"
    );
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("embedded.rs");
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("{}: cannot write: {e}", out.display()));
}
