//! `findings pull` and `deployments pull` against a fake of the two services on 127.0.0.1, through the
//! real AWS SDK: the endpoint comes from `AWS_ENDPOINT_URL` and the credentials are static test ones
//! (or a profile in a scratch `~/.aws`), so no test sends anything off this machine.

#![cfg(feature = "aws")]

mod common;
mod fake_aws;

use common::*;
use fake_aws::{Fake, State};

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const ORG_ANALYZER: &str = "arn:aws:access-analyzer:eu-west-1:123456789012:analyzer/org-unused";
const ACCOUNT_ANALYZER: &str =
    "arn:aws:access-analyzer:eu-west-1:123456789012:analyzer/account-unused";

/// The demo's committed export, one finding per line.
fn demo_findings() -> Vec<Value> {
    let text = std::fs::read_to_string(root().join("testdata/demo/findings/unused-access.jsonl"))
        .unwrap_or_else(|e| panic!("{e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn state(findings: Vec<Value>) -> State {
    State {
        analyzers: vec![
            (
                "ACCOUNT_UNUSED_ACCESS".into(),
                ACCOUNT_ANALYZER.into(),
                "ACTIVE".into(),
            ),
            (
                "ORGANIZATION_UNUSED_ACCESS".into(),
                ORG_ANALYZER.into(),
                "ACTIVE".into(),
            ),
        ],
        findings,
        list_page: 2,
        details_page: 2,
        ..State::default()
    }
}

/// A command with nothing of this machine's AWS configuration: `home` holds its `~/.aws` files (if
/// any), no credentials or region come from the environment, and no instance metadata is asked for.
fn isolated(mut cmd: Command, home: &Path) -> Command {
    cmd.env("HOME", home)
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for name in [
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_MAX_ATTEMPTS",
        "AWS_RETRY_MODE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        cmd.env_remove(name);
    }
    cmd
}

/// `iamprune` in `dir` pointed at the fake, with test credentials and region.
fn at_fake(fake: &Fake, home: &Path, dir: &Path) -> Command {
    let mut cmd = isolated(iamprune_in(dir), home);
    cmd.env("AWS_ENDPOINT_URL", &fake.url)
        .env("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE")
        .env("AWS_SECRET_ACCESS_KEY", "fake-secret")
        .env("AWS_REGION", "eu-west-1");
    cmd
}

fn pull(fake: &Fake, home: &Path, dir: &Path, args: &[&str]) -> Output {
    at_fake(fake, home, dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A scratch directory for a test, and an empty home in it.
fn workspace(name: &str) -> (Scratch, std::path::PathBuf) {
    let work = scratch(name);
    let home = work.join("home");
    std::fs::create_dir_all(&home).unwrap_or_else(|e| panic!("{e}"));
    (work, home)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The lines of every `.jsonl` a pull wrote, by file name.
fn pulled(dir: &Path) -> BTreeMap<String, Vec<Value>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".jsonl") {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_else(|e| panic!("{e}"));
            let lines = text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}: {e}")))
                .collect();
            out.insert(name, lines);
        }
    }
    out
}

#[test]
fn a_pull_writes_the_committed_export_and_checks_the_same() {
    let findings = demo_findings();
    let fake = Fake::start(state(findings.clone()));
    let (work, home) = workspace("pull-demo");
    let out_dir = work.join("findings");
    let out = pull(
        &fake,
        &home,
        &work,
        &[
            "findings",
            "pull",
            "-o",
            out_dir.to_str().unwrap_or_default(),
        ],
    );
    expect_exit(&out, 0);
    let said = stderr(&out);
    // The organization's analyzer is chosen over the account's, and the choice is said.
    assert!(said.contains(ORG_ANALYZER), "{said}");
    assert!(said.contains(ACCOUNT_ANALYZER), "{said}");
    // One line per finding, every page of its details merged: the committed export, line for line.
    let files = pulled(&out_dir);
    assert_eq!(files.keys().collect::<Vec<_>>(), ["123456789012.jsonl"]);
    let mut expected = findings.clone();
    expected.sort_by_key(|f| f["id"].as_str().unwrap_or_default().to_string());
    assert_eq!(files["123456789012.jsonl"], expected);
    // Every list page and every details page was followed.
    let gets = fake.count("GetFindingV2");
    assert_eq!(gets, detail_pages(&findings));
    let lists = fake.count("ListFindingsV2");
    assert_eq!(lists, findings.len().div_ceil(2));
    // The filters asked for active findings of the four types check reads.
    let (_, list) = fake
        .requests()
        .into_iter()
        .find(|(op, _)| op == "ListFindingsV2")
        .unwrap_or_default();
    for wanted in ["ACTIVE", "UnusedPermission", "UnusedIAMUserPassword"] {
        assert!(list.contains(wanted), "{list}");
    }
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(out_dir.join("iamprune-pull.json")).unwrap_or_default(),
    )
    .unwrap_or(Value::Null);
    assert_eq!(manifest["analyzer"], ORG_ANALYZER);
    assert_eq!(manifest["accounts"]["123456789012"], findings.len());

    // The demo checked with the pulled directory reports what it reports with the committed one.
    let demo = work.join("demo");
    copy_dir(&root().join("testdata/demo"), &demo);
    let committed = json_report(&demo, &["check", ".", "--exit-zero"]);
    std::fs::remove_dir_all(demo.join("findings")).unwrap_or_else(|e| panic!("{e}"));
    copy_dir(&out_dir, &demo.join("findings"));
    let from_pull = json_report(&demo, &["check", ".", "--exit-zero"]);
    assert!(!diagnostics(&committed).is_empty());
    assert_eq!(diagnostics(&from_pull), diagnostics(&committed));
    // The manifest is passed over without a note.
    let notes = from_pull["notes"].to_string();
    assert!(!notes.contains("iamprune-pull.json"), "{notes}");
}

