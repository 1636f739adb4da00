//! The join of findings to the principals a policy reaches, tried adversarially: each case is a small
//! project in `testdata/join/` in which a naive join would remove an action some principal used, and
//! each test proves the used action survives `fix`.

mod common;

use common::*;

use std::path::Path;

/// A copy of `testdata/join/<case>` in a fresh temporary directory of its own (tests run in parallel,
/// and several copy the same case).
fn case(name: &str) -> Scratch {
    static COPIES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let copy = COPIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = scratch(&format!("join-{name}-{copy}"));
    copy_dir(&root().join("testdata/join").join(name), &dir);
    dir
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `fix` in `dir` and returns the text of `file` afterwards, with what the run printed.
fn fix(dir: &Path, args: &[&str], file: &str) -> (String, String) {
    let out = run(dir, &[&["fix"], args].concat());
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (read(&dir.join(file)), printed)
}

#[test]
fn a_configuration_above_the_repository_is_not_used() {
    let dir = scratch("join-config-above");
    let repo = dir.join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap_or_else(|e| panic!("{e}"));
    copy_dir(&root().join("testdata/join/config-above"), &dir);
    let (text, printed) = fix(&repo, &[], "main.tf");
    assert!(text.contains("s3:GetObject"), "{printed}");
    let report = json_report(&repo, &["check"]);
    assert_eq!(report["configs"], serde_json::json!([]), "{report}");
    // Without the repository boundary, the same layout uses the file above.
    std::fs::remove_dir_all(repo.join(".git")).unwrap_or_else(|e| panic!("{e}"));
    let report = json_report(&repo, &["check"]);
    assert_eq!(
        report["configs"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );
    let (text, printed) = fix(&repo, &[], "main.tf");
    assert!(!text.contains("s3:GetObject"), "{printed}");
}

#[test]
fn a_group_policy_is_not_narrowed_by_the_members_a_template_declares() {
    let dir = case("cfn-group");
    let (text, printed) = fix(&dir, &[], "template.yaml");
    assert!(text.contains("s3:GetObject"), "{printed}");
    let report = json_report(&dir, &["check"]);
    let notes = report["notes"].to_string();
    assert!(notes.contains("through a group"), "{notes}");
    // A user policy of the same member is narrowed: the findings do reach it.
    survives_but_control_narrows("cfn-group", "template.yaml", "s3:GetObject", |t| {
        t.replace(
            "      Groups:\n        - !Ref Developers\n      PolicyDocument",
            "      Users:\n        - !Ref Alice\n      PolicyDocument",
        )
    });
}

/// Runs `fix` on a case and checks `used` survives while the control (the same project with the
/// hazard taken out, written by `control`) narrows it: the fixture can fail.
fn survives_but_control_narrows(
    name: &str,
    file: &str,
    used: &str,
    control: impl Fn(&str) -> String,
) {
    let dir = case(name);
    let (text, printed) = fix(&dir, &[], file);
    assert!(text.contains(used), "{name}: {used} was removed\n{printed}");
    let original = read(&root().join("testdata/join").join(name).join(file));
    std::fs::write(dir.join(file), control(&original)).unwrap_or_else(|e| panic!("{e}"));
    let (text, printed) = fix(&dir, &[], file);
    assert!(
        !text.contains(used),
        "{name}: the control kept {used}\n{printed}"
    );
}

#[test]
fn a_permissions_boundary_is_a_ceiling_and_is_not_narrowed() {
    survives_but_control_narrows("cfn-boundary", "template.yaml", "s3:GetObject", |t| {
        t.replace("      PermissionsBoundary: !Ref Shared\n", "")
    });
}

#[test]
fn an_exported_managed_policy_is_not_narrowed() {
    survives_but_control_narrows("cfn-export", "template.yaml", "s3:GetObject", |t| {
        t.split("Outputs:").next().unwrap_or_default().to_string()
    });
}

#[test]
fn an_action_from_a_variable_is_never_removed() {
    survives_but_control_narrows("tf-tfvars", "main.tf", "var.extra_action", |t| {
        t.replace("var.extra_action", "\"s3:GetObject\"")
    });
}

#[test]
fn a_terraform_permissions_boundary_is_not_narrowed() {
    survives_but_control_narrows("tf-boundary", "main.tf", "s3:GetObject", |t| {
        t.replace("  permissions_boundary = aws_iam_policy.shared.arn\n", "")
    });
}

#[test]
fn a_document_that_also_feeds_an_scp_is_not_narrowed() {
    survives_but_control_narrows("tf-scp", "main.tf", "s3:GetObject", |t| {
        t.replace(
            "data.aws_iam_policy_document.shared.json\n}\n\nresource \"aws_organizations_policy\"",
            "data.aws_iam_policy_document.shared.json\n}\n\nresource \"aws_s3_bucket\"",
        )
        .replace("  content = data.aws_iam_policy_document.shared.json\n", "")
    });
}

#[test]
fn a_managed_policy_handed_out_by_an_output_is_not_narrowed() {
    survives_but_control_narrows("tf-output", "main.tf", "s3:GetObject", |t| {
        t.split("output \"").next().unwrap_or_default().to_string()
    });
}

/// Runs `fix` on a case with a configuration that completes the join, then without it: `used` is
/// removed with it and kept without.
fn narrowed_only_with(name: &str, file: &str, used: &str, config: &str) {
    let dir = case(name);
    let (text, printed) = fix(&dir, &[], file);
    assert!(text.contains(used), "{name}: {used} was removed\n{printed}");
    let dir = case(name);
    let path = dir.join("iamprune.toml");
    let base = read(&path);
    // Top-level keys go before the first table of the file, tables after its keys.
    let text = if config.starts_with('[') {
        format!("{base}\n{config}\n")
    } else {
        format!("{config}\n{base}\n")
    };
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let (text, printed) = fix(&dir, &[], file);
    assert!(!text.contains(used), "{name}: {used} was kept\n{printed}");
}

#[test]
fn a_mapping_ties_findings_to_a_role_named_through_module_variables() {
    let dir = case("tf-module-mapping");
    let report = json_report(&dir, &["check"]);
    let policies = report["join"]["findings"].to_string();
    assert!(policies.contains("computed name"), "{policies}");
    narrowed_only_with(
        "tf-module-mapping",
        "modules/app/main.tf",
        "s3:GetObject",
        "[principals]\n\"arn:aws:iam::111122223333:role/app-prod\" = \"module.app.aws_iam_role.this\"",
    );
}

#[test]
fn a_cut_generated_name_joins_when_only_one_role_could_have_it() {
    let dir = case("cfn-generated");
    let (text, printed) = fix(&dir, &[], "template.json");
    assert!(!text.contains("s3:GetObject"), "{printed}");
    // A second role whose generated name is cut the same way: either could be the finding's.
    let dir = case("cfn-generated");
    let path = dir.join("template.json");
    let rival = read(&path).replace(
        "    \"LambdaFunctionServiceRoleDefaultPolicy1A2B3C4D\": {",
        "    \"LambdaFunctionServiceRoleFEEDBEEF\": {\"Type\": \"AWS::IAM::Role\", \"Properties\": {\"AssumeRolePolicyDocument\": {}}},\n    \"LambdaFunctionServiceRoleDefaultPolicy1A2B3C4D\": {",
    );
    std::fs::write(&path, rival).unwrap_or_else(|e| panic!("{e}"));
    let (text, printed) = fix(&dir, &[], "template.json");
    assert!(text.contains("s3:GetObject"), "{printed}");
    assert!(printed.contains("cut to 64 characters"), "{printed}");
}

#[test]
fn a_name_with_findings_in_one_account_of_several_needs_the_account() {
    narrowed_only_with(
        "cross-account",
        "main.tf",
        "s3:GetObject",
        "account = \"111122223333\"",
    );
}

#[test]
fn a_name_computed_from_a_variable_default_is_not_every_deployed_name() {
    survives_but_control_narrows("tf-name-from-default", "main.tf", "s3:GetObject", |t| {
        t.replace("\"app-${var.env}\"", "\"app-dev\"")
    });
}

#[test]
fn a_name_prefix_may_be_deployed_more_than_once_in_an_account() {
    survives_but_control_narrows("tf-name-prefix-twice", "main.tf", "s3:GetObject", |t| {
        t.replace(
            "name_prefix        = \"app-\"",
            "name               = \"app-20260101000000000000000001\"",
        )
    });
}

#[test]
fn findings_of_some_of_the_accounts_a_source_deploys_to_do_not_narrow_it() {
    narrowed_only_with(
        "account-without-findings",
        "main.tf",
        "s3:GetObject",
        "[cloudformation]\naccount = \"111122223333\"",
    );
}

#[test]
fn a_simple_list_without_a_principal_is_refused() {
    let dir = case("tf-tfvars");
    std::fs::write(
        dir.join("list.json"),
        r#"[{"serviceNamespace": "s3", "actions": ["PutObject"]}]"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = run(&dir, &["fix", ".", "--findings", "list.json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("names no principal"), "{stderr}");
    assert!(read(&dir.join("main.tf")).contains("s3:PutObject"));
    // Named, it applies to that principal only.
    let out = run(
        &dir,
        &[
            "fix",
            ".",
            "--findings",
            "list.json",
            "--principal",
            "arn:aws:iam::111122223333:role/app",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!read(&dir.join("main.tf")).contains("s3:PutObject"));
}

#[test]
fn principals_says_what_joined_and_what_did_not() {
    let dir = case("tf-module-mapping");
    let out = run(&dir, &["principals", "."]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    insta::assert_snapshot!(text);
    assert_eq!(out.status.code(), Some(0));
    let out = run(&dir, &["principals", ".", "--fail-on-unjoined"]);
    assert_eq!(out.status.code(), Some(1));
    let out = run(&dir, &["check", ".", "--fail-on-unjoined", "--exit-zero"]);
    assert_eq!(out.status.code(), Some(0));
    let out = run(&dir, &["check", ".", "--fail-on-unjoined"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn stack_names_apply_however_the_scan_is_started() {
    let dir = case("cfn-generated");
    let absolute = dir.display().to_string();
    let absolute_file = dir.join("template.json").display().to_string();
    let mut reports = Vec::new();
    for path in [
        ".",
        "./",
        "template.json",
        "./template.json",
        &absolute,
        &absolute_file,
    ] {
        let report = json_report(&dir, &["check", path]);
        let joined = report["join"]["findings"][0]["joined"].clone();
        let codes: Vec<String> = report["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| format!("{} {}", d["code"], d["range"]))
            .collect();
        assert_eq!(joined, serde_json::json!(true), "{path}: {report}");
        reports.push(codes);
    }
    // The default path (none given) is the working directory.
    let report = json_report(&dir, &["check"]);
    assert_eq!(
        report["join"]["findings"][0]["joined"],
        serde_json::json!(true)
    );
    assert!(reports.windows(2).all(|w| w[0] == w[1]), "{reports:?}");
    assert!(!reports[0].is_empty());
}

#[test]
fn a_stale_export_of_a_finding_does_not_remove_what_the_newer_one_found_used() {
    let dir = case("stale-finding");
    let (text, printed) = fix(&dir, &[], "main.tf");
    assert!(text.contains("s3:GetObject"), "{printed}");
    // What the newer export still lists does go.
    assert!(!text.contains("dynamodb:Scan"), "{printed}");
    // Without the newer export, the older one alone removes it: the fixture can fail.
    let dir = case("stale-finding");
    std::fs::remove_file(dir.join("findings/2024-06-20.json")).unwrap_or_else(|e| panic!("{e}"));
    let (text, printed) = fix(&dir, &[], "main.tf");
    assert!(!text.contains("s3:GetObject"), "{printed}");
}

#[test]
fn names_from_defaults_tfvars_and_locals_three_modules_deep() {
    let dir = case("tf-deep");
    let file = "modules/roles/main.tf";
    // Each name (a default, a tfvars value, a local built from variables) is found through three
    // module calls and joins its findings...
    let report = json_report(&dir, &["principals", ".", "--account", "111122223333"]);
    let names: Vec<&str> = report["principals"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["data-prod-api", "audit-role", "reader-prod"],
        "{report}"
    );
    // ...but another environment may set those variables otherwise: without the deployments of
    // every environment, nothing is narrowed, and each policy says so.
    let (text, printed) = fix(&dir, &["--account", "111122223333"], file);
    for kept in ["s3:PutObject", "dynamodb:Scan", "sqs:DeleteQueue"] {
        assert!(text.contains(kept), "{kept}\n{printed}");
    }
    assert!(printed.contains("comes from variables"), "{printed}");
}

#[test]
fn deployment_evidence_of_two_environments() {
    let dir = case("tf-deep");
    let file = "modules/roles/main.tf";
    let (text, printed) = fix(&dir, &["--deployment", "deployments"], file);
    // audit-role and reader-* left their action unused in both environments.
    assert!(!text.contains("s3:PutObject"), "{printed}");
    assert!(!text.contains("dynamodb:Scan"), "{printed}");
    // data-dev-api is deployed and has no findings: it may use everything.
    assert!(text.contains("sqs:DeleteQueue"), "{printed}");
    let report = json_report(
        &case("tf-deep"),
        &["check", ".", "--deployment", "deployments"],
    );
    let policies = report["join"]["policies"].to_string();
    assert!(
        policies.contains("data-dev-api (deployed per deployments/dev.json) has no findings"),
        "{policies}"
    );
    let findings = &report["join"]["findings"];
    assert!(
        findings
            .as_array()
            .into_iter()
            .flatten()
            .all(|f| f["joined"] == true),
        "{findings}"
    );
}

#[test]
fn a_bad_deployment_file_is_an_error_with_its_place() {
    let dir = case("tf-deep");
    std::fs::write(
        dir.join("deployments/broken.json"),
        "{\"values\": [1,\n 2,]}",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = run(&dir, &["check", ".", "--deployment", "deployments"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("deployments/broken.json:2:"), "{stderr}");
    std::fs::write(dir.join("deployments/broken.json"), "{\"Resources\": {}}")
        .unwrap_or_else(|e| panic!("{e}"));
    let out = run(&dir, &["check", ".", "--deployment", "deployments"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("broken.json:1:1: not deployment evidence"),
        "{stderr}"
    );
}

#[test]
fn a_cdk_assembly_joins_mixed_case_and_uniquely_cut_generated_names() {
    let dir = case("cdk-app");
    let report = json_report(&dir, &["check"]);
    let stacks: Vec<String> = report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["code"] == "IAM001")
        .filter_map(|d| Some(d["file"].as_str()?.rsplit('/').next()?.to_string()))
        .collect();
    assert_eq!(
        stacks,
        [
            "OrdersServiceStack.template.json",
            "ProductionOrdersProcessingPipelineStack.template.json"
        ],
        "{report}"
    );
    let policies = report["join"]["policies"].to_string();
    assert!(
        policies.contains(
            "`OrderProcessorFunctionSecondaryServiceRole5E6F7A8B` could have that name too"
        ),
        "{policies}"
    );
}

#[test]
fn stack_resources_settle_a_name_the_source_cannot() {
    let dir = case("cdk-app");
    std::fs::write(
        dir.join("stack.json"),
        r#"{"StackResources": [
            {"StackName": "ProductionOrdersReportingPipelineStack", "LogicalResourceId": "OrderProcessorFunctionServiceRoleA1B2C3D4",
             "PhysicalResourceId": "ProductionOrdersReportingP-OrderProcessorFunctionSe-Rb7NcV2hJyQs", "ResourceType": "AWS::IAM::Role"},
            {"StackName": "ProductionOrdersReportingPipelineStack", "LogicalResourceId": "OrderProcessorFunctionSecondaryServiceRole5E6F7A8B",
             "PhysicalResourceId": "ProductionOrdersReportingP-OrderProcessorFunctionSe-Zz0YyXxWwVvU", "ResourceType": "AWS::IAM::Role"}]}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let report = json_report(&dir, &["check", ".", "--deployment", "stack.json"]);
    let reporting = report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["code"] == "IAM001")
        .filter(|d| {
            d["file"].as_str().is_some_and(|f| {
                f.ends_with("ProductionOrdersReportingPipelineStack.template.json")
            })
        })
        .count();
    assert_eq!(reporting, 1, "{report}");
}

#[test]
fn a_mapping_glob_ties_every_environment_of_a_role() {
    narrowed_only_with(
        "tf-module-mapping",
        "modules/app/main.tf",
        "s3:GetObject",
        "[principals]\n\"arn:aws:iam::*:role/app-*\" = \"module.app.aws_iam_role.this\"",
    );
}

#[test]
fn a_mapping_that_names_nothing_is_an_error_naming_the_candidates() {
    let dir = case("tf-module-mapping");
    let path = dir.join("iamprune.toml");
    let config = format!(
        "{}\n[principals]\n\"arn:aws:iam::111122223333:role/app-prod\" = \"module.app.aws_iam_role.thsi\"\n",
        read(&path)
    );
    std::fs::write(&path, config).unwrap_or_else(|e| panic!("{e}"));
    let out = run(&dir, &["check", ".", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let errors = json(&out)["errors"].to_string();
    assert!(
        errors.contains("did you mean `module.app.aws_iam_role.this`"),
        "{errors}"
    );
    // Checking one file of the project cannot tell: the mapping may be for another part.
    let out = run(&dir, &["check", "modules/app/main.tf", "--format", "json"]);
    assert_eq!(json(&out)["errors"], serde_json::json!([]));
}

#[test]
fn a_nested_stack_of_a_cdk_assembly_is_checked_and_joined() {
    let dir = case("cdk-nested");
    let report = json_report(&dir, &["check"]);
    let diagnostics: Vec<String> = report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| format!("{} {}", d["code"], d["file"]))
        .collect();
    assert_eq!(
        diagnostics,
        ["\"IAM001\" \"./cdk.out/ParentStackChildABCD1234.nested.template.json\""],
        "{report}"
    );
    assert_eq!(
        report["join"]["findings"][0]["joined"],
        serde_json::json!(true)
    );
}

#[test]
fn stack_resources_of_a_nested_stack_tie_its_roles() {
    let dir = case("cdk-nested");
    // Another role name than the finding's: the evidence, not the name, decides.
    std::fs::write(
        dir.join("nested.json"),
        r#"{"StackResources": [
            {"StackName": "ParentStack-ChildNestedStackChildNestedStackResourceAB12CD34-1XYZ9ABCDEFG",
             "LogicalResourceId": "FnServiceRoleAAAA1111",
             "PhysicalResourceId": "ParentStack-ChildNestedStackChild-FnServiceRoleAAAA-NSCvroR0lMPF",
             "ResourceType": "AWS::IAM::Role"}]}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let report = json_report(&dir, &["check", ".", "--deployment", "nested.json"]);
    let deployed = report["join"]["principals"][0]["deployed"].to_string();
    assert!(deployed.contains("deployment nested.json"), "{report}");
    assert_eq!(
        report["diagnostics"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );
}
