//! An editor's checks keep each site's report for the next check of the same project, moved with its
//! text. After any sequence of keystrokes, a check that reuses them gives exactly what a check from
//! nothing gives of the same text: every diagnostic, fix, message, site and analysis, span for span.

#[path = "../../iamprune_cfn/benches/generated.rs"]
mod generated;

use std::path::{Path, PathBuf};

use iamprune_linter::Workspace;
use iamprune_linter::check::Interrupt;
use proptest::prelude::*;

/// Everything an editor's check reports of `file`, spans included.
fn checked(workspace: &mut Workspace, file: &Path) -> String {
    let checked = workspace
        .check_file_unverified(file, &Interrupt::never())
        .ok()
        .flatten();
    let Some(checked) = checked else {
        return "not checked".to_string();
    };
    checked
        .reports
        .iter()
        .map(|r| {
            format!(
                "{:#?}\n{:#?}\n{:#?}\n{:#?}",
                r.diagnostics, r.messages, r.sites, r.analyses
            )
        })
        .collect()
}

/// A project with a YAML and a JSON template whose roles have findings.
fn project() -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("a scratch directory: {e}"));
    let yaml = generated::write_project(dir.path(), 6)
        .unwrap_or_else(|e| panic!("the generated project is written: {e}"));
    let json = dir.path().join("template.json");
    std::fs::write(&json, generated::json_template(6))
        .unwrap_or_else(|e| panic!("{}: {e}", json.display()));
    (dir, vec![yaml, json])
}

/// One keystroke: a letter typed or taken out (the common case, which keeps the template whole), or a
/// line break, blank or colon typed (which may break it).
#[derive(Debug, Clone)]
struct Keystroke {
    file: usize,
    at: f64,
    kind: u8,
}

fn keystroke() -> impl Strategy<Value = Keystroke> {
    (0..2usize, 0.0..1.0f64, 0..8u8).prop_map(|(file, at, kind)| Keystroke { file, at, kind })
}

fn apply(text: &mut String, keystroke: &Keystroke) {
    let mut at = ((text.len() as f64) * keystroke.at) as usize;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    match keystroke.kind {
        0..=2 => text.insert(at, 'x'),
        3..=4 if at < text.len() => {
            text.remove(at);
        }
        5 => text.insert(at, '\n'),
        6 => text.insert(at, ' '),
        _ => text.insert(at, ':'),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn reused_reports_are_what_a_fresh_check_gives(
        keystrokes in prop::collection::vec(keystroke(), 1..12)
    ) {
        let (dir, files) = project();
        let root = dir.path().to_path_buf();
        let mut texts: Vec<String> = files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display())))
            .collect();
        let mut editor = Workspace::for_editor(vec![root.clone()]);
        for file in &files {
            checked(&mut editor, file);
        }
        for keystroke in &keystrokes {
            let (file, text) = (&files[keystroke.file], &mut texts[keystroke.file]);
            apply(text, keystroke);
            editor.set_buffer(file.clone(), text.clone());
            let mut fresh = Workspace::for_editor(vec![root.clone()]);
            fresh.set_buffer(file.clone(), text.clone());
            prop_assert_eq!(checked(&mut editor, file), checked(&mut fresh, file));
        }
    }
}

/// The keystrokes a user makes most, each checked: a letter typed into every policy in turn and taken
/// out again, so that every site is reused both before and after the edit, moved by a byte either way.
#[test]
fn typing_through_every_policy_reuses_the_rest() {
    let (dir, files) = project();
    let root = dir.path().to_path_buf();
    let mut editor = Workspace::for_editor(vec![root.clone()]);
    for file in &files {
        let mut text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{e}"));
        checked(&mut editor, file);
        for i in 0..6 {
            for typed in [true, false] {
                let (from, to) = if typed {
                    (format!("Data{i:05}"), format!("xData{i:05}"))
                } else {
                    (format!("xData{i:05}"), format!("Data{i:05}"))
                };
                text = text.replacen(&from, &to, 1);
                editor.set_buffer(file.clone(), text.clone());
                let mut fresh = Workspace::for_editor(vec![root.clone()]);
                fresh.set_buffer(file.clone(), text.clone());
                let reused = checked(&mut editor, file);
                assert!(
                    reused.contains("dynamodb:PutItem") && reused.contains("applicability: Safe"),
                    "the findings reach the policies and fix them"
                );
                assert_eq!(reused, checked(&mut fresh, file), "{from} -> {to}");
            }
        }
    }
}

/// A policy attached to a role declared far from it: renaming the role changes whom the policy
/// reaches though not a byte of the policy's text changes, and its report is made again.
#[test]
fn a_policy_is_checked_again_when_its_role_is_renamed_far_from_it() {
    let (dir, files) = project();
    let root = dir.path().to_path_buf();
    let yaml = &files[0];
    let mut text = std::fs::read_to_string(yaml).unwrap_or_else(|e| panic!("{e}"));
    text.push_str(concat!(
        "  Extra:\n",
        "    Type: AWS::IAM::Policy\n",
        "    Properties:\n",
        "      PolicyName: extra\n",
        "      Roles: [!Ref Role00000]\n",
        "      PolicyDocument:\n",
        "        Version: \"2012-10-17\"\n",
        "        Statement:\n",
        "          - Effect: Allow\n",
        "            Action: [\"sqs:*\", \"dynamodb:PutItem\"]\n",
        "            Resource: \"*\"\n",
    ));
    let mut editor = Workspace::for_editor(vec![root.clone()]);
    let mut reports = Vec::new();
    for role in ["app-role-00000", "app-role-99999", "app-role-00000"] {
        let edited = text.replacen("app-role-00000", role, 1);
        editor.set_buffer(yaml.clone(), edited.clone());
        let mut fresh = Workspace::for_editor(vec![root.clone()]);
        fresh.set_buffer(yaml.clone(), edited);
        let reused = checked(&mut editor, yaml);
        assert_eq!(reused, checked(&mut fresh, yaml), "named {role}");
        reports.push(reused);
    }
    assert_ne!(reports[0], reports[1], "the rename changes what is found");
    assert_eq!(reports[0], reports[2]);
}
