//! A catalog behind the findings never costs a used action: wildcards are not narrowed when the
//! findings are newer than the catalog's data or name actions it does not know, unless that is
//! accepted; exact unused actions are still removed.

mod common;

use common::*;

use std::path::Path;

/// The demo, its findings analyzed on `analyzed`, with `extra` unused s3 actions.
fn demo(name: &str, analyzed: &str, extra: &[&str]) -> Scratch {
    let dir = scratch(name);
    copy_dir(&root().join("testdata/demo"), &dir);
    let path = dir.join("findings/unused-access.jsonl");
    let mut text = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .replace("2026-09-20T08:00", &format!("{analyzed}T08:00"));
    for action in extra {
        text = text.replacen(
            "{\"action\": \"GetBucketLocation\"}",
            &format!("{{\"action\": \"GetBucketLocation\"}}, {{\"action\": \"{action}\"}}"),
            1,
        );
    }
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    dir
}

/// Rule code → whether its fixes are safe, for each diagnostic of a JSON report.
fn fixes(dir: &Path, extra: &[&str]) -> Vec<(String, String, bool)> {
    let report = json_report(dir, &[&["check", "."][..], extra].concat());
    diagnostics(&report)
        .iter()
        .map(|d| {
            (
                field(d, "/code"),
                field(d, "/fix/title"),
                d["fix"]["applicability"] == "safe",
            )
        })
        .collect()
}

#[test]
fn findings_newer_than_the_catalog_hold_back_every_wildcard() {
    let dir = demo("catalog-age-newer", "2026-11-20", &[]);
    let found = fixes(&dir, &[]);
    assert_eq!(found.len(), 7);
    for (code, title, safe) in &found {
        match code.as_str() {
            "IAM001" => assert!(safe, "{title}"),
            _ => {
                assert!(!safe, "{title}");
                assert!(
                    title.ends_with("held back because the catalog's data (2026-09-26) is older than the findings (2026-11-20)"),
                    "{title}"
                );
            }
        }
    }
    let out = run(&dir, &["check", "."]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.matches("are newer than the catalog's data").count(),
        1,
        "{stdout}"
    );
    // fix removes the exact actions and leaves the wildcards.
    let out = run(&dir, &["fix", "."]);
    assert_eq!(out.status.code(), Some(0));
    let main = std::fs::read_to_string(dir.join("terraform/main.tf")).unwrap_or_default();
    assert!(main.contains("[\"s3:Get*\", \"s3:List*\"]"), "{main}");
    assert!(!main.contains("lambda:CreateFunction"), "{main}");
    // Accepted, they are narrowed.
    let accepted = fixes(&dir, &["--accept-catalog-age"]);
    assert!(accepted.iter().all(|(_, _, safe)| *safe), "{accepted:?}");
    std::fs::write(
        dir.join("iamprune.toml"),
        std::fs::read_to_string(dir.join("iamprune.toml"))
            .unwrap_or_default()
            .replacen("findings = ", "accept-catalog-age = true\nfindings = ", 1),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = run(&dir, &["check", "."]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("newer than the catalog"));
    assert!(fixes(&dir, &[]).iter().all(|(_, _, safe)| *safe));
}

#[test]
fn an_action_the_catalog_does_not_know_holds_back_its_service() {
    let dir = demo(
        "catalog-age-unknown",
        "2026-09-20",
        &["GetBucketQuantumState"],
    );
    let found = fixes(&dir, &[]);
    let s3 = found
        .iter()
        .find(|(_, title, _)| title.contains("`s3:Get*`"))
        .unwrap_or_else(|| panic!("{found:?}"));
    assert!(!s3.2);
    assert!(
        s3.1.ends_with(
            "held back because the findings name `s3` actions the catalog does not know"
        ),
        "{}",
        s3.1
    );
    let logs = found
        .iter()
        .find(|(_, title, _)| title.contains("`logs:Describe*`"))
        .unwrap_or_else(|| panic!("{found:?}"));
    assert!(logs.2, "another service is narrowed: {}", logs.1);
    let out = run(&dir, &["check", "."]);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("the findings name actions of s3 that the catalog does not know")
    );
}

/// An exact action the catalog does not know, beside a wildcard that covers it: the wildcard is held
/// back (the policy shows the catalog is behind for that service), and even when that is accepted the
/// redundancy rule does not remove the action that the narrowed wildcard would no longer cover. Either
/// way the rest of the file is fixed; the verification never has to refuse it.
#[test]
fn an_unknown_action_beside_its_wildcard_is_kept_and_the_file_still_fixed() {
    for accept in [false, true] {
        let dir = demo(&format!("catalog-age-fight-{accept}"), "2026-09-20", &[]);
        let main = dir.join("terraform/main.tf");
        let text = std::fs::read_to_string(&main).unwrap_or_default().replace(
            "[\"s3:Get*\", \"s3:List*\"]",
            "[\"s3:Get*\", \"s3:GetBucketFutureThing\", \"s3:List*\"]",
        );
        std::fs::write(&main, &text).unwrap_or_else(|e| panic!("{e}"));
        let mut args = vec!["fix", "terraform"];
        if accept {
            args.push("--accept-catalog-age");
        }
        let out = run(&dir, &args);
        expect_exit(&out, 0);
        let fixed = std::fs::read_to_string(&main).unwrap_or_default();
        assert!(fixed.contains("\"s3:GetBucketFutureThing\""), "{fixed}");
        assert!(!fixed.contains("lambda:CreateFunction"), "{fixed}");
        assert_eq!(fixed.contains("\"s3:Get*\""), !accept, "{fixed}");
    }
}

/// `refine` prints what it is asked for, but says when `fix` would hold a wildcard back.
#[test]
fn refine_warns_when_the_catalog_is_older_than_the_findings() {
    let dir = scratch("catalog-age-refine");
    let findings =
        std::fs::read_to_string(root().join("testdata/e2e/findings.json")).unwrap_or_default();
    for (analyzed, warned) in [("2024-06-10", false), ("2026-11-20", true)] {
        let path = dir.join(format!("{analyzed}.json"));
        std::fs::write(&path, findings.replace("2024-06-10", analyzed))
            .unwrap_or_else(|e| panic!("{e}"));
        let out = run(
            &root(),
            &[
                "refine",
                "--policy",
                "testdata/seed/policy.json",
                "--findings",
                &path.display().to_string(),
            ],
        );
        expect_exit(&out, 0);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr.contains("warning: the catalog's data (2026-09-26) is older than the findings"),
            warned,
            "{stderr}"
        );
    }
}
