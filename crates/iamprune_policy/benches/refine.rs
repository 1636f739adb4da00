use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use iamprune_catalog::{Catalog, Pattern};
use iamprune_policy::{PolicyDocument, Unused, UnusedSet, refine_document, refine_pattern};

/// Every other action the pattern matches is unused: the worst realistic case for the trie walk.
fn half_unused(catalog: &Catalog, pattern: &Pattern) -> Unused {
    let mut unused = Unused::new();
    for (i, id) in catalog.expand(pattern).iter().enumerate() {
        if i % 2 == 0 {
            let _ = unused.add_action(catalog.name(id));
        }
    }
    unused
}

fn refine(c: &mut Criterion) {
    let catalog = Catalog::embedded();
    for text in ["s3:*", "ec2:Describe*", "s3:Get*"] {
        let pattern = Pattern::new(text);
        let unused = UnusedSet::resolve(catalog, &half_unused(catalog, &pattern));
        c.bench_function(&format!("refine `{text}` with 50% unused"), |b| {
            b.iter(|| refine_pattern(black_box(&pattern), black_box(&unused)))
        });
        // The same through a statement, which adds the proof every offered refinement must pass.
        let json = format!(
            r#"{{"Statement": [{{"Effect": "Allow", "Action": ["{text}"], "Resource": "*"}}]}}"#
        );
        let node = iamprune_syntax::json::parse(&json).expect("benchmark policy parses");
        let document = PolicyDocument::from_node(&node).expect("benchmark policy is a policy");
        c.bench_function(&format!("refine and prove `{text}` with 50% unused"), |b| {
            b.iter(|| refine_document(black_box(&document), black_box(&unused)))
        });
    }
}

criterion_group!(benches, refine);
criterion_main!(benches);
