//! An editor's check in two halves: diagnostics first, the fixes' verification after; either stops when
//! asked, and the two halves together give what one check gives.

use std::cell::Cell;
use std::path::PathBuf;

use iamprune_linter::Workspace;
use iamprune_linter::check::{Interrupt, Interrupted};

fn demo() -> PathBuf {
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/demo");
    std::fs::canonicalize(&demo).unwrap_or(demo)
}

#[test]
fn a_check_stops_when_asked_and_keeps_nothing() {
    let template = demo().join("cloudformation/web.yaml");
    let mut workspace = Workspace::for_editor(vec![demo()]);
    // Asked at once, and asked only after a few steps: both stop.
    let at_once = || true;
    assert_eq!(
        workspace
            .check_file_unverified(&template, &Interrupt::when(&at_once))
            .err(),
        Some(Interrupted)
    );
    let asked = Cell::new(0);
    let later = || {
        asked.set(asked.get() + 1);
        asked.get() > 2
    };
    assert_eq!(
        workspace
            .check_file_unverified(&template, &Interrupt::when(&later))
            .err(),
        Some(Interrupted)
    );
    assert!(asked.get() > 2, "asked {} times", asked.get());
}

#[test]
fn the_two_halves_give_what_one_check_gives() {
    let template = demo().join("cloudformation/web.yaml");
    let mut whole = Workspace::for_editor(vec![demo()]);
    let once = whole
        .check_file(&template)
        .and_then(|mut c| c.reports.pop())
        .unwrap_or_else(|| panic!("the demo template is checked"));

    let mut halves = Workspace::for_editor(vec![demo()]);
    let never = Interrupt::never();
    let mut checked = halves
        .check_file_unverified(&template, &never)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("the demo template is checked"));
    let mut report = checked
        .reports
        .pop()
        .unwrap_or_else(|| panic!("one report"));
    assert!(!report.verified);
    assert!(
        report.fix.changed.is_empty(),
        "nothing fixed before the verification"
    );
    // A verification asked to stop leaves the report unverified.
    let at_once = || true;
    assert_eq!(
        halves.verify(
            &checked.project,
            &checked.roots,
            &mut report,
            &Interrupt::when(&at_once)
        ),
        Err(Interrupted)
    );
    assert!(!report.verified);
    halves
        .verify(&checked.project, &checked.roots, &mut report, &never)
        .unwrap_or_else(|_| panic!("never interrupted"));
    assert!(report.verified && once.verified);
    assert_eq!(
        format!("{:?}", report.diagnostics),
        format!("{:?}", once.diagnostics)
    );
    assert_eq!(
        format!("{:?}", report.messages),
        format!("{:?}", once.messages)
    );
    assert_eq!(report.fix.changed, once.fix.changed);
    assert!(
        !report.fix.changed.is_empty(),
        "the demo template has fixes"
    );
}
