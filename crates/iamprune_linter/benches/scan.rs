//! The stages of a repository scan before rendering, each on its own so that a regression shows where
//! it comes from: the walk that finds the units, the prefilter that tells a JSON or YAML file that may
//! hold a policy from one that cannot, the resolution of a policy's principals against the findings,
//! and the check of every unit (read, parse, extract, resolve, rules, verified fixes).
//!
//! The tree is ../shared/corpus/files when it exists (the real repositories the end-to-end benchmark
//! uses), and a generated one otherwise: either way the benchmark says which.

#[path = "../../iamprune_cfn/benches/generated.rs"]
mod generated;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use iamprune_linter::check::check_units;
use iamprune_linter::files::{self, FileKind};
use iamprune_linter::units::{self, Excludes, WalkOptions};
use iamprune_linter::{Project, Settings};

/// The tree the walk and the check run over, and the temporary directory that holds it when it is
/// generated.
fn tree() -> (PathBuf, Option<tempfile::TempDir>) {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/files");
    if corpus.is_dir() {
        eprintln!("scan: the tree is {}", corpus.display());
        return (corpus, None);
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write_tree(dir.path(), 200).unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "scan: ../shared/corpus is absent; the tree is generated (200 services, 2,200 files)"
    );
    (dir.path().to_path_buf(), Some(dir))
}

/// `services` directories, each a template, a Terraform module, and what lies beside IaC in a real
/// repository: sources, manifests, a workflow under a hidden directory, dependencies left out by
/// `.gitignore`.
fn write_tree(root: &Path, services: usize) -> std::io::Result<()> {
    std::fs::write(root.join(".gitignore"), "node_modules/\n")?;
    for i in 0..services {
        let dir = root.join(format!("services/svc-{i:04}"));
        for sub in ["infra", "src", ".github/workflows", "node_modules/left-pad"] {
            std::fs::create_dir_all(dir.join(sub))?;
        }
        std::fs::write(dir.join("infra/template.yaml"), generated::yaml_template(3))?;
        std::fs::write(
            dir.join("infra/main.tf"),
            format!(
                "data \"aws_iam_policy_document\" \"app\" {{\n  statement {{\n    actions   = [\"s3:Get*\", \"sqs:SendMessage\"]\n    resources = [\"arn:aws:s3:::bucket-{i}/*\"]\n  }}\n}}\n\nresource \"aws_iam_role_policy\" \"app\" {{\n  role   = \"svc-{i}\"\n  policy = data.aws_iam_policy_document.app.json\n}}\n"
            ),
        )?;
        std::fs::write(
            dir.join("package.json"),
            format!(
                "{{\"name\": \"svc-{i}\", \"version\": \"1.0.0\", \"dependencies\": {{\"left-pad\": \"^1.3.0\"}}}}\n"
            ),
        )?;
        std::fs::write(
            dir.join("tsconfig.json"),
            "{\"compilerOptions\": {\"strict\": true, \"target\": \"es2022\"}}\n",
        )?;
        for f in 0..4 {
            std::fs::write(
                dir.join(format!("src/handler{f}.ts")),
                "export const handler = async () => ({ statusCode: 200 });\n",
            )?;
        }
        std::fs::write(
            dir.join(".github/workflows/ci.yml"),
            "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n",
        )?;
        std::fs::write(
            dir.join("node_modules/left-pad/package.json"),
            "{\"name\": \"left-pad\", \"version\": \"1.3.0\"}\n",
        )?;
    }
    Ok(())
}

fn roots(root: &Path) -> Vec<(PathBuf, Excludes)> {
    let excludes = Excludes::new(root, &[]).unwrap_or_else(|e| panic!("{e}"));
    vec![(root.to_path_buf(), excludes)]
}

fn bench(c: &mut Criterion) {
    let (root, _generated) = tree();
    let graph = units::discover(&roots(&root), WalkOptions::default()).0;
    let files: Vec<PathBuf> = graph
        .units
        .iter()
        .flat_map(|u| u.files.iter().cloned())
        .collect();
    let mut group = c.benchmark_group("scan");
    group.sample_size(20);
    group.throughput(Throughput::Elements(files.len() as u64));

    group.bench_function("walk", |b| {
        b.iter(|| black_box(units::discover(&roots(&root), WalkOptions::default())))
    });

    let documents: Vec<&PathBuf> = files
        .iter()
        .filter(|f| FileKind::of(f) == Some(FileKind::Document))
        .collect();
    group.bench_function("prefilter", |b| {
        b.iter(|| {
            documents
                .iter()
                .filter(|f| files::may_hold_policies(f))
                .count()
        })
    });

    let project = Project::load(None, &Settings::default()).unwrap_or_else(|e| panic!("{e}"));
    let linter = project.linter();
    let options = project.extract_options(std::slice::from_ref(&root));
    let mappings = BTreeMap::new();
    group.bench_function("check units", |b| {
        b.iter(|| {
            check_units(
                &linter,
                &graph.units,
                graph.texts.clone(),
                &options,
                &mappings,
                &|| (),
            )
            .len()
        })
    });
    group.finish();
}

/// Resolving the principals of 1,000 inline policies against the findings of 1,000 roles.
fn resolve(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let template = generated::write_project(dir.path(), 1000).unwrap_or_else(|e| panic!("{e}"));
    let project = Project::load(
        Some(&dir.path().join("iamprune.toml")),
        &Settings::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let Some(findings) = project.findings.as_ref() else {
        panic!("the generated project has findings");
    };
    let text = std::fs::read_to_string(&template).unwrap_or_else(|e| panic!("{e}"));
    let options = iamprune_cfn::Options {
        stack_name: Some("app".into()),
        account: Some("123456789012".into()),
        ..iamprune_cfn::Options::default()
    };
    let sites = iamprune_cfn::extract_file(&template, &text, &options).sites;
    let resolver = &project.linter().resolver;
    let joined = sites
        .iter()
        .filter(|s| {
            resolver
                .resolve(s, findings)
                .principals
                .iter()
                .any(|p| p.findings.is_some())
        })
        .count();
    assert!(joined >= 1000, "{joined} of {} sites joined", sites.len());
    let mut group = c.benchmark_group("resolve");
    group.throughput(Throughput::Elements(sites.len() as u64));
    group.bench_function("1000 roles", |b| {
        b.iter(|| {
            sites
                .iter()
                .map(|s| resolver.resolve(s, findings).principals.len())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, bench, resolve);
criterion_main!(benches);
