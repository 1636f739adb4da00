//! A check keeps the text of a file only while something it reports points into it: a repository's
//! texts held to the end of a run would be most of its memory. The join's part of each unit is taken
//! before its texts go, so a `[principals]` mapping is still told from a typo.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use iamprune_linter::{Level, Settings, Workspace};

/// Of a check of `root`: every kept text's file, every file something reported points into, every
/// file of a unit with a policy, and the run's errors.
fn kept_and_shown(
    root: &Path,
) -> (
    BTreeSet<PathBuf>,
    BTreeSet<PathBuf>,
    BTreeSet<PathBuf>,
    Vec<String>,
) {
    let mut workspace = Workspace::new(Settings::default());
    let checked = workspace
        .check_paths(&[root.to_path_buf()], &|| ())
        .unwrap_or_else(|e| panic!("{e}"));
    let reports: Vec<_> = checked.iter().flat_map(|c| &c.reports).collect();
    let kept = reports
        .iter()
        .flat_map(|r| r.texts.keys().cloned())
        .collect();
    let shown = reports
        .iter()
        .flat_map(|r| {
            r.diagnostics
                .iter()
                .map(|d| d.file.clone())
                .chain(r.messages.iter().map(|m| m.file.clone()))
                .chain(r.fix.changed.keys().cloned())
        })
        .collect();
    let sites = reports
        .iter()
        .filter(|r| r.covered.policies > 0)
        .flat_map(|r| r.unit.files.iter().cloned())
        .collect();
    let errors = checked
        .iter()
        .flat_map(|c| &c.messages)
        .filter(|m| m.level == Level::Error)
        .map(|m| m.message.clone())
        .collect();
    (kept, shown, sites, errors)
}

fn template(action: &str) -> String {
    format!(
        "Resources:\n  Policy:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        \
         Version: \"2012-10-17\"\n        Statement:\n          - Effect: Allow\n            Action: {action}\n\
         \x20           Resource: arn:aws:s3:::quiet/*\n"
    )
}

#[test]
fn only_the_texts_of_reported_files_are_kept() {
    let dir = std::env::temp_dir().join(format!("iamprune-texts-kept-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let write = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("{e}"));
    };
    // A policy with something to report (an action no service has), one with nothing to report,
    // and a file that cannot hold a policy.
    write("loud.yaml", &template("s3:GetObjekt"));
    write("quiet.yaml", &template("s3:GetObject"));
    write("package.json", r#"{"name": "app"}"#);

    let (kept, shown, sites, errors) = kept_and_shown(&dir);
    let named = |set: &BTreeSet<PathBuf>, name: &str| set.iter().any(|p| p.ends_with(name));
    assert!(
        named(&shown, "loud.yaml") && !named(&shown, "quiet.yaml"),
        "{shown:?}"
    );
    assert!(named(&sites, "quiet.yaml"), "{sites:?}");
    assert!(kept.is_subset(&shown), "kept {kept:?}, shown {shown:?}");
    assert!(named(&kept, "loud.yaml"), "{kept:?}");
    assert!(errors.is_empty(), "{errors:?}");

    // One mapping names a policy of a file whose text is not kept, one names nothing.
    write(
        "iamprune.toml",
        "[principals]\n\"arn:aws:iam::111122223333:role/Quiet\" = \"quiet.yaml\"\n\
         \"arn:aws:iam::111122223333:role/Other\" = \"Other\"\n",
    );
    let (kept, shown, _, errors) = kept_and_shown(&dir);
    assert!(kept.is_subset(&shown), "kept {kept:?}, shown {shown:?}");
    assert!(!named(&kept, "quiet.yaml"), "{kept:?}");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("`Other`") && errors[0].contains("did you mean"),
        "{errors:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