#[test]
fn accounts_filter_the_list_and_a_second_pull_removes_what_it_no_longer_writes() {
    let mut findings = demo_findings();
    let mut other = findings[0].clone();
    other["id"] = "ffffffff-0000-4000-8000-000000000099".into();
    other["resourceOwnerAccount"] = "210987654321".into();
    other["resource"] = "arn:aws:iam::210987654321:role/DataPipelineRole".into();
    findings.push(other);
    let fake = Fake::start(state(findings));
    let (work, home) = workspace("pull-accounts");
    let dir = work.join("out");
    let dir_arg = dir.to_str().unwrap_or_default();
    expect_exit(
        &pull(&fake, &home, &work, &["findings", "pull", "-o", dir_arg]),
        0,
    );
    assert_eq!(
        pulled(&dir).keys().collect::<Vec<_>>(),
        ["123456789012.jsonl", "210987654321.jsonl"]
    );
    let out = pull(
        &fake,
        &home,
        &work,
        &[
            "findings",
            "pull",
            "-o",
            dir_arg,
            "--account",
            "210987654321",
        ],
    );
    expect_exit(&out, 0);
    assert_eq!(
        pulled(&dir).keys().collect::<Vec<_>>(),
        ["210987654321.jsonl"]
    );
    let last_list = fake
        .requests()
        .into_iter()
        .rfind(|(op, _)| op == "ListFindingsV2")
        .map(|(_, r)| r)
        .unwrap_or_default();
    assert!(last_list.contains("resourceOwnerAccount"), "{last_list}");
}

#[test]
fn concurrency_bounds_the_requests_in_flight() {
    let findings = demo_findings();
    let fake = Fake::start(State {
        latency: std::time::Duration::from_millis(30),
        ..state(findings)
    });
    let (work, home) = workspace("pull-concurrency");
    let dir = work.join("out");
    let out = pull(
        &fake,
        &home,
        &work,
        &[
            "findings",
            "pull",
            "-o",
            dir.to_str().unwrap_or_default(),
            "--concurrency",
            "2",
        ],
    );
    expect_exit(&out, 0);
    let widest = fake.widest();
    // More than one at once, never more than asked.
    assert_eq!(widest, 2);
}

