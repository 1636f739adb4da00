//! `fix` never loses a user's bytes: killed at any point, every file is old or new and the next run
//! leaves no temporary file; a writer that appends to files while it runs keeps every line; a
//! read-only file is never rewritten.
//!
//! The tree is generated: `IAMPRUNE_KILL_TEST=FILES,KILLS` sets its size and the number of kills
//! (default 200 files, 12 kills; the closing measurement used 3000,50).

#![cfg(unix)]

mod common;

use common::*;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const ACCOUNT: &str = "123456789012";

fn template(i: usize) -> String {
    format!(
        "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: App{i}Role\n      \
         AssumeRolePolicyDocument:\n        Statement:\n          - Effect: Allow\n            \
         Principal: {{ Service: lambda.amazonaws.com }}\n            Action: sts:AssumeRole\n      \
         Policies:\n        - PolicyName: app\n          PolicyDocument:\n            Statement:\n              \
         - Effect: Allow\n                Action:\n                  - dynamodb:GetItem\n                  \
         - dynamodb:PutItem\n                  - dynamodb:DeleteTable\n                Resource: \"*\"\n"
    )
}

fn finding(i: usize) -> String {
    format!(
        "{{\"id\": \"f-{i}\", \"resource\": \"arn:aws:iam::{ACCOUNT}:role/App{i}Role\", \
         \"resourceType\": \"AWS::IAM::Role\", \"resourceOwnerAccount\": \"{ACCOUNT}\", \
         \"status\": \"ACTIVE\", \"findingType\": \"UnusedPermission\", \
         \"analyzedAt\": \"2026-11-20T08:00:00Z\", \"updatedAt\": \"2026-11-20T08:00:00Z\", \
         \"findingDetails\": [{{\"unusedPermissionDetails\": {{\"serviceNamespace\": \"dynamodb\", \
         \"actions\": [{{\"action\": \"DeleteTable\"}}]}}}}]}}\n"
    )
}

/// A tree of `files` templates, one role each, with the findings that make each fixable.
fn tree(name: &str, files: usize) -> (Scratch, Vec<PathBuf>) {
    let dir = scratch(name);
    let dir = dir.canonical();
    let mut findings = String::new();
    let mut paths = Vec::new();
    for i in 0..files {
        let path = dir.join(format!("t{:02}/s{i:04}.yaml", i % 50));
        std::fs::create_dir_all(path.parent().unwrap_or(&dir)).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&path, template(i)).unwrap_or_else(|e| panic!("{e}"));
        findings.push_str(&finding(i));
        paths.push(path);
    }
    std::fs::write(dir.join("findings.jsonl"), findings).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.join("iamprune.toml"),
        format!("account = \"{ACCOUNT}\"\nfindings = [\"findings.jsonl\"]\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    (dir, paths)
}

fn fixed(i: usize) -> String {
    template(i).replace("                  - dynamodb:DeleteTable\n", "")
}

fn size() -> (usize, usize) {
    std::env::var("IAMPRUNE_KILL_TEST")
        .ok()
        .and_then(|v| {
            let (files, kills) = v.split_once(',')?;
            Some((files.parse().ok()?, kills.parse().ok()?))
        })
        .unwrap_or((200, 12))
}

fn temps(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).into_iter().flatten() {
        let name = entry.file_name().to_string_lossy();
        if name.starts_with(".iamprune-") || name.starts_with(".tmp") {
            out.push(entry.path().to_path_buf());
        }
    }
    out
}

