//! FIFOs, sockets and devices named like sources or exports are never opened: reading one would wait
//! for a writer forever. Each is named once and the run goes on.

#![cfg(unix)]

mod common;

use common::*;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

/// A run that must end within ten seconds; a hang fails the test instead of stalling it.
fn run_bounded(dir: &Path, args: &[&str]) -> Output {
    let mut child = iamprune_in(dir)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    while child.try_wait().ok().flatten().is_none() {
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("`iamprune {}` hangs", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap_or_else(|e| panic!("{e}"))
}

fn mkfifo(path: &Path) -> bool {
    std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn fifos_are_named_and_never_opened() {
    let dir = scratch("fifos");
    copy_dir(&root().join("testdata/demo"), &dir);
    let fifos = [
        "terraform/pipe.tf",
        "cloudformation/pipe.yaml",
        "findings/pipe.json",
        "export.jsonl",
    ];
    for fifo in fifos {
        if !mkfifo(&dir.join(fifo)) {
            eprintln!("skipped: mkfifo is not available");
            return;
        }
    }
    let note = |fifo: &str| {
        format!("{fifo}: note: not a regular file (a FIFO, socket or device); skipped")
    };
    // Beside a file named on the command line, in its module.
    let out = run_bounded(&dir, &["check", "terraform/main.tf"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&note("terraform/pipe.tf")), "{stdout}");
    assert!(
        stdout.contains("5 error(s)"),
        "the module is still checked: {stdout}"
    );
    // Found by the walk, and in the findings directory of the configuration.
    let out = run_bounded(&dir, &["check", "terraform", "cloudformation"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for fifo in [
        "terraform/pipe.tf",
        "cloudformation/pipe.yaml",
        "findings/pipe.json",
    ] {
        assert!(stdout.contains(&note(fifo)), "{fifo}: {stdout}");
    }
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    // Given as the export itself: an error, at once.
    let out = run_bounded(&dir, &["check", "terraform", "--findings", "export.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("export.jsonl:1:1: not a regular file"),
        "{stderr}"
    );
    // Named itself as what to check: an error.
    let out = run_bounded(&dir, &["check", "cloudformation/pipe.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("cloudformation/pipe.yaml: error: not a regular file")
    );
    // Every command that reads files.
    for args in [
        &["fix", ".", "--diff"][..],
        &["principals", "."],
        &["findings", "findings"],
    ] {
        run_bounded(&dir, args);
    }
}
