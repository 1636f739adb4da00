use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use iamprune_catalog::{Catalog, Pattern};

fn expand(c: &mut Criterion) {
    let catalog = Catalog::embedded();
    let names = |p: &Pattern| -> Vec<&str> {
        catalog
            .expand(p)
            .iter()
            .map(|id| catalog.name(id))
            .collect()
    };
    let all = Pattern::new("*");
    c.bench_function("expand `*` to names", |b| b.iter(|| names(black_box(&all))));
    let get = Pattern::new("s3:Get*");
    c.bench_function("expand `s3:Get*` to names", |b| {
        b.iter(|| names(black_box(&get)))
    });
    let inner = Pattern::new("*:*Object*");
    c.bench_function("expand `*:*Object*` to names", |b| {
        b.iter(|| names(black_box(&inner)))
    });
    c.bench_function("lookup `S3:GETOBJECT`", |b| {
        b.iter(|| catalog.lookup(black_box("S3:GETOBJECT")))
    });
    let tsv = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/catalog.tsv"))
        .unwrap_or_default();
    c.bench_function("load the embedded catalog TSV", |b| {
        b.iter(|| Catalog::from_tsv(black_box(&tsv)).map(|c| c.len()))
    });
}

criterion_group!(benches, expand);
criterion_main!(benches);