/// Appends numbered comment lines to random files until stopped, each under the file's advisory lock
/// as a cooperating writer takes it: once it holds the lock, it checks that the path still names the
/// file it opened (a fix may have renamed a new one over it meanwhile), else it opens it again.
/// Returns what it appended where.
fn appender(paths: Vec<PathBuf>, stop: Arc<AtomicBool>) -> BTreeMap<PathBuf, Vec<String>> {
    let mut appended: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    let mut n = 0usize;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let path = &paths[(n * 7919) % paths.len()];
        let line = format!("# appended {n}\n");
        let Ok(mut file) = std::fs::OpenOptions::new().append(true).open(path) else {
            continue;
        };
        if fs4::FileExt::lock(&file).is_err() {
            continue;
        }
        use std::os::unix::fs::MetadataExt;
        let same = |f: &std::fs::File| {
            let (Ok(open), Ok(named)) = (f.metadata(), std::fs::metadata(path)) else {
                return false;
            };
            open.ino() == named.ino() && open.dev() == named.dev()
        };
        if !same(&file) {
            continue;
        }
        if file.write_all(line.as_bytes()).is_ok() {
            appended.entry(path.clone()).or_default().push(line);
        }
        let _ = fs4::FileExt::unlock(&file);
        std::thread::sleep(Duration::from_millis(2));
    }
    appended
}

/// Every file is its template or its fixed text, with the appended lines after it, in order.
fn check_files(paths: &[PathBuf], appended: &BTreeMap<PathBuf, Vec<String>>) {
    for (i, path) in paths.iter().enumerate() {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
        let tail: String = appended.get(path).map(|l| l.concat()).unwrap_or_default();
        let Some(body) = text.strip_suffix(&tail) else {
            panic!("{}: appended lines lost:\n{text}", path.display());
        };
        assert!(
            body == template(i) || body == fixed(i),
            "{}: neither old nor new:\n{text}",
            path.display()
        );
    }
}

#[test]
fn killed_at_any_point_every_file_is_old_or_new_and_nothing_is_lost() {
    let (files, kills) = size();
    let (dir, paths) = tree("kill", files);
    // How long a whole run takes, so that kills land anywhere in it.
    let (probe_dir, _) = tree("kill-probe", files);
    let started = Instant::now();
    let out = run(&probe_dir, &["fix", "."]);
    expect_exit(&out, 0);
    let whole = started.elapsed().max(Duration::from_millis(50));

    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (paths, stop) = (paths.clone(), stop.clone());
        std::thread::spawn(move || appender(paths, stop))
    };
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for round in 0..kills {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = whole.mul_f64((seed % 1000) as f64 / 1000.0);
        let mut child = iamprune_in(&dir)
            .args(["fix", "."])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        std::thread::sleep(delay);
        if round % 3 == 0 {
            // SIGTERM: the run removes its own temporary files before it exits.
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
            // Its own, that is: a run killed outright before it may have left some in directories
            // this one did not write to, which the next run there removes.
            let own = format!(".iamprune-{}-", child.id());
            let left: Vec<PathBuf> = temps(&dir)
                .into_iter()
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with(&own))
                })
                .collect();
            assert_eq!(left, Vec::<PathBuf>::new(), "after SIGTERM");
        } else {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
    stop.store(true, Ordering::Relaxed);
    let appended = writer
        .join()
        .unwrap_or_else(|_| panic!("the writer panicked"));
    check_files(&paths, &appended);

    // The next whole run fixes the rest and leaves no temporary file of the killed ones.
    let out = run(&dir, &["fix", "."]);
    expect_exit(&out, 0);
    assert_eq!(temps(&dir), Vec::<PathBuf>::new());
    for (i, path) in paths.iter().enumerate() {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let tail: String = appended.get(path).map(|l| l.concat()).unwrap_or_default();
        assert_eq!(text, fixed(i) + &tail, "{}", path.display());
    }
}

#[test]
fn a_read_only_file_is_reported_and_left_alone() {
    let (dir, paths) = tree("read-only", 2);
    let mut permissions = std::fs::metadata(&paths[0])
        .unwrap_or_else(|e| panic!("{e}"))
        .permissions();
    permissions.set_readonly(true);
    std::fs::set_permissions(&paths[0], permissions).unwrap_or_else(|e| panic!("{e}"));
    let out = run(&dir, &["fix", "."]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("read-only; not changed"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&paths[0]).unwrap_or_default(),
        template(0)
    );
    assert_eq!(
        std::fs::read_to_string(&paths[1]).unwrap_or_default(),
        fixed(1)
    );
}
