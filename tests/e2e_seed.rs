//! The seed example end to end in every syntax: `check` reports IAM001/IAM002 at their places, `fix`
//! leaves exactly the refined actions `refine` prints, and the fixed file parses and checks clean.

mod common;

use common::*;

use std::path::Path;

const SYNTAXES: [&str; 8] = [
    "cfn-yaml",
    "cfn-yaml-flow",
    "cfn-json",
    "tf-jsonencode",
    "tf-policy-document",
    "tf-heredoc",
    "tf-quoted",
    "tf-file",
];

/// The actions `iamprune refine` leaves in the seed policy, with the embedded catalog.
fn refined_actions() -> Vec<String> {
    let out = run(
        &root(),
        &[
            "refine",
            "--policy",
            "testdata/seed/policy.json",
            "--unused",
            "testdata/seed/unused.json",
        ],
    );
    let policy = json(&out);
    policy["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["Action"].as_array().cloned().unwrap_or_default())
        .filter_map(|a| a.as_str().map(str::to_string))
        .collect()
}

fn diagnostics_summary(report: &serde_json::Value) -> String {
    let mut out = String::new();
    for d in report["diagnostics"].as_array().into_iter().flatten() {
        let file = d["file"].as_str().unwrap_or("");
        let name = Path::new(file)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(file);
        out.push_str(&format!(
            "{} {}:{}:{} {}\n",
            d["code"].as_str().unwrap_or(""),
            name,
            d["range"]["start"]["line"],
            d["range"]["start"]["column"],
            d["fix"]["title"].as_str().unwrap_or("")
        ));
    }
    out
}

#[test]
fn the_seed_in_every_syntax() {
    let refined = refined_actions();
    assert!(
        refined.contains(&"lambda:Invoke*".to_string())
            && refined.contains(&"s3:GetObject*".to_string())
    );
    let work = std::env::temp_dir().join(format!("iamprune-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    copy_dir(&root().join("testdata/e2e"), &work);
    for syntax in SYNTAXES {
        let check = run(
            &work,
            &[
                "check",
                syntax,
                "--findings",
                "findings.json",
                "--account",
                "123456789012",
                "--format",
                "json",
            ],
        );
        assert_eq!(check.status.code(), Some(1), "{syntax}");
        let report = json(&check);
        let summary = diagnostics_summary(&report);
        assert_eq!(summary.matches("IAM001").count(), 8, "{syntax}:\n{summary}");
        assert_eq!(summary.matches("IAM002").count(), 1, "{syntax}:\n{summary}");
        insta::assert_snapshot!(format!("check_{syntax}"), summary);

        let fix = run(
            &work,
            &[
                "fix",
                syntax,
                "--findings",
                "findings.json",
                "--account",
                "123456789012",
            ],
        );
        assert_eq!(
            fix.status.code(),
            Some(0),
            "{syntax}: {}",
            String::from_utf8_lossy(&fix.stderr)
        );
        let policy_file = if syntax == "tf-file" {
            "seed-policy.json"
        } else {
            ""
        };
        let fixed_path = std::fs::read_dir(work.join(syntax))
            .unwrap_or_else(|e| panic!("{e}"))
            .flatten()
            .map(|e| e.path())
            .find(|p| policy_file.is_empty() || p.ends_with(policy_file))
            .unwrap_or_default();
        let fixed = std::fs::read_to_string(&fixed_path).unwrap_or_default();
        for action in &refined {
            assert!(
                fixed.contains(action.as_str()),
                "{syntax}: `{action}` missing in\n{fixed}"
            );
        }
        for gone in [
            "lambda:AddPermission",
            "lambda:GetFunction",
            "lambda:UpdateFunction",
            "lambda:CreateFunction",
            "lambda:DeleteFunction",
            "lambda:ListVersionsByFunction",
            "s3:Get*\"",
        ] {
            assert!(!fixed.contains(gone), "{syntax}: `{gone}` left in\n{fixed}");
        }
        insta::assert_snapshot!(format!("fixed_{syntax}"), fixed);

        let again = run(
            &work,
            &[
                "check",
                syntax,
                "--findings",
                "findings.json",
                "--account",
                "123456789012",
                "--format",
                "json",
            ],
        );
        assert_eq!(
            again.status.code(),
            Some(0),
            "{syntax}: {}",
            String::from_utf8_lossy(&again.stdout)
        );
        let report = json(&again);
        assert_eq!(
            report["errors"].as_array().map(Vec::len),
            Some(0),
            "{syntax}"
        );
        assert_eq!(
            report["stats"]["policies"],
            check_policies(&work, syntax),
            "{syntax}"
        );
    }
    let _ = std::fs::remove_dir_all(&work);
}

/// The number of policies before the fix: a fix never loses a document.
fn check_policies(work: &Path, syntax: &str) -> serde_json::Value {
    let original = root().join("testdata/e2e").join(syntax);
    let out = run(
        work,
        &[
            "check",
            &original.display().to_string(),
            "--findings",
            "findings.json",
            "--account",
            "123456789012",
            "--format",
            "json",
        ],
    );
    json(&out)["stats"]["policies"].clone()
}

#[test]
fn the_seed_in_a_cdk_assembly_points_at_the_construct_and_is_not_rewritten() {
    let dir = root().join("testdata/e2e/cdk");
    let check = run(
        &dir,
        &[
            "check",
            "cdk.out",
            "--findings",
            "findings.json",
            "--account",
            "123456789012",
            "--format",
            "json",
        ],
    );
    assert_eq!(check.status.code(), Some(1));
    let report = json(&check);
    let diagnostics = report["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(diagnostics.len(), 9);
    for d in &diagnostics {
        assert_eq!(d["construct"], "SeedStack/SeedRole/DefaultPolicy/Resource");
        assert_eq!(d["fix"]["applicability"], "display-only");
        assert_eq!(
            d["principals"][0],
            "arn:aws:iam::123456789012:role/SeedStack-SeedRole1A2B3C4D-1QW2ER3TY4UI"
        );
    }
    insta::assert_snapshot!("check_cdk", diagnostics_summary(&report));
    // The app's source writes `s3:Get*` once: the diagnostic points there too. It writes
    // `lambda:DeleteFunction` twice: no single line can be named.
    let related = |action: &str| {
        diagnostics
            .iter()
            .find(|d| {
                d["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with(&format!("`{action}`")))
            })
            .map(|d| d["related"].clone())
            .unwrap_or_default()
    };
    assert_eq!(related("s3:Get*")[0]["file"], "lib/seed-stack.ts");
    assert_eq!(related("s3:Get*")[0]["range"]["start"]["line"], 26);
    assert!(related("lambda:DeleteFunction").is_null());
    let fix = run(
        &dir,
        &[
            "fix",
            "cdk.out",
            "--findings",
            "findings.json",
            "--account",
            "123456789012",
            "--diff",
        ],
    );
    assert_eq!(fix.status.code(), Some(0));
    assert!(fix.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&fix.stderr).contains("9 fix(es) in CDK output were not applied")
    );

    // Asked to, fix rewrites the template too, verified like any other file.
    let work = std::env::temp_dir().join(format!("iamprune-e2e-cdk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    copy_dir(&dir, &work);
    let fix = run(
        &work,
        &[
            "fix",
            "cdk.out",
            "--findings",
            "findings.json",
            "--account",
            "123456789012",
            "--fix-generated",
        ],
    );
    assert_eq!(
        fix.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&fix.stderr)
    );
    let fixed =
        std::fs::read_to_string(work.join("cdk.out/SeedStack.template.json")).unwrap_or_default();
    for action in refined_actions() {
        assert!(
            fixed.contains(action.as_str()),
            "`{action}` missing in\n{fixed}"
        );
    }
    assert!(!fixed.contains("lambda:GetFunction"));
    let again = run(
        &work,
        &[
            "check",
            "cdk.out",
            "--findings",
            "findings.json",
            "--account",
            "123456789012",
        ],
    );
    assert_eq!(again.status.code(), Some(0));
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn absolute_paths_fix_like_relative_ones() {
    for syntax in ["tf-jsonencode", "tf-file", "cfn-yaml"] {
        let dir = root().join("testdata/e2e").join(syntax);
        let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
        let findings = root()
            .join("testdata/e2e/findings.json")
            .display()
            .to_string();
        let out = run(
            &root(),
            &[
                "fix",
                &dir.display().to_string(),
                "--findings",
                &findings,
                "--account",
                "123456789012",
                "--diff",
            ],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{syntax}: {stderr}");
        assert!(
            stderr.contains("would apply 9 edit(s)"),
            "{syntax}: {stderr}"
        );
    }
}