#[test]
fn throttling_is_retried_by_the_sdk() {
    let findings = demo_findings();
    let fake = Fake::start(State {
        throttle: 2.into(),
        ..state(findings.clone())
    });
    let (work, home) = workspace("pull-throttle");
    let dir = work.join("out");
    let out = pull(
        &fake,
        &home,
        &work,
        &[
            "findings",
            "pull",
            "-o",
            dir.to_str().unwrap_or_default(),
            "--concurrency",
            "1",
        ],
    );
    expect_exit(&out, 0);
    assert_eq!(pulled(&dir)["123456789012.jsonl"].len(), findings.len());
    // Both throttled requests were sent again.
    let gets = fake.count("GetFindingV2");
    assert_eq!(gets, detail_pages(&findings) + 2);

    // A throttling that outlasts the attempts says so, with the attempts the AWS configuration gives:
    // two from the environment, then two from the profile.
    let fake = Fake::start(State {
        throttle: 1000.into(),
        ..state(findings)
    });
    std::fs::write(
        home.join("config"),
        "[profile slow]\nregion = eu-west-1\nmax_attempts = 2\nretry_mode = standard\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let from_env = ["AWS_MAX_ATTEMPTS", "2"];
    for (flags, env) in [
        (&[][..], Some(from_env)),
        (&["--profile", "slow"][..], None),
    ] {
        let before = fake.count("GetFindingV2") + fake.count("ListFindingsV2");
        let mut cmd = at_fake(&fake, &home, &work);
        cmd.args(["findings", "pull", "--concurrency", "1", "-o"])
            .arg(&dir)
            .args(flags);
        if let Some([name, value]) = env {
            cmd.env(name, value);
        }
        let out = cmd.output().unwrap_or_else(|e| panic!("{e}"));
        expect_exit(&out, 2);
        let said = stderr(&out);
        assert!(
            said.contains("throttled and still was after 2 attempts"),
            "{flags:?}: {said}"
        );
        assert!(said.contains("--concurrency"), "{said}");
        // Two attempts of the request that failed, and of one started before the pull stopped: far
        // from the eight each of the default.
        let sent = fake.count("GetFindingV2") + fake.count("ListFindingsV2") - before;
        assert!(sent <= 4, "{flags:?}: {sent} requests\n{said}");
    }
}

/// How many `GetFindingV2` pages the findings take, two details a page.
fn detail_pages(findings: &[Value]) -> usize {
    findings
        .iter()
        .map(|f| {
            f["findingDetails"]
                .as_array()
                .map_or(1, |d| d.len().div_ceil(2).max(1))
        })
        .sum()
}

#[test]
fn errors_say_what_to_do() {
    let (work, home) = workspace("pull-errors");
    let dir = work.join("out");
    let dir_arg = dir.to_str().unwrap_or_default();

    // Access denied names the permission.
    let denied = Fake::start(State {
        deny: Some("GetFindingV2".into()),
        ..state(demo_findings())
    });
    let out = pull(&denied, &home, &work, &["findings", "pull", "-o", dir_arg]);
    expect_exit(&out, 2);
    assert!(
        stderr(&out).contains("the caller needs `access-analyzer:GetFinding`"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.join("123456789012.jsonl").exists());

    // No analyzer: how to create one.
    let none = Fake::start(State {
        analyzers: Vec::new(),
        ..state(Vec::new())
    });
    let out = pull(&none, &home, &work, &["findings", "pull", "-o", dir_arg]);
    expect_exit(&out, 2);
    let said = stderr(&out);
    assert!(
        said.contains("no active unused-access analyzer in eu-west-1"),
        "{said}"
    );
    assert!(said.contains("create-analyzer"), "{said}");

    // No credentials: how to get some.
    let fake = Fake::start(state(Vec::new()));
    let out = isolated(iamprune_in(&work), &home)
        .args(["findings", "pull", "-o", dir_arg])
        .env("AWS_ENDPOINT_URL", &fake.url)
        .env("AWS_REGION", "eu-west-1")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    expect_exit(&out, 2);
    assert!(
        stderr(&out).contains("no AWS credentials"),
        "{}",
        stderr(&out)
    );
    assert!(
        fake.operations().is_empty(),
        "nothing is sent without credentials"
    );

    // No region.
    let out = isolated(iamprune_in(&work), &home)
        .args(["findings", "pull", "-o", dir_arg])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    expect_exit(&out, 2);
    assert!(stderr(&out).contains("--region"), "{}", stderr(&out));
}

#[test]
fn a_profile_gives_the_credentials_and_the_region() {
    let fake = Fake::start(state(demo_findings()));
    let (work, home) = workspace("pull-profile");
    std::fs::write(home.join("config"), "[profile audit]\nregion = eu-west-1\n")
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        home.join("credentials"),
        "[audit]\naws_access_key_id = AKIAFAKEPROFILEFAKE1\naws_secret_access_key = fake\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let dir = work.join("out");
    let out = isolated(iamprune_in(&work), &home)
        .args([
            "findings",
            "pull",
            "--profile",
            "audit",
            "--analyzer-arn",
            ACCOUNT_ANALYZER,
            "-o",
            dir.to_str().unwrap_or_default(),
        ])
        .env("AWS_ENDPOINT_URL", &fake.url)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    expect_exit(&out, 0);
    // The analyzer given is used as it is: no ListAnalyzers.
    assert!(!fake.operations().contains(&"ListAnalyzers".to_string()));
    assert!(
        stderr(&out).contains("the analyzer given"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn deployments_pull_writes_what_deployment_reads() {
    let mut stacks = BTreeMap::new();
    stacks.insert(
        "demo-web".to_string(),
        vec![
            (
                "WebRole".to_string(),
                "demo-web-WebRole-1A2B3C4D5E6F".to_string(),
                "AWS::IAM::Role".to_string(),
            ),
            (
                "Assets".to_string(),
                "demo-web-assets-1x2y3z".to_string(),
                "AWS::S3::Bucket".to_string(),
            ),
            (
                "Deployer".to_string(),
                "demo-web-Deployer-9Z8Y7X".to_string(),
                "AWS::IAM::User".to_string(),
            ),
            // Failed: no physical id, which `--deployment` could not read.
            (
                "BrokenRole".to_string(),
                String::new(),
                "AWS::IAM::Role".to_string(),
            ),
        ],
    );
    stacks.insert(
        "SeedStack".to_string(),
        vec![(
            "DataPipelineRoleA1B2C3D4".to_string(),
            "SeedStack-DataPipelineRole-XYZ".to_string(),
            "AWS::IAM::Role".to_string(),
        )],
    );
    let fake = Fake::start(State {
        stacks,
        ..State::default()
    });
    let (work, home) = workspace("pull-deployments");
    let demo = work.join("demo");
    copy_dir(&root().join("testdata/demo"), &demo);
    // Without --stack, the stacks iamprune.toml names.
    let out = pull(
        &fake,
        &home,
        &demo,
        &["deployments", "pull", "-o", "deployed"],
    );
    expect_exit(&out, 0);
    let written: Value = serde_json::from_str(
        &std::fs::read_to_string(demo.join("deployed/demo-web.json")).unwrap_or_default(),
    )
    .unwrap_or(Value::Null);
    let resources = written["StackResources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // Both pages, every entry with its stack; the failed role is left out, and said so.
    assert_eq!(resources.len(), 3);
    assert!(
        stderr(&out).contains(
            "stack demo-web: BrokenRole has no physical id yet (CREATE_FAILED), so no finding can be tied to it; it is left out"
        ),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("pulled stack demo-web: 2 role(s), user(s) and group(s)"),
        "{}",
        stderr(&out)
    );
    assert!(resources.iter().all(|r| r["StackName"] == "demo-web"));
    let report = json_report(
        &demo,
        &[
            "check",
            ".",
            "--deployment",
            "deployed/demo-web.json",
            "--exit-zero",
        ],
    );
    assert!(
        report["errors"].as_array().is_none_or(Vec::is_empty),
        "{report}"
    );

    // Beside a CDK app, the stacks of its assembly.
    let app = work.join("app");
    copy_dir(&root().join("testdata/e2e/cdk"), &app);
    let out = pull(
        &fake,
        &home,
        &app,
        &["deployments", "pull", "-o", "deployed"],
    );
    expect_exit(&out, 0);
    assert!(
        app.join("deployed/SeedStack.json").is_file(),
        "{}",
        stderr(&out)
    );

    // A stack that does not exist is said as AWS says it.
    let out = pull(
        &fake,
        &home,
        &demo,
        &["deployments", "pull", "--stack", "gone", "-o", "deployed"],
    );
    expect_exit(&out, 2);
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
}

/// A fake organization of 5,000 roles in 5 accounts, each with an unused-permission finding of
/// three services (two pages of details): the pull completes with bounded concurrency. Its time and
/// the peak RSS of the pull are printed, not asserted (`cargo test --test pull -- --ignored
/// --nocapture`); a test that times itself would fail on a busy machine, not on a slow pull.
#[test]
#[ignore = "a measurement: run it with --ignored --nocapture"]
fn a_5000_role_organization() {
    let template = demo_findings()[0].clone();
    let findings: Vec<Value> = (0..5000)
        .map(|i| {
            let account = format!("{:012}", 100_000_000_000u64 + (i % 5) as u64);
            let mut f = template.clone();
            f["id"] = format!("00000000-0000-4000-8000-{i:012}").into();
            f["resourceOwnerAccount"] = account.clone().into();
            f["resource"] = format!("arn:aws:iam::{account}:role/service-{i}").into();
            f["findingType"] = "UnusedPermission".into();
            f["findingDetails"] = serde_json::json!([
                {"unusedPermissionDetails": {"serviceNamespace": "s3", "actions": [{"action": "DeleteObject"}, {"action": "PutBucketPolicy"}]}},
                {"unusedPermissionDetails": {"serviceNamespace": "sqs", "actions": [{"action": "PurgeQueue"}]}},
                {"unusedPermissionDetails": {"serviceNamespace": "kms", "lastAccessed": "2026-06-30T11:02:45+00:00"}}
            ]);
            f
        })
        .collect();
    let fake = Fake::start(State {
        list_page: 100,
        latency: std::time::Duration::from_millis(2),
        ..state(findings)
    });
    let (work, home) = workspace("pull-org");
    let dir = work.join("out");
    let time = Path::new("/usr/bin/time");
    let mut cmd = if time.exists() {
        let mut cmd = Command::new(time);
        cmd.args(["-f", "wall %e s, peak RSS %M kB"])
            .arg(insta_cmd::get_cargo_bin("iamprune"));
        cmd
    } else {
        Command::new(insta_cmd::get_cargo_bin("iamprune"))
    };
    cmd.current_dir(&work);
    let started = std::time::Instant::now();
    let out = isolated(cmd, &home)
        .env("AWS_ENDPOINT_URL", &fake.url)
        .env("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE")
        .env("AWS_SECRET_ACCESS_KEY", "fake-secret")
        .env("AWS_REGION", "eu-west-1")
        .args(["findings", "pull", "-o", dir.to_str().unwrap_or_default()])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let elapsed = started.elapsed();
    expect_exit(&out, 0);
    let files = pulled(&dir);
    assert_eq!(files.len(), 5);
    assert_eq!(files.values().map(Vec::len).sum::<usize>(), 5000);
    let requests = fake.operations().len();
    let widest = fake.widest();
    assert!(widest <= 8, "{widest} requests at once");
    println!(
        "at most {widest} GetFindingV2 requests in flight (--concurrency 8, 2 ms each at the fake)"
    );
    println!(
        "5,000 roles: {requests} requests in {:.2} s; {}",
        elapsed.as_secs_f64(),
        stderr(&out).lines().last().unwrap_or_default()
    );
}
