//! Each policy site is read and resolved once per check: the verification of its fixes, the statistics
//! and the note on findings that joined nothing all read what the rules saw. Only the fix loop reads
//! again, the fixed text of each round. One test in this file, so that the process-wide counters count
//! it alone.

use std::path::PathBuf;

use iamprune_linter::resolve::sites_resolved;
use iamprune_linter::{Settings, Workspace};
use iamprune_policy::documents_parsed;

#[test]
fn each_site_is_parsed_and_resolved_once_per_check() {
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/demo");
    let (parsed, resolved) = (documents_parsed(), sites_resolved());
    let mut workspace = Workspace::new(Settings::default());
    let checked = workspace
        .check_paths(&[demo], &|| ())
        .unwrap_or_else(|e| panic!("{e}"));
    let reports: Vec<_> = checked.iter().flat_map(|c| &c.reports).collect();
    let sites: usize = reports.iter().map(|r| r.covered.policies).sum();
    // Each round of the fix loop reads and resolves the fixed unit, site for site.
    let refixed: usize = reports
        .iter()
        .map(|r| r.covered.policies * r.fix.rounds)
        .sum();
    assert!(sites >= 4, "the demo has policies: {sites}");
    assert!(refixed > 0, "the demo has fixes");
    assert_eq!(documents_parsed() - parsed, sites + refixed);
    assert_eq!(sites_resolved() - resolved, sites + refixed);
}
