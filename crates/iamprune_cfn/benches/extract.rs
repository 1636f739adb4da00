//! Parsing and extracting templates, by syntax: the stage that dominates a check of a large template
//! (and each keystroke in one, see the server's `typing` benchmark). The templates are generated: many
//! roles, each with a trust policy and an inline policy, in YAML and in JSON.

mod generated;

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use iamprune_cfn::{Options, extract_file};

use generated::{json_template, yaml_template};

fn extract(c: &mut Criterion) {
    let options = Options {
        stack_name: Some("app".into()),
        account: Some("123456789012".into()),
        ..Options::default()
    };
    let mut group = c.benchmark_group("cfn extract");
    group.sample_size(20);
    for (name, path, text) in [
        ("yaml, 1,000 roles", "template.yaml", yaml_template(1000)),
        ("json, 1,000 roles", "template.json", json_template(1000)),
        ("yaml, 100 roles", "template.yaml", yaml_template(100)),
    ] {
        let found = extract_file(Path::new(path), &text, &options);
        assert!(found.errors.is_empty(), "{name}: {:?}", found.errors);
        assert!(!found.sites.is_empty(), "{name}: no sites");
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| extract_file(black_box(Path::new(path)), black_box(&text), &options))
        });
    }
    group.finish();
}

criterion_group!(benches, extract);
criterion_main!(benches);
