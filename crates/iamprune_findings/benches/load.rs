//! Loading a findings export: throughput, and the heap it takes while loading against the heap of
//! the index it leaves. The export is generated: JSON Lines of `get-finding-v2` outputs, as an
//! organization's analyzer gives them, one role a line with three services of unused actions.
//!
//! `IAMPRUNE_BENCH_FINDINGS` sets the number of roles (default 6,000).
//! `IAMPRUNE_BENCH_FINDINGS_FILE=PATH` measures the heap and time of one load of that file instead
//! (an organization's export from `scripts/bench`, say), without criterion's repetitions.

// Counting the heap takes a global allocator, which is unsafe to implement; it only forwards.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use iamprune_findings::{FindingsSet, LoadOptions};

/// The system allocator, counting the bytes live and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is the system allocator's.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            if new_size >= layout.size() {
                let grown = new_size - layout.size();
                let live = LIVE.fetch_add(grown, Ordering::Relaxed) + grown;
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn roles() -> usize {
    std::env::var("IAMPRUNE_BENCH_FINDINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6000)
}

/// Writes the export for `roles` roles and returns its path.
fn export(roles: usize) -> PathBuf {
    let path = std::env::temp_dir().join(format!("iamprune-bench-findings-{roles}.jsonl"));
    let write = || -> std::io::Result<()> {
        let mut out = BufWriter::new(std::fs::File::create(&path)?);
        let services: [(&str, &[&str]); 3] = [
            (
                "s3",
                &[
                    "GetBucketAcl",
                    "GetBucketPolicy",
                    "PutBucketPolicy",
                    "DeleteBucket",
                ],
            ),
            (
                "lambda",
                &["CreateFunction", "DeleteFunction", "UpdateFunctionCode"],
            ),
            ("dynamodb", &["DeleteTable", "CreateTable", "UpdateTable"]),
        ];
        for i in 0..roles {
            write!(
                out,
                "{{\"id\": \"00000000-0000-4000-8000-{i:012}\", \
                 \"resource\": \"arn:aws:iam::123456789012:role/role-{i}\", \
                 \"resourceType\": \"AWS::IAM::Role\", \"resourceOwnerAccount\": \"123456789012\", \
                 \"status\": \"ACTIVE\", \"findingType\": \"UnusedPermission\", \
                 \"analyzedAt\": \"2026-09-20T08:00:00+00:00\", \"createdAt\": \"2026-08-01T08:00:00+00:00\", \
                 \"updatedAt\": \"2026-09-20T08:00:00+00:00\", \"findingDetails\": ["
            )?;
            for (s, (service, actions)) in services.iter().enumerate() {
                let comma = if s == 0 { "" } else { ", " };
                write!(
                    out,
                    "{comma}{{\"unusedPermissionDetails\": {{\"serviceNamespace\": \"{service}\", \"actions\": ["
                )?;
                for (a, action) in actions.iter().cycle().take(actions.len() * 8).enumerate() {
                    let comma = if a == 0 { "" } else { ", " };
                    write!(out, "{comma}{{\"action\": \"{action}\"}}")?;
                }
                write!(out, "]}}}}")?;
            }
            writeln!(out, "]}}")?;
        }
        out.flush()
    };
    if let Err(e) = write() {
        panic!("cannot write {}: {e}", path.display());
    }
    path
}

fn load(path: &Path) -> FindingsSet {
    let mut set = FindingsSet::new();
    if let Err(e) = set.load_file(path, &LoadOptions::default()) {
        panic!("{e}");
    }
    set
}

/// Loads `path` once and says how much heap the index takes and the load took at its peak.
fn measure_heap(path: &Path) -> FindingsSet {
    let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let started = std::time::Instant::now();
    let set = load(path);
    // Principals are merged on first use: a check uses every one.
    let principals = set.principals().count();
    let _ = set.notes();
    let elapsed = started.elapsed();
    let index = LIVE.load(Ordering::Relaxed) - before;
    let peak = PEAK.load(Ordering::Relaxed) - before;
    println!(
        "findings load: {} principals, {:.1} MB of JSON Lines in {elapsed:.2?}: index {:.1} MB, peak heap \
         while loading {:.1} MB ({:.2}x the index)",
        principals,
        bytes as f64 / 1e6,
        index as f64 / 1e6,
        peak as f64 / 1e6,
        peak as f64 / index.max(1) as f64
    );
    set
}

fn findings(c: &mut Criterion) {
    if let Some(path) = std::env::var_os("IAMPRUNE_BENCH_FINDINGS_FILE") {
        measure_heap(Path::new(&path));
        return;
    }
    let roles = roles();
    let path = export(roles);
    let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());

    // Measured before criterion's own allocations come and go.
    let set = measure_heap(&path);
    assert_eq!(set.principals().count(), roles);
    drop(set);

    let mut group = c.benchmark_group("findings");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function(format!("load {roles} roles"), |b| {
        b.iter(|| {
            let set = load(black_box(&path));
            set.principals().count()
        })
    });
    group.finish();
    let _ = std::fs::remove_file(&path);
}

criterion_group!(benches, findings);
criterion_main!(benches);
