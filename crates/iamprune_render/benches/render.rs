//! Rendering a large report in each format: the last stage of a check, and all that an unchanged
//! repository costs in CI once the check is done. The report is the check of a generated template of
//! 1,000 roles with findings for every role (2,000 diagnostics, each with a fix).

#[path = "../../iamprune_cfn/benches/generated.rs"]
mod generated;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use iamprune_linter::{Settings, Workspace};
use iamprune_render::{Report, Sources, TextOptions};

/// The report of a check of a generated project, with the texts its diagnostics point into.
fn report() -> (Report, Sources, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let template = generated::write_project(dir.path(), 1000).unwrap_or_else(|e| panic!("{e}"));
    let mut workspace = Workspace::new(Settings::default());
    let checked = workspace
        .check_paths(&[dir.path().to_path_buf()], &|| ())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut report = Report::default();
    let mut sources = Sources::new();
    for run in &checked {
        report.stats += run.stats;
        report.join.extend(run.join.clone());
        report.messages.extend(run.messages.iter().cloned());
        for unit in &run.reports {
            report.diagnostics.extend(unit.diagnostics.iter().cloned());
            report.messages.extend(unit.messages.iter().cloned());
            for (path, text) in &unit.texts {
                sources.insert(path.clone(), text.clone());
            }
        }
    }
    assert!(
        report.diagnostics.len() >= 2000,
        "{}: {} diagnostics",
        template.display(),
        report.diagnostics.len()
    );
    (report, sources, dir)
}

fn render(c: &mut Criterion) {
    let (report, sources, _dir) = report();
    let mut group = c.benchmark_group("render 2,000 diagnostics");
    group.sample_size(20);
    group.throughput(Throughput::Elements(report.diagnostics.len() as u64));
    group.bench_function("text", |b| {
        b.iter(|| iamprune_render::text(black_box(&report), &sources, TextOptions { color: false }))
    });
    group.bench_function("json", |b| {
        b.iter(|| serde_json::to_vec_pretty(&iamprune_render::json(black_box(&report), &sources)))
    });
    group.bench_function("sarif", |b| {
        b.iter(|| serde_json::to_vec_pretty(&iamprune_render::sarif(black_box(&report), &sources)))
    });
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
