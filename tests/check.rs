//! `check` and `fix` on the demo project, as a user runs them.

mod common;

use common::*;

use std::path::PathBuf;

use insta_cmd::assert_cmd_snapshot;

/// A copy of the demo project in a fresh temporary directory.
fn demo_copy(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("iamprune-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&root().join("testdata/demo"), &dir.join("demo"));
    dir
}

#[test]
fn check_the_demo_as_text() {
    assert_cmd_snapshot!(iamprune().args(["check", "testdata/demo"]));
}

#[test]
fn check_the_demo_as_json() {
    assert_cmd_snapshot!(iamprune().args(["check", "testdata/demo", "--format", "json"]));
}

#[test]
fn check_the_demo_as_github_annotations() {
    assert_cmd_snapshot!(iamprune().args(["check", "testdata/demo", "--format", "github"]));
}

#[test]
fn check_the_demo_as_sarif() {
    let out = run(&root(), &["check", "testdata/demo", "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(1));
    let mut sarif: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    // Where the repository is checked out is not part of the report's shape.
    sarif["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] = "file:///REPOSITORY/".into();
    insta::assert_snapshot!(serde_json::to_string_pretty(&sarif).unwrap_or_default());
}

#[test]
fn sarif_carries_what_code_scanning_reads() {
    // Started from inside the demo, as from the root: URIs stay relative to the repository root.
    for (dir, path) in [
        (root(), "testdata/demo"),
        (root().join("testdata/demo"), "."),
    ] {
        let out = run(&dir, &["check", path, "--format", "sarif"]);
        let sarif: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
        let run = &sarif["runs"][0];
        assert_eq!(run["automationDetails"]["id"], "iamprune/");
        let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
            .as_str()
            .unwrap_or("");
        assert!(
            base.starts_with("file:///") && base.ends_with('/'),
            "{base}"
        );
        let driver = &run["tool"]["driver"];
        assert!(
            driver["fullName"]
                .as_str()
                .is_some_and(|n| n.starts_with("iamprune "))
        );
        assert!(driver["semanticVersion"].is_string() && driver["informationUri"].is_string());
        for rule in driver["rules"].as_array().into_iter().flatten() {
            let tags = rule["properties"]["tags"].to_string();
            let severity = &rule["properties"]["security-severity"];
            if tags.contains("\"security\"") {
                let score: f64 = severity
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0.0);
                assert!((0.1..=10.0).contains(&score), "{rule}");
            } else {
                assert!(severity.is_null(), "{rule}");
            }
            assert!(rule["helpUri"].as_str().is_some_and(|u| u.ends_with(".md")));
        }
        let location = &run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(location["uriBaseId"], "%SRCROOT%", "{location}");
        assert!(
            location["uri"]
                .as_str()
                .is_some_and(|u| u.starts_with("testdata/demo/")),
            "{location}"
        );
    }
}

#[test]
fn exit_codes() {
    let code = |args: &[&str]| {
        iamprune()
            .args(args)
            .output()
            .map(|o| o.status.code())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(code(&["check", "testdata/demo"]), Some(1));
    assert_eq!(code(&["check", "testdata/demo", "--exit-zero"]), Some(0));
    // Without findings only the catalog rules run, and the demo has nothing for them at error level.
    assert_eq!(
        code(&[
            "check",
            "testdata/demo/terraform",
            "--config",
            "testdata/demo/terraform/main.tf"
        ]),
        Some(2)
    );
    assert_eq!(code(&["check", "testdata/seed/policy.json"]), Some(0));
    assert_eq!(
        code(&["check", "testdata/seed/policy.json", "--fail-on", "info"]),
        Some(0)
    );
    assert_eq!(
        code(&["check", "testdata/demo", "--findings", "does/not/exist"]),
        Some(2)
    );
    assert_eq!(code(&["check", "--format", "yaml"]), Some(2));
}

#[test]
fn fix_the_demo_then_nothing_is_left() {
    let dir = demo_copy("fix");
    let out = iamprune_in(&dir)
        .args(["fix", "demo"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    expect_exit(&out, 0);
    insta::assert_snapshot!(
        "fixed_main_tf",
        std::fs::read_to_string(dir.join("demo/terraform/main.tf")).unwrap_or_default()
    );
    insta::assert_snapshot!(
        "fixed_web_yaml",
        std::fs::read_to_string(dir.join("demo/cloudformation/web.yaml")).unwrap_or_default()
    );
    // The fixed project checks clean and a second fix changes nothing.
    let check = iamprune_in(&dir)
        .args(["check", "demo"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let again = iamprune_in(&dir)
        .args(["fix", "demo", "--diff"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.status.code(), Some(0));
    assert!(
        again.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fix_diff_writes_nothing() {
    let dir = demo_copy("diff");
    let before = std::fs::read_to_string(dir.join("demo/terraform/main.tf")).unwrap_or_default();
    let out = iamprune_in(&dir)
        .args(["fix", "demo", "--diff"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("demo_diff", String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        std::fs::read_to_string(dir.join("demo/terraform/main.tf")).unwrap_or_default(),
        before
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rules_and_explain() {
    assert_cmd_snapshot!(iamprune().arg("rules"));
    let out = run(&root(), &["explain", "IAM002"]);
    let page = std::fs::read_to_string(root().join("rules/IAM002.md")).unwrap_or_default();
    assert_eq!(String::from_utf8_lossy(&out.stdout), page);
    let out = run(&root(), &["explain", "IAM999"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    for args in [
        &["check", "testdata/demo", "--format", "sarif"][..],
        &["check", "testdata/seed/policy.json", "--format", "sarif"][..],
    ] {
        let out = iamprune()
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let sarif: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
        let errors = sarif_errors(&sarif);
        assert!(errors.is_empty(), "{args:?}: {errors:#?}");
    }
}

#[test]
fn a_policy_file_two_modules_share_loses_only_what_neither_used() {
    let run_check = |findings: &str| {
        let out = run(
            &root(),
            &[
                "check",
                "testdata/shared-file",
                "--format",
                "json",
                "--findings",
                findings,
                "--account",
                "123456789012",
            ],
        );
        let report = json(&out);
        report["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| d["message"].as_str().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    };
    // Nothing is known of WorkerRole: the shared file is not narrowed.
    assert!(run_check("testdata/shared-file/app-only.jsonl").is_empty());
    let both = run_check("testdata/shared-file/both.jsonl");
    assert_eq!(both.len(), 1, "{both:?}");
    assert!(
        both[0].starts_with("`s3:DeleteObject` is unused by role WorkerRole, role AppRole"),
        "{both:?}"
    );
}

#[test]
fn the_same_files_named_twice_are_checked_once() {
    let count = |args: &[&str]| {
        let report = json_report(&root(), args);
        (diagnostic_count(&report), report["stats"]["files"].clone())
    };
    let once = count(&["check", "testdata/demo"]);
    let abs = root()
        .join("testdata/demo")
        .canonicalize()
        .unwrap_or_default()
        .display()
        .to_string();
    assert_eq!(count(&["check", "testdata/demo", "./testdata/demo"]), once);
    assert_eq!(count(&["check", "testdata/demo", &abs]), once);
}

#[test]
fn a_stack_name_applies_to_the_templates_under_a_directory() {
    // e2e/cdk's template has an unnamed role; as a plain template it needs the stack name.
    let dir = scratch("stack-name");
    std::fs::copy(
        root().join("testdata/e2e/cdk/cdk.out/SeedStack.template.json"),
        dir.join("template.json"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let findings = root()
        .join("testdata/e2e/cdk/findings.json")
        .display()
        .to_string();
    let diagnostics = |args: &[&str]| {
        let out = run(
            &dir,
            &[
                &[
                    "check",
                    "--format",
                    "json",
                    "--findings",
                    &findings,
                    "--account",
                    "123456789012",
                ][..],
                args,
            ]
            .concat(),
        );
        json(&out)["diagnostics"].as_array().map_or(0, Vec::len)
    };
    assert_eq!(diagnostics(&["."]), 0);
    assert_eq!(diagnostics(&[".", "--stack-name", "SeedStack"]), 9);
    assert_eq!(
        diagnostics(&["template.json", "--stack-name", "SeedStack"]),
        9
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_terraform_file_named_alone_is_checked_in_its_module() {
    let dir = scratch("module-file");
    copy_dir(&root().join("testdata/demo"), &dir);
    let main = std::fs::read_to_string(dir.join("terraform/main.tf")).unwrap_or_default();
    // The role goes to a file of its own: the policy file alone no longer names it.
    let at = main
        .find("resource \"aws_iam_role_policy\" \"read\"")
        .unwrap_or(0);
    std::fs::write(dir.join("terraform/roles.tf"), &main[..at]).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("terraform/main.tf"), &main[at..]).unwrap_or_else(|e| panic!("{e}"));
    let report = json_report(&dir, &["check", "terraform/main.tf"]);
    assert_eq!(diagnostic_count(&report), 5, "{report}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn findings_that_match_nothing_are_noted() {
    let out = run(
        &root(),
        &[
            "check",
            "testdata/demo/terraform",
            "--config",
            "testdata/demo/iamprune.toml",
            "--format",
            "json",
        ],
    );
    let notes: Vec<String> = json(&out)["notes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["message"].as_str().map(str::to_string))
        .collect();
    assert!(
        notes.iter().any(|n| n.starts_with(
            "the findings for arn:aws:iam::123456789012:role/WebAppRole reach no policy: no role, user or group in the scanned source is named WebAppRole"
        )),
        "{notes:?}"
    );
    assert!(
        !notes.iter().any(|n| n.contains("DataPipelineRole")),
        "{notes:?}"
    );
}

#[test]
fn each_path_is_checked_with_its_own_configuration() {
    let count = |args: &[&str]| diagnostic_count(&json_report(&root(), args));
    let demo = count(&["check", "testdata/demo"]);
    let seed = count(&["check", "testdata/seed/policy.json"]);
    assert_eq!(demo, 7);
    // The seed example has no configuration: only the catalog rules, whatever the order.
    assert_eq!(
        count(&["check", "testdata/seed/policy.json", "testdata/demo"]),
        seed + demo
    );
    assert_eq!(
        count(&["check", "testdata/demo", "testdata/seed/policy.json"]),
        seed + demo
    );
}

/// A minified template: one line holding every policy. Each diagnostic shows its place, not the line,
/// so the report grows with the diagnostics rather than with diagnostics times the line.
#[test]
fn a_minified_template_gives_a_report_the_size_of_its_diagnostics() {
    let dir = scratch("minified");
    let roles: Vec<String> = (0..1500)
        .map(|i| {
            format!(
                "\"R{i}\":{{\"Type\":\"AWS::IAM::Policy\",\"Properties\":{{\"PolicyName\":\"p{i}\",\
                 \"Roles\":[\"r{i}\"],\"PolicyDocument\":{{\"Statement\":[{{\"Effect\":\"Allow\",\
                 \"Action\":[\"s3:GetObject\",\"s3:Get*\"],\"Resource\":\"*\"}}]}}}}}}"
            )
        })
        .collect();
    let template = format!("{{\"Resources\":{{{}}}}}", roles.join(","));
    assert!(template.len() > 250_000);
    std::fs::write(dir.join("min.template.json"), &template).unwrap_or_else(|e| panic!("{e}"));
    let out = run(&dir, &["check", "min.template.json", "--exit-zero"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let shown = text.matches("is not shown").count();
    assert_eq!(shown, 1500, "{}", &text[..text.len().min(2000)]);
    // About 400 bytes a diagnostic, where the whole line would be 250 kB.
    assert!(text.len() < 1500 * 600, "{} bytes", text.len());
    assert!(
        text.contains("--> min.template.json:1:"),
        "{}",
        &text[..text.len().min(2000)]
    );
}

/// Every document of a YAML stream is read, each a template of its own, and fixed in place.
#[test]
fn every_document_of_a_yaml_stream_is_checked_and_fixed() {
    let dir = scratch("multi-document");
    let document = |role: &str| {
        format!(
            "Resources:\n  {role}:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyName: p\n      \
             Roles: [r]\n      PolicyDocument:\n        Statement:\n          - Effect: Allow\n            \
             Action: [s3:GetObject, s3:Get*]\n            Resource: \"*\"\n"
        )
    };
    let text = format!("{}---\n{}", document("First"), document("Second"));
    let file = dir.join("stream.yaml");
    std::fs::write(&file, &text).unwrap_or_else(|e| panic!("{e}"));
    let report = json_report(&dir, &["check", "stream.yaml"]);
    let lines: Vec<u64> = diagnostics(&report)
        .iter()
        .filter_map(|d| d["range"]["start"]["line"].as_u64())
        .collect();
    assert_eq!(lines, [10, 22], "{report:#}");
    let out = run(&dir, &["fix", "stream.yaml"]);
    expect_exit(&out, 0);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap_or_default(),
        text.replace("[s3:GetObject, s3:Get*]", "[s3:Get*]")
    );
}

/// Text an alias shares is never edited: the anchored list may also feed something that is not a
/// policy (an environment variable), or another role's policy. `check` shows the fix, `fix` agrees.
#[test]
fn text_shared_through_a_yaml_alias_is_never_edited() {
    let dir = scratch("yaml-alias");
    let template = "Metadata:\n  SharedActions: &acts [s3:GetObject, s3:Get*]\nResources:\n  \
                    Policy:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyName: p\n      \
                    Roles: [r]\n      PolicyDocument:\n        Statement:\n          - Effect: Allow\n            \
                    Action: *acts\n            Resource: \"*\"\n  Other:\n    Type: AWS::IAM::Policy\n    \
                    Properties:\n      PolicyName: q\n      Roles: [s]\n      PolicyDocument:\n        \
                    Statement:\n          - Effect: Allow\n            Action: *acts\n            Resource: \"*\"\n  \
                    Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Environment:\n        \
                    Variables:\n          ACTIONS: !Join [\",\", *acts]\n";
    let file = dir.join("shared.yaml");
    std::fs::write(&file, template).unwrap_or_else(|e| panic!("{e}"));
    let report = json_report(&dir, &["check", "shared.yaml"]);
    let found = diagnostics(&report);
    assert_eq!(found.len(), 2, "{report:#}");
    for d in &found {
        assert_eq!(field(d, "/code"), "IAM011");
        assert_eq!(field(d, "/fix/applicability"), "display-only", "{d:#}");
    }
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("shares text with other places through a YAML anchor"),
        "{notes}"
    );
    let out = run(&dir, &["fix", "shared.yaml"]);
    expect_exit(&out, 0);
    assert_eq!(std::fs::read_to_string(&file).unwrap_or_default(), template);
}

/// A policy written as a template with directives (`%{ if }`) is not edited: an edit could fall
/// inside what a directive renders. Its fixes are shown, and `fix` leaves the file as it is without
/// an error.
#[test]
fn a_template_with_directives_is_not_edited() {
    let dir = scratch("template-directive");
    let text = std::fs::read_to_string(root().join("testdata/e2e/tf-heredoc/main.tf"))
        .unwrap_or_default()
        .replace(
            "            \"lambda:AddPermission\",\n",
            "            %{ if true }\"lambda:AddPermission\",%{ endif }\n",
        );
    assert!(text.contains("%{ if true }"));
    std::fs::write(dir.join("main.tf"), &text).unwrap_or_else(|e| panic!("{e}"));
    with_seed_findings(&dir);
    let report = json_report(&dir, &["check", "."]);
    let found = diagnostics(&report);
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .all(|d| d["fix"].is_null() || field(d, "/fix/applicability") == "display-only"),
        "{report:#}"
    );
    assert!(
        report["notes"]
            .to_string()
            .contains("a template with directives")
    );
    let out = run(&dir, &["fix", "."]);
    expect_exit(&out, 0);
    assert_eq!(
        std::fs::read_to_string(dir.join("main.tf")).unwrap_or_default(),
        text
    );
}

/// A Terraform local that the policy and something else both read is not edited (an edit of its
/// definition would change the other use too), and the report says so.
#[test]
fn a_local_read_by_another_resource_is_named_and_left_alone() {
    let dir = scratch("shared-local");
    let main = "locals {\n  actions = [\"lambda:CreateFunction\", \"s3:GetObject\"]\n}\n\n\
                resource \"aws_iam_role\" \"seed\" {\n  name               = \"SeedRole\"\n  assume_role_policy = \"{}\"\n}\n\n\
                resource \"aws_iam_role_policy\" \"seed\" {\n  name = \"seed\"\n  role = aws_iam_role.seed.id\n  \
                policy = jsonencode({\n    Statement = [{ Effect = \"Allow\", Action = local.actions, Resource = \"*\" }]\n  })\n}\n\n\
                resource \"aws_ssm_parameter\" \"actions\" {\n  name  = \"/app/actions\"\n  type  = \"StringList\"\n  \
                value = join(\",\", local.actions)\n}\n";
    std::fs::write(dir.join("main.tf"), main).unwrap_or_else(|e| panic!("{e}"));
    with_seed_findings(&dir);
    let report = json_report(&dir, &["check", "."]);
    assert!(
        report["notes"]
            .to_string()
            .contains("`local.actions` is used 2 times in the module"),
        "{report:#}"
    );
    let out = run(&dir, &["fix", "."]);
    expect_exit(&out, 0);
    assert_eq!(
        std::fs::read_to_string(dir.join("main.tf")).unwrap_or_default(),
        main
    );
}

/// The seed's findings in `dir`, named by its configuration (the seed's findings are from 2024, older
/// than the catalog).
fn with_seed_findings(dir: &std::path::Path) {
    std::fs::copy(
        root().join("testdata/e2e/findings.json"),
        dir.join("findings.json"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.join("iamprune.toml"),
        "account = \"123456789012\"\nfindings = [\"findings.json\"]\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn past_twenty_principals_that_reach_no_policy_one_note_counts_the_rest() {
    let dir = scratch("unjoined-many");
    std::fs::copy(
        root().join("testdata/demo/terraform/main.tf"),
        dir.join("main.tf"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // An organization's export in small: 25 roles, none of them in the source.
    let findings: String = (0..25)
        .map(|i| {
            serde_json::json!({
                "id": format!("{i:08x}-0000-4000-8000-000000000000"),
                "resource": format!("arn:aws:iam::123456789012:role/elsewhere-{i:02}"),
                "resourceType": "AWS::IAM::Role",
                "resourceOwnerAccount": "123456789012",
                "status": "ACTIVE",
                "analyzedAt": "2026-09-20T08:00:00+00:00",
                "findingType": "UnusedPermission",
                "findingDetails": [{"unusedPermissionDetails": {
                    "serviceNamespace": "s3", "actions": [{"action": "DeleteBucket"}]}}],
            })
            .to_string()
                + "\n"
        })
        .collect();
    std::fs::write(dir.join("org.jsonl"), findings).unwrap_or_else(|e| panic!("{e}"));
    let report = json_report(
        &dir,
        &["check", "main.tf", "--findings", "org.jsonl", "--exit-zero"],
    );
    let notes: Vec<&str> = report["notes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["message"].as_str())
        .filter(|m| m.contains("reach no policy"))
        .collect();
    assert_eq!(notes.len(), 21, "{notes:#?}");
    assert!(notes[0].starts_with(
        "the findings for arn:aws:iam::123456789012:role/elsewhere-00 reach no policy: no role"
    ));
    assert_eq!(
        notes[20],
        "the findings for 5 more principals reach no policy; `iamprune principals` names each, and the JSON report's `join.findings` says why"
    );
    // The JSON report still names each, with why.
    let unjoined = report["join"]["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["joined"] == false && f["reason"].is_string())
        .count();
    assert_eq!(unjoined, 25);
}
