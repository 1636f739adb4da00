//! Generated CloudFormation templates for the benchmarks: `roles` roles, each with a trust policy and an
//! inline policy whose actions the benchmarks' findings name (`sqs:*`, `dynamodb:PutItem`). Shared by
//! this crate's `extract` benchmark, the server's `typing` benchmark and the renderers' `render`
//! benchmark (through `#[path]`); each uses what it needs.
#![allow(dead_code)]

use std::fmt::Write as _;

pub fn yaml_template(roles: usize) -> String {
    let mut out = String::from("AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n");
    for i in 0..roles {
        let _ = write!(
            out,
            r#"  Role{i:05}:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app-role-{i:05}
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {{ Service: lambda.amazonaws.com }}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: app
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Sid: Data{i:05}
                Effect: Allow
                Action:
                  - s3:GetObject
                  - dynamodb:PutItem
                  - sqs:*
                Resource: "*"
              - Sid: Logs
                Effect: Allow
                Action: [logs:CreateLogStream, logs:PutLogEvents, logs:Describe*]
                Resource: !Sub "arn:aws:logs:${{AWS::Region}}:${{AWS::AccountId}}:*"
"#
        );
    }
    out
}

pub fn json_template(roles: usize) -> String {
    let resources: Vec<String> = (0..roles)
        .map(|i| {
            format!(
                r#""Role{i:05}": {{"Type": "AWS::IAM::Role", "Properties": {{"RoleName": "app-role-{i:05}",
  "AssumeRolePolicyDocument": {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"Service": "lambda.amazonaws.com"}}, "Action": "sts:AssumeRole"}}]}},
  "Policies": [{{"PolicyName": "app", "PolicyDocument": {{"Version": "2012-10-17", "Statement": [
    {{"Sid": "Data{i:05}", "Effect": "Allow", "Action": ["s3:GetObject", "dynamodb:PutItem", "sqs:*"], "Resource": "*"}},
    {{"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:Describe*"], "Resource": {{"Fn::Sub": "arn:aws:logs:${{AWS::Region}}:${{AWS::AccountId}}:*"}}}}]}}}}]}}}}"#
            )
        })
        .collect();
    format!(
        "{{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Resources\": {{\n{}\n}}}}\n",
        resources.join(",\n")
    )
}

/// A project of one generated template (`template.yaml`, stack `app`) with a findings export that
/// names unused actions of every role, and its `iamprune.toml`. Returns the template's path.
pub fn write_project(dir: &std::path::Path, roles: usize) -> std::io::Result<std::path::PathBuf> {
    let mut findings = String::new();
    for i in 0..roles {
        let _ = writeln!(
            findings,
            "{{\"id\": \"00000000-0000-4000-8000-{i:012}\", \
             \"resource\": \"arn:aws:iam::123456789012:role/app-role-{i:05}\", \
             \"resourceType\": \"AWS::IAM::Role\", \"resourceOwnerAccount\": \"123456789012\", \
             \"status\": \"ACTIVE\", \"findingType\": \"UnusedPermission\", \
             \"analyzedAt\": \"2026-09-20T08:00:00+00:00\", \"createdAt\": \"2026-08-01T08:00:00+00:00\", \
             \"updatedAt\": \"2026-09-20T08:00:00+00:00\", \"findingDetails\": [\
             {{\"unusedPermissionDetails\": {{\"serviceNamespace\": \"sqs\", \"actions\": [\
             {{\"action\": \"DeleteQueue\"}}, {{\"action\": \"CreateQueue\"}}, {{\"action\": \"SetQueueAttributes\"}}]}}}}, \
             {{\"unusedPermissionDetails\": {{\"serviceNamespace\": \"dynamodb\", \"actions\": [{{\"action\": \"PutItem\"}}]}}}}]}}"
        );
    }
    std::fs::create_dir_all(dir.join("findings"))?;
    std::fs::write(dir.join("findings/unused.jsonl"), findings)?;
    std::fs::write(
        dir.join("iamprune.toml"),
        "findings = [\"findings/\"]\naccept-catalog-age = true\n\n[cloudformation]\nstack-names = { \"template.yaml\" = \"app\" }\naccount = \"123456789012\"\n",
    )?;
    let path = dir.join("template.yaml");
    std::fs::write(&path, yaml_template(roles))?;
    Ok(path)
}
