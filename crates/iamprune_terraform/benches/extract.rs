//! Parsing a Terraform module and extracting its policies: roles with `jsonencode` inline policies and
//! `aws_iam_policy_document` data sources, as modules write them, generated at two sizes.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use iamprune_terraform::{Options, extract_module};

fn module(roles: usize) -> String {
    let mut out = String::new();
    for i in 0..roles {
        let _ = write!(
            out,
            r#"resource "aws_iam_role" "r{i}" {{
  name               = "app-role-{i}"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Principal = {{ Service = "lambda.amazonaws.com" }}, Action = "sts:AssumeRole" }}]
  }})
}}

resource "aws_iam_role_policy" "r{i}" {{
  name = "app"
  role = aws_iam_role.r{i}.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Sid      = "Data{i}"
      Effect   = "Allow"
      Action   = ["s3:GetObject", "dynamodb:PutItem", "sqs:*"]
      Resource = "*"
    }}]
  }})
}}

data "aws_iam_policy_document" "d{i}" {{
  statement {{
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:Describe*"]
    resources = ["*"]
  }}
}}

resource "aws_iam_role_policy" "d{i}" {{
  name   = "logs"
  role   = aws_iam_role.r{i}.id
  policy = data.aws_iam_policy_document.d{i}.json
}}

"#
        );
    }
    out
}

fn extract(c: &mut Criterion) {
    let dir = PathBuf::from("/bench/module");
    let options = Options {
        root: dir.clone(),
        overrides: Default::default(),
    };
    let mut group = c.benchmark_group("terraform extract");
    group.sample_size(20);
    for roles in [1000, 100] {
        let text = module(roles);
        let files = vec![(dir.join("main.tf"), text.clone())];
        let found = extract_module(&dir, &files, &options);
        assert!(found.errors.is_empty(), "{:?}", found.errors);
        assert_eq!(
            found.sites.len(),
            3 * roles,
            "a trust policy and two inline policies a role"
        );
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("{roles} roles"), |b| {
            b.iter(|| extract_module(black_box(Path::new(&dir)), black_box(&files), &options))
        });
    }
    group.finish();
}

criterion_group!(benches, extract);
criterion_main!(benches);
